"""The question kinds through the process: items, answers, close, feedback (both databases)."""
from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import select

import rounds
from delphi.core.database import db
from delphi.core.errors import InvalidInput
from delphi.core.models import AuditEvent, Item, Rating, Response, Study
from tests.factories import (
    MIXED_ITEMS,
    add_mixed_items,
    answer_round,
    build_study,
    close,
    get_round,
    panellist_of,
    user_by_email,
)


def _type7(values, p):
    return float(np.quantile(np.asarray(values, dtype=float), p, method="linear"))


@pytest.fixture
def mixed(app):
    world = build_study(app, n_panellists=12, n_items=2)
    ids = add_mixed_items(app, world)
    return world, dict(zip(("estimate_q", "estimate", "probability", "year", "ranking"), ids))


def test_items_of_every_kind_keep_their_checked_parameters(app, mixed):
    _world, ids = mixed
    with app.app_context():
        estimate = db.session.get(Item, ids["estimate_q"])
        assert estimate.kind == "estimate"
        assert estimate.params == {"unit": "%", "min": 0.0, "max": 100.0, "quantiles": True,
                                   "indicator": None, "baseline": {"value": 14.3, "year": 2019},
                                   "target": {"value": 100.0, "year": 2030}}
        ranking = db.session.get(Item, ids["ranking"])
        assert ranking.params["options"] == [
            {"id": 1, "text": "Training"}, {"id": 2, "text": "Funding"},
            {"id": 3, "text": "Monitoring"}, {"id": 4, "text": "Policy dialogue"}]
        added = db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "item.added", AuditEvent.object_id == str(ids["ranking"])))
        assert added is not None and added.details["kind"] == "ranking"


@pytest.mark.parametrize("kind, params, field", [
    ("estimate", {"unit": "%", "min": 10, "max": 5}, "params.max"),
    ("estimate", {"min": 0, "max": float("inf")}, "params.max"),
    ("estimate", {"min": 0, "max": 10, "quantiles": "yes"}, "params.quantiles"),
    ("estimate", {"min": 0, "max": 10, "indicator": 10**12}, "params.indicator"),
    ("estimate", {"min": 0, "max": 10, "target": {"value": 20, "year": 2030}}, "params.target.value"),
    ("estimate", {"min": 0, "max": 10, "colour": 1}, "params.colour"),
    ("probability", {"event_year": "2030"}, "params.event_year"),
    ("probability", {}, "params.event_year"),
    ("year", {"min": 2050, "max": 2030}, "params.max"),
    ("ranking", {"options": ["only one"]}, "params.options"),
    ("ranking", {"options": ["a", "A"]}, "params.options[1]"),
    ("ranking", {"options": ["a", "b\x00"]}, "params.options[1]"),
    ("ranking", {"options": ["a", "b", "c"], "top_k": 3}, "params.top_k"),
    ("ranking", {"options": ["a", {"item": 10**9}]}, "params.options[1]"),
    ("rating", {"min": 1}, "params"),
    ("guess", {}, "kind"),
])
def test_bad_parameters_are_refused_by_name_and_add_nothing(app, mixed, kind, params, field):
    world, _ids = mixed
    with app.app_context():
        study = db.session.get(Study, world.study_id)
        before = db.session.scalar(select(db.func.count(Item.id)))
        with pytest.raises(InvalidInput) as raised:
            rounds.add_item(study, "A question", kind=kind, params=params,
                            actor=user_by_email(world.admin))
        assert field in raised.value.fields
        db.session.rollback()
        assert db.session.scalar(select(db.func.count(Item.id))) == before


@pytest.mark.parametrize("name, value, field", [
    ("estimate_q", 5, "ratings[0].value"),
    ("estimate_q", {"p10": 5, "p50": 4, "p90": 9}, "ratings[0].value.p50"),
    ("estimate_q", {"p10": 5, "p50": 6, "p90": 101}, "ratings[0].value.p90"),
    ("estimate_q", {"p10": 5, "p50": 6}, "ratings[0].value"),
    ("estimate", 501, "ratings[0].value"),
    ("estimate", True, "ratings[0].value"),
    ("estimate", float("nan"), "ratings[0].value"),
    ("probability", 100.5, "ratings[0].value"),
    ("probability", "50", "ratings[0].value"),
    ("year", 2051, "ratings[0].value"),
    ("year", "sooner", "ratings[0].value"),
    ("year", 2030.5, "ratings[0].value"),
    ("ranking", [1, 2, 3], "ratings[0].value"),
    ("ranking", [1, 2, 3, 3], "ratings[0].value"),
    ("ranking", [1, 2, 3, 9], "ratings[0].value.3"),
    ("ranking", "1,2,3,4", "ratings[0].value"),
])
def test_bad_answers_are_refused_by_name_and_change_nothing(app, mixed, name, value, field):
    world, ids = mixed
    answer_round(app, world, 1, who=world.panellists[:1], submit=False)
    with app.app_context():
        rnd = get_round(world, 1)
        panellist = panellist_of(world, world.panellists[0])
        before = dict(db.session.scalar(select(Response.draft).where(
            Response.panellist_id == panellist.id)))
        with pytest.raises(InvalidInput) as raised:
            rounds.save_answers(rnd, panellist, rounds.AnswerSet(
                [rounds.RatingInput(ids[name], None, value)]), submit=True)
        assert field in raised.value.fields
        db.session.rollback()
        after = db.session.scalar(select(Response.draft).where(Response.panellist_id == panellist.id))
        assert after == before


