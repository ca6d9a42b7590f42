"""Aggregate the recurrent study's run records into tables and figures.

``python -m rnnbench.report.recurrent --outdir RESULTS --scale laptop metrics.json...`` writes
under ``RESULTS/tables`` and ``RESULTS/figures``; it reads nothing but the run records and
their ``history.csv``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..cells import CELLS
from ..claims.runs import decay_factor, history as _history  # one history reader, shared with the claims
from ..records import read_records
from ..runspec import RunSpec
from .factorial import factorial_table, heatmap
from .common import (aggregation_main, VERDICT_COLUMNS, as_float, by_name, declare, run_identity, fmt_pm,
                     matplotlib_headless, mean_std, save_figure, verdict, write_csv)

# What the aggregation writes, in the order of its rule's outputs (workflow/rules/recurrent.smk): name, path,
# and for Snakemake's report caption | category (rnnbench.report.common.declare)
OUTPUTS = declare("""
runs            tables/recurrent_runs.csv
summary         tables/recurrent_summary.csv       recurrent_summary    | Recurrent study
verdicts        tables/verdicts_recurrent.csv      verdicts             | Verdicts
har             tables/har_accuracy.csv            har_accuracy         | Recurrent study
params_table    tables/har_params.csv              har_params           | Recurrent study
talathi         tables/irnn_nprnn_lstm.csv         irnn_nprnn_lstm      | Long-term dependencies
adding          tables/adding.csv                  adding               | Long-term dependencies
torch_vs_keras  tables/torch_vs_keras.csv          torch_vs_keras       | Recurrent study
variants        tables/cell_variants.csv           cell_variants        | Recurrent study
grad            figures/grad_vs_distance.png       grad_vs_distance     | Long-term dependencies
gk              figures/gk_vs_distance.png         gk_vs_distance       | Long-term dependencies
highway         figures/highway_vs_distance.png    highway_vs_distance  | Long-term dependencies
gradnorm        figures/recurrent_grad_norm.png    grad_norm            | Recurrent study
factorial       tables/har_factorial.csv           har_factorial        | Recurrent study
factorial_png   figures/har_factorial.png          har_factorial        | Recurrent study
curves          figures/recurrent_curves_{grid}.png  curves             | Recurrent study
""")
OUT = by_name(OUTPUTS)

# The lecture's figures (slides "Results including gradient clipping", "Comparison" from Talathi &
# Vartak 2016, Table 3, UCF101). The Keras parameter counts of "Implementation in Keras" are checked
# as a claim (rnnbench.claims, har_params).
LECTURE_HAR_ACCURACY = 0.90
HAR_TOLERANCE = 0.03
TALATHI = {"irnn": (0.670, "1x", "high"), "nprnn": (0.752, "1x", "low"), "lstm": (0.785, "4x", "low")}

GROUP = ["grid", "task", "source", "cell", "layers", "clip", "dropout", "recurrent_dropout", "backend", "lr",
         "seq_len", "epochs"]


def _clip_label(s: RunSpec) -> str:
    if s.clipvalue is not None:
        return f"clipvalue={s.clipvalue:g}"
    if s.clipnorm is not None:
        return f"clipnorm={s.clipnorm:g}"
    return "none"


def _cell_label(cell: str, s: RunSpec) -> str:
    """The cell as the tables group it: the lecture's reset-before GRU apart from the library's."""
    return f"{cell}_reset_before" if s.reset_after is False else cell


def runs_table(records: list[dict[str, Any]]) -> pd.DataFrame:
    rows = []
    for r in records:
        cfg = r.get("config", {})
        s = RunSpec.from_dict(cfg)
        metric = r.get("metric", "accuracy")
        params = r.get("params", {}) or {}
        rows.append({
            **run_identity(r), "grid": r.get("grid"), "task": r["task"], "source": r.get("source"),
            "cell": _cell_label(r["cell"], s), "layers": s.stated("layers"), "clip": _clip_label(s),
            "dropout": s.stated("dropout"), "recurrent_dropout": s.stated("recurrent_dropout"),
            "backend": r["backend"], "lr": s.stated("lr"), "seq_len": s.stated("seq_len"),
            "epochs": s.stated("epochs"), "hidden": s.stated("hidden"), "batch_size": s.stated("batch_size"),
            "diverged_epoch": r.get("diverged_epoch"), "cause": r.get("cause"),
            "metric": metric,
            "test_metric": as_float((r.get("final") or {}).get(f"test_{metric}")),
            "best_epoch": (r.get("best") or {}).get("epoch"),
            "best_val_metric": as_float((r.get("best") or {}).get(f"val_{metric}")),
            "best_test_metric": as_float((r.get("best") or {}).get(f"test_{metric}")),
            "params_total": params.get("total"),
            "path": r.get("path"), "epochs_run": r.get("epochs_run"), "train_seconds": as_float(r.get("train_seconds")),
            "baseline_mse": as_float((r.get("task_meta") or {}).get("baseline_mse_measured")),
            "_dir": str(Path(r["_path"]).parent), "_config": cfg,
        })
    return pd.DataFrame(rows)


def write_runs_csv(runs: pd.DataFrame, path: str | Path) -> Path:
    """A family's ``tables/<family>_runs.csv``: its :func:`runs_table` (and the family's own columns)
    less ``_dir`` and ``_config``, which are there for the family's tables and figures to read."""
    return write_csv(runs.drop(columns=["_dir", "_config"]), path)


