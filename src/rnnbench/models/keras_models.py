"""Keras reference models, built the way the lecture builds them, and weight copying to/from torch.

``build_keras_model(spec)`` is a ``keras.Sequential``: [Embedding | Masking] -> SimpleRNN / LSTM /
GRU layers (IRNN = SimpleRNN(relu, RandomNormal kernel, Identity(gain) recurrent); np-RNN = the
same with the :class:`NPRNN` initializer) -> Dense head, ``kernel_regularizer=l2(λ)`` on the
recurrent kernels and the Dense kernel as in the lecture's HAR code. The head outputs logits unless
``softmax=True`` (the lecture's ``activation='softmax'``), so torch and Keras can be compared.

Weight layouts (torch -> Keras): kernel = W_ihᵀ, recurrent_kernel = W_hhᵀ.
LSTM gate order is the same (torch i,f,g,o = Keras i,f,c,o); Keras has one bias = b_ih + b_hh.
GRU: torch r,z,n -> Keras z,r,h, and Keras ``reset_after=True`` (default) keeps two bias rows,
``bias[0]`` = input bias, ``bias[1]`` = recurrent bias, exactly torch's b_ih / b_hh.
"""
from __future__ import annotations

import io
import os
from contextlib import redirect_stdout
from typing import Any

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402

from .seq import ModelSpec  # noqa: E402

# torch GRU gate blocks (r, z, n) in Keras order (z, r, h); the permutation is its own inverse
_GRU_PERM = (1, 0, 2)


@keras.saving.register_keras_serializable(package="rnnbench")
class NPRNN(keras.initializers.Initializer):
    """np-RNN recurrent initializer (Talathi & Vartak 2016, arXiv:1511.03771).

    W_h = (A + I) / e, A = RᵀR / N, R standard Gaussian N×N, e = largest eigenvalue of A + I:
    symmetric positive definite, top eigenvalue 1, the others < 1. The lecture: "no direct
    support in Keras, use a custom initialiser" -- this is it.
    """

    def __init__(self, seed: int | None = None):
        self.seed = seed

    def __call__(self, shape, dtype=None):
        if len(shape) != 2 or shape[0] != shape[1]:
            raise ValueError(f"NPRNN needs a square shape, got {shape}")
        n = int(shape[0])
        # keras.utils.set_random_seed seeds numpy's global RNG, so seed=None is still reproducible
        rng = np.random.default_rng(self.seed) if self.seed is not None else np.random
        r = rng.standard_normal((n, n))
        m = r.T @ r / n + np.eye(n)
        w = m / np.linalg.eigvalsh(m).max()
        return keras.ops.convert_to_tensor(w, dtype=dtype or "float32")

    def get_config(self) -> dict[str, Any]:
        return {"seed": self.seed}


def _recurrent_layer(spec: ModelSpec, return_sequences: bool, reg, name: str):
    if spec.per_step_masks:
        raise ValueError("Keras draws its dropout masks once per sequence (variational dropout) and has no "
                         "per-step mask option: dropout_masks: step runs with backend torch only")
    common = dict(units=spec.hidden, return_sequences=return_sequences, dropout=spec.dropout,
                  recurrent_dropout=spec.recurrent_dropout, kernel_regularizer=reg, name=name)
    if spec.cell == "lstm":
        return keras.layers.LSTM(**common)          # unit_forget_bias=True by default
    if spec.cell == "gru":                           # reset_after=True by default (= torch/cuDNN);
        return keras.layers.GRU(reset_after=spec.reset_after, **common)   # False: the lecture's GRU
    if spec.cell == "rnn_tanh":
        return keras.layers.SimpleRNN(**common)
    if spec.cell == "rnn_relu":                      # ReLU, Keras' default initialisers (not the IRNN's)
        return keras.layers.SimpleRNN(activation="relu", **common)
    if spec.cell == "irnn":                          # the lecture's IRNN slide, verbatim
        return keras.layers.SimpleRNN(
            activation="relu",
            kernel_initializer=keras.initializers.RandomNormal(stddev=spec.input_std),
            recurrent_initializer=keras.initializers.Identity(gain=spec.irnn_gain), **common)
    if spec.cell == "nprnn":
        return keras.layers.SimpleRNN(
            activation="relu",
            kernel_initializer=keras.initializers.RandomNormal(stddev=spec.input_std),
            recurrent_initializer=NPRNN(), **common)
    if spec.cell == "bnlstm":
        raise ValueError("Keras has no recurrent batch normalisation layer: bnlstm runs with backend torch only")
    raise ValueError(f"unknown cell {spec.cell!r}")


