"""Kendall's W: published examples, degenerate cases, cross-checks.

Orientation in these tests is ours: rows = panellists (raters), columns =
items. R's irr/DescTools take the transpose.
"""

import math

import numpy as np
import pytest
from scipy import stats

from analysis import KendallResult, interpret_w, kendall_w

# irr's `anxiety` data set (20 subjects rated by 3 raters), as printed in the
# R DescTools documentation of KendallW (which integrates irr::kendall
# "without logical changes"). Transposed here: 3 rows (raters) x 20 items.
ANXIETY = np.array(
    [
        [3, 3, 3, 4, 5, 5, 2, 3, 5, 2, 2, 6, 1, 5, 2, 2, 1, 2, 4, 3],
        [3, 6, 4, 6, 2, 4, 2, 4, 3, 3, 2, 3, 3, 3, 2, 2, 1, 3, 3, 4],
        [2, 1, 4, 4, 3, 2, 1, 6, 1, 1, 1, 2, 3, 3, 1, 1, 3, 3, 2, 2],
    ],
    dtype=float,
)

# Siegel & Castellan (1988), Nonparametric Statistics for the Behavioral
# Sciences, 2nd ed., section 9.4: 3 raters rank 8 attributes (no ties); as
# reproduced in the DescTools KendallW example (d.att without its id column).
SIEGEL_CASTELLAN = np.array(
    [
        [5, 6, 7, 1, 2, 4, 3, 8],
        [1, 7, 6, 2, 3, 5, 4, 8],
        [4, 5, 1, 3, 2, 7, 6, 8],
    ],
    dtype=float,
)


def naive_w(x):
    """Textbook W and W_t, rater by rater (independent of the vectorised code)."""
    m, n = x.shape
    ranks = np.vstack([stats.rankdata(row) for row in x])
    r = ranks.sum(axis=0)
    s = ((r - m * (n + 1) / 2) ** 2).sum()
    t = 0
    for row in x:
        _, counts = np.unique(row, return_counts=True)
        t += (counts**3 - counts).sum()
    return 12 * s / (m**2 * (n**3 - n)), 12 * s / (m**2 * (n**3 - n) - m * t)


def test_anxiety_tie_corrected_matches_published_desctools_irr_output():
    # Source: DescTools KendallW documentation example, `KendallW(anxiety, TRUE,
    # test=TRUE)` prints W = 0.5396569, Kendall chi-squared = 30.76, df = 19,
    # subjects = 20, raters = 3, p-value = 0.04288 (irr::kendall(anxiety, TRUE)).
    res = kendall_w(ANXIETY)
    assert res.w == pytest.approx(0.5396569, abs=5e-8)
    assert res.chi2 == pytest.approx(30.76, abs=5e-3)
    assert res.df == 19
    assert res.pvalue == pytest.approx(0.04288, abs=5e-6)
    assert (res.n_raters, res.n_items, res.n_dropped) == (3, 20, 0)
    assert res.reason is None


def test_anxiety_uncorrected_matches_textbook_formula():
    # Expected from the textbook formula computed rater by rater (naive_w).
    w_u, w_t = naive_w(ANXIETY)
    res = kendall_w(ANXIETY, correct_ties=False)
    assert res.w == pytest.approx(w_u, rel=1e-12)
    assert res.w_uncorrected == pytest.approx(w_u, rel=1e-12)
    assert res.chi2 == pytest.approx(3 * 19 * w_u, rel=1e-12)
    assert res.w < w_t  # ties lower the uncorrected W


def test_siegel_castellan_example_without_ties():
    # Source: Siegel & Castellan (1988) via the DescTools KendallW example:
    # W = 0.6560847, chi-squared = 13.778, df = 7, p-value = 0.05528.
    res = kendall_w(SIEGEL_CASTELLAN)
    assert res.w == pytest.approx(0.6560847, abs=5e-8)
    assert res.w_uncorrected == res.w  # no ties: both forms agree
    assert res.chi2 == pytest.approx(13.778, abs=5e-4)
    assert res.df == 7
    assert res.pvalue == pytest.approx(0.05528, abs=5e-6)


