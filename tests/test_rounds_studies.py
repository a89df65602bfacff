"""Studies: protocol defaults and validation, the lock at round 1, amendments, staff."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

import rounds
from analysis import ConsensusRule
from delphi.core.database import db
from delphi.core.errors import Conflict, Forbidden, InvalidInput, StateError
from delphi.core.models import Amendment, AuditEvent, StaffRole, Study, StudyStatus
from tests.factories import answer_round, build_study, get_round, user_by_email


def test_defaults_per_scale(app, make_user):
    admin = make_user(admin=True)
    with app.app_context():
        five = rounds.create_study("A5", "Five", actor=admin)
        nine = rounds.create_study("A5", "Nine", actor=admin, scale_points=9)
        seven = rounds.create_study("a5", "Seven", actor=admin, scale_points=7,
                                    criteria=["importance", "feasibility"])
        # The default rule includes and excludes: 70 % in the top or the bottom band.
        assert rounds.consensus_rule(five) == ConsensusRule(iqr_max=1, agreement_min=0.7,
                                                            disagreement_min=0.7, min_n=5)
        assert rounds.agree_band(five) == (4, 5)
        assert rounds.agree_band(seven) == (6, 7)
        assert rounds.agree_band(nine) == (7, 9)
        assert rounds.consensus_rule(nine) is None  # RAND/UCLA
        assert nine.consensus_rule == {"kind": "rand_ucla"}
        assert len(five.scale_labels) == 5 and len(seven.scale_labels) == 7 and len(nine.scale_labels) == 9
        assert seven.criteria == ["importance", "feasibility"]
        assert five.status is StudyStatus.draft and five.locked_at is None
        actions = set(db.session.scalars(select(AuditEvent.action)))
        assert "study.create" in actions


@pytest.mark.parametrize("kwargs, field", [
    ({"scale_points": 6}, "scale_points"),
    ({"criteria": []}, "criteria"),
    ({"criteria": ["a", "b", "c", "d"]}, "criteria"),
    ({"criteria": ["importance", "importance"]}, "criteria"),
    ({"consensus": {"iqr_max": -1}}, "consensus.iqr_max"),
    ({"consensus": {"kind": "rand_ucla"}}, "consensus.kind"),  # on 5 points
    ({"quantile_method": "type9"}, "quantile_method"),
    ({"min_n": 0}, "min_n"),
    ({"max_rounds": 0}, "max_rounds"),
    ({"stop_w_threshold": 1.5}, "stop_w_threshold"),
    ({"carry_forward": "some"}, "carry_forward"),
    ({"scale_labels": ["a", "b"]}, "scale_labels"),
])
def test_invalid_protocol_names_the_field(app, make_user, kwargs, field):
    admin = make_user(admin=True)
    with app.app_context():
        with pytest.raises(InvalidInput) as error:
            rounds.create_study("A5", "A study", actor=admin, **kwargs)
        assert field in error.value.fields


def test_unknown_task_force_and_blank_title(app, make_user):
    admin = make_user(admin=True)
    with app.app_context():
        with pytest.raises(InvalidInput) as error:
            rounds.create_study("Z9", " ", actor=admin)
        assert "task_force" in error.value.fields
        with pytest.raises(InvalidInput) as error:
            rounds.create_study("A5", "   ", actor=admin)
        assert "title" in error.value.fields


def test_custom_consensus_rule(app, make_user):
    admin = make_user(admin=True)
    with app.app_context():
        study = rounds.create_study("A5", "Custom", actor=admin, min_n=3,
                                    consensus={"iqr_max": 0.5, "agreement_min": 0.8,
                                               "disagreement_min": 0.7})
        assert rounds.consensus_rule(study) == ConsensusRule(iqr_max=0.5, agreement_min=0.8,
                                                             disagreement_min=0.7, min_n=3)


def test_protocol_is_plain_before_round_one_and_amended_after(app):
    world = build_study(app)
    with app.app_context():
        study = db.session.get(Study, world.study_id)
        moderator = user_by_email(world.moderator)
        assert rounds.update_protocol(study, {"max_rounds": 4, "scale_points": 7}, actor=moderator) == []
        assert study.scale_points == 7 and len(study.scale_labels) == 7 and study.max_rounds == 4
        assert rounds.agree_band(study) == (6, 7)
        rounds.update_protocol(study, {"scale_points": 5}, actor=moderator)
        db.session.commit()
    answer_round(app, world, 1, submit=False, who=[])  # opens round 1: the protocol locks
    with app.app_context():
        study = db.session.get(Study, world.study_id)
        moderator = user_by_email(world.moderator)
        assert study.locked_at is not None and study.status is StudyStatus.running
        with pytest.raises(InvalidInput) as error:
            rounds.update_protocol(study, {"max_rounds": 5}, actor=moderator)
        assert "reason" in error.value.fields
        with pytest.raises(StateError):
            rounds.update_protocol(study, {"scale_points": 9}, actor=moderator, reason="why not")
        with pytest.raises(StateError):
            rounds.update_protocol(study, {"criteria": ["feasibility"]}, actor=moderator, reason="x")
        with pytest.raises(InvalidInput) as error:
            rounds.update_protocol(study, {"colour": "red"}, actor=moderator, reason="x")
        assert "colour" in error.value.fields
        amendments = rounds.update_protocol(
            study, {"max_rounds": 5, "show_comments": False, "min_n": study.min_n},
            actor=moderator, reason="The panel asked for one more round.")
        db.session.commit()
        stored = db.session.scalars(select(Amendment).where(Amendment.study_id == study.id)
                                    .order_by(Amendment.field)).all()
        assert [(a.field, a.old_value, a.new_value) for a in stored] == [
            ("max_rounds", 4, 5), ("show_comments", True, False)]
        assert {a.reason for a in stored} == {"The panel asked for one more round."}
        assert len(amendments) == 2
        assert "study.amend" in set(db.session.scalars(select(AuditEvent.action)))


def test_staff_assignment_is_for_admins(app, make_user):
    world = build_study(app, n_panellists=2, n_items=1)
    someone = make_user()
    with app.app_context():
        study = db.session.get(Study, world.study_id)
        moderator = user_by_email(world.moderator)
        admin = user_by_email(world.admin)
        user = db.session.merge(someone)
        with pytest.raises(Forbidden):
            rounds.assign_staff(study, user, StaffRole.moderator, actor=moderator)
        rounds.assign_staff(study, user, "researcher", actor=admin)
        with pytest.raises(Conflict):
            rounds.assign_staff(study, user, StaffRole.researcher, actor=admin)
        rounds.remove_staff(study, user, StaffRole.researcher, actor=admin)
        roles = [s.role for s in study.staff]
        assert sorted(r.value for r in roles) == ["moderator", "researcher"]


def test_end_study(app):
    world = build_study(app, n_panellists=3, n_items=2)
    answer_round(app, world, 1, who=[])
    with app.app_context():
        study = db.session.get(Study, world.study_id)
        moderator = user_by_email(world.moderator)
        with pytest.raises(StateError):  # round 1 is open
            rounds.end_study(study, actor=moderator)
        rounds.close_round(get_round(world, 1), actor=moderator)
        # close drafted round 2; ending leaves it a draft that can never open
        rounds.end_study(study, actor=moderator, reason="Enough.", now=datetime(2030, 1, 1, tzinfo=timezone.utc))
        assert study.status is StudyStatus.ended and study.ended_at.year == 2030
        with pytest.raises(StateError):
            rounds.open_round(get_round(world, 2), actor=moderator)
        with pytest.raises(StateError):
            rounds.end_study(study, actor=moderator)
        with pytest.raises(StateError):
            rounds.add_item(study, "Too late", actor=None)