def build_keras_model(spec: ModelSpec, l2: float = 0.0, softmax: bool = False,
                      masking: bool = False, steps: int | None = None) -> keras.Sequential:
    """The Keras model for ``spec``.

    l2: ``kernel_regularizer=l2(l2)`` on every recurrent layer's kernel and the Dense kernel (0 = none).
    softmax: Dense ``activation='softmax'`` (the lecture) instead of logits.
    masking: variable-length input: ``Embedding(mask_zero=True)`` for ids (padding id 0), else a
        ``Masking(0.0)`` layer (all-zero steps are padding) -- Keras' way of reading step length-1.
    steps: fixed sequence length for the Input (None = any).
    """
    reg = keras.regularizers.l2(l2) if l2 else None
    if spec.vocab_size is not None:
        if masking and spec.padding_idx != 0:
            raise ValueError("Keras masks padding id 0 only (Embedding(mask_zero=True))")
        layers: list = [keras.Input(shape=(steps,), dtype="int32"),
                        keras.layers.Embedding(spec.vocab_size, spec.embedding_dim, mask_zero=masking,
                                               name="embedding")]
    else:
        layers = [keras.Input(shape=(steps, spec.input_size))]
        if masking:
            layers.append(keras.layers.Masking(0.0))
    for i in range(spec.layers):
        rs = spec.return_sequences or i < spec.layers - 1
        layers.append(_recurrent_layer(spec, rs, reg, name=f"{spec.cell}_{i}"))
    layers.append(keras.layers.Dense(spec.output_size, kernel_regularizer=reg,
                                     activation="softmax" if softmax else None, name="dense"))
    return keras.Sequential(layers, name=f"{spec.cell}_x{spec.layers}")


def _recurrent_layers(km: keras.Model) -> list:
    return [lay for lay in km.layers if isinstance(lay, keras.layers.RNN)]


def _dense(km: keras.Model):
    dense = [lay for lay in km.layers if isinstance(lay, keras.layers.Dense)]
    if len(dense) != 1:
        raise ValueError(f"expected one Dense head, found {len(dense)}")
    return dense[0]


def _t2n(t) -> np.ndarray:
    return t.detach().cpu().numpy().astype(np.float32)


def _blocks(a: np.ndarray, g: int, perm, axis: int) -> np.ndarray:
    parts = np.split(a, g, axis=axis)
    return np.concatenate([parts[p] for p in perm], axis=axis)


def copy_torch_to_keras(torch_model, keras_model: keras.Model) -> None:
    """Load ``torch_model``'s weights into ``keras_model`` (built from the same spec)."""
    spec = torch_model.spec
    rec = _recurrent_layers(keras_model)
    if len(rec) != len(torch_model.rnns):
        raise ValueError(f"layer count differs: torch {len(torch_model.rnns)}, keras {len(rec)}")
    for lt, lk in zip(torch_model.rnns, rec):
        w_ih, w_hh = _t2n(lt.weight_ih_l0), _t2n(lt.weight_hh_l0)
        b_ih, b_hh = _t2n(lt.bias_ih_l0), _t2n(lt.bias_hh_l0)
        if spec.cell == "gru":
            w_ih, w_hh = _blocks(w_ih, 3, _GRU_PERM, 0), _blocks(w_hh, 3, _GRU_PERM, 0)
            bias = np.stack([_blocks(b_ih, 3, _GRU_PERM, 0), _blocks(b_hh, 3, _GRU_PERM, 0)])
            if not spec.reset_after:                # reset before: b_hn sits outside the reset too
                bias = bias.sum(0)
        else:
            bias = b_ih + b_hh                      # Keras/lecture: one bias per gate
        lk.set_weights([w_ih.T, w_hh.T, bias])
    head = _dense(keras_model)
    head.set_weights([_t2n(torch_model.head.weight).T, _t2n(torch_model.head.bias)])
    if torch_model.embedding is not None:
        keras_model.get_layer("embedding").set_weights([_t2n(torch_model.embedding.weight)])


