"""The seeds of one arm as one model: S members with stacked weights, trained together.

The arms of the claims register are runs that differ only in their seed. Each member here is
the :class:`~rnnbench.models.seq.SequenceModel` that seed builds alone (built by that model's own
code, then its tensors stacked: dim 0 of every parameter is the member). Two ways to run them,
the same function:

* 'stacked': that model's stepwise path with a members dimension — one batched matmul per step
  for all members (the loops of :mod:`.equations` take the extra dim). What fills a GPU: S small
  models launch as one.
* 'loop': member after member, each through the one-seed model's own path (the native C kernel
  or torch's fused layer, chosen per shape as for a run alone, :mod:`.kernels`) with that
  member's slice of the stacked weights (``torch.func.functional_call``). On a CPU a fused
  kernel per member is faster than the stepwise loop with S members (bench/seed_groups.py), and
  the group still shares one process, one data load and one evaluation pass.

``path: auto`` takes 'stacked' on a GPU and 'loop' on a CPU. Each member draws its dropout masks
from its own generator, in the order and shapes the one-seed path draws them from the global
one, so a member computes what its seed computes alone, up to float rounding
(tests/test_members.py).

What is batched (:func:`batchable`): rnn_tanh, rnn_relu, irnn, nprnn, lstm, gru (reset after or
before the recurrent matmul) — with or without embedding, padding (lengths),
many-to-many heads, dropout and recurrent dropout with either mask placement in time
(``dropout_masks``: one per sequence, or per step — the stacked path draws each member's per-step
masks as the one-seed stepwise path does; the loop path runs that path itself), clipping, L2. Not batched, trained one seed
after another in the group's job (``rnnbench.train.run_group``): the BN-LSTM (its per-step batch
statistics and running estimates are per-member buffers, not worth a second implementation for
one claim), truncated BPTT
(stateful chunks), Keras runs (TensorFlow trains its own model; one run per process).
"""
from __future__ import annotations

import copy
from typing import Callable, Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..runspec import RunSpec
from .equations import LOOPS
from .seq import CELLS, SequenceModel

BATCHED_CELLS = ("rnn_tanh", "rnn_relu", "irnn", "nprnn", "lstm", "gru")
PATHS = ("auto", "stacked", "loop")


def batchable(spec, cfg: dict) -> Optional[str]:
    """None when the seeds of this model and training config train as one stacked model; else why not."""
    if spec.cell not in BATCHED_CELLS:
        return f"cell {spec.cell!r} trains one seed at a time (per-step batch statistics)"
    if RunSpec.from_dict(cfg).tbptt:
        return "truncated BPTT trains one seed at a time"
    return None


def _mask(shape: tuple, p: float, gen: torch.Generator, device) -> Tensor:
    """seq._dropout_mask's inverted-dropout mask, from a member's own generator."""
    return torch.empty(shape, device=device).bernoulli_(1.0 - p, generator=gen).div_(1.0 - p)


