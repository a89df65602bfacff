"""Statistics of the estimate, probability, year and ranking question kinds.

Published examples (R's quantile types, the quartile coefficient of
dispersion example of Bonett 2006 as given on Wikipedia, NAG's G08DAF and
Siegel & Castellan's Kendall W examples, Lichtendahl et al.'s location-scale
result), hand computations stated in the comments, independent cross-checks
(Python's ``statistics.quantiles`` on exact Fractions, numpy, scipy's
Friedman test) and hypothesis properties.
"""

import itertools
import statistics
import subprocess
import sys
import textwrap
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats

import analysis
from analysis import (
    QUANTILE_METHODS,
    QuantitySummary,
    RankingSummary,
    TargetReach,
    YearSummary,
    at_least,
    at_most,
    dispersion_exact,
    iqr_exact,
    kendall_w,
    kendall_w_exact,
    quantile_average,
    rank_matrix,
    summarize_items,
    summarize_quantity,
    summarize_ranking,
    summarize_years,
    target_reach,
)

NAN = float("nan")

# Finite floats of moderate size (estimates), and positive ones.
reals = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
positives = st.floats(min_value=1e-3, max_value=1e6, allow_nan=False, allow_infinity=False)


# ---------------------------------------------------------------------------
# summarize_quantity: quartiles
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, q1, q3",
    [
        # R: quantile(1:10) -> 3.25 5.5 7.75 (type 7: h = 9p + 1 = 3.25, 7.75).
        ("type7", 3.25, 7.75),
        # R: quantile(1:10, type = 6) -> 2.75 8.25 (h = 11p = 2.75, 8.25).
        ("type6", 2.75, 8.25),
        # R: fivenum(1:10) -> 1 3 5.5 8 10 (depth floor(13/2)/2 = 3).
        ("hinges", 3.0, 8.0),
    ],
)
def test_quartiles_of_1_to_10_match_r(method, q1, q3):
    s = summarize_quantity(np.arange(1, 11, dtype=float), quantiles=method)
    assert (s.q1, s.median, s.q3) == (q1, 5.5, q3)
    assert s.iqr == q3 - q1
    assert (s.exact_q1, s.exact_median, s.exact_q3) == (Fraction(q1), Fraction(11, 2), Fraction(q3))
    assert (s.n, s.n_missing) == (10, 0)


def test_quartile_coefficient_of_dispersion_published_example():
    # Source: the Wikipedia article "Quartile coefficient of dispersion" (citing
    # Bonett 2006): A = {2,...,14}: Q1 = 4, Q3 = 12, QCD = 0.5; B = {1.8, 2, 2.1,
    # 2.4, 2.6, 2.9, 3}: Q1 = 2, Q3 = 2.9, QCD = 0.18. Its quartiles are x((n+1)p)
    # = x(2), x(6) for n = 7, i.e. Hyndman & Fan type 6.
    a = summarize_quantity([2, 4, 6, 8, 10, 12, 14], quantiles="type6")
    assert (a.q1, a.median, a.q3, a.dispersion) == (4.0, 8.0, 12.0, 0.5)
    b = summarize_quantity([1.8, 2, 2.1, 2.4, 2.6, 2.9, 3], quantiles="type6")
    assert (b.q1, b.median, b.q3) == (2.0, 2.4, 2.9)
    assert round(b.dispersion, 2) == 0.18
    assert b.dispersion == pytest.approx(0.9 / 4.9, rel=1e-14)
    # "A is 2.7 times as great (0.5 / 0.18) as B".
    assert round(a.dispersion / b.dispersion, 1) == 2.7
    # Under type 7 (our default) A has Q1 = 5, Q3 = 11 (h = 2.5, 5.5): QCD = 6/16.
    assert summarize_quantity([2, 4, 6, 8, 10, 12, 14]).dispersion == 0.375


def test_missing_answers_and_empty_question():
    s = summarize_quantity([NAN, 10.0, NAN, 30.0])
    assert (s.n, s.n_missing, s.median, s.q1, s.q3, s.iqr) == (2, 2, 20.0, 15.0, 25.0, 10.0)
    empty = summarize_quantity([NAN, NAN])
    assert empty == QuantitySummary(0, 2, None, None, None, None, None, None, None, None)
    assert iqr_exact(empty) is None and dispersion_exact(empty) is None
    assert summarize_quantity([]).n == 0


@pytest.mark.parametrize("values", [[-5.0, 10.0, 20.0, 30.0], [0.0, 0.0, 0.0, 0.0, 7.0]])
def test_dispersion_needs_no_negative_answer_and_a_positive_q1_plus_q3(values):
    s = summarize_quantity(values)
    assert s.iqr is not None
    assert s.dispersion is None and dispersion_exact(s) is None


