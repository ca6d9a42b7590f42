"""Claims and checks of the lecture, decided from the runs.

- :mod:`.register`: the register (each claim or check, its words, its runs, its rule);
- :mod:`.rules`: the rules (a statistic and its decision), each deciding its own verdict and able to
  synthesise runs on either side of its boundary;
- :mod:`.runs`: the runs table the rules read (and the one history reader the report shares);
- :mod:`.stats`: intervals, p-values, Holm's correction;
- :mod:`.engine`: the claims table (``python -m rnnbench.claims.engine``);
- :mod:`.replicate`: the replication overlay and the comparison of two claims tables.
"""
from .register import (KINDS, ORIGINS, REGISTER, ROLES, SECTIONS, Budget, Claim, by_id)
from .rules import (MIN_PAIRED_SEEDS, MIN_SEEDS, Beyond, Equivalent, EverySeed, Exact, Near, Paired, Rule, Spread,
                    Test)
from .runs import ADDING_SOLVED_MSE, Arm

__all__ = ["Arm", "Budget", "Claim", "Rule", "Near", "Beyond", "EverySeed", "Paired", "Equivalent", "Spread",
           "Exact", "Test", "REGISTER", "SECTIONS", "by_id", "MIN_SEEDS", "MIN_PAIRED_SEEDS", "ADDING_SOLVED_MSE",
           "KINDS", "ROLES", "ORIGINS"]
