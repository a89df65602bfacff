"""RAND/UCLA appropriateness method: IPRAS and classification."""

import numpy as np
import pytest

from analysis import rand_ucla


def test_r01_bmj_open_2012_table_1():
    # Source: BMJ Open 2012;2:e001431, Table 1 (RAND/UCLA IPRAS worked
    # example): n = 15, median 7, P30 7, P70 8 -> IPR 1, IPRCP 7.5, AI 2.5,
    # IPRAS 6.1, DI 0.164, no disagreement. (The article's text writes
    # "2.5 + AI x 1.5", but its 6.1 only fits IPRr = 2.35.) The table gives
    # summary values only; these 15 ratings have exactly those type-7
    # percentiles (P30 at position 5.2 -> 7, P70 at 10.8 -> 8).
    ratings = np.array([[5, 6, 6, 7, 7, 7, 7, 7, 8, 8, 8, 8, 9, 9, 9]], dtype=float).T
    row = rand_ucla(ratings).iloc[0]
    assert (row["n"], row["median"], row["p30"], row["p70"]) == (15, 7, 7, 8)
    assert row["ipr"] == 1 and row["iprcp"] == 7.5 and row["asymmetry"] == 2.5
    assert row["ipras"] == pytest.approx(6.1)
    assert row["di"] == pytest.approx(0.164, abs=5e-4)
    assert not row["disagreement"]
    assert row["classification"] == "appropriate"


def test_r05_quantile_definition_flips_disagreement():
    # Reference case R05 (statistics reference, section 4): 4,4,4,5,5,5,8,8,8
    # -> type 7: IPR 2.4 < IPRAS 3.25 (no disagreement); type 6: IPR 4.0 > 3.85.
    ratings = np.array([[4, 4, 4, 5, 5, 5, 8, 8, 8]], dtype=float).T
    t7 = rand_ucla(ratings).iloc[0]
    t6 = rand_ucla(ratings, quantiles="type6").iloc[0]
    assert t7["ipr"] == pytest.approx(2.4) and t7["ipras"] == pytest.approx(3.25) and not t7["disagreement"]
    assert t6["ipr"] == pytest.approx(4.0) and t6["ipras"] == pytest.approx(3.85) and t6["disagreement"]
    assert t6["classification"] == "uncertain"


def test_half_point_median_is_uncertain():
    # R04-like: an even panel split between 6 and 7 has median 6.5.
    ratings = np.array([[6, 6, 6, 7, 7, 7], [3, 3, 3, 4, 4, 4]], dtype=float).T
    out = rand_ucla(ratings)
    assert out["median"].tolist() == [6.5, 3.5]
    assert out["classification"].tolist() == ["uncertain", "uncertain"]


def test_inappropriate_and_disagreement_override():
    ratings = np.array([[1, 2, 2, 3, 2, 1], [1, 1, 9, 9, 9, 9]], dtype=float).T
    out = rand_ucla(ratings)
    assert out["classification"].iloc[0] == "inappropriate"
    # Item 2 by hand: sorted 1, 1, 9, 9, 9, 9; P30 at position 1 + 5 * 0.3 = 2.5
    # -> 1 + 0.5 * (9 - 1) = 5; P70 at 4.5 -> 9; IPR 4, IPRCP 7, AI 2,
    # IPRAS 2.35 + 3 = 5.35 > 4: no disagreement, median 9 -> appropriate.
    assert out["p30"].iloc[1] == 5 and out["p70"].iloc[1] == 9
    assert out["ipras"].iloc[1] == pytest.approx(5.35)
    assert out["classification"].iloc[1] == "appropriate"
    split = np.array([[1, 1, 1, 1, 9, 9, 9, 9, 9]], dtype=float).T  # P30 1, P70 9: IPR 8 > 2.35
    row = rand_ucla(split).iloc[0]
    assert row["disagreement"] and row["median"] == 9 and row["classification"] == "uncertain"


def test_unrated_item():
    row = rand_ucla(np.array([[np.nan], [np.nan]])).iloc[0]
    assert row["n"] == 0 and np.isnan(row["median"]) and row["classification"] is None


@pytest.mark.parametrize("seed", range(3))
def test_percentiles_match_numpy(seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 10, size=(23, 15)).astype(float)
    x[rng.random(x.shape) < 0.15] = np.nan
    for method, np_method in (("type7", "linear"), ("type6", "weibull")):
        out = rand_ucla(x, quantiles=method)
        np.testing.assert_allclose(out["p30"], np.nanquantile(x, 0.3, axis=0, method=np_method), atol=1e-12)
        np.testing.assert_allclose(out["p70"], np.nanquantile(x, 0.7, axis=0, method=np_method), atol=1e-12)


@pytest.mark.parametrize(
    "ratings, kwargs, fragment",
    [
        ([[10]], {}, "off the scale"),
        ([[0]], {}, "off the scale"),
        ([1, 2], {}, "2-D"),
        ([[5]], {"quantiles": "hinges"}, "quantiles"),
    ],
)
def test_invalid(ratings, kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        rand_ucla(ratings, **kwargs)
