"""Answering: validation naming the field, drafts, idempotent submission, refusals,
and a questionnaire that never shows another panellist's identity."""
from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

import rounds
from delphi.core.database import db
from delphi.core.errors import Forbidden, InvalidInput, StateError
from delphi.core.models import ItemComment, Rating, Response
from rounds import AnswerSet, RatingInput
from tests.factories import (
    answer_round,
    build_study,
    close,
    get_round,
    panellist_of,
    user_by_email,
)

CRITERIA = ("importance", "feasibility")


@pytest.fixture
def world(app):
    world = build_study(app, n_panellists=6, n_items=3, criteria=CRITERIA)
    answer_round(app, world, 1, who=[])  # open round 1, nobody answers yet
    return world


def _full(world, value=4, reason=None):
    return [RatingInput(i, c, value, reason) for i in world.item_ids for c in CRITERIA]


@pytest.mark.parametrize("rating, field", [
    (RatingInput(999999, "importance", 3), "ratings[1].item"),
    (RatingInput(None, "importance", 3), "ratings[1].item"),
    (RatingInput("x", "importance", 3), "ratings[1].item"),
    ("item-ok", "ratings[1].criterion"),
    (RatingInput(0, "importance", 6), "ratings[1].value"),
    (RatingInput(0, "importance", 0), "ratings[1].value"),
    (RatingInput(0, "importance", True), "ratings[1].value"),
    (RatingInput(0, "importance", 2.5), "ratings[1].value"),
])
def test_invalid_answers_name_the_field(app, world, rating, field):
    with app.app_context():
        rnd = get_round(world, 1)
        panellist = panellist_of(world, world.panellists[0])
        item = world.item_ids[0]
        if rating == "item-ok":
            rating = RatingInput(item, "beauty", 3)
        elif rating.item_id == 0:
            rating = RatingInput(item, rating.criterion, rating.value)
        with pytest.raises(InvalidInput) as error:
            rounds.save_answers(rnd, panellist, AnswerSet([RatingInput(item, "importance", 3), rating]),
                                submit=False)
        assert set(error.value.fields) == {field}
        assert db.session.scalar(select(func.count(Response.id))) == 0


def test_unknown_comment_item_is_named(app, world):
    with app.app_context():
        with pytest.raises(InvalidInput) as error:
            rounds.save_answers(get_round(world, 1), panellist_of(world, world.panellists[0]),
                                AnswerSet([], {424242: "hi"}), submit=False)
        assert list(error.value.fields) == ["comments[424242]"]


def test_draft_then_incomplete_submit_keeps_the_draft(app, world):
    first_item = world.item_ids[0]
    with app.app_context():
        rnd = get_round(world, 1)
        panellist = panellist_of(world, world.panellists[0])
        rounds.save_answers(rnd, panellist, AnswerSet([RatingInput(first_item, "importance", 5)],
                                                      {first_item: "Good idea"}), submit=False)
        db.session.commit()
        with pytest.raises(rounds.IncompleteSubmission) as error:
            rounds.save_answers(rnd, panellist, AnswerSet([RatingInput(first_item, "feasibility", None)]),
                                submit=True)
        assert isinstance(error.value, InvalidInput)
        missing = set(error.value.fields)
        assert f"{first_item}:importance.value" not in missing
        assert f"{first_item}:feasibility.value" not in missing  # "cannot rate" is an answer
        assert f"{world.item_ids[1]}:importance.value" in missing
        assert len(missing) == 2 * len(world.item_ids) - 2
        db.session.commit()  # a caller that keeps the draft commits before reporting
    with app.app_context():
        q = rounds.questionnaire(get_round(world, 1), panellist_of(world, world.panellists[0]))
        first = q.items[0]
        assert first.answers == {"importance": {"value": 5}, "feasibility": {"value": None}}
        assert first.comment == "Good idea"
        assert q.response_status == "draft"
        assert db.session.scalar(select(func.count(Rating.id))) == 0  # nothing counts yet


