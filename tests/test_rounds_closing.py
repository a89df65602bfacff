"""Closing freezes statistics equal to ``analysis`` on the answers given; the next
round carries items with their feedback; the stopping rule gives its reasons."""
from __future__ import annotations

from dataclasses import asdict

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

import rounds
from analysis import (
    ConsensusRule,
    interpret_w,
    kendall_w,
    rand_ucla,
    rand_ucla_verdicts,
    stability,
    summarize_items,
)
from delphi.core.database import db
from delphi.core.errors import StateError
from delphi.core.models import ItemStatistics, RoundStatistics, Study
from tests.factories import (
    answer_round,
    build_study,
    close,
    get_round,
    panellist_of,
    run_rounds,
    user_by_email,
)


def matrix(given, emails, item_ids, criterion):
    """The test's own answers as a panellists × items array (NaN = cannot rate)."""
    return np.array([[np.nan if given[e][i][criterion] is None else given[e][i][criterion]
                      for i in item_ids] for e in emails], dtype=float)


def frozen(app, world, number):
    with app.app_context():
        rnd = get_round(world, number)
        stats = {(s.item_id, s.criterion): s for s in db.session.scalars(
            select(ItemStatistics).where(ItemStatistics.round_id == rnd.id))}
        round_stats = db.session.scalar(select(RoundStatistics).where(RoundStatistics.round_id == rnd.id))
        for obj in [*stats.values(), round_stats]:
            db.session.expunge(obj)
        return stats, round_stats


def close_enough(a, b):
    if a is None or (isinstance(a, float) and np.isnan(a)):
        return b is None or (isinstance(b, float) and np.isnan(b))
    return b is not None and abs(a - b) < 1e-12


@pytest.mark.parametrize("points, quantiles", [(5, "type7"), (7, "hinges"), (5, "type6")])
def test_frozen_statistics_equal_analysis(app, points, quantiles):
    criteria = ("importance", "feasibility")
    world = build_study(app, n_panellists=15, n_items=5, criteria=criteria, scale_points=points,
                        quantile_method=quantiles, min_n=12)
    answered = world.panellists[:13]  # two never submit
    given = answer_round(app, world, 1, seed=7, who=answered)
    answer_round(app, world, 1, seed=8, who=world.panellists[13:14], submit=False)  # a draft only
    report = close(app, world, 1)
    stats, round_stats = frozen(app, world, 1)
    band = (points - 1, points)
    rule = ConsensusRule(iqr_max=1, agreement_min=0.7, min_n=12)
    for criterion in criteria:
        x = matrix(given, answered, world.item_ids, criterion)
        expected = summarize_items(x, scale=(1, points), agree=band, quantiles=quantiles,
                                   items=world.item_ids)
        verdicts = rule.evaluate(expected)
        for item in world.item_ids:
            s = stats[(item, criterion)]
            row = expected.loc[item]
            assert s.n == row["n"] and s.n_missing == row["n_missing"]
            too_few = 0 < row["n"] < 12  # below the study's min n: shown as "too few answers"
            assert s.details["too_few"] is bool(too_few)
            for name in ("median", "q1", "q3", "iqr", "mean", "sd", "agreement", "disagreement"):
                assert close_enough(row[name], getattr(s, name)), (name, row[name], getattr(s, name))
            assert s.counts == [int(row[f"count_{v}"]) for v in range(1, points + 1)]
            assert s.verdict == verdicts.loc[item, "verdict"]
        w = kendall_w(x, min_n=12)
        stored = round_stats.concordance[criterion]
        assert stored["too_few"] is w.too_few
        assert stored["w"] == (None if w.w is None else pytest.approx(w.w))
        assert stored["chi2"] == (None if w.chi2 is None else pytest.approx(w.chi2))
        assert stored["df"] == w.df and stored["n_raters"] == w.n_raters
        assert stored["n_dropped"] == w.n_dropped
        assert stored["interpretation"] == interpret_w(w.w)
        assert set(asdict(w)) <= set(stored)
    assert (round_stats.invited, round_stats.started, round_stats.submitted) == (15, 14, 13)
    assert round_stats.response_rate == pytest.approx(13 / 15)
    assert round_stats.stability == {}
    assert report.timings.keys() >= {"read", "statistics", "write"}


