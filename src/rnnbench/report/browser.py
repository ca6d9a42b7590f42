"""Open the rendered report in a real headless Chromium: check what a reader sees, save a screenshot.

``python -m rnnbench.report.browser results/report/report.html`` writes ``report.png`` beside the
report and prints a JSON summary: the page title, the tables and their captions, the images and
how many of them actually decoded (naturalWidth > 0), the summary table's verdict cells and the claims table's.

The check loads the report inside an iframe of a small probe page; once the report has loaded,
the probe inspects its DOM and writes the findings into its own DOM, which ``--dump-dom``
returns. No network: Chromium runs with background networking off, and the report must not
need any (everything is embedded).
"""
from __future__ import annotations

import argparse
import html as html_lib
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-default-apps",
         "--hide-scrollbars", "--mute-audio"]

PROBE = """<!doctype html><html><body>
<pre id="result">pending</pre>
<iframe id="report" src="%s" style="width:1280px;height:2000px"></iframe>
<script>
document.getElementById('report').addEventListener('load', function () {
  var out = {};
  try {
    var d = this.contentDocument;
    var imgs = Array.prototype.slice.call(d.images);
    out.title = d.title;
    out.images = imgs.length;
    out.images_loaded = imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length;
    out.tables = d.querySelectorAll('table').length;
    out.headings = Array.prototype.map.call(d.querySelectorAll('h1,h2,h3'), function (h) { return h.textContent.trim(); });
    out.captions = Array.prototype.map.call(d.querySelectorAll('figcaption'), function (c) { return c.textContent.trim(); });
    out.external = Array.prototype.filter.call(d.querySelectorAll('script[src],link[href],img[src]'), function (e) {
      var u = e.getAttribute('src') || e.getAttribute('href') || '';
      return /^(https?:)?\\/\\//.test(u);
    }).map(function (e) { return e.getAttribute('src') || e.getAttribute('href'); });
    var summary = d.getElementById('verdict-summary');
    out.summary_rows = summary ? summary.querySelectorAll('tbody tr').length : 0;
    out.summary_verdicts = summary ? Array.prototype.map.call(summary.querySelectorAll('td.verdict'), function (c) { return c.textContent.trim(); }) : [];
    var claims = d.getElementById('claims-table');
    out.claims_rows = claims ? claims.querySelectorAll('tbody tr').length : 0;
    out.claims_verdicts = claims ? Array.prototype.map.call(claims.querySelectorAll('td.verdict'), function (c) { return c.textContent.trim(); }) : [];
  } catch (e) { out.error = String(e); }
  document.getElementById('result').textContent = JSON.stringify(out);
});
</script></body></html>"""


class BrowserError(RuntimeError):
    pass


def find_browser() -> str | None:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


def _run(cmd: list[str], timeout: int) -> subprocess.CompletedProcess:
    env = dict(os.environ, HOME=tempfile.gettempdir())  # chromium wants a writable profile home
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)


def inspect(report: str | os.PathLike, browser: str | None = None, timeout: int = 120) -> dict:
    report = Path(report).resolve()
    if not report.exists():
        raise BrowserError(f"report {report} does not exist")
    browser = browser or find_browser()
    if browser is None:
        raise BrowserError("no Chromium found (apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="rnnbench-probe-") as tmp:
        probe = Path(tmp) / "probe.html"
        probe.write_text(PROBE % html_lib.escape(report.as_uri(), quote=True))
        cmd = [browser, *FLAGS, "--allow-file-access-from-files", f"--user-data-dir={tmp}/profile",
               "--virtual-time-budget=15000", "--dump-dom", probe.as_uri()]
        proc = _run(cmd, timeout)
    m = re.search(r'<pre id="result">(.*?)</pre>', proc.stdout, re.S)
    if proc.returncode != 0 or not m or m.group(1) == "pending":
        raise BrowserError(f"chromium could not inspect {report} (exit {proc.returncode}): {proc.stderr[-1500:]}")
    return json.loads(html_lib.unescape(m.group(1)))


def screenshot(report: str | os.PathLike, out: str | os.PathLike, browser: str | None = None,
               size: str = "1280,3000", timeout: int = 120) -> Path:
    report, out = Path(report).resolve(), Path(out).resolve()
    browser = browser or find_browser()
    if browser is None:
        raise BrowserError("no Chromium found (apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="rnnbench-shot-") as tmp:
        cmd = [browser, *FLAGS, f"--user-data-dir={tmp}/profile", f"--window-size={size}",
               "--virtual-time-budget=10000", f"--screenshot={out}", report.as_uri()]
        proc = _run(cmd, timeout)
    if not out.exists() or out.stat().st_size == 0:
        raise BrowserError(f"chromium wrote no screenshot (exit {proc.returncode}): {proc.stderr[-1500:]}")
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m rnnbench.report.browser", description=__doc__.splitlines()[0])
    p.add_argument("report")
    p.add_argument("--screenshot", default=None, help="PNG path (default: report.png beside the report)")
    a = p.parse_args(argv)
    try:
        info = inspect(a.report)
        shot = screenshot(a.report, a.screenshot or Path(a.report).with_suffix(".png"))
    except BrowserError as e:
        raise SystemExit(f"error: {e}")
    info["screenshot"] = str(shot)
    print(json.dumps(info, indent=2))


if __name__ == "__main__":
    main()
