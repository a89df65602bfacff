"""Item-level descriptive statistics: counts, median, quartiles, IQR, agreement.

Ratings on a rating scale are small integers, so every statistic here is
computed from the per-item counts of each scale point, all items at once:
one ``numpy.bincount`` over the whole matrix replaces a sort per item, and
an order statistic ``x_(r)`` of item *j* is read off the cumulative counts as
the smallest scale point whose cumulative count reaches *r*. The results are
exact (no binning, no approximation) for the three quantile definitions
offered.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd

from ._validation import (
    QUANTILE_METHODS,
    as_matrix,
    check_band,
    check_items,
    check_on_scale,
    check_quantiles,
    check_scale,
)

__all__ = [
    "QUANTILE_METHODS",
    "bands_overlap",
    "quantile_numerators",
    "quantiles_from_counts",
    "scale_counts",
    "summarize_items",
]

SUMMARY_COLUMNS = (
    "n", "n_missing", "median", "q1", "q3", "iqr", "mean", "sd", "cv",
    "agreement", "disagreement",
)


def scale_counts(arr: np.ndarray, scale: tuple[int, int]) -> np.ndarray:
    """Count the ratings at each scale point, per column.

    Parameters
    ----------
    arr : ndarray, shape (m, k)
        Validated ratings: integers on ``scale`` or NaN.
    scale : (int, int)
        ``(low, high)``.

    Returns
    -------
    ndarray of int64, shape (high - low + 1, k)
        ``counts[v - low, j]`` = number of panellists who gave item *j* the
        rating *v*. Missing ratings are not counted.
    """
    low, high = scale
    levels = high - low + 1
    m, k = arr.shape
    if m == 0 or k == 0:
        return np.zeros((levels, k), dtype=np.int64)
    # Codes 0..levels-1 for the scale points, -1 for a missing rating.
    filled = np.where(np.isnan(arr), low - 1, arr)
    if levels <= 16:
        if -128 < low and high < 128:
            codes = filled.astype(np.int8)
            codes -= np.int8(low)
        else:
            codes = (filled - low).astype(np.int8)
        counts = np.empty((levels, k), dtype=np.int64)
        for v in range(levels):
            counts[v] = (codes == v).sum(axis=0)
        return counts
    codes = (filled - (low - 1)).astype(np.intp)  # 0 = missing
    codes *= k
    codes += np.arange(k, dtype=np.intp)
    counts = np.bincount(codes.ravel(), minlength=(levels + 1) * k)
    return counts.reshape(levels + 1, k)[1:]


def _order_statistic(cum: np.ndarray, low: int, rank: np.ndarray) -> np.ndarray:
    """Return ``x_(rank)`` per column from cumulative counts.

    ``cum[v, j]`` is the number of ratings of item *j* that are <= the
    *v*-th scale point; ``rank`` (1-based, shape (k,)) must lie in 1..n.
    The *r*-th smallest rating is the first scale point whose cumulative
    count reaches *r*, i.e. ``low`` plus the number of points whose
    cumulative count is still below *r*.
    """
    return low + (cum < rank[np.newaxis, :]).sum(axis=0)


def _ratio(p) -> Fraction:
    """*p* as the exact ratio its author wrote (0.3 is 3/10, not the nearest binary float)."""
    if isinstance(p, Fraction):
        return p
    return Fraction(str(p))


def quantile_numerators(counts: np.ndarray, low: int, p, method: str) -> tuple[np.ndarray, int]:
    """Exact sample p-quantile of each column as scaled integers ``(numerators, denominator)``.

    Quantiles of integer ratings are rationals: with ``p = a/b`` in lowest
    terms the plotting position is ``h = H/b`` for an integer ``H``, and the
    interpolated quantile ``x_(floor h) + (h - floor h)(x_(floor h + 1) - x_(floor h))``
    is ``Q/b`` with the integer ``Q = b x_lo + (H mod b)(x_hi - x_lo)``
    (scaled-integer method; ``b = 2`` for Tukey's hinges). Columns with no
    rating get numerator 0 (callers mask them with ``n == 0``).

    Positions ``H`` (Hyndman & Fan 1996; Tukey 1977):

    * ``type7``: ``H = (n - 1)a + b``;
    * ``type6``: ``H = (n + 1)a``, clamped to ``[b, n b]``;
    * ``hinges``: median ``H = n + 1``, lower hinge ``H = floor((n + 3)/2)``,
      upper hinge ``H = 2(n + 1) - floor((n + 3)/2)``, over ``b = 2``.

    Example (issue 14, tested): 13 ratings ``1,1,1,1,6,7,7,7,7,8,9,9,9``,
    type 7: P30 = 40/10 = 4, P70 = 74/10 = 7.4.
    """
    counts = np.asarray(counts)
    cum = np.cumsum(counts, axis=0).astype(np.int64)
    n = cum[-1]
    n_safe = np.where(n == 0, 1, n)
    frac = _ratio(p)
    if not 0 <= frac <= 1:
        raise ValueError(f"p must lie in [0, 1], got {p!r}")
    a, b = frac.numerator, frac.denominator
    if method == "type7":
        big_h = (n_safe - 1) * a + b
    elif method == "type6":
        big_h = np.clip((n_safe + 1) * a, b, n_safe * b)
    elif method == "hinges":
        b = 2
        depth2 = (n_safe + 3) // 2
        if frac == Fraction(1, 2):
            big_h = n_safe + 1
        elif frac == Fraction(1, 4):
            big_h = depth2
        elif frac == Fraction(3, 4):
            big_h = 2 * (n_safe + 1) - depth2
        else:
            raise ValueError("quantiles='hinges' defines only the quartiles and the median")
    else:  # pragma: no cover - callers validate first
        raise ValueError(f"quantiles: unknown method {method!r}")
    lower = big_h // b
    rest = big_h - lower * b
    upper = np.minimum(lower + 1, n_safe)
    x_lo = _order_statistic(cum, low, lower).astype(np.int64)
    x_hi = _order_statistic(cum, low, upper).astype(np.int64)
    numer = b * x_lo + rest * (x_hi - x_lo)
    return np.where(n == 0, 0, numer).astype(np.int64), int(b)


def quantiles_from_counts(counts: np.ndarray, low: int, p: float, method: str) -> np.ndarray:
    """Sample p-quantile of each column, from its counts at each scale point.

    Parameters
    ----------
    counts : ndarray, shape (levels, k)
        As returned by :func:`scale_counts`.
    low : int
        The lowest scale point (the value of row 0 of ``counts``).
    p : float or Fraction
        Probability in [0, 1], taken as written (0.3 is 3/10).
        ``method="hinges"`` accepts 0.25, 0.5, 0.75.
    method : {"type7", "type6", "hinges"}
        Hyndman & Fan (1996) definitions; see Notes.

    Returns
    -------
    ndarray of float, shape (k,)
        The exact quantile (:func:`quantile_numerators`) rounded once to the
        nearest float; NaN where a column has no rating.

    Notes
    -----
    With x_(1) <= ... <= x_(n) the sorted ratings of an item:

    * ``type7``: h = (n - 1)p + 1, Q = x_(floor h) + (h - floor h)(x_(floor h + 1) - x_(floor h)).
      numpy/pandas/R/Excel default.
    * ``type6``: h = (n + 1)p clamped to [1, n], then the same interpolation.
      SPSS default (HAVERAGE), Excel QUARTILE.EXC.
    * ``hinges``: Tukey's hinges as R's ``fivenum``: the lower hinge is at
      depth d = floor((n + 3)/2)/2, the upper at n + 1 - d, averaging the
      two neighbours when d is a half; the median at depth (n + 1)/2.

    References
    ----------
    Hyndman, R. J. & Fan, Y. (1996). Sample quantiles in statistical packages.
    The American Statistician 50(4), 361-365.
    Tukey, J. W. (1977). Exploratory Data Analysis. Addison-Wesley.
    """
    counts = np.asarray(counts)
    numer, den = quantile_numerators(counts, low, p, method)
    empty = counts.sum(axis=0) == 0
    return np.where(empty, np.nan, numer / den)


def _mirror(band: tuple[int, int], scale: tuple[int, int]) -> tuple[int, int]:
    low, high = scale
    return low + high - band[1], low + high - band[0]


def bands_overlap(band: tuple[int, int], scale: tuple[int, int]) -> bool:
    """Whether the agreement *band* and its mirror image share a scale point.

    The mirror of ``(a, b)`` on ``low..high`` is ``(low + high - b, low + high - a)``;
    the two overlap exactly when ``2a <= low + high`` (the band reaches the
    midpoint or below it). On a 7-point scale: 6-7 (mirror 1-2) and 5-7
    (mirror 1-3) do not overlap; 4-7 (mirror 1-4) shares the midpoint 4.
    """
    low, high = scale
    return 2 * band[0] <= low + high


def summarize_items(ratings, *, scale=(1, 5), agree=None, quantiles="type7", items=None):
    """Per-item descriptive statistics of a round's ratings, all items at once.

    Parameters
    ----------
    ratings : array_like, shape (m, k)
        Rows = panellists, columns = items; NaN = no rating ("cannot rate"
        or missing). Non-missing values must be whole points of ``scale``.
    scale : (int, int), default (1, 5)
        Lowest and highest scale point.
    agree : (int, int), optional
        The agreement band, inclusive, inside ``scale``; default the top two
        points (4-5 on 1..5, 6-7 on 1..7), the top three on 9 points (7-9). The disagreement
        band is its mirror image: ``(low + high - agree[1], low + high - agree[0])``,
        e.g. 1-2 for 4-5 on a 5-point scale, 1-2 for 6-7 on a 7-point scale,
        1-3 for 7-9 on a 9-point scale. The band must start above the scale's
        midpoint, so that no point is both agreement and disagreement
        (:func:`bands_overlap`); otherwise ValueError.
    quantiles : {"type7", "type6", "hinges"}, default "type7"
        Quartile definition for q1, q3 and iqr (see :func:`quantiles_from_counts`).
        The median is the usual sample median under all three.
    items : sequence, optional
        Labels for the result's index; default ``0..k-1`` (column positions).

    Returns
    -------
    pandas.DataFrame
        One row per item, columns in this order:

        ``n`` (non-missing ratings), ``n_missing``, ``median``, ``q1``, ``q3``,
        ``iqr`` (= q3 - q1), ``mean``, ``sd`` (sample SD, denominator n - 1),
        ``cv`` (= sd / mean), ``agreement`` (share 0..1 of the n ratings
        inside ``agree``), ``disagreement`` (share inside the mirrored band),
        then ``count_<v>`` for every scale point v.

        An item nobody rated has n = 0 and NaN statistics; ``sd`` and ``cv``
        are NaN when n < 2; ``cv`` is NaN when the mean is 0.

    Raises
    ------
    ValueError
        If ``ratings`` is not 2-D or has values off the scale or between
        scale points; if ``scale``, ``agree``, ``quantiles`` or ``items``
        is invalid.

    Notes
    -----
    Every figure is exact before it is rounded: shares are ``count / n``,
    and the median, q1, q3 and IQR are multiples of 1/4 computed as scaled
    integers (:func:`quantile_numerators`), each rounded once to the nearest
    float. :meth:`analysis.ConsensusRule.evaluate` recovers those rationals
    from the floats and decides its thresholds on them.

    Shares use the non-missing ratings as denominator. The statistics are
    computed from per-item counts ``c_v`` of each scale point v:
    ``mean = sum(v c_v)/n``, ``sd = sqrt(sum(c_v (v - mean)^2)/(n - 1))``;
    quantiles are exact order statistics read off the cumulative counts.

    References
    ----------
    Hyndman, R. J. & Fan, Y. (1996). Sample quantiles in statistical packages.
    The American Statistician 50(4), 361-365.
    von der Gracht, H. A. (2012). Consensus measurement in Delphi studies.
    Technological Forecasting & Social Change 79, 1525-1536.

    Examples
    --------
    The same 12 ratings give three different IQRs (reference case Q01):

    >>> import numpy as np
    >>> x = np.array([[2, 3, 3, 4, 4, 4, 4, 4, 4, 5, 5, 5]]).T
    >>> [float(summarize_items(x, quantiles=q).loc[0, "iqr"])
    ...  for q in ("type7", "type6", "hinges")]
    [0.5, 1.5, 1.0]
    """
    arr = as_matrix(ratings)
    scale = check_scale(scale)
    agree = check_band(agree, scale, "agree")
    quantiles = check_quantiles(quantiles)
    labels = check_items(items, arr.shape[1])
    check_on_scale(arr, scale)
    if bands_overlap(agree, scale):
        raise ValueError(
            f"agree {agree!r} reaches the midpoint of the scale {scale[0]}..{scale[1]}, so it "
            f"overlaps its mirror (the disagreement band "
            f"{_mirror(agree, scale)!r}): start the agreement band above the midpoint"
        )

    low, high = scale
    counts = scale_counts(arr, scale)
    values = np.arange(low, high + 1, dtype=float)
    n = counts.sum(axis=0)
    nf = n.astype(float)
    has = n > 0
    n_div = np.where(has, nf, 1.0)

    mean = np.where(has, values @ counts / n_div, np.nan)
    dev2 = (values[:, np.newaxis] - np.where(has, mean, 0.0)[np.newaxis, :]) ** 2
    ss = (counts * dev2).sum(axis=0)
    sd = np.where(n > 1, np.sqrt(ss / np.where(n > 1, nf - 1.0, 1.0)), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        cv = np.where(mean != 0, sd / mean, np.nan)

    # Exact quartiles in quarters (every method's q1, median and q3 of integer
    # ratings are multiples of 1/4), each rounded once to a float; the IQR is
    # the exact difference, rounded once (no 3.4000000000000004).
    med_n, med_d = quantile_numerators(counts, low, Fraction(1, 2), quantiles)
    q1_n, q1_d = quantile_numerators(counts, low, Fraction(1, 4), quantiles)
    q3_n, q3_d = quantile_numerators(counts, low, Fraction(3, 4), quantiles)
    q1_4, q3_4 = q1_n * (4 // q1_d), q3_n * (4 // q3_d)
    median = np.where(has, med_n / med_d, np.nan)
    q1 = np.where(has, q1_4 / 4, np.nan)
    q3 = np.where(has, q3_4 / 4, np.nan)
    iqr = np.where(has, (q3_4 - q1_4) / 4, np.nan)

    dis = _mirror(agree, scale)
    in_agree = counts[agree[0] - low: agree[1] - low + 1].sum(axis=0)
    in_dis = counts[dis[0] - low: dis[1] - low + 1].sum(axis=0)
    agreement = np.where(has, in_agree / n_div, np.nan)
    disagreement = np.where(has, in_dis / n_div, np.nan)

    data = {
        "n": n.astype(np.int64),
        "n_missing": (arr.shape[0] - n).astype(np.int64),
        "median": median,
        "q1": q1,
        "q3": q3,
        "iqr": iqr,
        "mean": mean,
        "sd": sd,
        "cv": cv,
        "agreement": agreement,
        "disagreement": disagreement,
    }
    for i, v in enumerate(range(low, high + 1)):
        data[f"count_{v}"] = counts[i].astype(np.int64)
    frame = pd.DataFrame(data, index=pd.Index(labels, name="item"))
    frame.attrs["quantiles"] = quantiles
    frame.attrs["scale"] = scale
    frame.attrs["agree"] = agree
    frame.attrs["disagree"] = dis
    return frame
