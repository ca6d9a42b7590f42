"""Determinism: the same seed on CPU gives identical results, for our recurrent core end to end
(two whole runs) and for gensim's reference word2vec (workers=1 and a fixed PYTHONHASHSEED: gensim
hashes words with Python's salted hash when it seeds each vector)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import adding_spec


GENSIM_SCRIPT = r"""
import hashlib, sys
from rnnbench.word2vec.gensim_ref import train_gensim
from rnnbench.word2vec.params import Word2VecParams
p = Word2VecParams(sg=int(sys.argv[2]), hs=int(sys.argv[3]), negative=0 if sys.argv[3] == "1" else 5,
                   epochs=1, workers=1, seed=7, vector_size=32)
r = train_gensim(sys.argv[1], p, log=lambda m: None)
print(hashlib.sha256(r.vectors.tobytes()).hexdigest())
"""


def test_recurrent_run_twice_identical(tmp_path):
    spec = adding_spec(cells=["lstm"], dropout=0.1, recurrent_dropout=0.1, seeds=[3], lr=0.01, l2=0.001,
                       clipvalue=0.5, seq_len=15, n_train=128, n_test=32)
    recs = []
    for i in range(2):  # two processes, as two Snakemake jobs would be
        subprocess.run([sys.executable, "-m", "rnnbench.train", "--spec", json.dumps(spec), "--data", "none",
                        "--outdir", str(tmp_path / str(i)), "--device", "cpu", "--threads", "1"],
                       check=True, capture_output=True)
        recs.append(json.loads((tmp_path / str(i) / "metrics.json").read_text()))
    for key in ("final", "best", "diagnostics", "params", "status"):
        assert recs[0][key] == recs[1][key], key
    strip = [[{k: v for k, v in row.items() if k != "seconds"} for row in _rows(tmp_path / str(i) / "history.csv")]
             for i in range(2)]
    assert strip[0] == strip[1]


def _rows(path):
    import csv

    with open(path) as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("sg,hs", [(0, 0), (1, 1)])
def test_gensim_reference_twice_identical_with_one_worker_and_fixed_hashseed(tmp_path, mirror, sg, hs):
    from rnnbench.data.fetch import fetch
    from rnnbench.word2vec.corpus import prepare

    fetch("ptb", tmp_path / "ptb", mirror, allow_network=False)
    corpus = tmp_path / "ptb.txt"
    prepare(tmp_path / "ptb" / "ptb.valid.txt", corpus)
    env = dict(os.environ, PYTHONHASHSEED="0")
    digests = {subprocess.run([sys.executable, "-c", GENSIM_SCRIPT, str(corpus), str(sg), str(hs)], env=env,
                              capture_output=True, text=True, check=True).stdout.strip() for _ in range(2)}
    assert len(digests) == 1
