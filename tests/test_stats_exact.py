"""Exact at every boundary (issue 14 part 1): thresholds decided on the rationals.

Every quantile of integer ratings is a rational; these tests compare the
verdicts with a brute-force computation in fractions.Fraction.
"""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from analysis import ConsensusRule, rand_ucla, subgroups, summarize_items
from analysis.descriptive import bands_overlap

ISSUE_14 = [1, 1, 1, 1, 6, 7, 7, 7, 7, 8, 9, 9, 9]


def column(values):
    return np.array(values, dtype=float)[:, np.newaxis]


def fraction_quantile(values, p, method):
    """Hyndman & Fan type 7 / type 6 by hand, in Fractions."""
    x = sorted(Fraction(v) for v in values)
    n = len(x)
    p = Fraction(p)
    h = (n - 1) * p + 1 if method == "type7" else min(max((n + 1) * p, Fraction(1)), Fraction(n))
    lo = int(h)  # floor, h > 0
    hi = min(lo + 1, n)
    return x[lo - 1] + (h - lo) * (x[hi - 1] - x[lo - 1])


def brute_rand(values, method):
    p30 = fraction_quantile(values, Fraction(3, 10), method)
    p70 = fraction_quantile(values, Fraction(7, 10), method)
    median = fraction_quantile(values, Fraction(1, 2), "type7")
    ipr = p70 - p30
    ipras = Fraction(235, 100) + Fraction(3, 2) * abs(5 - (p30 + p70) / 2)
    disagreement = ipr > ipras
    if disagreement:
        return p30, p70, True, "uncertain"
    if median >= 7:
        return p30, p70, False, "appropriate"
    if median <= 3:
        return p30, p70, False, "inappropriate"
    return p30, p70, False, "uncertain"


def test_issue_14_exact_tie_is_appropriate():
    # P30 = 4, P70 = 7.4, IPR = IPRAS = 3.4 exactly; strict ">" -> no disagreement.
    row = rand_ucla(column(ISSUE_14)).iloc[0]
    assert (row["p30"], row["p70"], row["ipr"], row["ipras"]) == (4.0, 7.4, 3.4, 3.4)
    assert row["di"] == 1.0
    assert not row["disagreement"] and row["classification"] == "appropriate"
    # The naive float computation flips it (the bug this fixes).
    p30, p70 = np.quantile(ISSUE_14, [0.3, 0.7])
    assert (p70 - p30) > 2.35 + 1.5 * abs(5 - (p30 + p70) / 2)


@settings(max_examples=400, deadline=None)
@given(counts=st.lists(st.integers(0, 4), min_size=9, max_size=9).filter(lambda c: sum(c) > 0),
       method=st.sampled_from(["type7", "type6"]))
def test_rand_ucla_matches_brute_force_fractions(counts, method):
    values = [v for v, c in zip(range(1, 10), counts) for _ in range(c)]
    row = rand_ucla(column(values), quantiles=method).iloc[0]
    p30, p70, disagreement, classification = brute_rand(values, method)
    assert row["p30"] == float(p30) and row["p70"] == float(p70)
    assert bool(row["disagreement"]) is disagreement
    assert row["classification"] == classification


def test_random_ties_search_finds_exact_ties_and_decides_them_exactly():
    rng = np.random.default_rng(14)
    ties = 0
    for _ in range(3000):
        values = rng.integers(1, 10, size=int(rng.integers(5, 16))).tolist()
        p30, p70, disagreement, classification = brute_rand(values, "type7")
        if p70 - p30 == Fraction(235, 100) + Fraction(3, 2) * abs(5 - (p30 + p70) / 2):
            ties += 1
        row = rand_ucla(column(values)).iloc[0]
        assert bool(row["disagreement"]) is disagreement and row["classification"] == classification
    assert ties > 0  # the search does reach exact ties


def brute_rule(values, scale, agree, iqr_max, agreement_min, method):
    x = sorted(values)
    q1 = fraction_quantile(x, Fraction(1, 4), method)
    q3 = fraction_quantile(x, Fraction(3, 4), method)
    share = Fraction(sum(agree[0] <= v <= agree[1] for v in x), len(x))
    return (q3 - q1 <= Fraction(str(iqr_max))) and share >= Fraction(str(agreement_min))


