"""Summaries per subgroup of the panel, with small-cell suppression."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ._validation import as_matrix, check_band, check_items, check_on_scale, check_quantiles, check_scale
from .consensus import ConsensusRule
from .descriptive import summarize_items

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
    agree=(4, 5),
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

    **Kruskal-Wallis** (:func:`scipy.stats.kruskal`, tie-corrected H,
    chi-square approximation) per item across the groups whose cell is not
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

    summaries = []
    members = []
    for label in uniques:  # one vectorised summary per group (few groups)
        rows = np.array([x == label for x in group_arr], dtype=bool)
        members.append(rows)
        summaries.append(summarize_items(arr[rows], scale=scale, agree=agree, quantiles=quantiles))

    n_cell = np.stack([s["n"].to_numpy() for s in summaries])  # (g, k)
    primary = n_cell < min_cell
    complementary = np.zeros_like(primary)
    for j in np.flatnonzero(primary.sum(axis=0) == 1):
        open_cells = np.flatnonzero(~primary[:, j])
        if open_cells.size:
            complementary[open_cells[np.argmin(n_cell[open_cells, j])], j] = True
    suppressed = primary | complementary

    records = []
    for gi, label in enumerate(uniques):
        s = summaries[gi]
        for j in range(k):
            rec = {"group": label, "item": labels[j]}
            if suppressed[gi, j]:
                rec.update({c: None for c in _VALUE_COLUMNS})
                rec["suppressed"] = True
                rec["reason"] = (
                    f"fewer than {min_cell} answers" if primary[gi, j]
                    else "complementary suppression (protects another suppressed cell of this item)"
                )
            else:
                row = s.iloc[j]
                rec["n"] = int(row["n"])
                for c in _VALUE_COLUMNS[1:]:
                    rec[c] = float(row[c])
                rec["suppressed"] = False
                rec["reason"] = None
            records.append(rec)
    cells = _frame(records, ["group", "item", *_VALUE_COLUMNS, "suppressed", "reason"], {"suppressed": bool})

    panel_verdict = [None] * k
    if rule is not None:
        panel = summarize_items(arr, scale=scale, agree=agree, quantiles=quantiles)
        panel_verdict = rule.evaluate(panel)["verdict"].tolist()

    tests = []
    for j in range(k):
        usable = [gi for gi in range(g) if not suppressed[gi, j]]
        samples = []
        for gi in usable:
            col = arr[members[gi], j]
            samples.append(col[~np.isnan(col)])
        stat = pval = None
        reason = None
        if len(usable) < 2:
            reason = f"fewer than 2 groups with at least {min_cell} answers (unsuppressed)"
        else:
            pooled = np.concatenate(samples)
            if np.all(pooled == pooled[0]):
                reason = "all ratings identical across the groups tested"
            else:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    res = stats.kruskal(*samples)
                stat, pval = float(res.statistic), float(res.pvalue)
        if pval is None:
            diverges = False
        else:
            diverges = pval < alpha
            if rule is not None:
                diverges = diverges and panel_verdict[j] in ("consensus_in", "consensus_out")
        tests.append(
            {
                "item": labels[j],
                "groups_tested": len(usable),
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
