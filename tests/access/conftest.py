"""Worlds for the route × role table (see README.md in this folder)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD

WORLDS = ("none", "draft", "round1_open", "round2_open")
DEFAULT_WORLD = "round2_open"
ROLES = ("anonymous", "member", "panellist", "moderator", "researcher", "admin")
HAS_FACTORIES = (Path(__file__).resolve().parent.parent / "factories.py").exists()


@dataclass
class AccessWorld:
    """Who plays each role (emails; None for anonymous) and the placeholder values."""

    name: str
    logins: dict[str, str | None]
    placeholders: dict[str, object] = field(default_factory=dict)


def _register(app, email, *, admin=False, organisation="Access Independent", status="none"):
    from delphi.core.database import db
    from delphi.core.models import MembershipStatus
    from delphi.services.accounts import Registration, register

    with app.app_context():
        user = register(Registration(
            email=email, password=PASSWORD, name=email.split("@")[0].title(),
            organisation=organisation, country="Kenya", region="Africa",
            stakeholder_group="ngo", language="en", consent=True), is_admin=admin)
        user.organisation.status = MembershipStatus(status)
        db.session.commit()
        return user.id, user.organisation_id


def _core(app) -> dict:
    """The objects the foundation's routes need: an organisation, a pending application
    and an indicator of the plan."""
    from delphi.core.database import db
    from delphi.core.models import TaskForce, TaskForceRole
    from delphi.services.membership import join

    applicant_id, org_id = _register(app, "access.applicant@example.org",
                                     organisation="Access Member Org", status="member")
    with app.app_context():
        from delphi.core.models import User

        applicant = db.session.get(User, applicant_id)
        a1 = db.session.scalar(select(TaskForce).where(TaskForce.code == "A1"))
        membership = join(applicant, a1, TaskForceRole.global_leader, None)
        db.session.commit()
        a5 = db.session.scalar(select(TaskForce).where(TaskForce.code == "A5"))
        return {"membership_id": membership.id, "org_id": org_id, "code": "A5",
                "indicator_id": a5.indicators[0].id}


def build_world(app, name: str = DEFAULT_WORLD) -> AccessWorld:
    """Build the named world in ``app``'s database (see README.md)."""
    if name not in WORLDS:
        raise ValueError(f"WORLD must be one of {WORLDS}, not {name!r}")
    placeholders = _core(app)
    _register(app, "access.member@example.org")
    logins = {"anonymous": None, "member": "access.member@example.org"}
    if name == "none":
        _register(app, "access.admin@example.org", admin=True)
        logins["admin"] = "access.admin@example.org"
        return AccessWorld(name, logins, placeholders)
    if not HAS_FACTORIES:  # pragma: no cover - until tests/factories.py exists
        pytest.skip("tests/factories.py is missing: no study worlds")
    from tests import factories

    world = factories.build_study(app, task_force="A5", n_panellists=6, n_items=3)
    open_round = 1
    if name == "round1_open":
        factories.open_round_of(app, world, 1)
    elif name == "round2_open":
        factories.answer_round(app, world, 1, seed=1)
        report = factories.close(app, world, 1)
        assert report.next_round is not None, "round 1 closed without drafting round 2"
        factories.open_round_of(app, world, 2)
        open_round = 2
        placeholders["closed_round"] = 1
    logins.update(admin=world.admin, moderator=world.moderator, researcher=world.researcher,
                  panellist=world.panellists[0])
    placeholders.update(study=world.study_id, study_id=world.study_id, round=open_round,
                        item_id=world.item_ids[0], code=world.task_force)
    with app.app_context():
        panellist = factories.panellist_of(world, world.panellists[0])
        placeholders["pseudonym"] = panellist.pseudonym if panellist is not None else "P-NOBODY"
    return AccessWorld(name, logins, placeholders)


@pytest.fixture
def world(app):
    """The default world (round 1 closed, round 2 open); ``build_world`` for others."""
    return build_world(app, DEFAULT_WORLD)
