"""rnnbench: the lecture "Recurrent Neural Networks, part 2" as rerunnable experiments."""
import os as _os
import sys as _sys

__version__ = "0.1.0"

# libgomp (PyTorch's OpenMP on Linux) keeps idle worker threads spinning for a long while after
# every parallel op. Our C kernels (recurrence, word2vec) run their own threads right after such
# ops, and on a machine with few cores the spinning workers take the cores from them; a short
# spin keeps torch's own layers as fast (the README's Performance section has the measurements;
# OMP_WAIT_POLICY=PASSIVE slows torch's layers down instead). libgomp reads the variable when torch
# is loaded, so it only takes effect when rnnbench is imported first (as `python -m
# rnnbench.train` and the bench scripts do); a value set by the user wins.
if "torch" not in _sys.modules:
    _os.environ.setdefault("GOMP_SPINCOUNT", "10000")
