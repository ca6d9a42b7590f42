"""The word2vec model: input vectors ``syn0`` and output weights (``syn1`` for hierarchical
softmax, ``syn1neg`` for negative sampling, ``syn1soft`` for the full softmax over the
vocabulary), trained by plain SGD with manual gradients as in word2vec.c / gensim, batched: a
batch's examples all read the same weights, and their row updates are summed into the matrices
with ``index_add_`` (sparse: only touched rows move).

The full softmax is what HS and NS exist to avoid (the lecture: "the denominator term can be cpu
intensive"): each example scores all V output vectors, and every output vector moves at every
step. It has no C kernel (word2vec.c has none either); :mod:`.trainer` runs it on this path.

Saturated dot products (|x·w| >= 6) give no update, as in gensim's ``word2vec_inner.pyx``.

On CPU the trainer normally runs the C kernel of :mod:`.native` instead (word2vec.c's
sequential SGD); this batched path serves GPUs and is the fallback.

Known limitation, measured: word2vec.c applies each pair's update before the next pair reads the
weights; a batch reads them once. Rows shared by many examples of a batch (the Huffman root and
top inner nodes, frequent noise words) then take one large summed step, and quality falls below
gensim's at equal hyper-parameters as ``batch_words`` grows (see the word2vec summary table).
"""
from __future__ import annotations

import numpy as np
import torch

from .huffman import HuffmanTree
from .sampling import NegativeSampler

MAX_EXP = 6.0
# the full softmax scores a chunk of examples against all V output vectors at once: chunks of
# at most this many logits bound its memory (a batch holds thousands of pairs, V tens of thousands)
SOFTMAX_CHUNK_LOGITS = 1 << 22
# rows of one hierarchical-softmax update (see Word2VecModel.hs_step); tests/test_word2vec_torch_quality.py
# checks the batched path against gensim with it
HS_CHUNK_PAIRS = 256