def test_f_test_by_hand_on_siegel_castellan():
    # Legendre (2005) eq. 3.4: F = (m-1)W/(1-W), df1 = n-1-2/m, df2 = (m-1)df1.
    # Hand: rank sums R = 10, 18, 14, 6, 7, 16, 13, 24; mean 13.5; S = 248;
    # W = 12 S / (m^2 (n^3 - n)) = 12 * 248 / (9 * 504).
    w = 12 * 248 / (9 * 504)
    res = kendall_w(SIEGEL_CASTELLAN)
    assert res.w == pytest.approx(w, rel=1e-12)
    assert res.f == pytest.approx(2 * w / (1 - w), rel=1e-12)
    assert res.f_df1 == pytest.approx(7 - 2 / 3)
    assert res.f_df2 == pytest.approx(2 * (7 - 2 / 3))
    assert res.f_pvalue == pytest.approx(stats.f.sf(2 * w / (1 - w), 7 - 2 / 3, 2 * (7 - 2 / 3)))


def test_tied_ranks_identical_raters():
    # Hand computation: two identical raters rating 4 items 1, 2, 2, 3.
    # Ranks 1, 2.5, 2.5, 4; R = 2, 5, 5, 8; S = 18; m^2(n^3-n) = 240;
    # T = 2 * (2^3 - 2) = 12: W = 216/240 = 0.9, W_t = 216/(240 - 24) = 1.
    res = kendall_w([[1, 2, 2, 3], [1, 2, 2, 3]])
    assert res.w_uncorrected == pytest.approx(0.9)
    assert res.w == 1.0
    assert res.chi2 == pytest.approx(2 * 3 * 1.0)
    assert res.pvalue == pytest.approx(stats.chi2.sf(6.0, 3))
    assert res.f is None and res.f_pvalue is None
    assert "W = 1" in res.f_reason


def test_tied_ranks_matches_friedman_and_textbook():
    x = np.array([[1, 1, 2, 3, 3], [2, 1, 1, 3, 2], [1, 2, 2, 3, 3], [3, 1, 1, 2, 3]], dtype=float)
    w_u, w_t = naive_w(x)
    res = kendall_w(x)
    assert res.w == pytest.approx(w_t, rel=1e-12)
    assert res.w_uncorrected == pytest.approx(w_u, rel=1e-12)
    assert res.chi2 == pytest.approx(stats.friedmanchisquare(*x.T).statistic, rel=1e-12)


@pytest.mark.parametrize(
    "ratings, fragment",
    [
        ([[1, 2, 3, 4]], "at least 2 panellists"),  # m = 1: W would be 1 by construction
        ([[1], [2], [3]], "at least 2 items"),
        ([[3, 3, 3], [3, 3, 3]], "same rating"),  # all ratings identical: 0/0
        ([[1, 1, 1], [4, 4, 4], [2, 2, 2]], "same rating"),  # every rater constant
        ([[1, 2, np.nan], [np.nan, 1, 2]], "at least 2 panellists"),  # all dropped
    ],
)
def test_undefined_w_is_none_with_reason(ratings, fragment):
    res = kendall_w(ratings)
    assert isinstance(res, KendallResult)
    assert res.w is None and res.w_uncorrected is None and res.chi2 is None and res.pvalue is None
    assert fragment in res.reason


def test_listwise_deletion_of_panellists_with_missing_ratings():
    x = ANXIETY.copy()
    extra = np.array([[1, 2, np.nan] + [3] * 17, [np.nan] * 20], dtype=float)
    res = kendall_w(np.vstack([x, extra]))
    ref = kendall_w(x)
    assert res.n_dropped == 2 and res.n_raters == 3
    assert res.w == pytest.approx(ref.w, rel=1e-15)


def test_non_integer_data_use_the_sorting_path():
    rng = np.random.default_rng(11)
    x = rng.normal(size=(7, 9))
    x[:, 3] = x[:, 4]  # some ties
    res = kendall_w(x)
    assert res.chi2 == pytest.approx(stats.friedmanchisquare(*x.T).statistic, rel=1e-12)
    # A monotone transform of integer ratings into non-integers keeps W.
    assert kendall_w(ANXIETY * 0.37 + 0.1).w == pytest.approx(kendall_w(ANXIETY).w, rel=1e-12)


