"""Consensus statistics for Delphi studies: pure functions on numpy/pandas.

Orientation everywhere: a 2-D array with rows = panellists and columns =
items; NaN = no rating. Conventions and references: ``docs/statistics.md``.
Charts live in :mod:`analysis.charts` (imported on demand: matplotlib is not
loaded by ``import analysis``).
"""

from .concordance import SCHMIDT_ANCHORS, KendallResult, interpret_w, kendall_w
from .consensus import VERDICTS, ConsensusRule, rand_ucla_verdicts
from .descriptive import QUANTILE_METHODS, summarize_items
from .rand_ucla import rand_ucla
from .stability import STABLE_PCT_CHANGE, stability
from .subgroups import SubgroupResult, subgroups
from .suppression import suppression_masks

__all__ = [
    "ConsensusRule",
    "KendallResult",
    "QUANTILE_METHODS",
    "SCHMIDT_ANCHORS",
    "STABLE_PCT_CHANGE",
    "SubgroupResult",
    "VERDICTS",
    "interpret_w",
    "kendall_w",
    "rand_ucla",
    "rand_ucla_verdicts",
    "stability",
    "subgroups",
    "summarize_items",
    "suppression_masks",
]
