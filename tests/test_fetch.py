"""Fetch: mirror first, checksums of decompressed content, nothing left behind on failure."""
from __future__ import annotations

import gzip
import hashlib
import io
import lzma
import tarfile
import zipfile
from pathlib import Path

import pytest

from rnnbench.data import fetch as fetch_mod
from rnnbench.data.fetch import FetchError, fetch
from rnnbench.data.registry import DATASETS, Dataset, RemoteFile

# Fixture payloads (tiny, made up for these tests; not a dataset)
ALPHA = b"alpha fixture line\n" * 50
BETA = b"beta fixture line\n" * 30


def sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


@pytest.fixture
def declare(monkeypatch):
    def _declare(ds: Dataset) -> str:
        monkeypatch.setitem(DATASETS, ds.name, ds)
        return ds.name
    return _declare


def leftovers(dest: Path) -> list[str]:
    return sorted(p.name for p in dest.rglob("*")) if dest.exists() else []


def test_regzipped_mirror_copy_passes_and_is_decompressed(tmp_path, declare):
    mirror = tmp_path / "mirror" / "fx"
    mirror.mkdir(parents=True)
    (mirror / "alpha.txt.gz").write_bytes(gzip.compress(ALPHA, mtime=0))
    name = declare(Dataset("fx", "fx", "-", "-", files=(RemoteFile("alpha.txt", sha(ALPHA), mirror=("alpha.txt.gz",)),)))
    out = fetch(name, tmp_path / "raw", tmp_path / "mirror", allow_network=False)
    assert out[0].read_bytes() == ALPHA
    assert leftovers(tmp_path / "raw") == ["alpha.txt"]


def test_corrupt_file_names_file_and_checksums_and_leaves_nothing(tmp_path, declare):
    mirror = tmp_path / "mirror" / "fx"
    mirror.mkdir(parents=True)
    (mirror / "alpha.txt").write_bytes(ALPHA[:-7])  # truncated
    name = declare(Dataset("fx", "fx", "-", "-", files=(RemoteFile("alpha.txt", sha(ALPHA), mirror=("alpha.txt",)),)))
    with pytest.raises(FetchError) as e:
        fetch(name, tmp_path / "raw", tmp_path / "mirror", allow_network=False)
    msg = str(e.value)
    assert "alpha.txt" in msg and sha(ALPHA) in msg and sha(ALPHA[:-7]) in msg
    assert leftovers(tmp_path / "raw") == []


def test_truncated_gzip_is_an_error_not_a_crash(tmp_path, declare):
    mirror = tmp_path / "mirror" / "fx"
    mirror.mkdir(parents=True)
    (mirror / "alpha.txt.gz").write_bytes(gzip.compress(ALPHA)[:-20])
    name = declare(Dataset("fx", "fx", "-", "-", files=(RemoteFile("alpha.txt", sha(ALPHA), mirror=("alpha.txt.gz",)),)))
    with pytest.raises(FetchError, match="alpha.txt.gz"):
        fetch(name, tmp_path / "raw", tmp_path / "mirror", allow_network=False)
    assert leftovers(tmp_path / "raw") == []


def test_next_source_is_tried_after_a_corrupt_one(tmp_path, declare):
    mirror = tmp_path / "mirror" / "fx"
    mirror.mkdir(parents=True)
    (mirror / "alpha.txt").write_bytes(b"garbage")
    (mirror / "alpha.txt.xz").write_bytes(lzma.compress(ALPHA))
    name = declare(Dataset("fx", "fx", "-", "-",
                           files=(RemoteFile("alpha.txt", sha(ALPHA), mirror=("alpha.txt", "alpha.txt.xz")),)))
    out = fetch(name, tmp_path / "raw", tmp_path / "mirror", allow_network=False)
    assert out[0].read_bytes() == ALPHA


