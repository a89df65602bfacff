"""analysis.uncertainty: seeded percentile bootstrap intervals and the W change test."""
from fractions import Fraction
from itertools import product

import numpy as np
import pytest
from scipy import stats

from analysis import ConsensusRule, kendall_w
from analysis.uncertainty import (
    _bound,
    bootstrap_items,
    bootstrap_w,
    resample_indices,
    w_change,
)

RNG = np.random.default_rng(11)
PANEL = np.column_stack([
    np.r_[[5] * 14, [4] * 4, [2] * 2],          # agreed
    RNG.integers(1, 6, 20),                      # scattered
    np.r_[[4] * 10, [3] * 6, [5] * 4],
]).astype(float)


def _scipy_interval(statistic, seed, b=1000):
    """scipy's percentile bootstrap of a statistic of the resampled rows, same seed."""
    res = stats.bootstrap((np.arange(PANEL.shape[0]),), statistic, n_resamples=b,
                          method="percentile", vectorized=True, rng=np.random.default_rng(seed))
    return res.confidence_interval.low, res.confidence_interval.high


def test_intervals_match_scipy_bootstrap_on_the_same_resamples():
    frame = bootstrap_items(PANEL, scale=(1, 5), agree=(4, 5), n_resamples=1000, seed=7)
    for j in range(3):
        def agreement(idx, axis=-1, j=j):
            return ((PANEL[idx, j] >= 4)).mean(axis=-1)

        def median(idx, axis=-1, j=j):
            return np.median(PANEL[idx, j], axis=-1)

        def iqr(idx, axis=-1, j=j):  # type 7 = numpy's linear
            q1, q3 = np.percentile(PANEL[idx, j], [25, 75], axis=-1)
            return q3 - q1

        for name, fn in (("agreement", agreement), ("median", median), ("iqr", iqr)):
            low, high = _scipy_interval(fn, 7)
            assert frame.loc[j, f"{name}_low"] == pytest.approx(low, abs=1e-12), (name, j)
            assert frame.loc[j, f"{name}_high"] == pytest.approx(high, abs=1e-12), (name, j)


def test_a_hand_computed_case_and_its_verdict_with_confidence():
    # Everybody rates 5: every resample is the same, the interval is the point.
    x = np.full((8, 1), 5.0)
    frame = bootstrap_items(x, rule=ConsensusRule(), n_resamples=200, seed=1)
    row = frame.iloc[0]
    assert (row["agreement_low"], row["agreement_high"], row["median_low"], row["iqr_high"]) == (
        1.0, 1.0, 5.0, 0.0)
    assert row["verdict"] == "consensus_in" and row["confident"] is True
    # 15 of 20 agree (75 % >= 70 %): consensus, but resamples fall below 70 %.
    y = np.array([[5] * 15 + [1] * 5], float).T
    frame = bootstrap_items(y, rule=ConsensusRule(iqr_max=None), n_resamples=2000, seed=3)
    row = frame.iloc[0]
    assert row["verdict"] == "consensus_in"
    assert row["agreement_low"] < 0.7 and row["confident"] is False


def test_brute_force_percentile_on_the_drawn_resamples():
    idx = resample_indices(PANEL.shape[0], 101, seed=5)
    agreement = (PANEL[idx, 0] >= 4).mean(axis=1)
    frame = bootstrap_items(PANEL, n_resamples=101, seed=5)
    # B = 101: the 2.5 % quantile sits at (B - 1) * 0.025 = 2.5: halfway between the
    # 3rd and 4th smallest values.
    ordered = np.sort(agreement)
    assert frame.loc[0, "agreement_low"] == pytest.approx((ordered[2] + ordered[3]) / 2)
    assert frame.loc[0, "agreement_high"] == pytest.approx((ordered[97] + ordered[98]) / 2)


