"""Statistics of ranking questions: each panellist orders a list of options.

A panellist's answer is a list of option ids, best first. It may be partial
(the top k only); the options left out share the remaining ranks (mid-rank).
:func:`rank_matrix` turns the answers into a rank matrix (rows = panellists,
columns = options, 1 = best, NaN row = no answer), :func:`summarize_ranking`
gives mean ranks, rank sums, top-k shares and Kendall's W of that matrix, and
:func:`kendall_w_exact` the exact W for threshold decisions
(:func:`at_least`). Conventions and references: ``docs/statistics.md``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from numbers import Integral

import numpy as np
from scipy import stats

from ._validation import as_matrix
from .concordance import kendall_w
from .quantities import _exact_number, _limit, _short

__all__ = [
    "RankingSummary",
    "at_least",
    "kendall_w_exact",
    "rank_matrix",
    "summarize_ranking",
]


def _check_options(options, name: str = "options") -> list:
    if isinstance(options, (str, bytes)) or not isinstance(options, Sequence):
        try:
            options = list(options)
        except TypeError as exc:
            raise ValueError(f"{name} must be a sequence of option ids") from exc
    labels = list(options)
    for label in labels:
        if not isinstance(label, Hashable):
            # ValueError, not TypeError: every bad argument of analysis raises ValueError.
            raise ValueError(f"{name} must hold hashable option ids, got {_short(label)}")  # noqa: TRY004
    seen = Counter(labels)
    repeated = [label for label, count in seen.items() if count > 1]
    if repeated:
        raise ValueError(f"{name} lists option id(s) more than once: {_short(repeated)}")
    if not labels:
        raise ValueError(f"{name} must list at least one option id")
    return labels


def rank_matrix(rankings, options) -> np.ndarray:
    """The rank matrix of the panel's (possibly partial) rankings.

    Parameters
    ----------
    rankings : sequence of (sequence or None)
        One entry per panellist: the option ids they ranked, best first.
        A partial ranking lists only the top k. ``None`` or an empty list =
        no answer.
    options : sequence
        Every option id of the question; the columns, in this order.

    Returns
    -------
    ndarray of float, shape (len(rankings), len(options))
        ``[i, j]`` = panellist i's rank of option j, 1 = best; a row of NaN
        for no answer.

    Raises
    ------
    ValueError
        If an answer names an id not in ``options`` or names one twice, is
        not a list of ids, or ``options`` repeats an id.

    Notes
    -----
    A panellist who ranks r of the m options gives them ranks 1..r; the
    m - r unranked options form one tie for the remaining ranks r+1..m and
    each gets their mean, ``(r + 1 + m) / 2``: the mid-rank convention for
    tied ranks (Kendall 1970), and the option's average rank over all the
    complete rankings compatible with the partial one (Critchlow 1985
    identifies a top-r ranking with that set of rankings). Every
    row then sums to m(m + 1)/2, like a complete ranking, so rank sums, the
    Friedman statistic and Kendall's tie-corrected W apply unchanged. A
    ranking of m - 1 options is complete (the last rank is forced).

    References
    ----------
    Kendall, M. G. (1970). Rank Correlation Methods, 4th ed. Griffin.
    Critchlow, D. E. (1985). Metric Methods for Analyzing Partially Ranked
    Data. Lecture Notes in Statistics 34. Springer.

    Examples
    --------
    >>> rank_matrix([[30, 10], None, [20, 30, 10, 40]], [10, 20, 30, 40])
    array([[2. , 3.5, 1. , 3.5],
           [nan, nan, nan, nan],
           [3. , 1. , 2. , 4. ]])
    """
    labels = _check_options(options)
    column = {label: j for j, label in enumerate(labels)}
    m = len(labels)
    if isinstance(rankings, (str, bytes)):
        raise ValueError(  # noqa: TRY004
            "rankings must be a sequence with one ranking (a list of option ids) per panellist"
        )
    try:
        answers = list(rankings)
    except TypeError as exc:
        raise ValueError(
            "rankings must be a sequence with one ranking (a list of option ids) per panellist"
        ) from exc
    out = np.full((len(answers), m), np.nan)
    for i, answer in enumerate(answers):
        if answer is None:
            continue
        if isinstance(answer, np.ndarray) and answer.ndim == 1:
            answer = answer.tolist()
        if isinstance(answer, (str, bytes)) or not isinstance(answer, Sequence):
            raise ValueError(  # noqa: TRY004
                f"rankings[{i}] must be a list of option ids (best first) or None, "
                f"got {_short(answer)}"
            )
        if len(answer) == 0:
            continue
        row = np.empty(m)
        placed = np.zeros(m, dtype=bool)
        for rank, option in enumerate(answer, start=1):
            try:
                j = column.get(option)
            except TypeError:
                j = None
            if j is None:
                raise ValueError(f"rankings[{i}] names an unknown option id {_short(option)}")
            if placed[j]:
                raise ValueError(f"rankings[{i}] names option id {_short(option)} more than once")
            placed[j] = True
            row[j] = rank
        r = len(answer)
        row[~placed] = (r + 1 + m) / 2.0
        out[i] = row
    return out


def _check_ranks(ranks, m: int) -> np.ndarray:
    """Validate a rank matrix: m columns, rows all-NaN or a ranking of 1..m (mid-ranks allowed)."""
    arr = as_matrix(ranks, "ranks")
    if arr.shape[1] != m:
        raise ValueError(f"ranks has {arr.shape[1]} columns but there are {m} options")
    missing = np.isnan(arr)
    partial = missing.any(axis=1) & ~missing.all(axis=1)
    if partial.any():
        i = int(np.flatnonzero(partial)[0])
        raise ValueError(f"ranks row {i} is partly missing; a row is a whole ranking or all NaN")
    answered = arr[~missing.any(axis=1)]
    if answered.size:
        if answered.min() < 1 or answered.max() > m:
            raise ValueError(f"ranks must lie in 1..{m} (1 = best)")
        if (np.round(2 * answered) != 2 * answered).any():
            raise ValueError("ranks must be whole or half ranks (mid-ranks of a tie)")
        if (answered.sum(axis=1) != m * (m + 1) / 2).any():
            raise ValueError(f"every row of ranks must be a ranking of 1..{m} (sum {m * (m + 1) // 2})")
    return arr


def _explicit_from_ties(arr: np.ndarray) -> np.ndarray:
    """True where a rank is not shared with another option of the same row."""
    explicit = np.zeros(arr.shape, dtype=bool)
    for i, row in enumerate(arr):
        if np.isnan(row).any():
            continue
        values, counts = np.unique(row, return_counts=True)
        shared = values[counts > 1]
        explicit[i] = ~np.isin(row, shared)
    return explicit


@dataclass(frozen=True)
class RankingSummary:
    """Result of :func:`summarize_ranking`.

    Attributes
    ----------
    n : int
        Panellists who answered (a ranking of at least one option).
    n_missing : int
        Panellists without an answer (a row of NaN).
    options : tuple
        The option ids, in column order (ints in the engine; any hashable ids
        are kept as given).
    mean_rank, rank_sum : tuple of (float or None)
        Per option, over the n answering panellists (1 = best, so a lower
        mean rank = preferred); None when n = 0.
    top3_share : tuple of (float or None)
        Per option, the share (0..1) of the n panellists who explicitly
        placed it at rank <= ``top`` (3 by default); None when n = 0.
    w, w_uncorrected : float or None
        Kendall's W, tie-corrected (headline) and uncorrected; None when
        undefined (fewer than 2 answers or options, or every answer ties
        every option).
    chi2, df, pvalue : float, int, float or None
        ``chi2 = n (m - 1) W`` on ``df = m - 1`` (m options); upper-tail p.
    reason : str or None
        Why ``w`` is None.
    """

    n: int
    n_missing: int
    options: tuple[int, ...]
    mean_rank: tuple[float | None, ...]
    rank_sum: tuple[float | None, ...]
    top3_share: tuple[float | None, ...]
    w: float | None
    w_uncorrected: float | None
    chi2: float | None
    df: int | None
    pvalue: float | None
    reason: str | None = None


def summarize_ranking(ranks, options, *, top: int = 3, explicit=None) -> RankingSummary:
    """Mean ranks, rank sums, top-k shares and Kendall's W of a ranking question.

    Parameters
    ----------
    ranks : array_like, shape (n_panellists, m)
        A rank matrix as from :func:`rank_matrix`: rows = panellists, columns
        = options, 1 = best, mid-ranks for an unranked tail, a row of NaN
        for no answer.
    options : sequence
        The m option ids, in column order.
    top : int, default 3
        The "top" of ``top3_share``: ranks 1..top.
    explicit : array_like of bool, shape like ``ranks``, optional
        True where the panellist placed the option themselves. Default:
        inferred from ``ranks`` — a rank shared by two or more options of
        the row is the unranked tail of a partial ranking (not explicit);
        every other rank is explicit (a panellist who ranked m - 1 of m
        options has placed the last one too). Pass it when a panellist can
        explicitly tie options.

    Returns
    -------
    RankingSummary

    Raises
    ------
    ValueError
        If ``ranks`` is not a rank matrix with one column per option (rows
        all NaN or a ranking of 1..m summing to m(m + 1)/2), ``options``
        repeats an id, ``top`` is not a positive integer, or ``explicit``
        has another shape.

    Notes
    -----
    ``rank_sum_j = sum_i R_ij`` and ``mean_rank_j = rank_sum_j / n`` over the
    n answering panellists. ``top3_share_j`` counts the panellists with
    ``R_ij <= top`` and option j placed explicitly: the tail of a partial
    ranking shares the mid-rank (r + 1 + m)/2, which can be <= top (r = 1
    of m = 4 gives 3) though none of those options was put in the top.

    Kendall's W is :func:`analysis.kendall_w` on the rank matrix (panellists
    as raters, options as items; the ranks are their own ranks), tie-
    corrected for the mid-rank tails (Kendall & Babington Smith 1939;
    Siegel & Castellan 1988 section 9.4); ``chi2 = n (m - 1) W`` on
    ``df = m - 1`` is the tie-corrected Friedman statistic. Schmidt (1997)
    proposed W as the stopping measure for ranking-type Delphi rounds; see
    :func:`analysis.interpret_w` for his anchors.

    References
    ----------
    Kendall, M. G. & Babington Smith, B. (1939). The problem of m rankings.
    Annals of Mathematical Statistics 10, 275-287.
    Schmidt, R. C. (1997). Managing Delphi surveys using nonparametric
    statistical techniques. Decision Sciences 28(3), 763-774.
    Siegel, S. & Castellan, N. J. (1988). Nonparametric Statistics for the
    Behavioral Sciences, 2nd ed. McGraw-Hill.
    """
    labels = _check_options(options)
    m = len(labels)
    arr = _check_ranks(ranks, m)
    if isinstance(top, (bool, np.bool_)) or not isinstance(top, (Integral, np.integer)) or top < 1:
        raise ValueError(f"top must be a positive integer, got {_short(top)}")
    if explicit is None:
        placed = _explicit_from_ties(arr)
    else:
        placed = np.asarray(explicit)
        if placed.shape != arr.shape:
            raise ValueError(f"explicit must have the shape of ranks {arr.shape}, got {placed.shape}")
        if placed.dtype != bool:
            raise ValueError("explicit must be a boolean matrix (True = placed by the panellist)")

    answered = ~np.isnan(arr).any(axis=1)
    x = arr[answered]
    n = int(x.shape[0])
    n_missing = int(arr.shape[0] - n)
    if n == 0:
        nothing = (None,) * m
        mean_rank = rank_sum = top_share = nothing
    else:
        sums = x.sum(axis=0)  # halves: exact in binary floating point
        rank_sum = tuple(float(s) for s in sums)
        mean_rank = tuple(float(Fraction(float(s)) / n) for s in sums)
        in_top = (x <= top) & placed[answered]
        top_share = tuple(float(c) / n for c in in_top.sum(axis=0))

    if m >= 2 and n >= 2:
        res = kendall_w(x)
        w, w_u, chi2, df, pvalue, reason = res.w, res.w_uncorrected, res.chi2, res.df, res.pvalue, res.reason
    else:
        w = w_u = chi2 = df = pvalue = None
        reason = (
            f"W needs at least 2 options; got {m}" if m < 2
            else f"W needs at least 2 panellists with a ranking; {n} answered"
        )
    return RankingSummary(
        n=n, n_missing=n_missing, options=tuple(labels),
        mean_rank=mean_rank, rank_sum=rank_sum, top3_share=top_share,
        w=w, w_uncorrected=w_u, chi2=chi2, df=df, pvalue=pvalue, reason=reason,
    )


def _exact_row_ranks(row: Sequence[Fraction]) -> tuple[list[Fraction], int]:
    """Average ranks (1 = lowest) of one row, exactly, and its tie total sum(t^3 - t)."""
    counts = Counter(row)
    below = 0
    average = {}
    for value in sorted(counts):
        t = counts[value]
        average[value] = below + Fraction(t + 1, 2)
        below += t
    ties = sum(t ** 3 - t for t in counts.values())
    return [average[v] for v in row], ties


def kendall_w_exact(ranks) -> Fraction | None:
    """Kendall's tie-corrected W as an exact :class:`~fractions.Fraction`.

    Parameters
    ----------
    ranks : array_like, shape (n_panellists, m)
        Rows = panellists, columns = options (as :func:`rank_matrix`); rows
        with a NaN are left out (listwise, as :func:`analysis.kendall_w`).
        Each row is re-ranked exactly (average ranks for ties), so any real
        scores give the W of :func:`analysis.kendall_w`.

    Returns
    -------
    fractions.Fraction or None
        ``W_t = 12 S / (n^2 (m^3 - m) - n T)`` in exact arithmetic (S and T
        as in :func:`analysis.kendall_w`, n panellists, m options); None
        where W is undefined (fewer than 2 complete rows or 2 columns, or a
        zero denominator: every row all tied). Use with :func:`at_least`.

    Raises
    ------
    ValueError
        If ``ranks`` is not a 2-D numeric array or holds infinite values.

    References
    ----------
    Kendall, M. G. & Babington Smith, B. (1939). The problem of m rankings.
    Annals of Mathematical Statistics 10, 275-287.
    Siegel, S. & Castellan, N. J. (1988). Nonparametric Statistics for the
    Behavioral Sciences, 2nd ed., section 9.4. McGraw-Hill.

    Examples
    --------
    >>> kendall_w_exact([[1, 2, 3], [1, 3, 2]])
    Fraction(3, 4)
    """
    arr = as_matrix(ranks, "ranks")
    x = arr[~np.isnan(arr).any(axis=1)]
    n, m = x.shape
    if n < 2 or m < 2:
        return None
    # Average ranks within each row are halves at worst: doubled, they are exact
    # integers, and so are S and T (12 S = 3 sum_j (D_j - n (m + 1))^2 with D the
    # doubled rank sums). Vectorised; Python integers for the final sums.
    doubled = np.rint(2 * stats.rankdata(x, axis=1)).astype(np.int64)
    rank_sums = doubled.sum(axis=0)
    s3 = sum(int(d - n * (m + 1)) ** 2 for d in rank_sums) * 3
    offsets = doubled + (2 * m + 1) * np.arange(n, dtype=np.int64)[:, None]
    t = np.bincount(offsets.ravel(), minlength=n * (2 * m + 1)).astype(object)
    ties = int(sum(t ** 3 - t))
    denom = n * n * (m ** 3 - m) - n * ties
    if denom <= 0:
        return None
    return Fraction(s3, denom)


def at_least(exact: Fraction | None, limit) -> bool | None:
    """Decide ``exact >= limit`` exactly; None when *exact* is None.

    The limit is taken as written, ``Fraction(str(limit))`` (0.7 means
    7/10), as in :func:`analysis.quantities.at_most`.

    Raises
    ------
    ValueError
        If *limit* is not a finite number.
    """
    bound = _limit(limit)
    if exact is None:
        return None
    return _exact_number(exact, "exact") >= bound