def copy_keras_to_torch(keras_model: keras.Model, torch_model) -> None:
    """Load ``keras_model``'s weights into ``torch_model``; the one Keras bias of SimpleRNN/LSTM
    goes to b_ih (b_hh = 0, which also suits ``bias='single'``)."""
    import torch

    spec = torch_model.spec
    with torch.no_grad():
        for lt, lk in zip(torch_model.rnns, _recurrent_layers(keras_model)):
            kernel, rkernel, bias = lk.get_weights()
            w_ih, w_hh = kernel.T, rkernel.T
            if spec.cell == "gru" and not spec.reset_after:   # one bias row: it goes to b_ih
                w_ih, w_hh = _blocks(w_ih, 3, _GRU_PERM, 0), _blocks(w_hh, 3, _GRU_PERM, 0)
                b_ih = _blocks(bias, 3, _GRU_PERM, 0)
                b_hh = np.zeros_like(b_ih)
            elif spec.cell == "gru":
                w_ih, w_hh = _blocks(w_ih, 3, _GRU_PERM, 0), _blocks(w_hh, 3, _GRU_PERM, 0)
                b_ih, b_hh = _blocks(bias[0], 3, _GRU_PERM, 0), _blocks(bias[1], 3, _GRU_PERM, 0)
                if spec.bias == "single" and np.any(b_hh != 0):
                    raise ValueError("Keras GRU has a non-zero recurrent bias; torch bias='single' holds it at 0")
            else:
                b_ih, b_hh = bias, np.zeros_like(bias)
            for p, v in ((lt.weight_ih_l0, w_ih), (lt.weight_hh_l0, w_hh), (lt.bias_ih_l0, b_ih),
                         (lt.bias_hh_l0, b_hh)):
                p.copy_(torch.from_numpy(np.ascontiguousarray(v)))
        kernel, bias = _dense(keras_model).get_weights()
        torch_model.head.weight.copy_(torch.from_numpy(np.ascontiguousarray(kernel.T)))
        torch_model.head.bias.copy_(torch.from_numpy(bias))
        if torch_model.embedding is not None:
            torch_model.embedding.weight.copy_(torch.from_numpy(keras_model.get_layer("embedding").get_weights()[0]))


def keras_param_counts(spec: ModelSpec, l2: float = 0.0) -> dict[str, int]:
    """Trainable counts as Keras reports them: 'recurrent_l<i>', 'recurrent', 'head',
    'embedding', 'total'. Keras has one bias per gate (GRU reset_after: two rows), so for the
    lecture's HAR LSTM(32) on 9 inputs + Dense(6): 5,376 / 198 / 5,574."""
    km = build_keras_model(spec, l2=l2)
    out = {f"recurrent_l{i}": int(lay.count_params()) for i, lay in enumerate(_recurrent_layers(km))}
    out["recurrent"] = sum(out[f"recurrent_l{i}"] for i in range(spec.layers))
    out["head"] = int(_dense(km).count_params())
    out["embedding"] = int(km.get_layer("embedding").count_params()) if spec.vocab_size is not None else 0
    out["total"] = int(sum(int(np.prod(w.shape)) for w in km.trainable_weights))
    return out


def keras_summary(km: keras.Model) -> str:
    """``model.summary()`` as text (what the lecture's slide shows)."""
    buf = io.StringIO()
    with redirect_stdout(buf):
        km.summary(print_fn=lambda line, *a, **k: print(line))
    return buf.getvalue()
