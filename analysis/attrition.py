"""Attrition bias: did the panellists who dropped out rate differently?

Two questions per item (OMERACT's warning that attrition can manufacture
consensus: the panellists who disagree leave, and the agreement of those
who stay rises):

* :func:`attrition`: in an earlier round, the agreement of the panellists
  who later dropped out against that of the stayers, the difference with
  Newcombe's interval and an exact permutation test;
* :func:`carried_forward`: would the consensus verdict still hold had the
  dropouts stayed with their last answers (last observation carried
  forward), under the study's own rule.

Conventions are in ``docs/statistics.md`` ("Attrition bias").
"""
from __future__ import annotations

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
from .consensus import ConsensusRule, rand_ucla_verdicts
from .descriptive import summarize_items
from .rand_ucla import rand_ucla

__all__ = ["attrition", "carried_forward", "newcombe_difference", "permutation_pvalue"]

SETTLED = ("consensus_in", "consensus_out")


def _wilson(count: int, n: int, z: float) -> tuple[float, float]:
    p = count / n
    centre = p + z * z / (2 * n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    denom = 1 + z * z / n
    return (centre - half) / denom, (centre + half) / denom


def newcombe_difference(count1: int, n1: int, count2: int, n2: int, *, confidence=0.95):
    """Newcombe's hybrid score interval for ``p1 - p2`` (his method 10).

    With Wilson score intervals ``(l_i, u_i)`` of each proportion and
    ``d = p1 - p2``::

        L = d - sqrt((p1 - l1)^2 + (u2 - p2)^2)
        U = d + sqrt((u1 - p1)^2 + (p2 - l2)^2)

    Returns ``(d, L, U)``; defined for any counts with ``n1, n2 >= 1``
    (unlike the Wald interval, also at 0 % or 100 %).

    References
    ----------
    Newcombe, R. G. (1998). Interval estimation for the difference between
    independent proportions: comparison of eleven methods. Statistics in
    Medicine 17, 873-890 (method 10).
    """
    if min(n1, n2) < 1 or not (0 <= count1 <= n1 and 0 <= count2 <= n2):
        raise ValueError("counts must lie in 0..n with n >= 1")
    if not 0 < float(confidence) < 1:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence!r}")
    z = float(stats.norm.ppf(1 - (1 - float(confidence)) / 2))
    p1, p2 = count1 / n1, count2 / n2
    l1, u1 = _wilson(count1, n1, z)
    l2, u2 = _wilson(count2, n2, z)
    d = p1 - p2
    return d, d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)


def permutation_pvalue(count1: int, n1: int, count2: int, n2: int) -> float:
    """Exact two-sided permutation p of the difference of two proportions.

    Relabelling the ``N = n1 + n2`` panellists at random (group sizes kept),
    the number ``A`` of agreeing panellists in group 1 is hypergeometric
    ``(N, K = count1 + count2, n1)``, and the difference of shares is
    ``d(A) = A/n1 - (K - A)/n2 = (A N - K n1) / (n1 n2)``, so
    ``p = P(|A N - K n1| >= |a N - K n1|)``: an integer comparison, exact
    for every panel size (the enumeration of all relabellings, grouped by A).
    No Monte Carlo is needed, since the statistic depends on the 2 × 2 table only.

    References
    ----------
    Fisher, R. A. (1935). The Design of Experiments, §21. Oliver & Boyd.
    Ernst, M. D. (2004). Permutation methods: a basis for exact inference.
    Statistical Science 19, 676-685.
    """
    if min(n1, n2) < 1 or not (0 <= count1 <= n1 and 0 <= count2 <= n2):
        raise ValueError("counts must lie in 0..n with n >= 1")
    total = n1 + n2
    agreeing = count1 + count2
    support = np.arange(max(0, agreeing - n2), min(n1, agreeing) + 1)
    observed = abs(count1 * total - agreeing * n1)
    extreme = support[np.abs(support * total - agreeing * n1) >= observed]
    return float(min(1.0, stats.hypergeom.pmf(extreme, total, agreeing, n1).sum()))


