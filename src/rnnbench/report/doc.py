"""Helpers the report document uses: read the declared tables, figures and run records, show them
the same way under Quarto and under the Jupyter path.

The document reads only what the report rule declares as its inputs, listed in the manifest the
renderer writes (``$RNNBENCH_MANIFEST``): a file left in the results folder by another config is
not among them, so it never reaches the report.
"""
from __future__ import annotations

import functools
import json
import os
from pathlib import Path

import pandas as pd
from IPython.display import HTML, Image, Markdown, display

from ..records import read_records
from .common import read_csv


def results_dir() -> Path:
    return Path(os.environ.get("RNNBENCH_RESULTS", "results")).resolve()


def config() -> dict:
    raw = os.environ.get("RNNBENCH_CONFIG")
    return json.loads(raw) if raw else {}


@functools.lru_cache(maxsize=1)
def manifest() -> dict[str, list[str]]:
    """The report's declared inputs: ``{"tables": [paths], "records": [paths]}``."""
    path = os.environ.get("RNNBENCH_MANIFEST")
    if not path:
        raise RuntimeError("RNNBENCH_MANIFEST is not set: render the report with `python -m rnnbench.report.render "
                           "--tables ... --records ...` (the Snakemake `report` rule does)")
    return json.loads(Path(path).read_text())


def declared(relpath: str) -> Path | None:
    """The declared input at ``tables/<name>`` or ``figures/<name>`` of the results folder, or None."""
    want = results_dir() / relpath
    return next((Path(p) for p in manifest()["tables"] if Path(p) == want), None)


def declared_figures(prefix: str) -> list[str]:
    """Names of the declared figures whose name starts with ``prefix``, sorted."""
    figs = results_dir() / "figures"
    return sorted(Path(p).name for p in manifest()["tables"]
                  if Path(p).parent == figs and Path(p).name.startswith(prefix))


def table(name: str) -> pd.DataFrame | None:
    p = declared(f"tables/{name}")
    return read_csv(p) if p else None


def split_constant(df: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, object]]:
    """The table less the columns that hold one value on every row (of two rows or more), and those
    values: a column that repeats itself is said once above the table instead."""
    if len(df) < 2:
        return df, {}
    same = {c: df[c].iloc[0] for c in df.columns
            if df[c].isna().all() or (df[c].notna().all() and df[c].astype(str).nunique() == 1)}
    if len(same) == len(df.columns):       # nothing would be left: keep the table whole
        return df, {}
    return df.drop(columns=list(same)), same


def constant_line(same: dict[str, object], floatfmt: str = "{:.4g}") -> str:
    def fmt(v: object) -> str:
        if isinstance(v, float):
            return "—" if v != v else floatfmt.format(v)
        return str(v)

    return "Every row: " + "; ".join(f"<code>{c}</code> = {fmt(v)}" for c, v in same.items()) if same else ""


def show_table(name: str, caption: str, columns: list[str] | None = None, floatfmt: str = "{:.4g}",
               empty: str = "not run in this configuration", where: dict | None = None) -> None:
    """Display a table with its caption (returns nothing, so a cell never shows it twice); columns that
    repeat one value on every row are said once above it. ``where``: keep the rows whose column equals
    the value (e.g. ``{"grid": "har_clip"}``)."""
    df = table(name)
    if df is not None and where:
        for k, v in where.items():
            df = df[df[k] == v] if k in df else df.iloc[0:0]
    if df is None or df.empty:
        display(Markdown(f"*{caption}: {empty}.*"))
        return
    if columns:
        df = df[[c for c in columns if c in df.columns]]
    df, same = split_constant(df)
    note = f'<p class="constant">{constant_line(same, floatfmt)}</p>' if same else ""
    html = df.to_html(index=False, na_rep="—", classes="rnnbench-table sortable", border=0,
                      float_format=lambda v: floatfmt.format(v))
    display(HTML(f'<figure class="rnnbench-table-figure"><figcaption><b>{caption}</b> '
                 f'<span class="src">(<code>tables/{name}</code>)</span></figcaption>{note}{html}</figure>'))


