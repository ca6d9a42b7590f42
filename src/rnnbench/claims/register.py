"""The claims register: every claim (and check) of the lecture that a run here can test, as data.

Each :class:`Claim` holds the lecture's words, verbatim, with the slide they are on; whose claim it
is (``origin``: the lecture's, a cited paper's, or ours — a hypothesis of this project); its
``role`` (a *claim*, whose experiment could come out either way, or a *check* of the
implementation: a parameter count, an initialiser's spectrum, g^k on a linear regime); the runs
that test it and the test (:mod:`rnnbench.claims.rules`). The engine (:mod:`rnnbench.claims.engine`)
decides them; nothing here reads files.

Adding a claim is one entry in :data:`REGISTER` plus the grid its arms name (``config/config.yaml``).
A claim whose grid is absent from the config is *not run*, with that reason. A claim's rule must be
able to synthesise runs on either side of its boundary (``tests/test_claim_flips.py`` hands them to
the engine and sees the verdict flip): a claim whose rule cannot does not enter the register.
Thresholds come from the source (the paper's value, the theory's ratio); ``source`` says where.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..grid import W2V_DEFAULT_SAMPLE
from .rules import Beyond, Equivalent, EverySeed, Exact, Near, Paired, Rule, Spread, Test
from .runs import ADDING_SOLVED_MSE, Arm

KINDS = ("figure", "effect", "shape", "exact")
ROLES = ("claim", "check")
ORIGINS = ("lecture", "paper", "ours")
PAPER_DIRECTIONS = ("", "agrees", "tie", "reverse")
#: claims that read timings: "alone" (a job that holds every core and times side by side in one process: the
#: step-time job) or "beside" (training runs, which hold only their own cores: other jobs may share the machine).
#: Either way the verdict stands only where every run's record says no other job ran beside it (the engine's
#: timing gate); otherwise it is undecided
TIMINGS = ("", "alone", "beside")


@dataclass(frozen=True)
class Budget:
    """A claim tested at a smaller budget than its source's. A short budget can by itself produce the
    verdict ``fakes`` (a cell that did not learn in time 'fails'); that verdict stands only when the
    positive ``control`` (a cell that does solve the task under the same budget, ``control_says``)
    is supported; otherwise the claim is *undecided (budget)*, citing ``source``'s budget."""

    source: str
    fakes: str
    control: Rule
    control_says: str

    def __post_init__(self):
        if self.fakes not in ("supported", "contradicted"):
            raise ValueError(f"Budget.fakes must be 'supported' or 'contradicted', got {self.fakes!r}")


@dataclass(frozen=True)
class Claim:
    id: str
    section: str              # the lecture's section, in the lecture's order
    quote: str                # the lecture's words, verbatim; fragments of one slide joined by " … "
    source: str               # where the claim, its figure and its threshold come from; the arm's settings
    kind: str                 # figure | effect | shape | exact
    test: Test | None
    settle: str = ""          # what would settle it when the runs leave it undecided
    not_run: str | None = None  # why no run here can test it (the data or the model is not available)
    anchor: str = ""          # the report section that shows its runs (an id in reports/report.py)
    slide: str = ""           # the lecture slide the quote is on (its title)
    role: str = "claim"       # claim | check
    origin: str = "lecture"   # lecture | paper | ours
    budget: Budget | None = None
    paper: str = ""           # the cited paper's own result, where the lecture summarises it
    paper_direction: str = ""  # agrees | tie | reverse: the paper's own result against the lecture's words
    timing: str = ""          # "" | alone | beside: the statistic is a timing, and how its runs were timed (TIMINGS)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"claim {self.id}: kind must be one of {KINDS}, got {self.kind!r}")
        if self.role not in ROLES:
            raise ValueError(f"claim {self.id}: role must be one of {ROLES}, got {self.role!r}")
        if self.origin not in ORIGINS:
            raise ValueError(f"claim {self.id}: origin must be one of {ORIGINS}, got {self.origin!r}")
        if self.paper_direction not in PAPER_DIRECTIONS:
            raise ValueError(f"claim {self.id}: paper_direction must be one of {PAPER_DIRECTIONS}")
        if self.timing not in TIMINGS:
            raise ValueError(f"claim {self.id}: timing must be one of {TIMINGS}, got {self.timing!r}")
        if (self.test is None) == (self.not_run is None):
            raise ValueError(f"claim {self.id}: give either a test or a not_run reason")
        if self.role == "claim" and self.test is not None and not self.test.synthesisable:
            raise ValueError(f"claim {self.id}: a {type(self.test).__name__} rule cannot synthesise runs on "
                             "either side of its boundary, so its verdict cannot be shown able to fail: make it "
                             "a check, or give it a rule that can")

    def arms(self) -> list[Arm]:
        return [] if self.test is None else self.test.arms()

    def synthesise(self, side: str):
        """Runs-table rows on which this claim's verdict is ``side``: its rule's, timed alone where the claim
        reads timings (the runs a verdict needs)."""
        rows = self.test.synthesise(side)
        return rows.assign(alone=True) if self.timing else rows


# ---- the register, in the lecture's order -----------------------------------------------------------

LTD = "Long-term dependencies"
INIT = "Weight initialisation (IRNN, np-RNN)"
HAR = "LSTM on human activity recognition"
CLIP = "Gradient clipping"
GRU = "GRU and the comparison of Chung et al."
REG = "Regularisation"
EMB = "Embedding layers"
W2V = "word2vec"
RECAP = "Recap: name → gender"
SECTIONS = (LTD, INIT, HAR, CLIP, GRU, REG, EMB, W2V, RECAP)

LOG_SOLVED = math.log10(ADDING_SOLVED_MSE)


#: the simple cells on the adding problem as Le et al. 2015 trained them: plain SGD, the gradient's norm clipped,
#: a learning-rate search (config/full.yaml). A claim on these cells reads this grid, at each cell's best
#: learning rate (chosen on validation), where a config ran it; elsewhere adding_long (Adam 0.001), where
#: the budget gate decides whether its verdict can stand
ADDING_SGD = "adding_long_sgd"
ADDING_GATED = "adding_long_gated"
ADDING_METRIC = "log10_test_mse_at_best_lr"


def _adding(cell: str, fair: bool = True) -> Arm:
    # the gated cells train at a learning rate they can use (0.01: they diverge less and learn faster on the
    # laptop budget; the ReLU RNNs blow up there); ``fair``: the simple cells read the SGD grid where it ran
    if cell in ("lstm", "gru"):
        return Arm("recurrent", ADDING_GATED, {"cell": cell})
    return Arm("recurrent", (ADDING_SGD, "adding_long") if fair else "adding_long", {"cell": cell})


def _solves(cell: str) -> Beyond:
    return Beyond(_adding(cell), ADDING_METRIC, LOG_SOLVED, "below")


_ADDING_SOURCE_BUDGET = ("Le et al. 2015 (adding problem, T = 150: 100 units, batch 16, SGD with gradient clipping and "
                         "a learning-rate search) and config/full.yaml (125,000 updates; adding_long_sgd: SGD, the "
                         "gradient's norm clipped at 1, learning rates 0.01 / 0.001 / 0.0001)")


