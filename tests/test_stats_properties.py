"""Property-based tests (hypothesis) of Kendall's W and the item summaries."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import stats

from analysis import kendall_w, summarize_items


def likert(min_rows=2, max_rows=12, min_cols=2, max_cols=10, scale=5):
    return st.tuples(
        st.integers(min_rows, max_rows), st.integers(min_cols, max_cols)
    ).flatmap(lambda shape: arrays(np.float64, shape, elements=st.integers(1, scale).map(float)))


@settings(max_examples=150, deadline=None)
@given(likert())
def test_w_in_unit_interval(x):
    res = kendall_w(x)
    if res.w is not None:
        assert 0.0 <= res.w <= 1.0
        assert 0.0 <= res.w_uncorrected <= res.w + 1e-15


@settings(max_examples=100, deadline=None)
@given(likert(), st.randoms(use_true_random=False))
def test_w_invariant_to_panellist_order(x, rnd):
    order = list(range(x.shape[0]))
    rnd.shuffle(order)
    a, b = kendall_w(x), kendall_w(x[order])
    assert (a.w is None) == (b.w is None)
    if a.w is not None:
        assert b.w == pytest.approx(a.w, rel=1e-12, abs=1e-15)


@settings(max_examples=100, deadline=None)
@given(
    arrays(np.float64, st.integers(2, 10), elements=st.integers(1, 7).map(float)),
    st.integers(2, 15),
)
def test_identical_non_constant_panellists_give_w_one(row, m):
    assume(np.unique(row).size > 1)
    res = kendall_w(np.tile(row, (m, 1)))
    assert res.w == 1.0
    assert res.f is None and res.f_reason


@settings(max_examples=150, deadline=None)
@given(likert(min_cols=3))
def test_chi2_equals_scipy_tie_corrected_friedman(x):
    res = kendall_w(x)
    if res.w is None:
        return
    ref = stats.friedmanchisquare(*x.T)
    assert res.chi2 == pytest.approx(ref.statistic, rel=1e-9, abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(
    arrays(np.float64, st.integers(3, 8), elements=st.integers(1, 9).map(float), unique=True),
    st.integers(3, 12),
    st.randoms(use_true_random=False),
)
def test_transposed_matrix_gives_a_different_w(row, m, rnd):
    # Panellists who order the items identically (W = 1), up to a swap of two
    # items by one panellist: the transpose asks whether items order the
    # panellists, which here they hardly do.
    x = np.tile(row, (m, 1))
    i, j = rnd.sample(range(row.size), 2)
    x[0, [i, j]] = x[0, [j, i]]
    w, wt = kendall_w(x).w, kendall_w(x.T).w
    assert w is not None
    assert wt is None or abs(w - wt) > 1e-6


@settings(max_examples=100, deadline=None)
@given(
    st.tuples(st.integers(1, 25), st.integers(1, 6)).flatmap(
        lambda shape: arrays(
            np.float64, shape, elements=st.one_of(st.integers(1, 5).map(float), st.just(np.nan))
        )
    )
)
def test_summary_matches_numpy_and_is_consistent(x):
    out = summarize_items(x)
    n = (~np.isnan(x)).sum(axis=0)
    assert out["n"].tolist() == n.tolist()
    assert (out["n"] + out["n_missing"] == x.shape[0]).all()
    assert (out[[f"count_{v}" for v in range(1, 6)]].sum(axis=1) == out["n"]).all()
    rated = n > 0
    if rated.any():
        with np.errstate(all="ignore"):
            np.testing.assert_allclose(
                out["q1"][rated], np.nanquantile(x[:, rated], 0.25, axis=0), atol=1e-12
            )
            np.testing.assert_allclose(
                out["median"][rated], np.nanmedian(x[:, rated], axis=0), atol=1e-12
            )
        assert (out["q1"][rated] <= out["median"][rated]).all()
        assert (out["median"][rated] <= out["q3"][rated]).all()
        assert (out["agreement"][rated] + out["disagreement"][rated] <= 1 + 1e-12).all()