def show_figure(name: str, caption: str, empty: str = "not run in this configuration") -> None:
    p = declared(f"figures/{name}")
    if p is None or not p.exists():
        display(Markdown(f"*{caption}: {empty}.*"))
        return
    display(Image(filename=str(p)))
    display(Markdown(f"*{caption}* (`figures/{name}`)"))


def verdicts() -> pd.DataFrame:
    """Every declared ``verdicts_<family>.csv``, in one frame."""
    paths = [Path(p) for p in manifest()["tables"] if Path(p).name.startswith("verdicts_") and p.endswith(".csv")]
    frames = [read_csv(p) for p in paths]
    frames = [f for f in frames if f is not None and not f.empty]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def records() -> list[dict]:
    """The run records the report rule was given (never a glob of the results folder)."""
    return read_records(manifest()["records"])


def section(recs: list[dict], absent: str, family: str, **match) -> bool:
    """Whether any run record of ``family`` matching ``key=value`` (or ``key=(v1, v2...)``) is among
    the report's inputs; when none is, the section says so in one line and the caller skips it."""
    def hit(r: dict) -> bool:
        return r.get("family") == family and all(
            r.get(k) in v if isinstance(v, tuple) else r.get(k) == v for k, v in match.items())

    if any(hit(r) for r in recs):
        return True
    display(Markdown(f"*Not run in this configuration: {absent}.*"))
    return False



PAGE_ASSETS = """
<style>
table.rnnbench-table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0 1.5em; }
table.rnnbench-table th, table.rnnbench-table td { padding: 3px 8px; border-bottom: 1px solid #ddd; text-align: right; }
table.rnnbench-table th { cursor: pointer; background: #f4f4f4; position: sticky; top: 0; }
table.rnnbench-table td:first-child, table.rnnbench-table th:first-child { text-align: left; }
figcaption .src { color: #777; font-weight: normal; font-size: 0.85em; }
p.constant { font-size: 0.85em; color: #444; margin: 0.2em 0; }
</style>
<script>
// click a column header to sort (numbers numerically); no external library, works offline
document.addEventListener('click', function (ev) {
  var th = ev.target.closest && ev.target.closest('table.sortable th');
  if (!th) return;
  var table = th.closest('table'), body = table.tBodies[0];
  var idx = Array.prototype.indexOf.call(th.parentNode.children, th);
  var asc = th.dataset.sort !== 'asc';
  Array.prototype.forEach.call(th.parentNode.children, function (h) { delete h.dataset.sort; });
  th.dataset.sort = asc ? 'asc' : 'desc';
  var rows = Array.prototype.slice.call(body.rows);
  rows.sort(function (a, b) {
    var x = a.cells[idx].textContent.trim(), y = b.cells[idx].textContent.trim();
    var nx = parseFloat(x), ny = parseFloat(y);
    var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
    return asc ? c : -c;
  });
  rows.forEach(function (r) { body.appendChild(r); });
});
</script>
"""


def page_assets() -> None:
    display(HTML(PAGE_ASSETS))


def verdict_table(df: pd.DataFrame) -> None:
    """The summary of verdicts, one row per reproduced figure, coloured by verdict."""
    import html as h

    cols = ["family", "experiment", "source", "source_value", "ours_mean", "ours_std", "n", "ci_low", "ci_high",
            "tolerance", "verdict", "scale", "note"]
    kept, same = split_constant(df[[c for c in cols if c in df.columns]])
    same.pop("verdict", None)            # the coloured column stays, even when every row has one verdict
    cols = [c for c in cols if c in df.columns and c not in same]
    if same:
        display(HTML(f'<p class="constant">{constant_line(same)}</p>'))

    def cell(c, v):
        if isinstance(v, float):
            v = "—" if v != v else f"{v:.4g}"
        text = h.escape(str(v))
        if c == "verdict":
            return f'<td class="verdict" style="background:{CLAIM_STYLE.get(str(v), "#fff")}">{text}</td>'
        return f"<td>{text}</td>"

    head = "".join(f"<th>{h.escape(c)}</th>" for c in cols)
    body = "".join("<tr>" + "".join(cell(c, r[c]) for c in cols) + "</tr>" for _, r in df.iterrows())
    display(HTML(f'<table id="verdict-summary" class="rnnbench-table sortable"><thead><tr>{head}</tr></thead>'
                 f"<tbody>{body}</tbody></table>"))


