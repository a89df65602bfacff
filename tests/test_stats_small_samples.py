"""Small samples (issue 14 part 2) and missing data in concordance (part 3)."""

import itertools
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from analysis import (
    choose_concordance,
    kendall_w,
    kendall_w_incomplete,
    signed_rank_exact_pvalue,
    stability,
    weighted_kappa,
)


def col(values):
    return np.array(values, dtype=float)[:, np.newaxis]


# --- Wilcoxon -----------------------------------------------------------------

def test_five_pairs_all_plus_one_give_the_exact_p():
    res = stability(col([1, 2, 3, 4, 1]), col([2, 3, 4, 5, 2]), scale=(1, 5)).iloc[0]
    assert res["wilcoxon_p"] == 0.0625 and res["wilcoxon_pvalue_exact"] == 0.0625
    assert res["wilcoxon_p_method"] == "exact_conditional"  # |d| all tie at 1
    assert res["wilcoxon_pvalue"] == pytest.approx(0.0253, abs=1e-4)  # the old, misleading figure


def brute_force_p(d):
    """Two-sided exact p over all 2^n sign flips of the midranks (R's rule)."""
    ranks = stats.rankdata(np.abs(d))
    v = ranks[d > 0].sum()
    mean = ranks.sum() / 2
    null = [sum(r for r, s in zip(ranks, signs) if s) for signs in itertools.product([0, 1], repeat=len(d))]
    tail = sum(x >= v - 1e-9 for x in null) if v > mean else sum(x <= v + 1e-9 for x in null)
    return min(1.0, 2 * tail / len(null))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(-4, 4).filter(lambda x: x != 0), min_size=1, max_size=12))
def test_exact_p_equals_brute_force_enumeration(d):
    before = np.full(len(d), 5.0)
    res = stability(col(before), col(before + np.array(d)), scale=(1, 9)).iloc[0]
    assert res["wilcoxon_p"] == pytest.approx(brute_force_p(np.array(d)), abs=1e-12)
    assert res["wilcoxon_p_method"] in ("exact", "exact_conditional")


def test_without_ties_the_exact_p_is_scipys_exact_p():
    # |d| = 1..8, all distinct (a 1..17 scale), signs mixed: R's psignrank p.
    d = np.array([1, -2, 3, 4, -5, 6, 7, 8])
    before = np.full(8, 9.0)
    res = stability(col(before), col(before + d), scale=(1, 17)).iloc[0]
    assert res["wilcoxon_p_method"] == "exact"
    assert res["wilcoxon_p"] == pytest.approx(stats.wilcoxon(d, method="exact").pvalue, abs=1e-12)
    assert signed_rank_exact_pvalue(2 * np.arange(1, 9), 2 * 29) == pytest.approx(
        stats.wilcoxon(d, method="exact").pvalue)


def test_zeros_or_more_than_fifty_use_the_corrected_normal_approximation():
    b = col([3, 3, 3, 3, 3, 3])
    a = col([4, 4, 4, 3, 5, 4])  # one zero difference
    res = stability(b, a, scale=(1, 5)).iloc[0]
    assert res["wilcoxon_p_method"] == "normal_cc" and res["wilcoxon_pvalue_exact"] is None
    d = (a - b).ravel()
    ref = stats.wilcoxon(d, zero_method="wilcox", correction=True, method="approx")
    assert res["wilcoxon_p"] == pytest.approx(ref.pvalue)
    rng = np.random.default_rng(3)
    before = rng.integers(2, 5, size=51).astype(float)
    after = before + rng.choice([-1, 1], size=51)
    big = stability(col(before), col(after), scale=(1, 5)).iloc[0]
    assert big["wilcoxon_p_method"] == "normal_cc"


# --- McNemar and kappa --------------------------------------------------------

def test_mcnemar_stays_exact_at_small_counts():
    b, a = col([5, 5, 5, 1]), col([1, 1, 1, 1])  # three cross from agree to not
    res = stability(b, a, scale=(1, 5)).iloc[0]
    assert (res["mcnemar_b"], res["mcnemar_c"]) == (3, 0)
    assert res["mcnemar_pvalue"] == stats.binomtest(3, 3, 0.5).pvalue == 0.25


def test_cohen_1968_weighted_kappa_example():
    # Cohen (1968): proportions x 100 of 200 subjects, disagreement weights 1, 3, 6.
    table = [[44, 7, 9], [5, 20, 5], [1, 3, 6]]
    weights = [[0, 1, 3], [1, 0, 6], [3, 6, 0]]
    assert round(weighted_kappa(table, weights), 3) == 0.348  # Cohen reports .348
    assert weighted_kappa(table, weights) == float(Fraction(8, 23))
    unweighted = 1 - np.eye(3, dtype=int)
    assert round(weighted_kappa(table, unweighted), 3) == 0.492  # and .492 unweighted