def test_zeros_are_answers_of_a_quantity_that_cannot_be_negative():
    """Counts with zeros: 0, 1, 2 (type 7) give Q1 = 1/2, Q3 = 3/2, QCD = 1/2."""
    from fractions import Fraction

    s = summarize_quantity([0.0, 1.0, 2.0])
    assert dispersion_exact(s) == Fraction(1, 2) and s.dispersion == 0.5


def test_single_answer():
    s = summarize_quantity([0.4])
    assert (s.q1, s.median, s.q3, s.iqr, s.dispersion) == (0.4, 0.4, 0.4, 0.0, 0.0)


@pytest.mark.parametrize(
    "bad, match",
    [
        ([[1.0, 2.0]], "1-D"),
        ([1.0, float("inf")], "infinite"),
        (["a", "b"], "1-D array of numbers"),
        # An IQR of 3.4e308 would overflow the float figure.
        ([-1.7e308, -1.7e308, 0.0, 1.7e308, 1.7e308], "beyond"),
    ],
)
def test_summarize_quantity_rejects_bad_values(bad, match):
    with pytest.raises(ValueError, match=match):
        summarize_quantity(bad)


def test_summarize_quantity_rejects_unknown_method():
    with pytest.raises(ValueError, match="quantiles"):
        summarize_quantity([1.0], quantiles="type8")


@settings(max_examples=150, deadline=None)
@given(st.lists(reals, min_size=1, max_size=30))
def test_exact_quartiles_equal_python_statistics_on_fractions(xs):
    # Independent exact computation: statistics.quantiles(method="inclusive") is
    # Hyndman & Fan type 7 and "exclusive" type 6 (for n >= 3, where no clamping
    # is needed); on Fraction inputs both are exact.
    s7 = summarize_quantity(xs)
    fr = [Fraction(repr(float(x))) for x in xs]  # answers as written (as_written)
    if len(xs) >= 2:
        expected = statistics.quantiles(fr, n=4, method="inclusive")
        assert [s7.exact_q1, s7.exact_median, s7.exact_q3] == expected
    if len(xs) >= 3:
        s6 = summarize_quantity(xs, quantiles="type6")
        assert [s6.exact_q1, s6.exact_median, s6.exact_q3] == statistics.quantiles(
            fr, n=4, method="exclusive"
        )
    assert s7.exact_median == statistics.median(fr)
    # The float figures are the exact values rounded once.
    assert (s7.q1, s7.median, s7.q3) == tuple(
        float(v) for v in (s7.exact_q1, s7.exact_median, s7.exact_q3)
    )
    assert s7.iqr == float(iqr_exact(s7))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(1, 9), min_size=1, max_size=40), st.sampled_from(QUANTILE_METHODS))
def test_integer_answers_match_the_rating_item_quartiles(xs, method):
    # The rating-scale code (summarize_items, counting per scale point, checked
    # against R's fivenum for hinges) and the real-valued code agree.
    item = summarize_items(np.array(xs, dtype=float)[:, np.newaxis], scale=(1, 9),
                           agree=(7, 9), quantiles=method).iloc[0]
    s = summarize_quantity(xs, quantiles=method)
    assert (s.q1, s.median, s.q3, s.iqr) == (item["q1"], item["median"], item["q3"], item["iqr"])


@settings(max_examples=100, deadline=None)
@given(st.lists(reals, min_size=1, max_size=30))
def test_float_quartiles_agree_with_numpy(xs):
    x = np.array(xs)
    for method, np_method in (("type7", "linear"), ("type6", "weibull")):
        s = summarize_quantity(x, quantiles=method)
        expected = np.quantile(x, [0.25, 0.5, 0.75], method=np_method)
        np.testing.assert_allclose([s.q1, s.median, s.q3], expected, rtol=1e-12, atol=1e-9)


@settings(max_examples=100, deadline=None)
@given(st.lists(reals, min_size=1, max_size=25), st.randoms(use_true_random=False),
       st.sampled_from(QUANTILE_METHODS))
def test_summary_invariant_to_panellist_order_and_missing(xs, rnd, method):
    shuffled = list(xs) + [NAN, NAN]
    rnd.shuffle(shuffled)
    a = summarize_quantity(xs, quantiles=method)
    b = summarize_quantity(shuffled, quantiles=method)
    assert (a.exact_q1, a.exact_median, a.exact_q3, a.dispersion) == (
        b.exact_q1, b.exact_median, b.exact_q3, b.dispersion)
    assert b.n_missing == 2 and b.n == a.n


@settings(max_examples=100, deadline=None)
@given(st.lists(positives, min_size=1, max_size=25), st.sampled_from(QUANTILE_METHODS))
def test_dispersion_is_scale_free_and_in_unit_interval(xs, method):
    s = summarize_quantity(xs, quantiles=method)
    t = summarize_quantity([4 * x for x in xs], quantiles=method)
    # Answers are read as written, so scaling is exact only up to the decimals' rounding.
    assert float(dispersion_exact(s)) == pytest.approx(float(dispersion_exact(t)), rel=1e-12, abs=1e-15)
    assert 0 <= dispersion_exact(s) < 1
    assert s.dispersion == float(dispersion_exact(s))


