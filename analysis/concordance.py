"""Kendall's coefficient of concordance W across the panel's rankings of items."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from ._validation import as_matrix

__all__ = ["KendallResult", "kendall_w", "interpret_w", "SCHMIDT_ANCHORS"]

# Largest spread of integer ratings ranked by counting (beyond it: argsort ranks).
_COUNTING_MAX_LEVELS = 24


@dataclass(frozen=True)
class KendallResult:
    """Result of :func:`kendall_w`.

    Attributes
    ----------
    w : float or None
        The headline W (tie-corrected unless ``correct_ties=False``); None when
        undefined (see ``reason``).
    w_uncorrected : float or None
        W without the tie correction; None when W is undefined.
    chi2, df, pvalue : float, int, float or None
        ``chi2 = m (n - 1) w`` on ``df = n - 1``; upper-tail p.
    f, f_df1, f_df2, f_pvalue : float or None
        F test of Kendall and Legendre; None when undefined (``f_reason``).
    n_raters : int
        Panellists used (complete rows).
    n_items : int
        Items ranked.
    n_dropped : int
        Panellists left out because they missed at least one item.
    reason : str or None
        Why ``w`` is None.
    f_reason : str or None
        Why ``f`` is None while ``w`` is defined (W = 1, or df1 <= 0).
    """

    w: float | None
    w_uncorrected: float | None
    chi2: float | None
    df: int | None
    pvalue: float | None
    f: float | None
    f_df1: float | None
    f_df2: float | None
    f_pvalue: float | None
    n_raters: int
    n_items: int
    n_dropped: int
    reason: str | None = None
    f_reason: str | None = None


def _undefined(m, n, dropped, reason):
    return KendallResult(None, None, None, None, None, None, None, None, None, m, n, dropped, reason, None)


def _small_codes(x: np.ndarray, low: float) -> np.ndarray:
    """``x - low`` as int8 codes (x holds integers spanning < 128 values)."""
    if -128 <= low and x.max() <= 127:
        codes = x.astype(np.int8)
        codes -= np.int8(low)
        return codes
    return (x - low).astype(np.int8)


def _rank_sums_counting(x: np.ndarray):
    """Item rank sums and tie total for integer data, by counting per row.

    Within a row, the average rank of value v is
    ``(#values below v) + (#values equal to v + 1) / 2``; an item's rank
    sum is then ``sum_v avg_rank[:, v] . [x[:, item] == v]``, one
    matrix-vector product per scale point instead of a sort per row.
    """
    m, n = x.shape
    low = x.min()
    codes = _small_codes(x, low)
    levels = int(x.max() - low) + 1
    counts = np.empty((m, levels))
    for v in range(levels):
        counts[:, v] = np.count_nonzero(codes == v, axis=1)
    avg_rank = np.cumsum(counts, axis=1) - counts + (counts + 1.0) / 2.0
    rank_sums = np.zeros(n)
    for v in range(levels):
        rank_sums += avg_rank[:, v] @ (codes == v)
    ties = float((counts ** 3 - counts).sum())
    return rank_sums, ties


def _rank_sums_sorting(x: np.ndarray):
    """Item rank sums and tie total for any real data (rankdata along rows).

    The tie total uses the identity, per row, sum(rank^2) =
    n(n+1)(2n+1)/6 - sum over tie groups (t^3 - t)/12.
    """
    m, n = x.shape
    ranks = stats.rankdata(x, axis=1)
    full = n * (n + 1) * (2 * n + 1) / 6.0
    ties = float(np.round(12.0 * (m * full - (ranks ** 2).sum())))
    return ranks.sum(axis=0), ties


def kendall_w(ratings, *, correct_ties: bool = True) -> KendallResult:
    """Kendall's coefficient of concordance W of the panellists' item rankings.

    Parameters
    ----------
    ratings : array_like, shape (m, n)
        Rows = panellists (raters), columns = items; NaN = no rating. Each
        panellist's ratings are ranked across the items (1 = lowest), tied
        ratings sharing the average rank.
    correct_ties : bool, default True
        Report the tie-corrected W as ``w`` (and base chi2 and F on it).

    Returns
    -------
    KendallResult

    Raises
    ------
    ValueError
        If ``ratings`` is not a 2-D numeric array, or has infinite values.

    Notes
    -----
    With m panellists, n items, ``R_i`` the rank sum of item i and
    ``S = sum_i (R_i - m(n + 1)/2)^2``::

        W   = 12 S / (m^2 (n^3 - n))                 (uncorrected)
        W_t = 12 S / (m^2 (n^3 - n) - m T)           (tie-corrected)

    where ``T`` sums ``t^3 - t`` over every group of t tied ratings of every
    panellist. ``chi2 = m (n - 1) W`` on ``n - 1`` df is then the
    tie-corrected Friedman statistic (R ``friedman.test``,
    ``scipy.stats.friedmanchisquare``). F test (Legendre 2005):
    ``F = (m - 1) W / (1 - W)`` on ``df1 = n - 1 - 2/m`` and
    ``df2 = (m - 1) df1``; at W = 1 F is infinite, reported as None with
    ``f_reason``.

    Missing data: a panellist with any missing rating is left out
    (listwise, as SPSS, R ``friedman.test`` and pingouin) and counted in
    ``n_dropped``. W is undefined, ``w`` None with a ``reason``, when fewer
    than 2 panellists or 2 items remain, or when every panellist gives every
    item the same rating (0/0). W is never reported as a fake 0 or 1.

    Integer ratings are ranked by counting (per-row counts of each value);
    other data with :func:`scipy.stats.rankdata` along rows.

    References
    ----------
    Kendall, M. G. & Babington Smith, B. (1939). The problem of m rankings.
    Annals of Mathematical Statistics 10, 275-287.
    Siegel, S. & Castellan, N. J. (1988). Nonparametric Statistics for the
    Behavioral Sciences, 2nd ed., section 9.4. McGraw-Hill.
    Legendre, P. (2005). Species associations: the Kendall coefficient of
    concordance revisited. JABES 10, 226-245.

    Examples
    --------
    Siegel & Castellan (1988), 3 raters ranking 8 items, as reproduced in R
    DescTools' ``KendallW`` example (W = 0.6560847, chi2 = 13.778, df = 7):

    >>> r = kendall_w([[5, 6, 7, 1, 2, 4, 3, 8],
    ...                [1, 7, 6, 2, 3, 5, 4, 8],
    ...                [4, 5, 1, 3, 2, 7, 6, 8]])
    >>> round(r.w, 7), round(r.chi2, 3), r.df
    (0.6560847, 13.778, 7)
    """
    arr = as_matrix(ratings)
    if correct_ties not in (True, False):
        raise ValueError(f"correct_ties must be True or False, got {correct_ties!r}")
    total, n = arr.shape
    complete = ~np.isnan(arr).any(axis=1)
    x = arr[complete] if not complete.all() else arr
    m = x.shape[0]
    dropped = int(total - m)
    if m < 2:
        return _undefined(m, n, dropped, f"W needs at least 2 panellists with complete ratings; {m} left")
    if n < 2:
        return _undefined(m, n, dropped, f"W needs at least 2 items; got {n}")

    low, high = x.min(), x.max()
    if high - low < _COUNTING_MAX_LEVELS and np.array_equal(x, np.floor(x)):
        rank_sums, ties = _rank_sums_counting(x)
    else:
        rank_sums, ties = _rank_sums_sorting(x)

    s = float(((rank_sums - m * (n + 1) / 2.0) ** 2).sum())
    denom_u = float(m * m * (n ** 3 - n))
    denom_t = denom_u - m * ties
    if denom_t <= 0:
        return _undefined(
            m, n, dropped,
            "every panellist gave every item the same rating: there is no ordering of "
            "items to agree on (W = 0/0)",
        )
    w_u = 12.0 * s / denom_u
    w_t = min(12.0 * s / denom_t, 1.0)
    w = w_t if correct_ties else w_u

    df = n - 1
    chi2 = m * df * w
    pvalue = float(stats.chi2.sf(chi2, df))

    f = f_df1 = f_df2 = f_p = None
    f_reason = None
    df1 = df - 2.0 / m
    if df1 <= 0:
        f_reason = f"F test undefined: df1 = n - 1 - 2/m = {df1:g} <= 0"
    elif w >= 1.0:
        f_reason = "F test undefined at W = 1 (F infinite)"
    else:
        f_df1 = df1
        f_df2 = (m - 1) * df1
        f = (m - 1) * w / (1.0 - w)
        f_p = float(stats.f.sf(f, f_df1, f_df2))

    return KendallResult(
        w=float(w), w_uncorrected=float(w_u), chi2=float(chi2), df=int(df), pvalue=pvalue,
        f=None if f is None else float(f), f_df1=f_df1, f_df2=f_df2, f_pvalue=f_p,
        n_raters=int(m), n_items=int(n), n_dropped=dropped, reason=None, f_reason=f_reason,
    )


#: Schmidt's (1997) anchor points: (W, label, confidence in the ranks).
SCHMIDT_ANCHORS = (
    (0.1, "very weak", "none"),
    (0.3, "weak", "low"),
    (0.5, "moderate", "fair"),
    (0.7, "strong", "high"),
    (0.9, "unusually strong", "very high"),
)


def interpret_w(w):
    """Label a W with Schmidt's (1997) anchors, binned to the nearest anchor.

    Parameters
    ----------
    w : float or None
        Kendall's W in [0, 1]; None (W undefined) gives None.

    Returns
    -------
    str or None
        ``"very weak"`` for W < 0.2, ``"weak"`` for 0.2 <= W < 0.4,
        ``"moderate"`` for 0.4 <= W < 0.6, ``"strong"`` for 0.6 <= W < 0.8,
        ``"unusually strong"`` for W >= 0.8.

    Notes
    -----
    Schmidt gives anchor points (0.1, 0.3, 0.5, 0.7, 0.9), not intervals.
    We bin each W to its nearest anchor; a W exactly midway goes to the
    higher anchor. This covers all of [0, 1] (labelling by "highest anchor
    <= W" would leave W < 0.1 unlabelled).

    References
    ----------
    Schmidt, R. C. (1997). Managing Delphi surveys using nonparametric
    statistical techniques. Decision Sciences 28(3), 763-774.
    """
    if w is None:
        return None
    try:
        value = float(w)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"w must be a number in [0, 1] or None, got {w!r}") from exc
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"w must be a number in [0, 1] or None, got {w!r}")
    for (anchor, label, _), (nxt, _, _) in zip(SCHMIDT_ANCHORS, SCHMIDT_ANCHORS[1:]):
        if value < round((anchor + nxt) / 2.0, 10):
            return label
    return SCHMIDT_ANCHORS[-1][1]
