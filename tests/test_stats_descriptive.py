"""summarize_items: published quantile case, hand computations, numpy cross-checks."""

import statistics

import numpy as np
import pandas as pd
import pytest

from analysis import QUANTILE_METHODS, summarize_items

# Reference case Q01 (docs/statistics.md; /work/shared/reference/statistics.md
# section 2, after Hyndman & Fan 1996): these 12 ratings on a 5-point scale
# give IQR 0.5 (type 7), 1.5 (type 6, SPSS) and 1.0 (Tukey's hinges).
Q01 = [2, 3, 3, 4, 4, 4, 4, 4, 4, 5, 5, 5]


def column(values):
    return np.array(values, dtype=float)[:, np.newaxis]


@pytest.mark.parametrize(
    "method, q1, q3, iqr",
    [("type7", 3.75, 4.25, 0.5), ("type6", 3.25, 4.75, 1.5), ("hinges", 3.5, 4.5, 1.0)],
)
def test_q01_iqr_differs_by_quantile_definition(method, q1, q3, iqr):
    row = summarize_items(column(Q01), quantiles=method).iloc[0]
    assert (row["q1"], row["q3"], row["iqr"]) == (q1, q3, iqr)
    assert row["median"] == 4.0


def test_q01_other_statistics_by_hand():
    row = summarize_items(column(Q01)).iloc[0]
    assert row["n"] == 12 and row["n_missing"] == 0
    assert row["mean"] == pytest.approx(47 / 12)
    assert row["sd"] == pytest.approx(statistics.stdev(Q01))  # sample SD, N - 1
    assert row["cv"] == pytest.approx(statistics.stdev(Q01) / (47 / 12))
    assert row["agreement"] == 9 / 12  # 4s and 5s
    assert row["disagreement"] == 1 / 12  # the mirrored band 1-2
    assert [row[f"count_{v}"] for v in range(1, 6)] == [0, 1, 2, 6, 3]


def test_column_order_and_index():
    frame = summarize_items(np.ones((3, 2)), items=["a", "b"])
    assert list(frame.columns) == [
        "n", "n_missing", "median", "q1", "q3", "iqr", "mean", "sd", "cv",
        "agreement", "disagreement", "count_1", "count_2", "count_3", "count_4", "count_5",
    ]
    assert list(frame.index) == ["a", "b"]
    assert list(summarize_items(np.ones((3, 2))).index) == [0, 1]


def test_missing_ratings_and_unrated_item():
    x = np.array([[1, np.nan], [2, np.nan], [np.nan, np.nan], [5, np.nan]])
    frame = summarize_items(x)
    first, second = frame.iloc[0], frame.iloc[1]
    assert (first["n"], first["n_missing"]) == (3, 1)
    assert first["median"] == 2.0
    assert first["agreement"] == pytest.approx(1 / 3)  # denominator: non-missing
    assert (second["n"], second["n_missing"]) == (0, 4)
    for col in ("median", "q1", "q3", "iqr", "mean", "sd", "cv", "agreement", "disagreement"):
        assert np.isnan(second[col])


def test_single_rating_has_no_sd():
    row = summarize_items([[3.0]]).iloc[0]
    assert row["median"] == 3 and row["iqr"] == 0 and np.isnan(row["sd"]) and np.isnan(row["cv"])


def test_nine_point_scale_with_mirrored_band():
    x = column([1, 2, 3, 7, 8, 9, 9, 5])
    row = summarize_items(x, scale=(1, 9), agree=(7, 9)).iloc[0]
    assert row["agreement"] == 4 / 8
    assert row["disagreement"] == 3 / 8  # mirrored band 1-3
    assert list(summarize_items(x, scale=(1, 9)).columns[-9:]) == [f"count_{v}" for v in range(1, 10)]


def test_zero_based_scale_and_zero_mean():
    row = summarize_items(column([0, 0, 0]), scale=(0, 4), agree=(3, 4)).iloc[0]
    assert row["mean"] == 0 and np.isnan(row["cv"])


def r_fivenum_hinges(values):
    """R's fivenum() hinges, written from its documented definition."""
    x = np.sort(values)
    n = len(x)
    n4 = np.floor((n + 3) / 2) / 2
    d = np.array([n4, n + 1 - n4]) - 1  # 0-based depths
    return 0.5 * (x[np.floor(d).astype(int)] + x[np.ceil(d).astype(int)])