def _adding_budget(fakes: str, control_cell: str = "lstm") -> Budget:
    return Budget(_ADDING_SOURCE_BUDGET, fakes, _solves(control_cell),
                  f"the {control_cell.upper()} of {ADDING_GATED} solves it (test MSE < 0.05) in the same number of "
                  f"updates as adding_long and, where it ran, {ADDING_SGD}")


def _gk(gain: float, grid: str = "gk_init") -> Arm:
    return Arm("recurrent", grid, {"cell": "rnn_tanh", "recurrent_gain": gain})


_GK_SOURCE = ("lecture's scalar case; tanh RNN with W_h = g·Q (Q random orthogonal) at initialisation, adding problem "
              "T = 100; statistic: the per-step factor of ‖∂L/∂h_t‖, exp of the least-squares slope of its log "
              "against T − t")
_GK_LINEAR = (_GK_SOURCE + "; input weights N(0, 0.001²): tanh′ ≈ 1, so the factor is g by construction — a check "
              "of the diagnostic, not a test of the claim")
_GK_SATURATED = (_GK_SOURCE + "; input weights N(0, 1) (grid gk_input1): tanh′ < 1 where the units saturate, so the "
                 "factor is g·E[tanh′], which the runs measure")
_GK_SETTLE = "more seeds in gk_init"
_GK1_SETTLE = "more seeds in gk_input1"


def _har(grid: str | tuple[str, ...], **where) -> Arm:
    return Arm("recurrent", grid, {"cell": "lstm", "layers": 1, **where})


def _dropout() -> Arm:
    return _har("har_dropout", dropout=0.25, recurrent_dropout=0.25)


def _no_dropout() -> Arm:
    # the same model without dropout is har_clip's clipvalue-0.5 arm (same settings and seeds): no
    # second copy of those runs in har_dropout
    return _har("har_clip", clipvalue=0.5, dropout=0.0, recurrent_dropout=0.0)


def _step_dropout() -> Arm:
    # har_dropout's rates with a fresh input and recurrent mask at every step (naive dropout): the same seeds
    return _har("har_dropout_masks", dropout=0.25, recurrent_dropout=0.25, dropout_masks="step")


def _one_mask(dropout: float, recurrent_dropout: float) -> Arm:
    # Keras' input mask or hidden-state mask alone, one per sequence: har_dropout_masks' arms in the default
    # config; config/full.yaml has them in har_dropout's 2 x 2 grid instead (no second copy of 200-epoch runs)
    return _har(("har_dropout_masks", "har_dropout"), dropout=dropout, recurrent_dropout=recurrent_dropout,
                dropout_masks="sequence")


def _talathi(cell: str) -> Arm:
    return Arm("recurrent", "har_talathi", {"cell": cell})


def _music(cell: str, dataset: str) -> Arm:
    return Arm("music", "music_" + {"rnn_tanh": "tanh"}.get(cell, cell), {"dataset": dataset})


def _imdb(embedding: str) -> Arm:
    return Arm("embedding", "imdb_strategies", {"embedding": embedding, "cell": "lstm"})


def _w2v(**where) -> Arm:
    return Arm("word2vec", None, where)


def _lecture_gensim(**where) -> Arm:
    # gensim as the lecture runs it: Word2Vec(sentences) (a sentence iterable: linear learning-rate decay) at
    # gensim's defaults, CBOW / negative sampling / subsampling 1e-3
    return _w2v(impl="gensim_iter", arch="cbow", loss="ns", sample=W2V_DEFAULT_SAMPLE, **where)


def _w2v_step(loss: str) -> Arm:
    # one row per (timed batch, loss) of the step-time job (rnnbench.word2vec.step_cost)
    return _w2v(kind="step_cost", loss=loss)


_W2V_SOFTMAX_SOURCE = ("theory: the full softmax evaluates V output units per pair, {other}, so one step costs "
                       "{theory} times {other_short}'s (V the corpus' vocabulary, per timed batch: column theory_ratio); "
                       "ours: one training step of the batched torch trainer (the only path with a full softmax) with "
                       "the full softmax ÷ the same step with {other_short}, on the same pairs, timed side by side in one "
                       "process; geometric mean over the timed batches")
_W2V_SOFTMAX_SETTLE = "more timed batches (word2vec.softmax_cost.repeats)"
_W2V_SAMPLE_SOURCE = ("Mikolov et al. 2013b, quoted by the lecture; our core, {what}, subsampling at gensim's default "
                      "threshold 1e-3 against none (sample 0), paired on arch, loss and seed")

_ADDING_ARMS = ("the simple cells of adding_long_sgd (config/full.yaml: SGD, the gradient's norm clipped at 1, 125,000 "
                "updates), each at its best learning rate (chosen on validation), where it ran; else adding_long "
                "(Adam 0.001, clipvalue 1: epochs × n_train / batch_size updates)")
_ADDING_SETTLE = ("Le et al.'s optimiser and budget: the adding_long_sgd grid of config/full.yaml (a measured learning "
                  "curve says it does not fit the default budget: README), or more training steps or seeds at T = 150")
_HAR_SETTINGS = ("differs from the lecture's: batch 128, Adam 0.002, 20 epochs (the lecture: batch 1500, Adam 0.001, "
                 "200 epochs; config/full.yaml has them), 4 of the 21 training subjects held out for validation, "
                 "HAPT-derived windows where the config says har.source: hapt")

_CHUNG = {  # Chung et al. 2014, Table 2, test NLL per step (lower is better)
    "jsb": ("JSB Chorales", {"rnn_tanh": 9.10, "gru": 8.54, "lstm": 8.67}),
    "nottingham": ("Nottingham", {"rnn_tanh": 3.13, "gru": 3.23, "lstm": 3.20}),
    "musedata": ("MuseData", {"rnn_tanh": 6.23, "gru": 5.99, "lstm": 6.23}),
    "pianomidi": ("Piano-midi.de", {"rnn_tanh": 9.03, "gru": 8.82, "lstm": 9.03}),
}
#: "GRU performs comparably to LSTM": the largest GRU − LSTM gap of Chung et al.'s Table 2 (0.24 on MuseData)
#: is one the paper and the lecture call comparable; the margin of the equivalence claims
CHUNG_MARGIN = 0.25


def _chung_direction(ds: str, cell: str) -> tuple[str, str]:
    name, nll = _CHUNG[ds]
    t, c = nll["rnn_tanh"], nll[cell]
    d = "agrees" if c < t else "tie" if c == t else "reverse"
    word = {"agrees": "better than", "tie": "equal to", "reverse": "worse than"}[d]
    return (f"Chung et al. 2014, Table 2 ({name}, test NLL): {cell.upper()} {c:.2f} vs tanh {t:.2f}: "
            f"{cell.upper()} {word} tanh"), d


def _chung_claim(ds: str, cell: str) -> Claim:
    paper, direction = _chung_direction(ds, cell)
    return Claim(f"chung_{cell}_beats_tanh_{ds}", GRU, "Both, GRU and LSTM perform better than Simple RNN with tanh",
                 f"lecture, summarising Chung et al. 2014; ours: {_CHUNG[ds][0]}, best test NLL per step, tanh − "
                 f"{cell.upper()}, paired over seeds (the paper's sizes: about 20k parameters each)", "effect",
                 Paired(_music("rnn_tanh", ds), _music(cell, ds), "best_test_metric"),
                 "more seeds or epochs in the music grids", anchor="music",
                 slide="Similar Performance with GRU as with LSTM", paper=paper, paper_direction=direction)


