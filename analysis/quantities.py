"""Statistics of quantity questions: estimates, probabilities and years.

A panellist answers an *estimate* or *probability* question with one real
number (or three, a 10th / 50th / 90th percentile), a *year* question with a
year or "later" (beyond the horizon the question offers). These functions
summarise one question's answers across the panel. Inputs are 1-D (one value
per panellist); NaN = no answer.

Every quartile is computed **exactly**: the order statistics are converted
to :class:`fractions.Fraction` **as written**: a float is read as the
shortest decimal that round-trips to it (``Fraction(repr(x))``, so an answer
typed as 2.1 is 21/10, not the nearest binary float) and interpolated in rational arithmetic, and the float figures
are the correctly rounded ``float()`` of the exact results. The exact values
are kept (``exact_*``) so that a consensus threshold (IQR <= 20, dispersion
<= 0.25) is decided on the exact number, never within a float epsilon; see
:func:`at_most`. Conventions and references: ``docs/statistics.md``.
"""

from __future__ import annotations

import decimal
import math
from dataclasses import dataclass
from fractions import Fraction
from numbers import Rational, Real

import numpy as np

from ._validation import check_quantiles

__all__ = [
    "QuantitySummary",
    "TargetReach",
    "YearSummary",
    "at_most",
    "dispersion_exact",
    "iqr_exact",
    "quantile_average",
    "summarize_quantity",
    "summarize_years",
    "target_reach",
]

#: Largest magnitude accepted for an answer, a target or a baseline, so that every
#: difference and sum of two of them (an IQR, a gap) is a finite float.
MAX_MAGNITUDE = 1e300

_HALF = Fraction(1, 2)
_QUARTER = Fraction(1, 4)
_THREE_QUARTERS = Fraction(3, 4)


# --------------------------------------------------------------------------
# input checks
# --------------------------------------------------------------------------


def _short(value) -> str:
    """``repr(value)``, cut to 60 characters for an error message."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _as_vector(values, name: str) -> np.ndarray:
    """Return *values* as a 1-D float array (NaN = no answer); reject inf and other shapes."""
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{name} must be a 1-D array of numbers, one per panellist; NaN marks no answer"
        ) from exc
    if arr.ndim != 1:
        raise ValueError(
            f"{name} must be 1-D (one value per panellist), "
            f"got an array with {arr.ndim} dimension(s)"
        )
    if np.isinf(arr).any():
        raise ValueError(f"{name} contains infinite values; use NaN for no answer")
    if arr.size and np.fmax.reduce(np.abs(arr)) > MAX_MAGNITUDE:
        raise ValueError(f"{name} has values beyond +-{MAX_MAGNITUDE:g}; not an answer")
    return arr


def _as_flags(flags, n: int, name: str) -> np.ndarray:
    """Return *flags* as a 1-D bool array of length *n* (only True/False/0/1 accepted)."""
    arr = np.asarray(flags)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise ValueError(f"{name} must be a 1-D array of booleans of the same length ({n}) as years")
    if arr.dtype != bool:
        try:
            as_float = arr.astype(float)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name} must hold booleans (True = answered 'later')") from exc
        if not np.isin(as_float, (0.0, 1.0)).all():
            raise ValueError(f"{name} must hold booleans (True = answered 'later')")
        arr = as_float == 1.0
    return arr


def _bounded(value, name: str) -> Fraction:
    """:func:`_exact_number`, and at most :data:`MAX_MAGNITUDE` in size (targets, baselines)."""
    exact = _exact_number(value, name)
    if abs(exact) > MAX_MAGNITUDE:
        raise ValueError(f"{name} is beyond +-{MAX_MAGNITUDE:g}, got {_short(value)}")
    return exact


def _exact_number(value, name: str) -> Fraction:
    """The exact rational value of a real number (float, int, Fraction, Decimal)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (Real, np.number)):
        # ValueError, not TypeError: every bad argument of analysis raises ValueError.
        raise ValueError(f"{name} must be a finite number, got {_short(value)}")  # noqa: TRY004
    if isinstance(value, Rational):
        return Fraction(value.numerator, value.denominator)
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number, got {_short(value)}")
    return as_written(number)


