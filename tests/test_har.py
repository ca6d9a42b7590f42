"""Tests of the HAR prepare step (rnnbench.data.har).

UCI HAR's zip is not in the offline mirror, so prepare_uci is checked on a tiny synthetic zip
FIXTURE with the real layout (outer zip -> "UCI HAR Dataset.zip" -> "UCI HAR Dataset/..."); its
numbers are made up and say nothing about the dataset. prepare_hapt is checked on a small synthetic
raw folder (FIXTURE) and, when the mirror is there, on the real HAPT recordings.
"""
from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest

from rnnbench.data import har
from rnnbench.data.registry import UCI_HAR_ZIP

MIRROR = Path(os.environ.get("RNNBENCH_MIRROR") or Path(__file__).resolve().parents[2] / "shared" / "datasets")

# -------------------------------------------------------------------------- UCI fixture (synthetic)

FIX_TRAIN_SUBJECTS = [1, 3, 5, 6, 7, 8, 11]
FIX_TEST_SUBJECTS = [2, 4]
PER_SUBJECT = 3


def _fixture_split(subjects: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """FIXTURE values: x[i, t, c] = (c + 1) * 10 + i / 100 + t / 1e4, so the channel order is visible."""
    s = np.repeat(subjects, PER_SUBJECT)
    y = (np.arange(len(s)) % 6) + 1
    i = np.arange(len(s))[:, None, None]
    t = np.arange(har.WINDOW)[None, :, None]
    c = np.arange(9)[None, None, :]
    x = (c + 1) * 10 + i / 100 + t / 1e4
    return x, y, s


def _uci_files(drop: str | None = None, short_row: str | None = None) -> dict[str, bytes]:
    files = {"UCI HAR Dataset/activity_labels.txt":
             "".join(f"{k + 1} {n}\n" for k, n in enumerate(har.CLASS_NAMES)).encode()}
    for split, subj in (("train", FIX_TRAIN_SUBJECTS), ("test", FIX_TEST_SUBJECTS)):
        x, y, s = _fixture_split(subj)
        base = f"UCI HAR Dataset/{split}"
        files[f"{base}/y_{split}.txt"] = "".join(f"{v}\n" for v in y).encode()
        files[f"{base}/subject_{split}.txt"] = "".join(f"{v}\n" for v in s).encode()
        for ch_i, ch in enumerate(har.CHANNELS):
            rows = [x[n, :, ch_i] for n in range(len(y))]
            name = f"{base}/Inertial Signals/{ch}_{split}.txt"
            if name == short_row:
                rows[1] = rows[1][:-1]
            # UCI's own format: leading spaces, scientific notation
            files[name] = "".join(" " + " ".join(f"{v:15.7e}" for v in r) + "\n" for r in rows).encode()
    if drop:
        files.pop(drop)
    return files


def _zip_bytes(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for n, b in files.items():
            z.writestr(n, b)
    return buf.getvalue()


def make_uci_zip(path: Path, nested: bool = True, **kw) -> Path:
    """Write a FIXTURE zip laid out like UCI's download (nested) or the old direct one (flat)."""
    inner = _zip_bytes(_uci_files(**kw))
    if nested:
        decoy = {"__MACOSX/UCI HAR Dataset/train/._y_train.txt": b"\x00\x05junk"}
        outer = _zip_bytes({"UCI HAR Dataset.zip": inner, **decoy})
        path.write_bytes(outer)
    else:
        path.write_bytes(inner)
    return path


@pytest.mark.parametrize("nested", [True, False])
def test_uci_fixture_round_trip(tmp_path, nested):
    zp = make_uci_zip(tmp_path / UCI_HAR_ZIP, nested=nested)
    out = tmp_path / "har.npz"
    meta = har.prepare_uci(zp, out, val_subjects=2, seed=3)
    with np.load(out) as z:
        assert sorted(z.files) == sorted(["meta"] + [f"{a}_{s}" for a in ("x", "y", "subject")
                                                     for s in ("train", "val", "test")])
        assert json.loads(str(z["meta"])) == meta
    t = har.load_har(out)
    assert t.kind == "classification" and t.n_outputs == 6 and t.source == "UCI HAR v1.0"
    assert t.meta["source"] == "uci" and t.input_size == 9
    n_tr = len(FIX_TRAIN_SUBJECTS) * PER_SUBJECT
    assert len(t.x_train) + len(t.x_val) == n_tr and len(t.x_test) == len(FIX_TEST_SUBJECTS) * PER_SUBJECT
    for x, y in ((t.x_train, t.y_train), (t.x_val, t.y_val), (t.x_test, t.y_test)):
        assert x.dtype == np.float32 and x.shape[1:] == (128, 9)
        assert y.dtype == np.int64 and y.min() >= 0 and y.max() <= 5
    # channel order: the fixture puts (c + 1) * 10 into channel c of CHANNELS
    np.testing.assert_allclose(np.floor(t.x_test[:, 0, :] / 10), np.tile(np.arange(1, 10), (len(t.x_test), 1)))
    # labels 1..6 -> 0..5, in file order
    _, y_test, _ = _fixture_split(FIX_TEST_SUBJECTS)
    np.testing.assert_array_equal(t.y_test, y_test - 1)
    with np.load(out) as z:
        s_tr, s_va, s_te = (set(z[f"subject_{k}"].tolist()) for k in ("train", "val", "test"))
    assert not (s_tr & s_va) and not (s_tr & s_te) and not (s_va & s_te)
    assert len(s_va) == 2 and s_va <= set(FIX_TRAIN_SUBJECTS) and s_te == set(FIX_TEST_SUBJECTS)
    assert meta["val_subjects"] == sorted(s_va)
    assert meta["class_names"] == list(har.CLASS_NAMES)
    assert meta["uci_reference_counts"] == har.UCI_COUNTS
    # same seed -> same validation subjects
    assert har.prepare_uci(zp, tmp_path / "again.npz", val_subjects=2, seed=3)["val_subjects"] == meta["val_subjects"]


def test_uci_missing_member(tmp_path):
    zp = make_uci_zip(tmp_path / UCI_HAR_ZIP,
                      drop="UCI HAR Dataset/test/Inertial Signals/body_gyro_y_test.txt")
    with pytest.raises(FileNotFoundError, match="body_gyro_y_test.txt"):
        har.prepare_uci(zp, tmp_path / "har.npz")
    assert not (tmp_path / "har.npz").exists()


def test_uci_wrong_shape(tmp_path):
    zp = make_uci_zip(tmp_path / UCI_HAR_ZIP, short_row="UCI HAR Dataset/train/Inertial Signals/total_acc_z_train.txt")
    with pytest.raises(ValueError, match="total_acc_z_train.txt"):
        har.prepare_uci(zp, tmp_path / "har.npz")
    assert list(tmp_path.glob("*.npz")) == []


def test_uci_bad_val_subjects(tmp_path):
    zp = make_uci_zip(tmp_path / UCI_HAR_ZIP)
    with pytest.raises(ValueError, match="val_subjects"):
        har.prepare_uci(zp, tmp_path / "har.npz", val_subjects=len(FIX_TRAIN_SUBJECTS))


def test_cli_errors(tmp_path):
    with pytest.raises(SystemExit, match=r"^error: .*" + UCI_HAR_ZIP.replace("+", r"\+")):
        har.main(["--source", "uci", "--raw", str(tmp_path), "--out", str(tmp_path / "o.npz")])
    with pytest.raises(SystemExit, match=r"^error: .*labels\.txt"):
        har.main(["--source", "hapt", "--raw", str(tmp_path), "--out", str(tmp_path / "o.npz")])


def test_cli_uci(tmp_path, capsys):
    make_uci_zip(tmp_path / UCI_HAR_ZIP)
    har.main(["--source", "uci", "--raw", str(tmp_path), "--out", str(tmp_path / "o.npz"),
              "--val-subjects", "1", "--seed", "5"])
    assert har.load_har(tmp_path / "o.npz").meta["val_subjects_requested"] == 1
    assert "UCI HAR v1.0" in capsys.readouterr().out


# ------------------------------------------------------------------------- HAPT fixture (synthetic)

def make_hapt_dir(root: Path, n_rows: int = 2000) -> Path:
    """FIXTURE: 3 experiments (users 1, 3 train; 2 test); acc = gravity (0, 0, 1) g + a 2 Hz body
    sinusoid of 0.1 g on x; gyro = 0.5 rad/s on z."""
    d = root / "RawData"
    d.mkdir(parents=True)
    t = np.arange(n_rows) / har.FS
    acc = np.stack([0.1 * np.sin(2 * np.pi * 2 * t), np.zeros_like(t), np.ones_like(t)], axis=1)
    gyro = np.stack([np.zeros_like(t), np.zeros_like(t), np.full_like(t, 0.5)], axis=1)
    labels = []
    for exp, user in ((1, 1), (2, 2), (3, 3)):
        np.savetxt(d / f"acc_exp{exp:02d}_user{user:02d}.txt", acc)
        np.savetxt(d / f"gyro_exp{exp:02d}_user{user:02d}.txt", gyro)
        labels += [(exp, user, 5, 101, 400),     # 300 rows -> 3 windows
                   (exp, user, 7, 401, 500),     # a transition: ignored
                   (exp, user, 1, 501, 627),     # 127 rows -> no window
                   (exp, user, 1, 701, 1400)]    # 700 rows -> 9 windows
    np.savetxt(d / "labels.txt", np.array(labels), fmt="%d")
    return d


def test_hapt_fixture(tmp_path):
    make_hapt_dir(tmp_path / "raw")
    meta = har.prepare_hapt(tmp_path / "raw", tmp_path / "h.npz", val_subjects=1, seed=0)
    t = har.load_har(tmp_path / "h.npz")
    assert t.source == "HAPT raw recordings (HAR-equivalent windows)" and meta["source"] == "hapt"
    assert meta["counts_uci_split"] == {"train": [18, 0, 0, 0, 6, 0], "test": [9, 0, 0, 0, 3, 0]}
    assert len(t.x_val) == 12 and meta["val_subjects"] in ([1], [3])
    assert "not bit-identical" in meta["description"].lower()
    x = np.concatenate([t.x_train, t.x_val, t.x_test])
    # away from the recording's edges: gravity ~ (0, 0, 1), body_acc ~ the 2 Hz sinusoid, gyro ~ 0.5
    gravity = x[..., 6:9] - x[..., 0:3]
    np.testing.assert_allclose(gravity[..., 2], 1.0, atol=0.02)
    np.testing.assert_allclose(x[..., 5], 0.5, atol=1e-3)
    assert 0.06 < np.abs(x[..., 0]).max() < 0.11 and np.abs(x[..., 2]).max() < 0.02


def test_hapt_missing_file(tmp_path):
    d = make_hapt_dir(tmp_path / "raw")
    (d / "gyro_exp02_user02.txt").unlink()
    with pytest.raises(FileNotFoundError, match="gyro_exp02_user02.txt"):
        har.prepare_hapt(tmp_path / "raw", tmp_path / "h.npz")
    with pytest.raises(SystemExit, match="^error: .*gyro_exp02_user02.txt"):
        har.main(["--source", "hapt", "--raw", str(tmp_path / "raw"), "--out", str(tmp_path / "h.npz")])
    assert not (tmp_path / "h.npz").exists()


def test_hapt_bad_segment_and_shape(tmp_path):
    make_hapt_dir(tmp_path / "raw", n_rows=1200)   # the 701..1400 segment runs past the end
    with pytest.raises(ValueError, match="out-of-range segment"):
        har.prepare_hapt(tmp_path / "raw", tmp_path / "h.npz")
    d2 = make_hapt_dir(tmp_path / "raw2")
    np.savetxt(d2 / "acc_exp03_user03.txt", np.zeros((2000, 2)))
    with pytest.raises(ValueError, match="acc_exp03_user03.txt"):
        har.prepare_hapt(tmp_path / "raw2", tmp_path / "h.npz")


# ----------------------------------------------------------------------------- HAPT, real mirror

PLAIN_CUT = {"train": [1226, 1073, 987, 1293, 1423, 1413], "test": [496, 471, 420, 508, 556, 545]}


@pytest.fixture(scope="module")
def hapt_real(tmp_path_factory):
    if not (MIRROR / "hapt").is_dir():
        pytest.skip(f"no HAPT mirror at {MIRROR / 'hapt'} (set RNNBENCH_MIRROR)")
    from rnnbench.data.fetch import fetch

    tmp = tmp_path_factory.mktemp("hapt")
    fetch("hapt", tmp / "raw", MIRROR, allow_network=False)
    meta = har.prepare_hapt(tmp / "raw", tmp / "har.npz", val_subjects=4, seed=0)
    return meta, har.load_har(tmp / "har.npz"), tmp / "har.npz"


def test_hapt_real_counts(hapt_real):
    meta, t, _ = hapt_real
    assert meta["counts_uci_split"] == PLAIN_CUT
    assert meta["diff_vs_uci"] == {k: [a - b for a, b in zip(PLAIN_CUT[k], har.UCI_COUNTS[k])] for k in PLAIN_CUT}
    assert sum(meta["n_windows"].values()) == 10411
    tr, va = meta["counts"]["train"], meta["counts"]["val"]
    assert [a + b for a, b in zip(tr, va)] == PLAIN_CUT["train"]


def test_hapt_real_arrays(hapt_real):
    meta, t, path = hapt_real
    for x in (t.x_train, t.x_val, t.x_test):
        assert x.dtype == np.float32 and x.shape[1:] == (128, 9) and np.isfinite(x).all()
    x = np.concatenate([t.x_train, t.x_val, t.x_test])
    y = np.concatenate([t.y_train, t.y_val, t.y_test])
    gravity = x[..., 6:9] - x[..., 0:3]
    for c in (3, 4, 5):   # SITTING, STANDING, LAYING: gravity alone, ~1 g
        mag = np.linalg.norm(gravity[y == c], axis=-1).mean()
        assert 0.95 < mag < 1.08, (har.CLASS_NAMES[c], mag)
        assert x[y == c][..., 0:3].std() < 0.05      # little body motion when static
    assert x[y == 0][..., 0:3].std() > 0.1           # walking moves
    with np.load(path) as z:
        s = {k: set(z[f"subject_{k}"].tolist()) for k in ("train", "val", "test")}
    assert not (s["train"] & s["val"]) and not (s["train"] & s["test"]) and not (s["val"] & s["test"])
    assert s["test"] == set(har.TEST_SUBJECTS) and len(s["val"]) == 4
    assert s["train"] | s["val"] | s["test"] == set(range(1, 31))
