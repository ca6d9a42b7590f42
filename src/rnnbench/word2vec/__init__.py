"""word2vec: our core (CBOW / skip-gram × hierarchical softmax / negative sampling, and the full
softmax both replace) and the gensim reference (its corpus_file mode, and a sentence iterable as
the lecture runs it), trained with the same hyper-parameters on the same corpus file and evaluated
by the same code. Our core has two paths (:mod:`trainer`): a C kernel compiled at first use for
CPUs (:mod:`native`, word2vec.c's sequential SGD) and a batched PyTorch path for GPUs (and the
fallback); config ``word2vec.kernel`` asks for one, each run record names the one that ran (``path``).

Entry points: ``python -m rnnbench.word2vec.corpus`` (prefix + line splitting),
``python -m rnnbench.word2vec.train`` (one run), ``python -m rnnbench.word2vec.step_cost`` (the
full softmax's step time against HS's and NS's), :func:`trainer.train`,
:func:`gensim_ref.train_gensim`, :mod:`evaluate`.
"""
from .params import Word2VecInputError, Word2VecParams

__all__ = ["Word2VecInputError", "Word2VecParams"]
