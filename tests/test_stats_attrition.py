"""analysis.attrition: dropouts against stayers, and the consensus with their last answers."""
from itertools import combinations

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep

from analysis import ConsensusRule, rand_ucla, rand_ucla_verdicts, summarize_items
from analysis.attrition import attrition, carried_forward, newcombe_difference, permutation_pvalue


def test_newcombe_worked_example():
    # Newcombe (1998), Table II example (a): 56/70 against 48/80, method 10:
    # difference 0.2000, interval 0.0524 to 0.3339.
    d, low, high = newcombe_difference(56, 70, 48, 80)
    assert (round(d, 4), round(low, 4), round(high, 4)) == (0.2, 0.0524, 0.3339)
    ref = confint_proportions_2indep(56, 70, 48, 80, method="newcomb", compare="diff")
    assert (low, high) == pytest.approx(ref, rel=1e-12)
    # At 0 % and 100 % the interval is still defined.
    d, low, high = newcombe_difference(0, 4, 12, 12)
    assert d == -1.0 and -1.0 <= low < high < 0


def test_permutation_pvalue_is_the_exact_relabelling_distribution():
    agree = np.array([1, 1, 0, 0, 1, 0, 0, 0, 1], bool)  # first 3 = dropouts
    n1, n2 = 3, 6
    observed = agree[:n1].mean() - agree[n1:].mean()
    hits = total = 0
    for group in combinations(range(9), n1):
        mask = np.zeros(9, bool)
        mask[list(group)] = True
        total += 1
        hits += abs(agree[mask].mean() - agree[~mask].mean()) >= abs(observed) - 1e-12
    p = permutation_pvalue(int(agree[:n1].sum()), n1, int(agree[n1:].sum()), n2)
    assert p == pytest.approx(hits / total)
    # scipy's exact permutation distribution is the hypergeometric one (one-sided; its
    # two-sided p doubles the smaller tail, ours counts |d*| >= |d| as above).
    ref = stats.permutation_test((agree[:n1].astype(float), agree[n1:].astype(float)),
                                 lambda x, y: x.mean() - y.mean(), n_resamples=np.inf,
                                 permutation_type="independent", alternative="greater")
    assert ref.pvalue == pytest.approx(stats.hypergeom.sf(2 - 1, 9, 4, 3))


def test_attrition_per_item():
    earlier = np.array([[5, 1], [5, 2], [4, 4], [5, np.nan], [1, 5], [2, 4], [1, np.nan]], float)
    stayed = np.array([True, True, True, True, False, False, False])
    frame = attrition(earlier, stayed, scale=(1, 5), agree=(4, 5))
    first = frame.loc[0]
    assert (first["n_stayers"], first["n_dropouts"]) == (4, 3)
    assert first["agreement_stayers"] == 1.0 and first["agreement_dropouts"] == 0.0
    assert first["difference"] == -1.0 and first["pvalue"] == pytest.approx(1 / 35)
    second = frame.loc[1]
    assert second["n_dropouts"] == 2 and second["agreement_dropouts"] == 1.0
    assert frame.loc[1, "pvalue"] == permutation_pvalue(2, 2, 1, 3)
    none_left = attrition(earlier, np.ones(7, bool))
    assert none_left["reason"].tolist() == ["no dropouts rated the item"] * 2
    with pytest.raises(ValueError, match="stayed"):
        attrition(earlier, [1, 0])


def test_carried_forward_uses_the_rule_and_flags_lost_consensus():
    current = np.array([[5, 5], [5, 4], [4, 4], [5, 1], [4, 2], [5, 5], [4, 4]], float)
    last = np.array([[1, 4], [2, 5], [1, np.nan]], float)
    rule = ConsensusRule(min_n=5)
    frame = carried_forward(current, last, rule=rule)
    # Independent: the rule on the stacked matrix.
    expected = rule.evaluate(summarize_items(np.vstack([current, last])))["verdict"].tolist()
    assert frame["verdict_carried"].tolist() == expected
    assert frame.loc[0, "verdict"] == "consensus_in" and frame.loc[0, "verdict_carried"] != "consensus_in"
    assert bool(frame.loc[0, "flagged"]) is True
    assert frame.loc[0, "agreement_carried"] == pytest.approx(7 / 10)
    assert frame.loc[0, "n_carried"] == 10 and frame.loc[1, "n_carried"] == 9


def test_carried_forward_under_rand_ucla():
    current = np.array([[8], [9], [7], [8], [9], [8]], float)
    last = np.array([[1], [2], [1], [1]], float)
    frame = carried_forward(current, last, scale=(1, 9), agree=(7, 9), rule=None, min_n=3)
    ref = rand_ucla_verdicts(rand_ucla(np.vstack([current, last])), min_n=3)["verdict"].tolist()
    assert frame["verdict"].tolist() == ["consensus_in"]
    assert frame["verdict_carried"].tolist() == ref and frame["flagged"].tolist() == [ref != ["consensus_in"]]