def test_double_submit_makes_one_response_and_the_same_rows(app, world):
    email = world.panellists[0]
    with app.app_context():
        rnd = get_round(world, 1)
        panellist = panellist_of(world, email)
        answers = AnswerSet(_full(world), {world.item_ids[1]: "Costly"})
        rounds.save_answers(rnd, panellist, answers, submit=True, submit_key="k1")
        db.session.commit()
        before = db.session.execute(select(Rating.id, Rating.item_id, Rating.criterion, Rating.value)
                                    .order_by(Rating.id)).all()
        rounds.save_answers(rnd, panellist, answers, submit=True, submit_key="k1")
        rounds.save_answers(rnd, panellist, answers, submit=True)
        db.session.commit()
        after = db.session.execute(select(Rating.id, Rating.item_id, Rating.criterion, Rating.value)
                                   .order_by(Rating.id)).all()
        assert after == before and len(after) == 2 * len(world.item_ids)
        assert db.session.scalar(select(func.count(Response.id))) == 1
        assert db.session.scalar(select(func.count(ItemComment.id))) == 1


def _counted_rows(response_id):
    return db.session.execute(select(Rating.id, Rating.item_id, Rating.criterion, Rating.value)
                              .where(Rating.response_id == response_id).order_by(Rating.id)).all()


@pytest.fixture
def submissions():
    """The responses ``response_submitted`` was sent for, in order."""
    sent = []

    def receiver(response, **_extra):
        sent.append(response.id)

    rounds.signals.response_submitted.connect(receiver)
    yield sent
    rounds.signals.response_submitted.disconnect(receiver)


def test_a_save_after_submitting_counts_at_once(app, world, submissions):
    """Once submitted, a plain save (the autosave) re-submits: what is shown counts."""
    email = world.panellists[0]
    item, other = world.item_ids[0], world.item_ids[1]
    t0 = datetime.now(timezone.utc)
    with app.app_context():
        rnd = get_round(world, 1)
        panellist = panellist_of(world, email)
        response = rounds.save_answers(rnd, panellist, AnswerSet(_full(world, 2)), submit=True, now=t0)
        db.session.commit()
        before = _counted_rows(response.id)
        rounds.save_answers(rnd, panellist, AnswerSet([RatingInput(item, "importance", 5)],
                                                      {other: "Too costly"}),
                            submit=False, now=t0 + timedelta(minutes=1))
        db.session.commit()
        after = _counted_rows(response.id)
        # Only the changed answer's row changed (in place); the others are as they were.
        changed = {(r.item_id, r.criterion): r for r in before}[(item, "importance")]
        assert set(after) ^ set(before) == {changed, (changed.id, item, "importance", 5)}
        assert db.session.scalar(select(ItemComment.text)) == "Too costly"
        state = rounds.answer_state(rnd, panellist)
        assert (state.status, state.has_unsubmitted_changes, state.message) == ("submitted", False, None)
        assert state.submitted_at == t0 + timedelta(minutes=1)
        q = rounds.questionnaire(rnd, panellist)
        assert q.items[0].submitted["importance"] == 5 == q.items[0].answers["importance"]["value"]
        assert not q.has_unsubmitted_changes and q.status_message is None
        # A save that changes nothing leaves the rows and the time of submission alone.
        rounds.save_answers(rnd, panellist, AnswerSet([RatingInput(item, "importance", 5)]),
                            submit=False, now=t0 + timedelta(minutes=2))
        db.session.commit()
        assert _counted_rows(response.id) == after
        assert rounds.answer_state(rnd, panellist).submitted_at == t0 + timedelta(minutes=1)
        # An explicit resubmission of other answers counts them too.
        rounds.save_answers(rnd, panellist, AnswerSet([RatingInput(item, "importance", 1)]), submit=True,
                            now=t0 + timedelta(minutes=3))
        db.session.commit()
        assert rounds.questionnaire(rnd, panellist).items[0].submitted["importance"] == 1
        response_id = response.id
    # One response_submitted (one thank-you), not one per amendment.
    assert submissions == [response_id]
    report = close(app, world, 1)
    with app.app_context():
        rows = {(r["item"], r["criterion"]): r for r in rounds.round_results(get_round(world, 1))["items"]}
    assert rows[(item, "importance")]["counts"] == [1, 0, 0, 0, 0]
    assert rows[(item, "feasibility")]["counts"] == [0, 1, 0, 0, 0]
    assert report.round.status.value == "closed"


