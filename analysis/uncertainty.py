"""Seeded bootstrap confidence intervals for a round's consensus figures.

The panellists are resampled with replacement (rows of the rating matrix:
a panellist's answers stay together), ``n_resamples`` times, from a seed the
caller derives from the study and round, so the same round always gives the
same intervals. Every resample's figures are computed from its counts of
each scale point (one matrix product for all resamples), with the same
quantile definitions as :func:`analysis.summarize_items`, and Kendall's W
from the panellists' within-row ranks (listwise, as :func:`analysis.kendall_w`).

Conventions are in ``docs/statistics.md`` ("Uncertainty").
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pandas as pd
from scipy import stats

from ._validation import (
    as_matrix,
    check_band,
    check_items,
    check_on_scale,
    check_quantiles,
    check_scale,
)
from .consensus import ConsensusRule
from .descriptive import quantiles_from_counts, summarize_items

__all__ = [
    "DEFAULT_RESAMPLES",
    "BootstrapW",
    "WChange",
    "bootstrap_items",
    "bootstrap_w",
    "resample_indices",
    "w_change",
    "w_from_weights",
]

#: Resamples per interval (Efron & Tibshirani 1993, ch. 19: about 1,000-2,000
#: for a percentile interval at 95 %).
DEFAULT_RESAMPLES = 2000
METHOD = "percentile bootstrap over panellists (Efron & Tibshirani 1993, ch. 13), type-7 quantiles"


def resample_indices(m: int, n_resamples: int, seed) -> np.ndarray:
    """The bootstrap resamples: ``(n_resamples, m)`` row indices drawn with replacement.

    Drawn as ``numpy.random.default_rng(seed).integers(0, m, (n_resamples, m))``,
    exactly as :func:`scipy.stats.bootstrap` draws them from a generator with the
    same seed, so its percentile interval on the same statistic is the same.
    """
    if isinstance(m, bool) or int(m) != m or m < 0:
        raise ValueError(f"m must be a whole number of panellists, got {m!r}")
    if isinstance(n_resamples, bool) or int(n_resamples) != n_resamples or n_resamples < 2:
        raise ValueError(f"n_resamples must be an integer of at least 2, got {n_resamples!r}")
    rng = np.random.default_rng(seed)
    return rng.integers(0, int(m), (int(n_resamples), int(m)))


def _weights(indices: np.ndarray, m: int) -> np.ndarray:
    """How often each panellist appears in each resample: ``(B, m)`` counts."""
    b = indices.shape[0]
    flat = (indices + np.arange(b)[:, None] * m).ravel()
    return np.bincount(flat, minlength=b * m).reshape(b, m).astype(float)


def _check_confidence(confidence) -> Fraction:
    try:
        level = Fraction(str(confidence))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"confidence must be a number in (0, 1), got {confidence!r}") from exc
    if not 0 < level < 1:
        raise ValueError(f"confidence must be a number in (0, 1), got {confidence!r}")
    return level


def _position(b: int, p: Fraction) -> tuple[int, Fraction]:
    """Type-7 position of probability *p* among *b* sorted values (0-based): floor and fraction."""
    h = (b - 1) * p
    lower = h.numerator // h.denominator
    return lower, h - lower


def _exact_quantile(sorted_fracs: list[Fraction], p: Fraction) -> Fraction:
    lower, frac = _position(len(sorted_fracs), p)
    upper = min(lower + 1, len(sorted_fracs) - 1)
    return sorted_fracs[lower] + frac * (sorted_fracs[upper] - sorted_fracs[lower])


def _bound(values: np.ndarray, p: Fraction, exact=None) -> float | None:
    """Type-7 quantile *p* of the finite *values*, computed exactly.

    ``exact(i)`` gives the exact value of ``values[i]`` as a Fraction (default
    ``Fraction(float)``, exact for the dyadic medians and quartiles of whole
    ratings). The result is the correctly rounded float of the exact quantile,
    so comparing it with a threshold's float decides as the rationals do.
    """
    finite = np.flatnonzero(np.isfinite(values))
    if finite.size == 0:
        return None
    order = finite[np.argsort(values[finite], kind="stable")]
    lower, frac = _position(order.size, p)
    picks = [order[lower], order[min(lower + 1, order.size - 1)]]
    exact = exact or (lambda i: Fraction(float(values[i])))
    lo, hi = exact(picks[0]), exact(picks[1])
    return float(lo + frac * (hi - lo))


def bootstrap_items(ratings, *, scale=(1, 5), agree=(4, 5), quantiles="type7", items=None,
                    rule: ConsensusRule | None = None, min_n: int | None = None,
                    n_resamples: int = DEFAULT_RESAMPLES, seed=0,
                    confidence=0.95) -> pd.DataFrame:
    """Percentile bootstrap intervals of each item's agreement, disagreement,
    median and IQR, and whether its consensus holds at the interval's bounds.

    Parameters
    ----------
    ratings : array_like, shape (m, k)
        Rows = panellists, columns = items; NaN = no rating.
    scale, agree, quantiles, items
        As :func:`analysis.summarize_items`.
    rule : ConsensusRule, optional
        The study's rule. With it, ``verdict`` is the rule's verdict on the
        item and ``confident`` says whether the same verdict holds when every
        figure is replaced by its least favourable bound (below).
        Without it (a RAND/UCLA study), ``confident`` is decided on the
        median alone (below).
    min_n : int, optional
        Items with fewer ratings get no interval (``reason`` "too few answers").
    n_resamples : int, default 2000
    seed : int or sequence of int
        Seed of :func:`numpy.random.default_rng` (the caller derives it from
        the study and round, so figures are reproducible).
    confidence : float, default 0.95
        Two-sided level of the intervals.

    Returns
    -------
    pandas.DataFrame
        One row per item: ``n``, then for ``agreement``, ``disagreement``,
        ``median`` and ``iqr`` the point value and ``<name>_low``,
        ``<name>_high``; ``verdict`` (the rule's, or None), ``confident``
        (True / False, None when there is no interval or no verdict to
        confirm) and ``reason`` (why there is no interval).

    Notes
    -----
    Percentile interval (Efron & Tibshirani 1993, §13.3): with
    ``theta*_1..theta*_B`` the statistic on B resamples of the panellists,
    the bounds are their type-7 quantiles at ``alpha/2`` and ``1 - alpha/2``,
    ``alpha = 1 - confidence`` (the convention of
    :func:`scipy.stats.bootstrap` with ``method="percentile"``). BCa is not
    used: its acceleration is a jackknife of the statistic, which for a
    median or quartile of whole ratings takes two or three values only, and
    its bias correction is undefined when every resample gives the point
    value (an item rated 5 by all).

    **Consensus with confidence.** An item at ``consensus_in`` is also
    "consensus with 95 % confidence" when the rule still gives
    ``consensus_in`` with the agreement at its lower bound, the IQR at its
    upper bound and the median at each of its bounds (the rule's own
    :meth:`ConsensusRule.evaluate`, so its operators and ``combine`` apply);
    ``consensus_out`` likewise with the disagreement at its lower bound and
    the IQR at its upper bound. A one-sided reading of a two-sided 95 %
    interval: the threshold is cleared at the 2.5 % end. Without a rule
    (RAND/UCLA), an appropriate item is confident when the median's lower
    bound is at least 7, an inappropriate one when its upper bound is at most
    3 (the disagreement index is not resampled).

    Exactness: the bounds are computed as fractions (agreement ``c/n`` of
    each resample, quartiles exactly) and rounded once, so comparing them with
    a threshold decides as the exact rationals would.

    References
    ----------
    Efron, B. & Tibshirani, R. J. (1993). An Introduction to the Bootstrap,
    chapters 13 and 19. Chapman & Hall.
    Davison, A. C. & Hinkley, D. V. (1997). Bootstrap Methods and their
    Application, §5.3. Cambridge University Press.
    """
    arr = as_matrix(ratings)
    scale = check_scale(scale)
    agree = check_band(agree, scale, "agree")
    quantiles = check_quantiles(quantiles)
    labels = check_items(items, arr.shape[1])
    check_on_scale(arr, scale)
    level = _check_confidence(confidence)
    if rule is not None and not isinstance(rule, ConsensusRule):
        raise ValueError("rule must be a ConsensusRule or None")
    if min_n is not None and (isinstance(min_n, bool) or int(min_n) != min_n or min_n < 1):
        raise ValueError(f"min_n must be a positive integer or None, got {min_n!r}")
    m, k = arr.shape
    low, high = scale
    levels = high - low + 1
    point = summarize_items(arr, scale=scale, agree=agree, quantiles=quantiles, items=labels)
    verdicts = rule.evaluate(point)["verdict"].tolist() if rule is not None else [None] * k
    columns = {name: point[name].to_numpy(dtype=float) for name in
               ("agreement", "disagreement", "median", "iqr")}
    bounds = {f"{name}_{side}": [None] * k for name in columns for side in ("low", "high")}
    confident: list = [None] * k
    reasons: list = [None] * k
    n = point["n"].to_numpy()
    threshold = max(int(min_n or 1), 1)
    usable = n >= threshold
    for j in np.flatnonzero(~usable):
        reasons[j] = "too few answers"
    if m and usable.any():
        weights = _weights(resample_indices(m, n_resamples, seed), m)  # (B, m)
        b = weights.shape[0]
        onehot = np.stack([(arr == v) for v in range(low, high + 1)], axis=1).astype(float)
        counts = (weights @ onehot.reshape(m, levels * k)).reshape(b, levels, k)
        counts_i = np.rint(counts).astype(np.int64)
        by_level = counts_i.transpose(1, 0, 2).reshape(levels, b * k)
        dis_band = (low + high - agree[1], low + high - agree[0])
        nb = counts_i.sum(axis=1)  # (B, k)
        in_agree = counts_i[:, agree[0] - low: agree[1] - low + 1].sum(axis=1)
        in_dis = counts_i[:, dis_band[0] - low: dis_band[1] - low + 1].sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            resampled = {
                "agreement": np.where(nb > 0, in_agree / np.where(nb > 0, nb, 1), np.nan),
                "disagreement": np.where(nb > 0, in_dis / np.where(nb > 0, nb, 1), np.nan),
                "median": quantiles_from_counts(by_level, low, 0.5, quantiles).reshape(b, k),
            }
            q1 = quantiles_from_counts(by_level, low, 0.25, quantiles).reshape(b, k)
            q3 = quantiles_from_counts(by_level, low, 0.75, quantiles).reshape(b, k)
        resampled["iqr"] = q3 - q1
        alpha = (1 - level) / 2
        numerators = {"agreement": in_agree, "disagreement": in_dis}
        for j in np.flatnonzero(usable):
            for name, values in resampled.items():
                exact = None
                if name in numerators:
                    def exact(i, num=numerators[name][:, j], den=nb[:, j]):
                        return Fraction(int(num[i]), int(den[i]))
                else:
                    exact = None
                lo = _bound(values[:, j], alpha, exact)
                hi = _bound(values[:, j], 1 - alpha, exact)
                bounds[f"{name}_low"][j] = lo
                bounds[f"{name}_high"][j] = hi
            confident[j] = _confident(rule, verdicts[j], {key: bounds[key][j] for key in bounds},
                                      int(n[j]))
    frame = pd.DataFrame({"n": n.astype(np.int64)}, index=pd.Index(labels, name="item"))
    for name, values in columns.items():
        frame[name] = [None if np.isnan(v) else float(v) for v in values]
        frame[f"{name}_low"] = pd.Series(bounds[f"{name}_low"], index=frame.index, dtype=object)
        frame[f"{name}_high"] = pd.Series(bounds[f"{name}_high"], index=frame.index, dtype=object)
    frame["verdict"] = pd.Series(verdicts, index=frame.index, dtype=object)
    frame["confident"] = pd.Series(confident, index=frame.index, dtype=object)
    frame["reason"] = pd.Series(reasons, index=frame.index, dtype=object)
    frame.attrs.update(method=METHOD, n_resamples=int(n_resamples), confidence=float(level),
                       seed=seed if isinstance(seed, int) else list(np.atleast_1d(seed).tolist()))
    return frame


def _confident(rule, verdict, b: dict, n: int):
    """Whether *verdict* holds with every figure at its least favourable bound."""
    if rule is None:
        high_band = b["median_low"] is not None and b["median_low"] >= 7
        low_band = b["median_high"] is not None and b["median_high"] <= 3
        return high_band or low_band
    if verdict not in ("consensus_in", "consensus_out"):
        return None
    if any(b[key] is None for key in b):
        return False
    if verdict == "consensus_in":
        cases = [(b["median_low"],), (b["median_high"],)]
        rows = [{"n": n, "iqr": b["iqr_high"], "agreement": b["agreement_low"],
                 "disagreement": b["disagreement_low"], "median": med} for (med,) in cases]
    else:
        rows = [{"n": n, "iqr": b["iqr_high"], "agreement": b["agreement_high"],
                 "disagreement": b["disagreement_low"], "median": b["median_low"]}]
    pessimistic = rule.evaluate(pd.DataFrame(rows))
    return bool((pessimistic["verdict"] == verdict).all())


@dataclass(frozen=True)
class BootstrapW:
    """Kendall's W of a round and its percentile bootstrap interval.

    ``low``/``high`` are None when W is undefined or too few panellists
    answered every item (``reason``)."""

    w: float | None
    low: float | None
    high: float | None
    n_raters: int
    n_resamples: int
    confidence: float
    reason: str | None = None


def _ranks_and_ties(x: np.ndarray):
    """Within-row average ranks and each row's tie total ``sum(t^3 - t)``."""
    n = x.shape[1]
    ranks = stats.rankdata(x, axis=1)
    full = n * (n + 1) * (2 * n + 1) / 6.0
    ties = np.round(12.0 * (full - (ranks ** 2).sum(axis=1)))
    return ranks, ties


def w_from_weights(ranks: np.ndarray, ties: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Tie-corrected W of each weighted resample of rows (weights: ``(B, m)`` counts).

    ``W = 12 S / (m^2 (n^3 - n) - m T)`` (Kendall & Babington Smith 1939;
    Siegel & Castellan 1988, §9.4) with the resample's rank sums
    ``R = weights @ ranks`` and tie total ``T = weights @ ties``; NaN where
    every resampled panellist ties every item (0/0).
    """
    m = weights.sum(axis=1)
    n = ranks.shape[1]
    rank_sums = weights @ ranks
    s = ((rank_sums - (m * (n + 1) / 2.0)[:, None]) ** 2).sum(axis=1)
    denom = m * m * (n ** 3 - n) - m * (weights @ ties)
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.where(denom > 0, 12.0 * s / np.where(denom > 0, denom, 1.0), np.nan)
    return np.minimum(w, 1.0)


def bootstrap_w(ratings, *, n_resamples: int = DEFAULT_RESAMPLES, seed=0, confidence=0.95,
                min_n: int | None = None) -> BootstrapW:
    """Percentile bootstrap interval of Kendall's W, resampling the panellists.

    The panellists with a rating of every item are resampled (listwise, as
    :func:`analysis.kendall_w`); W of a resample is computed from its rows'
    ranks (:func:`w_from_weights`), and the bounds are the type-7 quantiles of
    the defined resample W's at ``alpha/2`` and ``1 - alpha/2``.

    References
    ----------
    Efron, B. & Tibshirani, R. J. (1993). An Introduction to the Bootstrap, ch. 13.
    Kendall, M. G. & Babington Smith, B. (1939). Annals of Mathematical
    Statistics 10, 275-287.
    """
    from .concordance import kendall_w

    arr = as_matrix(ratings)
    level = _check_confidence(confidence)
    point = kendall_w(arr)
    complete = arr[~np.isnan(arr).any(axis=1)]
    m = complete.shape[0]
    if point.w is None:
        return BootstrapW(None, None, None, m, int(n_resamples), float(level), point.reason)
    if m < max(int(min_n or 2), 2):
        return BootstrapW(point.w, None, None, m, int(n_resamples), float(level),
                          "too few answers")
    ranks, ties = _ranks_and_ties(complete)
    weights = _weights(resample_indices(m, n_resamples, seed), m)
    ws = w_from_weights(ranks, ties, weights)
    alpha = (1 - level) / 2
    return BootstrapW(point.w, _bound(ws, alpha), _bound(ws, 1 - alpha), m, int(n_resamples),
                      float(level))


@dataclass(frozen=True)
class WChange:
    """The change of Kendall's W between two rounds and its paired permutation test."""

    w_before: float | None
    w_after: float | None
    change: float | None
    pvalue: float | None
    n_raters: int
    exact: bool
    n_permutations: int
    reason: str | None = None


def _w_from_sums(rank_sums, ties, m, n):
    s = ((rank_sums - m * (n + 1) / 2.0) ** 2).sum(axis=-1)
    denom = m * m * (n ** 3 - n) - m * ties
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.minimum(np.where(denom > 0, 12.0 * s / np.where(denom > 0, denom, 1.0), np.nan),
                          1.0)


def w_change(before, after, *, n_permutations: int = DEFAULT_RESAMPLES, seed=0) -> WChange:
    """Did Kendall's W change between two rounds? A paired permutation test.

    Parameters
    ----------
    before, after : array_like, shape (m, n)
        The same panellists (rows) and items (columns) in two rounds; a
        panellist counts when they rated every item in both rounds.
    n_permutations : int, default 2000
        Monte Carlo relabellings when there are more than this many
        (``2^m``); otherwise every relabelling is enumerated (exact).
    seed : int or sequence of int

    Notes
    -----
    Under the null hypothesis that the rounds do not differ, each
    panellist's two rankings are exchangeable: a relabelling swaps the
    rounds of any subset of panellists (Good 2005, §3.6, paired designs).
    The statistic is ``W_after - W_before`` (tie-corrected W,
    :func:`w_from_weights`); the two-sided p is the share of relabellings
    with ``|dW*| >= |dW|`` (a relative tolerance of 1e-12 for float sums,
    as :func:`scipy.stats.permutation_test`), exact over all ``2^m``
    relabellings when ``2^m <= n_permutations``, else
    ``(1 + #) / (1 + n_permutations)`` (Phipson & Smyth 2010).

    References
    ----------
    Good, P. I. (2005). Permutation, Parametric and Bootstrap Tests of
    Hypotheses, 3rd ed. Springer.
    Phipson, B. & Smyth, G. K. (2010). Permutation p-values should never be
    zero. Statistical Applications in Genetics and Molecular Biology 9(1), 39.
    Schmidt, R. C. (1997). Managing Delphi surveys using nonparametric
    statistical techniques. Decision Sciences 28(3), 763-774 (stop when W
    no longer changes).
    """
    b_arr = as_matrix(before, "before")
    a_arr = as_matrix(after, "after")
    if b_arr.shape != a_arr.shape:
        raise ValueError(f"before and after must have the same shape, got {b_arr.shape} and {a_arr.shape}")
    if isinstance(n_permutations, bool) or int(n_permutations) != n_permutations or n_permutations < 1:
        raise ValueError(f"n_permutations must be a positive integer, got {n_permutations!r}")
    keep = ~np.isnan(b_arr).any(axis=1) & ~np.isnan(a_arr).any(axis=1)
    xb, xa = b_arr[keep], a_arr[keep]
    m, n = xb.shape
    if m < 2 or n < 2:
        return WChange(None, None, None, None, m, False, 0, "too few answers")
    rb, tb = _ranks_and_ties(xb)
    ra, ta = _ranks_and_ties(xa)
    w_b = float(_w_from_sums(rb.sum(axis=0), tb.sum(), m, n))
    w_a = float(_w_from_sums(ra.sum(axis=0), ta.sum(), m, n))
    if np.isnan(w_b) or np.isnan(w_a):
        return WChange(None if np.isnan(w_b) else w_b, None if np.isnan(w_a) else w_a, None, None,
                       m, False, 0, "W undefined in a round")
    observed = w_a - w_b
    exact = m < 63 and 2 ** m <= n_permutations
    if exact:
        swaps = ((np.arange(2 ** m)[:, None] >> np.arange(m)) & 1).astype(float)
    else:
        swaps = np.random.default_rng(seed).integers(0, 2, (int(n_permutations), m)).astype(float)
    d_rank, d_ties = ra - rb, ta - tb
    sums_b = rb.sum(axis=0) + swaps @ d_rank
    sums_a = ra.sum(axis=0) - swaps @ d_rank
    ties_b = tb.sum() + swaps @ d_ties
    ties_a = ta.sum() - swaps @ d_ties
    changes = _w_from_sums(sums_a, ties_a, m, n) - _w_from_sums(sums_b, ties_b, m, n)
    hits = int((np.abs(changes) >= abs(observed) * (1 - 1e-12)).sum())
    pvalue = hits / swaps.shape[0] if exact else (1 + hits) / (1 + swaps.shape[0])
    return WChange(w_b, w_a, observed, float(min(1.0, pvalue)), m, bool(exact),
                   int(swaps.shape[0]))