def _chung_equivalent(ds: str) -> Claim:
    name, nll = _CHUNG[ds]
    gap = nll["gru"] - nll["lstm"]
    return Claim(f"chung_gru_lstm_comparable_{ds}", GRU, "GRU performs comparably to LSTM",
                 f"lecture, summarising Chung et al. 2014; ours: {name}, best test NLL per step, GRU − LSTM, paired over "
                 f"seeds, within ±{CHUNG_MARGIN:g} (the largest GRU − LSTM gap in the paper's Table 2, 0.24 on MuseData, "
                 "is what it calls comparable)", "effect",
                 Equivalent(_music("gru", ds), _music("lstm", ds), "best_test_metric", CHUNG_MARGIN),
                 "more seeds or epochs in the music grids", anchor="music",
                 slide="Similar Performance with GRU as with LSTM",
                 paper=f"Chung et al. 2014, Table 2 ({name}): GRU {nll['gru']:.2f} − LSTM {nll['lstm']:.2f} = {gap:+.2f}",
                 paper_direction="agrees" if abs(gap) <= CHUNG_MARGIN else "reverse")


W2V_SIM_FLOOR = 0.60   # WordSim-353 Spearman: below the ≈ 0.66–0.71 published on Wikipedia-scale corpora


def _w2v_budget(source: str) -> Budget:
    """A word2vec quality claim tested on a smaller corpus than its source's. A small corpus can by itself
    make a published "better" vanish or reverse (and keep the vectors below the quality the source
    reports), so a contradicted verdict stands only when the reference, gensim as the lecture runs it,
    reaches the similarity floor on the same corpus: then the corpus suffices for vectors of the
    source's kind, and what ours shows is not the corpus' doing. (Not on w2v_king_queen: its runs are that
    reference's own, so no other run could vouch for their corpus.)"""
    return Budget(source, "contradicted", Beyond(_lecture_gensim(), "wordsim353_spearman", W2V_SIM_FLOOR, "above"),
                  f"gensim as the lecture runs it (CBOW, negative sampling, sample 1e-3) reaches WordSim-353 "
                  f"Spearman {W2V_SIM_FLOOR} on the same corpus")


_W2V_TEXT8 = "text8, 17 M tokens (the lecture's gensim runs); the default trains a 4 M-token prefix (word2vec: prefix_tokens)"
_W2V_1B = ("about 1 B words of news (Mikolov et al. 2013b; 2013a: 783 M – 6 B); the default trains a 4 M-token prefix "
           "(word2vec: prefix_tokens)")


def _skipgram_over_cbow(claim_id: str, metric: str, source: str) -> Claim:
    """Mikolov et al.'s skip-gram above CBOW, on one quality statistic of our core, paired on loss, sample, seed."""
    return Claim(claim_id, W2V,
                 "The recently introduced continuous Skip-gram model is an efficient method for learning high-quality "
                 "distributed vector representations", source, "effect",
                 Paired(_w2v(impl="ours", arch="skipgram"), _w2v(impl="ours", arch="cbow"), metric,
                        pair_on=("loss", "sample", "seed")), "more seeds or a larger corpus", anchor="word2vec",
                 slide="word2vec - generic representations", origin="paper", budget=_w2v_budget(_W2V_1B))


