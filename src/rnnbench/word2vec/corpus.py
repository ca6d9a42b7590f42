"""Corpus preparation: a text8-style file (one line of space-separated tokens) cut to a prefix
of N tokens and split into lines of ``line_tokens`` tokens.

gensim's ``corpus_file`` mode reads one sentence per line (and cuts lines at 10,000 words);
fed text8 as its single 100 MB line, gensim 4.4 trains garbage. Splitting into 10,000-token
lines is what gensim's own ``Text8Corpus`` does, and both implementations read the same
prepared file, so windows never cross the same sentence boundaries in either.
"""
from __future__ import annotations

import os
from pathlib import Path

from .params import Word2VecInputError

LINE_TOKENS = 1_000  # well under gensim's 10,000-word job: with 10,000-token lines corpus_file drops ~25 % of the tokens (gensim_ref)


def read_tokens(path: str | os.PathLike, prefix: int | None = None) -> list[str]:
    """All whitespace-separated tokens of a file (the first ``prefix`` of them if given)."""
    path = Path(path)
    if not path.exists():
        raise Word2VecInputError(f"corpus file {path} does not exist")
    tokens = path.read_text(encoding="utf-8", errors="strict").split()
    if prefix is not None:
        if prefix < 1:
            raise Word2VecInputError(f"prefix must be >= 1 token, got {prefix}")
        tokens = tokens[:prefix]
    if not tokens:
        raise Word2VecInputError(f"corpus {path} is empty: no tokens to train on")
    return tokens


def prepare(src: str | os.PathLike, dst: str | os.PathLike, prefix: int | None = None,
            line_tokens: int = LINE_TOKENS) -> dict:
    """Write the first ``prefix`` tokens of ``src`` (all if None) to ``dst``, ``line_tokens``
    per line, atomically. Returns counts for the log."""
    from ..records import atomic_write_text

    if line_tokens < 1:
        raise Word2VecInputError("line_tokens must be >= 1")
    tokens = read_tokens(src, prefix)
    lines = (" ".join(tokens[i:i + line_tokens]) for i in range(0, len(tokens), line_tokens))
    atomic_write_text(dst, "\n".join(lines) + "\n")
    available = prefix is None or len(tokens) == prefix
    return {"tokens": len(tokens), "lines": -(-len(tokens) // line_tokens), "prefix": prefix,
            "prefix_satisfied": available}


def read_sentences(path: str | os.PathLike) -> list[list[str]]:
    """The prepared file as sentences (one per line, empty lines dropped)."""
    path = Path(path)
    if not path.exists():
        raise Word2VecInputError(f"corpus file {path} does not exist")
    with open(path, encoding="utf-8") as f:
        sentences = [line.split() for line in f]
    sentences = [s for s in sentences if s]
    if not sentences:
        raise Word2VecInputError(f"corpus {path} is empty: no tokens to train on")
    return sentences


def main(argv: list[str] | None = None) -> None:
    import argparse

    p = argparse.ArgumentParser(prog="python -m rnnbench.word2vec.corpus",
                                description="Cut a text8-style corpus to a prefix and split it into lines.")
    p.add_argument("src")
    p.add_argument("dst")
    p.add_argument("--prefix", type=int, default=None, help="first N tokens (default: all)")
    p.add_argument("--line-tokens", type=int, default=LINE_TOKENS)
    a = p.parse_args(argv)
    try:
        info = prepare(a.src, a.dst, a.prefix, a.line_tokens)
    except Word2VecInputError as e:
        raise SystemExit(f"error: {e}")
    print(info)
    if not info["prefix_satisfied"]:
        print(f"warning: the corpus holds only {info['tokens']} tokens, fewer than the prefix {a.prefix}")


if __name__ == "__main__":
    main()