@settings(max_examples=300, deadline=None)
@given(values=st.lists(st.integers(1, 7), min_size=1, max_size=30),
       iqr_max=st.sampled_from([0.25, 0.5, 1, 1.5, 2]),
       agreement_min=st.sampled_from([0.5, 0.6, 0.7, 0.75, 0.8, 0.9]),
       method=st.sampled_from(["type7", "type6"]))
def test_consensus_rule_matches_brute_force_fractions(values, iqr_max, agreement_min, method):
    summary = summarize_items(column(values), scale=(1, 7), agree=(6, 7), quantiles=method)
    verdict = ConsensusRule(iqr_max=iqr_max, agreement_min=agreement_min).evaluate(summary)
    expected = brute_rule(values, (1, 7), (6, 7), iqr_max, agreement_min, method)
    assert (verdict.iloc[0]["verdict"] == "consensus_in") is expected


def test_agreement_of_exactly_seven_in_ten_reaches_seventy_percent():
    # 7/10 as a float is 0.7 but 0.7 * 10 is not 7 in binary: decided on the count.
    summary = summarize_items(column([5] * 7 + [1] * 3))
    rule = ConsensusRule(iqr_max=None, agreement_min=0.7)
    assert rule.evaluate(summary).iloc[0]["verdict"] == "consensus_in"
    assert ConsensusRule(iqr_max=None, agreement_min=0.71).evaluate(summary).iloc[0]["verdict"] == "no_consensus"


def test_iqr_is_the_exact_difference_rounded_once():
    # type 6, n = 10: q1 = 2.75, q3 = 6.25 exactly; IQR 3.5 (no 3.4999999).
    row = summarize_items(column([1, 2, 3, 3, 4, 4, 5, 6, 7, 7]), scale=(1, 7), quantiles="type6").iloc[0]
    assert (row["q1"], row["q3"], row["iqr"]) == (2.75, 6.25, 3.5)
    assert ConsensusRule(iqr_max=3.5, agreement_min=None).evaluate(
        summarize_items(column([1, 2, 3, 3, 4, 4, 5, 6, 7, 7]), scale=(1, 7), quantiles="type6")
    ).iloc[0]["iqr_ok"]


@pytest.mark.parametrize("band, overlaps", [((6, 7), False), ((5, 7), False), ((4, 7), True), ((3, 7), True)])
def test_mirrored_bands_on_seven_points_cannot_overlap(band, overlaps):
    assert bands_overlap(band, (1, 7)) is overlaps
    x = column([1, 4, 7])
    if overlaps:
        with pytest.raises(ValueError, match="overlaps its mirror"):
            summarize_items(x, scale=(1, 7), agree=band)
    else:
        row = summarize_items(x, scale=(1, 7), agree=band).iloc[0]
        assert row["agreement"] + row["disagreement"] <= 1


def test_default_band_follows_the_scale():
    assert summarize_items(column([1, 6, 7]), scale=(1, 7)).attrs["agree"] == (6, 7)
    assert summarize_items(column([1, 6, 7]), scale=(1, 9)).attrs["agree"] == (7, 9)


def test_kruskal_wallis_exactly_zero_gives_p_one():
    # Both groups have the same ratings: every mean rank equals the pooled one.
    x = column([1, 2, 3, 4, 5, 5, 4, 3, 2, 1])
    res = subgroups(x, ["a"] * 5 + ["b"] * 5, min_cell=1).tests.iloc[0]
    assert res["kw_statistic"] == 0.0 and res["kw_pvalue"] == 1.0
    # scipy's textbook form leaves cancellation fuzz (or not), but agrees to 1e-12.
    assert stats.kruskal([1, 2, 3, 4, 5], [5, 4, 3, 2, 1]).statistic == pytest.approx(0, abs=1e-12)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(1, 5), min_size=6, max_size=30), st.integers(0, 2**32 - 1))
def test_kruskal_wallis_matches_scipy(values, seed):
    rng = np.random.default_rng(seed)
    groups = rng.choice(["a", "b", "c"], size=len(values)).tolist()
    res = subgroups(column(values), groups, min_cell=1).tests.iloc[0]
    present = sorted(set(groups))
    if len(present) < 2 or len(set(values)) < 2:
        assert res["kw_statistic"] is None
        return
    ref = stats.kruskal(*[[v for v, g in zip(values, groups) if g == name] for name in present])
    assert res["kw_statistic"] == pytest.approx(ref.statistic, rel=1e-10, abs=1e-12)
    assert res["kw_pvalue"] == pytest.approx(ref.pvalue, rel=1e-9, abs=1e-12)
