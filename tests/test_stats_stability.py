"""Stability between rounds: hand-computed example and scipy cross-checks."""

import math

import numpy as np
import pytest
from scipy import stats

from analysis import stability

# Hand-computed example: 10 panellists rate one item on 1..5 in two rounds.
BEFORE = [3, 4, 4, 5, 2, 3, 4, 5, 3, 4]
AFTER = [4, 4, 5, 5, 3, 3, 4, 4, 4, 5]


def as_column(values):
    return np.array(values, dtype=float)[:, np.newaxis]


def test_hand_computed_example():
    row = stability(as_column(BEFORE), as_column(AFTER), scale=(1, 5)).iloc[0]
    assert row["n_pairs"] == 10
    # Differences after - before: +1 x5, -1 x1, 0 x4 (dropped). nr = 6, all
    # |d| = 1 tie at rank 3.5: V = 5 * 3.5 = 17.5; E[V] = 6*7/4 = 10.5;
    # var = 6*7*13/24 - (6^3 - 6)/48 = 22.75 - 4.375 = 18.375, so
    # z^2 = 49/18.375 = 8/3 and, corrected, z^2 = 6.5^2/18.375.
    # (Same V as reference case D02 item 6: p = 0.102 uncorrected, 0.129 R.)
    assert row["wilcoxon_statistic"] == 17.5
    assert row["wilcoxon_z"] == pytest.approx(math.sqrt(8 / 3))
    assert row["wilcoxon_pvalue"] == pytest.approx(math.erfc(math.sqrt(8 / 3) / math.sqrt(2)))
    assert row["wilcoxon_pvalue"] == pytest.approx(0.102, abs=5e-4)
    z_cc = 6.5 / math.sqrt(18.375)
    assert row["wilcoxon_pvalue_cc"] == pytest.approx(math.erfc(z_cc / math.sqrt(2)))
    assert row["wilcoxon_pvalue_cc"] == pytest.approx(0.129, abs=5e-4)
    # Scheibe: counts at 2..5 before 1, 3, 4, 2 and after 0, 2, 5, 3:
    # (1 + 1 + 0 + 2) / 2 / 10 = 0.2 >= 0.15: not stable.
    assert row["pct_change"] == pytest.approx(0.2)
    assert not row["stable"]
    # McNemar on agree = 4-5: b (agree -> not) = 0, c (not -> agree) = 2:
    # exact p = 2 * 0.5^2 = 0.5.
    assert (row["mcnemar_b"], row["mcnemar_c"]) == (0, 2)
    assert row["mcnemar_pvalue"] == pytest.approx(0.5)
    # Kappa: p_o = 4/10; p_e = (1*0 + 3*2 + 4*5 + 2*3)/100 = 0.32;
    # (0.4 - 0.32)/0.68 = 2/17.
    assert row["kappa"] == pytest.approx(2 / 17)
    assert row["reason"] is None


def test_no_change_is_a_result_not_an_error():
    # Everyone gives 4 in both rounds (reference case D02 item 4).
    x = as_column([4] * 8)
    row = stability(x, x, scale=(1, 5)).iloc[0]
    assert row["pct_change"] == 0 and row["stable"]
    assert row["wilcoxon_statistic"] is None and row["wilcoxon_pvalue"] is None
    assert row["mcnemar_pvalue"] is None and row["kappa"] is None
    assert "no change" in row["reason"] and "McNemar" in row["reason"] and "kappa" in row["reason"]


def test_unchanged_but_varied_ratings_give_kappa_one():
    x = as_column([1, 2, 3, 4, 5, 5])
    row = stability(x, x, scale=(1, 5)).iloc[0]
    assert row["kappa"] == 1.0 and row["wilcoxon_pvalue"] is None


def test_pairs_only_where_both_rounds_rated():
    before = np.array([[1, np.nan], [2, 3], [np.nan, 3], [4, np.nan]])
    after = np.array([[2, 3], [2, np.nan], [5, np.nan], [4, np.nan]])
    out = stability(before, after, scale=(1, 5))
    assert out["n_pairs"].tolist() == [3, 0]
    assert out["pct_change"].iloc[1] is None and "both rounds" in out["reason"].iloc[1]