def test_rand_ucla_on_nine_points(app):
    world = build_study(app, n_panellists=10, n_items=4, scale_points=9, min_n=5)
    patterns = [[7, 8, 9, 8, 7, 8, 9, 7, 8, 8],     # appropriate
                [1, 2, 3, 2, 1, 2, 3, 2, 2, 1],     # inappropriate
                [1, 9, 1, 9, 1, 9, 2, 8, 5, 5],     # disagreement → uncertain
                [4, 5, 6, 5, 4, 5, 6, 5, 5, 4]]     # uncertain
    values = {e: {item: {"importance": patterns[j][k]} for j, item in enumerate(world.item_ids)}
              for k, e in enumerate(world.panellists)}
    given = answer_round(app, world, 1, values)
    close(app, world, 1)
    stats, _round = frozen(app, world, 1)
    x = matrix(given, world.panellists, world.item_ids, "importance")
    table = rand_ucla(x, items=world.item_ids)
    verdicts = rand_ucla_verdicts(table, min_n=5)
    assert [stats[(i, "importance")].verdict for i in world.item_ids] == list(verdicts["verdict"]) == [
        "consensus_in", "consensus_out", "no_consensus", "no_consensus"]
    for item in world.item_ids:
        details = stats[(item, "importance")].details
        assert details["classification"] == table.loc[item, "classification"]
        assert details["ipras"] == pytest.approx(table.loc[item, "ipras"])
        assert stats[(item, "importance")].agreement == pytest.approx(
            summarize_items(x, scale=(1, 9), agree=(7, 9), items=world.item_ids).loc[item, "agreement"])


def test_min_n_gives_insufficient_n(app):
    world = build_study(app, n_panellists=6, n_items=2, min_n=5)
    item_a, item_b = world.item_ids
    values = {e: {item_a: {"importance": 5}, item_b: {"importance": 5 if k < 4 else None}}
              for k, e in enumerate(world.panellists)}
    answer_round(app, world, 1, values)
    report = close(app, world, 1)
    stats, _r = frozen(app, world, 1)
    assert stats[(item_a, "importance")].verdict == "consensus_in"
    assert stats[(item_b, "importance")].verdict == "insufficient_n"
    assert stats[(item_b, "importance")].n == 4 and stats[(item_b, "importance")].n_missing == 2
    # the unsettled item is carried; the settled one is not
    with app.app_context():
        assert [ri.item_id for ri in get_round(world, 2).round_items] == [item_b]
    assert report.stopping["stop"] is False


def test_feedback_in_round_two_equals_round_one_frozen_statistics(app):
    criteria = ("importance", "feasibility")
    world = build_study(app, n_panellists=8, n_items=4, criteria=criteria, carry_forward="all")
    comments = {e: {world.item_ids[0]: f"Comment number {k}"} for k, e in enumerate(world.panellists[:3])}
    given = answer_round(app, world, 1, seed=3, comments=comments)
    close(app, world, 1)
    stats, _r = frozen(app, world, 1)
    answer_round(app, world, 2, who=[])  # open round 2
    email = world.panellists[1]
    with app.app_context():
        q = rounds.questionnaire(get_round(world, 2), panellist_of(world, email))
    assert [i.item_id for i in q.items] == world.item_ids  # carry_forward="all", ids kept
    for qi in q.items:
        for criterion in criteria:
            fb = qi.feedback["criteria"][criterion]
            s = stats[(qi.item_id, criterion)]
            assert (fb["n"], fb["median"], fb["q1"], fb["q3"], fb["iqr"], fb["counts"], fb["agreement"]) == (
                s.n, s.median, s.q1, s.q3, s.iqr, s.counts, s.agreement)
            assert fb["own_previous"] == given[email][qi.item_id][criterion]
        assert qi.feedback["round"] == 1
    assert sorted(q.items[0].feedback["comments"]) == ["Comment number 0", "Comment number 1",
                                                       "Comment number 2"]
    assert q.items[1].feedback["comments"] == []


def test_feedback_options_hide_what_the_study_does_not_show(app):
    world = build_study(app, n_panellists=6, n_items=1, carry_forward="all", show_distribution=False,
                        show_median_iqr=False, show_comments=False)
    answer_round(app, world, 1, comments=lambda e, i: "hidden comment")
    close(app, world, 1)
    answer_round(app, world, 2, who=[])
    with app.app_context():
        q = rounds.questionnaire(get_round(world, 2), panellist_of(world, world.panellists[0]))
    fb = q.items[0].feedback
    assert fb["comments"] == []
    entry = fb["criteria"]["importance"]
    assert entry["counts"] is None and entry["median"] is None and entry["iqr"] is None
    assert "own_previous" in entry


def test_carry_forward_no_consensus_keeps_ids_and_order(app):
    world = build_study(app, n_panellists=6, n_items=4)
    settled, open_a, settled_out, open_b = world.item_ids
    # settled: all 5 (in); open: a split panel; settled_out: all 1 (out, by the default
    # rejection rule): neither settled item is carried
    values = {e: {settled: {"importance": 5}, open_a: {"importance": 1 + k % 5},
                  settled_out: {"importance": 1}, open_b: {"importance": 2 + k % 3}}
              for k, e in enumerate(world.panellists)}
    answer_round(app, world, 1, values)
    report = close(app, world, 1)
    with app.app_context():
        carried = [ri.item_id for ri in get_round(world, 2).round_items]
    assert carried == [open_a, open_b]
    assert report.stopping["checks"]["carry_forward"] == carried


