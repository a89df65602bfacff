"""The stopping recommendation (rounds.stopping) and the inference read model
(rounds.inference) on a study run through the app, and its dashboard section."""
from __future__ import annotations

import re

import numpy as np
import pytest
from sqlalchemy import select

from analysis import ConsensusRule, summarize_items
from analysis.attrition import carried_forward
from tests.factories import answer_round, build_study, close, get_round

N = 16
DROPOUTS = 4  # the last four panellists skip round 2


def _value(world, email, item_id, criterion, number):
    """Item 1: agreed by all but the dropouts, who rate it 1 (attrition makes the
    consensus); item 2: a split that stays; item 3: moves toward 4."""
    i = world.panellists.index(email)
    k = world.item_ids.index(item_id)
    if k == 0:
        return 1 if i >= N - DROPOUTS else (5 if i % 3 else 4)
    if k == 1:
        return 1 + (i % 5)
    return 4 if number >= 2 and i % 4 else (2 + i % 3)


@pytest.fixture
def world(app):
    from delphi.core.database import db
    from delphi.core.models import User

    world = build_study(app, n_panellists=N, n_items=3, criteria=("importance",),
                        carry_forward="all", max_rounds=3)
    with app.app_context():
        for i, email in enumerate(world.panellists):
            db.session.scalar(select(User).where(User.email == email)).language = \
                ("en", "fr")[i % 2]
        db.session.commit()
    answer_round(app, world, 1, lambda e, item, c: _value(world, e, item, c, 1),
                 comments=lambda e, item: "Because of the soil." if
                 world.panellists.index(e) % 4 == 0 else None)
    close(app, world, 1)
    answer_round(app, world, 2, lambda e, item, c: _value(world, e, item, c, 2),
                 who=world.panellists[:N - DROPOUTS])
    close(app, world, 2)
    return world


def _inference(app, world, number):
    from rounds.inference import round_inference
    from rounds.subgroups import subgroup_tables

    with app.test_request_context():
        rnd = get_round(world, number)
        return round_inference(rnd, subgroup_tables=subgroup_tables(rnd))


def test_attrition_flag_carries_the_dropouts_last_answers_forward(app, world):
    result = _inference(app, world, 2)
    assert result.previous_round == 1
    first = next(i for i in result.items if i.item_id == world.item_ids[0])
    # Round 2 without the dropouts: 12 of 12 agree -> consensus in.
    assert first.verdict == "consensus_in"
    assert first.attrition["n_dropouts"] == DROPOUTS and first.attrition["agreement_dropouts"] == 0
    assert first.attrition["difference"] == pytest.approx(-1.0)
    assert first.attrition["pvalue"] < 0.01
    # With the dropouts' 1s carried forward: 12 of 16 = 75 % agree but IQR 5-1...
    expected = carried_forward(
        np.array([[_value(world, e, world.item_ids[0], "importance", 2)]
                  for e in world.panellists[:N - DROPOUTS]], float),
        np.array([[1.0]] * DROPOUTS), scale=(1, 5), agree=(4, 5),
        rule=ConsensusRule(min_n=5))
    assert first.carried["verdict_carried"] == expected["verdict_carried"].iloc[0]
    assert first.carried["flagged"] is (expected["verdict_carried"].iloc[0] != "consensus_in")
    assert "dropouts stayed" in " ".join(r["message"] for r in first.recommendation["reasons"])


def test_item_and_round_recommendations(app, world):
    result = _inference(app, world, 2)
    by_item = {i.item_id: i for i in result.items}
    assert by_item[world.item_ids[0]].recommendation["code"] == "accepted"
    assert by_item[world.item_ids[0]].recommendation["action"] == "stop"
    # Item 2 is the same split in both rounds: stable, no consensus -> stop.
    assert by_item[world.item_ids[1]].recommendation["code"] == "stable_no_consensus"
    # Item 3 moved.
    assert by_item[world.item_ids[2]].recommendation["code"] in ("moving", "accepted")
    assert result.recommendation["label"]
    assert all(r["message"] for r in result.recommendation["reasons"])
    w = result.concordance["importance"]
    assert w["change"]["n_raters"] == N - DROPOUTS and 0 <= w["change"]["pvalue"] <= 1


