"""UCI HAR v1.0 as published: its Inertial Signals windows read out of the download's (nested) zip.

The windows are used as they are (already median/20 Hz-filtered, gravity-separated, cut 128 steps
with 50 % overlap); only the validation subjects are chosen here (:func:`.prepared.write_prepared`).
"""
from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import numpy as np

from ..registry import UCI_HAR_ZIP
from .prepared import CHANNELS, CLASS_NAMES, N_CLASSES, WINDOW, write_prepared


def _parse_floats(text: str, name: str) -> np.ndarray:
    try:
        return np.array(text.split(), dtype=np.float64)
    except ValueError as e:
        raise ValueError(f"{name}: not numeric ({e})") from None


def _open_uci(zip_path: Path) -> tuple[zipfile.ZipFile, list[zipfile.ZipFile]]:
    """The zip that holds ``.../train/y_train.txt``: the file itself (old direct download) or the
    ``UCI HAR Dataset.zip`` nested in it (current UCI download)."""
    outer = zipfile.ZipFile(zip_path)
    opened = [outer]

    def holds(zf: zipfile.ZipFile) -> bool:
        return any(n.endswith("train/y_train.txt") and "__MACOSX" not in n for n in zf.namelist())

    if holds(outer):
        return outer, opened
    for n in outer.namelist():
        if n.lower().endswith(".zip") and "__MACOSX" not in n:
            # zipfile needs a seekable stream; the inner zip is 60 MB
            inner = zipfile.ZipFile(io.BytesIO(outer.read(n)))
            opened.append(inner)
            if holds(inner):
                return inner, opened
    for z in opened:
        z.close()
    raise FileNotFoundError(f"{zip_path}: no 'train/y_train.txt' in it nor in a zip inside it "
                            f"(expected UCI HAR's {UCI_HAR_ZIP})")


def prepare_uci(zip_path: str | os.PathLike, out_npz: str | os.PathLike,
                val_subjects: int = 4, seed: int = 0) -> dict:
    """Read UCI HAR's Inertial Signals from the (nested) zip and write ``out_npz``. Returns meta."""
    zip_path = Path(zip_path)
    if not zip_path.is_file():
        raise FileNotFoundError(f"{zip_path}: UCI HAR zip not found")
    try:
        zf, opened = _open_uci(zip_path)
    except zipfile.BadZipFile as e:
        raise ValueError(f"{zip_path}: not a valid zip ({e})") from None
    try:
        names = [n for n in zf.namelist() if "__MACOSX" not in n]

        def member(suffix: str) -> str:
            hits = [n for n in names if n == suffix or n.endswith("/" + suffix)]
            if not hits:
                raise FileNotFoundError(f"{zip_path}: member '{suffix}' not found")
            return min(hits, key=len)

        def read(suffix: str) -> tuple[str, str]:
            m = member(suffix)
            return f"{zip_path}::{m}", zf.read(m).decode("ascii")

        class_names = list(CLASS_NAMES)
        try:
            _, text = read("activity_labels.txt")
            rows = [ln.split() for ln in text.splitlines() if ln.strip()]
            class_names = [r[1] for r in sorted(rows, key=lambda r: int(r[0]))][:N_CLASSES]
        except FileNotFoundError:
            pass  # optional: the names are fixed by the dataset

        splits = {}
        for split in ("train", "test"):
            name, text = read(f"{split}/y_{split}.txt")
            y = _parse_floats(text, name).astype(np.int64)
            if y.size == 0:
                raise ValueError(f"{name}: empty")
            if y.min() < 1 or y.max() > N_CLASSES:
                raise ValueError(f"{name}: labels outside 1..{N_CLASSES}")
            name, text = read(f"{split}/subject_{split}.txt")
            s = _parse_floats(text, name).astype(np.int64)
            if s.size != y.size:
                raise ValueError(f"{name}: {s.size} rows, y_{split}.txt has {y.size}")
            x = np.empty((y.size, WINDOW, len(CHANNELS)), dtype=np.float32)
            for c, ch in enumerate(CHANNELS):
                name, text = read(f"{split}/Inertial Signals/{ch}_{split}.txt")
                v = _parse_floats(text, name)
                n_rows = sum(1 for ln in text.splitlines() if ln.strip())
                if n_rows != y.size or v.size != y.size * WINDOW:
                    raise ValueError(f"{name}: {n_rows} rows / {v.size} values, expected "
                                     f"{y.size} rows x {WINDOW} values")
                x[:, :, c] = v.reshape(y.size, WINDOW)
            splits[split] = (x, y - 1, s)
    finally:
        for z in reversed(opened):
            z.close()

    desc = ("UCI HAR v1.0 Inertial Signals as published (already median/20 Hz-filtered, gravity-separated, "
            "2.56 s windows with 50% overlap); validation = whole train subjects.")
    return write_prepared(out_npz, "uci", desc, splits["train"], splits["test"], val_subjects, seed,
                          {"class_names": class_names, "raw": zip_path.name})