class Members(nn.Module):
    """S trained-together copies of one :class:`SequenceModel` spec, weights stacked on dim 0.

    ``models``: the members as each seed built them; ``generators``: each member's dropout-mask
    generator, in the state the one-seed run's global generator has when its training starts.
    """

    stacked = True

    def __init__(self, models: list[SequenceModel], generators: list[torch.Generator], path: str = "auto"):
        super().__init__()
        if path not in PATHS:
            raise ValueError(f"members path must be one of {PATHS}, got {path!r}")
        self.requested_path = path
        if not models or len(models) != len(generators):
            raise ValueError(f"need one generator per member, got {len(models)} models and {len(generators)}")
        spec = models[0].spec
        for m in models[1:]:
            if m.spec != spec:
                raise ValueError(f"members must share one spec; got {spec} and {m.spec}")
        why = batchable(spec, {})
        if why is not None:
            raise ValueError(why)
        self.spec, self.size, self.gates = spec, len(models), models[0].gates
        self.generators = generators
        # one member's module (not registered: its own weights are never trained): member_model()
        # copies it, the loop path runs it with each member's slice of the stacked weights
        self._template = [copy.deepcopy(models[0])]
        self.names = [n for n, _ in models[0].named_parameters()]
        params = [dict(m.named_parameters()) for m in models]
        self.weights = nn.ParameterList(
            nn.Parameter(torch.stack([p[n].detach() for p in params]), requires_grad=params[0][n].requires_grad)
            for n in self.names)

    @property
    def template(self) -> SequenceModel:
        return self._template[0]

    def _apply(self, fn, recurse=True):
        super()._apply(fn, recurse)
        self.template._apply(fn, recurse)
        return self

    def train(self, mode: bool = True):
        super().train(mode)
        self.template.train(mode)
        return self

    def run_path(self) -> str:
        """'stacked' or 'loop' (see the module docstring)."""
        if self.requested_path != "auto":
            if self.requested_path == "loop" and self.weights[0].is_cuda:
                raise ValueError("the members' loop path draws masks from CPU generators: use 'stacked' on a GPU")
            return self.requested_path
        return "stacked" if self.weights[0].is_cuda else "loop"

    @property
    def path(self) -> str:
        """For the run record: 'members-stacked', or 'members-loop/<the one-seed model's path>'."""
        p = self.run_path()
        return "members-stacked" if p == "stacked" else f"members-loop/{self.template.path}"

    def kernel_record(self) -> dict:
        rec = self.template.kernel_record()
        rec["members"] = {"size": self.size, "path": self.run_path()}
        return rec

    def w(self, name: str) -> Tensor:
        return self.weights[self.names.index(name)]

    # ------------------------------------------------------------ what the loop asks of a model
    def kernel_parameters(self) -> list[Tensor]:
        """Keras l2's tensors (input kernels and Dense kernel), stacked; see SequenceModel."""
        return [self.w(f"rnns.{i}.weight_ih_l0") for i in range(self.spec.layers)] + [self.w("head.weight")]

    def member_state(self, s: int) -> dict[str, Tensor]:
        return {n: p[s].detach().clone() for n, p in zip(self.names, self.weights)}

    @torch.no_grad()
    def load_member_state(self, s: int, state: dict[str, Tensor]) -> None:
        for n, p in zip(self.names, self.weights):
            p[s].copy_(state[n])

    @torch.no_grad()
    def member_model(self, s: int) -> SequenceModel:
        """Member ``s`` as a one-seed model (diagnostics, parameter counts, predictions)."""
        m = copy.deepcopy(self.template)
        for n, p in m.named_parameters():
            p.copy_(self.w(n)[s])
        return m

    def mask_states(self) -> list[Tensor]:
        return [g.get_state() for g in self.generators]

    def set_mask_states(self, states: list[Tensor]) -> None:
        for g, st in zip(self.generators, states):
            g.set_state(st)

    # ------------------------------------------------------------ the forward pass, all members at once
    def _masks(self, shape: tuple, p: float, device, dim: int = 0) -> Tensor:
        """Each member's mask of ``shape`` (the one-seed path's), from its own generator, stacked on ``dim``."""
        return torch.stack([_mask(shape, p, gen, device) for gen in self.generators], dim)

    def _layer(self, i: int, x: Tensor) -> Tensor:
        """(S, B, T, F) -> (S, B, T, H): seq.SequenceModel._step_layer with a members dim."""
        s, b, t, f = x.shape
        spec, g = self.spec, self.gates
        w_ih, b_ih = self.w(f"rnns.{i}.weight_ih_l0"), self.w(f"rnns.{i}.bias_ih_l0")
        w_hh, b_hh = self.w(f"rnns.{i}.weight_hh_l0"), self.w(f"rnns.{i}.bias_hh_l0")
        train = self.training
        # dropout_masks 'step': the one-seed path's shapes with a T axis, (B, T, G, F) and (T, B, G, H)
        per_step = spec.dropout_masks == "step"
        steps = (t,) if per_step else ()
        # the input mask first, then the recurrent one: the one-seed path's order
        in_mask = (self._masks((b, *steps, g if spec.recurrent_dropout > 0 else 1, f), spec.dropout, x.device)
                   if train and spec.dropout > 0 else None)
        if in_mask is not None and not per_step:
            in_mask = in_mask.unsqueeze(2)                                  # (S, B, 1, G, F): every step alike
        if in_mask is None or in_mask.shape[3] == 1:
            xm = x if in_mask is None else x * in_mask[:, :, :, 0]          # (S, B, T or 1, F)
            gx = torch.baddbmm(b_ih.unsqueeze(1), xm.reshape(s, b * t, f), w_ih.transpose(1, 2))
        else:
            xm = x.unsqueeze(3) * in_mask                                   # (S, B, T, G, F)
            gx = torch.einsum("sbtgf,sghf->sbtgh", xm, w_ih.view(s, g, -1, f)).reshape(s, b * t, -1)
            gx = gx + b_ih.unsqueeze(1)
        gx = gx.view(s, b, t, -1).permute(2, 0, 1, 3)                       # (T, S, B, G·H)
        # (S, B, G, H), or per step (T, S, B, G, H): the loops take step t's as rm[t]
        rm = (self._masks((*steps, b, g, spec.hidden), spec.recurrent_dropout, x.device, dim=len(steps))
              if train and spec.recurrent_dropout > 0 else None)
        loop = spec.loop
        if loop == "rnn":
            out = LOOPS[loop](gx, w_hh, b_hh, rm, CELLS[spec.cell][1] == "relu", per_step)
        elif loop == "gru":
            out = LOOPS[loop](gx, w_hh, b_hh, rm, spec.reset_after, per_step)
        else:
            out = LOOPS[loop](gx, w_hh, b_hh, rm, per_step)
        return out.permute(1, 2, 0, 3)                                      # (S, B, T, H)

    def _embed(self, x: Tensor) -> Tensor:
        if self.spec.vocab_size is None:
            if x.dim() != 4 or x.shape[-1] != self.spec.input_size:
                raise ValueError(f"expected (S, B, T, {self.spec.input_size}) float input, got {tuple(x.shape)}")
            return x
        # F.embedding per member: its backward leaves padding_idx's row untouched, as nn.Embedding
        w = self.w("embedding.weight")
        return torch.stack([F.embedding(x[k].long(), w[k], self.spec.padding_idx) for k in range(self.size)])

    def _member_forward(self, k: int, x: Tensor, lengths: Optional[Tensor], weights: dict[str, Tensor]) -> Tensor:
        """Member k through the one-seed model's own path with its ``weights`` (views of the
        stacked ones), its masks from its own generator."""
        from torch.func import functional_call

        args = (x,) if lengths is None else (x, lengths)
        if not (self.training and (self.spec.dropout > 0 or self.spec.recurrent_dropout > 0)):
            return functional_call(self.template, weights, args)
        saved = torch.get_rng_state()
        torch.set_rng_state(self.generators[k].get_state())
        try:
            return functional_call(self.template, weights, args)
        finally:
            self.generators[k].set_state(torch.get_rng_state())
            torch.set_rng_state(saved)

    def forward(self, x: Tensor, lengths: Optional[Tensor] = None, active: Optional[list[bool]] = None) -> Tensor:
        """x: (S, B, T, F) floats or (S, B, T) ids; lengths (S, B) -> logits (S, B, out) or (S, B, T, out).

        ``active``: the members whose outputs the caller reads. The loop path runs those only and
        gives the others zeros without a graph — a member that stopped early or diverged costs
        nothing while the rest train on (its loss is masked out, so its gradient was zero anyway).
        The stacked path computes every member: one batched matmul, whoever reads it."""
        if x.shape[0] != self.size:
            raise ValueError(f"input has {x.shape[0]} members, the model {self.size}")
        if self.run_path() == "loop":
            run = [True] * self.size if active is None else list(active)
            if len(run) != self.size or not any(run):
                raise ValueError(f"active must name {self.size} members, at least one of them active; got {active}")
            # one unbind per stacked tensor, not S indexings: autograd then assembles the stacked
            # gradient in one pass, where p[k]'s backward writes a full (S, ...) zero tensor per
            # member and sums S of them (for IMDb's (9, 20000, 100) embedding, ~2 GB of memory
            # traffic a batch)
            views = [dict(zip(self.names, ws)) for ws in zip(*(p.unbind(0) for p in self.weights))]
            outs = {k: self._member_forward(k, x[k], None if lengths is None else lengths[k], views[k])
                    for k in range(self.size) if run[k]}
            idle = torch.zeros_like(next(iter(outs.values())))
            return torch.stack([outs[k] if run[k] else idle for k in range(self.size)])
        h = self._embed(x)
        for i in range(self.spec.layers):
            h = self._layer(i, h)
        w, b = self.w("head.weight"), self.w("head.bias")
        s, bsz, t, n = h.shape
        if self.spec.return_sequences:
            if lengths is not None:   # steps past a sequence's end output 0, as the one-seed model
                steps = torch.arange(t, device=h.device)
                h = h * (steps[None, None, :] < lengths[:, :, None]).unsqueeze(-1).to(h.dtype)
            return torch.baddbmm(b.unsqueeze(1), h.reshape(s, bsz * t, n), w.transpose(1, 2)).view(s, bsz, t, -1)
        if lengths is None:
            last = h[:, :, -1]
        else:
            idx = (lengths.long() - 1).clamp(min=0)
            last = h.gather(2, idx[:, :, None, None].expand(s, bsz, 1, n)).squeeze(2)
        return torch.baddbmm(b.unsqueeze(1), last, w.transpose(1, 2))


