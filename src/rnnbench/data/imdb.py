"""IMDb sentiment with an embedding layer (the lecture's IMDb activity and its three strategies).

Real review text: the labelled part of aclImdb v1 (Maas et al. 2011), ``aclImdb/{train,test}/{pos,neg}/*.txt``.

Text -> ids, stated once (the report quotes this):

* tokens: each review lower-cased, ``<br />`` removed, each digit spelled as its word and every
  other character outside a-z replaced by a space, then split on spaces. This is the
  normalisation of text8 (Mahoney's wikifil.pl), the corpus our word2vec vectors are trained on,
  so a review word and a word2vec word are the same string;
* vocabulary: the ``vocab_size - 2`` most frequent tokens of the *training* reviews (ties broken
  alphabetically); id 0 = padding, id 1 = out-of-vocabulary (every other token, including words
  seen only in validation or test reviews), ids 2.. = the vocabulary by rank;
* length: reviews longer than ``max_len`` tokens keep their *last* ``max_len`` tokens (Keras
  ``pad_sequences``' default truncating='pre'); shorter ones are right-padded with 0 and carry
  their length, so the recurrent layer stops at the last real token;
* subsets: ``n_train`` + ``n_val`` reviews drawn from the official training half and ``n_test``
  from the official test half, each with equal positive and negative counts (seeded); null =
  all (22,500 + 2,500 from train, 25,000 test at full scale).

Pretrained embedding (``--vectors``): a gensim ``KeyedVectors`` file (``.kv``, written by
``KeyedVectors.save``) or word2vec text (``.txt``/``.vec``) / binary (``.bin``) format. Row i of
the matrix is the vector of vocabulary word i when word2vec knows it; rows of words it does not
know, and the OOV row, are drawn from U(-0.05, 0.05) (Keras' Embedding initialiser, seeded); the
padding row is 0. Coverage (share of vocabulary words and of training tokens found) is recorded.

``python -m rnnbench.data.imdb --raw DIR --out FILE [--vectors KV] [--n-train ... --max-len ... --vocab-size ...]``
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import re
import tarfile
from pathlib import Path

import numpy as np

from ..records import atomic_savez
from ..training.types import TaskData

TAR = "aclImdb_labelled.tar"
SOURCE = "aclImdb v1 labelled reviews (Maas et al. 2011)"
PAD, OOV = 0, 1
_MEMBER = re.compile(r"(?:^|/)aclImdb/(train|test)/(pos|neg)/(\d+)_(\d+)\.txt$")
_DIGITS = {str(i): f" {w} " for i, w in enumerate(
    "zero one two three four five six seven eight nine".split())}
_NOT_AZ = re.compile(r"[^a-z]+")


def tokenize(text: str) -> list[str]:
    """text8's normalisation: lower case, digits spelled out, everything else outside a-z a space."""
    text = text.lower().replace("<br />", " ")
    text = "".join(_DIGITS.get(c, c) for c in text)
    return _NOT_AZ.sub(" ", text).split()


def read_reviews(tar_path: str | os.PathLike) -> dict[str, list[tuple[int, int, str]]]:
    """{'train'|'test': [(label, review id, text)]} sorted by (label, id); label 1 = positive."""
    tar_path = Path(tar_path)
    if not tar_path.exists():
        raise FileNotFoundError(f"{tar_path} is missing: fetch the 'imdb' dataset first")
    out: dict[str, list[tuple[int, int, str]]] = {"train": [], "test": []}
    with tarfile.open(tar_path, "r:*") as tf:
        for info in tf:
            m = _MEMBER.search(info.name) if info.isfile() else None
            if not m:
                continue
            f = tf.extractfile(info)
            assert f is not None
            out[m.group(1)].append((int(m.group(2) == "pos"), int(m.group(3)), f.read().decode("utf-8")))
    for split, rows in out.items():
        if not rows or len({r[0] for r in rows}) != 2:
            raise ValueError(f"{tar_path}: no positive and negative reviews under aclImdb/{split}/")
        rows.sort(key=lambda r: (r[0], r[1]))
    return out


def _balanced(labels: np.ndarray, n: int | None, rng: np.random.Generator) -> np.ndarray:
    """n indices, n/2 per class (all when n is None), in random order."""
    if n is None:
        return rng.permutation(len(labels))
    per = n // 2
    parts = []
    for cls in (0, 1):
        idx = np.flatnonzero(labels == cls)
        if per > len(idx):
            raise ValueError(f"asked for {per} reviews of class {cls}, only {len(idx)} exist")
        parts.append(rng.choice(idx, per, replace=False))
    return rng.permutation(np.concatenate(parts))


