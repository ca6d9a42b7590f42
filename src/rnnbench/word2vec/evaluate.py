"""Evaluation shared by both implementations (the same code on both sets of vectors).

- analogies on questions-words.txt, gensim's ``evaluate_word_analogies`` convention: only the
  ``restrict_vocab`` (30,000) most frequent words are candidates and questions with a word
  outside them are skipped and counted; a, b, c are excluded from the answers; case-insensitive.
  Vectorised: a batch of questions is one matrix product.
- Spearman (and Pearson) correlation of cosine similarity with human scores on WordSim-353 and
  SimLex-999 (gensim's ``evaluate_word_pairs``: out-of-vocabulary pairs skipped and counted).
- ``most_similar`` and king - man + woman (cosine on unit vectors, inputs excluded).
- the lecture's word groups: how parallel each group's pair offsets are (:func:`offsets`).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

# the lecture's figures: male-female, verb tense, country-capital
GROUPS: dict[str, list[tuple[str, str]]] = {
    "male_female": [("man", "woman"), ("king", "queen"), ("boy", "girl"), ("brother", "sister"),
                    ("father", "mother"), ("uncle", "aunt"), ("prince", "princess")],
    "verb_tense": [("walking", "walked"), ("swimming", "swam"), ("running", "ran"), ("going", "went"),
                   ("seeing", "saw"), ("taking", "took"), ("giving", "gave")],
    "country_capital": [("france", "paris"), ("italy", "rome"), ("germany", "berlin"), ("spain", "madrid"),
                        ("russia", "moscow"), ("japan", "tokyo"), ("china", "beijing"), ("greece", "athens")],
}
SIMILAR_WORDS = ("car", "king", "france", "computer", "good")


@dataclass
class Embeddings:
    words: list[str]
    vectors: np.ndarray
    index: dict[str, int] = field(init=False)

    def __post_init__(self):
        self.vectors = np.asarray(self.vectors, dtype=np.float32)
        self.index = {}
        for i, w in enumerate(self.words):
            self.index.setdefault(w, i)
        norms = np.linalg.norm(self.vectors, axis=1, keepdims=True)
        self.unit = self.vectors / np.maximum(norms, 1e-12)

    def most_similar(self, positive=(), negative=(), topn: int = 10) -> list[tuple[str, float]]:
        """gensim's most_similar: mean of the unit vectors (+1 / -1), cosine, inputs excluded;
        words not in the vocabulary give an empty list."""
        keys = list(positive) + list(negative)
        if not keys or any(k not in self.index for k in keys):
            return []
        q = sum(self.unit[self.index[w]] for w in positive) - sum(self.unit[self.index[w]] for w in negative)
        q = q / max(np.linalg.norm(q), 1e-12)
        sims = self.unit @ q
        sims[[self.index[k] for k in keys]] = -np.inf
        top = np.argsort(-sims)[:topn]
        return [(self.words[i], float(sims[i])) for i in top if np.isfinite(sims[i])]

    def rank_of(self, target: str, positive=(), negative=()) -> int | None:
        """1-based rank of ``target`` in :meth:`most_similar` over the whole vocabulary (the
        lecture's king − man + woman → queen, however far down queen is); None when a word is
        missing."""
        full = self.most_similar(positive, negative, topn=len(self.words))
        return next((i + 1 for i, (w, _) in enumerate(full) if w == target), None)


def _read_questions(path: str | Path) -> list[tuple[str, list[list[str]]]]:
    sections: list[tuple[str, list[list[str]]]] = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith(":"):
                sections.append((line[1:].strip(), []))
            elif line.strip():
                if not sections:
                    raise ValueError(f"{path}: a question before the first ': section' line")
                sections[-1][1].append(line.lower().split())
    return sections


def analogies(emb: Embeddings, path: str | Path, restrict_vocab: int = 30_000, batch: int = 512) -> dict:
    """Accuracy per section and semantic / syntactic / total, in percent (None when no
    question of a group is answerable: a counted skip, with a warning)."""
    ok = {}
    for i, w in enumerate(emb.words[:restrict_vocab]):
        ok.setdefault(w.lower(), i)
    cand = emb.unit[:restrict_vocab]
    out_sections = []
    for name, qs in _read_questions(path):
        known = [q for q in qs if len(q) == 4 and all(w in ok for w in q)]
        correct = 0
        if known:
            idx = np.array([[ok[w] for w in q] for q in known])
            for s in range(0, len(idx), batch):
                a, b, c, d = idx[s:s + batch].T
                q = cand[b] - cand[a] + cand[c]
                sims = q @ cand.T
                rows = np.arange(len(a))
                sims[rows, a] = sims[rows, b] = sims[rows, c] = -np.inf
                correct += int((sims.argmax(1) == d).sum())
        out_sections.append({"section": name, "correct": correct, "answered": len(known),
                             "oov": len(qs) - len(known), "questions": len(qs)})

    def group(sel):
        c = sum(s["correct"] for s in sel)
        n = sum(s["answered"] for s in sel)
        q = sum(s["questions"] for s in sel)
        return {"correct": c, "answered": n, "oov": q - n, "questions": q,
                "accuracy_pct": 100.0 * c / n if n else None}

    sem = group([s for s in out_sections if not s["section"].startswith("gram")])
    syn = group([s for s in out_sections if s["section"].startswith("gram")])
    tot = group(out_sections)
    if tot["answered"] == 0:
        warnings.warn(f"analogy set {path}: all {tot['questions']} questions are out of the "
                      f"{restrict_vocab} most frequent words; accuracy not defined (counted skip)")
    return {"restrict_vocab": restrict_vocab, "semantic": sem, "syntactic": syn, "total": tot,
            "sections": out_sections}


def _ranks(x: np.ndarray) -> np.ndarray:
    """1-based ranks, ties sharing their average rank (scipy.stats.rankdata's 'average')."""
    _, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    return (np.cumsum(counts) - (counts - 1) / 2.0)[inverse]


def pearson(a, b) -> float:
    """Pearson's r; in numpy, since scipy.stats takes most of a second to import, in every word2vec job."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    a, b = a - a.mean(), b - b.mean()
    return float(np.clip((a @ b) / np.sqrt((a @ a) * (b @ b)), -1.0, 1.0))


def spearman(a, b) -> float:
    """Spearman's rho: Pearson's r of the average ranks (as scipy.stats.spearmanr)."""
    return pearson(_ranks(np.asarray(a)), _ranks(np.asarray(b)))


def word_pairs(emb: Embeddings, path: str | Path, restrict_vocab: int = 300_000) -> dict:
    """Spearman / Pearson correlation between cosine similarity and the human score."""
    ok = {}
    for i, w in enumerate(emb.words[:restrict_vocab]):
        ok.setdefault(w.lower(), i)
    sims, gold, total, oov = [], [], 0, 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            parts = line.strip().split("\t")
            if len(parts) < 3:
                parts = line.split()
            a, b, score = parts[0].lower(), parts[1].lower(), float(parts[2])
            total += 1
            if a not in ok or b not in ok:
                oov += 1
                continue
            sims.append(float(emb.unit[ok[a]] @ emb.unit[ok[b]]))
            gold.append(score)
    res = {"pairs": total, "used": len(sims), "oov_pairs": oov, "spearman": None, "pearson": None}
    if len(sims) >= 3:
        res["spearman"] = spearman(gold, sims)
        res["pearson"] = pearson(gold, sims)
    else:
        warnings.warn(f"word-pair set {path}: {oov} of {total} pairs out of vocabulary, "
                      f"{len(sims)} usable; correlation not defined (counted skip)")
    return res


def group_vectors(emb: Embeddings) -> dict[str, dict[str, list[float]]]:
    """The vectors of the lecture's word groups present in the vocabulary (for the PCA plots)."""
    out = {}
    for g, pairs in GROUPS.items():
        out[g] = {w: [round(float(x), 6) for x in emb.vectors[emb.index[w]]]
                  for pair in pairs for w in pair if w in emb.index}
    return out


def offsets(emb: Embeddings, pairs: list[tuple[str, str]], n_null: int = 200, seed: int = 0) -> dict:
    """Are the offsets of a word group parallel (the lecture's male–female, verb-tense and
    country–capital pictures)? Mean cosine between the offset vectors v(b) − v(a) of the group's
    pairs (unit vectors, as analogies use), against two nulls: the same words paired wrongly
    (a derangement of the second words: the shared category direction alone) and random pairs of
    frequent words. ``excess`` = true − wrongly paired: > 0 when the pairs carry a relation of their
    own beyond "all capitals sit apart from all countries"."""
    have = [(a, b) for a, b in pairs if a in emb.index and b in emb.index]
    res = {"pairs": len(pairs), "used": len(have), "mean_cos": None, "mean_cos_mispaired": None,
           "mean_cos_random": None, "excess": None}
    if len(have) < 3:
        return res
    rng = np.random.default_rng(seed)
    u = emb.unit

    def mean_pairwise_cos(off: np.ndarray) -> float:
        off = off / np.maximum(np.linalg.norm(off, axis=1, keepdims=True), 1e-12)
        c = off @ off.T
        return float(c[np.triu_indices(len(off), 1)].mean())

    a = np.array([emb.index[x] for x, _ in have])
    b = np.array([emb.index[y] for _, y in have])
    true = mean_pairwise_cos(u[b] - u[a])
    mis = []
    for _ in range(n_null):
        perm = rng.permutation(len(b))
        while np.any(perm == np.arange(len(b))):
            perm = rng.permutation(len(b))
        mis.append(mean_pairwise_cos(u[b[perm]] - u[a]))
    top = min(len(emb.words), 10_000)
    rand = [mean_pairwise_cos(u[rng.integers(0, top, len(have))] - u[rng.integers(0, top, len(have))])
            for _ in range(n_null)]
    res.update(mean_cos=true, mean_cos_mispaired=float(np.mean(mis)), mean_cos_random=float(np.mean(rand)),
               excess=true - float(np.mean(mis)))
    return res


def evaluate_all(emb: Embeddings, eval_dir: str | Path, similar_words=SIMILAR_WORDS,
                 restrict_vocab: int = 30_000, topn: int = 10) -> dict:
    eval_dir = Path(eval_dir)
    res = {
        "analogy": analogies(emb, eval_dir / "questions-words.txt", restrict_vocab),
        "wordsim353": word_pairs(emb, eval_dir / "wordsim353.tsv"),
        "simlex999": word_pairs(emb, eval_dir / "simlex999.txt"),
        "most_similar": {w: emb.most_similar([w], topn=topn) for w in similar_words},
        "king_man_woman": emb.most_similar(["king", "woman"], ["man"], topn=5),
        "queen_rank": emb.rank_of("queen", ["king", "woman"], ["man"]),
        "groups": group_vectors(emb),
        "offsets": {g: offsets(emb, pairs) for g, pairs in GROUPS.items()},
    }
    missing = [w for w in similar_words if w not in emb.index]
    res["most_similar_oov"] = missing
    return res



__all__ = ["Embeddings", "analogies", "word_pairs", "evaluate_all", "GROUPS", "SIMILAR_WORDS"]