@pytest.mark.parametrize("seed", range(6))
def test_cross_check_scipy_wilcoxon_binomtest_and_kappa(seed):
    rng = np.random.default_rng(seed)
    before = rng.integers(1, 8, size=(35, 10)).astype(float)
    after = np.clip(before + rng.integers(-2, 3, size=before.shape), 1, 7)
    before[rng.random(before.shape) < 0.1] = np.nan
    after[rng.random(after.shape) < 0.1] = np.nan
    out = stability(before, after, scale=(1, 7), agree=(6, 7))
    for j in range(before.shape[1]):
        ok = ~np.isnan(before[:, j]) & ~np.isnan(after[:, j])
        b, a = before[ok, j], after[ok, j]
        row = out.iloc[j]
        assert row["n_pairs"] == ok.sum()
        plain = stats.wilcoxon(a, b, zero_method="wilcox", correction=False, method="approx")
        cc = stats.wilcoxon(a, b, zero_method="wilcox", correction=True, method="approx")
        d = a - b
        nr = np.count_nonzero(d)
        v = row["wilcoxon_statistic"]
        assert min(v, nr * (nr + 1) / 2 - v) == pytest.approx(plain.statistic)  # scipy: min(T+, T-)
        assert abs(row["wilcoxon_z"]) == pytest.approx(abs(plain.zstatistic), rel=1e-12)
        assert row["wilcoxon_pvalue"] == pytest.approx(plain.pvalue, rel=1e-10)
        assert row["wilcoxon_pvalue_cc"] == pytest.approx(cc.pvalue, rel=1e-10)
        if nr:
            nz = d[d != 0]
            v_ref = stats.rankdata(np.abs(nz))[nz > 0].sum()  # R's V: ranks of positive d
            assert v == pytest.approx(v_ref)
        agree_b, agree_a = b >= 6, a >= 6
        nb, nc = int(np.sum(agree_b & ~agree_a)), int(np.sum(~agree_b & agree_a))
        assert (row["mcnemar_b"], row["mcnemar_c"]) == (nb, nc)
        if nb + nc:
            assert row["mcnemar_pvalue"] == pytest.approx(stats.binomtest(nb, nb + nc, 0.5).pvalue, rel=1e-10)
        cats = np.arange(1, 8)
        po = np.mean(a == b)
        pe = sum(np.mean(b == c) * np.mean(a == c) for c in cats)
        assert row["kappa"] == pytest.approx((po - pe) / (1 - pe), rel=1e-10)


def test_kappa_matches_sklearn():
    metrics = pytest.importorskip("sklearn.metrics", reason="scikit-learn not installed")
    rng = np.random.default_rng(5)
    b = rng.integers(1, 6, size=40)
    a = np.clip(b + rng.integers(-1, 2, size=40), 1, 5)
    row = stability(as_column(b), as_column(a), scale=(1, 5)).iloc[0]
    assert row["kappa"] == pytest.approx(metrics.cohen_kappa_score(b, a), rel=1e-12)


def test_scale_inferred_when_not_given():
    row = stability(as_column(BEFORE), as_column(AFTER)).iloc[0]
    assert row["kappa"] == pytest.approx(2 / 17)


@pytest.mark.parametrize(
    "before, after, kwargs, fragment",
    [
        ([[1, 2]], [[1, 2, 3]], {}, "same shape"),
        ([1, 2], [1, 2], {}, "before must be 2-D"),
        ([[1, 2]], [[1, 6]], {"scale": (1, 5)}, "after has values off the scale"),
        ([[1.5, 2]], [[1, 2]], {}, "non-integer"),
        ([[1, 2]], [[1, 2]], {"scale": (1, 5), "agree": (5, 6)}, "agree"),
        ([[1, 2]], [[1, 2]], {"agree": 4}, "agree"),
        ([[1, 2]], [[1, 2]], {"agree": (4.5, 5)}, "agree"),
    ],
)
def test_invalid(before, after, kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        stability(before, after, **kwargs)