def summary_table(runs: pd.DataFrame) -> pd.DataFrame:
    out = []
    keys = [k for k in GROUP if k in runs]
    for key, g in runs.groupby(keys, dropna=False, sort=False):
        m, s, n = mean_std(g["test_metric"])
        row = dict(zip(keys, key))
        row.update({
            "metric": g["metric"].iloc[0], "runs": len(g), "diverged": int((g["status"] == "diverged").sum()),
            "test_mean": m, "test_std": s, "n_ok": n,
            "test": fmt_pm(m, s, n, 4 if g["metric"].iloc[0] == "mse" else 3),
            "params_total": g["params_total"].iloc[0],
            "seconds_mean": float(np.nanmean(g["train_seconds"])) if len(g) else float("nan"),
            "path": ",".join(sorted(set(map(str, g["path"])))),
        })
        if g["metric"].iloc[0] == "mse":
            bm = float(np.nanmean(g["baseline_mse"]))
            row["baseline_mse"] = bm
            row["beats_baseline"] = bool(n and m < bm)
        out.append(row)
    return pd.DataFrame(out)


def har_tables(runs: pd.DataFrame, scale: str) -> tuple[pd.DataFrame, pd.DataFrame, list[dict[str, Any]]]:
    har = runs[(runs["task"] == "har") & (runs["backend"] == "torch")]
    rows, verdicts = [], []
    keys = ["cell", "layers", "clip", "dropout", "recurrent_dropout", "epochs", "lr", "batch_size"]
    for (cell, layers, clip, do, rdo, epochs, lr, bs), g in har.groupby(keys, sort=False, dropna=False):
        m, s, n = mean_std(g["test_metric"])
        epochs = int(epochs)
        drop = "" if not (do or rdo) else f" dropout {do:g}/{rdo:g}"
        v = verdict("recurrent", f"HAR {cell.upper()} L{layers} clip {clip}{drop}", "lecture slide 'Results including "
                    "gradient clipping' (Keras, 200 epochs, batch 1500)", LECTURE_HAR_ACCURACY, g["test_metric"],
                    HAR_TOLERANCE, scale, note=f"{epochs} epochs, batch {int(bs)}, lr {lr:g}; source {g['source'].iloc[0]}")
        verdicts.append(v)
        rows.append({"cell": cell, "layers": layers, "clip": clip, "dropout": do, "recurrent_dropout": rdo,
                     "source": g["source"].iloc[0], "epochs": epochs, "batch_size": int(bs), "lr": lr,
                     "lecture_accuracy": LECTURE_HAR_ACCURACY,
                     "ours_test_accuracy": fmt_pm(m, s, n), "diverged": int((g["status"] == "diverged").sum()),
                     "tolerance": HAR_TOLERANCE, "verdict": v["verdict"]})
    acc = pd.DataFrame(rows)
    prow = []
    for (cell, layers, hidden), g in har.groupby(["cell", "layers", "hidden"], sort=False):
        first = g.iloc[0]
        keras = keras_counts(first["_config"], n_inputs=9, n_outputs=6)
        prow.append({"cell": cell, "layers": layers, "hidden": hidden,
                     "torch_bias": RunSpec.from_dict(first["_config"]).bias,   # single: one per gate, as Keras
                     "torch_trainable_params": first["params_total"],
                     "keras_recurrent": keras.get("recurrent"), "keras_dense": keras.get("head"),
                     "keras_total": keras.get("total"),
                     "lecture_keras_summary": "5,376 + 198 = 5,574" if (cell, layers, hidden) == ("lstm", 1, 32)
                     else None})
    return acc, pd.DataFrame(prow), verdicts