REGISTER: list[Claim] = [
    # -- long-term dependencies: the adding problem of Le et al. 2015 / Talathi & Vartak 2016
    Claim("adding_tanh_fails", LTD, "Long-range dependencies are hard to learn.",
          "lecture; ours: the adding problem at T = 150 (Le et al. 2015's length), the tanh RNN's test MSE above the "
          "'solved' line 0.05 (log10 scale; predicting 1 scores ≈ 0.167); " + _ADDING_ARMS, "effect",
          Beyond(_adding("rnn_tanh"), ADDING_METRIC, LOG_SOLVED, "above"), _ADDING_SETTLE, anchor="adding",
          slide="Backprop Through Time (BPTT)", budget=_adding_budget("supported")),
    Claim("adding_lstm_solves", LTD,
          "Designed to capture long-term dependencies and to let the gradient flow more easily through time",
          "lecture; ours: adding problem T = 150, solved = test MSE < 0.05", "effect", _solves("lstm"),
          _ADDING_SETTLE, anchor="adding", slide="Wrap-up", budget=_adding_budget("contradicted", "gru")),
    Claim("adding_gru_solves", LTD,
          "Designed to capture long-term dependencies and to let the gradient flow more easily through time",
          "lecture; ours: adding problem T = 150, solved = test MSE < 0.05", "effect", _solves("gru"),
          _ADDING_SETTLE, anchor="adding", slide="Wrap-up", budget=_adding_budget("contradicted")),
    Claim("adding_irnn_solves", LTD,
          "Identity matrix for the recurrent weights so that the state variable remains unchanged in case there are "
          "no inputs", "Le et al. 2015 (the IRNN solves the adding problem at T = 150), cited by the lecture; ours: "
          + _ADDING_ARMS, "effect",
          _solves("irnn"), _ADDING_SETTLE, anchor="adding", slide="Weights Initialisation: Two Approaches",
          origin="paper", budget=_adding_budget("contradicted")),
    Claim("adding_nprnn_solves", LTD,
          "Recurrent weight matrix initialised to a normalized-positive definite matrix with the highest eigenvalue = 1 "
          "and all the others <1.", "Talathi & Vartak 2016 (the np-RNN solves the adding problem), cited by the "
          "lecture; ours: " + _ADDING_ARMS, "effect",
          _solves("nprnn"), _ADDING_SETTLE, anchor="adding", slide="Weights Initialisation: Two Approaches",
          origin="paper", budget=_adding_budget("contradicted")),
    Claim("relu_over_tanh_adding", LTD,
          "Use non-saturating activation functions (ReLU or Leaky ReLU) to alleviate the vanishing gradients problem",
          "lecture; ours: adding problem T = 150, log10 test MSE, tanh RNN − ReLU RNN (both Keras' default "
          "initialisation, same grid, seeds and budget), paired over seeds; " + _ADDING_ARMS, "effect",
          Paired(_adding("rnn_tanh"), _adding("rnn_relu"), ADDING_METRIC), _ADDING_SETTLE, anchor="adding",
          slide="Weights Initialisation Strategies", budget=_adding_budget("contradicted")),
    # -- the BPTT product W_hᵀ·g'(z): the scalar picture w^(t−s), with W_h = g·Q
    Claim("gk_factor_below_1", LTD, "0 < w < 1 … w^{t-s} \\ll 1", _GK_LINEAR + "; g = 0.8", "shape",
          Beyond(_gk(0.8), "grad_decay_factor_init", 1.0, "below"), _GK_SETTLE, anchor="gk",
          slide="Backprop Through Time (BPTT)", role="check"),
    Claim("gk_factor_above_1", LTD, "w > 1 … w^{t-s} \\gg 1", _GK_LINEAR + "; g = 1.2", "shape",
          Beyond(_gk(1.2), "grad_decay_factor_init", 1.0, "above"), _GK_SETTLE, anchor="gk",
          slide="Backprop Through Time (BPTT)", role="check"),
    Claim("gk_factor_at_1", LTD, "can become arbitrarily small or large.", _GK_LINEAR + "; g = 1.0, within 1 ± 0.01",
          "shape", Near(_gk(1.0), "grad_decay_factor_init", 1.0, 0.01), _GK_SETTLE, anchor="gk",
          slide="Backpropagation through Time", role="check"),
    Claim("gk_orders_with_g", LTD, "Product with many factors, each of the form",
          _GK_LINEAR + "; factor at g = 1.1 − factor at g = 0.9, paired over seeds", "shape",
          Paired(_gk(1.1), _gk(0.9), "grad_decay_factor_init"), _GK_SETTLE, anchor="gk",
          slide="Backpropagation through Time", role="check"),
    Claim("gk_saturated_shrinks_at_1", LTD, "bounded and small e.g. for sigmoid",
          _GK_SATURATED + "; g = 1.0: the factor below 1 (W_h alone would keep the gradient's size: only g′(z) can "
                          "shrink it)", "shape",
          Beyond(_gk(1.0, "gk_input1"), "grad_decay_factor_init", 1.0, "below"), _GK1_SETTLE, anchor="gk",
          slide="Backprop Through Time (BPTT)"),
    Claim("gk_saturated_explodes_above_1", LTD, "very large: training does not converge —> exploding gradients.",
          _GK_SATURATED + "; g = 1.2: the factor above 1 (saturation, g′(z) < 1, could pull it below)", "shape",
          Beyond(_gk(1.2, "gk_input1"), "grad_decay_factor_init", 1.0, "above"), _GK1_SETTLE, anchor="gk",
          slide="Backprop Through Time (BPTT)"),
    Claim("gk_saturated_orders_with_g", LTD, "Product with many factors, each of the form",
          _GK_SATURATED + "; factor at g = 1.2 − factor at g = 0.8, paired over seeds", "shape",
          Paired(_gk(1.2, "gk_input1"), _gk(0.8, "gk_input1"), "grad_decay_factor_init"), _GK1_SETTLE, anchor="gk",
          slide="Backpropagation through Time"),
    # -- the LSTM's cell state as a "super-highway": like with like, ‖∂L/∂h_t‖'s factor in both cells
    Claim("lstm_highway_slower_than_tanh", LTD, "Super-Highway for Backprop",
          "lecture; ours: adding problem T = 150 after training: the per-step factor of ‖∂L/∂h_t‖ against T − t "
          "(grad_decay_factor_final), LSTM − tanh RNN, paired over seeds (the same statistic for both cells; the "
          "tanh RNN of adding_long: one learning rate, as the LSTM's)", "effect",
          Paired(_adding("lstm"), _adding("rnn_tanh", fair=False), "grad_decay_factor_final"), _ADDING_SETTLE, anchor="highway",
          slide="Backprop with LSTMs"),
    # -- IR-NN / np-RNN / LSTM (Talathi & Vartak 2016, Table 3) redone on HAR
    Claim("talathi_params", INIT, "IR-NN 67.0% 1 x high … np-RNN 75.2% 1 x low … LSTM 78.5% 4 x low",
          "lecture's table (Talathi & Vartak 2016); ours: the recurrent layers' parameter counts, irnn : nprnn : lstm "
          "— 4 gate blocks give 4× by the same formula: a check", "exact",
          Exact(Arm("recurrent", "har_talathi"), "recurrent_param_ratio_irnn_nprnn_lstm", (1.0, 1.0, 4.0)),
          anchor="talathi", slide="Comparison", role="check", origin="paper"),
    Claim("nprnn_spectrum", INIT,
          "Recurrent weight matrix initialised to a normalized-positive definite matrix with the highest eigenvalue = 1 "
          "and all the others <1.", "lecture; ours: the np-RNN initialiser at the width har_talathi trains, its "
          "eigenvalues (float64): a check of the initialiser", "exact",
          Exact(_talathi("nprnn"), "nprnn_spectrum", "top = 1, others < 1"), anchor="talathi",
          slide="Weights Initialisation: Two Approaches", role="check"),
    Claim("talathi_nprnn_over_irnn", INIT, "IR-NN 67.0% 1 x high … np-RNN 75.2% 1 x low",
          "Talathi & Vartak 2016, Table 3 (UCF101), quoted by the lecture; ours on HAR at each cell's best learning "
          "rate (chosen on validation), test accuracy, np-RNN − IR-NN, paired over seeds", "effect",
          Paired(_talathi("nprnn"), _talathi("irnn"), "test_accuracy_at_best_lr"),
          "more seeds or epochs in har_talathi", anchor="talathi", slide="Comparison", origin="paper"),
    Claim("talathi_lstm_over_nprnn", INIT, "np-RNN 75.2% 1 x low … LSTM 78.5% 4 x low",
          "Talathi & Vartak 2016, Table 3 (UCF101), quoted by the lecture; ours on HAR at each cell's best learning "
          "rate, LSTM − np-RNN, paired over seeds", "effect",
          Paired(_talathi("lstm"), _talathi("nprnn"), "test_accuracy_at_best_lr"),
          "more seeds or epochs in har_talathi", anchor="talathi", slide="Comparison", origin="paper"),
    Claim("talathi_irnn_more_sensitive_than_nprnn", INIT, "IR-NN 67.0% 1 x high … np-RNN 75.2% 1 x low",
          "Talathi & Vartak 2016 (sensitivity to parameters: IR-NN high, np-RNN low), quoted by the lecture; ours: "
          "spread of HAR test accuracy over a learning-rate × seed grid", "effect",
          Spread(_talathi("irnn"), _talathi("nprnn"), "test_accuracy"), "more seeds per learning rate",
          anchor="talathi", slide="Comparison", origin="paper"),
    Claim("talathi_irnn_more_sensitive_than_lstm", INIT, "IR-NN 67.0% 1 x high … LSTM 78.5% 4 x low",
          "Talathi & Vartak 2016 (sensitivity to parameters: IR-NN high, LSTM low), quoted by the lecture; ours: "
          "spread of HAR test accuracy over a learning-rate × seed grid", "effect",
          Spread(_talathi("irnn"), _talathi("lstm"), "test_accuracy"), "more seeds per learning rate",
          anchor="talathi", slide="Comparison", origin="paper"),
    # -- ReLU alone against ReLU with the identity: which of the IRNN's two ideas matters
    Claim("irnn_identity_over_relu_default", INIT,
          "Identity matrix for the recurrent weights so that the state variable remains unchanged in case there are "
          "no inputs", "Le et al. 2015, cited by the lecture; ours: HAR test accuracy at each cell's best learning "
          "rate, IRNN − ReLU RNN with Keras' default initialisation (glorot input, orthogonal recurrent), paired over "
          "seeds", "effect",
          Paired(_talathi("irnn"), _talathi("rnn_relu"), "test_accuracy_at_best_lr"),
          "more seeds or epochs in har_talathi", anchor="talathi", slide="Weights Initialisation: Two Approaches",
          origin="paper"),
    Claim("irnn_identity_over_relu_default_adding", INIT,
          "Identity matrix for the recurrent weights so that the state variable remains unchanged in case there are "
          "no inputs", "Le et al. 2015, cited by the lecture; ours: adding problem T = 150, log10 test MSE, ReLU RNN "
          "with default initialisation − IRNN, paired over seeds; " + _ADDING_ARMS, "effect",
          Paired(_adding("rnn_relu"), _adding("irnn"), ADDING_METRIC), _ADDING_SETTLE, anchor="adding",
          slide="Weights Initialisation: Two Approaches", origin="paper", budget=_adding_budget("contradicted")),
    Claim("talathi_ucf101", INIT, "Tested on the UCF101 benchmark dataset — activity classification from video clips data.",
          "Talathi & Vartak 2016, quoted by the lecture", "figure", None,
          not_run="UCF101 video features are not in the dataset mirror and the paper's feature pipeline is not "
                  "reproduced; the comparison is redone on HAR above", slide="Comparison", origin="paper"),
    # -- the lecture's Keras LSTM on HAR
    Claim("har_params", HAR, "lstm_3 (LSTM) (None, 32) 5376 … dense_4 (Dense) (None, 6) 198 … Total params: 5,574",
          "lecture (Keras' model.summary() of its model); ours: the trained PyTorch model of har_lecture, its own count "
          "less the second bias vector PyTorch adds per gate (Keras has one): a check", "exact",
          Exact(_har("har_lecture"), "trained_params_less_second_bias", (5376, 198, 5574)), anchor="har",
          slide="Implementation in Keras", role="check"),
    Claim("har_lstm_accuracy", HAR, "LSTM … (w/o gradient clipping) … accuracy ~90%",
          "lecture; ours: the unclipped LSTM(32) of har_clip (as the slide's 'w/o gradient clipping'), test accuracy "
          "within 0.90 ± 0.03 (the resolution of '~90%'); settings " + _HAR_SETTINGS, "figure",
          Near(_har("har_clip", clipvalue=None), "test_accuracy", 0.90, 0.03),
          "more seeds or epochs in har_clip; UCI's own windows (har.source: uci) instead of the HAPT-derived ones",
          anchor="har", slide="Results including Gradient Clipping"),
    Claim("har_lstm2_accuracy", HAR, "Two Layers … 32 hidden units in each layer … accuracy ~90%",
          "lecture (the slide shows one- and two-layer curves and states one figure, ~90 %); ours: har_lecture_2l, "
          "two LSTM(32) layers with clipvalue 0.5 (the slide's two-layer curve says no clipping either way), 15 "
          "epochs; settings " + _HAR_SETTINGS, "figure",
          Near(_har("har_lecture_2l", layers=2), "test_accuracy", 0.90, 0.03),
          "more seeds or epochs in har_lecture_2l", anchor="har", slide="Results including Gradient Clipping"),
    # -- clipping: the lecture's "comparing different runs of the same model"
    Claim("clip_05_prevents_drops", CLIP, "Drop in performance due to exploding gradients … clipvalue=0.5",
          "lecture; ours: largest fall of validation accuracy between consecutive epochs, unclipped − clipvalue 0.5, "
          "paired over seeds (har_clip)", "effect",
          Paired(_har("har_clip", clipvalue=None), _har("har_clip", clipvalue=0.5), "max_val_drop"),
          "more seeds or epochs in har_clip (drops are rare events)", anchor="clip",
          slide="Comparing Different Runs of Same Model"),
    Claim("clip_drops_follow_gradient_spikes", CLIP, "Drop in performance due to exploding gradients",
          "lecture; ours: per unclipped run of har_clip with at least one fall of validation accuracy ≥ 0.02 between "
          "epochs, log10 of its mean gradient norm (per-epoch maximum, before clipping) in the falling epochs over "
          "the median in the others (from epoch 2); the mean over those runs above 0", "effect",
          Beyond(_har("har_clip", clipvalue=None), "drop_grad_log10_ratio", 0.0, "above"),
          "more seeds or epochs in har_clip (drops are rare events)", anchor="clip",
          slide="Comparing Different Runs of Same Model"),
    Claim("clip_01_prevents_drops", CLIP, "Drop in performance due to exploding gradients … clipvalue=0.1",
          "lecture; ours: unclipped − clipvalue 0.1", "effect",
          Paired(_har("har_clip", clipvalue=None), _har("har_clip", clipvalue=0.1), "max_val_drop"),
          "more seeds or epochs in har_clip", anchor="clip", slide="Comparing Different Runs of Same Model"),
    Claim("clip_small_value_matters", CLIP, "choose sufficiently small clip value.",
          "lecture; ours: clipvalue 0.5 − clipvalue 0.1", "effect",
          Paired(_har("har_clip", clipvalue=0.5), _har("har_clip", clipvalue=0.1), "max_val_drop"),
          "more seeds or epochs in har_clip", anchor="clip", slide="Comparing Different Runs of Same Model"),
    # -- GRU
    Claim("har_gru_similar", GRU, "Single layer GRU with 32 units — otherwise same settings as above",
          "lecture; ours: har_lecture, test accuracy GRU − LSTM, paired over seeds, within ±0.03 (the resolution of "
          "the lecture's '~90%'); both arms clipped at 0.5, where the slide's 'same settings' are unclipped: the "
          "default config runs no unclipped GRU; settings " + _HAR_SETTINGS, "effect",
          Equivalent(Arm("recurrent", "har_lecture", {"cell": "gru", "layers": 1}), _har("har_lecture"),
                     "test_accuracy", 0.03),
          "more seeds in har_lecture", anchor="har", slide="Similar Performance with GRU as with LSTM"),
    # -- the lecture's GRU resets h before the matmul (Keras reset_after=False); torch, cuDNN and Keras'
    #    default reset after it: the same seeds and settings, only the reset moved
    Claim("gru_reset_before_similar_har", GRU,
          "\\tilde{h}_t = \\tanh(W_{ch} \\cdot (r_t * h_{t-1}) + W_{cx} \\cdot x_t + b_c)",
          "ours (the lecture writes the reset-before GRU; that it matches the library's reset-after GRU is our "
          "hypothesis): HAR test accuracy, reset before − reset after (har_lecture), paired over seeds, within ±0.03",
          "effect",
          Equivalent(Arm("recurrent", "har_gru_reset_before", {"cell": "gru"}),
                     Arm("recurrent", "har_lecture", {"cell": "gru", "layers": 1}), "test_accuracy", 0.03),
          "more seeds in har_gru_reset_before and har_lecture", anchor="gru_variants",
          slide="Gated Recurrent Unit (GRU)", origin="ours"),
    Claim("gru_reset_before_similar_adding", GRU,
          "\\tilde{h}_t = \\tanh(W_{ch} \\cdot (r_t * h_{t-1}) + W_{cx} \\cdot x_t + b_c)",
          "ours: adding problem T = 150, log10 test MSE, reset before − reset after (adding_long_gated), paired over "
          "seeds, within ±0.5 (a factor of 3 in MSE)", "effect",
          Equivalent(Arm("recurrent", "adding_gru_reset_before", {"cell": "gru"}), _adding("gru"),
                     "log10_test_mse", 0.5),
          _ADDING_SETTLE, anchor="gru_variants", slide="Gated Recurrent Unit (GRU)", origin="ours"),
    *[_chung_claim(ds, cell) for ds in _CHUNG for cell in ("gru", "lstm")],
    *[_chung_equivalent(ds) for ds in _CHUNG],
    Claim("chung_speech", GRU, "Evaluation on music and speech modeling tasks",
          "lecture, after Chung et al. 2014", "effect", None,
          not_run="the Ubisoft speech datasets of the paper are not public",
          slide="Similar Performance with GRU as with LSTM", origin="paper"),
    # -- regularisation
    Claim("bnlstm_converges_faster", REG,
          "Batch-normalise hidden state variable $h$ and input $x$ independently (at each time step)",
          "Cooijmans et al. 2016 ('faster convergence'), cited by the lecture; ours: HAR validation accuracy after 5 "
          "epochs, BN-LSTM (γ = 0.1, statistics per step) − LSTM (har_lecture), paired over seeds", "effect",
          Paired(Arm("recurrent", "har_bnlstm", {"cell": "bnlstm"}), _har("har_lecture"), "val_metric_e5"),
          "more seeds in har_bnlstm and har_lecture", anchor="bnlstm", slide="A Note on Regularisation Schemes",
          origin="paper"),
    Claim("dropout_narrows_gap", REG, "Variational dropout (as implemented in keras) … Same mask applied in all time steps.",
          "lecture (Gal & Ghahramani 2016); ours: train − test accuracy, without − with dropout (0.25 / 0.25), paired "
          "over seeds", "effect",
          Paired(_no_dropout(), _dropout(), "train_test_gap"),
          "more seeds or epochs in har_dropout", anchor="dropout", slide="A Note on Regularisation Schemes"),
    Claim("dropout_improves_test", REG, "Dropout in LSTMs … Variational dropout (as implemented in keras)",
          "lecture; ours: test accuracy, with − without dropout, paired over seeds", "effect",
          Paired(_dropout(), _no_dropout(), "test_accuracy"),
          "more seeds or epochs in har_dropout", anchor="dropout", slide="A Note on Regularisation Schemes"),
    Claim("dropout_same_mask_all_steps", REG, "See Gal, Ghahramani (2016) … Same mask applied in all time steps.",
          "Gal & Ghahramani 2016, cited by the lecture (variational dropout, one mask per sequence, against dropout "
          "redrawn at every step, which their abstract says was 'shown to fail when applied to recurrent layers'); "
          "ours: HAR test accuracy, one input and one hidden-state mask per sequence (har_dropout, 0.25 / 0.25) − "
          "fresh masks at every time step at the same rates (har_dropout_masks, dropout_masks: step), paired over "
          "seeds; settings " + _HAR_SETTINGS, "effect",
          Paired(_dropout(), _step_dropout(), "test_accuracy"),
          "more seeds or epochs in har_dropout and har_dropout_masks", anchor="dropout",
          slide="A Note on Regularisation Schemes", origin="paper"),
    Claim("dropout_input_vs_hidden_mask", REG,
          "Mask applied to input/output units (keyword dropout, or Dropout layer) … Mask applied to hidden state "
          "units (keyword recurrent_dropout)",
          "ours (the lecture describes the two masks without ranking them; that either alone serves HAR's LSTM as "
          "well as the other is our hypothesis): HAR test accuracy, the input mask alone (dropout 0.25) − the "
          "hidden-state mask alone (recurrent_dropout 0.25), one mask per sequence, paired over seeds, within ±0.03 "
          "(the resolution of the lecture's '~90%', the HAR equivalences' margin); har_dropout_masks, or "
          "har_dropout's 2 × 2 grid where a config runs those arms there (config/full.yaml)", "effect",
          Equivalent(_one_mask(0.25, 0.0), _one_mask(0.0, 0.25), "test_accuracy", 0.03),
          "more seeds or epochs in har_dropout_masks", anchor="dropout",
          slide="A Note on Regularisation Schemes", origin="ours"),
    # -- embedding layers
    Claim("names_embedding_over_onehot", EMB,
          "Too sparse! Let’s imagine a 50’000 word vocabulary application with 1-hot representation.",
          "ours (the lecture argues for words; on 56 characters the argument is our extrapolation): names test "
          "accuracy, LSTM on a learned 16-d character embedding − the same LSTM on one-hot characters, paired over "
          "seeds", "effect",
          Paired(Arm("names", "names_embedding", {"cell": "lstm"}), Arm("names", "names_onehot", {"cell": "lstm"}),
                 "test_accuracy"), "more seeds in names_embedding", anchor="names", slide="Why word embedding?",
          origin="ours"),
    Claim("imdb_finetuned_over_scratch", EMB,
          "Do both: init the embedding layer with pre-trained weights and train it",
          "ours (the lecture lists three strategies and ranks none): IMDb test accuracy, fine-tuned − scratch, "
          "paired over seeds", "effect",
          Paired(_imdb("finetuned"), _imdb("scratch"), "best_test_metric"),
          "more epochs or seeds, or more IMDb reviews", anchor="imdb", slide="Use of embedding layers", origin="ours"),
    Claim("imdb_frozen_over_scratch", EMB,
          "Use a pre-trained “generic” embedding such as word2vec and freeze the layer",
          "ours (the lecture ranks none of its three strategies): IMDb test accuracy, frozen − scratch", "effect",
          Paired(_imdb("frozen"), _imdb("scratch"), "best_test_metric"),
          "more seeds, or better word2vec vectors (a larger corpus)", anchor="imdb", slide="Use of embedding layers",
          origin="ours"),
    # -- word2vec
    Claim("w2v_subsampling_faster", W2V, "By subsampling of the frequent words we obtain significant speedup",
          _W2V_SAMPLE_SOURCE.format(what="training time per corpus pass (raw corpus words per second), ratio with ÷ "
                                         "without, at least 2× (the paper's 'significant speedup (around 2x - 10x)')"),
          "effect", Paired(_w2v(impl="ours", sample=W2V_DEFAULT_SAMPLE), _w2v(impl="ours", sample=0.0),
                           "words_per_second", pair_on=("arch", "loss", "seed"), ratio=2.0),
          "more seeds in the sample-0 grid (word2vec.extra_grids)", anchor="w2v_subsampling",
          slide="word2vec - generic representations", origin="paper", timing="beside"),
    Claim("w2v_subsampling_better", W2V, "and also learn more regular word representations",
          _W2V_SAMPLE_SOURCE.format(what="analogy accuracy, with − without"), "effect",
          Paired(_w2v(impl="ours", sample=W2V_DEFAULT_SAMPLE), _w2v(impl="ours", sample=0.0), "analogy_total_pct",
                 pair_on=("arch", "loss", "seed")),
          "more seeds in the sample-0 grid or a larger corpus", anchor="w2v_subsampling",
          slide="word2vec - generic representations", origin="paper", budget=_w2v_budget(_W2V_1B)),
    Claim("w2v_softmax_cost_over_hs", W2V,
          "The softmax function can become problematic if we have large vocabulary. The denominator term can be cpu "
          "intensive.", _W2V_SOFTMAX_SOURCE.format(other="hierarchical softmax log₂V", theory="V / log₂V",
                                                    other_short="HS"), "effect",
          Paired(_w2v_step("softmax"), _w2v_step("hs"), "step_seconds", pair_on=("batch",), ratio="theory_ratio"),
          _W2V_SOFTMAX_SETTLE, anchor="w2v_softmax", slide="One word context", timing="alone"),
    Claim("w2v_softmax_cost_over_ns", W2V,
          "The softmax and the derived update rules need to iterate through all the vocabulary … Update only a sample "
          "of the outputs, instead of all of them",
          _W2V_SOFTMAX_SOURCE.format(other="negative sampling negative + 1", theory="V / (negative + 1)",
                                     other_short="NS"), "effect",
          Paired(_w2v_step("softmax"), _w2v_step("ns"), "step_seconds", pair_on=("batch",), ratio="theory_ratio"),
          _W2V_SOFTMAX_SETTLE, anchor="w2v_softmax", slide="word2vec - practical considerations on softmax",
          timing="alone"),
    Claim("w2v_car", W2V, "model.most_similar(\"car\")",
          "lecture (gensim's defaults on text8, Word2Vec(sentences)); ours: words in common with the lecture's ten, "
          "at least 5 in every seed (a count: read per seed)", "figure",
          EverySeed(_lecture_gensim(corpus_part="whole"), "car_overlap", 5.0, "above"),
          "the full corpus and more seeds (word2vec: prefix_tokens null, seeds)", anchor="word2vec",
          slide="word2vec - implementations"),
    Claim("w2v_king_queen", W2V, "$v_{woman} + (v_{king} - v_{man})$ is close to $v_{queen}$",
          "lecture; ours: rank of 'queen' among all words for woman + king − man (gensim's defaults), in the top 5 in "
          "every seed (a rank: read per seed)", "figure",
          EverySeed(_lecture_gensim(), "queen_rank", 5.0, "below"), "more seeds or a larger corpus (word2vec: seeds, "
          "prefix_tokens)", anchor="word2vec", slide="word2vec - geometric operations"),
    *[Claim(f"w2v_offsets_{group}", W2V, f"The path from a point to the other captures a semantic relationship … {label}",
            "lecture (the three pictures); ours: mean cosine between the group's pair offsets minus that of the same "
            "words wrongly paired, above 0 — any structure passes, so a check that the vectors hold the groups' "
            "structure, not a test of the pictures", "shape",
            Beyond(_lecture_gensim(), f"offset_excess_{group}", 0.0, "above"),
            "a larger corpus or more seeds", anchor="word2vec", slide="word2vec - geometric operations", role="check")
      for group, label in (("male_female", "Male-Female"), ("verb_tense", "Verb tense"),
                           ("country_capital", "Country-Capital"))],
    Claim("w2v_wordsim_floor", W2V, "words that share common context are located in close proximity",
          "lecture; ours: WordSim-353 Spearman of our core at gensim's defaults (every arch and loss, sample 1e-3), "
          f"above {W2V_SIM_FLOOR:.2f} — below the ≈ 0.66–0.71 published for word2vec trained on Wikipedia-scale corpora, allowing "
          "for text8's 17 M tokens (the floor is ours)", "figure",
          Beyond(_w2v(impl="ours", sample=W2V_DEFAULT_SAMPLE), "wordsim353_spearman", W2V_SIM_FLOOR, "above"),
          "more seeds or a larger corpus", anchor="word2vec", slide="word2vec - generic representations",
          budget=_w2v_budget(_W2V_TEXT8)),
    _skipgram_over_cbow("w2v_skipgram_over_cbow_wordsim", "wordsim353_spearman",
                        "Mikolov et al. 2013a,b, quoted by the lecture; our core, WordSim-353 Spearman, skip-gram − "
                        "CBOW, paired on loss, sample and seed"),
    Claim("w2v_cbow_faster", W2V, "From a bag of context words, predict a word",
          "Mikolov et al. 2013a (CBOW trains faster than skip-gram); words/s of our core, CBOW − skip-gram",
          "effect", Paired(_w2v(impl="ours", arch="cbow"), _w2v(impl="ours", arch="skipgram"), "words_per_second",
                           pair_on=("loss", "sample", "seed")), "more seeds", anchor="word2vec",
          slide="CBOW - Continuous Bag of Word", origin="paper", timing="beside"),
    _skipgram_over_cbow("w2v_skipgram_better", "analogy_semantic_pct",
                        "Mikolov et al. 2013a,b (skip-gram above CBOW on semantic analogies); our core, semantic "
                        "analogy accuracy, skip-gram − CBOW"),
    Claim("w2v_ns_over_hs", W2V, "We also describe a simple alternative to the hierarchical softmax called negative sampling.",
          "Mikolov et al. 2013b (negative sampling above hierarchical softmax on analogies); our core, analogy "
          "accuracy, NS − HS", "effect",
          Paired(_w2v(impl="ours", loss="ns"), _w2v(impl="ours", loss="hs"), "analogy_total_pct",
                 pair_on=("arch", "sample", "seed")), "more seeds or a larger corpus", anchor="word2vec",
          slide="word2vec - generic representations", origin="paper", budget=_w2v_budget(_W2V_1B)),
    Claim("w2v_ours_equals_gensim", W2V, "A popular implementation is gensim",
          "ours: analogy accuracy, ours − gensim fed the same sentences as an iterable (linear learning-rate decay, as "
          "ours; its corpus_file mode is the speed row of the summary table), same corpus and settings, within ±1 "
          "point", "effect",
          Equivalent(_w2v(impl="ours"), _w2v(impl="gensim_iter"), "analogy_total_pct", 1.0,
                     pair_on=("arch", "loss", "sample", "seed")), "more seeds", anchor="word2vec",
          slide="word2vec - implementations", origin="ours"),
    # -- the recap: truncated BPTT (many to many)
    Claim("tbptt_comparable_jsb", RECAP,
          "In practice: run forward and backward through chunks of the sequence instead of whole sequence",
          "ours (the lecture gives truncation as the practical way, without a cost in quality; that it costs little "
          "is our hypothesis): JSB Chorales, GRU(46), best test NLL per step, whole sequences with gradients through "
          "25-step chunks (music_jsb_gru_tbptt) − the default GRU, which trains on 100-step windows (music_gru), "
          f"paired over seeds, within ±{CHUNG_MARGIN:g} (the GRU − LSTM gap Chung et al. call comparable)", "effect",
          Equivalent(Arm("music", "music_jsb_gru_tbptt", {"dataset": "jsb"}), _music("gru", "jsb"),
                     "best_test_metric", CHUNG_MARGIN),
          "more seeds in music_jsb_gru_tbptt", anchor="music",
          slide="RECAP - Many to many approach: Truncated back propagation through time", origin="ours"),
    # -- the recap: name → gender, many-to-one
    *[Claim(f"names_{cell}_beats_majority", RECAP,
            "one-hot vector with a '1' at the position according to the position of the letter in the alphabet",
            "lecture; ours: test accuracy against the majority class — a smoke test that the cell learns: a check",
            "effect", Beyond(Arm("names", "names_onehot", {"cell": cell}), "test_accuracy", "majority_baseline",
                             "above"), "more seeds in names_onehot", anchor="names",
            slide="RECAP - Gender Classification by Name", role="check")
      for cell in ("rnn_tanh", "irnn", "nprnn", "lstm", "gru")],
]


