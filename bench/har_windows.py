"""How the HAPT-derived HAR windows differ from UCI HAR's (issue 20: where the lecture's ~90 % goes).

    RNNBENCH_MIRROR=../shared/datasets python bench/har_windows.py --npz data/prepared/har-hapt.npz

Reads the prepared HAPT-derived file (``python -m rnnbench.data.har --source hapt``; layout in
``rnnbench.data.har.prepared``) and UCI HAR's label files from the mirror
(``har/UCI_HAR_Dataset_labels_only/{train,test}/{y,subject}_{train,test}.txt``; ``--uci-labels``
names that folder directly). The npz's validation subjects are counted with train, as UCI HAR's
train split holds all 21 training subjects. Prints Markdown tables:

1. windows per class and split, ours against UCI HAR's label files (difference, ratio, share);
2. windows per subject, ours against UCI HAR's subject files, the difference per subject and class,
   and whether the train and test subject sets agree;
3. per-channel mean and std of our windows per split (UCI HAR's signals are not in the mirror, so
   no UCI column: only its label files are there);
4. classical baselines on our windows, numpy only (scikit-learn is not a dependency): per window and
   channel the mean, std, min and max (36 features, standardised with train's statistics), then a
   nearest-centroid and a ridge (least-squares one-hot) classifier trained on all 21 train
   subjects; test accuracy, per-class recall, the accuracy re-weighted to UCI HAR's test class
   counts, and the ridge classifier's confusion matrix. Our figures only; no published figure.

Deterministic (no random draws, no timing); seconds on one core.
"""
from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np


N_CLASSES = 6
CLASS_NAMES = ("WALKING", "WALKING_UPSTAIRS", "WALKING_DOWNSTAIRS", "SITTING", "STANDING", "LAYING")
STATIC = (3, 4, 5)          # SITTING, STANDING, LAYING (0-based)
SPLITS = ("train", "test")
UCI_LABELS_SUBDIR = Path("har") / "UCI_HAR_Dataset_labels_only"
RIDGE_LAMBDA = 1.0          # fixed beforehand, not tuned on test


# ---------------------------------------------------------------- loading

def _read_ints(path: Path) -> np.ndarray:
    if not path.is_file():
        raise FileNotFoundError(f"{path}: UCI HAR label file not found (expected the mirror's "
                                f"{UCI_LABELS_SUBDIR}/{{train,test}}/{{y,subject}}_{{train,test}}.txt)")
    try:
        a = np.loadtxt(path, dtype=np.int64, ndmin=1)
    except ValueError as e:
        raise ValueError(f"{path}: cannot parse as one integer a line ({e})") from None
    if a.ndim != 1 or a.size == 0:
        raise ValueError(f"{path}: expected one integer a line, got shape {a.shape}")
    return a


def load_uci_labels(labels_dir: str | os.PathLike) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """UCI HAR's ``{split}/y_{split}.txt`` and ``subject_{split}.txt`` -> {split: (y 0..5, subject)}."""
    d = Path(labels_dir)
    out = {}
    for split in SPLITS:
        y_path, s_path = d / split / f"y_{split}.txt", d / split / f"subject_{split}.txt"
        y, s = _read_ints(y_path), _read_ints(s_path)
        if len(y) != len(s):
            raise ValueError(f"{y_path} has {len(y)} rows but {s_path} has {len(s)}")
        if y.min() < 1 or y.max() > N_CLASSES:
            raise ValueError(f"{y_path}: labels outside 1..{N_CLASSES}")
        out[split] = (y - 1, s)
    return out


