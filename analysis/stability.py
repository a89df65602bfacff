"""Stability of the panel's ratings between two rounds, per item."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ._validation import as_matrix, check_band, check_items, check_on_scale, check_scale

__all__ = ["stability", "STABLE_PCT_CHANGE"]

#: Scheibe, Skutsch & Schofer (1975): less than 15 % net change = stable.
STABLE_PCT_CHANGE = 0.15

_WILCOXON_METHOD = (
    "Wilcoxon signed-rank, zero differences dropped (Wilcoxon), average ranks for tied |d|, "
    "normal approximation with tie-corrected variance; wilcoxon_pvalue without and "
    "wilcoxon_pvalue_cc with a 0.5 continuity correction (R wilcox.test default)"
)
_MCNEMAR_METHOD = "exact McNemar: two-sided binomial test of b on b + c with p = 1/2"


def _to_object(values: np.ndarray, defined: np.ndarray) -> np.ndarray:
    out = np.empty(values.shape[0], dtype=object)
    for i, (v, ok) in enumerate(zip(values.tolist(), defined.tolist())):
        out[i] = float(v) if ok else None
    return out


def stability(before, after, *, agree=(4, 5), scale=None, items=None) -> pd.DataFrame:
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

    Returns
    -------
    pandas.DataFrame
        One row per item, columns:

        * ``n_pairs``;
        * ``wilcoxon_statistic``: V, the sum of the ranks of positive
          differences d = after - before (as R's ``wilcox.test``);
        * ``wilcoxon_z``: (V - nr(nr + 1)/4) / sigma, positive when ratings rose;
        * ``wilcoxon_pvalue``, ``wilcoxon_pvalue_cc``: two-sided, without and
          with continuity correction;
        * ``pct_change``: Scheibe's net share of panellists who changed
          (0..1) and ``stable`` = pct_change < 0.15;
        * ``mcnemar_b`` (agree -> not), ``mcnemar_c`` (not -> agree),
          ``mcnemar_pvalue``: exact;
        * ``kappa``: Cohen's kappa between the two rounds' ratings;
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
    cnt_pos = np.stack([((d == v)).sum(axis=0) for v in range(1, max_abs + 1)]).astype(float)
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

    reasons = []
    for j in range(k):  # builds strings only; the statistics above are vectorised
        why = []
        if not has_pairs[j]:
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
            "wilcoxon_statistic": _to_object(v_stat, w_defined),
            "wilcoxon_z": _to_object(z, w_defined),
            "wilcoxon_pvalue": _to_object(p, w_defined),
            "wilcoxon_pvalue_cc": _to_object(p_cc, w_defined),
            "pct_change": _to_object(pct, has_pairs),
            "stable": pd.array(np.where(has_pairs, stable, None), dtype="boolean"),
            "mcnemar_b": mc_b.astype(np.int64),
            "mcnemar_c": mc_c.astype(np.int64),
            "mcnemar_pvalue": _to_object(mc_p, mc_defined),
            "kappa": _to_object(kappa, k_defined),
            "reason": pd.Series(reasons, dtype=object, index=pd.Index(labels, name="item")),
        },
        index=pd.Index(labels, name="item"),
    )
    frame.attrs["wilcoxon_method"] = _WILCOXON_METHOD
    frame.attrs["mcnemar_method"] = _MCNEMAR_METHOD
    frame.attrs["scale"] = scale
    frame.attrs["agree"] = agree
    return frame
