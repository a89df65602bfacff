"""Strata beyond the usual ones: does an item split the panel by language?

An item whose language groups rate it differently, more than the
differences between roles and regions (which a language group partly
mirrors) account for, may read differently in its translations. The rule
compares Kruskal-Wallis effect sizes, which are comparable across
groupings with different numbers of groups and answers; conventions are in
``docs/statistics.md`` ("Strata: language").
"""
from __future__ import annotations

import math

__all__ = ["epsilon_squared", "translation_flag"]


def epsilon_squared(h, n) -> float | None:
    """Kruskal-Wallis effect size ``epsilon^2 = H / ((n^2 - 1) / (n + 1)) = H / (n - 1)``.

    ``n`` is the number of ratings tested. 0 means no difference between the
    groups' mean ranks, 1 complete separation. None when H is None or n < 2.

    References
    ----------
    Tomczak, M. & Tomczak, E. (2014). The need to report effect size
    estimates revisited. Trends in Sport Sciences 21(1), 19-25.
    Kelley, T. L. (1935). An unbiased correlation ratio measure. PNAS 21, 554-559.
    """
    if h is None or n is None or n < 2:
        return None
    value = float(h)
    if math.isnan(value):
        return None
    return max(0.0, value) / (n - 1)


def translation_flag(language: dict, others: dict[str, dict], *, alpha: float = 0.05) -> dict:
    """Whether an item is a possible translation problem.

    Parameters
    ----------
    language : dict
        The item's Kruskal-Wallis test across language groups: ``{"h", "pvalue",
        "n"}`` (``h``/``pvalue`` None when not tested, e.g. fewer than two
        language groups with ``min_cell`` answers).
    others : dict
        The same for the other strata, e.g. ``{"role": {...}, "region": {...}}``.
    alpha : float, default 0.05

    Returns
    -------
    dict
        ``{"flagged", "epsilon2", "others": {dimension: epsilon2 or None},
        "pvalue", "reason"}``.

    Notes
    -----
    Flagged when the language test is defined, ``p < alpha``, and its
    ``epsilon^2`` exceeds the ``epsilon^2`` of every other stratum (an other
    stratum that could not be tested counts as 0: no difference shown).
    Suppressed cells never enter a test (:func:`analysis.subgroups`), so the
    flag respects the small-cell rule.
    """
    if not 0.0 < float(alpha) < 1.0:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha!r}")
    eps = epsilon_squared(language.get("h"), language.get("n"))
    other_eps = {dim: epsilon_squared(t.get("h"), t.get("n")) for dim, t in others.items()}
    pvalue = language.get("pvalue")
    out = {"flagged": False, "epsilon2": eps, "others": other_eps, "pvalue": pvalue,
           "reason": None}
    if eps is None or pvalue is None:
        out["reason"] = "not tested"
        return out
    if pvalue >= alpha:
        out["reason"] = "language groups do not differ"
        return out
    largest = max([e for e in other_eps.values() if e is not None], default=0.0)
    if eps > largest:
        out["flagged"] = True
    else:
        out["reason"] = "explained by other strata"
    return out