def build_vocab(token_lists: list[list[str]], vocab_size: int) -> list[str]:
    """The vocab_size - 2 most frequent tokens (ids 2..); ties alphabetical."""
    if vocab_size < 3:
        raise ValueError(f"vocab_size must be >= 3 (padding, OOV, one word), got {vocab_size}")
    counts = collections.Counter(t for toks in token_lists for t in toks)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [w for w, _ in ranked[: vocab_size - 2]]


def encode(token_lists: list[list[str]], index: dict[str, int], max_len: int) -> tuple[np.ndarray, np.ndarray]:
    """(ids (N, max_len) int64 right-padded, lengths (N,)); long reviews keep their last max_len tokens."""
    ids = np.zeros((len(token_lists), max_len), dtype=np.int64)
    lengths = np.zeros(len(token_lists), dtype=np.int64)
    for i, toks in enumerate(token_lists):
        toks = toks[-max_len:]
        if not toks:          # an empty review still gets one (OOV) step to run over
            toks = ["\0"]
        ids[i, : len(toks)] = [index.get(t, OOV) for t in toks]
        lengths[i] = len(toks)
    return ids, lengths


def load_vectors(path: str | os.PathLike):
    """gensim KeyedVectors from a ``.kv`` file or a word2vec text/binary file."""
    from gensim.models import KeyedVectors

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"word vectors {path} not found (the word2vec run writes them)")
    if path.suffix == ".kv":
        return KeyedVectors.load(str(path))
    return KeyedVectors.load_word2vec_format(str(path), binary=path.suffix == ".bin")


def embedding_matrix(vocab: list[str], kv, seed: int) -> tuple[np.ndarray, dict]:
    """(V, D) float32 rows aligned with ids; coverage statistics."""
    dim = int(kv.vector_size)
    rng = np.random.default_rng(seed)
    mat = rng.uniform(-0.05, 0.05, size=(len(vocab) + 2, dim)).astype(np.float32)
    mat[PAD] = 0.0
    found = np.zeros(len(vocab), dtype=bool)
    for i, w in enumerate(vocab):
        if w in kv.key_to_index:
            mat[i + 2] = kv[w]
            found[i] = True
    return mat, {"vector_size": dim, "vectors_vocabulary": len(kv.key_to_index),
                 "vocab_words_found": int(found.sum()), "vocab_coverage": float(found.mean()) if len(vocab) else 0.0,
                 "_found": found}


