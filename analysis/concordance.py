"""Kendall's coefficient of concordance W across the panel's rankings of items."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from ._validation import as_matrix

__all__ = [
    "LISTWISE_MIN_SHARE",
    "SCHMIDT_ANCHORS",
    "TOO_FEW",
    "IncompleteKendallResult",
    "KendallResult",
    "choose_concordance",
    "interpret_w",
    "kendall_w",
    "kendall_w_incomplete",
]

#: The reason given where W is withheld below the study's minimum n.
TOO_FEW = "too few answers"

#: Listwise W is the default shown while it keeps at least this share of the raters.
LISTWISE_MIN_SHARE = 0.8

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
    too_few : bool
        True when W is withheld because fewer than the study's ``min_n``
        panellists remain (``reason`` is then ``"too few answers"``).
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
    too_few: bool = False


def _undefined(m, n, dropped, reason, too_few=False):
    return KendallResult(None, None, None, None, None, None, None, None, None, m, n, dropped, reason,
                         None, too_few)


def _check_min_n(min_n):
    if min_n is None:
        return None
    if isinstance(min_n, bool) or not float(min_n).is_integer() or min_n < 1:
        raise ValueError(f"min_n must be a positive integer or None, got {min_n!r}")
    return int(min_n)


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


def kendall_w(ratings, *, correct_ties: bool = True, min_n: int | None = None) -> KendallResult:
    """Kendall's coefficient of concordance W of the panellists' item rankings.

    Parameters
    ----------
    ratings : array_like, shape (m, n)
        Rows = panellists (raters), columns = items; NaN = no rating. Each
        panellist's ratings are ranked across the items (1 = lowest), tied
        ratings sharing the average rank.
    correct_ties : bool, default True
        Report the tie-corrected W as ``w`` (and base chi2 and F on it).
    min_n : int, optional
        The study's minimum n: with fewer complete panellists W is withheld
        (``w`` None, ``too_few`` True, ``reason`` "too few answers").

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
    min_n = _check_min_n(min_n)
    if min_n is not None and m < min_n:
        return _undefined(m, n, dropped, TOO_FEW, too_few=True)
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


@dataclass(frozen=True)
class IncompleteKendallResult:
    """Result of :func:`kendall_w_incomplete` (Skillings-Mack).

    Attributes
    ----------
    w : float or None
        ``SM / (m df)``: the Skillings-Mack statistic on Kendall's scale
        (equal to the uncorrected W when no rating is missing); None when
        undefined or withheld (``reason``).
    statistic, df, pvalue : float, int, float or None
        Skillings-Mack SM, its chi-square df (the rank of its covariance
        matrix) and upper-tail p.
    n_raters : int
        Panellists used (at least 2 items rated).
    n_items : int
        Items.
    n_dropped : int
        Panellists left out (fewer than 2 items rated).
    reason : str or None
    too_few : bool
        True when withheld below the study's ``min_n``.
    """

    w: float | None
    statistic: float | None
    df: int | None
    pvalue: float | None
    n_raters: int
    n_items: int
    n_dropped: int
    reason: str | None = None
    too_few: bool = False


