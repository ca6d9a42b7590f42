"""HAPT v2.1's raw recordings cut into UCI-HAR-style windows: an equivalent for offline machines.

Same lab, subjects and experiments as UCI HAR; each whole recording is filtered with UCI HAR's
documented preprocessing (:func:`_filter_recording`), then windows of 128 steps, step 64, are cut
inside each labelled segment of activities 1-6. Not bit-identical to UCI HAR's published windows.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .prepared import CLASS_NAMES, FS, N_CLASSES, STEP, TEST_SUBJECTS, WINDOW, write_prepared

# UCI HAR features_info.txt: "filtered using a median filter and a 3rd order low pass Butterworth
# filter with a corner frequency of 20 Hz"; README: gravity separated by a 0.3 Hz Butterworth low-pass.
NOISE_CUTOFF_HZ = 20.0
GRAVITY_CUTOFF_HZ = 0.3
BUTTER_ORDER = 3
MEDIAN_KERNEL = 3


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
    return write_prepared(out_npz, "hapt", desc, (x[~is_test], y[~is_test], s[~is_test]),
                          (x[is_test], y[is_test], s[is_test]), val_subjects, seed, extra)
