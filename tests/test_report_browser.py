"""The rendered report, opened in a real headless Chromium: the summary table and key figures
are there, every image decoded, nothing is fetched from the network; a screenshot is saved
beside the report."""
from __future__ import annotations

import pytest

from rnnbench.claims import REGISTER
from rnnbench.report.browser import find_browser, inspect, screenshot
from rnnbench.claims.engine import VERDICTS


@pytest.fixture(scope="module")
def page(tiny_run):
    if find_browser() is None:
        pytest.skip("no Chromium on this machine (apt-get install chromium; .ci/run installs it)")
    report = tiny_run / "report" / "report.html"
    return report, inspect(report)


def test_summary_table_and_key_figures_are_shown(page):
    _, info = page
    assert "error" not in info, info.get("error")
    assert info["summary_rows"] >= 4
    assert set(info["summary_verdicts"]) <= {"supported", "contradicted", "undecided", "not run"}
    headings = " ".join(info["headings"])
    assert "The lecture's claims" in headings and "Source figures beside ours" in headings
    # the claims table: one row per claim of the register, each with a verdict of the engine
    # (claims only: the checks of the implementation have their own table)
    n_claims = sum(c.role == "claim" for c in REGISTER)
    assert info["claims_rows"] == n_claims
    assert set(info["claims_verdicts"]) <= set(VERDICTS) and len(info["claims_verdicts"]) == n_claims
    captions = " ".join(info["captions"])
    assert "HAR test accuracy beside the lecture" in captions
    assert "Trainable parameters" in captions


def test_every_image_loaded_and_nothing_external(page):
    _, info = page
    assert info["images"] >= 3  # gradient-vs-distance, learning curves, gradient norms
    assert info["images_loaded"] == info["images"]
    assert info["external"] == []


def test_screenshot_saved_beside_the_report(page):
    report, _ = page
    shot = screenshot(report, report.with_suffix(".png"))
    assert shot.parent == report.parent and shot.stat().st_size > 20_000
