"""analysis.opinion_change and analysis.strata."""
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis import subgroups
from analysis.opinion_change import opinion_change
from analysis.strata import epsilon_squared, translation_flag


def test_worked_example_by_hand():
    # Median shown: 3. Before 1 2 3 5 5, after 2 2 3 4 5.
    before = np.array([[1, 2, 3, 5, 5]], float).T
    after = np.array([[2, 2, 3, 4, 5]], float).T
    row = opinion_change(before, after, [3.0]).iloc[0]
    assert row["n_pairs"] == 5 and row["moved"] == 0.4
    assert row["toward"] == 0.4 and row["away"] == 0.0
    # mean |b - 3| = 7/5, mean |a - 3| = 5/5: 0.4 points closer, 2/7 of the distance.
    assert row["conformity"] == pytest.approx(0.4)
    assert row["conformity_ratio"] == pytest.approx(2 / 7)
    assert row["sign_pvalue"] == pytest.approx(0.5)  # 2 toward, 0 away: 2 * (1/2)^2


def test_cross_checks_spearman_slope_fisher():
    rng = np.random.default_rng(3)
    before = rng.integers(1, 8, (30, 1)).astype(float)
    med = np.array([4.0])
    after = np.clip(np.round(before + 0.5 * (med - before) + rng.normal(0, 0.6, before.shape)), 1, 7)
    gave = rng.random((30, 1)) < 0.4
    row = opinion_change(before, after, med, gave_reasons=gave).iloc[0]
    d_b = np.abs(before[:, 0] - 4)
    d_a = np.abs(after[:, 0] - 4)
    shift = np.abs(after[:, 0] - before[:, 0])
    rho = pd.Series(d_b).corr(pd.Series(shift), method="spearman")
    assert row["shift_rho"] == pytest.approx(rho)
    assert row["shift_slope"] == pytest.approx(np.polyfit(d_b, d_b - d_a, 1)[0])
    moved = shift > 0
    g = gave[:, 0]
    a, b = int((moved & g).sum()), int((~moved & g).sum())
    c, d = int((moved & ~g).sum()), int((~moved & ~g).sum())
    # Two-sided Fisher by brute force over the hypergeometric support.
    dist = stats.hypergeom(a + b + c + d, a + c, a + b)
    support = np.arange(max(0, a + b - (b + d)), min(a + b, a + c) + 1)
    pmf = dist.pmf(support)
    brute = pmf[pmf <= dist.pmf(a) * (1 + 1e-7)].sum()
    assert row["reasons_pvalue"] == pytest.approx(brute)
    assert row["moved_reasons"] == pytest.approx(moved[g].mean())
    assert row["toward"] > row["away"] and row["conformity_ratio"] > 0


def test_too_few_pairs_and_validation():
    before = np.array([[1.0], [np.nan]])
    after = np.array([[2.0], [3.0]])
    row = opinion_change(before, after, [3.0], min_n=2).iloc[0]
    assert row["reason"] == "too few answers" and row["moved"] is None
    with pytest.raises(ValueError, match="previous_median"):
        opinion_change(before, after, [3.0, 1.0])


def test_epsilon_squared_and_translation_flag():
    ratings = np.array([[5, 5, 4, 5, 4, 5, 1, 2, 1, 2, 1, 2]], float).T
    langs = ["en"] * 6 + ["fr"] * 6
    res = subgroups(ratings, langs, min_cell=3)
    h = res.tests.loc[0, "kw_statistic"]
    assert h == pytest.approx(stats.kruskal(ratings[:6, 0], ratings[6:, 0]).statistic)
    eps = epsilon_squared(h, 12)
    assert eps == pytest.approx(h / 11)
    lang = {"h": h, "pvalue": res.tests.loc[0, "kw_pvalue"], "n": 12}
    flag = translation_flag(lang, {"role": {"h": 0.5, "n": 12}, "region": {"h": None, "n": 0}})
    assert flag["flagged"] is True and flag["others"]["region"] is None
    explained = translation_flag(lang, {"role": {"h": h + 1, "n": 12}})
    assert explained["flagged"] is False and explained["reason"] == "explained by other strata"
    assert translation_flag({"h": None, "pvalue": None, "n": 0}, {})["reason"] == "not tested"
