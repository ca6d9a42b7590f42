"""The sequence model for every cell of the lecture: [Embedding] -> L recurrent layers -> Dense head.

Each layer's weights are those of a one-layer stock ``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU`` (the
single source of truth, whatever runs them); the cells' equations, and where torch's stock
layers differ from the lecture and Keras, are in :mod:`.equations`.

Three paths run the same parameters. Which one runs, and when (the conditions, written once
here as Keras writes its cuDNN conditions):

* 'native': the fused C kernel per layer (:mod:`.native_rnn`, ``kernels/recurrence.c``), input
  projection + recurrence + gates, forward and backward, Keras' dropout masks applied inside
  (one per sequence, or one per step). Possible on CPU in float32 for a cell with a kernel (every
  cell but BN-LSTM, the reset-before GRU included);
  under ``kernel: auto`` it runs where measured faster than torch for the shape
  (:mod:`rnnbench.models.kernels`).
* 'stock' ('cudnn' on a GPU): torch's fused layer. Possible when the cell has one (not the
  reset-before GRU, not BN-LSTM) and no recurrent-dropout mask is drawn (training with
  ``recurrent_dropout > 0``). Keras' ``dropout`` (one input mask per sequence) needs no step
  loop: the layer input is multiplied by one (B, 1, F) mask first.
* 'stepwise': everything else. The input projection of all steps is one matmul, only the
  recurrence is stepped (TorchScript loops of :mod:`.equations`), with the mask on h_{t-1}
  drawn once per sequence.

``dropout_masks: step`` (naive dropout: fresh input and recurrent masks at every time step, the
variant Gal & Ghahramani's variational dropout is set against) is computed by the C kernel and
the stepwise path: torch's fused layers take one mask per sequence. All paths draw the same masks
from the same generator (the stepwise path's shapes), so a seed gives the same run on either.
Inference draws no mask and runs as any other model.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from ..cells import REGISTRY
from . import initializers as inits
from . import kernels, native_rnn
from .bnlstm import EPS as BN_EPS
from .bnlstm import RecurrentBatchNorm
from .equations import LOOPS, bnlstm_step, gru_reset_before_step, gru_step, lstm_step, rnn_step

# cell -> (number of gate blocks G, torch nn.RNN nonlinearity), from the one registry of cells
CELLS = {name: (c.gates, c.nonlinearity) for name, c in REGISTRY.items()}
#: where the dropout masks are drawn: once per sequence and layer (variational, the default), or at every step
DROPOUT_MASKS = ("sequence", "step")


@dataclass
class ModelSpec:
    """What to build. Every field in the user's words, with its default.

    cell: 'rnn_tanh' (Keras SimpleRNN, tanh) | 'rnn_relu' (SimpleRNN(activation='relu'), Keras'
        default initialisers) | 'irnn' (ReLU, W_h = gain·I) | 'nprnn' (ReLU,
        W_h = (A+I)/e) | 'lstm' | 'gru' | 'bnlstm' (LSTM with recurrent batch normalisation,
        Cooijmans et al. 2016, :mod:`.bnlstm`).
    input_size: features per step; with ``vocab_size`` it must equal ``vocab_size``
        (as ``TaskData.input_size`` reports) and the recurrent input is ``embedding_dim``.
    hidden: units per recurrent layer.  output_size: logits of the Dense head.
    layers: stacked recurrent layers (1).
    return_sequences: False = many-to-one (head on the last step, or on step length-1 with
        ``lengths``); True = many-to-many, head on every step (music).
    dropout: Keras ``dropout``: variational, one mask per sequence on each layer's inputs (0.0).
    recurrent_dropout: Keras ``recurrent_dropout``: one mask per sequence on h_{t-1} (0.0);
        > 0 selects the stepwise path.
    dropout_masks: 'sequence' (Keras', Gal & Ghahramani's variational dropout: one input and one
        recurrent mask per sequence and layer, the same at every step) | 'step' (naive dropout: a
        fresh input mask and a fresh recurrent mask at every time step; training runs on the C
        kernel or stepwise).
    bias: 'double' (PyTorch's b_ih + b_hh) | 'single' (Keras/lecture: one bias per gate,
        b_hh kept at zero and not trainable).
    irnn_gain: IRNN's identity scale (1.0).  input_std: IRNN/np-RNN input weight std (0.001,
        Le et al. 2015).
    init: 'keras' (glorot kernel, orthogonal recurrent, zero bias, LSTM forget bias 1, glorot
        Dense, U(±0.05) embedding) | 'torch' (PyTorch's stock uniform(±1/sqrt(H))) |
        'orthogonal' (rnn_tanh only: W_h = recurrent_gain · Q, Q random orthogonal, input weights
        N(0, input_std²), zero bias, glorot Dense: the lecture's scalar picture w^(t−s) as a
        matrix, with small inputs keeping tanh near its linear regime). IRNN and np-RNN always
        get their own recurrent/input initialisation.
    recurrent_gain: g of ``init: 'orthogonal'`` (1.0); any other value needs that init.
    vocab_size, embedding_dim, padding_idx: when ``vocab_size`` is set, inputs are (B, T) int64
        ids through ``nn.Embedding(vocab_size, embedding_dim, padding_idx)`` first.
    kernel: 'auto' (the C kernel where measured faster than torch's layers on this machine and
        shape) | 'native' | 'torch' on CPU; conditions in :mod:`rnnbench.models.kernels`
        (``RNNBENCH_RNN_KERNEL`` overrides it).
    reset_after: GRU only, Keras' argument: True (torch's, cuDNN's and Keras' default: reset
        applied to W_hn h) | False (the lecture's GRU: W_hn (r ⊙ h); the C kernel or stepwise:
        torch has no fused layer for it).
    bn_max_steps: BN-LSTM only: time steps with their own population statistics (200); later
        steps use the last one's.
    """

    cell: str
    input_size: int
    hidden: int
    output_size: int
    layers: int = 1
    return_sequences: bool = False
    dropout: float = 0.0
    recurrent_dropout: float = 0.0
    bias: str = "double"
    irnn_gain: float = 1.0
    input_std: float = 0.001
    init: str = "keras"
    recurrent_gain: float = 1.0
    vocab_size: Optional[int] = None
    embedding_dim: Optional[int] = None
    padding_idx: Optional[int] = 0
    kernel: str = "auto"
    reset_after: bool = True
    bn_max_steps: int = 200
    dropout_masks: str = "sequence"

    def __post_init__(self) -> None:
        if self.kernel not in kernels.KERNELS:
            raise ValueError(f"kernel must be one of {kernels.KERNELS}, got {self.kernel!r}")
        if self.cell not in CELLS:
            raise ValueError(f"unknown cell {self.cell!r}; expected one of {sorted(CELLS)}")
        for name in ("input_size", "hidden", "output_size", "layers"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ValueError(f"{name} must be a positive int, got {v!r}")
        for name in ("dropout", "recurrent_dropout"):
            v = getattr(self, name)
            if not 0.0 <= float(v) < 1.0:
                raise ValueError(f"{name} must be in [0, 1), got {v!r}")
        if self.bias not in ("double", "single"):
            raise ValueError(f"bias must be 'double' or 'single', got {self.bias!r}")
        if self.init not in ("keras", "torch", "orthogonal"):
            raise ValueError(f"init must be 'keras', 'torch' or 'orthogonal', got {self.init!r}")
        if self.init == "orthogonal" and self.cell != "rnn_tanh":
            raise ValueError(f"init 'orthogonal' (W_h = recurrent_gain · Q) is for rnn_tanh, not {self.cell!r}")
        if not float(self.recurrent_gain) > 0:
            raise ValueError(f"recurrent_gain must be > 0, got {self.recurrent_gain!r}")
        if float(self.recurrent_gain) != 1.0 and self.init != "orthogonal":
            raise ValueError(f"recurrent_gain={self.recurrent_gain} applies with init 'orthogonal' only "
                             f"(init is {self.init!r})")
        if self.input_std <= 0:
            raise ValueError(f"input_std must be > 0, got {self.input_std!r}")
        if self.vocab_size is not None:
            if self.vocab_size < 1 or not self.embedding_dim or self.embedding_dim < 1:
                raise ValueError("vocab_size needs a positive embedding_dim "
                                 f"(got vocab_size={self.vocab_size}, embedding_dim={self.embedding_dim})")
            if self.input_size != self.vocab_size:
                raise ValueError(f"with vocab_size={self.vocab_size}, input_size must equal it "
                                 f"(got {self.input_size})")
            if self.padding_idx is not None and not 0 <= self.padding_idx < self.vocab_size:
                raise ValueError(f"padding_idx {self.padding_idx} outside [0, {self.vocab_size})")
        elif self.embedding_dim is not None:
            raise ValueError("embedding_dim given without vocab_size")
        if not isinstance(self.reset_after, bool):
            raise ValueError(f"reset_after must be true or false, got {self.reset_after!r}")
        if not self.reset_after and self.cell != "gru":
            raise ValueError(f"reset_after=False is the GRU's reset-before variant, not for {self.cell!r}")
        if not isinstance(self.bn_max_steps, int) or self.bn_max_steps < 1:
            raise ValueError(f"bn_max_steps must be a positive int, got {self.bn_max_steps!r}")
        if self.dropout_masks not in DROPOUT_MASKS:
            raise ValueError(f"dropout_masks must be one of {DROPOUT_MASKS}, got {self.dropout_masks!r}")

    @property
    def per_step_masks(self) -> bool:
        """Whether training draws a fresh dropout mask at every time step (``dropout_masks: step``
        with a rate > 0): the C kernel and the stepwise path compute that, torch's fused layers not."""
        return self.dropout_masks == "step" and (self.dropout > 0 or self.recurrent_dropout > 0)

    @property
    def gates(self) -> int:
        return CELLS[self.cell][0]

    @property
    def fused(self) -> bool:
        """Whether torch's fused layer (and cuDNN) computes this model's cell."""
        return REGISTRY[self.cell].fused and self.reset_after

    @property
    def has_kernel(self) -> bool:
        """Whether the native C kernel computes this model's cell (the reset-before GRU too)."""
        return REGISTRY[self.cell].kernel_code is not None

    @property
    def loop(self) -> str:
        """The stepwise loop of :mod:`.equations` that computes this cell."""
        return self.cell if self.cell in ("lstm", "gru", "bnlstm") else "rnn"

    @property
    def rnn_input_size(self) -> int:
        return int(self.embedding_dim) if self.vocab_size is not None else self.input_size


