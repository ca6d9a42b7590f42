"""What a config costs before it runs: runs, training steps and estimated hours, from measured costs.

    python -m rnnbench.plan --configfile config/config.yaml [--configfile config/full.yaml ...]
        [--config key=value ...] [--cores 16] [--calibrate]

The config is read the way ``snakemake --configfile A --configfile B --config k=v`` reads it, by
Snakemake itself: the Snakefile is loaded through Snakemake's API (nothing runs), so later files
deep-update earlier ones, the schema validates (an unknown key or a bad value is an error naming
it) and the jobs are the workflow's own: ``GROUPS`` (``rnnbench.grid.groups`` of ``RUNS``, in
``workflow/rules/recurrent.smk``: one training job per arm, its seeds together, its threads from
``rnnbench.grid.group_resources``) and ``W2V_RUNS`` (impls × archs × losses × seeds, in
``workflow/rules/word2vec.smk``). There is no second expansion here. (``WorkflowApi._workflow``
is how Snakemake 9's API parses a Snakefile without a DAG; if it moves, this is the one line to
change.)

Per grid entry and in total it prints:

* runs (seeds), jobs (seed groups), and training sequence-steps = epochs × training sequences ×
  sequence length (padded, as the batches are: music and IMDb sequences are right-padded and the
  CPU kernel runs the padded steps), over all members; for word2vec, corpus tokens × epochs;
* CPU core-hours and the wall hours on ``--cores N`` (default 16): group jobs run side by side
  with their threads each (word2vec: ``workers``), placed longest first by a list schedule, the
  IMDb runs after the word2vec run whose vectors they read. On a CPU a group trains its members
  one after another through the one-seed kernel (path 'loop'), so a group job costs one start-up,
  one data load and its members' calibrated training and evaluation;
* a GPU estimate, labelled *modelled, not measured*, with the assumption it rests on (see
  :data:`.schedule.GPU`): one group job per GPU slot (``--gpu-slots G``), its members stacked.

Costs are measured on this machine (``--calibrate``, and automatically for any shape the cache
lacks): for each (cell, input size, hidden, layers, dropout masks, threads, kernel) of the plan,
forward + backward + Adam step of the real model (``rnnbench.models.seq``, on the kernel path the
pipeline picks on this machine: ``kernel: auto``) on the run's batch (up to :data:`CAL_BATCH`) at
its sequence length capped at :data:`CAL_STEPS`, the median of :data:`CAL_REPEATS` batches, and
forward alone in eval mode for the validation/test passes; word2vec words/s from one-epoch runs of
our trainer and of gensim on a synthetic Zipf corpus; Keras runs from ``train_on_batch`` of the
Keras reference model. Seconds per sequence-step are cached in
``~/.cache/rnnbench/plan-calibration.json`` (``$RNNBENCH_CACHE``), keyed by the CPU (model, vector
extensions, ``RNNBENCH_MARCH``, torch's CPU capability) and the shape. The estimate is an upper
bound on epochs (early stopping ``patience`` may end a run sooner) and assumes this machine's
per-core speed on the target.

Dataset sizes come from the prepared files under ``data.root`` when they exist, else from the
documented constants of :mod:`rnnbench.data.sizes`; the output says which.

One module per idea: :mod:`.workflow` (the config and runs, as Snakemake loads them), :mod:`.sizes`
(what each run trains on), :mod:`.calibration` (measured costs, cached per CPU), :mod:`.schedule`
(jobs, their costs and the list schedule), :mod:`.printout` (the table and totals), :mod:`.cli`.
"""
from __future__ import annotations

from ..data.sizes import HAR_SUBJECTS, HAR_TRAIN, Sizes, Split
from ..families import SEQUENCE_FAMILIES
from . import calibration
from .calibration import (CAL_BATCH, CAL_EVAL_BATCH, CAL_REPEATS, CAL_STEPS, Calibration, Shape, measure_keras,
                          measure_torch, measure_word2vec, run_shape)
from .cli import main
from .printout import render
from .schedule import (DATA_LOAD_S, GPU, GPU_SOURCE, JOB_STARTUP_S, W2V_EVAL_S, W2V_STARTUP_S, Job, Row, Totals, batched,
                       group_gpu_seconds, gpu_seconds, makespan, plan_jobs, saturation, summarise, totals)
from .sizes import CORPUS_TOKENS, dataset_sizes
from .workflow import REPO, SNAKEFILE, PlanError, Workflow, load_workflow, parse_overrides

__all__ = ["CAL_BATCH", "CAL_EVAL_BATCH", "CAL_REPEATS", "CAL_STEPS", "CORPUS_TOKENS", "DATA_LOAD_S", "GPU",
           "GPU_SOURCE", "HAR_SUBJECTS", "HAR_TRAIN", "JOB_STARTUP_S", "REPO", "SEQUENCE_FAMILIES",
           "SNAKEFILE", "W2V_EVAL_S", "W2V_STARTUP_S", "batched", "calibration", "Calibration", "dataset_sizes",
           "gpu_seconds", "group_gpu_seconds", "Job", "load_workflow", "main", "makespan", "measure_keras",
           "measure_torch", "measure_word2vec", "parse_overrides", "plan_jobs", "PlanError", "render", "Row",
           "run_shape", "saturation", "Shape", "Sizes", "Split", "summarise", "Totals", "totals", "Workflow"]
