"""Fetch a declared dataset: mirror first, then the canonical URL; verify; move into place.

Every file the prepare step reads is declared in :mod:`rnnbench.data.registry` with the
sha256 of its *content* (after any decompression), so a re-gzipped mirror copy of the same
bytes passes and a corrupt or truncated one fails. A source is a place that holds one or
more declared files: a plain file, a compressed file (.gz/.bz2/.xz), or an archive
(.zip/.tar/.tar.xz/...) holding them as members; a zip inside a zip is opened too (UCI HAR
ships that way).

Everything is written under a temporary name in the destination folder, verified, and only
then renamed into place: a failed or corrupt fetch leaves nothing behind, and the error
names the file, the expected and the actual checksum. When one source fails, the next one is
tried; when all fail, the error lists every attempt and says how to point ``RNNBENCH_MIRROR``
at a local copy.
"""
from __future__ import annotations

import bz2
import gzip
import hashlib
import io
import lzma
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterable

from .registry import DATASETS, Dataset, RemoteFile

CHUNK = 1 << 20
MIRROR_ENV = "RNNBENCH_MIRROR"


class FetchError(RuntimeError):
    """A dataset could not be fetched from any source."""


class ChecksumError(FetchError):
    """A file's content does not match its declared sha256."""

    def __init__(self, name: str, source: str, expected: str, actual: str):
        self.name, self.source, self.expected, self.actual = name, source, expected, actual
        super().__init__(
            f"checksum mismatch for {name!r} from {source}: expected sha256 {expected}, "
            f"found {actual} (corrupt or truncated file; nothing was kept)"
        )


def resolve_mirror(configured: str | os.PathLike | None = None) -> Path | None:
    """The mirror folder: ``data.mirror`` from config if set, else ``$RNNBENCH_MIRROR``."""
    value = configured or os.environ.get(MIRROR_ENV) or None
    return Path(value).expanduser().resolve() if value else None


def _decompressor(name: str, raw: BinaryIO) -> BinaryIO:
    if name.endswith(".gz"):
        return gzip.GzipFile(fileobj=raw)  # type: ignore[return-value]
    if name.endswith(".bz2"):
        return bz2.BZ2File(raw)  # type: ignore[return-value]
    if name.endswith(".xz") or name.endswith(".lzma"):
        return lzma.LZMAFile(raw)  # type: ignore[return-value]
    return raw


