"""Summaries per subgroup of the panel, with small-cell suppression."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from ._validation import (
    as_matrix,
    check_band,
    check_items,
    check_on_scale,
    check_quantiles,
    check_scale,
)
from .consensus import ConsensusRule
from .descriptive import summarize_items
from .suppression import suppression_masks

__all__ = ["SubgroupResult", "subgroups"]

_VALUE_COLUMNS = ("n", "median", "q1", "q3", "iqr", "agreement")


def _frame(records, columns, dtypes):
    """Build a frame whose columns keep None (object dtype) unless typed in *dtypes*."""
    return pd.DataFrame(
        {c: pd.Series([r[c] for r in records], dtype=dtypes.get(c, object)) for c in columns}
    )


@dataclass(frozen=True)
class SubgroupResult:
    """Result of :func:`subgroups`.

    Attributes
    ----------
    cells : pandas.DataFrame
        Long format, one row per (group, item): ``group``, ``item``, ``n``,
        ``median``, ``q1``, ``q3``, ``iqr``, ``agreement`` (None when
        suppressed), ``suppressed`` (bool), ``reason``.
    tests : pandas.DataFrame
        One row per item: ``item``, ``groups_tested``, ``kw_statistic``,
        ``kw_pvalue``, ``panel_verdict``, ``diverges``, ``reason``.
    """

    cells: pd.DataFrame
    tests: pd.DataFrame


def subgroups(
    ratings,
    groups,
    *,
    min_cell=5,
    scale=(1, 5),
    agree=None,
    quantiles="type7",
    rule: ConsensusRule | None = None,
    alpha=0.05,
    items=None,
) -> SubgroupResult:
    """Item summaries per panel subgroup, with suppression and a Kruskal-Wallis test.

    Parameters
    ----------
    ratings : array_like, shape (m, k)
        Rows = panellists, columns = items; NaN = no rating.
    groups : array_like, shape (m,)
        The group label of each panellist (e.g. stakeholder group, region).
        No label may be missing.
    min_cell : int, default 5
        Smallest number of answers a cell may show.
    scale, agree, quantiles :
        As in :func:`analysis.summarize_items`.
    rule : ConsensusRule, optional
        Whole-panel consensus rule for ``diverges``; without it ``diverges``
        follows the Kruskal-Wallis p alone.
    alpha : float, default 0.05
        Significance level of the Kruskal-Wallis test.
    items : sequence, optional
        Item labels; default ``0..k-1``.

    Returns
    -------
    SubgroupResult

    Notes
    -----
    **Primary suppression.** A cell (group x item) with fewer than
    ``min_cell`` answers shows None for n, median, q1, q3, iqr and agreement.

    **Complementary suppression.** The whole panel's figures are published
    too, so a single suppressed cell could be recovered by subtraction
    (panel count minus the other groups). When exactly one cell of an item
    is suppressed, the unsuppressed cell with the smallest n (first in
    group order on a tie) is suppressed as well. Two or more suppressed
    cells cannot be separated from each other by subtraction.

    **Kruskal-Wallis** (tie-corrected H, chi-square approximation, as
    :func:`scipy.stats.kruskal`; computed for all items at once from each
    group's rank sum over the value counts, since ratings are whole points,
    in a form without cancellation: an H of exactly 0 gives p = 1; see
    :func:`_kruskal_from_counts`) per item across the groups whose cell is not
    suppressed (so n >= ``min_cell``); None with a reason when fewer than
    two such groups remain or all their ratings are identical.
    ``diverges`` = ``kw_pvalue < alpha`` and, when ``rule`` is given, the
    whole panel reaches consensus (in or out) on the item under the rule:
    the groups differ where the panel as a whole looks agreed.

    References
    ----------
    Kruskal, W. H. & Wallis, W. A. (1952). Use of ranks in one-criterion
    variance analysis. JASA 47, 583-621.
    Hundepool, A. et al. (2012). Statistical Disclosure Control, section 4.2
    (primary and secondary cell suppression). Wiley.
    """
    arr = as_matrix(ratings)
    m, k = arr.shape
    labels = check_items(items, k)
    scale = check_scale(scale)
    agree = check_band(agree, scale, "agree")
    quantiles = check_quantiles(quantiles)
    check_on_scale(arr, scale)
    group_arr = np.asarray(groups, dtype=object)
    if group_arr.ndim != 1 or group_arr.shape[0] != m:
        raise ValueError(f"groups must be 1-D with one label per panellist (row): {m} expected")
    if pd.isna(pd.Series(group_arr, dtype=object)).any():
        raise ValueError("groups has missing labels; give every panellist a group (e.g. 'unknown')")
    if isinstance(min_cell, bool) or not float(min_cell).is_integer() or min_cell < 1:
        raise ValueError(f"min_cell must be a positive integer, got {min_cell!r}")
    min_cell = int(min_cell)
    if not 0.0 < float(alpha) < 1.0:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha!r}")
    if rule is not None and not isinstance(rule, ConsensusRule):
        raise ValueError("rule must be a ConsensusRule or None")

    uniques = pd.unique(pd.Series(group_arr, dtype=object))
    try:
        uniques = sorted(uniques)
    except TypeError:
        uniques = list(uniques)
    g = len(uniques)
    position = {label: gi for gi, label in enumerate(uniques)}
    codes = np.fromiter((position[x] for x in group_arr), dtype=np.intp, count=m)

    # One vectorised summary per group (few groups).
    summaries = [summarize_items(arr[codes == gi], scale=scale, agree=agree, quantiles=quantiles)
                 for gi in range(g)]

    n_cell = np.stack([s["n"].to_numpy() for s in summaries]) if g else np.zeros((0, k), int)
    primary, suppressed = suppression_masks(n_cell, min_cell)

    cells = _cells_frame(uniques, labels, summaries, n_cell, primary, suppressed, min_cell)

    panel_verdict = [None] * k
    if rule is not None:
        panel = summarize_items(arr, scale=scale, agree=agree, quantiles=quantiles)
        panel_verdict = rule.evaluate(panel)["verdict"].tolist()

    usable = ~suppressed  # (g, k)
    groups_tested = usable.sum(axis=0)
    counts = _value_counts(arr, codes, g, scale)  # (g, k, points)
    statistic, pvalue, identical = _kruskal_from_counts(counts, usable)

    tests = []
    for j in range(k):
        stat = pval = None
        reason = None
        if groups_tested[j] < 2:
            reason = f"fewer than 2 groups with at least {min_cell} answers (unsuppressed)"
        elif identical[j]:
            reason = "all ratings identical across the groups tested"
        else:
            stat, pval = float(statistic[j]), float(pvalue[j])
        if pval is None:
            diverges = False
        else:
            diverges = pval < alpha
            if rule is not None:
                diverges = diverges and panel_verdict[j] in ("consensus_in", "consensus_out")
        tests.append(
            {
                "item": labels[j],
                "groups_tested": int(groups_tested[j]),
                "kw_statistic": stat,
                "kw_pvalue": pval,
                "panel_verdict": panel_verdict[j],
                "diverges": bool(diverges),
                "reason": reason,
            }
        )
    tests_df = _frame(
        tests,
        ["item", "groups_tested", "kw_statistic", "kw_pvalue", "panel_verdict", "diverges", "reason"],
        {"groups_tested": np.int64, "diverges": bool},
    )
    return SubgroupResult(cells=cells, tests=tests_df)


def _cells_frame(uniques, labels, summaries, n_cell, primary, suppressed, min_cell) -> pd.DataFrame:
    """The long table of cells (group-major), built column by column."""
    g, k = suppressed.shape
    hidden = suppressed.ravel().tolist()
    columns = {
        "group": [label for label in uniques for _j in range(k)],
        "item": list(labels) * g,
        "n": [None if h else int(v) for h, v in zip(hidden, n_cell.ravel().tolist())],
    }
    for c in _VALUE_COLUMNS[1:]:
        values = (np.stack([s[c].to_numpy(dtype=float) for s in summaries]).ravel().tolist()
                  if g else [])
        columns[c] = [None if h else v for h, v in zip(hidden, values)]
    small = f"fewer than {min_cell} answers"
    complementary = "complementary suppression (protects another suppressed cell of this item)"
    columns["suppressed"] = hidden
    columns["reason"] = [(small if p else complementary) if h else None
                         for h, p in zip(hidden, primary.ravel().tolist())]
    dtypes = {"suppressed": bool}
    return pd.DataFrame({c: pd.Series(v, dtype=dtypes.get(c, object)) for c, v in columns.items()})


def _value_counts(arr: np.ndarray, codes: np.ndarray, g: int, scale) -> np.ndarray:
    """``counts[group, item, v - low]``: how many of the group rated the item v."""
    m, k = arr.shape
    points = scale[1] - scale[0] + 1
    rated = ~np.isnan(arr)
    rows, cols = np.nonzero(rated)
    values = arr[rows, cols].astype(np.intp) - scale[0]
    flat = (codes[rows] * k + cols) * points + values
    return np.bincount(flat, minlength=g * k * points).reshape(g, k, points)


def _kruskal_from_counts(counts: np.ndarray, usable: np.ndarray):
    """Kruskal-Wallis H and p per item over the usable groups, from value counts.

    Computed without cancellation, in integers of **twice the midranks**:
    the pooled midrank of value v is ``(answers below v) + (answers at v + 1)/2``,
    so ``2 r_v = 2 below_v + c_v + 1`` is an integer, and so is each group's
    ``S_i = sum 2 r``. With ``d_i = S_i - n_i (N + 1)`` (twice the group's
    rank sum minus its expectation) Kruskal & Wallis' (1952)
    ``H = 12/(N(N + 1)) sum n_i (Rbar_i - Rbar)^2`` divided by the tie
    correction ``1 - T/(N^3 - N)``, ``T = sum (t^3 - t)``, becomes::

        H = 3 (N - 1) sum_i (d_i^2 / n_i) / (N^3 - N - T)

    a sum of non-negative terms over an integer: an H of exactly 0 (every
    group's mean rank equal to the pooled one) is 0.0, and p = 1 (R:
    ``kruskal.test`` gives 0 and 1; the textbook form ``12/(N(N+1)) sum
    R_i^2/n_i - 3(N + 1)`` leaves 1e-14). Referred to chi-square on
    (groups - 1) df, as :func:`scipy.stats.kruskal`. Returns
    ``(H, p, identical)`` per item; H and p are NaN where the test is not
    defined (fewer than two usable groups, or a single distinct value).
    """
    used = (counts * usable[:, :, None]).astype(np.int64)  # (g, k, points)
    pooled = used.sum(axis=0)  # (k, points)
    total = pooled.sum(axis=1)  # N per item
    twice_ranks = 2 * (np.cumsum(pooled, axis=1) - pooled) + pooled + 1  # (k, points), integers
    twice_sums = (used * twice_ranks[None, :, :]).sum(axis=2)  # (g, k)
    sizes = used.sum(axis=2)  # (g, k)
    dev = twice_sums - sizes * (total + 1)[None, :]  # (g, k), integers
    identical = np.count_nonzero(pooled, axis=1) <= 1
    ties = (pooled ** 3 - pooled).sum(axis=1)
    denom = total ** 3 - total - ties  # integer; 0 when all ratings identical
    with np.errstate(divide="ignore", invalid="ignore"):
        between = np.where(usable & (sizes > 0), dev.astype(float) ** 2 / np.where(sizes > 0, sizes, 1),
                           0.0).sum(axis=0)
        h = 3.0 * (total - 1) * between / np.where(denom > 0, denom, 1).astype(float)
        df = usable.sum(axis=0) - 1
        pvalue = special.chdtrc(np.maximum(df, 1), h)
    undefined = (df < 1) | identical
    return np.where(undefined, np.nan, h), np.where(undefined, np.nan, pvalue), identical
