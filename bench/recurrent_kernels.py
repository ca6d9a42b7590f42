"""Per batch, forward + backward: our native CPU kernel against torch's own layers, on the shapes
each experiment family trains (HAR, music, names, IMDb), in one process, taking turns.

    python bench/recurrent_kernels.py [--threads 2] [--repeats 7] [--march native,x86-64-v3] [--cases har]
    python bench/recurrent_kernels.py --isa-table [--threads 2]      # the README's x86-64-v4/v3/v2 table
    python bench/recurrent_kernels.py --hoist [--threads 1]          # input side per step or as GEMMs

Prints the machine (CPU model, its vector extensions, torch's CPU capability), the -march of each
kernel build, the median milliseconds of each path and the ratio torch-layers / native (> 1:
native is faster). Random inputs and weights: this measures kernels, not learning.

``--march`` builds the kernel once per listed target (``RNNBENCH_MARCH``) and times every build
against torch in the same process. ``--isa-table`` runs this script twice: the x86-64-v4 build
against torch as it comes, then the x86-64-v3 and x86-64-v2 builds against torch held to AVX2
(``AVX2_ENV``), which is how an AVX2-only machine runs both; it prints one markdown table.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import rnnbench  # noqa: F401  (before torch: sets libgomp's spin count, see rnnbench/__init__.py)

CASES = [  # name, ModelSpec fields, input shape (B, T[, F]), right-padded lengths?
    ("har lstm(32)", dict(cell="lstm", input_size=9, hidden=32, output_size=6), (1500, 128, 9), False),
    ("har lstm(32) drop .2/.2", dict(cell="lstm", input_size=9, hidden=32, output_size=6, dropout=0.2,
                                     recurrent_dropout=0.2), (1500, 128, 9), False),
    ("har gru(32)", dict(cell="gru", input_size=9, hidden=32, output_size=6), (1500, 128, 9), False),
    ("har gru(32) drop .2/.2", dict(cell="gru", input_size=9, hidden=32, output_size=6, dropout=0.2,
                                    recurrent_dropout=0.2), (1500, 128, 9), False),
    ("har irnn(32)", dict(cell="irnn", input_size=9, hidden=32, output_size=6), (1500, 128, 9), False),
    ("music lstm(36)", dict(cell="lstm", input_size=88, hidden=36, output_size=88, return_sequences=True,
                            bias="single"), (16, 100, 88), False),
    ("music gru(46)", dict(cell="gru", input_size=88, hidden=46, output_size=88, return_sequences=True,
                           bias="single"), (16, 100, 88), False),
    ("music tanh(100)", dict(cell="rnn_tanh", input_size=88, hidden=100, output_size=88, return_sequences=True,
                             bias="single"), (16, 100, 88), False),
    ("names lstm(32) one-hot", dict(cell="lstm", input_size=56, hidden=32, output_size=2), (64, 12, 56), True),
    ("imdb lstm(32) emb 100", dict(cell="lstm", input_size=20000, hidden=32, output_size=2, vocab_size=20000,
                                   embedding_dim=100), (128, 100), True),
    ("imdb gru(32) emb 100", dict(cell="gru", input_size=20000, hidden=32, output_size=2, vocab_size=20000,
                                  embedding_dim=100), (128, 100), True),
]

# torch's own kernels held to AVX2, as on a machine without AVX-512: ATen's vectorised ops,
# oneDNN and MKL each dispatch on the CPU by themselves, so each gets its cap
AVX2_ENV = {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2", "MKL_ENABLE_INSTRUCTIONS": "AVX2",
            "OPENBLAS_CORETYPE": "Haswell"}


def machine_header(threads: int) -> str:
    import torch

    from rnnbench import cbuild

    env = " ".join(f"{k}={os.environ[k]}" for k in sorted(AVX2_ENV) if k in os.environ)
    return (f"CPU: {cbuild.cpu_description()}, {os.cpu_count()} logical cores; torch {torch.__version__} "
            f"(CPU capability {torch.backends.cpu.get_cpu_capability()}{', ' + env if env else ''}); "
            f"{threads} threads")


def measure(threads: int, repeats: int, marches: list[str], cases: list[str]) -> list[dict]:
    import torch

    from rnnbench import cbuild
    from rnnbench.models import native_rnn
    from rnnbench.models.kernels import time_paths
    from rnnbench.models.seq import ModelSpec, build_model

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    print(machine_header(threads))
    libs = {}
    for m in marches:
        os.environ["RNNBENCH_MARCH"] = m
        lib, why = native_rnn.load()
        if lib is None:
            raise SystemExit(f"the native kernel ({m}) is not available: {why}")
        libs[m] = lib
        print(f"kernel -march={cbuild.march()}: vector width {native_rnn.vector_width(lib)} floats, "
              f"row block {lib.rnn_row_block()}; {why}")
    cols = [f"native {m}" for m in marches]
    print(f"{'shape':<26}" + "".join(f"{c:>22}" for c in cols) + f"{'torch ms':>10}"
          + "".join(f"{'torch/' + m:>18}" for m in marches))
    rows = []
    for name, kw, shape, padded in CASES:
        if cases and not any(name.startswith(c) for c in cases):
            continue
        model = build_model(ModelSpec(**kw)).train()
        x = torch.randint(1, 20000, shape) if len(shape) == 2 else torch.rand(shape)
        lengths = torch.randint(shape[1] // 2, shape[1] + 1, (shape[0],)) if padded else None
        path_stock = "stepwise" if kw.get("recurrent_dropout") else "stock"

        def step(path, march=None):
            if march:
                os.environ["RNNBENCH_MARCH"] = march
            out = model(x, lengths, path=path)
            out.float().pow(2).mean().backward()

        ms = time_paths({**{f"native {m}": (lambda m=m: step("native", m)) for m in marches},
                           "torch": lambda: step(path_stock)}, repeats)
        rows.append({"shape": name, **ms})
        print(f"{name:<26}" + "".join(f"{ms[c]:>22.2f}" for c in cols) + f"{ms['torch']:>10.2f}"
              + "".join(f"{ms['torch'] / ms['native ' + m]:>18.2f}" for m in marches), flush=True)
    return rows


HOIST_SHAPES = [  # cell, B, T, F, H: IMDb's and the music tasks' widths around the rule's boundary
    (cell, 128, 100, f, h) for cell in ("lstm", "gru") for h in (32, 64) for f in (16, 32, 48, 64, 100, 200)
]


def hoist_table(threads: int, repeats: int) -> None:
    """The native layer alone, forward + backward, with its input side fused per step and hoisted
    into GEMMs (native_rnn.hoists), taking turns; > 1: hoisting is faster. No input mask."""
    import torch

    from rnnbench import cbuild
    from rnnbench.models import native_rnn
    from rnnbench.models.kernels import time_paths
    from rnnbench.models.seq import CELLS

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    print(machine_header(threads))
    print(f"kernel -march={cbuild.march()}; current rule: hoist when F >= {native_rnn.HOIST_MIN_RATIO} H")
    print("| cell | B | T | F | H | F/H | fused ms | hoisted ms | fused/hoisted |")
    print("|---|---|---|---|---|---|---|---|---|")
    rule = native_rnn.HOIST_MIN_RATIO
    try:
        for cell, b, t, f, h in HOIST_SHAPES:
            g = CELLS[cell][0]
            x = torch.randn(b, t, f, requires_grad=True)
            ws = [(torch.randn(g * h, f) / f ** 0.5).requires_grad_(), torch.zeros(g * h, requires_grad=True),
                  (torch.randn(g * h, h) / h ** 0.5).requires_grad_(), torch.zeros(g * h, requires_grad=True)]

            def step(ratio):
                native_rnn.HOIST_MIN_RATIO = ratio
                out, _ = native_rnn.layer(cell, x, *ws)
                out.pow(2).mean().backward()

            ms = time_paths({"fused": lambda: step(float("inf")), "hoisted": lambda: step(0.0)}, repeats)
            print(f"| {cell} | {b} | {t} | {f} | {h} | {f / h:.2f} | {ms['fused']:.2f} | {ms['hoisted']:.2f} | "
                  f"{ms['fused'] / ms['hoisted']:.2f} |", flush=True)
    finally:
        native_rnn.HOIST_MIN_RATIO = rule


def isa_table(threads: int, repeats: int, cases: list[str]) -> None:
    """Two processes (torch's CPU capability is fixed at its import): v4 vs torch as it comes,
    then v3 and v2 vs torch held to AVX2; one markdown table."""
    parts = []
    for marches, extra_env in ((["x86-64-v4"], {}), (["x86-64-v3", "x86-64-v2"], AVX2_ENV)):
        env = {**os.environ, **extra_env}
        cmd = [sys.executable, __file__, "--threads", str(threads), "--repeats", str(repeats),
               "--march", ",".join(marches), "--json"] + (["--cases", *cases] if cases else [])
        print("$", " ".join(f"{k}={v}" for k, v in extra_env.items()), " ".join(cmd[1:]), flush=True)
        out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
        print("\n".join(line for line in out.splitlines() if not line.startswith("{")), flush=True)
        parts.append((marches, extra_env, json.loads(out.splitlines()[-1])))
    print("\n| shape | native v4 | torch | torch/v4 | native v3 | native v2 | torch (AVX2) | torch/v3 | torch/v2 |")
    print("|---|---|---|---|---|---|---|---|---|")
    (_, _, a), (_, _, b) = parts
    for ra, rb in zip(a["rows"], b["rows"]):
        v4, t4, v3, v2, t2 = ra["native x86-64-v4"], ra["torch"], rb["native x86-64-v3"], rb["native x86-64-v2"], rb["torch"]
        print(f"| {ra['shape']} | {v4:.1f} | {t4:.1f} | {t4 / v4:.2f} | {v3:.1f} | {v2:.1f} | {t2:.1f} | "
              f"{t2 / v3:.2f} | {t2 / v2:.2f} |")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--march", default=None, help="comma-separated -march targets (default $RNNBENCH_MARCH or native)")
    p.add_argument("--cases", nargs="*", default=[], help="only the shapes whose names start with these")
    p.add_argument("--isa-table", action="store_true", help="x86-64-v4 / v3 / v2 builds, torch capped to AVX2 for v3 / v2")
    p.add_argument("--hoist", action="store_true", help="the native layer with its input side fused per step "
                   "against hoisted into GEMMs, for input widths around native_rnn.HOIST_MIN_RATIO")
    p.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.hoist:
        return hoist_table(a.threads, a.repeats)
    if a.isa_table:
        return isa_table(a.threads, a.repeats, a.cases)
    from rnnbench import cbuild

    marches = a.march.split(",") if a.march else [cbuild.march()]
    rows = measure(a.threads, a.repeats, marches, a.cases)
    if a.json:
        print(json.dumps({"rows": rows}))


if __name__ == "__main__":
    main()