# ---------------------------------------------------------------------------
# exact threshold decisions
# ---------------------------------------------------------------------------


def test_dispersion_exactly_a_quarter_reaches_at_most_quarter():
    # Type 7, n = 4: Q1 at h = 1.75 is 3, Q3 at h = 3.25 is 5; QCD = 2/8 = 1/4.
    s = summarize_quantity([3, 3, 5, 5])
    assert dispersion_exact(s) == Fraction(1, 4)
    assert at_most(dispersion_exact(s), 0.25) is True
    assert at_most(dispersion_exact(s), 0.24) is False


def test_limit_is_taken_as_written_not_as_its_binary_float():
    # Q1 = 7, Q3 = 13: QCD = 6/20 = 3/10 exactly. The float 0.3 is slightly less
    # than 3/10, so comparing with Fraction(0.3) would wrongly say "not reached".
    s = summarize_quantity([7, 7, 13, 13])
    d = dispersion_exact(s)
    assert d == Fraction(3, 10)
    assert d > Fraction(0.3)
    assert at_most(d, 0.3) is True
    assert at_most(d, Fraction(3, 10)) is True
    assert at_most(d, 0.29) is False


def test_iqr_exactly_20_reaches_at_most_20():
    s = summarize_quantity([10, 10, 30, 30])
    assert iqr_exact(s) == 20
    assert at_most(iqr_exact(s), 20) is True
    assert at_most(iqr_exact(s), 20.0) is True
    assert at_most(iqr_exact(s), 19.999) is False


def test_at_most_none_and_bad_limits():
    assert at_most(None, 0.25) is None
    assert at_least(None, 0.7) is None
    for bad in (float("nan"), float("inf"), "0.3", True, None):
        with pytest.raises(ValueError, match="limit"):
            at_most(Fraction(1, 4), bad)
        with pytest.raises(ValueError, match="limit"):
            at_least(Fraction(1, 4), bad)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 200), min_size=1, max_size=30))
def test_integer_answers_iqr_decided_exactly_at_its_own_value(xs):
    s = summarize_quantity([float(x) for x in xs])
    exact = iqr_exact(s)
    # For integer data the type-7 IQR is a multiple of 1/4 (h has quarter steps),
    # so its decimal form is exact: the IQR always reaches itself, never less.
    assert exact.denominator in (1, 2, 4)
    assert at_most(exact, float(exact)) is True
    assert at_most(exact, float(exact) - 0.25) is False


# ---------------------------------------------------------------------------
# quantile averaging
# ---------------------------------------------------------------------------


def test_quantile_average_by_hand():
    # Rows with any NaN are skipped: panellists 1 and 2 only.
    p10 = [10.0, 20.0, NAN, 5.0]
    p50 = [15.0, 30.0, 40.0, NAN]
    p90 = [30.0, 50.0, 60.0, 9.0]
    assert quantile_average(p10, p50, p90) == (15.0, 22.5, 40.0)


def test_quantile_average_of_normals_is_the_normal_with_averaged_parameters():
    # Lichtendahl, Grushka-Cockayne & Winkler (2013): averaging the quantiles of
    # forecasts from one location-scale family gives the member with the average
    # location and the average scale. N(10, 2) and N(20, 6) -> N(15, 4).
    z = stats.norm.ppf([0.1, 0.5, 0.9])
    panel = np.array([10 + 2 * z, 20 + 6 * z])
    avg = quantile_average(panel[:, 0], panel[:, 1], panel[:, 2])
    np.testing.assert_allclose(avg, 15 + 4 * z, rtol=1e-14)


def test_quantile_average_exact_mean():
    # 0.1 + 0.2 + 0.3 in floats is 0.6000000000000001; the exact mean of the three
    # binary values, rounded once, is the float nearest 0.2.
    assert quantile_average([0.1, 0.2, 0.3], [1, 1, 1], [2, 2, 2])[0] == 0.2


def test_quantile_average_without_complete_rows_and_bad_shapes():
    assert quantile_average([NAN], [1.0], [2.0]) == (None, None, None)
    assert quantile_average([], [], []) == (None, None, None)
    with pytest.raises(ValueError, match="same length"):
        quantile_average([1.0, 2.0], [1.0], [1.0])
    with pytest.raises(ValueError, match="p90"):
        quantile_average([1.0], [1.0], [float("inf")])


# ---------------------------------------------------------------------------
# target reach
# ---------------------------------------------------------------------------


