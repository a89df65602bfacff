"""Stability of the panel's ratings between two rounds, per item."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd
from scipy import stats

from ._validation import as_matrix, check_band, check_items, check_on_scale, check_scale

__all__ = [
    "STABLE_PCT_CHANGE",
    "TOO_FEW",
    "WILCOXON_EXACT_MAX_N",
    "signed_rank_exact_pvalue",
    "stability",
    "weighted_kappa",
]

#: Scheibe, Skutsch & Schofer (1975): less than 15 % net change = stable.
STABLE_PCT_CHANGE = 0.15

#: Largest number of non-zero differences with an exact Wilcoxon p (issue 14: n <= 50;
#: R's ``wilcox.test`` uses the exact p for n < 50).
WILCOXON_EXACT_MAX_N = 50

#: The reason given where a statistic is withheld below the study's minimum n.
TOO_FEW = "too few answers"


def signed_rank_exact_pvalue(twice_ranks, v2: int) -> float:
    """Exact two-sided p of the signed-rank statistic given the ranks of |d|.

    Parameters
    ----------
    twice_ranks : sequence of int
        Twice the (mid)ranks of the non-zero |d| (integers, also with ties).
    v2 : int
        Twice the observed V (the rank sum of the positive differences).

    Returns
    -------
    float
        Under H0 every sign pattern of the n ranks is equally likely (2^n
        patterns); the null distribution of ``2V`` is counted exactly by
        dynamic programming over the ranks (Wilcoxon 1945; with ties, the
        permutation distribution conditional on the midranks, Lehmann 1975
        section 3.2, as ``coin::wilcoxsign_test(distribution = "exact")``).
        The p-value is R's ``wilcox.test`` rule: ``2 P(V >= v)`` when v is
        above the mean n(n + 1)/4, else ``2 P(V <= v)``, at most 1. Without
        ties it is R's ``psignrank`` p and scipy's ``method="exact"``.

    Examples
    --------
    Five pairs, all +1 (issue 14): the ranks tie at 3, V = 15 is the largest
    of 32 equally likely sign patterns, p = 2/32:

    >>> signed_rank_exact_pvalue([6, 6, 6, 6, 6], 30)
    0.0625
    """
    ranks = [int(r) for r in twice_ranks]
    total = sum(ranks)
    dist = np.zeros(total + 1, dtype=np.int64)
    dist[0] = 1
    for r in ranks:
        dist[r:] = dist[r:] + dist[: total + 1 - r].copy()
    n = len(ranks)
    patterns = float(2 ** n)
    if 2 * v2 > total:  # above the mean total/2
        tail = dist[v2:].sum()
    else:
        tail = dist[: v2 + 1].sum()
    return min(1.0, 2.0 * float(tail) / patterns)


def _weights(levels: int, weights) -> np.ndarray:
    idx = np.arange(levels)
    if isinstance(weights, str):
        if weights == "linear":
            return np.abs(idx[:, None] - idx[None, :]).astype(np.int64)
        if weights == "quadratic":
            return ((idx[:, None] - idx[None, :]) ** 2).astype(np.int64)
        raise ValueError(f"weights must be 'linear', 'quadratic' or a square matrix, got {weights!r}")
    w = np.asarray(weights, dtype=float)
    if w.shape != (levels, levels):
        raise ValueError(f"weights must be a {levels} x {levels} matrix, got shape {w.shape}")
    return w


def weighted_kappa(table, weights="linear") -> float | None:
    """Cohen's (1968) weighted kappa of a square contingency table.

    Parameters
    ----------
    table : array_like, shape (c, c)
        ``table[i, j]`` = count (or proportion) of subjects put in category i
        by the first rating and j by the second; categories in scale order.
    weights : {"linear", "quadratic"} or array_like, default "linear"
        **Disagreement** weights ``v_ij``: ``|i - j|`` (linear), ``(i - j)^2``
        (quadratic, Fleiss & Cohen 1973), or a matrix with a zero diagonal.

    Returns
    -------
    float or None
        ``kappa_w = 1 - sum v_ij p_ij / sum v_ij p_i. p_.j``; None where the
        chance-expected disagreement is 0 (both ratings constant at the same
        category). Integer tables are computed exactly (Fractions), then
        rounded once. Rescaling the weights (e.g. ``1 - |i - j|/(c - 1)`` as
        agreement weights) gives the same kappa.

    References
    ----------
    Cohen, J. (1968). Weighted kappa: nominal scale agreement with provision
    for scaled disagreement or partial credit. Psychological Bulletin 70,
    213-220. Fleiss, J. L. & Cohen, J. (1973). Educational and Psychological
    Measurement 33, 613-619.

    Examples
    --------
    Cohen's (1968) example (proportions of 200 subjects; weights 1, 3, 6):
    unweighted kappa .492, weighted .348:

    >>> t = [[44, 7, 9], [5, 20, 5], [1, 3, 6]]
    >>> round(weighted_kappa(t, [[0, 1, 3], [1, 0, 6], [3, 6, 0]]), 3)
    0.348
    """
    arr = np.asarray(table)
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1] or arr.shape[0] < 1:
        raise ValueError(f"table must be a square 2-D array, got shape {arr.shape}")
    if not np.isfinite(arr.astype(float)).all() or (arr < 0).any():
        raise ValueError("table must hold finite, non-negative counts")
    w = _weights(arr.shape[0], weights)
    if np.issubdtype(arr.dtype, np.integer) and np.issubdtype(w.dtype, np.integer):
        t = [[int(x) for x in row] for row in arr.tolist()]
        wi = [[int(x) for x in row] for row in w.tolist()]
        c = len(t)
        n = sum(map(sum, t))
        rows = [sum(r) for r in t]
        cols = [sum(t[i][j] for i in range(c)) for j in range(c)]
        observed = sum(wi[i][j] * t[i][j] for i in range(c) for j in range(c))
        expected = sum(wi[i][j] * rows[i] * cols[j] for i in range(c) for j in range(c))
        if expected == 0 or n == 0:
            return None
        return float(1 - Fraction(observed * n, expected))
    p = arr.astype(float) / arr.sum()
    expected = float((w * np.outer(p.sum(axis=1), p.sum(axis=0))).sum())
    if expected <= 0:
        return None
    return 1.0 - float((w * p).sum()) / expected

_WILCOXON_METHOD = (
    "Wilcoxon signed-rank, zero differences dropped (Wilcoxon), average ranks for tied |d|; "
    "wilcoxon_p: exact p when no difference is zero and n <= 50 (conditional on the midranks "
    "when |d| ties), otherwise the normal approximation with tie-corrected variance and a 0.5 "
    "continuity correction (R wilcox.test default); wilcoxon_p_method says which"
)
_MCNEMAR_METHOD = "exact McNemar: two-sided binomial test of b on b + c with p = 1/2"


def _to_object(values: np.ndarray, defined: np.ndarray) -> np.ndarray:
    out = np.empty(values.shape[0], dtype=object)
    for i, (v, ok) in enumerate(zip(values.tolist(), defined.tolist())):
        out[i] = float(v) if ok else None
    return out


def stability(before, after, *, agree=(4, 5), scale=None, items=None, min_n=None) -> pd.DataFrame:
    """Per-item stability of ratings between two rounds.

    Parameters
    ----------
    before, after : array_like, shape (m, k)
        The same panellists (rows) and items (columns) in two rounds; NaN
        where a panellist did not rate the item in that round. An item's
        *pairs* are the panellists with a rating in both rounds.
    agree : (int, int), default (4, 5)
        The agreement band, inclusive, for the McNemar split (agree / not).
    scale : (int, int), optional
        The rating scale; ratings must be whole points on it. Default: the
        span of the observed ratings (which must then be whole numbers).
    items : sequence, optional
        Labels for the result's index; default ``0..k-1``.
    min_n : int, optional
        The study's minimum n: an item with fewer pairs has every statistic
        withheld (None), ``too_few`` True and the reason ``"too few answers"``.

    Returns
    -------
    pandas.DataFrame
        One row per item, columns:

        * ``n_pairs``;
        * ``wilcoxon_statistic``: V, the sum of the ranks of positive
          differences d = after - before (as R's ``wilcox.test``);
        * ``wilcoxon_z``: (V - nr(nr + 1)/4) / sigma, positive when ratings rose;
        * ``wilcoxon_pvalue``, ``wilcoxon_pvalue_cc``: two-sided normal
          approximation, without and with continuity correction;
        * ``wilcoxon_pvalue_exact``: the exact p (see Notes), None where it
          does not apply;
        * ``wilcoxon_p`` and ``wilcoxon_p_method``: the p to report and how it
          was obtained: ``"exact"`` (no ties, no zeros, n <= 50: R's
          ``wilcox.test`` exact p), ``"exact_conditional"`` (ties among |d|,
          no zeros, n <= 50: the exact permutation p given the midranks), or
          ``"normal_cc"`` (otherwise: normal approximation with the
          continuity correction, R's default);
        * ``pct_change``: Scheibe's net share of panellists who changed
          (0..1) and ``stable`` = pct_change < 0.15;
        * ``mcnemar_b`` (agree -> not), ``mcnemar_c`` (not -> agree),
          ``mcnemar_pvalue``: exact;
        * ``kappa``: Cohen's kappa between the two rounds' ratings;
          ``kappa_linear``, ``kappa_quadratic``: Cohen's (1968) weighted
          kappa with linear and quadratic disagreement weights;
        * ``too_few``: True where n_pairs is below ``min_n``;
        * ``reason``: why any test above is None ("no change" is a result).

        Test columns hold None where undefined; the method strings are in
        ``frame.attrs``.

    Raises
    ------
    ValueError
        If ``before``/``after`` are not 2-D, differ in shape, have values
        off the scale or not whole points; if ``agree`` or ``scale`` is invalid.

    Notes
    -----
    Wilcoxon: with nr non-zero differences, ``V`` as above, ``t`` the sizes
    of the groups of tied |d|::

        sigma^2 = nr(nr + 1)(2nr + 1)/24 - sum(t^3 - t)/48
        z = (V - nr(nr + 1)/4 - c) / sigma,   c = 0 or 0.5 sign(V - nr(nr + 1)/4)

    p = 2 (1 - Phi(|z|)). Undefined when nr = 0 (no panellist changed).
    Exact p (:func:`signed_rank_exact_pvalue`) when no difference is zero
    and 1 <= nr <= 50: the 2^nr equally likely sign patterns of the ranks,
    counted exactly; with tied |d| this is the permutation distribution
    given the midranks. With zeros the normal approximation is used, as R.
    Example (issue 14): five pairs all +1 give exact p = 0.0625 (the normal
    approximation without correction says 0.025).

    Weighted kappa: ``1 - n sum_pairs w(d) / sum_{v,u} w(v - u) f_before(v) f_after(u)``
    with ``w(d) = |d|`` or ``d^2``, computed in integers and rounded once;
    undefined when both rounds are constant at the same rating.

    Percentage change: ``sum_v |f_before(v) - f_after(v)| / 2 / n_pairs``
    over scale points v.

    McNemar: with b and c the panellists crossing the agreement band each
    way, p = min(1, 2 P(X <= min(b, c))), X ~ Binomial(b + c, 1/2);
    undefined when b + c = 0.

    Kappa: ``(p_o - p_e) / (1 - p_e)``, p_o the share of pairs with the same
    rating, p_e = sum_v p_before(v) p_after(v); undefined when p_e = 1 (both
    rounds constant at the same rating).

    References
    ----------
    Wilcoxon, F. (1945). Individual comparisons by ranking methods.
    Biometrics Bulletin 1, 80-83.
    Scheibe, M., Skutsch, M. & Schofer, J. (1975). Experiments in Delphi
    methodology. In Linstone & Turoff (eds.), The Delphi Method, 262-287.
    McNemar, Q. (1947). Psychometrika 12, 153-157.
    Cohen, J. (1960). Educational and Psychological Measurement 20, 37-46.
    Cohen, J. (1968). Weighted kappa. Psychological Bulletin 70, 213-220.
    Lehmann, E. L. (1975). Nonparametrics: Statistical Methods Based on
    Ranks, section 3.2. Holden-Day.
    Dajani, J. S., Sincoff, M. Z. & Talley, W. K. (1979). Stability and
    agreement criteria for the termination of Delphi studies. Technological
    Forecasting and Social Change 13, 83-90.
    """
    b_arr = as_matrix(before, "before")
    a_arr = as_matrix(after, "after")
    if b_arr.shape != a_arr.shape:
        raise ValueError(
            f"before and after must have the same shape (same panellists and items), "
            f"got {b_arr.shape} and {a_arr.shape}"
        )
    m, k = b_arr.shape
    labels = check_items(items, k)
    if scale is None:
        observed = np.concatenate([b_arr[~np.isnan(b_arr)], a_arr[~np.isnan(a_arr)]])
        if observed.size and not np.array_equal(observed, np.round(observed)):
            raise ValueError("before/after have non-integer values; ratings must be whole points")
        if observed.size:
            lo, hi = int(observed.min()), int(observed.max())
        else:
            lo, hi = 0, 1
        try:
            band_lo, band_hi = (float(v) for v in agree)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"agree must be a pair (low, high) of scale points, got {agree!r}") from exc
        if np.isfinite(band_lo) and np.isfinite(band_hi):
            lo, hi = min(lo, int(band_lo)), max(hi, int(band_hi))
        scale = (lo, max(hi, lo + 1))
    else:
        scale = check_scale(scale)
        check_on_scale(b_arr, scale, "before")
        check_on_scale(a_arr, scale, "after")
    agree = check_band(agree, scale, "agree")
    low, high = scale
    levels = high - low + 1

    paired = ~np.isnan(b_arr) & ~np.isnan(a_arr)
    n_pairs = paired.sum(axis=0)
    b0 = np.where(paired, b_arr - low, 0.0).astype(np.int64)
    a0 = np.where(paired, a_arr - low, 0.0).astype(np.int64)
    d = np.where(paired, a0 - b0, 0)

    # --- Wilcoxon signed-rank, by counting |d| in 1..levels-1 per item -----
    absd = np.abs(d)
    max_abs = levels - 1
    cnt_abs = np.stack([(absd == v).sum(axis=0) for v in range(1, max_abs + 1)]).astype(float)
    cnt_pos = np.stack([(d == v).sum(axis=0) for v in range(1, max_abs + 1)]).astype(float)
    nr = cnt_abs.sum(axis=0)
    below = np.cumsum(cnt_abs, axis=0) - cnt_abs
    avg_rank = below + (cnt_abs + 1.0) / 2.0
    v_stat = (avg_rank * cnt_pos).sum(axis=0)
    mean_v = nr * (nr + 1.0) / 4.0
    var_v = nr * (nr + 1.0) * (2.0 * nr + 1.0) / 24.0 - (cnt_abs ** 3 - cnt_abs).sum(axis=0) / 48.0
    w_defined = nr > 0
    sigma = np.sqrt(np.where(w_defined, var_v, 1.0))
    diff = v_stat - mean_v
    z = diff / sigma
    z_cc = (diff - 0.5 * np.sign(diff)) / sigma
    p = 2.0 * stats.norm.sf(np.abs(z))
    p_cc = np.minimum(1.0, 2.0 * stats.norm.sf(np.abs(z_cc)))

    # --- Scheibe percentage change ------------------------------------------
    f_before = np.stack([((b0 == v) & paired).sum(axis=0) for v in range(levels)])
    f_after = np.stack([((a0 == v) & paired).sum(axis=0) for v in range(levels)])
    has_pairs = n_pairs > 0
    npairs_div = np.where(has_pairs, n_pairs, 1)
    pct = np.abs(f_before - f_after).sum(axis=0) / 2.0 / npairs_div
    stable = pct < STABLE_PCT_CHANGE

    # --- exact McNemar on agree / not agree ---------------------------------
    lo_a, hi_a = agree[0] - low, agree[1] - low
    agree_b = (b0 >= lo_a) & (b0 <= hi_a) & paired
    agree_a = (a0 >= lo_a) & (a0 <= hi_a) & paired
    mc_b = (agree_b & ~agree_a & paired).sum(axis=0)
    mc_c = (~agree_b & agree_a & paired).sum(axis=0)
    discordant = mc_b + mc_c
    mc_defined = discordant > 0
    mc_p = np.minimum(1.0, 2.0 * stats.binom.cdf(np.minimum(mc_b, mc_c), discordant, 0.5))

    # --- Cohen's kappa ------------------------------------------------------
    p_o = (paired & (d == 0)).sum(axis=0) / npairs_div
    p_e = (f_before * f_after).sum(axis=0) / (npairs_div.astype(float) ** 2)
    k_defined = has_pairs & (p_e < 1.0)
    kappa = (p_o - p_e) / np.where(k_defined, 1.0 - p_e, 1.0)

    # --- weighted kappa (Cohen 1968), in integers ---------------------------
    idx = np.arange(levels)
    w_lin = np.abs(idx[:, None] - idx[None, :]).astype(np.int64)
    w_quad = w_lin ** 2
    fb = f_before.astype(np.int64)
    fa = f_after.astype(np.int64)
    obs_lin = np.where(paired, absd, 0).sum(axis=0).astype(np.int64)
    obs_quad = np.where(paired, absd * absd, 0).sum(axis=0).astype(np.int64)
    exp_lin = np.einsum("vk,vu,uk->k", fb, w_lin, fa)
    exp_quad = np.einsum("vk,vu,uk->k", fb, w_quad, fa)
    kw_defined = has_pairs & (exp_lin > 0)
    safe_lin = np.where(kw_defined, exp_lin, 1)
    safe_quad = np.where(kw_defined, exp_quad, 1)
    kappa_lin = (safe_lin - n_pairs * obs_lin) / safe_lin
    kappa_quad = (safe_quad - n_pairs * obs_quad) / safe_quad

    # --- exact Wilcoxon where it applies ------------------------------------
    p_exact = np.full(k, np.nan)
    method = np.full(k, None, dtype=object)
    method[w_defined] = "normal_cc"
    eligible = w_defined & (nr == n_pairs) & (nr <= WILCOXON_EXACT_MAX_N)
    cnt_abs_i = cnt_abs.astype(np.int64)
    cnt_pos_i = cnt_pos.astype(np.int64)
    below_i = np.cumsum(cnt_abs_i, axis=0) - cnt_abs_i
    twice_rank = 2 * below_i + cnt_abs_i + 1  # twice the midrank of each |d| value
    for j in np.flatnonzero(eligible):
        ranks = np.repeat(twice_rank[:, j], cnt_abs_i[:, j])
        v2 = int((twice_rank[:, j] * cnt_pos_i[:, j]).sum())
        p_exact[j] = signed_rank_exact_pvalue(ranks, v2)
        method[j] = "exact_conditional" if (cnt_abs_i[:, j] > 1).any() else "exact"
    p_head = np.where(eligible, p_exact, p_cc)

    too_few = np.zeros(k, dtype=bool)
    if min_n is not None:
        if isinstance(min_n, bool) or not float(min_n).is_integer() or min_n < 1:
            raise ValueError(f"min_n must be a positive integer or None, got {min_n!r}")
        too_few = has_pairs & (n_pairs < int(min_n))
    shown = ~too_few

    reasons = []
    for j in range(k):  # builds strings only; the statistics above are vectorised
        why = []
        if too_few[j]:
            why.append(TOO_FEW)
        elif not has_pairs[j]:
            why.append("no panellist rated this item in both rounds")
        else:
            if not w_defined[j]:
                why.append("Wilcoxon undefined: no change (all paired differences are zero)")
            if not mc_defined[j]:
                why.append("McNemar undefined: nobody crossed the agreement band (b + c = 0)")
            if not k_defined[j]:
                why.append("kappa undefined: both rounds constant at the same rating (p_e = 1)")
        reasons.append("; ".join(why) if why else None)

    frame = pd.DataFrame(
        {
            "n_pairs": n_pairs.astype(np.int64),
            "wilcoxon_statistic": _to_object(v_stat, w_defined & shown),
            "wilcoxon_z": _to_object(z, w_defined & shown),
            "wilcoxon_pvalue": _to_object(p, w_defined & shown),
            "wilcoxon_pvalue_cc": _to_object(p_cc, w_defined & shown),
            "wilcoxon_pvalue_exact": _to_object(p_exact, eligible & shown),
            "wilcoxon_p": _to_object(p_head, w_defined & shown),
            "wilcoxon_p_method": pd.Series(np.where(shown, method, None), dtype=object,
                                           index=pd.Index(labels, name="item")),
            "pct_change": _to_object(pct, has_pairs & shown),
            "stable": pd.array(np.where(has_pairs & shown, stable, None), dtype="boolean"),
            "mcnemar_b": mc_b.astype(np.int64),
            "mcnemar_c": mc_c.astype(np.int64),
            "mcnemar_pvalue": _to_object(mc_p, mc_defined & shown),
            "kappa": _to_object(kappa, k_defined & shown),
            "kappa_linear": _to_object(kappa_lin, kw_defined & shown),
            "kappa_quadratic": _to_object(kappa_quad, kw_defined & shown),
            "too_few": too_few,
            "reason": pd.Series(reasons, dtype=object, index=pd.Index(labels, name="item")),
        },
        index=pd.Index(labels, name="item"),
    )
    frame.attrs["wilcoxon_method"] = _WILCOXON_METHOD
    frame.attrs["mcnemar_method"] = _MCNEMAR_METHOD
    frame.attrs["scale"] = scale
    frame.attrs["agree"] = agree
    return frame
