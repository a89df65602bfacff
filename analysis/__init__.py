"""Consensus statistics for Delphi studies: pure functions on numpy/pandas.

Orientation everywhere: a 2-D array with rows = panellists and columns =
items; NaN = no rating. The question kinds beyond rating scales have their
own modules: :mod:`analysis.quantities` (estimates, probabilities, years;
1-D, one answer per panellist) and :mod:`analysis.rankings` (rank matrices,
rows = panellists, columns = options). Conventions and references:
``docs/statistics.md``.
Charts live in :mod:`analysis.charts` (imported on demand: matplotlib is not
loaded by ``import analysis``).
"""

from .concordance import (
    SCHMIDT_ANCHORS,
    IncompleteKendallResult,
    KendallResult,
    choose_concordance,
    interpret_w,
    kendall_w,
    kendall_w_incomplete,
)
from .consensus import VERDICTS, ConsensusRule, rand_ucla_verdicts
from .descriptive import QUANTILE_METHODS, summarize_items
from .quantities import (
    QuantitySummary,
    TargetReach,
    YearSummary,
    at_most,
    dispersion_exact,
    iqr_exact,
    quantile_average,
    summarize_quantity,
    summarize_years,
    target_reach,
)
from .rand_ucla import rand_ucla
from .rankings import (
    RankingSummary,
    at_least,
    kendall_w_exact,
    rank_matrix,
    summarize_ranking,
)
from .stability import (
    STABLE_PCT_CHANGE,
    signed_rank_exact_pvalue,
    stability,
    weighted_kappa,
)
from .subgroups import SubgroupResult, subgroups
from .suppression import suppression_masks

__all__ = [
    "QUANTILE_METHODS",
    "SCHMIDT_ANCHORS",
    "STABLE_PCT_CHANGE",
    "VERDICTS",
    "ConsensusRule",
    "IncompleteKendallResult",
    "KendallResult",
    "QuantitySummary",
    "RankingSummary",
    "SubgroupResult",
    "TargetReach",
    "YearSummary",
    "at_least",
    "at_most",
    "choose_concordance",
    "dispersion_exact",
    "interpret_w",
    "iqr_exact",
    "kendall_w",
    "kendall_w_exact",
    "kendall_w_incomplete",
    "quantile_average",
    "rand_ucla",
    "rand_ucla_verdicts",
    "rank_matrix",
    "signed_rank_exact_pvalue",
    "stability",
    "subgroups",
    "summarize_items",
    "summarize_quantity",
    "summarize_ranking",
    "summarize_years",
    "suppression_masks",
    "target_reach",
    "weighted_kappa",
]