CLAIM_STYLE = {"supported": "#cdebcd", "contradicted": "#f6cfc9", "undecided": "#f7ecc4", "not run": "#eeeeee"}


def _esc(v) -> str:
    import html as h

    return "" if v is None or (isinstance(v, float) and v != v) else h.escape(str(v))


def _num(v, digits: int = 3) -> str:
    try:
        v = float(v)
    except (TypeError, ValueError):
        return ""
    return "—" if v != v else f"{v:.{digits}g}"


def _interval(r, suffix: str = "") -> str:
    lo, hi = r.get(f"ci_low{suffix}"), r.get(f"ci_high{suffix}")
    return f"[{_num(lo)}, {_num(hi)}]" if _num(lo) not in ("", "—") else "—"


def claims_view(df: pd.DataFrame, table_id: str | None = "claims-table") -> None:
    """A claims table: one row per claim of the register (checks are shown apart,
    :func:`checks_view`), coloured by verdict, with whose claim it is (origin), the raw 95 % interval
    beside the one Holm's correction within the section reads, the paper's own result where the
    lecture summarises one, and a link to the section that shows its runs (``table_id``: the whole
    register's table at the end of the report has the id ``claims-table``; a section's rows have
    none)."""
    if "role" in df:
        df = df[df["role"].fillna("claim") == "claim"]
    rows = []
    for _, r in df.iterrows():
        link = f'<a href="#{_esc(r["anchor"])}">§</a>' if _esc(r.get("anchor")) else ""
        near = " <small>(near the boundary)</small>" if str(r.get("near_boundary")) == "True" else ""
        paper = f'<br><small><i>paper:</i> {_esc(r.get("paper"))}</small>' if _esc(r.get("paper")) else ""
        slide = f' — slide “{_esc(r.get("slide"))}”' if _esc(r.get("slide")) else ""
        adj = (f'<br><small>raw 95 % {_interval(r)}; Holm-adjusted ({_num(r.get("level_adj"), 4)}) '
               f'{_interval(r, "_adj")}; boundary {_esc(r.get("boundary"))}</small>'
               if _num(r.get("level_adj")) not in ("", "—") else "")
        rows.append(
            "<tr>"
            f'<td><code>{_esc(r["id"])}</code><br><small>{_esc(r["section"])}</small></td>'
            f'<td>{_esc(r.get("origin", ""))}</td>'
            f'<td>“{_esc(r["quote"])}”<small>{slide}</small><br><small>{_esc(r["source"])}</small>{paper}</td>'
            f'<td><small>{_esc(r["runs"])}</small></td>'
            f'<td class="verdict" style="background:{CLAIM_STYLE.get(str(r["verdict"]), "#fff")}">'
            f'<b>{_esc(r["verdict"])}</b>{near}</td>'
            f'<td>{_esc(r["evidence"])}<br><small>{_esc(r["statistic"])}; {_esc(r["rule"])}</small>{adj}</td>'
            f'<td><small>{_esc(r["why"])}</small></td><td>{link}</td></tr>')
    head = "".join(f"<th>{c}</th>" for c in ("claim", "origin", "the lecture's words", "runs", "verdict",
                                              "evidence (95 % CI)", "why / what would settle it", "runs shown"))
    ident = f' id="{table_id}"' if table_id else ""
    display(HTML(f'<table{ident} class="rnnbench-table sortable claims"><thead><tr>{head}</tr></thead>'
                 f'<tbody>{"".join(rows)}</tbody></table>'))


