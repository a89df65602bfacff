"""subgroups: suppression of small cells, Kruskal-Wallis, divergence flag."""

import numpy as np
import pytest
from scipy import stats

from analysis import ConsensusRule, SubgroupResult, subgroups


def panel():
    # 3 groups: farmers (8), researchers (6), ngo (3); 2 items.
    item0 = [5, 5, 4, 5, 4, 5, 5, 4] + [4, 5, 4, 4, 5, 4] + [4, 5, 4]
    item1 = [1, 2, 1, 1, 2, 1, 2, 1] + [5, 5, 4, 5, 5, 4] + [3, 3, 3]
    groups = ["farmers"] * 8 + ["researchers"] * 6 + ["ngo"] * 3
    return np.array([item0, item1], dtype=float).T, groups


def test_primary_and_complementary_suppression():
    ratings, groups = panel()
    res = subgroups(ratings, groups, min_cell=5)
    assert isinstance(res, SubgroupResult)
    cells = res.cells.set_index(["group", "item"])
    assert list(res.cells.columns) == [
        "group", "item", "n", "median", "q1", "q3", "iqr", "agreement", "suppressed", "reason",
    ]
    # ngo has 3 < 5 answers: suppressed. It is the only suppressed cell of
    # each item, so the smallest other cell (researchers, n = 6) goes too:
    # otherwise panel total minus farmers minus researchers = ngo.
    ngo = cells.loc[("ngo", 0)]
    assert ngo["suppressed"] and ngo["n"] is None and ngo["median"] is None and "fewer than 5" in ngo["reason"]
    res_cell = cells.loc[("researchers", 0)]
    assert res_cell["suppressed"] and res_cell["agreement"] is None and "complementary" in res_cell["reason"]
    farmers = cells.loc[("farmers", 0)]
    assert not farmers["suppressed"] and farmers["n"] == 8 and farmers["median"] == 5.0
    assert farmers["agreement"] == 1.0 and farmers["reason"] is None
    # Only one group left to test: Kruskal-Wallis not done.
    assert res.tests["kw_pvalue"].tolist() == [None, None]
    assert "fewer than 2 groups" in res.tests["reason"].iloc[0]


def test_two_small_cells_need_no_complementary_suppression():
    ratings, groups = panel()
    groups = ["farmers"] * 8 + ["researchers"] * 3 + ["ngo"] * 3 + ["farmers"] * 3
    cells = subgroups(ratings, groups, min_cell=5).cells
    assert cells.groupby("group")["suppressed"].all().to_dict() == {
        "farmers": False, "ngo": True, "researchers": True,
    }


def test_kruskal_wallis_matches_scipy_and_divergence():
    ratings, groups = panel()
    res = subgroups(ratings, groups, min_cell=3)  # nothing suppressed
    assert not res.cells["suppressed"].any()
    g = np.array(groups)
    for j in range(2):
        ref = stats.kruskal(*[ratings[g == name, j] for name in ("farmers", "ngo", "researchers")])
        row = res.tests.iloc[j]
        assert row["groups_tested"] == 3
        assert row["kw_statistic"] == pytest.approx(ref.statistic, rel=1e-12)
        assert row["kw_pvalue"] == pytest.approx(ref.pvalue, rel=1e-12)
    # Without a rule, diverges follows the p-value alone.
    assert res.tests["diverges"].tolist() == [p < 0.05 for p in res.tests["kw_pvalue"]]
    assert res.tests["diverges"].iloc[1]


def test_diverges_needs_panel_consensus_when_a_rule_is_given():
    # Whole panel of item 0 agrees (IQR <= 1, >= 70 % in 4-5) while the
    # groups differ significantly: diverges. Item 1 has groups differing but
    # no panel consensus: does not diverge.
    a = [5] * 10 + [4] * 10 + [5, 5, 5, 4, 4, 4, 4, 2, 3, 2]
    b = [1] * 10 + [5] * 10 + [3] * 10
    groups = ["x"] * 10 + ["y"] * 10 + ["z"] * 10
    ratings = np.array([a, b], dtype=float).T
    res = subgroups(ratings, groups, rule=ConsensusRule(iqr_max=1.0, agreement_min=0.7))
    tests = res.tests
    assert tests["panel_verdict"].tolist() == ["consensus_in", "no_consensus"]
    ref = stats.kruskal(ratings[:10, 0], ratings[10:20, 0], ratings[20:, 0])
    assert tests["kw_pvalue"].iloc[0] == pytest.approx(ref.pvalue) and ref.pvalue < 0.05
    assert tests["diverges"].tolist() == [True, False]


def test_identical_ratings_no_test():
    ratings = np.full((12, 1), 4.0)
    res = subgroups(ratings, ["a"] * 6 + ["b"] * 6)
    assert res.tests["kw_pvalue"].iloc[0] is None and "identical" in res.tests["reason"].iloc[0]
    assert not res.tests["diverges"].iloc[0]


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"groups": ["a"] * 3}, "groups must be 1-D"),
        ({"groups": ["a"] * 16 + [None]}, "missing labels"),
        ({"min_cell": 0}, "min_cell"),
        ({"alpha": 1.5}, "alpha"),
        ({"rule": {"iqr_max": 1}}, "rule"),
        ({"quantiles": "type9"}, "quantiles"),
    ],
)
def test_invalid(kwargs, fragment):
    ratings, groups = panel()
    kwargs.setdefault("groups", groups)
    with pytest.raises(ValueError, match=fragment):
        subgroups(ratings, **kwargs)