def brute_kappa(b, a, power):
    """1 - mean |d|^p over the pairs / mean |d|^p over all n^2 pairings."""
    n = len(b)
    observed = sum(abs(x - y) ** power for x, y in zip(b, a)) / n
    expected = sum(abs(x - y) ** power for x in b for y in a) / n ** 2
    return None if expected == 0 else 1 - observed / expected


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 5), st.integers(1, 5)), min_size=2, max_size=25))
def test_weighted_kappa_equals_brute_force(pairs):
    b = [p[0] for p in pairs]
    a = [p[1] for p in pairs]
    res = stability(col(b), col(a), scale=(1, 5)).iloc[0]
    for name, power in (("kappa_linear", 1), ("kappa_quadratic", 2)):
        want = brute_kappa(b, a, power)
        if want is None:
            assert res[name] is None
        else:
            assert res[name] == pytest.approx(want, abs=1e-12)
    table = np.zeros((5, 5), dtype=int)
    for x, y in pairs:
        table[x - 1, y - 1] += 1
    if res["kappa_linear"] is not None:
        assert weighted_kappa(table, "linear") == pytest.approx(res["kappa_linear"], abs=1e-15)


# --- below the minimum n ------------------------------------------------------

def test_statistics_below_min_n_are_too_few_answers():
    x = np.array([[1, 2, 3], [1, 2, 3], [3, 2, 1]], dtype=float)
    w = kendall_w(x, min_n=4)
    assert w.w is None and w.too_few and w.reason == "too few answers" and w.n_raters == 3
    assert kendall_w(x, min_n=3).w is not None
    sm = kendall_w_incomplete(x, min_n=4)
    assert sm.w is None and sm.too_few
    res = stability(x, x[::-1], scale=(1, 5), min_n=4).iloc[0]
    assert res["too_few"] and res["reason"] == "too few answers"
    assert res["wilcoxon_p"] is None and res["kappa"] is None and res["pct_change"] is None


# --- Skillings-Mack -----------------------------------------------------------

SKILLINGS_MACK_1981 = np.array([  # Table 1: 9 blocks (rows) x 4 assembly methods, 5 missing
    [3.2, 4.1, 3.8, 4.2], [3.1, 3.9, 3.4, 4.0], [4.3, 3.5, 4.6, 4.8],
    [3.5, 3.6, 3.9, 4.0], [3.6, 4.2, 3.7, 3.9], [4.5, 4.7, 3.7, np.nan],
    [np.nan, 4.2, 3.4, np.nan], [4.3, 4.6, 4.4, 4.9], [3.5, np.nan, 3.7, 3.9],
])


def test_skillings_mack_published_example():
    # R Skillings.Mack::Ski.Mack on Skillings & Mack (1981) Table 1: SM = 15.493049, df 3, p 0.001440.
    res = kendall_w_incomplete(SKILLINGS_MACK_1981)
    assert res.statistic == pytest.approx(15.493049, abs=1e-6)
    assert res.df == 3 and res.pvalue == pytest.approx(0.001440, abs=1e-6)
    assert res.n_raters == 9 and res.n_dropped == 0
    listwise = kendall_w(SKILLINGS_MACK_1981)
    assert listwise.n_raters == 6 and listwise.n_dropped == 3
    assert choose_concordance(listwise, res, 9) == "incomplete"  # 6 of 9 < 80 %


def brute_sm(x):
    """Skillings & Mack's form: drop the last item and invert the (n-1)x(n-1) covariance."""
    n = x.shape[1]
    a = np.zeros(n)
    lam = np.zeros((n, n))
    for row in x:
        seen = ~np.isnan(row)
        k = seen.sum()
        if k < 2:
            continue
        r = stats.rankdata(row[seen])
        a[seen] += np.sqrt(12 / (k + 1)) * (r - (k + 1) / 2)
        lam += np.outer(seen, seen)
    sigma = -lam
    np.fill_diagonal(sigma, 0)
    np.fill_diagonal(sigma, -sigma.sum(axis=0))
    return float(a[:-1] @ np.linalg.solve(sigma[:-1, :-1], a[:-1]))


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_skillings_mack_equals_the_reduced_inverse_form(seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 6, size=(8, 4)).astype(float)
    x[rng.random(x.shape) < 0.2] = np.nan
    x[:, :][np.isnan(x).sum(axis=1) > 2] = [1, 2, 3, 4]  # keep every panellist with 2+ ratings
    res = kendall_w_incomplete(x)
    if res.statistic is not None and res.df == 3:
        assert res.statistic == pytest.approx(brute_sm(x), rel=1e-9, abs=1e-9)


def test_complete_data_gives_kendalls_w_and_friedman():
    rng = np.random.default_rng(5)
    x = np.array([rng.permutation(6) + 1 for _ in range(7)], dtype=float)  # no ties
    res = kendall_w_incomplete(x)
    assert res.w == pytest.approx(kendall_w(x).w, abs=1e-12)
    assert res.statistic == pytest.approx(stats.friedmanchisquare(*x.T).statistic, abs=1e-10)


def test_default_rule_keeps_listwise_while_it_keeps_most_raters():
    x = np.array([[1, 2, 3]] * 9 + [[1, 2, np.nan]], dtype=float)  # 9 of 10 complete
    assert choose_concordance(kendall_w(x), kendall_w_incomplete(x), 10, min_n=5) == "listwise"
    assert choose_concordance(kendall_w(x), kendall_w_incomplete(x), 10, min_n=10) == "incomplete"