def attrition(earlier, stayed, *, scale=(1, 5), agree=(4, 5), confidence=0.95, items=None,
              min_n: int | None = None) -> pd.DataFrame:
    """Per item, the earlier-round agreement of the panellists who later dropped
    out against the stayers'.

    Parameters
    ----------
    earlier : array_like, shape (m, k)
        The earlier round's ratings (rows = its panellists, NaN = no rating).
    stayed : array_like of bool, shape (m,)
        Whether each panellist answered the later round.
    scale, agree, items
        As :func:`analysis.summarize_items`.
    confidence : float, default 0.95
    min_n : int, optional
        Fewer ratings than this in either group: no comparison ("too few answers").

    Returns
    -------
    pandas.DataFrame
        One row per item: ``n_stayers``, ``n_dropouts`` (those who rated the
        item), ``agreement_stayers``, ``agreement_dropouts``, ``difference``
        (dropouts minus stayers), ``ci_low``, ``ci_high`` (Newcombe,
        :func:`newcombe_difference`), ``pvalue`` (exact permutation,
        :func:`permutation_pvalue`) and ``reason`` (why there is no comparison).
    """
    arr = as_matrix(earlier, "earlier")
    scale = check_scale(scale)
    agree = check_band(agree, scale, "agree")
    check_on_scale(arr, scale, "earlier")
    labels = check_items(items, arr.shape[1])
    stay = np.asarray(stayed)
    if stay.shape != (arr.shape[0],) or stay.dtype != bool:
        raise ValueError(f"stayed must be a boolean array with one entry per row ({arr.shape[0]})")
    need = max(int(min_n or 1), 1)
    rated = ~np.isnan(arr)
    agreeing = rated & (arr >= agree[0]) & (arr <= agree[1])
    rows = []
    for j, label in enumerate(labels):
        n_s = int(rated[stay, j].sum())
        n_d = int(rated[~stay, j].sum())
        c_s = int(agreeing[stay, j].sum())
        c_d = int(agreeing[~stay, j].sum())
        row = {"item": label, "n_stayers": n_s, "n_dropouts": n_d,
               "agreement_stayers": c_s / n_s if n_s else None,
               "agreement_dropouts": c_d / n_d if n_d else None,
               "difference": None, "ci_low": None, "ci_high": None, "pvalue": None,
               "reason": None}
        if n_d == 0:
            row["reason"] = "no dropouts rated the item"
        elif min(n_s, n_d) < need:
            row["reason"] = "too few answers"
        else:
            d, lo, hi = newcombe_difference(c_d, n_d, c_s, n_s, confidence=confidence)
            row.update(difference=float(d), ci_low=float(lo), ci_high=float(hi),
                       pvalue=permutation_pvalue(c_d, n_d, c_s, n_s))
        rows.append(row)
    frame = pd.DataFrame(rows, dtype=object).set_index("item")
    frame["n_stayers"] = frame["n_stayers"].astype(np.int64)
    frame["n_dropouts"] = frame["n_dropouts"].astype(np.int64)
    return frame


def _verdicts(matrix, *, scale, agree, quantiles, rule, min_n, labels):
    if rule is None:
        table = rand_ucla(matrix, quantiles=quantiles, items=labels)
        return rand_ucla_verdicts(table, min_n=min_n)["verdict"].tolist(), table["n"].tolist(), \
            None
    summary = summarize_items(matrix, scale=scale, agree=agree, quantiles=quantiles, items=labels)
    return rule.evaluate(summary)["verdict"].tolist(), summary["n"].tolist(), \
        summary["agreement"].tolist()


def carried_forward(current, last, *, scale=(1, 5), agree=(4, 5), quantiles="type7",
                    rule: ConsensusRule | None, min_n: int | None = None,
                    items=None) -> pd.DataFrame:
    """Whether each item's verdict would hold had the dropouts stayed with their
    last answers.

    Parameters
    ----------
    current : array_like, shape (m, k)
        This round's ratings (its panellists).
    last : array_like, shape (d, k)
        The dropouts' last ratings of each item (from the latest earlier round
        in which they rated it; NaN when they never did).
    rule : ConsensusRule or None
        The study's rule; None = RAND/UCLA (:func:`analysis.rand_ucla` then
        :func:`analysis.rand_ucla_verdicts` with ``min_n``).

    Returns
    -------
    pandas.DataFrame
        One row per item: ``verdict`` (this round's), ``verdict_carried`` (on
        ``current`` and ``last`` stacked), ``n``, ``n_carried``, ``agreement``,
        ``agreement_carried`` (None under RAND/UCLA), ``holds`` (the verdicts
        agree) and ``flagged``: the item is at consensus (in or out) and the
        verdict would not hold.

    Notes
    -----
    Last observation carried forward, a sensitivity analysis (not an
    imputation of what the dropouts would have answered): it asks whether
    the consensus needs the dropouts' absence. The verdicts are the study's
    own rule (:meth:`ConsensusRule.evaluate`), never a copy of it.

    References
    ----------
    Boers, M. et al. (2014). Developing core outcome measurement sets for
    clinical trials: OMERACT Filter 2.0. J Clin Epidemiol 67, 745-753.
    Williamson, P. R. et al. (2017). The COMET Handbook, §3.7 (attrition in
    Delphi surveys). Trials 18 (Suppl 3), 280.
    """
    cur = as_matrix(current, "current")
    prev = as_matrix(last, "last")
    if cur.shape[1] != prev.shape[1]:
        raise ValueError(f"current and last must have the same items (columns): "
                         f"{cur.shape[1]} and {prev.shape[1]}")
    scale = check_scale(scale)
    agree = check_band(agree, scale, "agree")
    quantiles = check_quantiles(quantiles)
    check_on_scale(cur, scale, "current")
    check_on_scale(prev, scale, "last")
    labels = check_items(items, cur.shape[1])
    if rule is not None and not isinstance(rule, ConsensusRule):
        raise ValueError("rule must be a ConsensusRule or None (RAND/UCLA)")
    kw = {"scale": scale, "agree": agree, "quantiles": quantiles, "rule": rule, "min_n": min_n,
          "labels": labels}
    verdict, n, agreement = _verdicts(cur, **kw)
    verdict_c, n_c, agreement_c = _verdicts(np.vstack([cur, prev]), **kw)
    holds = [a == b for a, b in zip(verdict, verdict_c)]
    return pd.DataFrame({
        "verdict": verdict, "verdict_carried": verdict_c,
        "n": np.asarray(n, dtype=np.int64), "n_carried": np.asarray(n_c, dtype=np.int64),
        "agreement": agreement if agreement is not None else [None] * len(labels),
        "agreement_carried": agreement_c if agreement_c is not None else [None] * len(labels),
        "holds": holds,
        "flagged": [v in SETTLED and not h for v, h in zip(verdict, holds)],
    }, index=pd.Index(labels, name="item"))