def prepare_imdb(raw_dir: str | os.PathLike, out: str | os.PathLike, n_train: int | None = 5000,
                 n_val: int | None = 1000, n_test: int | None = 5000, max_len: int = 200,
                 vocab_size: int = 20000, seed: int = 0, vectors: str | os.PathLike | None = None) -> dict:
    reviews = read_reviews(Path(raw_dir) / TAR)
    rng = np.random.default_rng(seed)
    tr_labels = np.asarray([r[0] for r in reviews["train"]])
    te_labels = np.asarray([r[0] for r in reviews["test"]])
    if n_train is None and n_val is None:
        raise ValueError("set n_val when n_train is null (validation reviews come from the training half)")
    if n_train is None:
        # all training reviews but a balanced validation subset
        val_idx = _balanced(tr_labels, n_val, rng)
        rest = np.setdiff1d(np.arange(len(tr_labels)), val_idx)
        train_idx = rng.permutation(rest)
    else:
        both = _balanced(tr_labels, n_train + (n_val or 0), rng)
        # keep both subsets balanced: split each class between train and val
        train_idx, val_idx = [], []
        for cls in (0, 1):
            c = both[tr_labels[both] == cls]
            train_idx.append(c[: n_train // 2])
            val_idx.append(c[n_train // 2:])
        train_idx, val_idx = rng.permutation(np.concatenate(train_idx)), rng.permutation(np.concatenate(val_idx))
    test_idx = _balanced(te_labels, n_test, rng)
    if len(val_idx) == 0:
        raise ValueError("n_val must be >= 2: early stopping and model selection need validation reviews")

    toks = {"train": [tokenize(reviews["train"][i][2]) for i in train_idx],
            "val": [tokenize(reviews["train"][i][2]) for i in val_idx],
            "test": [tokenize(reviews["test"][i][2]) for i in test_idx]}
    labels = {"train": tr_labels[train_idx], "val": tr_labels[val_idx], "test": te_labels[test_idx]}
    vocab = build_vocab(toks["train"], vocab_size)
    index = {w: i + 2 for i, w in enumerate(vocab)}
    arrays: dict[str, np.ndarray] = {"vocab": np.asarray(vocab)}
    meta: dict = {"source": SOURCE, "max_len": max_len, "vocab_size": len(vocab) + 2, "requested_vocab_size": vocab_size,
                  "seed": seed, "padding_id": PAD, "oov_id": OOV, "truncation": "keep the last max_len tokens",
                  "counts": {}}
    for split in ("train", "val", "test"):
        ids, lengths = encode(toks[split], index, max_len)
        arrays[f"x_{split}"], arrays[f"l_{split}"], arrays[f"y_{split}"] = ids, lengths, labels[split].astype(np.int64)
        n_tok = sum(min(len(t), max_len) for t in toks[split])
        meta["counts"][split] = {"reviews": len(ids), "positive": int(labels[split].sum()),
                                 "oov_token_rate": float((ids == OOV).sum() / max(n_tok, 1)),
                                 "truncated": int(sum(len(t) > max_len for t in toks[split])),
                                 "median_tokens": float(np.median([len(t) for t in toks[split]]))}
    if vectors is not None:
        mat, cov = embedding_matrix(vocab, load_vectors(vectors), seed)
        found = cov.pop("_found")
        freq = collections.Counter(t for ts in toks["train"] for t in ts)
        total = sum(freq[w] for w in vocab)
        cov["train_token_coverage"] = float(sum(freq[w] for w, f in zip(vocab, found) if f) / max(total, 1))
        cov["vectors_file"] = str(vectors)
        arrays["pretrained"] = mat
        meta["pretrained"] = cov
    atomic_savez(out, arrays, meta)
    return meta


def load_imdb(npz: str | os.PathLike) -> TaskData:
    with np.load(npz) as z:
        a = {k: z[k] for k in ("x_train", "y_train", "l_train", "x_val", "y_val", "l_val", "x_test", "y_test", "l_test")}
        meta = json.loads(str(z["meta"]))
    return TaskData(
        name="imdb", kind="classification",
        x_train=a["x_train"], y_train=a["y_train"], x_val=a["x_val"], y_val=a["y_val"],
        x_test=a["x_test"], y_test=a["y_test"],
        lengths_train=a["l_train"], lengths_val=a["l_val"], lengths_test=a["l_test"],
        n_outputs=2, vocab_size=int(meta["vocab_size"]), source=meta["source"], meta=meta,
    )


def load_pretrained(npz: str | os.PathLike) -> np.ndarray:
    """The (V, D) word2vec matrix aligned with the prepared ids."""
    with np.load(npz) as z:
        if "pretrained" not in z:
            raise ValueError(f"{npz} holds no pretrained embedding: prepare it with --vectors")
        return z["pretrained"]


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m rnnbench.data.imdb", description=__doc__.splitlines()[0])
    p.add_argument("--raw", required=True, help=f"folder holding {TAR}")
    p.add_argument("--out", required=True, help="prepared .npz to write")
    p.add_argument("--vectors", default=None, help="word vectors (.kv, or word2vec .txt/.bin) for the pretrained rows")

    def opt_int(s: str) -> int | None:
        return None if s.lower() in ("none", "null", "all") else int(s)

    p.add_argument("--n-train", type=opt_int, default=5000, help="training reviews (null = all but n-val)")
    p.add_argument("--n-val", type=opt_int, default=1000)
    p.add_argument("--n-test", type=opt_int, default=5000, help="test reviews (null = all 25,000)")
    p.add_argument("--max-len", type=int, default=200)
    p.add_argument("--vocab-size", type=int, default=20000, help="ids including padding (0) and OOV (1)")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    try:
        meta = prepare_imdb(a.raw, a.out, a.n_train, a.n_val, a.n_test, a.max_len, a.vocab_size, a.seed, a.vectors)
    except (OSError, ValueError, tarfile.TarError) as e:
        raise SystemExit(f"error: {e}")
    print(json.dumps({k: v for k, v in meta.items() if k in ("counts", "pretrained", "vocab_size")}))


if __name__ == "__main__":
    main()
