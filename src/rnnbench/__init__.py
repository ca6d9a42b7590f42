"""rnnbench: the lecture "Recurrent Neural Networks, part 2" as rerunnable experiments."""
import os as _os
import sys as _sys

__version__ = "0.1.0"

# libgomp (PyTorch's OpenMP on Linux) keeps idle worker threads spinning for 300,000 rounds after
# every parallel op. Our C kernels (recurrence, word2vec) run their own threads right after such
# ops, and on a 2-core machine the spinning workers took the cores from them: HAR IRNN(32) 0.146
# -> 0.082 s/epoch, LSTM(32) 0.34 -> 0.29 with 10,000 rounds, while torch's own layers kept their
# speed (LSTM 0.39 / 0.40, GRU 0.80 / 0.84 s/epoch; OMP_WAIT_POLICY=PASSIVE made those 1.4-2.4x
# slower). libgomp reads it when torch is loaded, so it only takes effect when rnnbench is
# imported first (as `python -m rnnbench.train` and the bench scripts do); a value set by the
# user wins.
if "torch" not in _sys.modules:
    _os.environ.setdefault("GOMP_SPINCOUNT", "10000")