def test_wide_integer_range_matches_scipy():
    rng = np.random.default_rng(12)
    x = rng.integers(0, 1000, size=(15, 12)).astype(float)
    assert kendall_w(x).chi2 == pytest.approx(stats.friedmanchisquare(*x.T).statistic, rel=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_cross_check_scipy_friedman_on_random_likert(seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 6, size=(40, 12)).astype(float)
    x[rng.random(x.shape) < 0.02] = np.nan
    complete = x[~np.isnan(x).any(axis=1)]
    ref = stats.friedmanchisquare(*complete.T)
    res = kendall_w(x)
    assert res.chi2 == pytest.approx(ref.statistic, rel=1e-12)
    assert res.pvalue == pytest.approx(ref.pvalue, rel=1e-9)
    assert res.w == pytest.approx(ref.statistic / (complete.shape[0] * 11), rel=1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_cross_check_pingouin_friedman(seed):
    pg = pytest.importorskip("pingouin", reason="pingouin not installed")
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(100 + seed)
    x = rng.integers(1, 6, size=(25, 7)).astype(float)
    x[0, 0] = np.nan  # pingouin also drops the rater
    frame = pd.DataFrame(x, columns=[f"item{i}" for i in range(7)])
    chisq = pg.friedman(frame)
    pcol = "p_unc" if "p_unc" in chisq.columns else "p-unc"
    res = kendall_w(x)
    assert res.w == pytest.approx(chisq["W"].iloc[0], rel=1e-10)
    assert res.chi2 == pytest.approx(chisq["Q"].iloc[0], rel=1e-10)
    assert res.pvalue == pytest.approx(chisq[pcol].iloc[0], rel=1e-8)
    ftest = pg.friedman(frame, method="f")
    assert res.f == pytest.approx(ftest["F"].iloc[0], rel=1e-10)
    assert res.f_df1 == pytest.approx(ftest["ddof1"].iloc[0], rel=1e-12)
    assert res.f_df2 == pytest.approx(ftest["ddof2"].iloc[0], rel=1e-12)
    assert res.f_pvalue == pytest.approx(ftest[pcol].iloc[0], rel=1e-8)


def test_transposed_matrix_gives_a_different_w():
    # The same numbers as irr wants them (items x raters) measure something
    # else entirely; a transposition bug must not go unnoticed.
    assert kendall_w(ANXIETY.T).w != pytest.approx(kendall_w(ANXIETY).w, abs=1e-3)


@pytest.mark.parametrize("bad", [[1, 2, 3], [[[1, 2]]], [[1, np.inf], [2, 3]], [["a", "b"], ["c", "d"]]])
def test_invalid_ratings_raise_value_error_naming_ratings(bad):
    with pytest.raises(ValueError, match="ratings"):
        kendall_w(bad)


def test_invalid_correct_ties():
    with pytest.raises(ValueError, match="correct_ties"):
        kendall_w(ANXIETY, correct_ties="yes")


@pytest.mark.parametrize(
    "w, label",
    [(0.0, "very weak"), (0.1, "very weak"), (0.1999, "very weak"), (0.2, "weak"), (0.3, "weak"),
     (0.4, "moderate"), (0.5, "moderate"), (0.6, "strong"), (0.7, "strong"), (0.8, "unusually strong"),
     (0.9, "unusually strong"), (1.0, "unusually strong")],
)
def test_interpret_w_schmidt_anchors_nearest_anchor_binning(w, label):
    # Schmidt (1997): anchors 0.1 very weak, 0.3 weak, 0.5 moderate,
    # 0.7 strong, 0.9 unusually strong; binned to the nearest anchor.
    assert interpret_w(w) == label


def test_interpret_w_undefined_and_invalid():
    assert interpret_w(None) is None
    for bad in (-0.1, 1.1, float("nan"), "x"):
        with pytest.raises(ValueError, match="w must"):
            interpret_w(bad)


def test_result_is_frozen():
    res = kendall_w(SIEGEL_CASTELLAN)
    with pytest.raises(Exception):
        res.w = 0.0  # type: ignore[misc]
    assert not math.isnan(res.pvalue)