def kendall_w_incomplete(ratings, *, min_n: int | None = None) -> IncompleteKendallResult:
    """Concordance of incomplete rankings: the Skillings-Mack test and its W.

    Parameters
    ----------
    ratings : array_like, shape (m, n)
        Rows = panellists (blocks), columns = items (treatments); NaN = not
        rated. Every panellist who rated at least 2 items is used.
    min_n : int, optional
        The study's minimum n: with fewer panellists used, the result is
        withheld (``too_few``).

    Returns
    -------
    IncompleteKendallResult

    Notes
    -----
    Skillings & Mack (1981): each panellist i ranks only the k_i items they
    rated (1..k_i, average ranks for ties); an unrated item gets the middle
    rank (k_i + 1)/2. The adjusted item sums are
    ``A_j = sum_i sqrt(12/(k_i + 1)) (r_ij - (k_i + 1)/2)``; with
    ``lambda_st`` the number of panellists who rated both s and t, the
    covariance matrix is ``Sigma_st = -lambda_st`` (s != t),
    ``Sigma_tt = sum_{s != t} lambda_ts``, and ``SM = A' Sigma^- A`` (a
    generalised inverse), chi-square on ``df = rank(Sigma)`` (n - 1 when the
    items are connected by the panellists' ratings). Panellists with fewer
    than 2 ratings carry no ranking and are left out (R ``Ski.Mack`` refuses
    them). No tie correction (as ``Ski.Mack``).

    With complete data ``SM`` is Friedman's statistic without the tie
    correction, ``m (n - 1) W``; so ``w = SM / (m df)`` puts SM on
    Kendall's 0..1 scale (clipped at 1) and equals the uncorrected W when no
    rating is missing.

    References
    ----------
    Skillings, J. H. & Mack, G. A. (1981). On the use of a Friedman-type
    statistic in balanced and unbalanced block designs. Technometrics 23(2),
    171-177. Worked example: their Table 1 (four methods of assembling a
    product, 9 blocks, 5 missing): SM = 15.493049, df = 3, p = 0.001440
    (R package Skillings.Mack, ``Ski.Mack``).
    """
    arr = as_matrix(ratings)
    total, n = arr.shape
    min_n = _check_min_n(min_n)
    rated = ~np.isnan(arr)
    k_i = rated.sum(axis=1)
    used = k_i >= 2
    x = arr[used]
    o = rated[used]
    k = k_i[used].astype(float)
    m = int(x.shape[0])
    dropped = int(total - m)
    if min_n is not None and m < min_n:
        return IncompleteKendallResult(None, None, None, None, m, n, dropped, TOO_FEW, True)
    if m < 2 or n < 2:
        why = (f"needs at least 2 panellists with 2 or more ratings; {m} left" if m < 2
               else f"needs at least 2 items; got {n}")
        return IncompleteKendallResult(None, None, None, None, m, n, dropped, why)
    ranks = stats.rankdata(np.where(o, x, np.nan), axis=1, nan_policy="omit")
    centred = np.where(o, ranks - ((k + 1.0) / 2.0)[:, None], 0.0)
    a = (np.sqrt(12.0 / (k + 1.0))[:, None] * centred).sum(axis=0)
    oi = o.astype(np.int64)
    lam = oi.T @ oi
    sigma = -lam.astype(float)
    np.fill_diagonal(sigma, 0.0)
    np.fill_diagonal(sigma, -sigma.sum(axis=0))
    df = int(np.linalg.matrix_rank(sigma))
    if df == 0:
        return IncompleteKendallResult(None, None, None, None, m, n, dropped,
                                       "no two items were rated by the same panellist")
    sm = float(a @ np.linalg.pinv(sigma) @ a)
    sm = max(sm, 0.0)
    if np.allclose(centred, 0.0):
        return IncompleteKendallResult(None, None, None, None, m, n, dropped,
                                       "every panellist gave all their rated items the same rating: "
                                       "there is no ordering to agree on")
    w = min(sm / (m * df), 1.0)
    return IncompleteKendallResult(w=float(w), statistic=sm, df=df, pvalue=float(stats.chi2.sf(sm, df)),
                                   n_raters=m, n_items=int(n), n_dropped=dropped)


def choose_concordance(listwise: KendallResult, incomplete: IncompleteKendallResult,
                       n_panellists: int, min_n: int | None = None) -> str:
    """Which W to show by default: ``"listwise"`` or ``"incomplete"``.

    The rule (docs/statistics.md): listwise W when it is defined, keeps at
    least ``min_n`` raters (when given) and at least 80 %
    (:data:`LISTWISE_MIN_SHARE`) of the ``n_panellists`` who rated anything;
    otherwise the Skillings-Mack W when it is defined; otherwise
    ``"listwise"`` (whose ``reason`` then says why there is no W). Listwise
    deletion is unbiased only when the missing ratings are missing
    completely at random and wastes the ratings of every dropped panellist
    (Skillings & Mack 1981); 80 % bounds that loss.

    >>> from analysis import kendall_w, kendall_w_incomplete
    >>> x = [[1, 2, 3], [1, 2, 3], [1, 3, float("nan")]]
    >>> choose_concordance(kendall_w(x), kendall_w_incomplete(x), 3)
    'incomplete'
    """
    keeps = listwise.n_raters
    if (listwise.w is not None and (min_n is None or keeps >= min_n)
            and keeps * 10 >= 8 * n_panellists):
        return "listwise"
    if incomplete.w is not None:
        return "incomplete"
    return "listwise"


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