def test_target_reach_up_and_down_by_hand():
    values = [10.0, 20.0, 30.0, 40.0, NAN]
    up = target_reach(values, 20)
    # 20, 30, 40 reach 20 (equality reaches); median 25.
    assert up == TargetReach(share=0.75, median_gap=5.0, direction="up")
    down = target_reach(values, 20, baseline=50)
    # A reduction from 50 to 20: 10 and 20 reach it.
    assert down == TargetReach(share=0.5, median_gap=5.0, direction="down")
    # Target above the baseline, or equal to it: "up".
    assert target_reach(values, 20, baseline=20).direction == "up"
    assert target_reach(values, 20, baseline=5).direction == "up"


def test_target_reach_decided_exactly():
    # 0.1 + 0.2 is the float 0.30000000000000004, just above 0.3.
    v = [0.1 + 0.2]
    assert target_reach(v, 0.3).share == 1.0
    assert target_reach(v, 0.3, baseline=1.0).share == 0.0
    assert target_reach([0.3], 0.3, baseline=1.0).share == 1.0


def test_target_reach_without_answers_and_bad_input():
    assert target_reach([NAN], 5.0) == TargetReach(None, None, "up")
    assert target_reach([], 5.0, baseline=9.0) == TargetReach(None, None, "down")
    with pytest.raises(ValueError, match="target"):
        target_reach([1.0], float("nan"))
    with pytest.raises(ValueError, match="baseline"):
        target_reach([1.0], 1.0, baseline="x")
    with pytest.raises(ValueError, match="target is beyond"):
        target_reach([1e300], -1.7e308)
    with pytest.raises(ValueError, match="p50s has values beyond"):
        target_reach([1.7e308], 0.0)


@settings(max_examples=100, deadline=None)
@given(st.lists(reals, min_size=1, max_size=20), reals)
def test_target_reach_shares_complement(xs, target):
    up = target_reach(xs, target)
    down = target_reach(xs, target, baseline=target + 1e7)
    ties = sum(1 for x in xs if x == target) / len(xs)
    assert up.share + down.share == pytest.approx(1 + ties, abs=1e-12)
    assert up.median_gap == float(statistics.median([Fraction(repr(float(x))) for x in xs])
                                  - Fraction(repr(float(target))))


# ---------------------------------------------------------------------------
# years with "later"
# ---------------------------------------------------------------------------


def test_years_without_later_equal_quantity_summary():
    years = [2030.0, 2032.0, NAN, 2041.0, 2050.0]
    s = summarize_years(years, [False] * 5)
    q = summarize_quantity(years)
    assert (s.n, s.n_missing, s.n_later, s.later_share) == (4, 1, 0, 0.0)
    assert (s.q1, s.median, s.q3, s.iqr) == (q.q1, q.median, q.q3, q.iqr)
    assert not (s.q1_later or s.median_later or s.q3_later)


def test_q3_interpolating_towards_later_is_later():
    # n = 4, type 7: Q3 at h = 3.25 lies between x(3) = 2040 and x(4) = later.
    s = summarize_years([2030, 2035, 2040, NAN], [False, False, False, True])
    assert s == YearSummary(
        n=4, n_missing=0, n_later=1, later_share=0.25, median=2037.5, q1=2033.75, q3=None,
        iqr=None, median_later=False, q1_later=False, q3_later=True, exact_iqr=None,
    )


def test_quartile_on_a_year_next_to_later_is_not_later_and_iqr_exactly_20():
    # n = 5, type 7: Q1 at h = 2 (2040), median h = 3 (2050), Q3 at h = 4 (2060):
    # whole positions, so the "later" answer x(5) is not touched.
    s = summarize_years([2030, 2040, 2050, 2060, NAN], [False, False, False, False, True])
    assert (s.q1, s.median, s.q3, s.iqr) == (2040.0, 2050.0, 2060.0, 20.0)
    assert not s.q3_later
    assert s.exact_iqr == 20 and at_most(s.exact_iqr, 20) is True
    # Type 6 puts Q3 at h = 4.5: between 2060 and later -> later.
    s6 = summarize_years([2030, 2040, 2050, 2060, NAN], [False] * 4 + [True], quantiles="type6")
    assert s6.q3_later and s6.iqr is None and s6.exact_iqr is None
    assert (s6.q1, s6.median) == (2035.0, 2050.0)


def test_majority_later_makes_median_and_q1_later():
    # n = 3: median x(2) = later; Q1 at h = 1.5 interpolates 2030 and later.
    s = summarize_years([2030, NAN, NAN, NAN], [False, True, True, False])
    assert (s.n, s.n_missing, s.n_later) == (3, 1, 2)
    assert s.later_share == pytest.approx(2 / 3)
    assert s.median_later and s.q1_later and s.q3_later
    assert (s.median, s.q1, s.q3, s.iqr, s.exact_iqr) == (None, None, None, None, None)