def _dropout_mask(ref: Tensor, shape: Tuple[int, ...], p: float) -> Tensor:
    """Inverted-dropout mask (keep prob 1-p, scaled by 1/(1-p)) of ``shape``: one per sequence
    (no T axis), or one per step with ``dropout_masks: step`` (a T axis in ``shape``)."""
    return ref.new_empty(shape).bernoulli_(1.0 - p).div_(1.0 - p)


class SequenceModel(nn.Module):
    """[Embedding] -> ``spec.layers`` one-layer stock RNN modules -> Linear head (logits)."""

    def __init__(self, spec: ModelSpec):
        super().__init__()
        self.spec = spec
        g, nonlinearity = CELLS[spec.cell]
        self.gates = g
        self.embedding = (nn.Embedding(spec.vocab_size, spec.embedding_dim, padding_idx=spec.padding_idx)
                          if spec.vocab_size is not None else None)
        self.rnns = nn.ModuleList()
        for i in range(spec.layers):
            n_in = spec.rnn_input_size if i == 0 else spec.hidden
            if spec.cell in ("lstm", "bnlstm"):
                layer = nn.LSTM(n_in, spec.hidden, batch_first=True)
            elif spec.cell == "gru":
                layer = nn.GRU(n_in, spec.hidden, batch_first=True)
            else:
                layer = nn.RNN(n_in, spec.hidden, nonlinearity=nonlinearity, batch_first=True)
            self.rnns.append(layer)
        # BN-LSTM's γ, β and per-step statistics, one module per layer
        self.bns = (nn.ModuleList(RecurrentBatchNorm(spec.hidden, spec.bn_max_steps) for _ in range(spec.layers))
                    if spec.cell == "bnlstm" else None)
        self.head = nn.Linear(spec.hidden, spec.output_size)
        self.kernel_choices: dict[tuple, kernels.Choice] = {}   # (requested, shape key) -> what runs
        self.kernel_choice: Optional[kernels.Choice] = None      # the latest in training
        self.reset_parameters()

    # ------------------------------------------------------------ parameters
    @torch.no_grad()
    def reset_parameters(self) -> None:
        s = self.spec
        for layer in self.rnns:
            if s.cell == "irnn":
                inits.irnn_layer_(layer, gain=s.irnn_gain, input_std=s.input_std)
            elif s.cell == "nprnn":
                inits.nprnn_layer_(layer, input_std=s.input_std)
            elif s.init == "orthogonal":
                inits.gain_orthogonal_layer_(layer, gain=s.recurrent_gain, input_std=s.input_std)
            elif s.init == "keras":
                {"rnn_tanh": inits.keras_rnn_, "rnn_relu": inits.keras_rnn_, "lstm": inits.keras_lstm_,
                 "bnlstm": inits.keras_lstm_, "gru": inits.keras_gru_}[s.cell](layer)
            else:
                layer.reset_parameters()
            if s.bias == "single" or s.cell == "bnlstm":     # BN-LSTM: b is the gates' only bias
                # One bias per gate: b_hh is held at zero and excluded from training.
                layer.bias_hh_l0.zero_()
                layer.bias_hh_l0.requires_grad_(False)
        for bn in self.bns or ():
            bn.reset_parameters()
        if s.init in ("keras", "orthogonal"):
            inits.glorot_uniform_(self.head.weight)
            self.head.bias.zero_()
            if self.embedding is not None:
                self.embedding.weight.uniform_(-0.05, 0.05)     # Keras Embedding 'uniform'
                if s.padding_idx is not None:
                    self.embedding.weight[s.padding_idx].zero_()
        else:
            self.head.reset_parameters()
            if self.embedding is not None:
                self.embedding.reset_parameters()

    @torch.no_grad()
    def load_embedding(self, matrix, freeze: bool) -> None:
        """Initialise the embedding from a (vocab_size, embedding_dim) matrix (e.g. word2vec rows
        aligned with the ids); ``freeze`` keeps it fixed (not trained, not counted as trainable)."""
        if self.embedding is None:
            raise ValueError("load_embedding needs a model built with vocab_size / embedding_dim")
        m = torch.as_tensor(matrix, dtype=self.embedding.weight.dtype)
        if tuple(m.shape) != tuple(self.embedding.weight.shape):
            raise ValueError(f"pretrained embedding has shape {tuple(m.shape)}, the model's is "
                             f"{tuple(self.embedding.weight.shape)} (vocab_size, embedding_dim)")
        self.embedding.weight.copy_(m)
        self.embedding.weight.requires_grad_(not freeze)

    def kernel_parameters(self) -> list[Tensor]:
        """Tensors Keras' ``kernel_regularizer=l2(λ)`` penalises in the lecture's model: each
        recurrent layer's input kernel (W_ih) and the Dense kernel; not recurrent kernels, not
        biases. Keras l2 adds λ·Σw² to the loss (no 1/2)."""
        return [layer.weight_ih_l0 for layer in self.rnns] + [self.head.weight]

    # ------------------------------------------------------------ which path runs (see the module docstring)
    def _torch_path(self) -> str:
        if self.spec.recurrent_dropout > 0 or self.spec.per_step_masks or not self.spec.fused:
            return "stepwise"
        on_cuda = self.head.weight.is_cuda
        return "cudnn" if on_cuda and torch.backends.cudnn.is_available() and torch.backends.cudnn.enabled else "stock"

    def _native_possible(self) -> bool:
        return self.spec.has_kernel and not self.head.weight.is_cuda and self.head.weight.dtype == torch.float32

    def _stock_possible(self) -> bool:
        return self.spec.fused and not (self.training and (self.spec.recurrent_dropout > 0 or self.spec.per_step_masks))

    @property
    def path(self) -> str:
        """Kernel path in training: 'native', or torch's 'stepwise' (recurrent dropout) /
        'cudnn' / 'stock'; with ``kernel: auto`` on CPU 'auto' until the first batch has been
        measured (:mod:`.kernels`), then the path chosen for the latest batch shape."""
        if not self._native_possible():
            return self._torch_path()
        req = kernels.requested(self.spec.kernel)
        if self.kernel_choice is not None and self.kernel_choice.requested == req:
            return "native" if self.kernel_choice.path == "native" else self._torch_path()
        if req == "torch":
            return self._torch_path()
        lib, why = native_rnn.load()
        if lib is None:
            if req == "native":
                raise RuntimeError(f"kernel: native requested but {why}")
            return self._torch_path()
        return "native" if req == "native" else "auto"

    def kernel_record(self) -> dict:
        """For the run record: the kernel asked for and, per measured shape, what ran and why."""
        return {"requested": kernels.requested(self.spec.kernel),
                "choices": [c.as_record() for c in self.kernel_choices.values()]}

    def _choose(self, x: Tensor, lengths: Optional[Tensor]) -> str:
        """'native' or 'torch' for this batch, by the rules of :mod:`.kernels` (measured once
        per shape under ``kernel: auto``)."""
        if not self._native_possible():
            return "torch"
        req = kernels.requested(self.spec.kernel)
        train = self.training and torch.is_grad_enabled()
        s = self.spec
        key = kernels.shape_key(
            s.cell, B=kernels.bucket(x.shape[0]), T=kernels.bucket(x.shape[1]), F=s.rnn_input_size,
            H=s.hidden, layers=s.layers, seq=int(s.return_sequences), lengths=int(lengths is not None),
            emb=int(s.vocab_size is not None), mode="train" if train else "infer",
            dropout=s.dropout if train else 0.0, rdrop=s.recurrent_dropout if train else 0.0,
            threads=torch.get_num_threads(),
            # only where they differ from the default, so the decisions cached before stay valid
            **({"masks": "step"} if train and s.per_step_masks else {}),
            **({"reset": "before"} if not s.reset_after else {}))
        choice = self.kernel_choices.get((req, key))
        if choice is None:
            lib, build = native_rnn.load() if req != "torch" else (None, "")
            choice = kernels.decide(req, key, lib, build, lambda: self._timed_batches(x, lengths, train))
            self.kernel_choices[(req, key)] = choice
        if train or self.kernel_choice is None:    # ``path`` reports the training path
            self.kernel_choice = choice
        return choice.path

    def _timed_batches(self, x: Tensor, lengths: Optional[Tensor], train: bool) -> dict:
        """One batch of each path for the measurement: forward + backward (gradients returned,
        not accumulated into ``.grad``), or forward only in inference."""
        params = [p for p in self.parameters() if p.requires_grad]

        def batch(path: str):
            def run() -> None:
                if train and params:
                    out = self(x, lengths, path=path)
                    torch.autograd.grad(out.float().pow(2).mean(), params, allow_unused=True)
                else:
                    with torch.no_grad():
                        self(x, lengths, path=path)
            return run
        torch_path = "stock" if self._stock_possible() else "stepwise"
        return {"native": batch("native"), "torch": batch(torch_path)}

    # ------------------------------------------------------------ running
    def _embed(self, x: Tensor) -> Tensor:
        if self.embedding is not None:
            if x.dtype not in (torch.int64, torch.int32):
                raise ValueError(f"embedding model expects integer ids (B, T), got {x.dtype}")
            return self.embedding(x.long())
        if x.dim() != 3 or x.shape[-1] != self.spec.input_size:
            raise ValueError(f"expected (B, T, {self.spec.input_size}) float input, got {tuple(x.shape)}")
        return x

    def _input_masks(self, x: Tensor) -> Optional[Tensor]:
        """Keras' input-dropout mask for layer input x (B, T, F): (B, G, F), one per gate, with
        recurrent_dropout > 0 (Keras then runs implementation=1); else (B, 1, F), shared. Every
        path draws it here, so they draw the same masks from the same seed. With
        ``dropout_masks: step``, one such mask per step: (B, T, G or 1, F)."""
        if not (self.training and self.spec.dropout > 0):
            return None
        gates = self.gates if self.spec.recurrent_dropout > 0 else 1
        steps = (x.shape[1],) if self.spec.dropout_masks == "step" else ()
        return _dropout_mask(x, (x.shape[0], *steps, gates, x.shape[-1]), self.spec.dropout)

    def _stock_layer(self, i: int, x: Tensor, lengths: Optional[Tensor]) -> Tensor:
        mask = self._input_masks(x)   # (B, 1, F): the stock path never runs with recurrent dropout
        if mask is not None:
            x = x * mask                                   # same units every step
        layer = self.rnns[i]
        if lengths is None:
            return layer(x)[0]
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, _ = layer(packed)
        return pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])[0]

    def _projections(self, i: int, x: Tensor, bias: bool = True) -> Tensor:
        """W_ih x_t (+ b_ih) for all steps in one matmul -> (T, B, G*H)."""
        layer = self.rnns[i]
        w_ih, b_ih = layer.weight_ih_l0, (layer.bias_ih_l0 if bias else None)
        g, b, t, f = self.gates, x.shape[0], x.shape[1], x.shape[2]
        mask = self._input_masks(x)
        if mask is not None and mask.dim() == 3:
            mask = mask.unsqueeze(1)              # one per sequence: (B, 1, G, F), the same at every step
        if mask is None:
            gx = F.linear(x, w_ih, b_ih)
        elif mask.shape[2] == 1:
            gx = F.linear(x * mask[:, :, 0], w_ih, b_ih)
        else:
            xm = x.unsqueeze(2) * mask                                      # (B, T, G, F)
            gx = torch.einsum("btgf,ghf->btgh", xm, w_ih.view(g, -1, f)).reshape(b, t, -1)
            gx = gx + b_ih if b_ih is not None else gx
        return gx.transpose(0, 1)

    def _rec_mask(self, x: Tensor) -> Optional[Tensor]:
        """The mask on h_{t-1}: (B, G, H) once per sequence, or (T, B, G, H) with ``dropout_masks:
        step`` (the loops of :mod:`.equations` take step t's as ``[t]``)."""
        if not (self.training and self.spec.recurrent_dropout > 0):
            return None
        steps = (x.shape[1],) if self.spec.dropout_masks == "step" else ()
        return _dropout_mask(x, (*steps, x.shape[0], self.gates, self.spec.hidden), self.spec.recurrent_dropout)

    def _native_layer(self, i: int, x: Tensor) -> Tuple[Tensor, Tensor]:
        """(all h_t, h_T) through the C kernel, with the same masks the stock / stepwise paths
        draw (one shared input mask, or one per gate with recurrent dropout, as Keras; per step
        with ``dropout_masks: step``, the recurrent one drawn (T, B, G, H) as the loops take it)."""
        layer = self.rnns[i]
        xmask, hmask = self._input_masks(x), self._rec_mask(x)
        if hmask is not None and hmask.dim() == 4:
            hmask = hmask.transpose(0, 1)                     # (B, T, G, H): the kernel's layout
        return native_rnn.layer(self.spec.cell, x, layer.weight_ih_l0, layer.bias_ih_l0, layer.weight_hh_l0,
                                layer.bias_hh_l0, xmask, hmask, reset_after=self.spec.reset_after)

    def _bn_inputs(self, i: int, x: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        """BN-LSTM: γ_x BN(W_ih x_t) + b for all steps (T, B, 4H), and the statistics used."""
        return self.bns[i].inputs(self._projections(i, x, bias=False), self.rnns[i].bias_ih_l0)

    def _step_layer(self, i: int, x: Tensor) -> Tensor:
        layer = self.rnns[i]
        w_hh, b_hh = layer.weight_hh_l0, layer.bias_hh_l0
        loop = self.spec.loop
        per_step = self.spec.dropout_masks == "step"    # rm (if any) holds one mask per step
        # the input mask (in the projections) is drawn before the recurrent one, as every path does
        if loop == "bnlstm":
            bn = self.bns[i]
            gx, mean_x, var_x = self._bn_inputs(i, x)
            rm = self._rec_mask(x)
            out, mean_h, var_h, mean_c, var_c = LOOPS[loop](
                gx, w_hh, b_hh, bn.gamma_h, bn.gamma_c, bn.beta_c, rm, bn.mean_h, bn.var_h, bn.mean_c, bn.var_c,
                self.training, BN_EPS, per_step)
            if self.training:    # as nn.BatchNorm: every training-mode batch updates the estimates
                bn.update(x.shape[0], mean_x=mean_x, var_x=var_x, mean_h=mean_h, var_h=var_h,
                          mean_c=mean_c, var_c=var_c)
        else:
            gx = self._projections(i, x)
            rm = self._rec_mask(x)
            if loop == "rnn":
                out = LOOPS[loop](gx, w_hh, b_hh, rm, CELLS[self.spec.cell][1] == "relu", per_step)
            elif loop == "gru":
                out = LOOPS[loop](gx, w_hh, b_hh, rm, self.spec.reset_after, per_step)
            else:
                out = LOOPS[loop](gx, w_hh, b_hh, rm, per_step)
        return out.transpose(0, 1)                                          # (B, T, H)

    def _head(self, out: Tensor, lengths: Optional[Tensor]) -> Tensor:
        if self.spec.return_sequences:
            if lengths is not None:   # steps past a sequence's end output 0 (as packing gives)
                t = torch.arange(out.shape[1], device=out.device)
                out = out * (t[None, :] < lengths.to(out.device)[:, None]).unsqueeze(-1).to(out.dtype)
            return self.head(out)
        if lengths is None:
            return self.head(out[:, -1])
        idx = (lengths.to(out.device).long() - 1).clamp(min=0)
        return self.head(out[torch.arange(out.shape[0], device=out.device), idx])

    def forward(self, x: Tensor, lengths: Optional[Tensor] = None, path: Optional[str] = None) -> Tensor:
        """x: (B, T, F) float or (B, T) int ids -> logits (B, out) or (B, T, out).

        ``lengths`` (B,): true lengths of right-padded sequences. ``path``: None = automatic
        ('native' where :mod:`.kernels` chooses it for this shape, else 'stepwise' when training
        with recurrent dropout, else the stock kernel; without masks all compute the same function), or force
        'native' / 'stepwise' / 'stock' (tests, benchmarks). The native path runs padded steps
        too (the recurrence is causal, so h at a sequence's last real step is the same); the
        stock path packs them away.
        """
        if path not in (None, "native", "stepwise", "stock"):
            raise ValueError(f"path must be None, 'native', 'stepwise' or 'stock', got {path!r}")
        h = self._embed(x)
        if lengths is not None:
            lengths = torch.as_tensor(lengths)
        if lengths is not None and self.spec.cell == "bnlstm":
            raise ValueError("bnlstm normalises over the batch at each step, so padding would enter the "
                             "statistics: it takes fixed-length sequences (no lengths)")
        if path is None:
            path = "native" if self._choose(x, lengths) == "native" else \
                "stock" if self._stock_possible() else "stepwise"
        if path == "stock" and not self._stock_possible():
            raise ValueError(f"torch has no fused layer for {self._what()}; use path='stepwise'" if not self.spec.fused
                             else "the stock kernel takes one input mask per sequence, no per-step masks "
                             "(dropout_masks: step); use path='stepwise'" if self.spec.per_step_masks
                             else "the stock kernel cannot apply recurrent dropout; use path='stepwise'")
        if path == "native" and not self.spec.has_kernel:
            raise ValueError(f"the native kernel does not compute {self._what()}; use path='stepwise'")
        if path == "native":
            last = None
            for i in range(len(self.rnns)):
                h, last = self._native_layer(i, h)
            if not self.spec.return_sequences and lengths is None:
                return self.head(last)      # h_T alone: the backward never sees a (B, T, H) gradient
            return self._head(h, lengths)
        for i in range(len(self.rnns)):
            h = self._step_layer(i, h) if path == "stepwise" else self._stock_layer(i, h, lengths)
        return self._head(h, lengths)

    def _what(self) -> str:
        return "the reset-before GRU" if not self.spec.reset_after else f"cell {self.spec.cell!r}"

    def forward_chunk(self, x: Tensor, state: Optional[list] = None) -> Tuple[Tensor, list]:
        """One chunk of truncated back-propagation through time (many-to-many models only):
        run the stock kernel from ``state`` (per layer: h, or (h, c) for LSTM; None = zeros) and
        return (logits (B, T, out), the state after the chunk). The caller detaches the state
        between chunks, so gradients flow back at most one chunk. Without masks only: a
        variational mask must stay the same for the whole sequence, across chunks."""
        if not self.spec.return_sequences:
            raise ValueError("truncated BPTT needs a many-to-many model (return_sequences)")
        if self.training and (self.spec.dropout > 0 or self.spec.recurrent_dropout > 0):
            raise ValueError("truncated BPTT is not combined with (variational) dropout here: "
                             "its masks would be redrawn at every chunk")
        if not self.spec.fused:
            raise ValueError(f"truncated BPTT runs torch's fused layers, which do not compute {self._what()}")
        h = self._embed(x)
        new_state = []
        for i, layer in enumerate(self.rnns):
            hx = None
            if state is not None:
                hx = tuple(t.unsqueeze(0) for t in state[i]) if self.spec.cell == "lstm" else state[i].unsqueeze(0)
            h, last = layer(h, hx)
            new_state.append(tuple(t.squeeze(0) for t in last) if self.spec.cell == "lstm" else last.squeeze(0))
        return self.head(h), new_state

    def hidden_states(self, x: Tensor, lengths: Optional[Tensor] = None) -> Tuple[Tensor, List[Tensor]]:
        """(logits, [h_1, ..., h_T]) of the top layer, each h_t the tensor that feeds step t+1
        (``retain_grad`` on), so after ``loss.backward()`` ``h_t.grad`` is the full ∂loss/∂h_t.
        Lower layers run as in ``forward``; the top layer is stepped in Python with the same
        weights (and, in training mode, the same kind of masks)."""
        h = self._embed(x)
        if lengths is not None:
            lengths = torch.as_tensor(lengths)
        stepwise = not self._stock_possible()
        top = len(self.rnns) - 1
        for i in range(top):
            h = self._step_layer(i, h) if stepwise else self._stock_layer(i, h, None)
        layer = self.rnns[top]
        loop = self.spec.loop
        gx = self._bn_inputs(top, h)[0] if loop == "bnlstm" else self._projections(top, h)
        rm_all = self._rec_mask(h)
        per_step = self.spec.dropout_masks == "step"
        w_hh, b_hh = layer.weight_hh_l0, layer.bias_hh_l0
        state = gx.new_zeros(gx.shape[1], self.spec.hidden)
        c = state
        hs: List[Tensor] = []
        relu = CELLS[self.spec.cell][1] == "relu"
        for t, xt in enumerate(gx.unbind(0)):  # not gx[t]: see the note above the loops in .equations
            rm = rm_all[t] if per_step and rm_all is not None else rm_all
            if loop == "lstm":
                state, c = lstm_step(xt, state, c, w_hh, b_hh, rm)
            elif loop == "bnlstm":
                bn, s = self.bns[top], min(t, self.spec.bn_max_steps - 1)
                state, c = bnlstm_step(xt, state, c, w_hh, b_hh, bn.gamma_h, bn.gamma_c, bn.beta_c, rm,
                                       bn.mean_h[s], bn.var_h[s], bn.mean_c[s], bn.var_c[s], self.training,
                                       BN_EPS)[:2]
            elif loop == "gru":
                state = (gru_step if self.spec.reset_after else gru_reset_before_step)(xt, state, w_hh, b_hh, rm)
            else:
                state = rnn_step(xt, state, w_hh, b_hh, rm, relu)
            if state.requires_grad:
                state.retain_grad()
            hs.append(state)
        logits = self._head(torch.stack(hs, 1), lengths)
        return logits, hs


def build_model(spec: ModelSpec) -> SequenceModel:
    """The model for ``spec`` (on CPU; move it with ``.to(device)``)."""
    return SequenceModel(spec)


def count_parameters(model: SequenceModel) -> dict[str, int]:
    """Trainable parameter counts: 'recurrent' (all layers), 'recurrent_l<i>' per layer,
    'head', 'embedding', 'total' (a BN-LSTM layer's γ and β count with it). Frozen tensors (``bias='single'``'s b_hh, a frozen
    embedding) are not counted, as Keras' "Trainable params"."""
    def n(mod: Optional[nn.Module]) -> int:
        return 0 if mod is None else sum(p.numel() for p in mod.parameters() if p.requires_grad)

    out = {f"recurrent_l{i}": n(layer) + (n(model.bns[i]) if model.bns is not None else 0)
           for i, layer in enumerate(model.rnns)}
    out["recurrent"] = sum(out[f"recurrent_l{i}"] for i in range(len(model.rnns)))
    out["head"] = n(model.head)
    out["embedding"] = n(model.embedding)
    out["total"] = out["recurrent"] + out["head"] + out["embedding"]
    return out
