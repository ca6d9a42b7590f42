"""UCI HAR task: prepare 128-step x 9-channel windows from one of two sources.

* ``uci``: the canonical UCI HAR v1.0 download (the outer zip holding ``UCI HAR Dataset.zip``),
  read as-is: ``{train,test}/Inertial Signals/*`` , ``y_*.txt``, ``subject_*.txt``.
* ``hapt``: the raw recordings of HAPT v2.1 (same lab, subjects and experiments), windowed with
  UCI HAR's documented preprocessing. An equivalent for offline machines, not bit-identical.

Both write one ``np.savez_compressed`` file with x/y/subject per split (train, val, test) and a
JSON ``meta`` string; :func:`load_har` turns it into a :class:`TaskData`.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import zipfile
from pathlib import Path

import numpy as np

from ..records import atomic_savez
from ..training.types import TaskData
from .registry import UCI_HAR_ZIP

WINDOW = 128        # 2.56 s at 50 Hz
STEP = 64           # 50 % overlap
FS = 50.0           # Hz, both datasets
N_CLASSES = 6

# Order of the LSTM-HAR notebook the lecture uses (INPUT_SIGNAL_TYPES): body_acc, body_gyro, total_acc.
CHANNELS = (
    "body_acc_x", "body_acc_y", "body_acc_z",
    "body_gyro_x", "body_gyro_y", "body_gyro_z",
    "total_acc_x", "total_acc_y", "total_acc_z",
)
CHANNEL_UNITS = ("g",) * 3 + ("rad/s",) * 3 + ("g",) * 3

# UCI HAR activity_labels.txt (ids 1..6; HAPT uses the same names for 1..6, 7..12 are transitions).
CLASS_NAMES = ("WALKING", "WALKING_UPSTAIRS", "WALKING_DOWNSTAIRS", "SITTING", "STANDING", "LAYING")

# UCI HAR v1.0's test subjects (subject_test.txt; the dataset README: "70% of the volunteers was
# selected for generating the training data and 30% the test data"); HAPT v2.1 keeps the same split
# (its subject_id_test.txt). Everyone else among the 30 volunteers is a train subject.
TEST_SUBJECTS = (2, 4, 9, 10, 12, 13, 18, 20, 24)
N_SUBJECTS = 30

# Published UCI HAR window counts per class (y_train.txt / y_test.txt, classes 1..6).
UCI_COUNTS = {"train": [1226, 1073, 986, 1286, 1374, 1407], "test": [496, 471, 420, 491, 532, 537]}

SOURCE_NAMES = {"uci": "UCI HAR v1.0", "hapt": "HAPT raw recordings (HAR-equivalent windows)"}

# UCI HAR features_info.txt: "filtered using a median filter and a 3rd order low pass Butterworth
# filter with a corner frequency of 20 Hz"; README: gravity separated by a 0.3 Hz Butterworth low-pass.
NOISE_CUTOFF_HZ = 20.0
GRAVITY_CUTOFF_HZ = 0.3
BUTTER_ORDER = 3
MEDIAN_KERNEL = 3


# --------------------------------------------------------------------------------------- output

def _counts(y: np.ndarray) -> list[int]:
    return np.bincount(y, minlength=N_CLASSES)[:N_CLASSES].astype(int).tolist()


def _pick_val_subjects(train_subjects: list[int], val_subjects: int, seed: int) -> list[int]:
    if not 0 <= val_subjects < len(train_subjects):
        raise ValueError(
            f"val_subjects={val_subjects} must be in [0, {len(train_subjects) - 1}] "
            f"(there are {len(train_subjects)} train subjects)"
        )
    rng = np.random.default_rng(seed)
    chosen = rng.choice(np.array(sorted(train_subjects)), size=val_subjects, replace=False)
    return sorted(int(s) for s in chosen)


def _write(out_npz: str | os.PathLike, source: str, description: str,
           train: tuple[np.ndarray, np.ndarray, np.ndarray],
           test: tuple[np.ndarray, np.ndarray, np.ndarray],
           val_subjects: int, seed: int, extra_meta: dict) -> dict:
    """Carve validation subjects out of train, check, and write the npz atomically. Returns meta."""
    x_tr, y_tr, s_tr = train
    x_te, y_te, s_te = test
    for split, (x, y, s) in {"train": train, "test": test}.items():
        if x.ndim != 3 or x.shape[1:] != (WINDOW, len(CHANNELS)):
            raise ValueError(f"{split}: x has shape {x.shape}, expected (N, {WINDOW}, {len(CHANNELS)})")
        if not (len(x) == len(y) == len(s)):
            raise ValueError(f"{split}: {len(x)} windows, {len(y)} labels, {len(s)} subjects")
        if len(y) == 0:
            raise ValueError(f"{split}: no windows")
        if y.min() < 0 or y.max() >= N_CLASSES:
            raise ValueError(f"{split}: labels outside 0..{N_CLASSES - 1}")
    overlap = set(np.unique(s_tr).tolist()) & set(np.unique(s_te).tolist())
    if overlap:
        raise ValueError(f"train and test share subjects {sorted(overlap)}")

    val = _pick_val_subjects(np.unique(s_tr).tolist(), val_subjects, seed)
    is_val = np.isin(s_tr, val)
    arrays = {
        "x_train": x_tr[~is_val], "y_train": y_tr[~is_val], "subject_train": s_tr[~is_val],
        "x_val": x_tr[is_val], "y_val": y_tr[is_val], "subject_val": s_tr[is_val],
        "x_test": x_te, "y_test": y_te, "subject_test": s_te,
    }
    for k in list(arrays):
        arrays[k] = np.ascontiguousarray(arrays[k], dtype=np.float32 if k.startswith("x_") else np.int64)
    if not all(np.isfinite(arrays[k]).all() for k in ("x_train", "x_val", "x_test")):
        raise ValueError("non-finite values in the windows")

    uci_split = {"train": _counts(y_tr), "test": _counts(y_te)}
    meta = {
        "source": source,
        "source_name": SOURCE_NAMES[source],
        "description": description,
        "channels": list(CHANNELS),
        "channel_units": list(CHANNEL_UNITS),
        "class_names": list(extra_meta.pop("class_names", CLASS_NAMES)),
        "window": WINDOW, "step": STEP, "fs_hz": FS,
        "counts": {k: _counts(arrays[f"y_{k}"]) for k in ("train", "val", "test")},
        # per class, train before the validation subjects are taken out: comparable with UCI's numbers
        "counts_uci_split": uci_split,
        "uci_reference_counts": UCI_COUNTS,
        "diff_vs_uci": {k: [a - b for a, b in zip(uci_split[k], UCI_COUNTS[k])] for k in UCI_COUNTS},
        "n_windows": {k: int(len(arrays[f"y_{k}"])) for k in ("train", "val", "test")},
        "subjects": {k: sorted(np.unique(arrays[f"subject_{k}"]).astype(int).tolist())
                     for k in ("train", "val", "test")},
        "val_subjects": val,
        "val_subjects_requested": int(val_subjects),
        "seed": int(seed),
        **extra_meta,
    }

    atomic_savez(out_npz, arrays, meta)
    return meta


def load_har(npz_path: str | os.PathLike) -> TaskData:
    """Load a prepared HAR file as a 6-class classification task."""
    path = Path(npz_path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no prepared HAR file (run python -m rnnbench.data.har)")
    with np.load(path, allow_pickle=False) as z:
        missing = [k for k in ("meta", *(f"{a}_{s}" for a in ("x", "y", "subject")
                                           for s in ("train", "val", "test"))) if k not in z.files]
        if missing:
            raise ValueError(f"{path}: missing arrays {', '.join(missing)}")
        meta = json.loads(str(z["meta"]))
        d = {k: z[k] for k in z.files if k != "meta"}
    return TaskData(
        name="har", kind="classification",
        x_train=d["x_train"], y_train=d["y_train"],
        x_val=d["x_val"], y_val=d["y_val"],
        x_test=d["x_test"], y_test=d["y_test"],
        n_outputs=N_CLASSES,
        source=SOURCE_NAMES.get(meta.get("source", ""), str(meta.get("source", ""))),
        meta=meta,
    )


# ------------------------------------------------------------------------------------------ UCI

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
            label_name, text = read("activity_labels.txt")
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
    return _write(out_npz, "uci", desc, splits["train"], splits["test"], val_subjects, seed,
                  {"class_names": class_names, "raw": zip_path.name})


# ----------------------------------------------------------------------------------------- HAPT

def _hapt_dir(raw_dir: Path) -> Path:
    """The folder holding labels.txt: ``raw_dir/RawData`` (as fetched) or ``raw_dir`` itself."""
    for d in (raw_dir / "RawData", raw_dir):
        if (d / "labels.txt").is_file():
            return d
    raise FileNotFoundError(f"{raw_dir / 'RawData' / 'labels.txt'}: HAPT labels not found "
                            f"(fetch with: python -m rnnbench.data.fetch hapt {raw_dir})")


def _read_table(path: Path, ncols: int) -> np.ndarray:
    import pandas as pd

    if not path.is_file():
        raise FileNotFoundError(f"{path}: file not found")
    try:
        a = pd.read_csv(path, sep=r"\s+", header=None, dtype=np.float64, engine="c").to_numpy()
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as e:
        raise ValueError(f"{path}: cannot parse ({e})") from None
    if a.ndim != 2 or a.shape[1] != ncols or a.shape[0] == 0:
        raise ValueError(f"{path}: shape {a.shape}, expected (rows, {ncols})")
    if not np.isfinite(a).all():
        raise ValueError(f"{path}: non-finite values")
    return a


def _filter_recording(acc: np.ndarray, gyro: np.ndarray) -> np.ndarray:
    """One whole experiment (T, 3) + (T, 3) -> (T, 9) in CHANNELS order.

    Zero-phase (sosfiltfilt), not causal: this is offline preprocessing, and a causal 3rd-order
    0.3 Hz low-pass delays gravity by about a second, which would leak gravity into body_acc at
    every posture change and shift the signals against the labelled rows; filtfilt keeps both
    aligned. Filtering the whole recording once (not each window) also avoids edge transients
    inside windows.
    """
    from scipy.ndimage import median_filter
    from scipy.signal import butter, sosfiltfilt

    sig = np.concatenate([acc, gyro], axis=1)
    # median over time only, per channel; 'nearest' keeps the ~1 g level at the recording's edges
    sig = median_filter(sig, size=(MEDIAN_KERNEL, 1), mode="nearest")
    noise = butter(BUTTER_ORDER, NOISE_CUTOFF_HZ, btype="low", fs=FS, output="sos")
    sig = sosfiltfilt(noise, sig, axis=0)
    total_acc, gyro_f = sig[:, :3], sig[:, 3:]
    grav = butter(BUTTER_ORDER, GRAVITY_CUTOFF_HZ, btype="low", fs=FS, output="sos")
    gravity = sosfiltfilt(grav, total_acc, axis=0)
    return np.concatenate([total_acc - gravity, gyro_f, total_acc], axis=1)


def prepare_hapt(raw_dir: str | os.PathLike, out_npz: str | os.PathLike,
                 val_subjects: int = 4, seed: int = 0) -> dict:
    """Cut UCI-HAR-style windows from HAPT's raw recordings and write ``out_npz``. Returns meta."""
    raw_dir = Path(raw_dir)
    d = _hapt_dir(raw_dir)
    labels_path = d / "labels.txt"
    labels = _read_table(labels_path, 5).astype(np.int64)   # exp user activity start end (1-based, inclusive)

    # class names from the dataset's activity_labels.txt when it sits next to RawData/
    class_names, names_from = list(CLASS_NAMES), "UCI HAR activity_labels.txt (module constant)"
    for cand in (d / "activity_labels.txt", d.parent / "activity_labels.txt"):
        if cand.is_file():
            names_from = str(cand.name)
            rows = [ln.split() for ln in cand.read_text().splitlines() if ln.strip()]
            class_names = [r[1] for r in sorted(rows, key=lambda r: int(r[0])) if int(r[0]) <= N_CLASSES]
            break

    xs, ys, ss = [], [], []
    starts_view = np.arange(WINDOW)
    n_segments = 0
    for exp in np.unique(labels[:, 0]):
        rows = labels[labels[:, 0] == exp]
        users = np.unique(rows[:, 1])
        if users.size != 1:
            raise ValueError(f"{labels_path}: experiment {exp} lists several users {users.tolist()}")
        user = int(users[0])
        acc_p = d / f"acc_exp{exp:02d}_user{user:02d}.txt"
        gyro_p = d / f"gyro_exp{exp:02d}_user{user:02d}.txt"
        acc, gyro = _read_table(acc_p, 3), _read_table(gyro_p, 3)
        if len(acc) != len(gyro):
            raise ValueError(f"{acc_p} has {len(acc)} rows but {gyro_p} has {len(gyro)}")
        seg = rows[(rows[:, 2] >= 1) & (rows[:, 2] <= N_CLASSES)]
        if len(seg) == 0:
            continue
        bad = seg[(seg[:, 3] < 1) | (seg[:, 4] < seg[:, 3]) | (seg[:, 4] > len(acc))]
        if len(bad):
            raise ValueError(f"{labels_path}: experiment {exp}: empty or out-of-range segment "
                             f"rows {bad[0, 3]}..{bad[0, 4]} (recording {acc_p.name} has {len(acc)} rows)")
        sig = _filter_recording(acc, gyro)
        for _, _, act, start, end in seg:
            n_segments += 1
            length = end - start + 1
            n = (length - WINDOW) // STEP + 1 if length >= WINDOW else 0
            if n <= 0:
                continue  # shorter than one window: UCI HAR's cut yields none either
            first = (start - 1) + STEP * np.arange(n)
            xs.append(sig[first[:, None] + starts_view])       # (n, 128, 9)
            ys.append(np.full(n, act - 1, dtype=np.int64))
            ss.append(np.full(n, user, dtype=np.int64))
    if not xs:
        raise ValueError(f"{labels_path}: no windows of activities 1..{N_CLASSES}")
    x = np.concatenate(xs).astype(np.float32)
    y, s = np.concatenate(ys), np.concatenate(ss)
    is_test = np.isin(s, TEST_SUBJECTS)

    desc = ("HAR-equivalent windows re-derived from HAPT v2.1 raw recordings (same lab, subjects and "
            "experiments as UCI HAR) with UCI HAR's documented preprocessing: median filter (3), 3rd-order "
            "Butterworth low-pass 20 Hz, gravity = 3rd-order 0.3 Hz Butterworth low-pass of total acc, "
            "body = total - gravity, zero-phase (sosfiltfilt) over each whole recording; 128-sample windows, "
            "step 64, inside each labelled segment of activities 1-6. Not bit-identical to UCI HAR's "
            "published windows; static classes get a few more windows (HAPT's segments are slightly longer).")
    extra = {
        "class_names": class_names,
        "class_names_from": names_from,
        "raw": str(d.name),
        "test_subjects": list(TEST_SUBJECTS),
        "n_segments": n_segments,
        "preprocessing": {
            "median_kernel": MEDIAN_KERNEL, "noise_lowpass_hz": NOISE_CUTOFF_HZ,
            "gravity_lowpass_hz": GRAVITY_CUTOFF_HZ, "butterworth_order": BUTTER_ORDER,
            "zero_phase": True, "filtered_per": "experiment",
        },
    }
    return _write(out_npz, "hapt", desc, (x[~is_test], y[~is_test], s[~is_test]),
                  (x[is_test], y[is_test], s[is_test]), val_subjects, seed, extra)