def test_a_draft_is_not_submitted_by_saving(app, world, submissions):
    with app.app_context():
        rnd = get_round(world, 1)
        panellist = panellist_of(world, world.panellists[0])
        rounds.save_answers(rnd, panellist, AnswerSet(_full(world, 3)), submit=False)
        db.session.commit()
        state = rounds.answer_state(rnd, panellist)
        assert (state.status, state.has_unsubmitted_changes, state.missing) == ("draft", False, {})
        assert db.session.scalar(select(func.count(Rating.id))) == 0
    assert submissions == []


def _round_two_with_reasons(app):
    """Round 1 closed with item 1 rated 3,3,3,4,4,4 (IQR 3..4); round 2 open,
    every panellist submitted 4 (inside the IQR, no reason needed)."""
    world = build_study(app, n_panellists=6, n_items=2, require_reason_outside_iqr=True)
    item = world.item_ids[0]
    values = {e: {item: {"importance": 3 if k < 3 else 4}, world.item_ids[1]: {"importance": 5}}
              for k, e in enumerate(world.panellists)}
    answer_round(app, world, 1, values)
    close(app, world, 1)
    answer_round(app, world, 2, lambda email, item_id, criterion: 4)
    return world, item


def test_a_change_that_cannot_count_stays_an_unsent_draft(app, submissions):
    world, item = _round_two_with_reasons(app)
    reason_key = f"{item}:importance.reason"
    with app.app_context():
        rnd = get_round(world, 2)
        panellist = panellist_of(world, world.panellists[0])
        response_id = db.session.scalar(select(Response.id).where(
            Response.round_id == rnd.id, Response.panellist_id == panellist.id))
        counted_before = _counted_rows(response_id)
        # The autosave of a rating outside the IQR without the reason the study asks for.
        rounds.save_answers(rnd, panellist, AnswerSet([RatingInput(item, "importance", 1)]), submit=False)
        db.session.commit()
        state = rounds.answer_state(rnd, panellist)
        assert state.status == "submitted" and state.has_unsubmitted_changes
        assert list(state.missing) == [reason_key]
        assert "not counted yet" in state.message and "missing reason" in state.message
        q = rounds.questionnaire(rnd, panellist)
        assert q.items[0].answers["importance"] == {"value": 1}  # shown
        assert q.items[0].submitted["importance"] == 4           # counted
        assert q.has_unsubmitted_changes and q.status_message == state.message
        assert q.missing == state.missing and q.items[0].reason_required["importance"]
        assert _counted_rows(response_id) == counted_before
        # Submit without the reason: refused and named; still the old answer counts.
        with pytest.raises(rounds.IncompleteSubmission) as error:
            rounds.save_answers(rnd, panellist, AnswerSet([]), submit=True)
        assert list(error.value.fields) == [reason_key]
        db.session.commit()
        assert _counted_rows(response_id) == counted_before
    report = close(app, world, 2)
    with app.app_context():
        row = next(r for r in rounds.round_results(get_round(world, 2))["items"] if r["item"] == item)
    assert row["median"] == 4 and row["counts"] == [0, 0, 0, 6, 0]  # the old answer counted
    assert report.round.status.value == "closed"
    assert len(submissions) == 6 + 6  # one per response of rounds 1 and 2, none for the change


def test_giving_the_missing_reason_counts_the_change(app):
    world, item = _round_two_with_reasons(app)
    with app.app_context():
        rnd = get_round(world, 2)
        panellist = panellist_of(world, world.panellists[0])
        rounds.save_answers(rnd, panellist, AnswerSet([RatingInput(item, "importance", 1)]), submit=False)
        # The autosave of the reason field (the rating is not sent again).
        rounds.save_answers(rnd, panellist, AnswerSet([RatingInput(item, "importance", 1, "New data")]),
                            submit=False)
        db.session.commit()
        state = rounds.answer_state(rnd, panellist)
        assert (state.has_unsubmitted_changes, state.missing) == (False, {})
        q = rounds.questionnaire(rnd, panellist)
        assert q.items[0].submitted["importance"] == 1
        assert db.session.scalar(select(Rating.reason).where(Rating.value == 1)) == "New data"
    close(app, world, 2)
    with app.app_context():
        row = next(r for r in rounds.round_results(get_round(world, 2))["items"] if r["item"] == item)
    assert row["counts"] == [1, 0, 0, 5, 0]


