"""The CPU path of the recurrent layers: ``kernels/recurrence.c`` (one whole layer, input
projection + recurrence + gates fused per step, forward and backward) as a
``torch.autograd.Function``.

It takes the layer's own torch parameters (W_ih, b_ih, W_hh, b_hh, torch gate layouts) and
Keras' variational-dropout masks, so autograd still owns the parameters, the embedding and the
layers around it; gradients come back for all four tensors and for the layer input.

Hidden sizes that are not a multiple of the kernel's vector width (``vector_width()``: 16 floats
in an AVX-512 build, 8 with AVX2, 4 otherwise; read from the built library) are padded with units
whose weights and biases are zero: such a unit's pre-activations are 0 at every step, so its h
(and LSTM c) stays exactly 0 — tanh(0) = relu(0) = 0, LSTM c = σ(0)·0 + σ(0)·tanh(0) = 0, GRU
h = σ(0)·0 + σ(0)·tanh(0) = 0 — and, with zero weights out of it, it changes nothing.

When it runs instead of torch's own layers is decided in :mod:`.kernels` (one place, with
its conditions). If the kernel cannot be built (no C compiler, its source missing from an
install), :func:`load` returns the reason and the torch path runs.
"""
from __future__ import annotations

import ctypes
import functools
from pathlib import Path
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from .. import cbuild
from ..cells import REGISTRY
from .._malloc import keep_heap

# the kernel's cell codes, for the cells it computes
CELL_CODES = {name: c.kernel_code for name, c in REGISTRY.items() if c.kernel_code is not None}
GRU_RESET_BEFORE = 4   # the GRU with reset_after=False (the lecture's): recurrence.c's cell 4
# input width / hidden units from which the input side is one GEMM (hoists()): forward + backward,
# batch 128 x 100 steps, one thread, LSTM and GRU with H = 32 and 64 (bench/recurrent_kernels.py
# --hoist, 2026-12-04, Intel Xeon): hoisted / fused at F = H 1.07-1.13x faster with the x86-64-v3
# build (AVX2), 1.20-1.30x with AVX-512; at F = H/2 0.98-1.35x (a loss on one AVX2 shape), F = 3H 1.36-1.95x
HOIST_MIN_RATIO = 1.0
SOURCE = Path(__file__).with_name("kernels") / "recurrence.c"


def _declare(lib: ctypes.CDLL) -> None:
    P, i64, i32 = ctypes.c_void_p, ctypes.c_int64, ctypes.c_int32
    lib.rnn_forward.argtypes = [i32, i64, i64, i64, i64, i64, P, P, P, P, i32, P, P, P, i32, P, P, P, P, i32, P]
    lib.rnn_forward.restype = ctypes.c_int
    lib.rnn_backward.argtypes = [i32, i64, i64, i64, i64, i64, P, P, P, i32, P, P, i32,
                                 P, P, P, P, P, P, P, P, P, P, i32, P]
    lib.rnn_backward.restype = ctypes.c_int
    lib.rnn_vector_width.restype = ctypes.c_int
    lib.rnn_row_block.restype = ctypes.c_int


@functools.lru_cache(maxsize=None)
def _source() -> Tuple[Optional[str], str]:
    try:
        return SOURCE.read_text(), ""
    except OSError as e:   # e.g. an install that left out the package data
        return None, f"the recurrence kernel's source is missing ({e})"


def load() -> Tuple[Optional[ctypes.CDLL], str]:
    """(library, description) or (None, why it is unavailable); built once per process and
    ``RNNBENCH_MARCH`` (see :mod:`rnnbench.cbuild`)."""
    source, why = _source()   # read once: load() runs on every forward, backward and ``path`` query
    if source is None:
        return None, why
    # -std=c99 turns off fused multiply-add contraction; the matmul loops want it (about 2x).
    # -fno-trapping-math lets gcc turn the gate loops' clamps into blends: without it they stay
    # scalar wherever the target has no AVX-512 mask registers (AVX2, SSE; NaNs still propagate)
    return cbuild.load("recurrence", source, _declare, ["-ffp-contract=fast", "-fno-trapping-math"])


def vector_width(lib: Optional[ctypes.CDLL] = None) -> int:
    """Floats per vector of the built kernel: hidden sizes are padded to a multiple of it."""
    lib = lib or load()[0]
    if lib is None:
        raise RuntimeError(f"the native recurrence is not available: {load()[1]}")
    return int(lib.rnn_vector_width())