def test_all_later_and_no_answers():
    s = summarize_years([NAN, NAN], [True, True])
    assert (s.n, s.n_later, s.later_share) == (2, 2, 1.0)
    assert s.median_later and s.q1_later and s.q3_later
    none = summarize_years([NAN, NAN], [False, False])
    assert none == YearSummary(0, 2, 0, None, None, None, None, None, False, False, False, None)


def test_later_overrides_a_year_given_with_it():
    a = summarize_years([2030, 2040, 2099], [False, False, True])
    b = summarize_years([2030, 2040, NAN], [False, False, True])
    assert a == b


def test_summarize_years_rejects_bad_input():
    with pytest.raises(ValueError, match="later"):
        summarize_years([2030.0, 2031.0], [True])
    with pytest.raises(ValueError, match="later"):
        summarize_years([2030.0], [2])
    with pytest.raises(ValueError, match="years"):
        summarize_years([[2030.0]], [[False]])
    with pytest.raises(ValueError, match="quantiles"):
        summarize_years([2030.0], [False], quantiles="median")


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(st.integers(2025, 2100), st.booleans()), min_size=1, max_size=25),
    st.sampled_from(QUANTILE_METHODS),
)
def test_later_behaves_as_any_year_beyond_every_answer(answers, method):
    # Replacing each "later" with a year beyond all others (two different ones)
    # must leave every non-later quartile unchanged, and change every quartile
    # flagged "later" (it depends on the unbounded value).
    years = [NAN if late else float(y) for y, late in answers]
    later = [late for _, late in answers]
    s = summarize_years(years, later, quantiles=method)
    assert s.n == len(answers) and s.n_later == sum(later)
    far = [summarize_quantity([3000.0 + k if late else float(y) for y, late in answers],
                              quantiles=method) for k in (0, 500)]
    for name in ("q1", "median", "q3"):
        flag = getattr(s, "median_later" if name == "median" else f"{name}_later")
        values = [getattr(f, name) for f in far]
        if flag:
            assert getattr(s, name) is None
            assert values[0] != values[1]
        else:
            assert getattr(s, name) == values[0] == values[1]
    assert s.q1_later <= s.median_later <= s.q3_later
    assert (s.iqr is None) == s.q3_later


# ---------------------------------------------------------------------------
# rank_matrix
# ---------------------------------------------------------------------------


def test_rank_matrix_partial_rankings_share_the_remaining_mid_rank():
    options = [10, 20, 30, 40, 50]
    ranks = rank_matrix(
        [
            [30, 10],              # r = 2 of 5: the tail shares (3 + 4 + 5)/3 = 4
            [20, 30, 10, 50, 40],  # complete
            [40, 10, 20, 30],      # r = 4 = m - 1: the last rank is forced (5)
            None,                  # no answer
            [],                    # no answer
            [50],                  # r = 1: the tail shares (2 + 3 + 4 + 5)/4 = 3.5
        ],
        options,
    )
    expected = np.array(
        [
            [2, 4, 1, 4, 4],
            [3, 1, 2, 5, 4],
            [2, 3, 4, 1, 5],
            [NAN] * 5,
            [NAN] * 5,
            [3.5, 3.5, 3.5, 3.5, 1],
        ]
    )
    np.testing.assert_array_equal(ranks, expected)


def test_rank_matrix_rejects_unknown_and_repeated_ids():
    with pytest.raises(ValueError, match="unknown option id 99"):
        rank_matrix([[1, 99]], [1, 2, 3])
    with pytest.raises(ValueError, match="more than once"):
        rank_matrix([[1, 2, 1]], [1, 2, 3])
    with pytest.raises(ValueError, match="options"):
        rank_matrix([[1]], [1, 2, 2])
    with pytest.raises(ValueError, match=r"rankings\[1\]"):
        rank_matrix([[1], "12"], [1, 2])
    with pytest.raises(ValueError, match=r"rankings\[0\]"):
        rank_matrix([[[1]]], [1, 2])  # an unhashable id is unknown
    with pytest.raises(ValueError, match="options"):
        rank_matrix([[1]], [])
    # Hostile text is an unknown id, named briefly (not echoed at 1 MB).
    with pytest.raises(ValueError, match="unknown option id") as info:
        rank_matrix([["\ud800\x00" + "x" * 1_000_000]], [1, 2])
    assert len(str(info.value)) < 200


def test_rank_matrix_accepts_tuples_and_arrays():
    expected = rank_matrix([[2, 1]], [1, 2, 3])
    np.testing.assert_array_equal(rank_matrix([(2, 1)], [1, 2, 3]), expected)
    np.testing.assert_array_equal(rank_matrix([np.array([2, 1])], np.array([1, 2, 3])), expected)


