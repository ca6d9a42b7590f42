"""The registry of recurrent cells: the one list every part of the project reads.

The grid checks a config's ``cells`` against it, the sequence model takes each cell's gate count
and torch nonlinearity from it, the native kernel wrapper its cell code, the report its order and
labels; a test checks that the config schema's ``cell`` enum equals it. A new cell is a line here
(and its equations in ``models/equations.py``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class Cell:
    name: str                    # the config's and the run id's name
    gates: int                   # gate blocks G: weights are (G·H, in) and (G·H, H) in torch's layout
    nonlinearity: Optional[str]  # torch nn.RNN nonlinearity of a single-gate cell; None for LSTM/GRU
    kernel_code: Optional[int]   # the native recurrence kernel's cell code (IRNN and np-RNN share ReLU's); None: no kernel
    label: str                   # how the report names it
    fused: bool = True           # torch's nn.RNN/LSTM/GRU (and cuDNN) compute it; else it runs stepwise


REGISTRY: dict[str, Cell] = {c.name: c for c in (
    Cell("rnn_tanh", 1, "tanh", 0, "SimpleRNN (tanh)"),
    # ReLU with Keras' default initialisation (glorot input, orthogonal recurrent): separates the
    # IRNN's activation from its identity initialisation (issue 13, item 3)
    Cell("rnn_relu", 1, "relu", 1, "SimpleRNN (ReLU, default init)"),
    Cell("irnn", 1, "relu", 1, "IRNN (Le et al. 2015)"),
    Cell("nprnn", 1, "relu", 1, "np-RNN (Talathi & Vartak 2016)"),
    Cell("lstm", 4, None, 2, "LSTM"),
    Cell("gru", 3, None, 3, "GRU"),
    # recurrent batch normalisation (Cooijmans et al. 2016; issue 13, item 5): per-step batch
    # statistics need the step loop, so no fused kernel
    Cell("bnlstm", 4, None, None, "BN-LSTM (Cooijmans et al. 2016)", fused=False),
)}
CELLS: tuple[str, ...] = tuple(REGISTRY)  # in the report's order
