"""Helpers the report document uses: read aggregated tables and figures, show them the same way
under Quarto and under the Jupyter path."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
from IPython.display import HTML, Image, Markdown, display


def results_dir() -> Path:
    return Path(os.environ.get("RNNBENCH_RESULTS", "results")).resolve()


def config() -> dict:
    raw = os.environ.get("RNNBENCH_CONFIG")
    return json.loads(raw) if raw else {}


def table(name: str) -> pd.DataFrame | None:
    p = results_dir() / "tables" / name
    return pd.read_csv(p) if p.exists() and p.stat().st_size else None


def show_table(name: str, caption: str, columns: list[str] | None = None, floatfmt: str = "{:.4g}",
               empty: str = "not run in this configuration") -> pd.DataFrame | None:
    df = table(name)
    if df is None or df.empty:
        display(Markdown(f"*{caption}: {empty}.*"))
        return None
    if columns:
        df = df[[c for c in columns if c in df.columns]]
    html = df.to_html(index=False, na_rep="—", classes="rnnbench-table sortable", border=0,
                      float_format=lambda v: floatfmt.format(v))
    display(HTML(f'<figure class="rnnbench-table-figure"><figcaption><b>{caption}</b> '
                 f'<span class="src">(<code>tables/{name}</code>)</span></figcaption>{html}</figure>'))
    return df


def show_figure(name: str, caption: str, empty: str = "not run in this configuration") -> bool:
    p = results_dir() / "figures" / name
    if not p.exists():
        display(Markdown(f"*{caption}: {empty}.*"))
        return False
    display(Image(filename=str(p)))
    display(Markdown(f"*{caption}* (`figures/{name}`)"))
    return True


def verdicts() -> pd.DataFrame:
    frames = [pd.read_csv(p) for p in sorted((results_dir() / "tables").glob("verdicts_*.csv")) if p.stat().st_size]
    frames = [f for f in frames if not f.empty]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def records() -> list[dict]:
    out = []
    for p in sorted(results_dir().glob("**/metrics.json")):
        with open(p) as f:
            out.append(json.load(f))
    return out
