"""The prepared HAR file: what every source's windows must be, how they are written, how they are loaded.

One ``np.savez_compressed`` file with ``x_*`` (N, 128, 9) float32, ``y_*`` (class 0..5) and
``subject_*`` int64 for train, val and test, and a JSON ``meta`` string. :func:`write_prepared`
is the one writer both sources (:mod:`.uci`, :mod:`.hapt`) go through: it takes whole train
subjects out as validation, checks shapes, labels and the subject split, and records the per-class
counts beside UCI HAR's published ones.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from ...records import atomic_savez
from ...training.types import TaskData

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

# Published UCI HAR window counts per class (y_train.txt / y_test.txt, classes 1..6).
UCI_COUNTS = {"train": [1226, 1073, 986, 1286, 1374, 1407], "test": [496, 471, 420, 491, 532, 537]}

SOURCE_NAMES = {"uci": "UCI HAR v1.0", "hapt": "HAPT raw recordings (HAR-equivalent windows)"}


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


def write_prepared(out_npz: str | os.PathLike, source: str, description: str,
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