@st.composite
def partial_rankings(draw, max_options=7, max_panellists=12):
    m = draw(st.integers(2, max_options))
    options = list(range(100, 100 + m))
    rows = []
    for _ in range(draw(st.integers(0, max_panellists))):
        if draw(st.integers(0, 9)) == 0:
            rows.append(None)
            continue
        k = draw(st.integers(1, m))
        rows.append(draw(st.permutations(options))[:k])
    return rows, options


@settings(max_examples=150, deadline=None)
@given(partial_rankings())
def test_rank_matrix_rows_are_rankings(case):
    rows, options = case
    ranks = rank_matrix(rows, options)
    m = len(options)
    assert ranks.shape == (len(rows), m)
    for answer, row in zip(rows, ranks):
        if not answer:
            assert np.isnan(row).all()
            continue
        assert row.sum() == m * (m + 1) / 2
        # Ranked options in order, best first.
        assert [row[options.index(o)] for o in answer] == list(range(1, len(answer) + 1))
        tail = [row[j] for j, o in enumerate(options) if o not in answer]
        assert all(t == (len(answer) + 1 + m) / 2 for t in tail)


@settings(max_examples=60, deadline=None)
@given(partial_rankings(max_options=6, max_panellists=1))
def test_mid_rank_is_the_average_over_compatible_complete_rankings(case):
    # Brute force: average the ranks of every complete ranking that starts with
    # the partial one (the set Critchlow 1985 identifies it with).
    rows, options = case
    if not rows or not rows[0]:
        return
    top = rows[0]
    rest = [o for o in options if o not in top]
    completions = [rank_matrix([top + list(p)], options)[0]
                   for p in itertools.permutations(rest)]
    np.testing.assert_array_equal(rank_matrix([top], options)[0], np.mean(completions, axis=0))


# ---------------------------------------------------------------------------
# summarize_ranking, Kendall's W
# ---------------------------------------------------------------------------

# NAG Library G08DAF example (data after Siegel 1956): 3 comparisons of 10
# objects with tied ranks. Published result: W = 0.828, significance 0.008.
NAG_G08DAF = np.array(
    [
        [1.0, 4.5, 2.0, 4.5, 3.0, 7.5, 6.0, 9.0, 7.5, 10.0],
        [2.5, 1.0, 2.5, 4.5, 4.5, 8.0, 9.0, 6.5, 10.0, 6.5],
        [2.0, 1.0, 4.5, 4.5, 4.5, 4.5, 8.0, 8.0, 8.0, 10.0],
    ]
)

# Siegel & Castellan (1988) section 9.4 (3 raters rank 8 items, no ties) as in
# the R DescTools KendallW example: W = 0.6560847, chi2 = 13.778, df = 7.
SIEGEL_CASTELLAN = np.array(
    [
        [5, 6, 7, 1, 2, 4, 3, 8],
        [1, 7, 6, 2, 3, 5, 4, 8],
        [4, 5, 1, 3, 2, 7, 6, 8],
    ],
    dtype=float,
)


def test_kendall_w_with_ties_nag_published_example():
    s = summarize_ranking(NAG_G08DAF, list("abcdefghij"))
    assert round(s.w, 3) == 0.828
    assert round(s.pvalue, 3) == 0.008
    assert s.df == 9 and s.chi2 == pytest.approx(3 * 9 * s.w, rel=1e-12)
    assert s.w_uncorrected < s.w  # ties lower the uncorrected W
    # Exact, by hand: rank sums 5.5, 6.5, 9, 13.5, 12, 20, 23, 23.5, 25.5, 26.5 about
    # m(n + 1)/2 = 16.5 give S = 591; tie groups: row 1 two pairs (12), row 2 three
    # pairs (18), row 3 a quadruple and a triple (60 + 24): T = 114;
    # W_t = 12 * 591 / (9 * 990 - 3 * 114) = 7092 / 8568 = 197/238 = 0.8277.
    assert kendall_w_exact(NAG_G08DAF) == Fraction(197, 238)
    assert s.rank_sum == (5.5, 6.5, 9.0, 13.5, 12.0, 20.0, 23.0, 23.5, 25.5, 26.5)


def test_kendall_w_siegel_castellan_without_ties():
    s = summarize_ranking(SIEGEL_CASTELLAN, list(range(8)))
    assert s.w == pytest.approx(0.6560847, abs=5e-8)
    assert s.chi2 == pytest.approx(13.778, abs=5e-4)
    assert s.df == 7 and s.w == s.w_uncorrected
    assert kendall_w_exact(SIEGEL_CASTELLAN) == pytest.approx(0.6560847, abs=5e-8)


