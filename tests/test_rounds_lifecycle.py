"""Rounds move draft → open → closed and no other way; deadlines close them."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from sqlalchemy import func, select

import rounds
from delphi.core.database import db
from delphi.core.errors import InvalidInput, StateError
from delphi.core.models import AuditEvent, Item, Round, RoundStatus, Study
from tests.factories import answer_round, build_study, get_round, user_by_email

T0 = datetime(2031, 3, 1, 12, 0, tzinfo=timezone.utc)


def test_illegal_moves_are_state_errors(app):
    world = build_study(app, n_panellists=3, n_items=2)
    with app.app_context():
        study = db.session.get(Study, world.study_id)
        moderator = user_by_email(world.moderator)
        first = get_round(world, 1)
        with pytest.raises(StateError):
            rounds.close_round(first, actor=moderator)  # draft → closed
        with pytest.raises(StateError):
            rounds.draft_round(study, actor=None)  # a draft exists
        rounds.open_round(first, actor=moderator)
        with pytest.raises(StateError):
            rounds.open_round(first, actor=moderator)  # open → open
        with pytest.raises(StateError):
            rounds.draft_round(study, actor=None)  # an open round exists
        with pytest.raises(StateError):
            rounds.set_round_items(first, [], actor=None)
        report = rounds.close_round(first, actor=moderator)
        with pytest.raises(StateError):
            rounds.close_round(first, actor=moderator)  # closed → closed
        with pytest.raises(StateError):
            rounds.open_round(first, actor=moderator)  # closed → open
        assert first.status is RoundStatus.closed
        assert report.next_round.number == 2 and report.next_round.status is RoundStatus.draft
        actions = list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
        assert actions[-2:] == ["round.open", "round.close"]


def test_a_rating_round_needs_an_item_and_a_future_deadline(app):
    world = build_study(app, n_panellists=2, n_items=1)
    with app.app_context():
        moderator = user_by_email(world.moderator)
        first = get_round(world, 1)
        rounds.set_round_items(first, [], actor=None)
        with pytest.raises(StateError):
            rounds.open_round(first, actor=moderator)
        rounds.set_round_items(first, world.item_ids, actor=None)
        with pytest.raises(InvalidInput) as error:
            rounds.open_round(first, actor=moderator, closes_at=T0 - timedelta(days=1), now=T0)
        assert "closes_at" in error.value.fields
        rounds.open_round(first, actor=moderator, closes_at=T0 + timedelta(days=7), now=T0)
        assert first.closes_at == T0 + timedelta(days=7) and first.opened_at == T0


def test_items_of_an_opened_round_cannot_be_edited(app):
    world = build_study(app, n_panellists=2, n_items=2)
    with app.app_context():
        item = db.session.get(Item, world.item_ids[0])
        rounds.update_item(item, text="Reworded before opening", target="2030", actor=None)
        assert item.text == "Reworded before opening" and item.target == "2030"
        rounds.open_round(get_round(world, 1), actor=user_by_email(world.moderator))
        with pytest.raises(StateError):
            rounds.update_item(item, text="Too late", actor=None)
        study = db.session.get(Study, world.study_id)
        newer = rounds.item_from_proposals(study, "A reworded item", [], from_items=[item], actor=None)
        assert newer.lineage == {"proposals": [], "items": [item.id]}
        assert newer.code == "I03"
        with pytest.raises(InvalidInput) as error:
            rounds.add_item(study, "x", target="2040", actor=None)
        assert "target" in error.value.fields


def test_close_due_rounds_is_idempotent(app):
    world = build_study(app, n_panellists=4, n_items=2)
    other = build_study(app, n_panellists=2, n_items=1)
    with app.app_context():
        moderator = user_by_email(world.moderator)
        rounds.open_round(get_round(world, 1), actor=moderator, closes_at=T0 + timedelta(days=3), now=T0)
        rounds.open_round(get_round(other, 1), actor=user_by_email(other.moderator),
                          closes_at=T0 + timedelta(days=10), now=T0)
        db.session.commit()
    answer_round(app, world, 1, now=T0 + timedelta(days=1))
    with app.app_context():
        assert rounds.close_due_rounds(now=T0 + timedelta(days=2)) == []
        closed = rounds.close_due_rounds(now=T0 + timedelta(days=3))
        db.session.commit()
        assert [(r.study_id, r.number) for r in closed] == [(world.study_id, 1)]
        assert rounds.close_due_rounds(now=T0 + timedelta(days=3)) == []
        assert get_round(other, 1).status is RoundStatus.open
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "round.close")).all()
        assert len(events) == 1 and events[0].actor_id is None and events[0].details["by"] == "deadline"
        rounds_of_world = db.session.scalar(select(func.count(Round.id)).where(Round.study_id == world.study_id))
        assert rounds_of_world == 2  # round 1 closed, round 2 drafted once


@pytest.mark.parametrize("kind", ["open_ended"])
def test_open_ended_round_collects_proposals(app, kind):
    world = build_study(app, n_panellists=3, n_items=0)
    with app.app_context():
        study = db.session.get(Study, world.study_id)
        first = get_round(world, 1)
        db.session.delete(first)
        db.session.flush()
        first = rounds.draft_round(study, kind=kind, actor=None)
        rounds.open_round(first, actor=user_by_email(world.moderator))
        from tests.factories import give_consent, panellist_of

        give_consent(world)

        p1 = panellist_of(world, world.panellists[0])
        rounds.submit_proposals(first, p1, ["Pay farmers for carbon", "  "])
        rounds.submit_proposals(first, p1, ["Pay farmers for carbon", "Certify soils"])
        with pytest.raises(InvalidInput):
            rounds.submit_proposals(first, panellist_of(world, world.panellists[1]), [""])
        with pytest.raises(StateError):
            rounds.save_answers(first, p1, rounds.AnswerSet(), submit=True)
        report = rounds.close_round(first, actor=user_by_email(world.moderator))
        assert report.next_round is None
        from delphi.core.models import Proposal, RoundStatistics

        proposals = db.session.scalars(select(Proposal).order_by(Proposal.id)).all()
        assert [p.text for p in proposals] == ["Pay farmers for carbon", "Certify soils"]
        item = rounds.item_from_proposals(study, "Carbon payments", [p.id for p in proposals], actor=None)
        assert item.lineage == {"proposals": sorted(p.id for p in proposals), "items": []}
        stats = db.session.scalar(select(RoundStatistics).where(RoundStatistics.round_id == first.id))
        assert (stats.invited, stats.submitted) == (3, 1)
        second = rounds.draft_round(study, items=[item], actor=None)
        assert second.number == 2 and second.round_items[0].feedback is None


class RoundMachine(RuleBasedStateMachine):
    """Any sequence of open/close/draft calls keeps the state machine's laws."""

    app = None
    world = None

    def __init__(self):
        super().__init__()
        self.ctx = self.app.app_context()
        self.ctx.push()
        self.moderator = user_by_email(self.world.moderator)
        self.study = db.session.get(Study, self.world.study_id)
        self.expected: dict[int, str] = {r.number: r.status.value for r in self.study.rounds}

    def teardown(self):
        db.session.rollback()
        self.ctx.pop()

    def _round(self, number):
        return db.session.scalar(select(Round).where(Round.study_id == self.study.id, Round.number == number))

    @rule(number=st.integers(1, 4))
    def open(self, number):
        rnd = self._round(number)
        if rnd is None:
            return
        if self.expected[number] == "draft":
            rounds.open_round(rnd, actor=self.moderator)
            self.expected[number] = "open"
        else:
            with pytest.raises(StateError):
                rounds.open_round(rnd, actor=self.moderator)

    @rule(number=st.integers(1, 4))
    def close(self, number):
        rnd = self._round(number)
        if rnd is None:
            return
        if self.expected[number] == "open":
            report = rounds.close_round(rnd, actor=self.moderator)
            self.expected[number] = "closed"
            if report.next_round is not None:
                self.expected[report.next_round.number] = "draft"
        else:
            with pytest.raises(StateError):
                rounds.close_round(rnd, actor=self.moderator)

    @rule()
    def draft(self):
        if any(s in ("draft", "open") for s in self.expected.values()):
            with pytest.raises(StateError):
                rounds.draft_round(self.study, items=self.world.item_ids, actor=None)
        else:
            rnd = rounds.draft_round(self.study, items=self.world.item_ids, actor=None)
            self.expected[rnd.number] = "draft"

    @invariant()
    def statuses_match(self):
        actual = {r.number: r.status.value for r in db.session.scalars(
            select(Round).where(Round.study_id == self.study.id))}
        assert actual == self.expected
        assert sum(1 for s in actual.values() if s in ("draft", "open")) <= 1


def test_state_machine_laws(app):
    world = build_study(app, n_panellists=3, n_items=2, max_rounds=20)
    RoundMachine.app, RoundMachine.world = app, world
    test = RoundMachine.TestCase
    test.settings = settings(max_examples=15, stateful_step_count=10, deadline=None,
                             suppress_health_check=list(HealthCheck))
    test().runTest()