def test_bounds_are_exact_rationals_rounded_once():
    # Three resample agreements 0/5, 1/5, 1/5; the 2.5 % point is at h = 0.05:
    # 0 + 0.05 * 1/5 = 1/100 exactly; float interpolation gives 0.010000000000000002.
    values = np.array([0.0, 0.2, 0.2])
    num, den = np.array([0, 1, 1]), np.array([5, 5, 5])
    exact = _bound(values, Fraction(1, 40), lambda i: Fraction(int(num[i]), int(den[i])))
    assert exact == 0.01
    assert np.quantile(values, 0.025) != 0.01  # the float way misses it


def test_reproducible_and_seed_dependent_and_min_n():
    a = bootstrap_items(PANEL, n_resamples=300, seed=[1, 2, 3])
    b = bootstrap_items(PANEL, n_resamples=300, seed=[1, 2, 3])
    c = bootstrap_items(PANEL, n_resamples=300, seed=[1, 2, 4])
    assert a.equals(b) and not a.equals(c)
    few = bootstrap_items(PANEL[:4], min_n=5, n_resamples=100, seed=0)
    assert few["reason"].tolist() == ["too few answers"] * 3
    assert few["agreement_low"].isna().all()
    with pytest.raises(ValueError, match="confidence"):
        bootstrap_items(PANEL, confidence=1.5)


def test_w_interval_matches_kendall_w_on_each_resample():
    x = np.array([[1, 2, 3, 4], [2, 1, 3, 4], [1, 3, 2, 4], [4, 3, 2, 1], [1, 2, 4, 3],
                  [2, 2, 3, 4], [1, 2, 3, 3]], float)
    b = 60
    idx = resample_indices(x.shape[0], b, seed=9)
    brute = np.array([kendall_w(x[i]).w if kendall_w(x[i]).w is not None else np.nan for i in idx])
    result = bootstrap_w(x, n_resamples=b, seed=9)
    assert result.w == pytest.approx(kendall_w(x).w)
    finite = brute[~np.isnan(brute)]
    assert result.low == pytest.approx(np.quantile(finite, 0.025))
    assert result.high == pytest.approx(np.quantile(finite, 0.975))


def test_w_change_exact_against_brute_force_and_scipy():
    rng = np.random.default_rng(4)
    before = rng.integers(1, 6, (6, 4)).astype(float)
    after = np.clip(before + rng.integers(-1, 2, before.shape), 1, 5)
    result = w_change(before, after, n_permutations=10_000)
    assert result.exact and result.n_permutations == 2 ** 6
    observed = kendall_w(after).w - kendall_w(before).w
    assert result.change == pytest.approx(observed)
    hits = 0
    for swap in product((False, True), repeat=6):
        s = np.array(swap)[:, None]
        b, a = np.where(s, after, before), np.where(s, before, after)
        hits += abs(kendall_w(a).w - kendall_w(b).w) >= abs(observed) * (1 - 1e-12)
    assert result.pvalue == pytest.approx(hits / 64)
    # scipy's paired ("samples") permutation test on row labels of the stacked rounds.
    stacked = np.vstack([before, after])

    def statistic(i, j):
        return kendall_w(stacked[j.astype(int)]).w - kendall_w(stacked[i.astype(int)]).w

    ref = stats.permutation_test((np.arange(6.0), np.arange(6.0, 12.0)), statistic,
                                 permutation_type="samples", n_resamples=np.inf)
    assert result.pvalue == pytest.approx(ref.pvalue)


def test_w_change_monte_carlo_is_seeded():
    rng = np.random.default_rng(2)
    before = rng.integers(1, 6, (20, 5)).astype(float)
    after = np.sort(before, axis=1)  # everyone now ranks the items alike
    one = w_change(before, after, n_permutations=500, seed=3)
    assert not one.exact and one == w_change(before, after, n_permutations=500, seed=3)
    assert one.change > 0 and one.pvalue < 0.01
    assert one.pvalue >= 1 / 501  # never zero (Phipson & Smyth)