def load_ours(npz_path: str | os.PathLike) -> tuple[dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]], dict]:
    """The prepared npz -> ({split: (x, y 0..5, subject)} with val folded into train, meta)."""
    path = Path(npz_path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no prepared HAR file (python -m rnnbench.data.har --source hapt "
                                f"--raw data/raw/hapt --out {path})")
    need = [f"{a}_{s}" for a in ("x", "y", "subject") for s in ("train", "val", "test")]
    with np.load(path, allow_pickle=False) as z:
        missing = [k for k in need if k not in z.files]
        if missing:
            raise ValueError(f"{path}: missing arrays {', '.join(missing)}")
        a = {k: z[k] for k in need}
        meta = json.loads(str(z["meta"])) if "meta" in z.files else {}
    ours = {
        "train": tuple(np.concatenate([a[f"{k}_train"], a[f"{k}_val"]]) for k in ("x", "y", "subject")),
        "test": (a["x_test"], a["y_test"], a["subject_test"]),
    }
    for split, (_, y, _) in ours.items():
        if len(y) and (y.min() < 0 or y.max() >= N_CLASSES):
            raise ValueError(f"{path}: {split} labels outside 0..{N_CLASSES - 1}")
    return ours, meta


# ---------------------------------------------------------------- counting

def class_counts(y: np.ndarray) -> list[int]:
    """Windows per class 0..5."""
    return np.bincount(np.asarray(y, dtype=np.int64), minlength=N_CLASSES)[:N_CLASSES].astype(int).tolist()


def compare_class_counts(ours_y: dict[str, np.ndarray], uci_y: dict[str, np.ndarray]) -> list[dict]:
    """Per split and class (then the static classes and the total): ours, UCI, ours - UCI, ours / UCI,
    and each side's share of its split."""
    rows = []
    for split in SPLITS:
        o, u = class_counts(ours_y[split]), class_counts(uci_y[split])
        no, nu = sum(o), sum(u)
        groups = [(CLASS_NAMES[c], [c]) for c in range(N_CLASSES)]
        groups += [("static (SIT+STAND+LAY)", list(STATIC)), ("all", list(range(N_CLASSES)))]
        for name, cls in groups:
            a, b = sum(o[c] for c in cls), sum(u[c] for c in cls)
            rows.append({"split": split, "class": name, "ours": a, "uci": b, "diff": a - b,
                         "ratio": a / b if b else float("nan"),
                         "share_ours": a / no if no else float("nan"),
                         "share_uci": b / nu if nu else float("nan")})
    return rows


def share_shift(ours_y: np.ndarray, uci_y: np.ndarray) -> float:
    """Total variation distance between the two class distributions (half the summed absolute share
    differences): re-weighting per-class recall from one to the other changes any classifier's
    accuracy by at most this much."""
    o, u = np.array(class_counts(ours_y), float), np.array(class_counts(uci_y), float)
    return float(0.5 * np.abs(o / o.sum() - u / u.sum()).sum())


def subject_counts(s: np.ndarray) -> dict[int, int]:
    vals, n = np.unique(np.asarray(s, dtype=np.int64), return_counts=True)
    return {int(v): int(k) for v, k in zip(vals, n)}


def compare_subjects(ours_s: dict[str, np.ndarray], uci_s: dict[str, np.ndarray],
                     ours_y: dict[str, np.ndarray] | None = None,
                     uci_y: dict[str, np.ndarray] | None = None) -> tuple[list[dict], dict]:
    """Per subject: its split on each side, windows ours and UCI, difference (and, given the labels,
    the difference per class); and per split whether the subject sets are identical (with what is
    only on one side)."""
    split_of = {}
    counts = {"ours": {}, "uci": {}}
    per_class = {"ours": {}, "uci": {}}
    for side, src, ys in (("ours", ours_s, ours_y), ("uci", uci_s, uci_y)):
        for split in SPLITS:
            s = np.asarray(src[split])
            for subj, n in subject_counts(s).items():
                split_of.setdefault(subj, {})[side] = split
                counts[side][subj] = counts[side].get(subj, 0) + n
                if ys is not None:
                    c = np.array(class_counts(np.asarray(ys[split])[s == subj]))
                    per_class[side][subj] = per_class[side].get(subj, 0) + c
    rows = []
    for subj in sorted(split_of):
        a, b = counts["ours"].get(subj, 0), counts["uci"].get(subj, 0)
        row = {"subject": subj, "split_ours": split_of[subj].get("ours", "—"),
               "split_uci": split_of[subj].get("uci", "—"), "ours": a, "uci": b, "diff": a - b}
        if ours_y is not None and uci_y is not None:
            zero = np.zeros(N_CLASSES, dtype=int)
            row["diff_per_class"] = (per_class["ours"].get(subj, zero) - per_class["uci"].get(subj, zero)).tolist()
        rows.append(row)
    sets = {}
    for split in SPLITS:
        so, su = set(subject_counts(ours_s[split])), set(subject_counts(uci_s[split]))
        sets[split] = {"identical": so == su, "n_ours": len(so), "n_uci": len(su),
                       "only_ours": sorted(so - su), "only_uci": sorted(su - so)}
    return rows, sets


# ---------------------------------------------------------------- signals and baselines

def channel_stats(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and std per channel over every window and time step of (N, T, C)."""
    flat = np.asarray(x, dtype=np.float64).reshape(-1, x.shape[-1])
    return flat.mean(axis=0), flat.std(axis=0)


def window_features(x: np.ndarray) -> np.ndarray:
    """(N, T, C) -> (N, 4C): per channel the window's mean, std, min and max."""
    x = np.asarray(x, dtype=np.float64)
    return np.concatenate([x.mean(axis=1), x.std(axis=1), x.min(axis=1), x.max(axis=1)], axis=1)


def nearest_centroid(f_tr: np.ndarray, y_tr: np.ndarray, f_te: np.ndarray) -> np.ndarray:
    cent = np.stack([f_tr[y_tr == c].mean(axis=0) for c in range(N_CLASSES)])
    d = ((f_te[:, None, :] - cent[None, :, :]) ** 2).sum(axis=2)
    return d.argmin(axis=1)


def ridge_classifier(f_tr: np.ndarray, y_tr: np.ndarray, f_te: np.ndarray, lam: float = RIDGE_LAMBDA) -> np.ndarray:
    """Least squares onto one-hot targets with an L2 penalty (bias not penalised); argmax."""
    xa = np.hstack([f_tr, np.ones((len(f_tr), 1))])
    t = np.eye(N_CLASSES)[y_tr]
    reg = lam * np.eye(xa.shape[1])
    reg[-1, -1] = 0.0
    w = np.linalg.solve(xa.T @ xa + reg, xa.T @ t)
    return (np.hstack([f_te, np.ones((len(f_te), 1))]) @ w).argmax(axis=1)


def recall_per_class(y: np.ndarray, pred: np.ndarray) -> list[float]:
    return [float((pred[y == c] == c).mean()) if (y == c).any() else float("nan") for c in range(N_CLASSES)]


def reweighted_accuracy(recall: list[float], counts: list[int]) -> float:
    """The accuracy the same per-class recall gives on a test set with these class counts."""
    return float(np.dot(recall, counts) / np.sum(counts))


def baselines(ours: dict, uci_test_counts: list[int]) -> list[dict]:
    (x_tr, y_tr, _), (x_te, y_te, _) = ours["train"], ours["test"]
    f_tr, f_te = window_features(x_tr), window_features(x_te)
    mu, sd = f_tr.mean(axis=0), f_tr.std(axis=0)
    sd[sd == 0] = 1.0
    f_tr, f_te = (f_tr - mu) / sd, (f_te - mu) / sd
    out = []
    for name, fn in (("nearest centroid", nearest_centroid), (f"ridge, lambda {RIDGE_LAMBDA:g}", ridge_classifier)):
        pred = fn(f_tr, y_tr, f_te)
        rec = recall_per_class(y_te, pred)
        conf = np.zeros((N_CLASSES, N_CLASSES), dtype=int)
        np.add.at(conf, (y_te, pred), 1)
        out.append({"name": name, "acc": float((pred == y_te).mean()), "recall": rec,
                    "acc_uci_balance": reweighted_accuracy(rec, uci_test_counts), "confusion": conf})
    return out


# ---------------------------------------------------------------- output

def _uci_labels_dir(arg: str | None) -> Path:
    if arg:
        return Path(arg)
    mirror = os.environ.get("RNNBENCH_MIRROR")
    if not mirror:
        raise SystemExit("error: give --uci-labels DIR or set RNNBENCH_MIRROR to the dataset mirror")
    return Path(mirror) / UCI_LABELS_SUBDIR


def report(npz: Path, labels_dir: Path, run_baselines: bool = True) -> str:
    ours, meta = load_ours(npz)
    uci = load_uci_labels(labels_dir)
    lines: list[str] = []
    p = lines.append
    p(f"HAPT-derived windows: `{npz}` ({meta.get('source_name', '?')}; val subjects "
      f"{meta.get('val_subjects', '?')} counted with train). UCI HAR: `{labels_dir}` (label files only).")
    p("")
    p("### Windows per class and split (ours: train = train + val subjects)")
    p("")
    p("| split | class | ours | UCI HAR | ours − UCI | ours / UCI | share ours | share UCI |")
    p("|---|---|---:|---:|---:|---:|---:|---:|")
    for r in compare_class_counts({k: v[1] for k, v in ours.items()}, {k: v[0] for k, v in uci.items()}):
        p(f"| {r['split']} | {r['class']} | {r['ours']:,} | {r['uci']:,} | {r['diff']:+,} | {r['ratio']:.3f} | "
          f"{100 * r['share_ours']:.2f} % | {100 * r['share_uci']:.2f} % |")
    p("")
    for split in SPLITS:
        tv = share_shift(ours[split][1], uci[split][0])
        p(f"- {split}: class shares differ by {100 * tv:.2f} percentage points (total variation distance): "
          f"re-weighting to UCI HAR's {split} class counts changes any classifier's {split} accuracy by at most that")
    p("")
    rows, sets = compare_subjects({k: v[2] for k, v in ours.items()}, {k: v[1] for k, v in uci.items()},
                                  {k: v[1] for k, v in ours.items()}, {k: v[0] for k, v in uci.items()})
    short = ("WALK", "UP", "DOWN", "SIT", "STAND", "LAY")
    p("### Windows per subject (ours − UCI per class in the last six columns)")
    p("")
    p("| subject | split ours | split UCI | ours | UCI HAR | ours − UCI | ours / UCI | "
      + " | ".join(short) + " |")
    p("|---:|---|---|---:|---:|---:|---:|" + "---:|" * N_CLASSES)
    for r in rows:
        ratio = f"{r['ours'] / r['uci']:.3f}" if r["uci"] else "—"
        p(f"| {r['subject']} | {r['split_ours']} | {r['split_uci']} | {r['ours']:,} | {r['uci']:,} | "
          f"{r['diff']:+,} | {ratio} | " + " | ".join(f"{v:+d}" if v else "0" for v in r["diff_per_class"]) + " |")
    p("")
    for split in SPLITS:
        s = sets[split]
        extra = "" if s["identical"] else f" (only ours: {s['only_ours']}; only UCI: {s['only_uci']})"
        p(f"- {split} subjects identical: **{'yes' if s['identical'] else 'no'}** "
          f"({s['n_ours']} ours, {s['n_uci']} UCI){extra}")
    n_diff = sum(1 for r in rows if r["diff"])
    p(f"- subjects whose window count differs: {n_diff} of {len(rows)}")
    cells = [(r["subject"], c, v) for r in rows for c, v in enumerate(r["diff_per_class"]) if v]
    for label, sel in (("more windows in ours", [x for x in cells if x[2] > 0]),
                       ("fewer windows in ours", [x for x in cells if x[2] < 0])):
        by_class = [sum(abs(v) for _, c, v in sel if c == k) for k in range(N_CLASSES)]
        p(f"- subject-class cells with {label}: {len(sel)} of {len(rows) * N_CLASSES}, "
          f"{sum(abs(v) for *_, v in sel)} windows (" + ", ".join(f"{s} {n}" for s, n in zip(short, by_class)) + ")")
    p("")
    channels = meta.get("channels") or [f"ch{i}" for i in range(ours["train"][0].shape[-1])]
    units = meta.get("channel_units") or [""] * len(channels)
    stats = {k: channel_stats(ours[k][0]) for k in SPLITS}
    p("### Per-channel mean and std of our windows (every window and time step; overlapping windows count twice)")
    p("")
    p("UCI HAR's signals (`Inertial Signals/`) are not in the mirror: no UCI column here.")
    p("")
    p("| channel | unit | train mean | train std | test mean | test std |")
    p("|---|---|---:|---:|---:|---:|")
    for i, (ch, u) in enumerate(zip(channels, units)):
        p(f"| {ch} | {u} | {stats['train'][0][i]:+.4f} | {stats['train'][1][i]:.4f} | "
          f"{stats['test'][0][i]:+.4f} | {stats['test'][1][i]:.4f} |")
    p("")
    if run_baselines:
        uci_test = class_counts(uci["test"][0])
        res = baselines(ours, uci_test)
        p("### Classical baselines on our windows (ours; numpy only, no published figure beside them)")
        p("")
        p(f"Features: per window and channel mean, std, min, max (36), standardised with train's statistics; "
          f"trained on {len(ours['train'][1]):,} windows of {len(np.unique(ours['train'][2]))} subjects, "
          f"tested on {len(ours['test'][1]):,}. \"At UCI's balance\": the same per-class recall weighted by "
          f"UCI HAR's test counts {uci_test}.")
        p("")
        p("| classifier | test accuracy | at UCI's balance | " + " | ".join(f"recall {s}" for s in short) + " |")
        p("|---|---:|---:|" + "---:|" * N_CLASSES)
        for r in res:
            p(f"| {r['name']} | {r['acc']:.4f} | {r['acc_uci_balance']:.4f} | "
              + " | ".join(f"{v:.3f}" for v in r["recall"]) + " |")
        p("")
        r = res[-1]
        p(f"Confusion matrix, {r['name']} (rows: true class, columns: predicted):")
        p("")
        p("| true \\ predicted | " + " | ".join(short) + " |")
        p("|---|" + "---:|" * N_CLASSES)
        for c in range(N_CLASSES):
            p(f"| {short[c]} | " + " | ".join(str(v) for v in r["confusion"][c]) + " |")
        p("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--npz", type=Path, default=Path("data/prepared/har-hapt.npz"),
                   help="the prepared HAPT-derived file (default data/prepared/har-hapt.npz)")
    p.add_argument("--uci-labels", default=None,
                   help=f"UCI HAR's label folder (default $RNNBENCH_MIRROR/{UCI_LABELS_SUBDIR})")
    p.add_argument("--no-baselines", action="store_true", help="counts and channel statistics only")
    a = p.parse_args(argv)
    try:
        print(report(a.npz, _uci_labels_dir(a.uci_labels), run_baselines=not a.no_baselines))
    except (OSError, ValueError) as e:
        raise SystemExit(f"error: {e}") from None


if __name__ == "__main__":
    main()