def by_id(register: list[Claim] | None = None) -> dict[str, Claim]:
    out: dict[str, Claim] = {}
    for c in REGISTER if register is None else register:
        if c.id in out:
            raise ValueError(f"claim id {c.id!r} is used twice")
        out[c.id] = c
    return out


by_id()   # a duplicate id fails at import, not in the report


# ---- the smallest effect each claim cares about (the power calculation's δ: rnnbench.claims.power) ---------------

@dataclass(frozen=True)
class Effect:
    """The smallest effect a claim cares about, on its statistic's scale (a ratio's: its log), measured from the
    rule's boundary; ``relative``: a fraction of arm b's pilot mean (a raw difference of speeds, whose scale is the
    machine's). ``source`` says where it comes from."""

    size: float
    source: str
    relative: bool = False

    def __post_init__(self):
        if not self.size > 0:
            raise ValueError(f"Effect.size must be > 0, got {self.size!r}")


_LOG_BASELINE = math.log10(1 / 6)   # predicting 1 on the adding problem: MSE = var(u1 + u2) = 1/6
_ADDING_EFFECT = Effect(round((_LOG_BASELINE - LOG_SOLVED) / 2, 3),
                        "half the log10 distance from the 'solved' line (0.05) to predicting 1 (1/6): a cell that "
                        "solves the task and one that does not lie at least twice that apart")
