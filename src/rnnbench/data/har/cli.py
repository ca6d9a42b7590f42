"""``python -m rnnbench.data.har --source {uci,hapt} --raw DIR --out FILE [--val-subjects N] [--seed S]``:
prepare the HAR windows from either source and print the per-class counts beside UCI HAR's."""
from __future__ import annotations

import argparse
import zipfile
from pathlib import Path

from ..registry import UCI_HAR_ZIP
from . import __doc__ as _package_doc
from .hapt import prepare_hapt
from .prepared import UCI_COUNTS
from .uci import prepare_uci


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m rnnbench.data.har", description=_package_doc.splitlines()[0])
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