def test_after_close_answers_are_refused(app, world):
    answer_round(app, world, 1, who=world.panellists[:1])
    close(app, world, 1)
    with app.app_context():
        rnd = get_round(world, 1)
        for submit in (False, True):
            with pytest.raises(StateError):
                rounds.save_answers(rnd, panellist_of(world, world.panellists[1]),
                                    AnswerSet(_full(world)), submit=submit)
        # round 2 is a draft: not open either
        with pytest.raises(StateError):
            rounds.save_answers(get_round(world, 2), panellist_of(world, world.panellists[1]),
                                AnswerSet([]), submit=False)


def test_withdrawn_and_foreign_panellists_are_forbidden(app, world):
    other = build_study(app, n_panellists=1, n_items=1)
    answer_round(app, other, 1, who=[])
    with app.app_context():
        rnd = get_round(world, 1)
        stranger = panellist_of(other, other.panellists[0])
        with pytest.raises(Forbidden):
            rounds.save_answers(rnd, stranger, AnswerSet([]), submit=False)
        panellist = panellist_of(world, world.panellists[0])
        rounds.withdraw_panellist(panellist, actor=user_by_email(world.moderator))
        with pytest.raises(Forbidden):
            rounds.save_answers(rnd, panellist, AnswerSet(_full(world)), submit=True)


def test_reason_required_outside_the_previous_iqr(app):
    world = build_study(app, n_panellists=6, n_items=2, require_reason_outside_iqr=True)
    item = world.item_ids[0]
    # Round 1: item 1 rated 3,3,3,4,4,4 (IQR 3..4, type 7), item 2 all 5.
    values = {e: {item: {"importance": 3 if k < 3 else 4}, world.item_ids[1]: {"importance": 5}}
              for k, e in enumerate(world.panellists)}
    answer_round(app, world, 1, values)
    report = close(app, world, 1)
    assert report.next_round is not None
    with app.app_context():
        rnd = get_round(world, 2)
        rounds.open_round(rnd, actor=user_by_email(world.moderator))
        panellist = panellist_of(world, world.panellists[0])
        q = rounds.questionnaire(rnd, panellist)
        assert [i.item_id for i in q.items] == [item]  # item 2 reached consensus: not carried
        fb = q.items[0].feedback["criteria"]["importance"]
        assert (fb["q1"], fb["q3"]) == (3.0, 4.0)
        with pytest.raises(InvalidInput) as error:
            rounds.save_answers(rnd, panellist, AnswerSet([RatingInput(item, "importance", 1)]), submit=True)
        assert list(error.value.fields) == [f"{item}:importance.reason"]
        # inside the IQR no reason is needed; "cannot rate" needs none either
        rounds.save_answers(rnd, panellist, AnswerSet([RatingInput(item, "importance", 4)]), submit=True)
        other = panellist_of(world, world.panellists[1])
        rounds.save_answers(rnd, other, AnswerSet([RatingInput(item, "importance", None)]), submit=True)
        third = panellist_of(world, world.panellists[2])
        rounds.save_answers(rnd, third, AnswerSet([RatingInput(item, "importance", 5, "New evidence")]),
                            submit=True)
        reasons = dict(db.session.execute(select(Rating.value, Rating.reason).join(Response)
                                          .where(Response.round_id == rnd.id)).all())
        assert reasons[5] == "New evidence"


def test_questionnaire_shows_no_identity(app):
    world = build_study(app, n_panellists=6, n_items=2, criteria=CRITERIA)
    answer_round(app, world, 1, comments=lambda email, item: f"I think item {item} matters")
    close(app, world, 1)
    answer_round(app, world, 2, who=[])
    with app.app_context():
        q = rounds.questionnaire(get_round(world, 2), panellist_of(world, world.panellists[0]))
        dumped = json.dumps(asdict(q), default=str)
        assert q.items and q.items[0].feedback["comments"]
    for email in [world.admin, world.moderator, world.researcher, *world.panellists]:
        assert email not in dumped
        assert world.names[email] not in dumped
        assert world.organisations[email] not in dumped
