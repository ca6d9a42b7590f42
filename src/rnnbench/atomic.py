"""The one way files are written: to a temporary name beside the target, renamed into place.

A killed or failed writer leaves the old file (or nothing) and never a half-written one that
looks finished, which is what lets Snakemake's ``--rerun-incomplete`` trust every output it sees.
"""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """A temporary path beside ``path`` (same folder, so the rename is atomic; same suffix, so
    writers that infer a format from it still do) to write to. When the block ends without error
    it is renamed onto ``path`` with the usual file mode; on error it is removed."""
    path = Path(path)
    if path.exists() and not path.is_file() and not path.is_dir():
        # a device or a pipe (`--out /dev/null`): written in place; renaming a file onto it would
        # replace /dev/null itself with a regular file, for every program on the machine
        yield path
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".part{path.suffix}", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        umask = os.umask(0)
        os.umask(umask)
        tmp.chmod(0o666 & ~umask)  # mkstemp creates 0600; outputs are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text(path: str | os.PathLike, text: str) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)
