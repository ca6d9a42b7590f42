"""Replication on fresh seeds (issue 19, item 5): the overlay and the comparison of two claims tables."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from rnnbench import claims as C
from rnnbench.claims import replicate as R
from rnnbench.grid import expand_word2vec, word2vec_run_id

ROOT = Path(__file__).resolve().parents[1]


def test_the_overlay_is_generated_from_the_default_config():
    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    committed = (ROOT / "config" / "replicate.yaml").read_text()
    assert committed == R.render(cfg), ("config/replicate.yaml is out of date with config/config.yaml: regenerate it "
                                        "with `python -m rnnbench.claims.replicate --write config/replicate.yaml`")


def test_the_overlay_runs_every_claims_grid_on_seeds_the_default_never_uses():
    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    rep = yaml.safe_load((ROOT / "config" / "replicate.yaml").read_text())
    assert rep["results"] != cfg["results"]
    default_seeds = {int(s) for fam in R.SEQUENCE_FAMILIES for e in cfg.get(fam) or [] for s in e.get("seeds", [])}
    default_seeds |= {int(s) for s in cfg["word2vec"]["seeds"]}
    wanted = R.claim_grids()
    for fam in R.SEQUENCE_FAMILIES:
        names = {e["name"] for e in rep.get(fam) or []}
        assert names == wanted.get(fam, set()) & {e["name"] for e in cfg.get(fam) or []}, fam
        for e in rep.get(fam) or []:
            assert not set(e["seeds"]) & default_seeds, e["name"]
            base = next(d for d in cfg[fam] if d["name"] == e["name"])
            assert len(e["seeds"]) == len(base["seeds"])            # the same n: a replication, not more power
            assert {k: v for k, v in e.items() if k != "seeds"} == {k: v for k, v in base.items() if k != "seeds"}
    assert not set(rep["word2vec"]["seeds"]) & default_seeds
    # IMDb's pretrained vectors come from a run the overlay trains
    assert rep["imdb"]["vectors"]["seed"] in rep["word2vec"]["seeds"]


@pytest.mark.parametrize("overlay", ["replicate.yaml", "pilot.yaml"])
def test_the_overlays_word2vec_runs_use_none_of_the_default_seeds_and_train_the_imdb_vectors(overlay):
    # Snakemake merges the overlay's word2vec mapping into the default's (lists replace lists): the merged grid,
    # its extra grids included (the default's one-seed gensim reference), trains only fresh seeds, and the run
    # whose vectors the IMDb arms read is among them
    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    rep = yaml.safe_load((ROOT / "config" / overlay).read_text())
    default_runs = expand_word2vec(cfg["word2vec"])
    runs = expand_word2vec({**cfg["word2vec"], **rep["word2vec"]})
    assert not {r["seed"] for r in runs.values()} & {r["seed"] for r in default_runs.values()}
    assert {(r["impl"], r["arch"], r["loss"], r["sample"]) for r in runs.values()} == \
        {(r["impl"], r["arch"], r["loss"], r["sample"]) for r in default_runs.values()}
    vectors = {**cfg["imdb"]["vectors"], **rep["imdb"]["vectors"]}
    assert word2vec_run_id(vectors) in runs


def test_an_extra_grid_with_seeds_of_its_own_takes_their_twins():
    cfg = {"results": "r", "word2vec": {"seeds": [1, 2, 3], "extra_grids": [{"impls": ["gensim"], "seeds": [2]},
                                                                            {"impls": ["gensim_iter"]}]}}
    assert R.overlay(cfg, register=[])["word2vec"]["extra_grids"] == [{"impls": ["gensim"], "seeds": [1002]},
                                                                       {"impls": ["gensim_iter"]}]
    # the pilot's fewer seeds: a seed past them takes the pilot's first
    pilot = R.overlay({"results": "r", "word2vec": {"seeds": [1, 2, 3], "extra_grids": [{"seeds": [3]}]}},
                      register=[], offset=2000, n_seeds=2)
    assert pilot["word2vec"] == {"seeds": [2000, 2001], "extra_grids": [{"seeds": [2000]}]}
    # without seeds of their own, extra grids follow the main grid's and the overlay leaves them out
    assert "extra_grids" not in R.overlay({"results": "r", "word2vec": {"seeds": [1], "extra_grids": [{"sample": [0]}]}},
                                          register=[])["word2vec"]


def _table(verdicts: dict[str, str], role: dict[str, str] | None = None) -> pd.DataFrame:
    return pd.DataFrame({"id": list(verdicts), "section": "s", "verdict": list(verdicts.values()),
                         "estimate": range(len(verdicts)), "role": [(role or {}).get(k, "claim") for k in verdicts]})


def test_compare_counts_the_decided_claims_that_keep_their_verdict():
    original = _table({"a": "supported", "b": "contradicted", "c": "supported", "d": "undecided", "e": "supported",
                       "k": "supported"}, role={"k": "check"})
    fresh = _table({"a": "supported", "b": "contradicted", "c": "undecided", "d": "supported", "e": "contradicted",
                    "k": "contradicted"}, role={"k": "check"})
    table, summary = R.compare(original, fresh)
    assert list(table["id"]) == ["a", "b", "c", "e"]            # decided claims only; checks apart
    assert summary == {"decided": 4, "kept": 2, "flipped": 1, "undecided": 1, "not_run": 0}
    assert list(table["kept"]) == [True, True, False, False]
    # a claim the replicate did not run is not counted as kept
    _, s = R.compare(original, fresh[fresh["id"] != "a"])
    assert (s["kept"], s["not_run"]) == (1, 1)


def test_the_report_finds_the_twin_tables(tmp_path):
    for name in ("results", "results-replicate"):
        (tmp_path / name / "tables").mkdir(parents=True)
    assert R.sibling_tables(tmp_path / "results") is None
    for name in ("results", "results-replicate"):
        _table({"a": "supported"}).to_csv(tmp_path / name / "tables" / "claims.csv", index=False)
    pair = R.sibling_tables(tmp_path / "results-replicate")
    assert pair == R.sibling_tables(tmp_path / "results")
    assert pair[0].parent.parent.name == "results" and pair[1].parent.parent.name == "results-replicate"


def test_compare_prints_the_figure_or_names_the_missing_twin(tmp_path, capsys):
    (tmp_path / "results" / "tables").mkdir(parents=True)
    _table({"a": "supported", "b": "contradicted"}).to_csv(tmp_path / "results" / "tables" / "claims.csv", index=False)
    with pytest.raises(SystemExit, match="results-replicate"):
        R.main(["--compare", str(tmp_path / "results")])
    (tmp_path / "results-replicate" / "tables").mkdir(parents=True)
    _table({"a": "supported"}).to_csv(tmp_path / "results-replicate" / "tables" / "claims.csv", index=False)
    R.main(["--compare", str(tmp_path / "results")])
    out = capsys.readouterr().out
    assert "1 of 2 decided claims keep their verdict (0 flipped, 0 undecided, 1 not run)" in out
    assert "| `b` | s | contradicted | not run | 1 | — | changed |" in out


def test_every_claims_grid_is_in_the_overlay():
    grids = R.claim_grids()
    assert "gk_input1" in grids["recurrent"] and "adding_long_gated" in grids["recurrent"]
    assert all(set(a.grids) <= grids[a.family] for c in C.REGISTER for a in c.arms() if a.grid)