def _p(t: Optional[Tensor]) -> Optional[int]:
    return None if t is None else t.data_ptr()


def _pad_rows(w: Tensor, g: int, h: int, hp: int) -> Tensor:
    """(g*h, ...) -> (g*hp, ...): each gate block gets hp - h zero rows."""
    if hp == h:
        return w.contiguous()
    w = w.reshape(g, h, *w.shape[1:])
    return F.pad(w, [0, 0] * (w.dim() - 2) + [0, hp - h]).reshape(g * hp, *w.shape[2:]).contiguous()


def _unpad_rows(w: Tensor, g: int, h: int, hp: int) -> Tensor:
    return w if hp == h else w.reshape(g, hp, *w.shape[1:])[:, :h].reshape(g * h, *w.shape[1:])


def hoists(xmask: Optional[Tensor], n_in: int, hidden: int) -> bool:
    """Whether the layer computes its input side W_ih x_t + b_ih for all steps as one GEMM before
    the kernel (see recurrence.c): without an input mask (a mask per gate or per step multiplies x
    before the matmul) and with an input at least ``HOIST_MIN_RATIO`` times as wide as the layer:
    there W_ih (G·H x F) crowds W_hh out of L1 and its per-step matmul is at least half of a step's
    work, which one large GEMM does faster (bench/recurrent_kernels.py --hoist measures it)."""
    return xmask is None and n_in >= HOIST_MIN_RATIO * hidden


def _check(rc: int) -> None:
    if rc == 1:
        raise MemoryError("native recurrence: could not allocate its scratch memory")
    if rc == 3:
        raise ValueError("native recurrence: a hoisted input side takes no input and no input mask")
    if rc:
        raise RuntimeError(f"native recurrence failed (code {rc})")


class _Layer(torch.autograd.Function):
    """(x, W_ih, b_ih, W_hh, b_hh, x mask, h mask) -> (all h_t (B, T, H), h_T (B, H)). Masks with a
    T axis (x mask (B, T, GX, F), h mask (B, T, G, H)) are one per step."""

    @staticmethod
    def forward(ctx, x, w_ih, b_ih, w_hh, b_hh, xmask, hmask, code: int, threads: int, lib):
        B, T, Fin = x.shape
        H = w_hh.shape[1]
        G = w_hh.shape[0] // H
        vl = vector_width(lib)
        Hp = -(-H // vl) * vl
        with torch.no_grad():
            wx = _pad_rows(w_ih.detach(), G, H, Hp)                                  # (G*Hp, F)
            wh = _pad_rows(F.pad(w_hh.detach(), [0, Hp - H]), G, H, Hp)              # (G*Hp, Hp)
            bx = _pad_rows(b_ih.detach(), G, H, Hp)
            bh = _pad_rows(b_hh.detach(), G, H, Hp)
            hm = None if hmask is None else F.pad(hmask, [0, Hp - H], value=1.0).contiguous()
        xm = None if xmask is None else xmask.contiguous()
        mstep = int(any(m is not None and m.dim() == 4 for m in (xm, hm)))
        x = x.contiguous()
        hoist = hoists(xm, Fin, H)
        with torch.no_grad():   # hoisted: W_ih x_t + b_ih of every step in one GEMM, (B, T, G*Hp)
            gx = torch.addmm(bx, x.reshape(B * T, Fin), wx.t()).view(B, T, G * Hp) if hoist else None
        wxT = None if hoist else wx.t().contiguous()   # hoisted: the kernel has no input matmul to run
        whT = wh.t().contiguous()
        out, last = x.new_empty(B, T, Hp), x.new_empty(B, Hp)
        need_grad = any(ctx.needs_input_grad[:5])
        cs = x.new_empty(B, T, Hp) if need_grad and code == CELL_CODES["lstm"] else None
        act = x.new_empty(B, T, 4 * Hp) if need_grad and code >= CELL_CODES["lstm"] else None   # LSTM, GRUs
        src, n_in = (gx, 0) if hoist else (x, Fin)
        _check(lib.rnn_forward(code, B, T, n_in, Hp, G, _p(src), _p(wxT), _p(bx), _p(xm),
                               1 if xm is None else xm.shape[-2], _p(whT), _p(bh), _p(hm), mstep, _p(out),
                               _p(last), _p(cs), _p(act), threads, _p(gx)))
        ctx.meta = (code, threads, H, Hp, G, lib, mstep, hoist)   # the backward runs the same build
        ctx.save_for_backward(x, wx, wh, xm, hm, out, cs, act)
        ctx.set_materialize_grads(False)
        if Hp != H:
            out, last = out[:, :, :H].contiguous(), last[:, :H].contiguous()
        return out, last

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, dout, dlast):
        code, threads, H, Hp, G, lib, mstep, hoist = ctx.meta
        x, wx, wh, xm, hm, out, cs, act = ctx.saved_tensors
        B, T, Fin = x.shape
        pad = (lambda t: t) if Hp == H else (lambda t: F.pad(t, [0, Hp - H]))
        dout = None if dout is None else pad(dout).contiguous()
        dlast = None if dlast is None else pad(dlast).contiguous()
        dx = torch.zeros_like(x) if ctx.needs_input_grad[0] and not hoist else None
        dgx = x.new_empty(B * T, G * Hp) if hoist else None
        dwxT, dwhT = wx.new_zeros(0 if hoist else Fin, G * Hp), wh.new_zeros(Hp, G * Hp)
        dbx, dbh = wx.new_zeros(G * Hp), wx.new_zeros(G * Hp)
        _check(lib.rnn_backward(code, B, T, 0 if hoist else Fin, Hp, G, _p(x), _p(wx), _p(xm),
                                1 if xm is None else xm.shape[-2], _p(wh), _p(hm), mstep, _p(out), _p(cs), _p(act),
                                _p(dout), _p(dlast), _p(dx), _p(dwxT), _p(dbx), _p(dwhT), _p(dbh), threads, _p(dgx)))
        need = ctx.needs_input_grad
        if hoist:   # the input side's gradients as GEMMs over all steps
            x2 = x.reshape(B * T, Fin)
            dwxT = torch.mm(x2.t(), dgx)                                            # (F, G*Hp)
            dx = torch.mm(dgx, wx).view(B, T, Fin) if need[0] else None
        dw_ih = _unpad_rows(dwxT.t(), G, H, Hp) if need[1] else None
        dw_hh = _unpad_rows(dwhT.t()[:, :H], G, H, Hp) if need[3] else None
        db_ih = _unpad_rows(dbx, G, H, Hp) if need[2] else None
        db_hh = _unpad_rows(dbh, G, H, Hp) if need[4] else None
        return dx, dw_ih, db_ih, dw_hh, db_hh, None, None, None, None, None