def test_a_criterion_on_another_kind_is_refused(app, mixed):
    world, ids = mixed
    answer_round(app, world, 1, who=[], submit=False)
    with app.app_context():
        with pytest.raises(InvalidInput) as raised:
            rounds.save_answers(get_round(world, 1), panellist_of(world, world.panellists[0]),
                                rounds.AnswerSet([rounds.RatingInput(ids["probability"],
                                                                     "importance", 40)]),
                                submit=False)
        assert "ratings[0].criterion" in raised.value.fields


def _values(world, ids, rating_ids):
    """Known answers: panellist k gives values that a test can recompute."""
    def value(email, item_id, criterion):
        k = world.panellists.index(email)
        if item_id in rating_ids:
            return 1 + k % 5
        if item_id == ids["estimate_q"]:
            return {"p10": 5.0 + 7 * k, "p50": 10.0 + 7 * k, "p90": 20.0 + 7 * k}
        if item_id == ids["estimate"]:
            return None if k == 0 else float(30 + 5 * k)
        if item_id == ids["probability"]:
            return float(50 + (k % 4) * 10)
        if item_id == ids["year"]:
            return "later" if k >= 10 else 2030 + k
        if item_id == ids["ranking"]:
            orders = ([1, 2, 3, 4], [4, 3, 2, 1], [2, 1, 4, 3])
            return orders[k % 3]
        raise AssertionError(item_id)
    return value


def test_a_mixed_round_closes_with_each_kinds_statistics(app, mixed):
    world, ids = mixed
    rating_ids = world.item_ids[:2]
    answer_round(app, world, 1, _values(world, ids, rating_ids))
    report = close(app, world, 1)
    with app.app_context():
        results = rounds.round_results(get_round(world, 1))
    rows = {r["item"]: r for r in results["items"]}
    # Ratings stay as they were: one row per criterion, their own statistics.
    assert rows[rating_ids[0]]["kind"] == "rating" and rows[rating_ids[0]]["criterion"] == "importance"
    # Estimate with quantiles: the panel's P50s.
    p50s = [10.0 + 7 * k for k in range(12)]
    est = rows[ids["estimate_q"]]
    assert est["kind"] == "estimate" and est["criterion"] == "" and est["n"] == 12
    assert est["median"] == pytest.approx(_type7(p50s, 0.5))
    assert est["q1"] == pytest.approx(_type7(p50s, 0.25)) and est["q3"] == pytest.approx(_type7(p50s, 0.75))
    q1, q3 = _type7(p50s, 0.25), _type7(p50s, 0.75)
    assert est["dispersion"] == pytest.approx((q3 - q1) / (q3 + q1))
    assert est["aggregate"] == pytest.approx({"p10": np.mean([5 + 7 * k for k in range(12)]),
                                              "p50": np.mean(p50s),
                                              "p90": np.mean([20 + 7 * k for k in range(12)])})
    assert est["target_share"] == 0.0  # nobody expects 100 %
    assert est["median_gap"] == pytest.approx(_type7(p50s, 0.5) - 100)
    assert (q3 - q1) / (q3 + q1) > 0.25 and est["verdict"] == "no_consensus"
    # Estimate, one value, one "cannot answer".
    single = rows[ids["estimate"]]
    values = [float(30 + 5 * k) for k in range(1, 12)]
    assert single["n"] == 11 and single["n_missing"] == 1
    assert single["median"] == pytest.approx(_type7(values, 0.5))
    assert single["target_share"] == pytest.approx(sum(v >= 50 for v in values) / 11)
    # Probability: IQR in points.
    prob = rows[ids["probability"]]
    probs = [50.0 + (k % 4) * 10 for k in range(12)]
    assert prob["iqr"] == pytest.approx(_type7(probs, 0.75) - _type7(probs, 0.25))
    assert prob["verdict"] == "consensus_in"  # IQR 15 ≤ 20
    # Year: two answer "later", counted above every year.
    year = rows[ids["year"]]
    assert year["later_share"] == pytest.approx(2 / 12)
    assert year["median"] == pytest.approx(_type7([2030 + k for k in range(10)] + [9999, 9999], 0.5))
    assert year["q3_later"] is False
    # Ranking: mean ranks and Kendall's W.
    ranking = rows[ids["ranking"]]
    mean_ranks = {o["option"]: o["mean_rank"] for o in ranking["options"]}
    assert mean_ranks == pytest.approx({1: 7 / 3, 2: 2.0, 3: 3.0, 4: 8 / 3})
    top3 = {o["option"]: o["top3_share"] for o in ranking["options"]}
    assert top3 == pytest.approx({1: 2 / 3, 2: 1.0, 3: 2 / 3, 4: 2 / 3})
    ranks = np.array([[1, 2, 3, 4], [4, 3, 2, 1], [2, 1, 4, 3]] * 4, dtype=float)
    m, n = ranks.shape
    sums = ranks.sum(axis=0)
    w = 12 * ((sums - sums.mean()) ** 2).sum() / (m ** 2 * (n ** 3 - n))
    assert ranking["w"] == pytest.approx(w)
    assert ranking["chi2"] == pytest.approx(m * (n - 1) * w) and ranking["df"] == n - 1
    # Round 2 is drafted from what has not settled, with each kind's feedback.
    assert report.next_round is not None
    with app.app_context():
        round2 = get_round(world, 2)
        carried = {ri.item_id: ri.feedback for ri in round2.round_items}
        assert ids["probability"] not in carried  # consensus: not carried
        fb = carried[ids["estimate_q"]]
        assert fb["kind"] == "estimate"
        assert fb["figures"]["median"] == est["median"] and fb["figures"]["q1"] == est["q1"]
        assert fb["figures"]["values"] == sorted(p50s)
        assert fb["figures"]["target"] == {"value": 100.0, "year": 2030}