def checks_view(df: pd.DataFrame) -> None:
    """The checks of the implementation (parameter counts, an initialiser's spectrum, g^k on a linear
    regime, beating the majority class): their own short table, never counted as support."""
    df = df[df["role"] == "check"] if "role" in df else df.iloc[0:0]
    rows = "".join(
        "<tr>"
        f'<td><code>{_esc(r["id"])}</code></td><td>{_esc(r["source"])}</td>'
        f'<td class="verdict" style="background:{CLAIM_STYLE.get(str(r["verdict"]), "#fff")}">'
        f'{"passed" if r["verdict"] == "supported" else "failed" if r["verdict"] == "contradicted" else _esc(r["verdict"])}'
        f'</td><td><small>{_esc(r["evidence"])}</small></td><td><small>{_esc(r["why"])}</small></td></tr>'
        for _, r in df.iterrows())
    head = "".join(f"<th>{c}</th>" for c in ("check", "what it confirms", "result", "evidence", "why"))
    display(HTML(f'<table id="checks-table" class="rnnbench-table"><thead><tr>{head}</tr></thead>'
                 f"<tbody>{rows}</tbody></table>"))


def replication_view(table: pd.DataFrame) -> None:
    """The decided claims of the default seeds beside their verdicts on fresh seeds."""
    rows = "".join(
        "<tr>"
        f'<td><code>{_esc(r["id"])}</code></td>'
        f'<td style="background:{CLAIM_STYLE.get(str(r["verdict"]), "#fff")}">{_esc(r["verdict"])} '
        f'<small>({_num(r["estimate"])})</small></td>'
        f'<td style="background:{CLAIM_STYLE.get(str(r["verdict_replicate"]), "#fff")}">{_esc(r["verdict_replicate"])} '
        f'<small>({_num(r["estimate_replicate"])})</small></td><td>{"kept" if r["kept"] else "changed"}</td></tr>'
        for _, r in table.iterrows())
    head = "".join(f"<th>{c}</th>" for c in ("claim", "verdict (default seeds)", "verdict (fresh seeds)", ""))
    display(HTML(f'<table id="replication-table" class="rnnbench-table"><thead><tr>{head}</tr></thead>'
                 f"<tbody>{rows}</tbody></table>"))


class ClaimRows:
    """The claims table shown a few rows at a time, where the report shows their runs: each section
    of the report opens with the rows of its claims (by the claim's ``anchor``, id prefix or register
    section), each row shown once; claims not run here are the opening's one line, not rows again.
    :meth:`rest` shows the tested rows no section took (a claim added to the register later)."""

    def __init__(self, claims: pd.DataFrame | None):
        self.claims = claims if claims is not None else pd.DataFrame(columns=["id", "section", "anchor", "verdict"])
        self.shown: set[str] = set()

    def take(self, anchors: tuple[str, ...] = (), prefixes: tuple[str, ...] = (),
             sections: tuple[str, ...] = (), quotes: tuple[str, ...] = ()) -> pd.DataFrame:
        """The rows not shown yet, and tested, whose anchor or section is listed, whose id starts with one
        of ``prefixes`` or whose quote holds one of ``quotes`` (the lecture's words, case-insensitive)."""
        c = self.claims
        quote = c["quote"].fillna("").astype(str).str.lower() if "quote" in c else pd.Series("", index=c.index)
        hit = (c["anchor"].isin(anchors) | c["section"].isin(sections)
               | c["id"].astype(str).str.startswith(tuple(prefixes) or ("\0",))
               | quote.apply(lambda q: any(w.lower() in q for w in quotes)))
        rows = c[hit & ~c["id"].isin(self.shown) & (c["verdict"] != "not run")]
        self.shown |= set(rows["id"])
        return rows

    def show(self, anchors: tuple[str, ...] = (), prefixes: tuple[str, ...] = (), sections: tuple[str, ...] = (),
             quotes: tuple[str, ...] = (), what: str = "") -> None:
        rows = self.take(anchors, prefixes, sections, quotes)
        if not rows.empty:
            if what:
                display(Markdown(f"**Claims{' — ' + what if what else ''}:**"))
            claims_view(rows, table_id=None)

    def rest(self) -> None:
        c = self.claims
        rows = c[~c["id"].isin(self.shown) & (c["verdict"] != "not run")]
        if not rows.empty:
            self.shown |= set(rows["id"])
            claims_view(rows, table_id=None)