# the cell variants of issue 13 and the stock cell each varies (the lecture's reset-before GRU; BN-LSTM)
VARIANT_OF = {"gru_reset_before": "gru", "bnlstm": "lstm"}
VARIANT_SETTINGS = ["task", "layers", "hidden", "clip", "dropout", "recurrent_dropout", "lr", "batch_size", "seq_len"]
VARIANTS_COLUMNS = ["task", "variant_of", "cell", "grid", "path", "epochs", "runs", "metric", "test",
                    "val_after_5_epochs", "seconds_per_epoch"]


def _val_at(run_dir: str, metric: str, epoch: int) -> float:
    h = _history(run_dir)
    col = f"val_{metric}"
    return as_float(h[col].iloc[epoch - 1]) if col in h and len(h) >= epoch else float("nan")


def variants_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Each cell variant beside the stock cell it varies, at the same settings (any grid entry):
    test metric, validation metric after 5 epochs (the convergence claim's budget), the path that
    ran it and its cost per epoch."""
    t = runs[runs["backend"] == "torch"]
    rows = []
    for key, g in t[t["cell"].isin(list(VARIANT_OF))].groupby(VARIANT_SETTINGS + ["cell"], dropna=False, sort=False):
        settings, cell = dict(zip(VARIANT_SETTINGS, key[:-1])), key[-1]
        same = t["cell"].isin([cell, VARIANT_OF[cell]])
        for k, v in settings.items():
            same &= t[k].isna() if pd.isna(v) else t[k] == v
        for (grid, c), h in t[same].groupby(["grid", "cell"], sort=False):
            metric = h["metric"].iloc[0]
            # an MSE spans decades (the adding problem): its log10, as the claims read it
            shown = (lambda v: np.log10(np.asarray(v, dtype=float))) if metric == "mse" else np.asarray
            seconds = h["train_seconds"] / h["epochs_run"].where(h["epochs_run"] > 0)
            rows.append({"task": settings["task"], "variant_of": VARIANT_OF[cell], "cell": c, "grid": grid,
                         "path": ", ".join(sorted(set(h["path"].dropna()))), "epochs": int(h["epochs"].max()),
                         "runs": len(h), "metric": "log10 mse" if metric == "mse" else metric,
                         "test": fmt_pm(*mean_std(shown(h["test_metric"]))),
                         "val_after_5_epochs": fmt_pm(*mean_std(shown([_val_at(d, metric, 5) for d in h["_dir"]]))),
                         "seconds_per_epoch": fmt_pm(*mean_std(seconds))})
    return pd.DataFrame(rows, columns=VARIANTS_COLUMNS).drop_duplicates(subset=["task", "cell", "grid"])


ADDING_COLUMNS = ["cell", "seq_len", "layers", "clip", "lr", "epochs", "test", "baseline_mse", "beats_baseline",
                  "diverged", "runs"]
TORCH_VS_KERAS_COLUMNS = ["task", "cell", "layers", "clip", "seed", "metric", "torch", "keras", "torch_seconds",
                          "keras_seconds", "speedup_torch_over_keras"]


def torch_vs_keras_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Each Keras run beside its torch twin: same task, model, variant, schedule and seed (any grid entry)."""
    rows = []
    same = ["task", "cell", "layers", "clip", "dropout", "recurrent_dropout", "seed", "lr", "epochs",
            "hidden", "batch_size", "seq_len"]
    for _, r in runs[runs["backend"] == "keras"].iterrows():
        twin = runs[runs["backend"] == "torch"]
        for k in same:
            twin = twin[(twin[k] == r[k]) | (twin[k].isna() & pd.isna(r[k]))]
        if twin.empty:
            continue
        t = twin.iloc[0]
        rows.append({"task": r["task"], "cell": r["cell"], "layers": r["layers"], "clip": r["clip"],
                     "seed": r["seed"], "metric": r["metric"], "torch": t["test_metric"],
                     "keras": r["test_metric"], "torch_seconds": t["train_seconds"],
                     "keras_seconds": r["train_seconds"],
                     "speedup_torch_over_keras": r["train_seconds"] / t["train_seconds"]
                     if t["train_seconds"] else float("nan")})
    return pd.DataFrame(rows, columns=TORCH_VS_KERAS_COLUMNS)


def keras_counts(cfg: dict[str, Any], n_inputs: int, n_outputs: int) -> dict[str, Any]:
    """Keras' own parameter count of the same model (built once here, not in every run)."""
    try:
        from ..models.keras_models import keras_param_counts
        from ..models.seq import ModelSpec

        s = RunSpec.from_dict(cfg)
        if s.cell == "bnlstm":
            return {"total": "no Keras layer (recurrent batch normalisation)"}
        spec = ModelSpec(cell=s.cell, input_size=n_inputs, hidden=int(s.hidden), output_size=n_outputs,
                         layers=int(s.layers), reset_after=s.reset_after is not False)
        return dict(keras_param_counts(spec))
    except Exception as e:  # TensorFlow not installed: say so in the table instead of failing
        return {"total": f"unavailable ({type(e).__name__})"}


TALATHI_COLUMNS = ["task", "cell", "metric", "ours", "param_ratio", "spread_over_seeds (std)",
                   "spread_over_lr (max-min of means)", "lrs", "diverged", "runs", "talathi_ucf101_accuracy",
                   "talathi_param_ratio", "talathi_sensitivity"]


def talathi_table(runs: pd.DataFrame) -> pd.DataFrame:
    """IR-NN / np-RNN / LSTM redone on our tasks: accuracy, parameter ratio, and sensitivity
    measured as the spread over seeds and over the learning-rate sweep (not asserted). No verdict:
    the paper's figures are on UCF101, a task not run here."""
    rows = []
    # like for like: single-layer, no dropout, and the clipping the IRNN runs of the task used
    torch_runs = runs[(runs["backend"] == "torch") & (runs["layers"] == 1) & (runs["dropout"] == 0)
                      & (runs["recurrent_dropout"] == 0)]
    for task, t in torch_runs.groupby("task", sort=False):
        t = t[t["clip"].isin(set(t[t["cell"] == "irnn"]["clip"]))]
        base = t[t["cell"] == "irnn"]["params_total"]
        base_params = float(base.iloc[0]) if len(base) else float("nan")
        for cell in ("irnn", "nprnn", "lstm"):
            g = t[t["cell"] == cell]
            if g.empty:
                continue
            metric = g["metric"].iloc[0]
            best_lr = g.groupby("lr")["test_metric"].mean()
            lr_best = best_lr.idxmax() if metric == "accuracy" else best_lr.idxmin()
            at_best = g[g["lr"] == lr_best]["test_metric"]
            m, s, n = mean_std(at_best)
            lr_means = g.groupby("lr")["test_metric"].mean()
            src_acc, src_ratio, src_sens = TALATHI[cell]
            rows.append({
                "task": task, "cell": cell, "metric": metric, "ours": fmt_pm(m, s, n, 4 if metric == "mse" else 3),
                "param_ratio": (float(g["params_total"].iloc[0]) / base_params) if base_params else float("nan"),
                "spread_over_seeds (std)": s,
                "spread_over_lr (max-min of means)": float(lr_means.max() - lr_means.min()) if len(lr_means) > 1
                else float("nan"),
                "lrs": ",".join(f"{x:g}" for x in sorted(g["lr"].unique())),
                "diverged": int((g["status"] == "diverged").sum()), "runs": len(g),
                "talathi_ucf101_accuracy": src_acc, "talathi_param_ratio": src_ratio, "talathi_sensitivity": src_sens,
            })
    return pd.DataFrame(rows, columns=TALATHI_COLUMNS)


def empty_figure(path: Path, why: str) -> Path:
    """A declared figure with nothing to plot says so instead of being missing."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 1.2))
    ax.axis("off")
    ax.text(0.5, 0.5, why, ha="center", va="center")
    return save_figure(fig, path)


def curves_figure(runs: pd.DataFrame, out: Path) -> list[Path]:
    """Learning curves: validation metric per epoch, one line per seed, one panel per cell/clip —
    the lecture's 'comparing different runs of the same model'."""
    import seaborn as sns

    paths = []
    for (grid, task), g in runs.groupby(["grid", "task"], sort=False):
        frames = []
        for _, r in g.iterrows():
            h = _history(r["_dir"])
            col = f"val_{r['metric']}"
            if h.empty or col not in h:
                continue
            frames.append(pd.DataFrame({"epoch": h["epoch"], "value": pd.to_numeric(h[col], errors="coerce"),
                                        "cell": r["cell"] + ("" if r["backend"] == "torch" else f" ({r['backend']})"),
                                        "clip": r["clip"], "seed": str(r["seed"]),
                                        "variant": f"L{r['layers']} drop{r['dropout']:g}/{r['recurrent_dropout']:g}"
                                        + (f" lr{r['lr']:g}" if g["lr"].nunique() > 1 else "")
                                        + (f" T{int(r['seq_len'])}" if g["seq_len"].nunique() > 1 else "")}))
        if not frames:
            paths.append(empty_figure(_figure(out, "curves", grid=grid), f"{grid}: no run recorded a history"))
            continue
        df = pd.concat(frames, ignore_index=True).replace([np.inf, -np.inf], np.nan)  # seaborn needs a unique index
        metric = g["metric"].iloc[0]
        grid_plot = sns.relplot(data=df, x="epoch", y="value", hue="clip", style="seed", units=None,
                                col="cell", row="variant" if df["variant"].nunique() > 1 else None,
                                kind="line", height=2.6, aspect=1.3, facet_kws={"sharey": True})
        grid_plot.set_axis_labels("epoch", f"validation {metric}")
        grid_plot.figure.suptitle(f"{grid} ({task}): validation {metric} per epoch, one line per seed", y=1.02)
        paths.append(save_figure(grid_plot.figure, _figure(out, "curves", grid=grid)))
    return paths


def grad_distance_figure(records: list[dict[str, Any]], out: Path) -> Path | None:
    """‖∂L/∂h_t‖ against T − t per cell, at initialisation and after training (log scale)."""
    import matplotlib.pyplot as plt

    rows = []
    for r in records:
        d = r.get("diagnostics") or {}
        cfg = RunSpec.from_dict(r.get("config", {}))
        if r["backend"] != "torch" or cfg.layers != 1 or cfg.init == "orthogonal":
            continue   # W_h = g·Q runs (the g^k study) have their own figure: gk_figure
        for when in ("init", "final"):
            vals = d.get(f"grad_vs_distance_{when}")
            if vals:
                rows.append((r["task"], r["cell"], when, np.asarray([as_float(v) for v in vals])))
    if not rows:
        return empty_figure(_figure(out, "grad"), "no single-layer torch run recorded the diagnostic")
    tasks = sorted({t for t, *_ in rows})
    fig, axes = plt.subplots(len(tasks), 2, figsize=(10, 3.2 * len(tasks)), squeeze=False)
    for i, task in enumerate(tasks):
        for j, when in enumerate(("init", "final")):
            ax = axes[i][j]
            for cell in CELLS:
                curves = [v for t, c, w, v in rows if t == task and c == cell and w == when]
                if not curves:
                    continue
                n = min(len(c) for c in curves)
                mean = np.mean([c[:n] for c in curves], axis=0)
                ax.plot(np.arange(n), np.maximum(mean, 1e-30), label=cell)
            ax.set_yscale("log")
            ax.set_xlabel("distance T − t (steps)")
            ax.set_ylabel("‖∂loss/∂h_t‖ (mean over sequences)")
            ax.set_title(f"{task}: {'at initialisation' if when == 'init' else 'after training'}")
            ax.legend(fontsize=8)
    fig.tight_layout()
    return save_figure(fig, _figure(out, "grad"))


def _mean_curve(curves: list[np.ndarray]) -> np.ndarray:
    n = min(len(c) for c in curves)
    return np.mean([c[:n] for c in curves], axis=0)


def gk_figure(records: list[dict[str, Any]], out: Path) -> Path:
    """The lecture's scalar picture w^(t−s) with W_h = g·Q: ‖∂L/∂h_t‖ at initialisation against
    T − t, one line per gain g (mean over seeds), beside g^(T−t) (dashed), with the fitted
    per-step factor (mean ± sd over seeds) in the legend."""
    import matplotlib.pyplot as plt


    by_gain: dict[float, list[np.ndarray]] = {}
    for r in records:
        cfg = RunSpec.from_dict(r.get("config") or {})
        vals = (r.get("diagnostics") or {}).get("grad_vs_distance_init")
        if cfg.init == "orthogonal" and vals:
            by_gain.setdefault(float(cfg.recurrent_gain), []).append(
                np.asarray([as_float(v) for v in vals]))
    path = _figure(out, "gk")
    if not by_gain:
        return empty_figure(path, "no run with init: orthogonal (W_h = g·Q) recorded the diagnostic")
    fig, ax = plt.subplots(figsize=(7, 4))
    colors = plt.cm.coolwarm(np.linspace(0, 1, len(by_gain)))
    for color, (g, curves) in zip(colors, sorted(by_gain.items())):
        mean = _mean_curve(curves)
        d = np.arange(mean.size)
        f = np.array([decay_factor(c) for c in curves])
        ax.plot(d, np.where(mean > 0, mean, np.nan), color=color,
                label=f"g = {g:g}: factor {np.nanmean(f):.4f} ± {np.nanstd(f, ddof=1) if f.size > 1 else 0:.4f}")
        ax.plot(d, mean[0] * g ** d, color=color, ls="--", lw=0.8)
    ax.set_yscale("log")
    ax.set_xlabel("distance T − t (steps)")
    ax.set_ylabel("‖∂loss/∂h_t‖ at initialisation")
    ax.set_title("tanh RNN, W_h = g·Q: measured (solid) and g^(T−t) (dashed)")
    ax.legend(fontsize=8, title=f"per-step factor, mean ± sd over {max(len(c) for c in by_gain.values())} seeds",
              title_fontsize=8)
    fig.tight_layout()
    return save_figure(fig, path)


def highway_figure(records: list[dict[str, Any]], out: Path) -> Path:
    """The LSTM's cell-state path after training, ∏ f_τ (= ∂c_T/∂c_t, mean over sequences and
    units), against T − t, beside ‖∂L/∂h_t‖ of the LSTM and of the tanh RNN on the same task and
    length (each divided by its value at T − t = 0), mean over seeds: one panel per task and length
    holding both cells (the cells may sit in different grids, e.g. adding_long / adding_long_gated,
    which train them at different learning rates)."""
    import matplotlib.pyplot as plt


    lines: dict[str, dict[str, list[np.ndarray]]] = {}
    for r in records:
        d = r.get("diagnostics") or {}
        cfg = RunSpec.from_dict(r.get("config") or {})
        if r.get("backend") != "torch" or cfg.init == "orthogonal":
            continue
        grid = f"{r.get('task')}, T = {cfg.seq_len}" if cfg.seq_len else str(r.get("task"))
        if r["cell"] == "lstm" and d.get("forget_product_final"):
            lines.setdefault(grid, {}).setdefault("LSTM ∏ f_τ (cell state)", []).append(
                np.asarray([as_float(v) for v in d["forget_product_final"]]))
        if r["cell"] in ("lstm", "rnn_tanh") and d.get("grad_vs_distance_final"):
            v = np.asarray([as_float(x) for x in d["grad_vs_distance_final"]])
            if v[0] > 0:
                name = "LSTM ‖∂L/∂h_t‖" if r["cell"] == "lstm" else "tanh RNN ‖∂L/∂h_t‖"
                lines.setdefault(grid, {}).setdefault(name, []).append(v / v[0])
    grids = sorted(g for g, v in lines.items() if "LSTM ∏ f_τ (cell state)" in v and "tanh RNN ‖∂L/∂h_t‖" in v)
    path = _figure(out, "highway")
    if not grids:
        return empty_figure(path, "no task and length has trained LSTM and tanh RNN runs that recorded the diagnostics")
    fig, axes = plt.subplots(1, len(grids), figsize=(6.5 * len(grids), 4), squeeze=False)
    for ax, grid in zip(axes[0], grids):
        for name, curves in sorted(lines[grid].items()):
            mean = _mean_curve(curves)
            f = np.array([decay_factor(c) for c in curves])
            # a gradient that underflowed to 0 ends its line (log scale)
            ax.plot(np.arange(mean.size), np.where(mean > 0, mean, np.nan),
                    label=f"{name}: factor {np.nanmean(f):.3f} (n = {len(curves)})")
        ax.set_yscale("log")
        ax.set_xlabel("distance T − t (steps)")
        ax.set_ylabel("relative to T − t = 0")
        ax.set_title(f"{grid}: after training")
        ax.legend(fontsize=8)
    fig.tight_layout()
    return save_figure(fig, path)


def grad_norm_figure(runs: pd.DataFrame, out: Path) -> Path | None:
    """Gradient norm before clipping, per epoch: where clipping matters."""
    import seaborn as sns

    frames = []
    for _, r in runs[runs["backend"] == "torch"].iterrows():
        h = _history(r["_dir"])
        if h.empty or "grad_norm_max" not in h:
            continue
        frames.append(pd.DataFrame({"epoch": h["epoch"], "grad_norm_max": pd.to_numeric(h["grad_norm_max"],
                                    errors="coerce"), "cell": r["cell"], "clip": r["clip"], "task": r["task"]}))
    if not frames:
        return empty_figure(_figure(out, "gradnorm"), "no torch run recorded gradient norms")
    df = pd.concat(frames, ignore_index=True).replace([np.inf, -np.inf], np.nan)  # seaborn needs a unique index
    g = sns.relplot(data=df, x="epoch", y="grad_norm_max", hue="cell", style="clip", col="task", kind="line",
                    height=3, aspect=1.4, facet_kws={"sharey": False})
    g.set(yscale="log")
    g.set_axis_labels("epoch", "max gradient norm before clipping")
    return save_figure(g.figure, _figure(out, "gradnorm"))


def _figure(figures: Path, name: str, **values: Any) -> Path:
    """A declared figure's file in ``figures`` (the figure functions take the folder)."""
    return figures / Path(OUT[name].path.format(**values)).name


def aggregate(paths: list[str], outdir: str | Path, scale: str) -> dict[str, Path]:
    matplotlib_headless()
    outdir = Path(outdir)
    figures = outdir / "figures"
    records = read_records(paths)
    runs = runs_table(records)
    acc, params, verdicts = har_tables(runs, scale)
    adding = runs[runs["task"] == "adding"]
    # declared outputs of the rule: always written, header only when no run feeds them
    tables = {"summary": summary_table(runs), "har": acc, "params_table": params,
              "talathi": talathi_table(runs), "adding": summary_table(adding).reindex(columns=ADDING_COLUMNS),
              "torch_vs_keras": torch_vs_keras_table(runs), "variants": variants_table(runs),
              "verdicts": pd.DataFrame(verdicts, columns=VERDICT_COLUMNS)}
    written = {"runs": write_runs_csv(runs, OUT["runs"].at(outdir))}
    written.update({name: write_csv(df, OUT[name].at(outdir)) for name, df in tables.items()})
    fact = factorial_table(records)   # the HAR factorial: cell x clipping x dropout (empty when not configured)
    written["factorial"] = write_csv(fact, OUT["factorial"].at(outdir))
    written["factorial_png"] = heatmap(fact, _figure(figures, "factorial_png"))
    for p in curves_figure(runs, figures):
        written[p.stem] = p
    written["grad"] = grad_distance_figure(records, figures)
    written["gk"] = gk_figure(records, figures)
    written["highway"] = highway_figure(records, figures)
    written["gradnorm"] = grad_norm_figure(runs, figures)
    return written


def main(argv: list[str] | None = None) -> None:
    aggregation_main("rnnbench.report.recurrent", __doc__.splitlines()[0], aggregate, argv)


if __name__ == "__main__":
    main()