def test_round_two_feedback_is_round_ones_frozen_statistics_with_own_answer(app, mixed):
    world, ids = mixed
    answer_round(app, world, 1, _values(world, ids, world.item_ids[:2]))
    close(app, world, 1)
    with app.app_context():
        rnd = get_round(world, 2)
        rounds.open_round(rnd, actor=user_by_email(world.moderator))
        db.session.commit()
        results = {r["item"]: r for r in rounds.round_results(get_round(world, 1))["items"]}
        email = world.panellists[3]
        page = rounds.questionnaire(rnd, panellist_of(world, email))
        by_id = {i.item_id: i for i in page.items}
        for name in ("estimate_q", "estimate", "year"):
            if ids[name] not in by_id:
                continue
            item = by_id[ids[name]]
            frozen = results[ids[name]]
            assert item.kind == "estimate" if name.startswith("estimate") else item.kind == name
            for figure in ("median", "q1", "q3"):
                assert item.feedback[figure] == frozen[figure]
        estimate = by_id[ids["estimate_q"]]
        assert estimate.feedback["own_previous"] == {"p10": 26.0, "p50": 31.0, "p90": 41.0}
        ranking = by_id[ids["ranking"]]
        assert [o["mean_rank"] for o in ranking.feedback["options"]] == \
            [o["mean_rank"] for o in results[ids["ranking"]]["options"]]
        assert ranking.feedback["own_previous"] == [1, 2, 3, 4]
        assert [o["text"] for o in ranking.options] == ["Training", "Funding", "Monitoring",
                                                         "Policy dialogue"]


def test_answers_are_kept_and_a_resubmit_changes_only_what_changed(app, mixed):
    world, ids = mixed
    answer_round(app, world, 1, who=world.panellists[:1])
    with app.app_context():
        rnd = get_round(world, 1)
        panellist = panellist_of(world, world.panellists[0])
        rows = {(r.item_id, r.criterion): r.id for r in db.session.scalars(
            select(Rating).join(Response).where(Response.panellist_id == panellist.id))}
        rounds.save_answers(rnd, panellist, rounds.AnswerSet(
            [rounds.RatingInput(ids["year"], None, "later")]), submit=False)
        db.session.commit()
        counted = {(r.item_id, r.criterion): r for r in db.session.scalars(
            select(Rating).join(Response).where(Response.panellist_id == panellist.id))}
        assert counted[(ids["year"], "")].answer == "later"
        assert {k: r.id for k, r in counted.items()} == rows  # rows updated in place
        state = rounds.answer_state(rnd, panellist)
        assert state.status == "submitted" and not state.has_unsubmitted_changes


def test_a_missing_answer_of_another_kind_is_named(app, mixed):
    world, ids = mixed
    answer_round(app, world, 1, who=[], submit=False)
    with app.app_context():
        rnd = get_round(world, 1)
        panellist = panellist_of(world, world.panellists[0])
        with pytest.raises(rounds.IncompleteSubmission) as raised:
            rounds.save_answers(rnd, panellist, rounds.AnswerSet(
                [rounds.RatingInput(ids["probability"], None, 40)]), submit=True)
        assert f"{ids['ranking']}:.value" in raised.value.fields
        assert f"{ids['probability']}:.value" not in raised.value.fields


def test_every_mixed_item_kind_is_declared():
    assert {kind for kind, _t, _p in MIXED_ITEMS} | {"rating"} == set(rounds.kinds.KINDS)
