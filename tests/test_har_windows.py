"""bench/har_windows.py: the counts it compares against UCI HAR's label files, on a tiny fixture."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]


def _load_script():
    spec = importlib.util.spec_from_file_location("har_windows", REPO / "bench" / "har_windows.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


hw = _load_script()


def _write_uci(root: Path, splits: dict[str, tuple[list[int], list[int]]]) -> Path:
    """UCI HAR's layout: {split}/y_{split}.txt (classes 1..6) and subject_{split}.txt, one integer a line."""
    d = root / "UCI_HAR_Dataset_labels_only"
    for split, (y, s) in splits.items():
        (d / split).mkdir(parents=True, exist_ok=True)
        (d / split / f"y_{split}.txt").write_text("".join(f"{v}\n" for v in y))
        (d / split / f"subject_{split}.txt").write_text("".join(f"{v}\n" for v in s))
    return d


def _write_npz(path: Path, parts: dict[str, tuple[list[int], list[int]]]) -> Path:
    """The prepared layout (x_*, y_* 0..5, subject_* for train, val, test, and meta); x is a per-class level."""
    arrays = {}
    for split, (y, s) in parts.items():
        y = np.asarray(y, dtype=np.int64)
        x = np.repeat(y[:, None, None].astype(np.float32), 128, axis=1) * np.ones((1, 1, 9), np.float32)
        x = x + 0.01 * np.arange(len(y), dtype=np.float32)[:, None, None]
        arrays.update({f"x_{split}": x, f"y_{split}": y, f"subject_{split}": np.asarray(s, dtype=np.int64)})
    meta = {"source_name": "fixture", "val_subjects": sorted(set(parts["val"][1])),
            "channels": [f"c{i}" for i in range(9)], "channel_units": ["g"] * 9}
    np.savez(path, meta=np.array(json.dumps(meta)), **arrays)
    return path


# ours: train subjects 1, 3 (+ val subject 5), test subject 2; two extra STANDING (class 4) windows in train,
# one extra SITTING (class 3) in test, one LAYING (class 5) fewer in test
OURS = {
    "train": ([0, 1, 2, 3, 4, 4, 4, 5, 0, 1, 2, 3, 4, 5], [1] * 8 + [3] * 6),
    "val": ([0, 1, 2, 3, 4, 5], [5] * 6),
    "test": ([0, 1, 2, 3, 3, 4, 5], [2] * 7),
}
# UCI, classes 1..6: the same windows without those differences
UCI = {
    "train": ([1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6], [1] * 6 + [3] * 6 + [5] * 6),
    "test": ([1, 2, 3, 4, 5, 6, 6], [2] * 7),
}


@pytest.fixture
def files(tmp_path):
    return _write_npz(tmp_path / "har.npz", OURS), _write_uci(tmp_path, UCI)


def test_val_subjects_are_counted_with_train(files):
    npz, _ = files
    ours, meta = hw.load_ours(npz)
    assert len(ours["train"][1]) == 14 + 6
    assert sorted(set(ours["train"][2].tolist())) == [1, 3, 5]
    assert ours["train"][0].shape == (20, 128, 9)
    assert meta["val_subjects"] == [5]


def test_uci_labels_are_read_as_classes_0_to_5(files):
    _, labels = files
    uci = hw.load_uci_labels(labels)
    assert hw.class_counts(uci["train"][0]) == [3, 3, 3, 3, 3, 3]
    assert hw.class_counts(uci["test"][0]) == [1, 1, 1, 1, 1, 2]
    assert hw.subject_counts(uci["train"][1]) == {1: 6, 3: 6, 5: 6}


def test_class_counts_differences_and_ratios(files):
    npz, labels = files
    ours, _ = hw.load_ours(npz)
    uci = hw.load_uci_labels(labels)
    rows = hw.compare_class_counts({k: v[1] for k, v in ours.items()}, {k: v[0] for k, v in uci.items()})
    by = {(r["split"], r["class"]): r for r in rows}
    assert by["train", "STANDING"]["ours"] == 5 and by["train", "STANDING"]["uci"] == 3
    assert by["train", "STANDING"]["diff"] == 2 and by["train", "STANDING"]["ratio"] == pytest.approx(5 / 3)
    assert by["train", "WALKING"]["diff"] == 0 and by["train", "WALKING"]["ratio"] == 1.0
    assert by["test", "SITTING"]["diff"] == 1 and by["test", "LAYING"]["diff"] == -1
    assert by["test", "LAYING"]["ratio"] == pytest.approx(0.5)
    assert by["train", "all"]["ours"] == 20 and by["train", "all"]["uci"] == 18
    assert by["test", "all"]["diff"] == 0
    assert by["train", "static (SIT+STAND+LAY)"]["diff"] == 2
    assert by["train", "all"]["share_ours"] == pytest.approx(1.0)
    assert by["test", "LAYING"]["share_uci"] == pytest.approx(2 / 7)
    # a class absent on UCI's side: the ratio is NaN, not a division error
    (r,) = [r for r in hw.compare_class_counts({"train": np.array([0]), "test": np.array([1])},
                                               {"train": np.array([0]), "test": np.array([0])})
            if r["split"] == "test" and r["class"] == "WALKING_UPSTAIRS"]
    assert r["diff"] == 1 and np.isnan(r["ratio"])


