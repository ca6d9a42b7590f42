"""word2vec: our batched PyTorch core (CBOW / skip-gram × hierarchical softmax / negative
sampling) and the gensim reference, trained with the same hyper-parameters on the same corpus
file and evaluated by the same code.

Entry points: ``python -m rnnbench.word2vec.corpus`` (prefix + line splitting),
``python -m rnnbench.word2vec.train`` (one run), :func:`trainer.train`,
:func:`gensim_ref.train_gensim`, :mod:`evaluate`.
"""
from .params import Word2VecInputError, Word2VecParams

__all__ = ["Word2VecInputError", "Word2VecParams"]
