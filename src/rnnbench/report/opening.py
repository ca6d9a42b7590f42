"""The report's opening, in order: the forest plot of the tested claims and their counts, the grids
no claim reads (a user's own experiment: summary table and learning curves), then the one line of
the claims this configuration does not test.

:func:`opening_blocks` builds the opening as a list of :class:`Block` from the claims table and the
own-grids table alone (pure, testable without a notebook); :func:`show` displays them.
"""
from __future__ import annotations

import html
from dataclasses import dataclass

import pandas as pd

from .forest import not_run_summary


@dataclass(frozen=True)
class Block:
    kind: str          # 'markdown' | 'html' | 'figure' (a declared figure's name) | 'table' (a declared table's name)
    content: str
    caption: str = ""


def counts_line(claims: pd.DataFrame, scale: str) -> str:
    """The headline: claims only (the checks of the implementation are counted apart, never as support)."""
    from ..claims.engine import headline

    h = headline(claims)
    return (f"**{h['decided']} of {h['claims']} claims decided** by the runs of this configuration (scale `{scale}`): "
            f"{h['tested']} tested, **{h['supported']} supported**, **{h['contradicted']} contradicted**, "
            f"**{h['undecided']} undecided**; {h['not_run']} not run"
            + (f"; {h['near_boundary']} of the decided near their boundary" if h["near_boundary"] else "")
            + f". Checks of the implementation, apart: {h['checks_passed']} passed"
            + (f", **{h['checks_failed']} failed**" if h["checks_failed"] else "")
            + (f", {h['checks_not_run']} not run here" if h["checks_not_run"] else "") + f" (of {h['checks']}).")


def not_run_blocks(claims: pd.DataFrame) -> list[Block]:
    """The one line of the claims not run, and (folded) their ids with the reason each gives."""
    nr = not_run_summary(claims)
    blocks = [Block("markdown", nr.line())]
    if nr.ids:
        rows = claims[claims["verdict"] == "not run"]
        items = "".join(f"<li><code>{html.escape(str(r['id']))}</code>: {html.escape(str(r.get('why', '') or ''))}</li>"
                        for _, r in rows.iterrows())
        blocks.append(Block("html", f'<details class="not-run"><summary>the {len(rows)} claims, one by one</summary>'
                                    f"<ul>{items}</ul></details>"))
    return blocks


def opening_blocks(claims: pd.DataFrame | None, own: pd.DataFrame | None, scale: str) -> list[Block]:
    blocks: list[Block] = []
    if claims is None or claims.empty:
        blocks.append(Block("markdown", "*No claims table: the claims aggregation did not run in this configuration.*"))
    else:
        blocks.append(Block("figure", "claims_forest.png",
                            "Every tested claim against its boundary: estimate and 95 % interval in half-widths of "
                            "the interval, the claim's side to the right; grouped by the lecture's sections"))
        blocks.append(Block("markdown", counts_line(claims, scale)))
    if own is not None and not own.empty:
        grids = list(dict.fromkeys(own["grid"]))
        blocks.append(Block("html", '<h2 id="own-grids">Your grids: experiments no claim reads</h2>'))
        blocks.append(Block("markdown", f"No claim of the register reads the grid{'s' if len(grids) > 1 else ''} "
                                        + ", ".join(f"`{g}`" for g in grids) + " of this configuration (a grid "
                                        "entry of your own, or one of the project's that feeds a table rather than "
                                        "a claim): their runs, summarised over seeds, and their learning curves."))
        blocks.append(Block("table", "own_grids.csv", "Grids no claim reads: test metric per configuration, mean ± "
                                                       "std over seeds"))
        blocks.append(Block("figure", "own_grids_curves.png", "Grids no claim reads: validation metric per epoch, "
                                                              "one line per seed"))
    if claims is not None and not claims.empty:
        blocks.append(Block("html", '<h2 id="not-run">Claims not tested by this configuration</h2>'))
        blocks.extend(not_run_blocks(claims))
    return blocks


def show(blocks: list[Block]) -> None:
    """Display the blocks in the notebook (figures and tables through the report's declared inputs)."""
    from IPython.display import HTML, Markdown, display

    from .doc import show_figure, show_table

    for b in blocks:
        if b.kind == "markdown":
            display(Markdown(b.content))
        elif b.kind == "html":
            display(HTML(b.content))
        elif b.kind == "figure":
            show_figure(b.content, b.caption)
        elif b.kind == "table":
            show_table(b.content, b.caption)
        else:
            raise ValueError(f"unknown block kind {b.kind!r}")