def test_share_shift_is_the_total_variation_distance():
    assert hw.share_shift(np.array([0, 1, 2, 3, 4, 5]), np.array([5, 4, 3, 2, 1, 0])) == 0.0
    # ours 2/3 class 0, 1/3 class 1; UCI 1/3, 2/3: shares differ by 1/3 each way
    assert hw.share_shift(np.array([0, 0, 1]), np.array([0, 1, 1])) == pytest.approx(1 / 3)
    assert hw.share_shift(np.array([0]), np.array([5])) == pytest.approx(1.0)


def test_subject_counts_and_identical_sets(files):
    npz, labels = files
    ours, _ = hw.load_ours(npz)
    uci = hw.load_uci_labels(labels)
    rows, sets = hw.compare_subjects({k: v[2] for k, v in ours.items()}, {k: v[1] for k, v in uci.items()},
                                     {k: v[1] for k, v in ours.items()}, {k: v[0] for k, v in uci.items()})
    by = {r["subject"]: r for r in rows}
    assert sorted(by) == [1, 2, 3, 5]
    assert (by[1]["ours"], by[1]["uci"], by[1]["diff"]) == (8, 6, 2)
    assert by[1]["diff_per_class"] == [0, 0, 0, 0, 2, 0]
    assert by[2]["diff_per_class"] == [0, 0, 0, 1, 0, -1] and by[2]["diff"] == 0
    assert by[5]["diff"] == 0 and by[5]["split_ours"] == by[5]["split_uci"] == "train"
    assert sets["train"]["identical"] and sets["test"]["identical"]
    assert sets["train"]["n_ours"] == sets["train"]["n_uci"] == 3


def test_different_subject_sets_are_reported():
    ours = {"train": np.array([1, 1, 3]), "test": np.array([2, 4])}
    uci = {"train": np.array([1, 3, 4]), "test": np.array([2])}
    rows, sets = hw.compare_subjects(ours, uci)
    assert not sets["train"]["identical"] and sets["train"]["only_uci"] == [4] and sets["train"]["only_ours"] == []
    assert not sets["test"]["identical"] and sets["test"]["only_ours"] == [4]
    by = {r["subject"]: r for r in rows}
    assert (by[4]["split_ours"], by[4]["split_uci"]) == ("test", "train")
    assert (by[1]["ours"], by[1]["uci"], by[1]["diff"]) == (2, 1, 1)
    assert "diff_per_class" not in by[1]


@pytest.mark.parametrize("missing", ["train/y_train.txt", "test/subject_test.txt"])
def test_missing_label_file_is_a_clear_error(files, missing, capsys):
    npz, labels = files
    (labels / missing).unlink()
    with pytest.raises(FileNotFoundError, match=missing.split("/")[-1] + ".*UCI HAR label file not found"):
        hw.load_uci_labels(labels)
    with pytest.raises(SystemExit) as e:
        hw.main(["--npz", str(npz), "--uci-labels", str(labels)])
    assert str(e.value).startswith("error: ") and missing.split("/")[-1] in str(e.value)


def test_label_and_subject_files_of_different_lengths(files):
    _, labels = files
    (labels / "test" / "subject_test.txt").write_text("2\n2\n")
    with pytest.raises(ValueError, match="7 rows but .*subject_test.txt has 2"):
        hw.load_uci_labels(labels)


def test_report_prints_every_table(files, capsys):
    npz, labels = files
    hw.main(["--npz", str(npz), "--uci-labels", str(labels)])
    out = capsys.readouterr().out
    assert "| train | STANDING | 5 | 3 | +2 | 1.667 |" in out
    assert "train subjects identical: **yes**" in out and "test subjects identical: **yes**" in out
    assert "not in the mirror" in out
    assert "| c0 | g |" in out
    assert "| nearest centroid | 1.0000 |" in out   # classes are constant levels: separable
