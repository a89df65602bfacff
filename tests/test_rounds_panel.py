"""The panel: enrolment with the cut-off, pseudonyms, additions and withdrawals."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

import rounds
from delphi.core.database import db
from delphi.core.errors import Conflict, StateError
from delphi.core.models import (
    ApprovalStatus,
    AuditEvent,
    Membership,
    Panellist,
    PanellistStatus,
    Study,
    TaskForce,
    TaskForceRole,
    User,
)
from tests.factories import build_study, get_round, user_by_email

CUTOFF = datetime(2020, 10, 31, tzinfo=timezone.utc)


def _member(app, make_user, *, joined, status=ApprovalStatus.approved, task_force="A5"):
    user = make_user()
    with app.app_context():
        tf = db.session.scalar(select(TaskForce).where(TaskForce.code == task_force))
        db.session.add(Membership(user_id=user.id, task_force_id=tf.id, role=TaskForceRole.team_member,
                                  status=status, joined_at=joined))
        db.session.commit()
    return user.email


def test_round_one_enrols_members_who_joined_before_the_cutoff(app, make_user):
    world = build_study(app, n_panellists=3, n_items=2, panel_cutoff=CUTOFF)
    late = _member(app, make_user, joined=CUTOFF + timedelta(days=1))
    pending = _member(app, make_user, joined=CUTOFF - timedelta(days=3), status=ApprovalStatus.pending)
    other_tf = _member(app, make_user, joined=CUTOFF - timedelta(days=3), task_force="A1")
    on_time = _member(app, make_user, joined=CUTOFF - timedelta(seconds=1))
    with app.app_context():
        assert db.session.scalar(select(Panellist.id)) is None  # nobody before round 1 opens
        rounds.open_round(get_round(world, 1), actor=user_by_email(world.moderator))
        db.session.commit()
        enrolled = set(db.session.scalars(
            select(User.email).join(Panellist, Panellist.user_id == User.id)
            .where(Panellist.study_id == world.study_id)))
    assert enrolled == set(world.panellists) | {on_time}
    assert not enrolled & {late, pending, other_tf}


def test_pseudonyms_are_random_unique_and_not_the_user_id(app):
    world = build_study(app, n_panellists=20, n_items=1)
    with app.app_context():
        rounds.open_round(get_round(world, 1), actor=user_by_email(world.moderator))
        rows = db.session.execute(select(Panellist.pseudonym, Panellist.user_id, Panellist.id)
                                  .where(Panellist.study_id == world.study_id)).all()
    pseudonyms = [p for p, _u, _i in rows]
    assert len(set(pseudonyms)) == 20
    assert all(re.fullmatch(r"P-[2-9A-HJKMNP-Z]{6}", p) for p in pseudonyms)
    assert not any(p == f"P-{u}" or p.endswith(str(u).zfill(6)) for p, u, _i in rows)


def test_add_withdraw_and_readd(app, make_user):
    world = build_study(app, n_panellists=2, n_items=1)
    newcomer = make_user()
    with app.app_context():
        study = db.session.get(Study, world.study_id)
        moderator = user_by_email(world.moderator)
        user = db.session.get(User, newcomer.id)
        panellist = rounds.add_panellist(study, user, actor=moderator)
        pseudonym = panellist.pseudonym
        with pytest.raises(Conflict):
            rounds.add_panellist(study, user, actor=moderator)
        rounds.withdraw_panellist(panellist, actor=user)  # the panellist withdraws
        assert panellist.status is PanellistStatus.withdrawn and panellist.withdrawn_at is not None
        with pytest.raises(StateError):
            rounds.withdraw_panellist(panellist, actor=moderator)
        again = rounds.add_panellist(study, user, actor=moderator)
        assert again.id == panellist.id and again.pseudonym == pseudonym
        assert again.status is PanellistStatus.active
        assert rounds.panellist_by_pseudonym(study, pseudonym.lower()).id == panellist.id
        actions = [a for a in db.session.scalars(select(AuditEvent.action)) if a.startswith("panel.")]
        assert actions == ["panel.add", "panel.add"]  # the self-withdrawal is not a staff action