def test_archive_members_are_checked_one_by_one(tmp_path, declare):
    mirror = tmp_path / "mirror" / "fx"
    mirror.mkdir(parents=True)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:xz") as tf:
        for n, b in (("Raw/alpha.txt", ALPHA), ("Raw/beta.txt", BETA)):
            info = tarfile.TarInfo(n)
            info.size = len(b)
            tf.addfile(info, io.BytesIO(b))
    (mirror / "Raw.tar.xz").write_bytes(buf.getvalue())
    files = (RemoteFile("Raw/alpha.txt", sha(ALPHA)), RemoteFile("Raw/beta.txt", sha(BETA)))
    name = declare(Dataset("fx", "fx", "-", "-", files=files, mirror_sources=("Raw.tar.xz",)))
    fetch(name, tmp_path / "raw", tmp_path / "mirror", allow_network=False)
    assert (tmp_path / "raw" / "Raw" / "beta.txt").read_bytes() == BETA

    # one corrupt member: neither member is kept
    bad = (RemoteFile("Raw/alpha.txt", sha(ALPHA)), RemoteFile("Raw/beta.txt", sha(b"other")))
    name = declare(Dataset("fx2", "fx", "-", "-", files=bad, mirror_sources=("Raw.tar.xz",)))
    with pytest.raises(FetchError) as e:
        fetch(name, tmp_path / "raw2", tmp_path / "mirror", allow_network=False)
    assert "Raw/beta.txt" in str(e.value) and sha(b"other") in str(e.value) and sha(BETA) in str(e.value)
    assert [p for p in leftovers(tmp_path / "raw2") if p != "Raw"] == []


def test_nested_zip_member(tmp_path, declare):
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as z:
        z.writestr("data/alpha.txt", ALPHA)
    outer = tmp_path / "mirror" / "fx" / "outer.zip"
    outer.parent.mkdir(parents=True)
    with zipfile.ZipFile(outer, "w") as z:
        z.writestr("inner.zip", inner.getvalue())
    name = declare(Dataset("fx", "fx", "-", "-", files=(RemoteFile("alpha.txt", sha(ALPHA), member="data/alpha.txt"),),
                           mirror_sources=("outer.zip",)))
    out = fetch(name, tmp_path / "raw", tmp_path / "mirror", allow_network=False)
    assert out[0].read_bytes() == ALPHA


def test_no_mirror_and_no_network_names_url_and_mirror_variable(tmp_path, declare, monkeypatch):
    monkeypatch.delenv("RNNBENCH_MIRROR", raising=False)
    url = "http://127.0.0.1:9/nothing/alpha.txt.gz"  # discard port: connection refused at once
    name = declare(Dataset("fx", "fx", "-", "-", files=(RemoteFile("alpha.txt", sha(ALPHA), urls=(url,)),)))
    with pytest.raises(FetchError) as e:
        fetch(name, tmp_path / "raw", None)
    assert url in str(e.value) and "RNNBENCH_MIRROR" in str(e.value)
    assert leftovers(tmp_path / "raw") == []


def test_missing_mirror_folder_and_unknown_dataset(tmp_path):
    with pytest.raises(FetchError, match="does not exist"):
        fetch("mnist", tmp_path / "raw", tmp_path / "nowhere")
    with pytest.raises(FetchError, match="unknown dataset"):
        fetch("not-a-dataset", tmp_path / "raw", None)


def test_real_mirror_hapt_and_mnist(tmp_path, mirror):
    paths = fetch("mnist", tmp_path / "mnist", mirror, allow_network=False)
    assert [p.name for p in paths][0] == "train-images-idx3-ubyte"
    assert paths[0].stat().st_size == 47040016
    # cli writes the manifest last
    fetch_mod.main(["names", str(tmp_path / "names"), "--mirror", str(mirror), "--no-network",
                    "--manifest", str(tmp_path / "names" / "SHA256SUMS")])
    assert "names/male.txt" in (tmp_path / "names" / "SHA256SUMS").read_text()