def layer(cell: str, x: Tensor, w_ih: Tensor, b_ih: Tensor, w_hh: Tensor, b_hh: Tensor,
          xmask: Optional[Tensor] = None, hmask: Optional[Tensor] = None,
          reset_after: bool = True) -> Tuple[Tensor, Tensor]:
    """One recurrent layer on CPU: (all h_t (B, T, H), h_T (B, H)) from x (B, T, F) and torch's
    parameters. ``xmask`` (B, 1 or G, F): Keras input-dropout mask (one shared, or one per gate);
    ``hmask`` (B, G, H): recurrent-dropout mask; both already scaled by 1/(1-p). With a T axis
    after B, (B, T, 1 or G, F) and (B, T, G, H), a fresh mask at every step (``dropout_masks:
    step``); both masks then have it. ``reset_after=False``: the GRU resetting before its
    recurrent matmul (the lecture's, Keras' ``reset_after=False``)."""
    if x.device.type != "cpu" or x.dtype != torch.float32:
        raise ValueError(f"the native recurrence runs on CPU float32, got {x.device} {x.dtype}")
    lib, msg = load()
    if lib is None:
        raise RuntimeError(f"the native recurrence is not available: {msg}")
    if cell not in CELL_CODES:
        raise ValueError(f"the native recurrence has no kernel for cell {cell!r} (it has: {', '.join(CELL_CODES)})")
    if not reset_after and cell != "gru":
        raise ValueError(f"reset_after=False is the GRU's reset-before variant, not for {cell!r}")
    steps = {m.dim() == 4 for m in (xmask, hmask) if m is not None}
    if len(steps) > 1:
        raise ValueError("the input and recurrent masks must both be per step (a T axis) or both per sequence")
    code = CELL_CODES[cell] if reset_after else GRU_RESET_BEFORE
    keep_heap()   # its large per-batch buffers would otherwise be fresh pages, faulted in every batch
    return _Layer.apply(x, w_ih, b_ih, w_hh, b_hh, xmask, hmask, code, torch.get_num_threads(), lib)