def test_intervals_are_reproducible_and_round_one_has_no_comparison(app, world):
    from sqlalchemy import delete

    from delphi.core.database import db
    from delphi.core.models import RoundComputation
    from rounds import computations

    first = _inference(app, world, 2)
    # Forget it everywhere (this process's memory and the store): computed anew.
    computations.forget_memory()
    with app.app_context():
        db.session.execute(delete(RoundComputation))
        db.session.commit()
    computed = computations.COUNTERS.computed
    again = _inference(app, world, 2)
    assert computations.COUNTERS.computed > computed
    assert [i.uncertainty for i in first.items] == [i.uncertainty for i in again.items]
    one = _inference(app, world, 1)
    assert one.previous_round is None and all(i.attrition is None for i in one.items)
    assert all(i.recommendation["code"] in ("accepted", "rejected", "moving", "too_few_answers")
               for i in one.items)
    u = one.items[0].uncertainty
    assert u["agreement_low"] <= u["agreement"] <= u["agreement_high"]


def test_dashboard_shows_the_inference_section(app, client, auth, world):
    auth.login(world.moderator)
    page = client.get(f"/studies/{world.study_id}/dashboard/rounds/2")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="inference"' in html and 'id="inference-attrition"' in html
    assert 'id="inference-opinion"' in html
    result = _inference(app, world, 2)
    assert result.recommendation["label"] in html
    row = re.search(rf'<tr data-item="{world.item_ids[0]}" data-criterion="importance" '
                    r'data-recommendation="accepted">', html)
    assert row
    # Language is a stratum of the subgroups and of the panel composition.
    assert 'id="subgroups-language-importance"' in client.get(
        f"/studies/{world.study_id}/dashboard/rounds/2?by=language").get_data(as_text=True)
    assert 'id="composition-language"' in html


def test_round_recommendation_rules():
    from types import SimpleNamespace

    from rounds.stopping import item_recommendation, round_recommendation

    study = SimpleNamespace(max_rounds=3, stop_when_settled=True, stop_w_threshold=0.5)
    accepted = item_recommendation("consensus_in", {}, confident=True, agreement=0.8)
    stable = item_recommendation("no_consensus", {}, stability={"stable": True, "pct_change": 0.05})
    moving = item_recommendation("no_consensus", {}, stability={"stable": False, "pct_change": 0.4})
    assert (accepted["code"], stable["code"], moving["code"]) == (
        "accepted", "stable_no_consensus", "moving")
    assert [r["code"] for r in accepted["reasons"]] == ["consensus_in", "confident"]
    go_on = round_recommendation(study, 2, [accepted, moving], 0.5, {"c": {"w": 0.6, "pvalue": 0.01,
                                                                          "change": 0.2}})
    assert not go_on["stop"] and [r["code"] for r in go_on["reasons"]] == [
        "items_moving", "rounds_left", "w_changed"]
    assert round_recommendation(study, 2, [accepted, stable], 0.9, {})["code"] == "nothing_moves"
    assert round_recommendation(study, 2, [accepted], None, {})["code"] == "all_settled"
    assert round_recommendation(study, 3, [moving], None, {})["code"] == "max_rounds"
    w_ok = {"c": {"w": 0.6, "pvalue": 0.4}}
    assert round_recommendation(study, 2, [moving], 0.8, w_ok)["code"] == "w_stable"
    # A significant change of W blocks the W rule.
    assert not round_recommendation(study, 2, [moving], 0.8, {"c": {"w": 0.6, "pvalue": 0.04}})["stop"]
    _ = summarize_items  # the rule's inputs come from summarize_items (see the inference tests)
