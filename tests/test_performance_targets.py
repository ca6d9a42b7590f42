"""The report's performance-target table judges this run's own measurements."""
from __future__ import annotations

import pandas as pd

from rnnbench.report.performance import MISSED, REACHED, UNMEASURED, targets


def _tables(tmp_path, speedups, w2v_rows):
    pd.DataFrame({"speedup_torch_over_keras": speedups, "torch_seconds": [5.0] * len(speedups),
                  "keras_seconds": [12.0] * len(speedups)}).to_csv(tmp_path / "torch_vs_keras.csv", index=False)
    pd.DataFrame(w2v_rows, columns=["arch", "loss", "speed_ratio_ours_over_gensim",
                                    "analogy_gap_points_ours_minus_gensim", "words_per_second_ours",
                                    "words_per_second_gensim"]).to_csv(tmp_path / "word2vec_summary.csv", index=False)
    return tmp_path


def _verdict(df, startswith):
    return df[df["target"].str.startswith(startswith)]["verdict"].tolist()


def test_cpu_targets(tmp_path):
    recs = [{"family": "recurrent", "task": "har", "backend": "torch", "device": "cpu (2 cores)"},
            {"family": "word2vec", "impl": "ours", "device": "cpu (2 cores)"}]
    t = _tables(tmp_path, [2.5, 1.9], [["cbow", "ns", 1.3, -0.4, 2e6, 1.5e6], ["skipgram", "hs", 0.9, 0.2, 7e5, 7.7e5],
                                       ["cbow", "hs", 1.2, -1.5, 2e6, 1.6e6], ["text8", "x", None, None, None, None]])
    df = targets(recs, t)
    assert _verdict(df, "HAR: our training") == [REACHED]                      # mean 2.2x
    assert "2.20×" in df.iloc[0]["measured"] and "cpu" in df.iloc[0]["where"]
    assert _verdict(df, "word2vec cbow/ns: ≥ 1×") == [REACHED]
    assert _verdict(df, "word2vec skipgram/hs") == [MISSED]                    # too slow
    assert _verdict(df, "word2vec cbow/hs") == [MISSED]                        # fast, but 1.5 points worse
    assert len(df[df["target"].str.contains("text8")]) == 0                    # a row without ratios is no target
    assert _verdict(df, "word2vec on a GPU") == [UNMEASURED]
    assert _verdict(df, "HAR LSTM(32), 200 epochs") == [UNMEASURED]
    assert _verdict(df, "the full lecture-scale grid") == [UNMEASURED]


def test_gpu_runs_raise_the_word2vec_bar_and_judge_the_200_epoch_run(tmp_path):
    lstm = {"family": "recurrent", "task": "har", "cell": "lstm", "backend": "torch", "device": "cuda:0 (H100)",
            "epochs_run": 200, "train_seconds": 8.5, "config": {"hidden": 32, "batch_size": 1500}}
    recs = [lstm, {**lstm, "train_seconds": 12.0},
            {"family": "word2vec", "impl": "ours", "device": "cuda:0 (H100)"}]
    df = targets(recs, _tables(tmp_path, [3.0], [["cbow", "ns", 5.0, 0.1, 1e7, 2e6]]))
    assert _verdict(df, "word2vec cbow/ns: ≥ 20×") == [MISSED]                 # 5x is not 20x
    assert not any(df["target"].str.startswith("word2vec on a GPU"))
    row = df[df["target"].str.startswith("HAR LSTM(32), 200 epochs")].iloc[0]
    assert row["verdict"] == REACHED and row["measured"].startswith("8.5 s")


def test_nothing_ran(tmp_path):
    df = targets([], tmp_path)
    assert set(df["verdict"]) == {UNMEASURED}