def build_members(spec, seeds: list[int], device, prepare: Optional[Callable[[SequenceModel], None]] = None,
                  path: str = "auto") -> Members:
    """The members of ``seeds``: each built exactly as its one-seed run builds it (all generators
    seeded with the seed, then :func:`~rnnbench.models.seq.build_model`, then ``prepare``, e.g.
    loading pretrained embedding rows), with a mask generator in the state the one-seed run's
    global generator is in when its training starts (the CUDA one, freshly seeded, on a GPU)."""
    from ..device import seed_everything
    from .seq import build_model

    models, gens = [], []
    dev = torch.device(device)
    for seed in seeds:
        seed_everything(int(seed))
        m = build_model(spec)
        if prepare is not None:
            prepare(m)
        models.append(m)
        gen = torch.Generator(device=dev)
        if dev.type == "cpu":
            gen.set_state(torch.get_rng_state())
        else:
            gen.manual_seed(int(seed))
        gens.append(gen)
    return Members(models, gens, path)


class OneMember(nn.Module):
    """A one-seed :class:`SequenceModel` seen by the loop as a group of one (S = 1): its own
    kernels (native / stock / stepwise, as :mod:`.seq` chooses) and the global generator's masks,
    exactly as it runs alone. Its tensors carry no members dim (``stacked`` False)."""

    stacked = False
    size = 1

    def __init__(self, model: SequenceModel):
        super().__init__()
        self.model = model

    @property
    def path(self) -> str:
        return getattr(self.model, "path", "torch")

    def kernel_parameters(self) -> list[Tensor]:
        return self.model.kernel_parameters()

    def member_state(self, s: int) -> dict:
        return copy.deepcopy(self.model.state_dict())

    def load_member_state(self, s: int, state: dict) -> None:
        self.model.load_state_dict(state)

    def member_model(self, s: int) -> SequenceModel:
        return self.model

    def mask_states(self) -> list[Tensor]:
        return [torch.get_rng_state()]

    def set_mask_states(self, states: list[Tensor]) -> None:
        torch.set_rng_state(states[0])

    def forward(self, x: Tensor, lengths: Optional[Tensor] = None, active: Optional[list[bool]] = None) -> Tensor:
        return (self.model(x[0]) if lengths is None else self.model(x[0], lengths[0])).unsqueeze(0)
