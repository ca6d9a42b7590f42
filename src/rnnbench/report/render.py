"""Render the report source (a Quarto percent-format script) to one self-contained HTML file.

Two paths, one source:
- ``quarto render`` when the Quarto CLI is on PATH (conda-forge ``quarto``, or
  ``pip install quarto-cli`` with internet);
- otherwise jupytext (percent script → notebook) → nbclient (execute) → nbconvert (HTML with
  images inlined), which installs from PyPI alone.
The log says which path ran. The document reads the files it is given and nothing else: the
declared tables and figures (``--tables``) and run records (``--records``) go to it in a manifest
(``$RNNBENCH_MANIFEST``, a JSON file of absolute paths); ``$RNNBENCH_RESULTS`` is the folder they
are named relative to and ``$RNNBENCH_CONFIG`` the resolved config.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ..atomic import atomic_path, write_text


class RenderError(RuntimeError):
    pass


def write_manifest(path: Path, tables: list[str], records: list[str]) -> Path:
    """The report's inputs, as absolute paths: ``{"tables": [...], "records": [...]}``."""
    path.write_text(json.dumps({"tables": [str(Path(p).resolve()) for p in tables],
                                "records": [str(Path(p).resolve()) for p in records]}, indent=1))
    return path


def _env(results: Path, config_json: str | None, engine: str, manifest: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["RNNBENCH_RESULTS"] = str(results.resolve())
    env["RNNBENCH_MANIFEST"] = str(manifest.resolve())
    env["RNNBENCH_RENDER_ENGINE"] = engine
    if config_json:
        env["RNNBENCH_CONFIG"] = config_json
    env.setdefault("MPLBACKEND", "Agg")
    return env


def render_quarto(source: Path, out: Path, env: dict[str, str], quarto: str) -> None:
    with tempfile.TemporaryDirectory(prefix="rnnbench-quarto-") as tmp:
        work = Path(tmp) / source.name
        shutil.copy2(source, work)
        cmd = [quarto, "render", str(work), "--to", "html", "--output", "report.html"]
        print("render path: quarto (" + " ".join(cmd) + ")", flush=True)
        proc = subprocess.run(cmd, cwd=tmp, env=env, text=True, capture_output=True)
        sys.stdout.write(proc.stdout)
        sys.stdout.write(proc.stderr)
        if proc.returncode != 0:
            raise RenderError(f"quarto render failed with exit code {proc.returncode} (see the log above)")
        with atomic_path(out) as part:
            shutil.copyfile(Path(tmp) / "report.html", part)


def render_jupyter(source: Path, out: Path, env: dict[str, str], timeout: int = 1800) -> None:
    import jupytext
    import nbformat
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter

    print("render path: jupyter (jupytext -> nbclient -> nbconvert); the Quarto CLI is not on PATH", flush=True)
    nb = jupytext.read(source, fmt="py:percent")
    title = _front_matter_title(nb)
    _front_matter_to_title(nb, title)
    # Quarto's `#|` cell options: honour echo: false by hiding those inputs in the HTML
    for cell in nb.cells:
        if cell.cell_type == "code" and any(line.strip().replace(" ", "") in ("#|echo:false",)
                                            for line in cell.source.splitlines()):
            cell.metadata.setdefault("tags", []).append("remove_input")
    old = dict(os.environ)
    os.environ.update(env)  # the kernel inherits the environment of this process
    try:
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                                resources={"metadata": {"path": str(source.parent.resolve())}})
        client.execute()
    finally:
        os.environ.clear()
        os.environ.update(old)
    from traitlets.config import Config

    c = Config()
    c.TagRemovePreprocessor.remove_input_tags = {"remove_input"}
    c.TagRemovePreprocessor.enabled = True
    # our template extends nbconvert's 'lab'; in a virtualenv made with --system-site-packages
    # nbconvert's own templates sit under the base interpreter's prefix, which jupyter does not search
    shares = [str(Path(p) / "share" / "jupyter") for p in dict.fromkeys((sys.prefix, sys.base_prefix))
              if (Path(p) / "share" / "jupyter" / "nbconvert" / "templates").is_dir()]
    if shares:
        os.environ["JUPYTER_PATH"] = os.pathsep.join([p for p in [os.environ.get("JUPYTER_PATH"), *shares] if p])
    exporter = HTMLExporter(config=c, embed_images=True, exclude_input_prompt=True, exclude_output_prompt=True,
                            extra_template_basedirs=[str(Path(__file__).parent / "templates")],
                            template_name="rnnbench_offline")
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    write_text(out, body)
    nbformat.validate(nb)


def _front_matter_title(nb) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.lstrip().startswith("---"):
            for line in cell.source.splitlines():
                if line.startswith("title:"):
                    return line.split(":", 1)[1].strip().strip('"')
    return "rnnbench report"


def _front_matter_to_title(nb, title: str) -> None:
    """Quarto reads the YAML header; for the Jupyter path, replace it by the title heading."""
    for cell in nb.cells:
        src = cell.source.lstrip()
        if cell.cell_type == "markdown" and src.startswith("---"):
            end = src.find("\n---", 3)
            if end != -1:
                cell.source = f"# {title}\n" + src[end + 4:]
            return


def render(source: str | os.PathLike, results: str | os.PathLike, out: str | os.PathLike,
           engine: str = "auto", config_json: str | None = None, tables: list[str] | None = None,
           records: list[str] | None = None) -> str:
    """Render from the given tables/figures and run records alone; return the path that ran:
    'quarto' or 'jupyter'."""
    source, results, out = Path(source), Path(results), Path(out)
    if not source.exists():
        raise RenderError(f"report source {source} does not exist")
    out.parent.mkdir(parents=True, exist_ok=True)
    quarto = shutil.which("quarto")
    if engine == "quarto" and not quarto:
        raise RenderError("report.engine is 'quarto' but the Quarto CLI is not on PATH "
                          "(conda install -c conda-forge quarto, or pip install quarto-cli with internet)")
    use = "quarto" if (engine == "quarto" or (engine == "auto" and quarto)) else "jupyter"
    with tempfile.TemporaryDirectory(prefix="rnnbench-report-inputs-") as tmp:
        manifest = write_manifest(Path(tmp) / "inputs.json", tables or [], records or [])
        env = _env(results, config_json, use, manifest)
        if use == "quarto":
            render_quarto(source, out, env, quarto)  # type: ignore[arg-type]
        else:
            render_jupyter(source, out, env)
    print(f"report written to {out} (path: {use})", flush=True)
    return use


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m rnnbench.report.render", description=__doc__.splitlines()[0])
    p.add_argument("--source", default="reports/report.py")
    p.add_argument("--results", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--engine", choices=["auto", "quarto", "jupyter"], default="auto")
    p.add_argument("--config-json", default=None)
    p.add_argument("--tables", nargs="*", default=[], help="the declared tables and figures the report may read")
    p.add_argument("--records", nargs="*", default=[], help="the run records (metrics.json) it summarises")
    a = p.parse_args(argv)
    if a.config_json:
        json.loads(a.config_json)  # fail here, not inside the kernel
    try:
        render(a.source, a.results, a.out, a.engine, a.config_json, a.tables, a.records)
    except RenderError as e:
        raise SystemExit(f"error: {e}")


if __name__ == "__main__":
    main()
