"""The claims register: every claim of the lecture that a run here can check, as data.

Each :class:`Claim` holds the lecture's (or the cited paper's) words, the kind of claim, the runs
that test it and the test: a statistic over those runs and the rule that turns it into a verdict.
The verdict engine (:mod:`rnnbench.report.claims`) evaluates every claim against the run records
of one pipeline run; nothing here reads files.

Runs are named by :class:`Arm`: a family, the grid entry of the config that holds them (by
name) and run attributes to match. Adding a claim is one entry in :data:`REGISTER` plus the grid
entry its arms name (``config/config.yaml``); a claim whose grid is absent from the config is
reported *not run* with that reason.

Verdicts (see :mod:`rnnbench.report.claims` for the statistics):

- *supported* / *contradicted*: the 95 % interval excludes the other answer;
- *undecided*: it does not, or too few seeds ran (the verdict says what would settle it);
- *not run*: no run of this configuration tests it (or it cannot run here: the reason).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping

from .grid import W2V_DEFAULT_SAMPLE, _fmt  # run ids and arm descriptions spell values alike

KINDS = ("figure", "effect", "shape", "exact")
#: effects need this many paired seeds before a verdict other than *undecided*
MIN_PAIRED_SEEDS = 5
#: a run of the adding problem "solves" it below this test MSE (the baseline, predicting 1, is ≈ 0.167)
ADDING_SOLVED_MSE = 0.05


@dataclass(frozen=True)
class Arm:
    """The runs of one configuration: ``family`` (recurrent, names, music, embedding, word2vec),
    ``grid`` (a grid entry's name; word2vec runs have none: ``None``) and attribute values the runs
    must have (columns of the claims runs table, e.g. ``cell``, ``layers``, ``clipvalue``). An arm
    reads training runs unless it names another ``kind`` (word2vec's ``step_cost``: the timed steps
    of the full softmax, HS and NS)."""

    family: str
    grid: str | None
    where: Mapping[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        cond = ", ".join(f"{k}={_fmt(v)}" for k, v in self.where.items())
        head = f"{self.family}/{self.grid}" if self.grid else self.family
        return f"{head} [{cond}]" if cond else head


# ---- tests: a statistic of the arms' runs and its decision rule -------------------------------------

@dataclass(frozen=True)
class Near:
    """A figure against a source value: the 95 % interval of the mean of ``metric`` over the arm's
    runs lies inside [source − tol, source + tol] → supported; wholly outside → contradicted."""

    arm: Arm
    metric: str
    source: float
    tol: float


@dataclass(frozen=True)
class Beyond:
    """A threshold: the 95 % interval of the mean lies wholly on ``side`` ('above' | 'below') of
    ``threshold`` → supported; wholly on the other side → contradicted. ``threshold`` may name a
    column of the runs (e.g. the majority-class baseline each run recorded)."""

    arm: Arm
    metric: str
    threshold: float | str
    side: str


@dataclass(frozen=True)
class Paired:
    """An effect: ``a`` − ``b`` on ``metric``, paired on ``pair_on`` (same seeds); the 95 % interval
    of the mean difference wholly ``direction`` ('greater' | 'less') than 0 → supported, wholly on
    the other side → contradicted. Needs :data:`MIN_PAIRED_SEEDS` pairs. ``metric_b``: read ``b``
    on another column of the same unit (e.g. the LSTM's ∏ f factor against the tanh RNN's
    gradient factor); None = ``metric``. ``ratio``: compare ``a`` / ``b`` instead (a speed-up, a
    cost factor): the interval of the mean log ratio, read as the geometric-mean ratio, wholly
    ``direction`` than ``ratio`` → supported."""

    a: Arm
    b: Arm
    metric: str
    direction: str = "greater"
    pair_on: tuple[str, ...] = ("seed",)
    metric_b: str | None = None
    ratio: float | None = None


@dataclass(frozen=True)
class Equivalent:
    """Two configurations alike: the 95 % interval of the paired difference lies inside
    [−margin, margin] → supported; wholly outside it → contradicted."""

    a: Arm
    b: Arm
    metric: str
    margin: float
    pair_on: tuple[str, ...] = ("seed",)


@dataclass(frozen=True)
class Spread:
    """Sensitivity to hyper-parameters: the standard deviation of ``metric`` over all runs of ``a``
    (a learning-rate × seed grid) minus that of ``b``; a bootstrap interval (seeds resampled within
    each value of ``strata``) wholly ``direction`` than 0 → supported, wholly the other way →
    contradicted."""

    a: Arm
    b: Arm
    metric: str
    direction: str = "greater"
    strata: tuple[str, ...] = ("lr",)


@dataclass(frozen=True)
class Exact:
    """An exact figure: ``statistic`` (a named function of the engine) of the arm's runs equals
    ``expected`` → supported, differs → contradicted."""

    arm: Arm
    statistic: str
    expected: Any


Test = Near | Beyond | Paired | Equivalent | Spread | Exact


@dataclass(frozen=True)
class Claim:
    id: str
    section: str              # the lecture's section, in the lecture's order
    quote: str                # the lecture's (or the paper's) words, short
    source: str               # where the words or the figure are from
    kind: str                 # figure | effect | shape | exact
    test: Test | None
    settle: str = ""          # what would settle it when the runs leave it undecided
    not_run: str | None = None  # why no run here can test it (the data or the model is not available)
    anchor: str = ""          # the report section that shows its runs (an id in reports/report.py)
    converged: bool = False   # decide only on runs that stopped improving (most runs' best validation epoch
                              # not among their last): an effect of training to the end, e.g. regularisation

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"claim {self.id}: kind must be one of {KINDS}, got {self.kind!r}")
        if (self.test is None) == (self.not_run is None):
            raise ValueError(f"claim {self.id}: give either a test or a not_run reason")

    def arms(self) -> list[Arm]:
        t = self.test
        if t is None:
            return []
        return [t.arm] if hasattr(t, "arm") else [t.a, t.b]


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

LOG_SOLVED = math.log10(ADDING_SOLVED_MSE)


def _adding(cell: str) -> Arm:
    # two grids, so that each kind of cell trains at a learning rate it can use (the gated cells
    # diverge less and learn faster at 0.01 on the laptop budget; the ReLU RNNs blow up there)
    grid = "adding_long_gated" if cell in ("lstm", "gru") else "adding_long"
    return Arm("recurrent", grid, {"cell": cell})


def _gk(gain: float) -> Arm:
    return Arm("recurrent", "gk_init", {"cell": "rnn_tanh", "recurrent_gain": gain})


_GK_SOURCE = ("lecture, 'Backprop Through Time' (scalar case); tanh RNN with W_h = g·Q (Q random orthogonal, "
              "input weights N(0, 0.001²)) at initialisation, adding problem T = 100; statistic: the per-step "
              "factor of ‖∂L/∂h_t‖, exp of the least-squares slope of its log against T − t")
_GK_SETTLE = "more seeds in gk_init"


def _har(grid: str, **where) -> Arm:
    return Arm("recurrent", grid, {"cell": "lstm", "layers": 1, **where})


def _dropout() -> Arm:
    return _har("har_dropout", dropout=0.25, recurrent_dropout=0.25)


def _no_dropout() -> Arm:
    # the same model without dropout is har_clip's clipvalue-0.5 arm (same settings and seeds): no
    # second copy of those runs in har_dropout
    return _har("har_clip", clipvalue=0.5, dropout=0.0, recurrent_dropout=0.0)


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


_W2V_SOFTMAX_SOURCE = ("lecture, 'word2vec - distributed representation' and 'practical considerations on "
                       "softmax'; ours: one training step of the trainer (a batch of batch_words centres, every pair "
                       "of their windows; batched torch path, the only one with a full softmax: no C kernel has it) "
                       "with the full softmax over the corpus' vocabulary ÷ the same step with {other}, on the same "
                       "pairs, timed side by side in one process; geometric mean over the timed batches, at least an "
                       "order of magnitude (10×)")
_W2V_SOFTMAX_SETTLE = "more timed batches (word2vec.softmax_cost.repeats) or a larger vocabulary (prefix_tokens)"
_W2V_SAMPLE_SOURCE = ("Mikolov et al. 2013b's abstract, quoted by the lecture; our core, {what}, subsampling at "
                      "gensim's default threshold 1e-3 against none (sample 0), paired on arch, loss and seed")


_ADDING_SETTLE = "more training steps or seeds at T = 150 (adding_long: epochs, n_train, seeds)"

REGISTER: list[Claim] = [
    # -- long-term dependencies: the adding problem of Le et al. 2015 / Talathi & Vartak 2016
    Claim("adding_tanh_fails", LTD,
          "long-range dependencies are hard to learn [for a simple RNN]: the product of W_hᵀ·g'(z) "
          "vanishes or explodes",
          "lecture, 'Backprop Through Time'; Le et al. 2015, adding problem T = 150", "effect",
          Beyond(_adding("rnn_tanh"), "log10_test_mse", LOG_SOLVED, "above"), _ADDING_SETTLE, anchor="adding"),
    Claim("adding_lstm_solves", LTD,
          "LSTM – GRU: designed to capture long-term dependencies and to let the gradient flow more easily",
          "lecture, 'Wrap-up'; adding problem T = 150, solved = test MSE < 0.05", "effect",
          Beyond(_adding("lstm"), "log10_test_mse", LOG_SOLVED, "below"), _ADDING_SETTLE, anchor="adding"),
    Claim("adding_gru_solves", LTD,
          "LSTM – GRU: designed to capture long-term dependencies and to let the gradient flow more easily",
          "lecture, 'Wrap-up'; adding problem T = 150, solved = test MSE < 0.05", "effect",
          Beyond(_adding("gru"), "log10_test_mse", LOG_SOLVED, "below"), _ADDING_SETTLE, anchor="adding"),
    Claim("adding_irnn_solves", LTD,
          "IRNN: identity matrix for the recurrent weights so that the state variable remains unchanged",
          "lecture, 'Weights Initialisation'; Le et al. 2015 (IRNN solves the adding problem at T = 150); ours: "
          "within the budget the LSTM needs here (adding_long / adding_long_gated: epochs × n_train / batch_size updates)",
          "effect", Beyond(_adding("irnn"), "log10_test_mse", LOG_SOLVED, "below"), _ADDING_SETTLE,
          anchor="adding"),
    Claim("adding_nprnn_solves", LTD,
          "np-RNN: recurrent weights a normalised positive-definite matrix, highest eigenvalue 1",
          "lecture, 'Weights Initialisation'; Talathi & Vartak 2016 (adding problem); ours: within the budget the LSTM "
          "needs here", "effect",
          Beyond(_adding("nprnn"), "log10_test_mse", LOG_SOLVED, "below"), _ADDING_SETTLE, anchor="adding"),
    # -- the BPTT product W_hᵀ·g'(z): the scalar picture w^(t−s), with W_h = g·Q (issue 13, item 1)
    Claim("gk_factor_below_1", LTD, "0 < w < 1, t − s ≫ 1 ⇒ w^(t−s) ≪ 1 (vanishing gradient)",
          _GK_SOURCE + "; g = 0.8", "shape",
          Beyond(_gk(0.8), "grad_decay_factor_init", 1.0, "below"), _GK_SETTLE, anchor="gk"),
    Claim("gk_factor_above_1", LTD, "w > 1, t − s ≫ 1 ⇒ w^(t−s) ≫ 1 (exploding gradient)",
          _GK_SOURCE + "; g = 1.2", "shape",
          Beyond(_gk(1.2), "grad_decay_factor_init", 1.0, "above"), _GK_SETTLE, anchor="gk"),
    Claim("gk_factor_at_1", LTD, "the product of W_hᵀ·g'(z) can become arbitrarily small or large [and "
          "neither at w = 1]", _GK_SOURCE + "; g = 1.0, factor within 1 ± 0.01 per step", "shape",
          Near(_gk(1.0), "grad_decay_factor_init", 1.0, 0.01), _GK_SETTLE, anchor="gk"),
    Claim("gk_orders_with_g", LTD, "∏ ∂h_τ/∂h_{τ−1} = ∏ W_hᵀ·g'(z_τ): the gradient's rate follows W_h",
          _GK_SOURCE + "; factor at g = 1.1 − factor at g = 0.9, paired over seeds", "shape",
          Paired(_gk(1.1), _gk(0.9), "grad_decay_factor_init"), _GK_SETTLE, anchor="gk"),
    # -- the LSTM's cell state as a "super-highway" (issue 13, item 2)
    Claim("lstm_highway_slower_than_tanh", LTD,
          "∂c_t/∂c_s = ∏_{τ=s+1}^{t} f_τ, time-dependent, in ]0,1[: a super-highway for backprop",
          "lecture, 'Backprop with LSTMs'; adding problem T = 150 after training: per-step factor of the LSTM's "
          "mean ∏ f_τ against T − t minus that of the tanh RNN's ‖∂L/∂h_t‖, paired over seeds", "effect",
          Paired(_adding("lstm"), _adding("rnn_tanh"), "forget_decay_factor_final",
                 metric_b="grad_decay_factor_final"), _ADDING_SETTLE, anchor="highway"),
    # -- IR-NN / np-RNN / LSTM (Talathi & Vartak 2016, Table 3) redone on HAR
    Claim("talathi_params", INIT, "IR-NN 1×, np-RNN 1×, LSTM 4× parameters",
          "lecture, 'Comparison' (Talathi & Vartak 2016)", "exact",
          Exact(Arm("recurrent", "har_talathi"), "recurrent_param_ratio_irnn_nprnn_lstm", (1.0, 1.0, 4.0)),
          anchor="talathi"),
    Claim("talathi_nprnn_over_irnn", INIT, "IR-NN 67.0 %, np-RNN 75.2 % test accuracy",
          "lecture, 'Comparison' (UCF101); ours on HAR at each cell's best learning rate", "effect",
          Paired(_talathi("nprnn"), _talathi("irnn"), "test_accuracy_at_best_lr"),
          "more seeds or epochs in har_talathi", anchor="talathi", converged=True),
    Claim("talathi_lstm_over_nprnn", INIT, "np-RNN 75.2 %, LSTM 78.5 % test accuracy",
          "lecture, 'Comparison' (UCF101); ours on HAR at each cell's best learning rate", "effect",
          Paired(_talathi("lstm"), _talathi("nprnn"), "test_accuracy_at_best_lr"),
          "more seeds or epochs in har_talathi", anchor="talathi", converged=True),
    Claim("talathi_irnn_more_sensitive_than_nprnn", INIT, "sensitivity to parameters: IR-NN high, np-RNN low",
          "lecture, 'Comparison'; spread of test accuracy over a learning-rate × seed grid", "effect",
          Spread(_talathi("irnn"), _talathi("nprnn"), "test_accuracy"), "more seeds per learning rate",
          anchor="talathi"),
    Claim("talathi_irnn_more_sensitive_than_lstm", INIT, "sensitivity to parameters: IR-NN high, LSTM low",
          "lecture, 'Comparison'; spread of test accuracy over a learning-rate × seed grid", "effect",
          Spread(_talathi("irnn"), _talathi("lstm"), "test_accuracy"), "more seeds per learning rate",
          anchor="talathi"),
    # -- ReLU alone against ReLU with the identity (issue 13, item 3): which of the IRNN's two ideas matters
    Claim("irnn_identity_over_relu_default", INIT,
          "Identity matrix for the recurrent weights so that the state variable remains unchanged in case there are "
          "no inputs", "lecture, 'Weights Initialisation' (Le et al. 2015); ours: HAR test accuracy at each cell's "
          "best learning rate, IRNN − ReLU RNN with Keras' default initialisation (glorot input, orthogonal "
          "recurrent), paired over seeds", "effect",
          Paired(_talathi("irnn"), _talathi("rnn_relu"), "test_accuracy_at_best_lr"),
          "more seeds or epochs in har_talathi", anchor="talathi", converged=True),
    Claim("irnn_identity_over_relu_default_adding", INIT,
          "Use ReLU to alleviate the vanishing gradient problem; identity matrix for the recurrent weights",
          "lecture, 'Weights Initialisation'; adding problem T = 150, log10 test MSE, ReLU RNN with default "
          "initialisation − IRNN, paired over seeds", "effect",
          Paired(_adding("rnn_relu"), _adding("irnn"), "log10_test_mse"), _ADDING_SETTLE, anchor="adding"),
    Claim("talathi_ucf101", INIT, "tested on the UCF101 benchmark dataset — activity classification from video",
          "lecture, 'Comparison'", "figure", None,
          not_run="UCF101 video features are not in the dataset mirror and the paper's feature pipeline is not "
                  "reproduced; the comparison is redone on HAR above"),
    # -- the lecture's Keras LSTM on HAR
    Claim("har_params", HAR, "lstm (LSTM) 5376, dense (Dense) 198, Total params: 5,574",
          "lecture, 'Implementation in Keras' (model.summary())", "exact",
          Exact(_har("har_lecture"), "keras_params_recurrent_head_total", (5376, 198, 5574)), anchor="har"),
    Claim("har_lstm_accuracy", HAR, "accuracy ~90% (one layer, LSTM(32), L2, batch 1500)",
          "lecture, 'Results including Gradient Clipping'; ours: har_lecture as configured (default config: "
          "batch 128, Adam 0.002, clipvalue 0.5, 20 epochs; config/full.yaml: the lecture's batch 1500, Adam 0.001, "
          "200 epochs), HAR-equivalent windows where the config says hapt", "figure",
          Near(_har("har_lecture"), "test_accuracy", 0.90, 0.03),
          "more seeds or epochs in har_lecture; UCI's own windows (har.source: uci) instead of the HAPT-derived ones",
          anchor="har"),
    Claim("har_lstm2_accuracy", HAR, "accuracy ~90% (two layers, 32 units each)",
          "lecture, 'Results including Gradient Clipping'", "figure",
          Near(_har("har_lecture_2l", layers=2), "test_accuracy", 0.90, 0.03),
          "more seeds or epochs in har_lecture_2l", anchor="har"),
    # -- clipping: the lecture's "comparing different runs of the same model"
    Claim("clip_05_prevents_drops", CLIP,
          "drop in performance due to exploding gradients; with gradient clipping clipvalue=0.5",
          "lecture, 'Comparing Different Runs of Same Model'; statistic: largest fall of validation accuracy "
          "between consecutive epochs, unclipped − clipped", "effect",
          Paired(_har("har_clip", clipvalue=None), _har("har_clip", clipvalue=0.5), "max_val_drop"),
          "more seeds or epochs in har_clip (drops are rare events)", anchor="clip"),
    Claim("clip_01_prevents_drops", CLIP, "with gradient clipping clipvalue=0.1",
          "lecture, 'Comparing Different Runs of Same Model'; unclipped − clipvalue 0.1", "effect",
          Paired(_har("har_clip", clipvalue=None), _har("har_clip", clipvalue=0.1), "max_val_drop"),
          "more seeds or epochs in har_clip", anchor="clip"),
    Claim("clip_small_value_matters", CLIP, "choose sufficiently small clip value",
          "lecture, 'Comparing Different Runs of Same Model'; clipvalue 0.5 − clipvalue 0.1", "effect",
          Paired(_har("har_clip", clipvalue=0.5), _har("har_clip", clipvalue=0.1), "max_val_drop"),
          "more seeds or epochs in har_clip", anchor="clip"),
    # -- GRU
    Claim("har_gru_similar", GRU, "similar performance with GRU as with LSTM (single layer GRU with 32 units)",
          "lecture, 'Similar Performance with GRU as with LSTM'; paired difference within ±0.03", "effect",
          Equivalent(Arm("recurrent", "har_lecture", {"cell": "gru", "layers": 1}),
                     _har("har_lecture"), "test_accuracy", 0.03),
          "more seeds in har_lecture", anchor="har"),
    # -- the lecture's GRU resets h before the matmul (Keras reset_after=False); torch, cuDNN and Keras'
    #    default reset after it (issue 13, item 4): the same seeds and settings, only the reset moved
    Claim("gru_reset_before_similar_har", GRU,
          "candidate state h̃_t = tanh(W_ch · (r_t * h_{t−1}) + W_cx · x_t + b_c)",
          "lecture, 'Gated Recurrent Unit (GRU)'; ours: HAR test accuracy, the lecture's GRU (reset before "
          "W_ch, stepwise) − the library GRU (reset after, har_lecture), paired over seeds, within ±0.03",
          "effect",
          Equivalent(Arm("recurrent", "har_gru_reset_before", {"cell": "gru"}),
                     Arm("recurrent", "har_lecture", {"cell": "gru", "layers": 1}), "test_accuracy", 0.03),
          "more seeds in har_gru_reset_before and har_lecture", anchor="gru_variants"),
    Claim("gru_reset_before_similar_adding", GRU,
          "candidate state h̃_t = tanh(W_ch · (r_t * h_{t−1}) + W_cx · x_t + b_c)",
          "lecture, 'Gated Recurrent Unit (GRU)'; ours: adding problem T = 150, log10 test MSE, reset before − "
          "reset after (adding_long_gated), paired over seeds, within ±0.5 (a factor of 3 in MSE)", "effect",
          Equivalent(Arm("recurrent", "adding_gru_reset_before", {"cell": "gru"}), _adding("gru"),
                     "log10_test_mse", 0.5),
          _ADDING_SETTLE, anchor="gru_variants"),
    *[Claim(f"chung_{cell}_beats_tanh_{ds}", GRU,
            f"both GRU and LSTM perform better than simple RNN with tanh ({name})",
            f"lecture, after Chung et al. 2014 (paper, test NLL: tanh {tanh}, {cell.upper()} {paper})", "effect",
            Paired(_music("rnn_tanh", ds), _music(cell, ds), "best_test_metric"),
            "more seeds or epochs in the music grids", anchor="music")
      for ds, name, tanh, papers in (("jsb", "JSB Chorales", 9.10, {"gru": 8.54, "lstm": 8.67}),
                                     ("nottingham", "Nottingham", 3.13, {"gru": 3.23, "lstm": 3.20}),
                                     ("musedata", "MuseData", 6.23, {"gru": 5.99, "lstm": 6.23}),
                                     ("pianomidi", "Piano-midi.de", 9.03, {"gru": 8.82, "lstm": 9.03}))
      for cell, paper in papers.items()],
    Claim("chung_speech", GRU, "evaluation on music and speech modeling tasks",
          "lecture, after Chung et al. 2014", "effect", None,
          not_run="the Ubisoft speech datasets of the paper are not public"),
    # -- regularisation
    # -- recurrent batch normalisation (issue 13, item 5): Cooijmans et al.'s faster convergence, after the
    #    same 5 epochs of the same HAR settings as har_lecture's LSTM
    Claim("bnlstm_converges_faster", REG,
          "Batch-normalise hidden state variable h and input x independently (at each time step)",
          "lecture, 'A Note on Regularisation Schemes', after Cooijmans et al. 2016 ('faster convergence'); ours: "
          "HAR validation accuracy after 5 epochs, BN-LSTM (γ = 0.1, statistics per step) − LSTM (har_lecture), "
          "paired over seeds", "effect",
          Paired(Arm("recurrent", "har_bnlstm", {"cell": "bnlstm"}), _har("har_lecture"), "val_metric_e5"),
          "more seeds in har_bnlstm and har_lecture", anchor="bnlstm"),
    Claim("dropout_narrows_gap", REG, "variational dropout (as implemented in keras): same mask in all time steps",
          "lecture, 'A Note on Regularisation Schemes' (Gal & Ghahramani 2016); statistic: train − test "
          "accuracy, without − with dropout", "effect",
          Paired(_no_dropout(), _dropout(), "train_test_gap"),
          "more seeds or epochs in har_dropout", anchor="dropout", converged=True),
    Claim("dropout_improves_test", REG, "dropout in LSTMs (input and recurrent masks) regularises",
          "lecture, 'A Note on Regularisation Schemes'; test accuracy, with − without dropout", "effect",
          Paired(_dropout(), _no_dropout(), "test_accuracy"),
          "more seeds or epochs in har_dropout", anchor="dropout", converged=True),
    # -- embedding layers: IMDb
    Claim("imdb_finetuned_over_scratch", EMB,
          "init the embedding layer with pre-trained weights and train it [against training it on the task]",
          "lecture, 'Use of embedding layers'; IMDb test accuracy, fine-tuned − scratch", "effect",
          Paired(_imdb("finetuned"), _imdb("scratch"), "best_test_metric"),
          "more epochs or seeds, or more IMDb reviews", anchor="imdb", converged=True),
    Claim("imdb_frozen_over_scratch", EMB,
          "use a pre-trained generic embedding such as word2vec and freeze the layer",
          "lecture, 'Use of embedding layers'; IMDb test accuracy, frozen − scratch", "effect",
          Paired(_imdb("frozen"), _imdb("scratch"), "best_test_metric"),
          "more seeds, or better word2vec vectors (a larger corpus)", anchor="imdb", converged=True),
    # -- word2vec
    Claim("w2v_subsampling_faster", W2V, "By subsampling of the frequent words we obtain significant speedup",
          _W2V_SAMPLE_SOURCE.format(what="training words per second (raw corpus words), ratio with ÷ without"),
          "effect", Paired(_w2v(impl="ours", sample=W2V_DEFAULT_SAMPLE), _w2v(impl="ours", sample=0.0),
                           "words_per_second", pair_on=("arch", "loss", "seed"), ratio=1.0),
          "more seeds in the sample-0 grid (word2vec.extra_grids)", anchor="w2v_subsampling"),
    Claim("w2v_subsampling_better", W2V, "… and also learn more regular word representations",
          _W2V_SAMPLE_SOURCE.format(what="analogy accuracy, with − without"), "effect",
          Paired(_w2v(impl="ours", sample=W2V_DEFAULT_SAMPLE), _w2v(impl="ours", sample=0.0), "analogy_total_pct",
                 pair_on=("arch", "loss", "seed")),
          "more seeds in the sample-0 grid or a larger corpus", anchor="w2v_subsampling"),
    Claim("w2v_softmax_cost_over_hs", W2V,
          "The softmax function can become problematic if we have large vocabulary. The denominator term can be "
          "cpu intensive", _W2V_SOFTMAX_SOURCE.format(other="hierarchical softmax"), "effect",
          Paired(_w2v_step("softmax"), _w2v_step("hs"), "step_seconds", pair_on=("batch",), ratio=10.0),
          _W2V_SOFTMAX_SETTLE, anchor="w2v_softmax"),
    Claim("w2v_softmax_cost_over_ns", W2V,
          "The softmax and the derived update rules need to iterate through all the vocabulary; negative sampling: "
          "update only a sample of the outputs", _W2V_SOFTMAX_SOURCE.format(other="negative sampling"), "effect",
          Paired(_w2v_step("softmax"), _w2v_step("ns"), "step_seconds", pair_on=("batch",), ratio=10.0),
          _W2V_SOFTMAX_SETTLE, anchor="w2v_softmax"),
    Claim("w2v_car", W2V, "model.most_similar(\"car\"): driver, motorcycle, cars, truck, taxi, vehicle, racing, "
          "automobile, passenger, glider",
          "lecture, 'word2vec - implementations' (gensim defaults on text8, Word2Vec(sentences)); statistic: words "
          "in common with the lecture's ten, at least half", "figure",
          Beyond(_lecture_gensim(corpus_part="whole"), "car_overlap", 5.0, "above"),
          "the full corpus and more seeds (word2vec: prefix_tokens null, seeds)", anchor="word2vec"),
    Claim("w2v_king_queen", W2V, "v_woman + (v_king − v_man) is close to v_queen",
          "lecture, 'word2vec - geometric operations'; statistic: rank of 'queen' among all words, top 5",
          "figure", Beyond(_lecture_gensim(), "queen_rank", 5.5, "below"),
          "a larger corpus (word2vec: prefix_tokens)", anchor="word2vec"),
    *[Claim(f"w2v_offsets_{group}", W2V, f"the path from a point to the other captures a semantic relationship "
            f"({label})", "lecture, 'word2vec - geometric operations' (the three pictures); statistic: mean cosine "
            "between the group's pair offsets minus that of the same words wrongly paired", "shape",
            Beyond(_lecture_gensim(), f"offset_excess_{group}", 0.0, "above"),
            "a larger corpus or more seeds", anchor="word2vec")
      for group, label in (("male_female", "male–female"), ("verb_tense", "verb tense"),
                           ("country_capital", "country–capital"))],
    Claim("w2v_cbow_faster", W2V, "CBOW: from a bag of context words, predict a word [one prediction per window]",
          "Mikolov et al. 2013a (CBOW trains faster than skip-gram); words/s of our core, CBOW − skip-gram",
          "effect", Paired(_w2v(impl="ours", arch="cbow"), _w2v(impl="ours", arch="skipgram"), "words_per_second",
                           pair_on=("loss", "sample", "seed")), "more seeds", anchor="word2vec"),
    Claim("w2v_skipgram_better", W2V, "the continuous skip-gram model … high-quality distributed vector "
          "representations", "Mikolov et al. 2013a,b (skip-gram above CBOW on semantic analogies); our core, "
          "semantic analogy accuracy, skip-gram − CBOW", "effect",
          Paired(_w2v(impl="ours", arch="skipgram"), _w2v(impl="ours", arch="cbow"), "analogy_semantic_pct",
                 pair_on=("loss", "sample", "seed")), "more seeds or a larger corpus", anchor="word2vec"),
    Claim("w2v_ns_over_hs", W2V, "a simple alternative to the hierarchical softmax called negative sampling",
          "Mikolov et al. 2013b (negative sampling above hierarchical softmax on analogies); our core, "
          "analogy accuracy, NS − HS", "effect",
          Paired(_w2v(impl="ours", loss="ns"), _w2v(impl="ours", loss="hs"), "analogy_total_pct",
                 pair_on=("arch", "sample", "seed")), "more seeds or a larger corpus", anchor="word2vec"),
    Claim("w2v_ours_equals_gensim", W2V, "a popular implementation is gensim",
          "lecture, 'word2vec - implementations' (model = Word2Vec(corpus), an iterable); analogy accuracy, ours − "
          "gensim fed the same sentences as an iterable (linear learning-rate decay, as ours; its corpus_file mode "
          "is the speed row of the summary table), same corpus and settings, within ±1 point", "effect",
          Equivalent(_w2v(impl="ours"), _w2v(impl="gensim_iter"), "analogy_total_pct", 1.0,
                     pair_on=("arch", "loss", "sample", "seed")), "more seeds", anchor="word2vec"),
    # -- the recap: name → gender, many-to-one
    *[Claim(f"names_{cell}_beats_majority", RECAP, "gender classification by name (many to one)",
            "lecture, 'RECAP - Gender Classification by Name'; test accuracy against the majority class",
            "effect", Beyond(Arm("names", "names_onehot", {"cell": cell}), "test_accuracy",
                             "majority_baseline", "above"), "more seeds in names_onehot", anchor="names")
      for cell in ("rnn_tanh", "irnn", "nprnn", "lstm", "gru")],
]


def by_id() -> dict[str, Claim]:
    out: dict[str, Claim] = {}
    for c in REGISTER:
        if c.id in out:
            raise ValueError(f"claim id {c.id!r} is used twice")
        out[c.id] = c
    return out


__all__ = ["Arm", "Claim", "Near", "Beyond", "Paired", "Equivalent", "Spread", "Exact", "REGISTER", "by_id",
           "MIN_PAIRED_SEEDS", "ADDING_SOLVED_MSE", "KINDS"]