def _strip_compression(name: str) -> str:
    for suffix in (".gz", ".bz2", ".xz", ".lzma"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _is_archive(name: str) -> bool:
    n = name.lower()
    return n.endswith((".zip", ".tar", ".tgz", ".tar.gz", ".tar.bz2", ".tar.xz"))


def _copy_hashing(src: BinaryIO, dst: BinaryIO) -> str:
    h = hashlib.sha256()
    while True:
        block = src.read(CHUNK)
        if not block:
            return h.hexdigest()
        h.update(block)
        dst.write(block)


def sha256_file(path: str | os.PathLike) -> str:
    """sha256 of a file's bytes as stored."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def _iter_members(name: str, fileobj: BinaryIO) -> Iterable[tuple[str, BinaryIO]]:
    """Yield (member path, stream) for every regular file in an archive, recursing into
    nested zips (their members are named ``outer/inner.zip/path``)."""
    lower = name.lower()
    if lower.endswith(".zip"):
        with zipfile.ZipFile(fileobj) as zf:
            for info in zf.infolist():
                if info.is_dir():
                    continue
                with zf.open(info) as stream:
                    if info.filename.lower().endswith(".zip"):
                        # zipfile needs a seekable object: nested zips are small enough (UCI HAR: 60 MB)
                        inner = io.BytesIO(stream.read())
                        for sub, s in _iter_members(info.filename, inner):
                            yield f"{info.filename}/{sub}", s
                    else:
                        yield info.filename, stream  # type: ignore[misc]
    else:
        with tarfile.open(fileobj=fileobj, mode="r|*") as tf:
            for info in tf:
                if info.isfile():
                    stream = tf.extractfile(info)
                    assert stream is not None
                    yield info.name, stream  # type: ignore[misc]


@dataclass
class _Staged:
    spec: RemoteFile
    tmp: Path
    sha: str


class _Stager:
    """Writes candidate files to temporary names in ``dest`` and removes them on failure."""

    def __init__(self, dest: Path):
        self.dest = dest
        self.staged: dict[str, _Staged] = {}

    def stage(self, spec: RemoteFile, stream: BinaryIO) -> None:
        fd, tmp = tempfile.mkstemp(prefix=f".{Path(spec.name).name}.", suffix=".part", dir=self.dest)
        try:
            with os.fdopen(fd, "wb") as out:
                sha = _copy_hashing(stream, out)
        except BaseException:  # a truncated or corrupt stream fails mid-copy: keep nothing
            Path(tmp).unlink(missing_ok=True)
            raise
        old = self.staged.pop(spec.name, None)
        if old:
            old.tmp.unlink(missing_ok=True)
        self.staged[spec.name] = _Staged(spec, Path(tmp), sha)

    def discard(self) -> None:
        for s in self.staged.values():
            s.tmp.unlink(missing_ok=True)
        self.staged.clear()


def _member_matches(member: str, spec: RemoteFile) -> bool:
    wanted = spec.member or spec.name
    return member == wanted or member.endswith("/" + wanted)


def _read_source(location: str, opener, wanted: list[RemoteFile], stager: _Stager) -> None:
    """Open one source (``opener()`` returns a binary stream) and stage the wanted files it holds."""
    with opener() as raw:
        # a compressed copy of the declared file itself (imdb: aclImdb_labelled.tar.xz holds the
        # declared .tar) is a single-file source, even when the declared file is an archive
        itself = len(wanted) == 1 and Path(_strip_compression(location)).name == Path(wanted[0].name).name
        if not itself and (_is_archive(_strip_compression(location)) or _is_archive(location)):
            # tar streams detect their own compression ("r|*"); zips are local, seekable files
            remaining = {s.name: s for s in wanted}
            for member, mstream in _iter_members(location, raw):
                for spec in list(remaining.values()):
                    if _member_matches(member, spec):
                        stager.stage(spec, mstream)
                        del remaining[spec.name]
                        break
                if not remaining:
                    break
        else:
            assert len(wanted) == 1, "a single-file source holds exactly one declared file"
            stager.stage(wanted[0], _decompressor(location, raw))


def _verify(stager: _Stager, source: str) -> None:
    for s in stager.staged.values():
        if s.sha != s.spec.sha256:
            raise ChecksumError(s.spec.name, source, s.spec.sha256, s.sha)


def _download(url: str, dest_dir: Path, timeout: float = 60.0) -> Path:
    fd, tmp = tempfile.mkstemp(prefix=".download.", suffix=".part", dir=dest_dir)
    try:
        req = urllib.request.Request(url, headers={"User-Agent": "rnnbench/0.1 (+dataset fetch)"})
        with urllib.request.urlopen(req, timeout=timeout) as resp, os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(resp, out, CHUNK)
        return Path(tmp)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _sources(ds: Dataset, mirror: Path | None, files: list[RemoteFile]):
    """Yield (description, location name, opener factory, files it may hold) in the order to try."""
    if mirror is not None:
        folder = mirror / ds.mirror_dir
        for rel in ds.mirror_sources:
            path = folder / rel
            if path.exists():
                held = [f for f in files if rel in f.mirror] or files
                yield f"mirror {path}", rel, (lambda p=path: open(p, "rb")), held, None
        for f in files:
            for rel in f.mirror:
                if rel in ds.mirror_sources:
                    continue
                path = folder / rel
                if path.exists():
                    yield f"mirror {path}", rel, (lambda p=path: open(p, "rb")), [f], None
    for url in ds.urls:
        yield f"URL {url}", url.rsplit("/", 1)[-1], None, files, url
    for f in files:
        for url in f.urls:
            yield f"URL {url}", url.rsplit("/", 1)[-1], None, [f], url


def fetch(
    dataset: str,
    dest: str | os.PathLike,
    mirror: str | os.PathLike | None = None,
    *,
    allow_network: bool = True,
) -> list[Path]:
    """Materialise every declared file of ``dataset`` under ``dest`` and return their paths.

    ``mirror`` is the mirror root (``<mirror>/<dataset dir>/<file>``); ``None`` means
    ``$RNNBENCH_MIRROR`` if set. Files already present with the right checksum are kept.
    """
    if dataset not in DATASETS:
        raise FetchError(f"unknown dataset {dataset!r}; declared: {', '.join(sorted(DATASETS))}")
    ds = DATASETS[dataset]
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    mirror_path = resolve_mirror(mirror)
    if mirror_path is not None and not mirror_path.is_dir():
        raise FetchError(f"mirror folder {mirror_path} does not exist (set {MIRROR_ENV} or data.mirror)")

    todo = [f for f in ds.files if not ((dest / f.name).exists() and sha256_file(dest / f.name) == f.sha256)]
    attempts: list[str] = []
    for desc, location, opener, held, url in _sources(ds, mirror_path, todo):
        held = [f for f in held if f in todo]
        if not held:
            continue
        if url is not None and not allow_network:
            attempts.append(f"{desc}: skipped (network disabled)")
            continue
        stager = _Stager(dest)
        downloaded: Path | None = None
        try:
            if url is not None:
                downloaded = _download(url, dest)
                opener = lambda p=downloaded: open(p, "rb")  # noqa: E731
            _read_source(location, opener, held, stager)
            _verify(stager, desc)
            missing = [f.name for f in held if f.name not in stager.staged]
            if missing and len(held) == len(todo):
                # an archive source must hold every file it is declared for
                raise FetchError(f"{desc} does not contain {', '.join(missing)}")
        except ChecksumError as e:
            stager.discard()
            attempts.append(str(e))
            continue
        except (OSError, EOFError, zipfile.BadZipFile, tarfile.TarError, lzma.LZMAError,
                urllib.error.URLError, FetchError, ValueError) as e:
            stager.discard()
            attempts.append(f"{desc}: {type(e).__name__}: {e}")
            continue
        finally:
            if downloaded is not None:
                downloaded.unlink(missing_ok=True)
        for s in stager.staged.values():
            target = dest / s.spec.name
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(s.tmp, target)
        todo = [f for f in todo if f.name not in stager.staged]
        if not todo:
            break

    if todo:
        lines = "\n  ".join(attempts) or "no source declared or found"
        raise FetchError(
            f"could not fetch {dataset!r}: missing {', '.join(f.name for f in todo)}.\n  {lines}\n"
            f"Without network access, point {MIRROR_ENV} (or data.mirror in the config) at a folder "
            f"laid out <dataset>/<file>, e.g. {MIRROR_ENV}=../shared/datasets."
        )
    return [dest / f.name for f in ds.files]


def main(argv: list[str] | None = None) -> None:
    import argparse

    p = argparse.ArgumentParser(prog="python -m rnnbench.data.fetch", description=__doc__.splitlines()[0])
    p.add_argument("dataset", choices=sorted(DATASETS))
    p.add_argument("dest")
    p.add_argument("--mirror", default=None, help=f"mirror root (default: ${MIRROR_ENV})")
    p.add_argument("--no-network", action="store_true", help="try the mirror only")
    p.add_argument("--manifest", default=None,
                   help="write '<sha256>  <file>' lines of the verified files here (last, atomically)")
    a = p.parse_args(argv)
    try:
        paths = fetch(a.dataset, a.dest, a.mirror, allow_network=not a.no_network)
    except FetchError as e:
        raise SystemExit(f"error: {e}")
    ds = DATASETS[a.dataset]
    for path in paths:
        print(path)
    if a.manifest:
        from ..records import atomic_write_text

        atomic_write_text(a.manifest, "".join(f"{f.sha256}  {f.name}\n" for f in ds.files))


if __name__ == "__main__":
    main()
