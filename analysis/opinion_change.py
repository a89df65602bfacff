"""Opinion change between two rounds: who moved, toward the group or away,
how far, and whether panellists who argued moved differently.

Persuasion and herding leave different traces: under herding the movers
go toward the median they were shown, the further they were from it the
more, whatever was argued; under persuasion the change depends on the
arguments (here: whether the panellist gave reasons) and need not point to
the median. Conventions are in ``docs/statistics.md`` ("Opinion change").
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ._validation import as_matrix, check_items

__all__ = ["opinion_change"]


def opinion_change(before, after, previous_median, *, gave_reasons=None, items=None,
                   min_n: int | None = None) -> pd.DataFrame:
    """Per item: the share of panellists who moved, toward or away from the
    previous round's median, the group's conformity, shift against distance,
    and the change rates of panellists who gave reasons and who did not.

    Parameters
    ----------
    before, after : array_like, shape (m, k)
        The same panellists (rows) in the previous and this round; an item's
        *pairs* are the panellists with a rating in both.
    previous_median : array_like, shape (k,)
        The median shown to the panel as feedback (the previous round's).
    gave_reasons : array_like of bool, shape (m, k), optional
        Whether the panellist gave reasons on the item (a comment in the
        previous round or a reason for their answer).
    min_n : int, optional
        Fewer pairs than this: the figures are None ("too few answers").

    Returns
    -------
    pandas.DataFrame
        One row per item:

        * ``n_pairs``, ``moved`` (share with ``a != b``), ``toward`` (share with
          ``|a - M| < |b - M|``), ``away`` (``|a - M| > |b - M|``); a mover
          who crosses the median to the same distance is neither;
        * ``sign_pvalue``: two-sided exact binomial (sign) test of the
          toward against the away movers, p = 1/2;
        * ``conformity``: the mean reduction in absolute distance to the
          median, ``mean(|b - M|) - mean(|a - M|)`` in scale points, and
          ``conformity_ratio`` = that reduction over ``mean(|b - M|)`` (1: all
          at the median now; 0: no net convergence; negative: divergence;
          None when everyone was at the median);
        * ``shift_rho``, ``shift_pvalue``: Spearman's correlation of the
          distance ``|b - M|`` with the shift size ``|a - b|``, and
          ``shift_slope``: least-squares slope of the signed move toward the
          median ``|b - M| - |a - M|`` on ``|b - M|`` (1: everybody moved onto
          the median; 0: moves unrelated to distance);
        * ``moved_reasons``, ``moved_no_reasons``, ``n_reasons``,
          ``reasons_pvalue``: change rates of those who gave reasons and the
          others, two-sided Fisher exact test on the 2 × 2 table;
        * ``reason``: why figures are None.

    Notes
    -----
    The conformity index follows the measures of opinion change toward the
    group's statistic used in Delphi research (Rowe & Wright 1996: change
    toward the group mean as "conformity"; Bolger et al. 2011; Makkonen et
    al. 2016, who model the propensity to change against the distance from
    the group's median). Our exact definition is the mean reduction in
    absolute distance to the median shown above; the ratio form makes items
    comparable across scales.

    References
    ----------
    Rowe, G. & Wright, G. (1996). The impact of task characteristics on the
    performance of structured group forecasting techniques. International
    Journal of Forecasting 12, 73-89.
    Bolger, F., Stranieri, A., Wright, G. & Yearwood, J. (2011). Does the
    Delphi process lead to increased accuracy in group-based judgmental
    forecasts or does it simply induce consensus amongst judgmental
    forecasters? Technological Forecasting & Social Change 78, 1671-1680.
    Makkonen, M., Hujala, T. & Uusivuori, J. (2016). Policy experts'
    propensity to change their opinion along Delphi rounds. Technological
    Forecasting & Social Change 109, 61-68.
    Spearman, C. (1904). American Journal of Psychology 15, 72-101.
    Fisher, R. A. (1935). Journal of the Royal Statistical Society 98, 39-82.
    """
    b_arr = as_matrix(before, "before")
    a_arr = as_matrix(after, "after")
    if b_arr.shape != a_arr.shape:
        raise ValueError(f"before and after must have the same shape, got {b_arr.shape} and {a_arr.shape}")
    m, k = b_arr.shape
    labels = check_items(items, k)
    med = np.asarray(previous_median, dtype=float)
    if med.shape != (k,):
        raise ValueError(f"previous_median must have one value per item ({k})")
    if gave_reasons is None:
        reasons = None
    else:
        reasons = np.asarray(gave_reasons)
        if reasons.shape != (m, k) or reasons.dtype != bool:
            raise ValueError(f"gave_reasons must be a boolean array of shape {(m, k)}")
    need = max(int(min_n or 1), 1)
    rows = []
    for j, label in enumerate(labels):
        pair = ~np.isnan(b_arr[:, j]) & ~np.isnan(a_arr[:, j])
        b, a = b_arr[pair, j], a_arr[pair, j]
        n = int(pair.sum())
        row = dict.fromkeys(("moved", "toward", "away", "sign_pvalue", "conformity",
                             "conformity_ratio", "shift_rho", "shift_pvalue", "shift_slope",
                             "moved_reasons", "moved_no_reasons", "reasons_pvalue"))
        row.update(item=label, n_pairs=n, n_reasons=None, reason=None)
        if n < need or np.isnan(med[j]):
            row["reason"] = "too few answers"
            rows.append(row)
            continue
        dist_b, dist_a = np.abs(b - med[j]), np.abs(a - med[j])
        moved = a != b
        toward = int((dist_a < dist_b).sum())
        away = int((dist_a > dist_b).sum())
        row.update(moved=float(moved.mean()), toward=toward / n, away=away / n)
        if toward + away:
            row["sign_pvalue"] = float(stats.binomtest(toward, toward + away, 0.5).pvalue)
        row["conformity"] = float(dist_b.mean() - dist_a.mean())
        if dist_b.sum() > 0:
            row["conformity_ratio"] = float(1 - dist_a.sum() / dist_b.sum())
        shift = np.abs(a - b)
        if n >= 3 and np.ptp(dist_b) > 0 and np.ptp(shift) > 0:
            rho = stats.spearmanr(dist_b, shift)
            row["shift_rho"], row["shift_pvalue"] = float(rho.statistic), float(rho.pvalue)
        if n >= 2 and np.ptp(dist_b) > 0:
            row["shift_slope"] = float(stats.linregress(dist_b, dist_b - dist_a).slope)
        if reasons is not None:
            gave = reasons[pair, j]
            row["n_reasons"] = int(gave.sum())
            if gave.any() and (~gave).any():
                row["moved_reasons"] = float(moved[gave].mean())
                row["moved_no_reasons"] = float(moved[~gave].mean())
                table = [[int((moved & gave).sum()), int((~moved & gave).sum())],
                         [int((moved & ~gave).sum()), int((~moved & ~gave).sum())]]
                row["reasons_pvalue"] = float(stats.fisher_exact(table).pvalue)
        rows.append(row)
    order = ["item", "n_pairs", "moved", "toward", "away", "sign_pvalue", "conformity",
             "conformity_ratio", "shift_rho", "shift_pvalue", "shift_slope", "n_reasons",
             "moved_reasons", "moved_no_reasons", "reasons_pvalue", "reason"]
    frame = pd.DataFrame([{c: r[c] for c in order} for r in rows], columns=order, dtype=object)
    frame["n_pairs"] = frame["n_pairs"].astype(np.int64)
    return frame.set_index("item")