_GK_EFFECT = Effect(0.01, "a per-step factor 1 % from the boundary compounds to e^±1 over the diagnostic's 100 steps")
_HAR_EFFECT = Effect(0.03, "the resolution of the lecture's '~90%' (the HAR figures' and equivalences' ±0.03)")
_DROP_EFFECT = Effect(0.02, "one 'drop' as the claims define it (a fall of validation accuracy ≥ 0.02, claims.runs.DROP)")
_CHUNG_EFFECT = Effect(CHUNG_MARGIN, "the gap Chung et al. call comparable (±0.25 NLL, the equivalence claims' margin): "
                                     "a smaller difference is one the lecture's words do not separate")
_OURS_ACCURACY = Effect(0.02, "ours: two points of test accuracy (the claim is our hypothesis; no source states a size)")
_ANALOGY_EFFECT = Effect(1.0, "one point of analogy accuracy (the margin of w2v_ours_equals_gensim)")

#: claim id -> its smallest effect, where the rule does not state one (Near: its tolerance; Equivalent: its margin)
SMALLEST_EFFECTS: dict[str, Effect] = {
    **{i: _ADDING_EFFECT for i in ("adding_tanh_fails", "adding_lstm_solves", "adding_gru_solves", "adding_irnn_solves",
                                   "adding_nprnn_solves", "relu_over_tanh_adding",
                                   "irnn_identity_over_relu_default_adding")},
    **{i: _GK_EFFECT for i in ("gk_saturated_shrinks_at_1", "gk_saturated_explodes_above_1",
                               "gk_saturated_orders_with_g")},
    "lstm_highway_slower_than_tanh": Effect(0.01, "a per-step factor 1 % apart compounds to e over 100 of the 150 "
                                                  "steps"),
    "talathi_nprnn_over_irnn": Effect(0.082, "Talathi & Vartak 2016, Table 3: np-RNN 75.2 % − IR-NN 67.0 %"),
    "talathi_lstm_over_nprnn": Effect(0.033, "Talathi & Vartak 2016, Table 3: LSTM 78.5 % − np-RNN 75.2 %"),
    "irnn_identity_over_relu_default": _HAR_EFFECT,
    "bnlstm_converges_faster": _HAR_EFFECT,
    "dropout_narrows_gap": _HAR_EFFECT,
    "dropout_improves_test": _HAR_EFFECT,
    "dropout_same_mask_all_steps": _HAR_EFFECT,
    "dropout_input_vs_hidden_mask": _HAR_EFFECT,
    **{i: _DROP_EFFECT for i in ("clip_05_prevents_drops", "clip_01_prevents_drops", "clip_small_value_matters")},
    "clip_drops_follow_gradient_spikes": Effect(round(math.log10(2), 3), "gradients twice their median in the "
                                                                          "falling epochs (log10 2)"),
    **{c.id: _CHUNG_EFFECT for c in REGISTER if c.id.startswith("chung_") and "_beats_tanh_" in c.id},
    "names_embedding_over_onehot": _OURS_ACCURACY,
    "imdb_finetuned_over_scratch": _OURS_ACCURACY,
    "imdb_frozen_over_scratch": _OURS_ACCURACY,
    "w2v_subsampling_faster": Effect(round(math.log(1.5), 3), "a ratio 1.5 times the 2× boundary (3×; the paper: "
                                                              "'around 2x - 10x'), log scale"),
    "w2v_subsampling_better": _ANALOGY_EFFECT,
    "w2v_softmax_cost_over_hs": Effect(round(math.log(2), 3), "a factor 2 from the theory's ratio (an "
                                                              "implementation's constant factors), log scale"),
    "w2v_softmax_cost_over_ns": Effect(round(math.log(2), 3), "a factor 2 from the theory's ratio (an "
                                                              "implementation's constant factors), log scale"),
    "w2v_wordsim_floor": Effect(0.03, "half the gap between the floor (0.60) and the lowest published value (≈ 0.66)"),
    "w2v_skipgram_over_cbow_wordsim": Effect(0.02, "two hundredths of Spearman's ρ, the spread of WordSim-353 results "
                                                   "between runs of one configuration"),
    "w2v_cbow_faster": Effect(0.1, "10 % of skip-gram's words/s (Mikolov et al. give CBOW several times faster)",
                              relative=True),
    "w2v_skipgram_better": _ANALOGY_EFFECT,
    "w2v_ns_over_hs": _ANALOGY_EFFECT,
}