def test_summary_of_partial_rankings_by_hand():
    options = ["a", "b", "c", "d"]
    rows = [["a"], ["b", "a"], ["a", "b", "c", "d"], None]
    ranks = rank_matrix(rows, options)
    # a: 1, 2, 1 -> sum 4; b: 3, 1, 2 -> 6; c: 3, 3.5, 3 -> 9.5; d: 3, 3.5, 4 -> 10.5.
    s = summarize_ranking(ranks, options)
    assert (s.n, s.n_missing, s.options) == (3, 1, ("a", "b", "c", "d"))
    assert s.rank_sum == (4.0, 6.0, 9.5, 10.5)
    assert s.mean_rank == pytest.approx((4 / 3, 2.0, 9.5 / 3, 3.5))
    # Panellist 1 ranked only "a": b, c, d share mid-rank 3 <= 3 but were not
    # placed in the top 3. Top 3 explicitly: a (3 of 3), b (2: panellists 2, 3),
    # c (1: panellist 3), d (0).
    assert s.top3_share == (1.0, 2 / 3, 1 / 3, 0.0)
    # W: S = (4-7.5)^2 + (6-7.5)^2 + 2^2 + 3^2 = 27.5; T = (27-3) + (8-2) = 30;
    # W_t = 12 * 27.5 / (9 * 60 - 3 * 30) = 330 / 450 = 11/15.
    assert kendall_w_exact(ranks) == Fraction(11, 15)
    assert s.w == pytest.approx(11 / 15, rel=1e-14)
    assert s.w_uncorrected == pytest.approx(330 / 540, rel=1e-14)


def test_top_share_with_explicit_matrix_and_other_top():
    options = [1, 2, 3]
    ranks = rank_matrix([[2], [3, 1, 2]], options)
    s1 = summarize_ranking(ranks, options, top=1)
    assert s1.top3_share == (0.0, 0.5, 0.5)
    # Inferred: options 1 and 3 of panellist 1 share 2.5 (not explicit).
    s2 = summarize_ranking(ranks, options, top=2)
    assert s2.top3_share == (0.5, 0.5, 0.5)
    # If panellist 1 had explicitly tied options 1 and 3 at 2.5, say so.
    explicit = np.ones(ranks.shape, dtype=bool)
    s3 = summarize_ranking(ranks, options, top=3, explicit=explicit)
    assert s3.top3_share == (1.0, 1.0, 1.0)
    s4 = summarize_ranking(ranks, options, top=3)
    assert s4.top3_share == (0.5, 1.0, 0.5)


def test_ranking_without_enough_answers():
    options = [1, 2, 3]
    nobody = summarize_ranking(rank_matrix([None, []], options), options)
    assert (nobody.n, nobody.n_missing) == (0, 2)
    assert nobody.mean_rank == nobody.rank_sum == nobody.top3_share == (None, None, None)
    assert nobody.w is None and nobody.reason
    one = summarize_ranking(rank_matrix([[1, 2]], options), options)
    assert one.mean_rank == (1.0, 2.0, 3.0) and one.w is None and "2 panellists" in one.reason
    assert kendall_w_exact(rank_matrix([[1, 2]], options)) is None
    # Every panellist tying every option (raw scores; rank_matrix cannot do it):
    assert kendall_w_exact(np.ones((3, 4))) is None
    assert summarize_ranking(np.array([[1.0]] * 3), [7]).w is None


def test_summarize_ranking_rejects_what_is_not_a_rank_matrix():
    with pytest.raises(ValueError, match="columns"):
        summarize_ranking(np.ones((2, 3)), [1, 2])
    with pytest.raises(ValueError, match="ranking of 1..3"):
        summarize_ranking(np.ones((2, 3)), [1, 2, 3])
    with pytest.raises(ValueError, match="partly missing"):
        summarize_ranking([[1, 2, NAN]], [1, 2, 3])
    with pytest.raises(ValueError, match="1..3"):
        summarize_ranking([[0, 3, 3]], [1, 2, 3])
    with pytest.raises(ValueError, match="half ranks"):
        summarize_ranking([[1.25, 1.75, 3]], [1, 2, 3])
    with pytest.raises(ValueError, match="top"):
        summarize_ranking([[1, 2, 3]], [1, 2, 3], top=0)
    with pytest.raises(ValueError, match="explicit"):
        summarize_ranking([[1, 2, 3]], [1, 2, 3], explicit=[[True, True]])


def test_w_threshold_decided_exactly():
    # Two panellists, 4 options: [a, b, c] and [a, c, d] (3 of 4: complete, the
    # last rank forced): rank sums 2, 6, 5, 7 about 5 give S = 9 + 1 + 0 + 4 = 14;
    # no ties: W = 12 * 14 / (4 * 60) = 7/10 exactly.
    options = ["a", "b", "c", "d"]
    ranks = rank_matrix([["a", "b", "c"], ["a", "c", "d"]], options)
    w = kendall_w_exact(ranks)
    assert w == Fraction(7, 10)
    assert at_least(w, 0.7) is True
    assert at_least(w, 0.7000001) is False
    assert summarize_ranking(ranks, options).w == pytest.approx(0.7, rel=1e-15)