def as_written(number: float) -> Fraction:
    """A float as the decimal its author wrote: the shortest decimal that
    round-trips to it (``repr``), so 2.1 is 21/10 and 0.1 + 0.2 stays its own
    float 0.30000000000000004. Order is kept (the map is monotone)."""
    return Fraction(repr(float(number)))


def _limit(limit, name: str = "limit") -> Fraction:
    """A threshold as the number its author wrote: ``Fraction(str(limit))``, so 0.3 is 3/10."""
    if isinstance(limit, (bool, np.bool_)) or not isinstance(limit, (Real, np.number)):
        raise ValueError(f"{name} must be a finite number, got {_short(limit)}")  # noqa: TRY004
    if isinstance(limit, Rational):
        return Fraction(limit.numerator, limit.denominator)
    if not math.isfinite(float(limit)):
        raise ValueError(f"{name} must be a finite number, got {_short(limit)}")
    if isinstance(limit, np.floating):
        limit = float(limit)
    return Fraction(str(limit))


# --------------------------------------------------------------------------
# exact sample quantiles
# --------------------------------------------------------------------------


def _position(n: int, p: Fraction, method: str) -> Fraction:
    """Hyndman & Fan (1996) position h (1-based) of the p-quantile among n sorted values.

    ``type7``: h = (n - 1)p + 1. ``type6``: h = (n + 1)p clamped to [1, n].
    ``hinges``: Tukey's hinges as R ``fivenum``: depth floor((n + 3)/2)/2 for
    the lower hinge, n + 1 minus it for the upper, (n + 1)/2 for the median.
    The median is (n + 1)/2 under all three.
    """
    if p == _HALF:
        return Fraction(n + 1, 2)
    if method == "type7":
        return (n - 1) * p + 1
    if method == "type6":
        return min(max((n + 1) * p, Fraction(1)), Fraction(n))
    depth = Fraction((n + 3) // 2, 2)
    return depth if p == _QUARTER else n + 1 - depth


def _interpolation(n: int, p: Fraction, method: str) -> tuple[int, Fraction]:
    """``(j, g)``: the quantile is x_(j) + g (x_(j+1) - x_(j)); x_(j+1) is used only when g > 0."""
    h = _position(n, p, method)
    j = math.floor(h)
    return j, h - j


def _exact_quantile(sorted_values: np.ndarray, p: Fraction, method: str) -> Fraction:
    """Exact p-quantile of the sorted (NaN-free, non-empty) *sorted_values*."""
    n = sorted_values.shape[0]
    j, g = _interpolation(n, p, method)
    low = as_written(sorted_values[j - 1])
    if g == 0:
        return low
    high = as_written(sorted_values[j])
    return low + g * (high - low)


def _exact_median(values: np.ndarray) -> Fraction:
    """Exact sample median of NaN-free, non-empty *values* (type 7 = every type)."""
    return _exact_quantile(np.sort(values), _HALF, "type7")


def _float(value: Fraction | None) -> float | None:
    return None if value is None else float(value)


# --------------------------------------------------------------------------
# estimates and probabilities
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class QuantitySummary:
    """Result of :func:`summarize_quantity`.

    Attributes
    ----------
    n : int
        Answers (non-NaN values).
    n_missing : int
        Panellists without an answer (NaN).
    median, q1, q3 : float or None
        Sample median and quartiles (Hyndman & Fan method chosen); None when n = 0.
    iqr : float or None
        ``q3 - q1`` (rounded once from the exact difference); None when n = 0.
    dispersion : float or None
        Quartile coefficient of dispersion ``(q3 - q1) / (q3 + q1)``; None when
        n = 0, when any answer is < 0, or when Q3 + Q1 = 0 (the coefficient is
        defined for quantities that cannot be negative: counts, amounts, shares).
    exact_q1, exact_median, exact_q3 : fractions.Fraction or None
        The exact values behind the figures, for threshold decisions
        (:func:`iqr_exact`, :func:`dispersion_exact`, :func:`at_most`).
    """

    n: int
    n_missing: int
    median: float | None
    q1: float | None
    q3: float | None
    iqr: float | None
    dispersion: float | None
    exact_q1: Fraction | None = None
    exact_median: Fraction | None = None
    exact_q3: Fraction | None = None


def summarize_quantity(values, *, quantiles: str = "type7") -> QuantitySummary:
    """Median, quartiles, IQR and quartile coefficient of dispersion of one question's answers.

    Parameters
    ----------
    values : array_like, shape (m,)
        One real answer per panellist; NaN = no answer.
    quantiles : {"type7", "type6", "hinges"}, default "type7"
        Quartile definition (Hyndman & Fan 1996; ``hinges`` = Tukey's hinges
        as R ``fivenum``), as in :func:`analysis.summarize_items`. The median
        is the usual sample median under all three.

    Returns
    -------
    QuantitySummary

    Raises
    ------
    ValueError
        If ``values`` is not 1-D numeric, holds infinite values or values
        beyond +-:data:`MAX_MAGNITUDE` (1e300), or ``quantiles`` is unknown.

    Notes
    -----
    With x_(1) <= ... <= x_(n) the sorted answers and position h of the
    p-quantile (type 7: h = (n - 1)p + 1; type 6: h = (n + 1)p clamped to
    [1, n]; hinges: depth floor((n + 3)/2)/2)::

        Q(p) = x_(floor h) + (h - floor h) (x_(floor h + 1) - x_(floor h))

    computed in exact rational arithmetic on the floats' exact values.
    ``iqr = Q3 - Q1``; quartile coefficient of dispersion (Bonett 2006)::

        QCD = (Q3 - Q1) / (Q3 + Q1)

    a scale-free spread in [0, 1] for quantities that cannot be negative
    (counts, amounts, shares: zeros allowed); None when an answer is < 0
    (Q3 + Q1 can then vanish or change sign and the ratio means nothing) or
    when Q3 + Q1 = 0 (every central answer is 0).

    References
    ----------
    Hyndman, R. J. & Fan, Y. (1996). Sample quantiles in statistical packages.
    The American Statistician 50(4), 361-365.
    Bonett, D. G. (2006). Confidence interval for a coefficient of quartile
    variation. Computational Statistics & Data Analysis 50(11), 2953-2957.

    Examples
    --------
    R ``quantile(1:10)`` (type 7) gives 3.25, 5.5, 7.75:

    >>> s = summarize_quantity([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    >>> s.q1, s.median, s.q3, s.iqr, s.dispersion
    (3.25, 5.5, 7.75, 4.5, 0.4090909090909091)
    """
    arr = _as_vector(values, "values")
    quantiles = check_quantiles(quantiles)
    present = arr[~np.isnan(arr)]
    n = int(present.shape[0])
    n_missing = int(arr.shape[0] - n)
    if n == 0:
        return QuantitySummary(n, n_missing, None, None, None, None, None)
    xs = np.sort(present)
    q1 = _exact_quantile(xs, _QUARTER, quantiles)
    med = _exact_quantile(xs, _HALF, quantiles)
    q3 = _exact_quantile(xs, _THREE_QUARTERS, quantiles)
    dispersion = None
    if xs[0] >= 0 and q3 + q1 > 0:
        dispersion = float((q3 - q1) / (q3 + q1))
    return QuantitySummary(
        n=n, n_missing=n_missing, median=float(med), q1=float(q1), q3=float(q3),
        iqr=float(q3 - q1), dispersion=dispersion,
        exact_q1=q1, exact_median=med, exact_q3=q3,
    )


def iqr_exact(summary: QuantitySummary) -> Fraction | None:
    """The exact IQR ``exact_q3 - exact_q1`` of a :class:`QuantitySummary`; None when n = 0."""
    if summary.exact_q1 is None or summary.exact_q3 is None:
        return None
    return summary.exact_q3 - summary.exact_q1


def dispersion_exact(summary: QuantitySummary) -> Fraction | None:
    """The exact quartile coefficient of dispersion (Bonett 2006) of a :class:`QuantitySummary`.

    ``(Q3 - Q1) / (Q3 + Q1)`` as a :class:`~fractions.Fraction`; None where
    ``summary.dispersion`` is None (no answers, an answer < 0, or Q3 + Q1 = 0).
    """
    if summary.dispersion is None or summary.exact_q1 is None or summary.exact_q3 is None:
        return None
    return (summary.exact_q3 - summary.exact_q1) / (summary.exact_q3 + summary.exact_q1)


def at_most(exact: Fraction | None, limit) -> bool | None:
    """Decide ``exact <= limit`` exactly; None when *exact* is None.

    The limit is taken as written: ``Fraction(str(limit))``, so ``0.3`` means
    3/10 (not the binary float 0.299999...), and a dispersion of exactly 1/4
    reaches ``at_most(d, 0.25)``. Ints, Fractions and Decimals are exact as
    they are.

    Raises
    ------
    ValueError
        If *limit* is not a finite number, or *exact* is neither None nor a number.
    """
    bound = _limit(limit)
    if exact is None:
        return None
    return _exact_number(exact, "exact") <= bound


def quantile_average(p10, p50, p90) -> tuple[float | None, float | None, float | None]:
    """The panel's aggregate 10th, 50th and 90th percentiles by quantile averaging.

    Parameters
    ----------
    p10, p50, p90 : array_like, shape (m,)
        Each panellist's 10th, 50th and 90th percentile; NaN = not given.

    Returns
    -------
    (float or None, float or None, float or None)
        The arithmetic mean of each percentile over the panellists who gave
        all three (a row with any NaN is skipped); ``(None, None, None)``
        when nobody did.

    Raises
    ------
    ValueError
        If the three inputs are not 1-D numeric arrays of one length, or
        hold infinite values.

    Notes
    -----
    Quantile averaging ("Vincentization") aggregates the panellists'
    distributions F_i by averaging their quantile functions,
    ``Q(p) = (1/m) sum_i Q_i(p)``, instead of their probabilities. For
    location-scale families it keeps the common shape, and it is sharper
    than the linear opinion pool (Lichtendahl, Grushka-Cockayne & Winkler
    2013). Each mean is computed exactly and rounded once. The average of
    rows with p10 <= p50 <= p90 keeps that order; the order of the rows is
    not checked here.

    References
    ----------
    Lichtendahl, K. C., Grushka-Cockayne, Y. & Winkler, R. L. (2013). Is it
    better to average probabilities or quantiles? Management Science 59(7),
    1594-1611.

    Examples
    --------
    >>> quantile_average([10, 20, float("nan")], [15, 30, 40], [30, 50, 60])
    (15.0, 22.5, 40.0)
    """
    cols = [_as_vector(v, name) for v, name in ((p10, "p10"), (p50, "p50"), (p90, "p90"))]
    if not cols[0].shape == cols[1].shape == cols[2].shape:
        raise ValueError(
            "p10, p50 and p90 must have one value per panellist each (the same length); "
            f"got lengths {cols[0].shape[0]}, {cols[1].shape[0]}, {cols[2].shape[0]}"
        )
    stacked = np.vstack(cols)
    complete = stacked[:, ~np.isnan(stacked).any(axis=0)]
    m = complete.shape[1]
    if m == 0:
        return None, None, None
    means = tuple(float(_exact_sum(row) / m) for row in complete)
    return means  # type: ignore[return-value]


def _exact_sum(values) -> Fraction:
    """The exact sum of floats read as written (:func:`as_written`): in decimal
    arithmetic with enough digits for every exponent (fast), else in fractions."""
    texts = [repr(float(x)) for x in values]
    decimals = [decimal.Decimal(t) for t in texts]
    finite = [d for d in decimals if d]
    if not finite:
        return Fraction(0)
    high = max(d.adjusted() for d in finite)
    low = min(d.as_tuple().exponent for d in finite)
    digits = high - low + len(str(len(finite))) + 2
    if digits > 2000:
        return sum((Fraction(t) for t in texts), Fraction(0))
    with decimal.localcontext() as context:
        context.prec = digits
        context.traps[decimal.Inexact] = True
        total = sum(finite, decimal.Decimal(0))
    return Fraction(total)


@dataclass(frozen=True)
class TargetReach:
    """Result of :func:`target_reach`.

    Attributes
    ----------
    share : float or None
        Share (0..1) of the answering panellists whose value reaches the
        target; None when nobody answered.
    median_gap : float or None
        ``median(values) - target`` (rounded once from the exact difference);
        None when nobody answered. Positive = the panel's median lies above.
    direction : str
        ``"up"`` (reaching = value >= target) or ``"down"`` (value <= target).
    """

    share: float | None
    median_gap: float | None
    direction: str


def target_reach(p50s, target, *, baseline=None) -> TargetReach:
    """How much of the panel expects a target to be reached.

    Parameters
    ----------
    p50s : array_like, shape (m,)
        Each panellist's estimate (their median, p50); NaN = no answer.
    target : float
        The target value.
    baseline : float, optional
        The current value. When given and ``target < baseline`` the target is
        a reduction: direction ``"down"``, reaching = value <= target.
        Otherwise direction ``"up"``, reaching = value >= target.

    Returns
    -------
    TargetReach

    Raises
    ------
    ValueError
        If ``p50s`` is not 1-D numeric or holds infinite values, or
        ``target``/``baseline`` is not a finite number; if any of them is
        beyond +-:data:`MAX_MAGNITUDE` (1e300).

    Notes
    -----
    ``share = #{i : x_i >= target} / n`` (up) or ``#{i : x_i <= target} / n``
    (down) over the n answers, each comparison made exactly on the values'
    exact rational values (a value equal to the target reaches it);
    ``median_gap = median - target`` with the sample median (Hyndman & Fan
    type 7, the same under every type).

    Examples
    --------
    >>> r = target_reach([10, 20, 30, float("nan")], 20)
    >>> r.share, r.median_gap, r.direction
    (0.6666666666666666, 0.0, 'up')
    >>> target_reach([10, 20, 30], 15, baseline=40).share
    0.3333333333333333
    """
    arr = _as_vector(p50s, "p50s")
    goal = _bounded(target, "target")
    direction = "up"
    if baseline is not None and goal < _bounded(baseline, "baseline"):
        direction = "down"
    present = arr[~np.isnan(arr)]
    n = int(present.shape[0])
    if n == 0:
        return TargetReach(None, None, direction)
    g = float(goal)
    if as_written(g) == goal:
        # as_written is monotone and one-to-one: comparing the floats decides it.
        reached = int(np.count_nonzero(present >= g if direction == "up" else present <= g))
    else:
        exact = [as_written(x) for x in present]
        reached = sum(1 for x in exact if (x >= goal if direction == "up" else x <= goal))
    gap = _exact_median(present) - goal
    return TargetReach(share=reached / n, median_gap=float(gap), direction=direction)


# --------------------------------------------------------------------------
# years (with "later")
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class YearSummary:
    """Result of :func:`summarize_years`.

    Attributes
    ----------
    n : int
        Answers, a year or "later".
    n_missing : int
        Panellists without an answer.
    n_later : int
        Answers "later" (beyond the horizon offered).
    later_share : float or None
        ``n_later / n``; None when n = 0.
    median, q1, q3 : float or None
        Sample median and quartiles of the answers, "later" ranking above
        every year; None when n = 0 or when the quartile is "later".
    iqr : float or None
        ``q3 - q1``; None when n = 0 or when q3 is "later" (unbounded).
    median_later, q1_later, q3_later : bool
        True when that quartile is "later" (its order statistics touch a
        "later" answer).
    exact_iqr : fractions.Fraction or None
        The exact IQR, for threshold decisions (:func:`at_most`); None where
        ``iqr`` is None.
    """

    n: int
    n_missing: int
    n_later: int
    later_share: float | None
    median: float | None
    q1: float | None
    q3: float | None
    iqr: float | None
    median_later: bool
    q1_later: bool
    q3_later: bool
    exact_iqr: Fraction | None


def summarize_years(years, later, *, quantiles: str = "type7") -> YearSummary:
    """Median and quartiles of the years a panel expects something, "later" included.

    Parameters
    ----------
    years : array_like, shape (m,)
        The year each panellist gave; NaN where they did not answer or
        answered "later".
    later : array_like of bool, shape (m,)
        True where the panellist answered "later" (beyond the last year the
        question offers). Where ``later`` is True the year is ignored.
    quantiles : {"type7", "type6", "hinges"}, default "type7"
        Quartile definition, as in :func:`summarize_quantity`.

    Returns
    -------
    YearSummary

    Raises
    ------
    ValueError
        If ``years`` is not 1-D numeric or holds infinite values, ``later``
        is not a boolean array of the same length, or ``quantiles`` is unknown.

    Notes
    -----
    "Later" is a right-censored answer: it ranks above every year, so the n
    answers sort as the years followed by the n_later "later" answers. Each
    quartile is then the Hyndman & Fan (1996) quantile at position h
    (see :func:`summarize_quantity`), ``x_(j) + g (x_(j+1) - x_(j))`` with
    j = floor h, g = h - j. When x_(j), or x_(j+1) with g > 0, is "later" the
    quartile is "later": its figure is None and its flag True (an
    interpolation towards an unbounded value is unbounded). A later q3 makes
    the IQR unbounded (None); q1 later implies q3 later. This convention is
    ours (no published rule was found to cite): keeping "later" answers as
    censored values above every year, instead of dropping them, keeps them
    in n and does not pull the median early; the quartiles use only order
    statistics, so they need no value for "later".

    References
    ----------
    Hyndman, R. J. & Fan, Y. (1996). Sample quantiles in statistical packages.
    The American Statistician 50(4), 361-365.

    Examples
    --------
    >>> s = summarize_years([2030, 2035, 2040, float("nan")], [False, False, False, True])
    >>> s.median, s.q1, s.q3, s.q3_later, s.iqr
    (2037.5, 2033.75, None, True, None)
    """
    arr = _as_vector(years, "years")
    flags = _as_flags(later, arr.shape[0], "later")
    quantiles = check_quantiles(quantiles)
    year_values = np.sort(arr[~flags & ~np.isnan(arr)])
    n_years = int(year_values.shape[0])
    n_later = int(np.count_nonzero(flags))
    n = n_years + n_later
    n_missing = int(arr.shape[0] - n)
    if n == 0:
        return YearSummary(
            0, n_missing, 0, None, None, None, None, None, False, False, False, None,
        )

    def quartile(p: Fraction) -> Fraction | None:
        j, g = _interpolation(n, p, quantiles)
        last = j + 1 if g > 0 else j  # highest order statistic used (1-based)
        if last > n_years:
            return None
        low = as_written(year_values[j - 1])
        if g == 0:
            return low
        return low + g * (as_written(year_values[j]) - low)

    q1, med, q3 = quartile(_QUARTER), quartile(_HALF), quartile(_THREE_QUARTERS)
    exact_iqr = None if q1 is None or q3 is None else q3 - q1
    return YearSummary(
        n=n, n_missing=n_missing, n_later=n_later, later_share=n_later / n,
        median=_float(med), q1=_float(q1), q3=_float(q3), iqr=_float(exact_iqr),
        median_later=med is None, q1_later=q1 is None, q3_later=q3 is None,
        exact_iqr=exact_iqr,
    )