# ------------------------------------------------------------------------------------------ CLI

def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m rnnbench.data.har", description=__doc__.splitlines()[0])
    p.add_argument("--source", choices=("uci", "hapt"), required=True)
    p.add_argument("--raw", required=True,
                   help=f"folder with the fetched files (uci: holding {UCI_HAR_ZIP}, or the zip itself; "
                        "hapt: holding RawData/)")
    p.add_argument("--out", required=True, help="output .npz")
    p.add_argument("--val-subjects", type=int, default=4)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    raw = Path(a.raw)
    try:
        if a.source == "uci":
            zp = raw if raw.is_file() else raw / UCI_HAR_ZIP
            meta = prepare_uci(zp, a.out, a.val_subjects, a.seed)
        else:
            if not raw.is_dir():
                raise FileNotFoundError(f"{raw}: HAPT raw folder not found")
            meta = prepare_hapt(raw, a.out, a.val_subjects, a.seed)
    except (OSError, ValueError, zipfile.BadZipFile) as e:
        raise SystemExit(f"error: {e}") from None
    print(f"{a.out}: {meta['source_name']}; windows {meta['n_windows']}; val subjects {meta['val_subjects']}")
    for k in ("train", "test"):
        print(f"  {k} per class (before val): {meta['counts_uci_split'][k]}  UCI HAR: "
              f"{UCI_COUNTS[k]}  diff: {meta['diff_vs_uci'][k]}")


if __name__ == "__main__":
    main()