@pytest.mark.parametrize("seed", range(4))
def test_cross_check_numpy_quantiles_and_sd(seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 8, size=(57, 30)).astype(float)
    x[rng.random(x.shape) < 0.2] = np.nan
    t7 = summarize_items(x, scale=(1, 7), agree=(6, 7))
    t6 = summarize_items(x, scale=(1, 7), agree=(6, 7), quantiles="type6")
    th = summarize_items(x, scale=(1, 7), agree=(6, 7), quantiles="hinges")
    for q, col in ((0.25, "q1"), (0.5, "median"), (0.75, "q3")):
        np.testing.assert_allclose(t7[col], np.nanquantile(x, q, axis=0, method="linear"), atol=1e-12)
        np.testing.assert_allclose(t6[col], np.nanquantile(x, q, axis=0, method="weibull"), atol=1e-12)
    np.testing.assert_allclose(t7["mean"], np.nanmean(x, axis=0), rtol=1e-12)
    np.testing.assert_allclose(t7["sd"], np.nanstd(x, axis=0, ddof=1), rtol=1e-10)
    np.testing.assert_array_equal(t7["n"], (~np.isnan(x)).sum(axis=0))
    np.testing.assert_allclose(t7["agreement"], np.nansum(x >= 6, axis=0) / (~np.isnan(x)).sum(axis=0))
    for j in range(x.shape[1]):
        col = x[~np.isnan(x[:, j]), j]
        lo, hi = r_fivenum_hinges(col)
        assert (th["q1"].iloc[j], th["q3"].iloc[j]) == (lo, hi)
        assert th["median"].iloc[j] == np.median(col)


def test_pandas_series_sd_agrees():
    frame = pd.DataFrame({"a": [1, 2, 4, 5, np.nan], "b": [3, 3, 3, 4, 5]})
    out = summarize_items(frame)
    np.testing.assert_allclose(out["sd"], frame.std().to_numpy())  # pandas: ddof = 1


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"ratings": [1, 2, 3]}, "ratings must be 2-D"),
        ({"ratings": np.ones((2, 2, 2))}, "ratings must be 2-D"),
        ({"ratings": [[1, 6]]}, "off the scale"),
        ({"ratings": [[0, 1]]}, "off the scale"),
        ({"ratings": [[1.5, 2]]}, "non-integer"),
        ({"ratings": [[1, 2]], "scale": (5, 1)}, "scale"),
        ({"ratings": [[1, 2]], "scale": (1, 4.5)}, "scale"),
        ({"ratings": [[1, 2]], "scale": 5}, "scale"),
        ({"ratings": [[1, 2]], "agree": (4, 6)}, "agree"),
        ({"ratings": [[1, 2]], "agree": (5, 4)}, "agree"),
        ({"ratings": [[1, 2]], "quantiles": "spss"}, "quantiles"),
        ({"ratings": [[1, 2]], "items": ["only one"]}, "items"),
    ],
)
def test_invalid_input_raises_value_error_naming_the_argument(kwargs, fragment):
    ratings = kwargs.pop("ratings")
    with pytest.raises(ValueError, match=fragment):
        summarize_items(ratings, **kwargs)


def test_quantile_methods_constant():
    assert QUANTILE_METHODS == ("type7", "type6", "hinges")


def test_wide_scale_uses_the_same_definitions():
    # 0..100 (e.g. a visual analogue scale in whole points) takes another
    # counting path; the quantiles must still be numpy's.
    rng = np.random.default_rng(9)
    x = rng.integers(0, 101, size=(31, 8)).astype(float)
    x[rng.random(x.shape) < 0.1] = np.nan
    out = summarize_items(x, scale=(0, 100), agree=(80, 100))
    np.testing.assert_allclose(out["q3"], np.nanquantile(x, 0.75, axis=0), atol=1e-12)
    np.testing.assert_array_equal(out["count_100"], (x == 100).sum(axis=0))
    assert out["disagreement"].tolist() == list(np.nansum(x <= 20, axis=0) / (~np.isnan(x)).sum(axis=0))
