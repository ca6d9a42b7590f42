"""Every claim's rule is shown able to fail (issue 19, item 2).

For every claim of the register — parametrised over the register, so a claim added to it is tested
here without a line written for it — the rule synthesises runs-table rows on each side of its own
boundary and inside its boundary band, and the engine must give the matching verdict: supported on
one side, contradicted on the other, undecided in the band. A claim whose rule cannot synthesise such
rows cannot enter the register (``Claim`` refuses it), so no claim escapes this test.

Where a short budget could give a claim's verdict by itself (the claim's ``budget``), the verdict
stands only with its positive control succeeding, and is *undecided (budget)* without it.
"""
from __future__ import annotations

import pandas as pd
import pytest

from rnnbench import claims as C
from rnnbench.claims import engine as E

TESTED = [c for c in C.REGISTER if c.test is not None and c.test.synthesisable]
CLAIMS = [c for c in C.REGISTER if c.role == "claim" and c.test is not None]


def test_every_claim_with_a_test_is_synthesisable():
    assert CLAIMS and all(c in TESTED for c in CLAIMS)


def _runs(claim: C.Claim, side: str, control: str | None) -> pd.DataFrame:
    parts = [claim.synthesise(side)]
    if control is not None:
        ctl = claim.budget.control
        assert not {a.describe() for a in ctl.arms()} & {a.describe() for a in claim.arms()}, claim.id
        parts.append(ctl.synthesise(control))
    return pd.concat(parts, ignore_index=True)


@pytest.mark.parametrize("claim", TESTED, ids=[c.id for c in TESTED])
@pytest.mark.parametrize("side", ["supported", "contradicted", "undecided"])
def test_synthetic_runs_give_the_verdict_of_their_side(claim, side):
    control = "supported" if claim.budget is not None else None
    row = E.evaluate(claim, _runs(claim, side, control))
    assert row["verdict"] == side, (claim.id, row["evidence"], row["why"])
    # the same through the table the report reads (a section of one: Holm changes nothing)
    table = E.claims_table(_runs(claim, side, control), [claim])
    assert table["verdict"].iloc[0] == side


@pytest.mark.parametrize("claim", [c for c in CLAIMS if c.budget is not None],
                         ids=[c.id for c in CLAIMS if c.budget is not None])
def test_a_verdict_the_budget_could_fake_is_undecided_without_its_positive_control(claim):
    row = E.evaluate(claim, _runs(claim, claim.budget.fakes, "contradicted"))
    assert row["verdict"] == "undecided" and row["why"].startswith("undecided (budget)"), row
    assert claim.budget.source in row["why"]
    # the other verdict needs no control: a short budget cannot produce it by itself
    other = {"supported": "contradicted", "contradicted": "supported"}[claim.budget.fakes]
    assert E.evaluate(claim, _runs(claim, other, "contradicted"))["verdict"] == other


def test_a_claim_whose_rule_cannot_be_flipped_cannot_enter_the_register():
    rule = C.Exact(C.Arm("recurrent", "g"), "recurrent_param_ratio_irnn_nprnn_lstm", (1.0, 1.0, 4.0))
    with pytest.raises(ValueError, match="cannot synthesise"):
        C.Claim("x", "s", "q", "src", "exact", rule)
    assert C.Claim("x", "s", "q", "src", "exact", rule, role="check").role == "check"