def test_stability_against_the_previous_round(app):
    world = build_study(app, n_panellists=8, n_items=3, carry_forward="all", max_rounds=5)
    first = answer_round(app, world, 1, seed=11)
    close(app, world, 1)
    # round 2: one panellist drops out, the others move a little
    stayers = world.panellists[1:]
    second = answer_round(app, world, 2, seed=12, who=stayers)
    close(app, world, 2)
    _stats, round_stats = frozen(app, world, 2)
    before = matrix(first, stayers, world.item_ids, "importance")
    after = matrix(second, stayers, world.item_ids, "importance")
    expected = stability(before, after, agree=(4, 5), scale=(1, 5), items=world.item_ids)
    for item in world.item_ids:
        stored = round_stats.stability[f"{item}:importance"]
        row = expected.loc[item]
        assert stored["n_pairs"] == row["n_pairs"]
        assert stored["stable"] == (None if pd.isna(row["stable"]) else bool(row["stable"]))
        assert close_enough(row["pct_change"], stored["pct_change"])
        assert close_enough(row["kappa"], stored["kappa"])
        assert close_enough(row["wilcoxon_pvalue"], stored["wilcoxon_pvalue"])


def test_stopping_max_rounds_and_all_settled(app):
    world = build_study(app, n_panellists=6, n_items=2, max_rounds=2)
    answer_round(app, world, 1, lambda e, i, c: 5 if i == world.item_ids[0] else 1 + world.panellists.index(e) % 5)
    first = close(app, world, 1)
    assert first.stopping["stop"] is False and first.next_round.number == 2
    answer_round(app, world, 2, lambda e, i, c: 3)
    second = close(app, world, 2)
    assert second.next_round is None
    codes = [r["code"] for r in second.stopping["reasons"]]
    assert "max_rounds" in codes
    assert all(r["message"] for r in second.stopping["reasons"])

    settled = build_study(app, n_panellists=6, n_items=2, max_rounds=5)
    answer_round(app, settled, 1, lambda e, i, c: 5)
    report = close(app, settled, 1)
    assert report.next_round is None
    assert [r["code"] for r in report.stopping["reasons"]] == ["all_settled", "nothing_to_carry"]


def test_stopping_on_w_and_stability(app):
    world = build_study(app, n_panellists=8, n_items=3, carry_forward="all", max_rounds=9,
                        stop_w_threshold=0.7, stop_when_settled=False)
    ranks = {world.item_ids[0]: 1, world.item_ids[1]: 3, world.item_ids[2]: 5}
    answer_round(app, world, 1, lambda e, i, c: ranks[i])
    first = close(app, world, 1)
    assert first.stopping["stop"] is False  # no previous round: stability unknown
    assert first.stopping["checks"]["w"]["importance"] == pytest.approx(1.0)
    answer_round(app, world, 2, lambda e, i, c: ranks[i])
    second = close(app, world, 2)
    assert [r["code"] for r in second.stopping["reasons"]] == ["w_and_stable"]
    assert second.stopping["checks"]["stable_share"] == 1.0
    assert second.next_round is None


def test_run_rounds_simulates_a_converging_delphi(app):
    world = build_study(app, n_panellists=20, n_items=6, max_rounds=3)
    reports = run_rounds(app, world, 3, seed=5)
    assert 1 <= len(reports) <= 3
    assert reports[-1].stopping["stop"] is True
    with app.app_context():
        results = rounds.round_results(get_round(world, len(reports)))
        participation = rounds.participation(db.session.get(Study, world.study_id))
    assert results["response_rate"] == 1.0
    assert {row["verdict"] for row in results["items"]} <= {"consensus_in", "consensus_out",
                                                             "no_consensus", "insufficient_n"}
    assert all(row["consensus"] == (row["verdict"] == "consensus_in") for row in results["items"])
    assert [p["submitted"] for p in participation] == [20] * len(reports)
    if len(reports) > 1:
        assert participation[1]["stayers"] == 20 and participation[1]["dropouts"] == 0


def test_results_before_close_is_a_state_error(app):
    world = build_study(app, n_panellists=2, n_items=1)
    with app.app_context():
        with pytest.raises(StateError):
            rounds.round_results(get_round(world, 1))


def test_withdrawn_panellists_do_not_count(app):
    world = build_study(app, n_panellists=6, n_items=2)
    given = answer_round(app, world, 1, lambda e, i, c: 1 + world.panellists.index(e) % 5)
    leaver = world.panellists[0]
    with app.app_context():
        rounds.withdraw_panellist(panellist_of(world, leaver), actor=user_by_email(leaver))
        db.session.commit()
    close(app, world, 1)
    with app.app_context():
        assert rounds.round_matrices(get_round(world, 1)).n_panellists == 5
    stats, round_stats = frozen(app, world, 1)
    stayers = world.panellists[1:]
    x = matrix(given, stayers, world.item_ids, "importance")
    expected = summarize_items(x, scale=(1, 5), agree=(4, 5), items=world.item_ids)
    for item in world.item_ids:
        assert stats[(item, "importance")].n == 5
        assert stats[(item, "importance")].median == expected.loc[item, "median"]
    assert (round_stats.invited, round_stats.submitted) == (5, 5)