def test_kendall_w_exact_equal_three_quarters_docstring_case():
    assert kendall_w_exact([[1, 2, 3], [1, 3, 2]]) == Fraction(3, 4)
    assert at_least(Fraction(3, 4), 0.75) is True


@settings(max_examples=150, deadline=None)
@given(partial_rankings())
def test_w_matches_kendall_w_and_scipy_friedman(case):
    rows, options = case
    ranks = rank_matrix(rows, options)
    s = summarize_ranking(ranks, options)
    exact = kendall_w_exact(ranks)
    answered = ranks[~np.isnan(ranks).any(axis=1)]
    assert s.n == len(answered) and s.n + s.n_missing == len(rows)
    if s.w is None:
        assert exact is None
        return
    assert 0 <= exact <= 1
    assert s.w == pytest.approx(float(exact), rel=1e-12, abs=1e-15)
    assert s.w == kendall_w(answered).w
    m = len(options)
    assert s.chi2 == pytest.approx(s.n * (m - 1) * s.w, rel=1e-12, abs=1e-12)
    if s.n >= 3 and m >= 3:
        fried = stats.friedmanchisquare(*answered.T)
        assert s.chi2 == pytest.approx(fried.statistic, rel=1e-9, abs=1e-9)
        assert s.pvalue == pytest.approx(fried.pvalue, rel=1e-9, abs=1e-12)
    # Rank sums add up to n m (m + 1) / 2; top shares are shares.
    assert sum(s.rank_sum) == s.n * m * (m + 1) / 2
    assert all(0 <= t <= 1 for t in s.top3_share)


@settings(max_examples=100, deadline=None)
@given(partial_rankings(), st.randoms(use_true_random=False))
def test_ranking_summary_invariant_to_panellist_and_option_order(case, rnd):
    rows, options = case
    s = summarize_ranking(rank_matrix(rows, options), options)
    rows2 = list(rows)
    rnd.shuffle(rows2)
    options2 = list(options)
    rnd.shuffle(options2)
    s2 = summarize_ranking(rank_matrix(rows2, options2), options2)
    by_option = {o: (s.rank_sum[j], s.top3_share[j]) for j, o in enumerate(options)}
    assert {o: (s2.rank_sum[j], s2.top3_share[j]) for j, o in enumerate(options2)} == by_option
    assert kendall_w_exact(rank_matrix(rows, options)) == kendall_w_exact(
        rank_matrix(rows2, options2))
    assume(s.w is not None)
    assert s2.w == pytest.approx(s.w, rel=1e-12, abs=1e-15)


@settings(max_examples=100, deadline=None)
@given(partial_rankings())
def test_top_share_counts_exactly_the_explicit_top_placements(case):
    rows, options = case
    s = summarize_ranking(rank_matrix(rows, options), options, top=3)
    answered = [r for r in rows if r]
    assume(answered)
    m = len(options)
    for j, o in enumerate(options):
        # Placed in the top 3 by the panellist, or forced: a ranking of m - 1
        # options places the last one at m.
        count = sum(
            1 for r in answered
            if (o in r[:3]) or (len(r) == m - 1 and o not in r and m <= 3)
        )
        assert s.top3_share[j] == count / len(answered)


# ---------------------------------------------------------------------------
# the package
# ---------------------------------------------------------------------------


def test_names_exported_and_import_stays_free_of_matplotlib():
    for name in (
        "QuantitySummary", "TargetReach", "YearSummary", "RankingSummary",
        "summarize_quantity", "quantile_average", "target_reach", "at_most", "at_least",
        "dispersion_exact", "iqr_exact", "summarize_years", "rank_matrix",
        "summarize_ranking", "kendall_w_exact",
    ):
        assert name in analysis.__all__ and hasattr(analysis, name)
    assert RankingSummary.__dataclass_params__.frozen
    code = textwrap.dedent(
        """
        import sys
        import analysis
        analysis.summarize_quantity([1.0, 2.0])
        analysis.summarize_ranking(analysis.rank_matrix([[1]], [1, 2]), [1, 2])
        assert "matplotlib" not in sys.modules
        print("ok")
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ok"


def test_answers_typed_as_decimals_are_decided_as_written():
    """Answers 1.2 and 2.1 (type 7 on four answers) give an IQR of exactly 9/10:
    it reaches a limit of 0.9, although 2.1 − 1.2 in binary floats is 0.9000000000000001."""
    from fractions import Fraction

    from analysis import at_most, iqr_exact, summarize_quantity

    summary = summarize_quantity([1.2, 1.2, 2.1, 2.1], quantiles="type6")
    assert summary.exact_q1 == Fraction(6, 5) and summary.exact_q3 == Fraction(21, 10)
    assert iqr_exact(summary) == Fraction(9, 10)
    assert at_most(iqr_exact(summary), 0.9) is True
    assert 2.1 - 1.2 > 0.9  # the float subtraction would have said no
