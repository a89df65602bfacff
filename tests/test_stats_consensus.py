"""ConsensusRule: verdicts, threshold operators, serialisation."""

import json

import numpy as np
import pandas as pd
import pytest

from analysis import (
    VERDICTS,
    ConsensusRule,
    rand_ucla,
    rand_ucla_verdicts,
    summarize_items,
)

# Q01 (reference case; see test_stats_descriptive): 75 % agreement exactly,
# IQR 0.5 under type 7 and 1.5 under type 6.
Q01 = np.array([[2, 3, 3, 4, 4, 4, 4, 4, 4, 5, 5, 5]], dtype=float).T


def test_threshold_is_inclusive_and_quantile_choice_flips_the_verdict():
    # ">= 75 %" holds at exactly 75 % (the D01 item 2 pitfall, statistics
    # reference section 2); IQR <= 1 holds under type 7 but not type 6.
    rule = ConsensusRule(iqr_max=1.0, agreement_min=0.75)
    v7 = rule.evaluate(summarize_items(Q01, quantiles="type7")).iloc[0]
    v6 = rule.evaluate(summarize_items(Q01, quantiles="type6")).iloc[0]
    assert v7["verdict"] == "consensus_in" and v7["agreement_ok"] and v7["iqr_ok"]
    assert v6["verdict"] == "no_consensus" and v6["agreement_ok"] and not v6["iqr_ok"]
    strict = ConsensusRule(iqr_max=1.0, agreement_min=0.7501)
    assert strict.evaluate(summarize_items(Q01)).iloc[0]["verdict"] == "no_consensus"


def test_all_verdicts():
    x = np.array(
        [
            [5, 1, 3, np.nan],
            [5, 1, 5, np.nan],
            [4, 2, 1, 4],
            [5, 1, 5, np.nan],
            [4, 1, 1, np.nan],
        ]
    )
    rule = ConsensusRule(iqr_max=1.0, agreement_min=0.7, disagreement_min=0.7, min_n=2)
    out = rule.evaluate(summarize_items(x))
    assert out["verdict"].tolist() == ["consensus_in", "consensus_out", "no_consensus", "insufficient_n"]
    assert list(out.columns) == ["verdict", "n_ok", "iqr_ok", "agreement_ok", "disagreement_ok", "median_ok"]
    assert out["median_ok"].isna().all()  # condition not used by this rule
    assert set(out["verdict"]) <= set(VERDICTS)


def test_unrated_item_is_insufficient_n_even_without_min_n():
    # Second item: one rating of 5 -> IQR 0, agreement 1.0: consensus_in under
    # the default rule unless a min_n says one answer is not enough.
    summary = summarize_items(np.array([[np.nan, 5.0]]))
    assert ConsensusRule().evaluate(summary)["verdict"].tolist() == ["insufficient_n", "consensus_in"]
    with_min = ConsensusRule(min_n=2).evaluate(summary)
    assert with_min["verdict"].tolist() == ["insufficient_n", "insufficient_n"]
    assert with_min["n_ok"].tolist() == [False, False]


def test_median_range_and_combine_any():
    x = np.array([[3, 3, 3, 4, 5]], dtype=float).T  # median 3, IQR 1, agreement 0.4
    s = summarize_items(x)
    assert ConsensusRule(iqr_max=1, agreement_min=0.7).evaluate(s)["verdict"].iloc[0] == "no_consensus"
    assert ConsensusRule(iqr_max=1, agreement_min=0.7, combine="any").evaluate(s)["verdict"].iloc[0] == "consensus_in"
    med = ConsensusRule(iqr_max=1, agreement_min=None, median_range=(4, 5)).evaluate(s).iloc[0]
    assert med["verdict"] == "no_consensus" and not med["median_ok"] and med["iqr_ok"]


def test_in_and_out_at_once_is_not_consensus():
    x = np.array([[1, 1, 5, 5]], dtype=float).T
    rule = ConsensusRule(iqr_max=None, agreement_min=0.5, disagreement_min=0.5)
    assert rule.evaluate(summarize_items(x))["verdict"].iloc[0] == "no_consensus"


def test_round_trip_through_json():
    rule = ConsensusRule(iqr_max=1.0, agreement_min=0.75, disagreement_min=0.75, median_range=(4, 5), min_n=5)
    data = json.loads(json.dumps(rule.to_dict()))
    assert ConsensusRule.from_dict(data) == rule
    text = rule.describe()
    assert "IQR <= 1" in text and "75%" in text and "fewer than 5" in text and "Consensus out" in text


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"iqr_max": -1}, "iqr_max"),
        ({"agreement_min": 70}, "agreement_min"),
        ({"disagreement_min": "x"}, "disagreement_min"),
        ({"median_range": (5, 4)}, "median_range"),
        ({"min_n": 0}, "min_n"),
        ({"combine": "most"}, "combine"),
        ({"iqr_max": None, "agreement_min": None}, "at least one"),
    ],
)
def test_invalid_rules(kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        ConsensusRule(**kwargs)


def test_from_dict_rejects_unknown_keys_and_evaluate_checks_columns():
    with pytest.raises(ValueError, match="unknown keys"):
        ConsensusRule.from_dict({"iqr": 1})
    with pytest.raises(ValueError, match="summary"):
        ConsensusRule().evaluate(pd.DataFrame({"n": [3]}))


def test_rand_ucla_verdicts_mapping():
    x = np.array(
        [[8, 1, 5, np.nan], [8, 2, 5, np.nan], [9, 1, 5, np.nan], [7, 2, 4, np.nan], [8, 3, 6, np.nan]],
        dtype=float,
    )
    out = rand_ucla_verdicts(rand_ucla(x))
    assert out["verdict"].tolist() == ["consensus_in", "consensus_out", "no_consensus", "insufficient_n"]
    assert rand_ucla_verdicts(rand_ucla(x), min_n=6)["verdict"].eq("insufficient_n").all()
    with pytest.raises(ValueError, match="table"):
        rand_ucla_verdicts(pd.DataFrame({"x": [1]}))