def smallest_effect(claim: Claim) -> Effect | None:
    """The claim's smallest effect of interest: the register's (:data:`SMALLEST_EFFECTS`) or its rule's band
    (a figure's tolerance, an equivalence's margin); None for rules without a t interval (per-seed counts,
    a bootstrap of spreads, exact figures)."""
    if claim.id in SMALLEST_EFFECTS:
        return SMALLEST_EFFECTS[claim.id]
    if isinstance(claim.test, Near):
        return Effect(claim.test.tol, f"the rule's band: {claim.test.source:g} ± {claim.test.tol:g}")
    if isinstance(claim.test, Equivalent):
        return Effect(claim.test.margin, f"the rule's margin: ±{claim.test.margin:g}")
    return None


def _check_effects() -> None:
    ids = {c.id for c in REGISTER}
    unknown = set(SMALLEST_EFFECTS) - ids
    if unknown:
        raise ValueError(f"SMALLEST_EFFECTS names no claim: {sorted(unknown)}")
    missing = [c.id for c in REGISTER if c.role == "claim" and isinstance(c.test, (Beyond, Paired))
               and c.id not in SMALLEST_EFFECTS]
    if missing:
        raise ValueError(f"claims without a smallest effect (SMALLEST_EFFECTS): {missing}")


_check_effects()