class Word2VecModel:
    def __init__(self, vocab_size: int, vector_size: int, *, hs: bool, negative: int,
                 tree: HuffmanTree | None, sampler: NegativeSampler | None, device,
                 generator: torch.Generator, softmax: bool = False):
        self.device = torch.device(device)
        self.negative = negative
        self.sampler = sampler
        # gensim 4 (keyedvectors.prep_vectors): uniform in [-1, 1) / vector_size, not gensim 3's and
        # word2vec.c's [-0.5, 0.5) / vector_size: the reference is gensim 4, and the narrower start
        # trains to a lower analogy score at laptop scale; output weights start at zero
        self.syn0 = (torch.rand(vocab_size, vector_size, device=self.device, generator=generator) * 2 - 1) / vector_size
        self.syn1 = torch.zeros(vocab_size - 1 if vocab_size > 1 else 1, vector_size, device=self.device) if hs else None
        self.syn1neg = torch.zeros(vocab_size, vector_size, device=self.device) if negative else None
        self.syn1soft = torch.zeros(vocab_size, vector_size, device=self.device) if softmax else None
        if hs:
            assert tree is not None
            self.codes = torch.as_tensor(tree.codes, device=self.device).float()
            self.points = torch.as_tensor(tree.points, device=self.device)
            self.path_mask = (torch.arange(tree.max_depth, device=self.device)[None, :]
                              < torch.as_tensor(tree.lengths, device=self.device)[:, None])

    # -- output layers: update their weights, return the gradient step for the input vectors h --

    def ns_step(self, h: torch.Tensor, target: torch.Tensor, alpha: float, generator) -> torch.Tensor:
        """Negative sampling: target is the positive word, ``negative`` noise words per row."""
        k = self.negative
        noise = self.sampler.sample((len(target), k), generator)
        words = torch.cat([target[:, None], noise], dim=1)                  # (B, k+1)
        out = self.syn1neg.index_select(0, words.reshape(-1)).view(len(target), k + 1, -1)  # (B, k+1, D)
        f = (out * h.unsqueeze(1)).sum(2)                                    # (B, k+1)
        label = torch.zeros_like(f)
        label[:, 0] = 1.0
        g = (label - torch.sigmoid(f)) * alpha
        live = f.abs() < MAX_EXP
        live[:, 1:] &= noise != target[:, None]  # word2vec: a noise draw equal to the target is skipped
        g = g * live
        grad_h = torch.bmm(g.unsqueeze(1), out).squeeze(1)                   # (B, D)
        self.syn1neg.index_add_(0, words.reshape(-1), (g.unsqueeze(2) * h.unsqueeze(1)).view(-1, h.shape[1]))
        return grad_h

    def hs_step(self, h: torch.Tensor, target: torch.Tensor, alpha: float) -> torch.Tensor:
        """Hierarchical softmax: the padded (V, depth) paths of the targets, gathered in one op and
        flattened to the real (row, inner node) pairs, in chunks of :data:`HS_CHUNK_PAIRS` rows whose
        inner-node updates land before the next chunk reads them. The root and the top nodes lie on
        every path: one summed step of a whole skip-gram batch (thousands of pairs) saturates them and
        nothing is learned, while word2vec's sequential SGD lets each update see the last; a chunk
        bounds how many updates of one node are summed into a step."""
        grad_h = torch.empty_like(h)
        for s in range(0, len(target), HS_CHUNK_PAIRS):
            hc, tc = h[s:s + HS_CHUNK_PAIRS], target[s:s + HS_CHUNK_PAIRS]
            mask = self.path_mask.index_select(0, tc)                        # (c, depth)
            rows, steps = mask.nonzero(as_tuple=True)
            flat = tc[rows] * self.points.shape[1] + steps
            node = self.points.view(-1).index_select(0, flat)
            code = self.codes.view(-1).index_select(0, flat)
            hr = hc.index_select(0, rows)
            out = self.syn1.index_select(0, node)                            # (N, D)
            f = (hr * out).sum(1)
            g = (1.0 - code - torch.sigmoid(f)) * alpha * (f.abs() < MAX_EXP)
            grad_h[s:s + HS_CHUNK_PAIRS] = torch.zeros_like(hc).index_add_(0, rows, g[:, None] * out)
            self.syn1.index_add_(0, node, g[:, None] * hr)
        return grad_h

    def softmax_step(self, h: torch.Tensor, target: torch.Tensor, alpha: float) -> torch.Tensor:
        """Full softmax: p = softmax(h · syn1softᵀ) over all V words; the log-likelihood's gradient
        with respect to the logits is onehot(target) − p. Chunks of examples (to bound the logits'
        memory) are scored in turn, and each chunk's dense update lands before the next chunk reads
        ``syn1soft``: nearer word2vec's one-pair-at-a-time SGD than one summed step of the batch,
        at no extra cost."""
        out = self.syn1soft
        chunk = max(1, SOFTMAX_CHUNK_LOGITS // out.shape[0])
        grad_h = torch.empty_like(h)
        for s in range(0, len(target), chunk):
            hc, tc = h[s:s + chunk], target[s:s + chunk]
            g = torch.softmax(hc @ out.T, dim=1).neg_()                          # (c, V)
            g[torch.arange(len(tc), device=g.device), tc] += 1.0
            g *= alpha
            grad_h[s:s + chunk] = g @ out
            out.addmm_(g.T, hc)
        return grad_h

    def output_step(self, h, target, alpha, generator) -> torch.Tensor:
        if self.syn1soft is not None:
            return self.softmax_step(h, target, alpha)
        grad = None
        if self.syn1 is not None:
            grad = self.hs_step(h, target, alpha)
        if self.syn1neg is not None:
            g = self.ns_step(h, target, alpha, generator)
            grad = g if grad is None else grad + g
        return grad

    # -- the two architectures --

    def skipgram_step(self, context: torch.Tensor, centre: torch.Tensor, alpha: float, generator) -> None:
        """Each (centre, context) pair: the context word's vector predicts the centre word
        (word2vec.c's and gensim's order)."""
        h = self.syn0.index_select(0, context)
        self.syn0.index_add_(0, context, self.output_step(h, centre, alpha, generator))

    def cbow_step(self, rows: torch.Tensor, context: torch.Tensor, centre: torch.Tensor, alpha: float,
                  generator, cbow_mean: bool = True) -> None:
        """rows[i] is the batch row of context word context[i]; each row's input is the mean
        (or sum) of its context vectors; the full error goes back to every context word."""
        b = len(centre)
        h = torch.zeros(b, self.syn0.shape[1], device=self.device).index_add_(0, rows, self.syn0.index_select(0, context))
        cnt = torch.bincount(rows, minlength=b).clamp_(min=1).to(h.dtype)[:, None]
        if cbow_mean:
            h /= cnt
        grad = self.output_step(h, centre, alpha, generator)
        if not cbow_mean:  # gensim: a summed input spreads its error over the window
            grad /= cnt
        self.syn0.index_add_(0, context, grad.index_select(0, rows))

    def vectors(self) -> np.ndarray:
        return self.syn0.detach().cpu().numpy().copy()
