"""Joining task forces, and the secretariat's approval of leaders and representatives."""
from __future__ import annotations

from collections import Counter
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from delphi.core import audit
from delphi.core.attributes import attribute_values, member_attributes
from delphi.core.database import db
from delphi.core.errors import Conflict, InvalidInput, NotFound, StateError
from delphi.core.models import (
    ApprovalStatus,
    Membership,
    Region,
    TaskForce,
    TaskForceRole,
    User,
    utcnow,
)
from delphi.core.text import text_problem


def task_force_by_code(code: str) -> TaskForce:
    code = (code or "").upper()
    task_force = None if len(code) > 8 or text_problem(code) else db.session.scalar(
        select(TaskForce).where(TaskForce.code == code))
    if task_force is None:
        raise NotFound(_("There is no task force %(code)s.", code=code))
    return task_force


def parse_role(value: str | None) -> TaskForceRole:
    try:
        return TaskForceRole(value)
    except ValueError:
        raise InvalidInput(
            _("Unknown role."),
            fields={"role": _("Choose global_leader, regional_representative or team_member.")},
        )


def join(user: User, task_force: TaskForce, role: TaskForceRole, region: Region | None,
         *, now: datetime | None = None) -> Membership:
    """Join a task force ("Join Task Force XY").

    Only members and partners of the initiative may apply as Global Leader or
    Regional Representative; those applications wait for the secretariat.
    Team members are approved at once. One membership per task force.
    """
    if role.needs_approval and not (user.organisation and user.organisation.may_lead):
        raise InvalidInput(
            _("Only people from an organisation that is a member or partner of the "
              "\"4 per 1000\" initiative may apply as Global Leader or Regional "
              "Representative. You are welcome to join as a Team Member."),
            fields={"role": _("Not open to your organisation.")},
        )
    existing = db.session.scalar(
        select(Membership).where(Membership.user_id == user.id,
                                 Membership.task_force_id == task_force.id)
    )
    if existing is not None:
        raise Conflict(_("You are already a member of task force %(code)s.", code=task_force.code))
    now = now or utcnow()
    membership = Membership(
        user_id=user.id, task_force_id=task_force.id, role=role,
        region_id=region.id if region else None,
        status=ApprovalStatus.pending if role.needs_approval else ApprovalStatus.approved,
        joined_at=now,
    )
    db.session.add(membership)
    db.session.flush()
    return membership


def decide(actor: User, membership: Membership, approve: bool, *,
           now: datetime | None = None) -> None:
    """The secretariat approves or declines a pending application (audited)."""
    if membership.status is not ApprovalStatus.pending:
        raise StateError(_("This application has been decided already."))
    membership.status = ApprovalStatus.approved if approve else ApprovalStatus.declined
    membership.decided_at = now or utcnow()
    membership.decided_by_id = actor.id
    audit.record(actor, "membership.approve" if approve else "membership.decline", membership,
                 details={"task_force": membership.task_force.code,
                          "role": membership.role.value})


def member_regions(task_force: TaskForce) -> dict[int, str]:
    """Each member's region (user id → region name), by the one rule of
    :mod:`delphi.core.attributes`."""
    query = member_attributes(task_force.id, User.id).where(Membership.id.is_not(None))
    return {user_id: attribute_values(*values)["region"]
            for user_id, *values in db.session.execute(query)}


def composition(task_force: TaskForce) -> dict[str, dict[str, int]]:
    """Approved members of a task force counted by role, region and stakeholder
    group (the attributes of :mod:`delphi.core.attributes`)."""
    query = member_attributes(task_force.id, User.id).where(
        Membership.status == ApprovalStatus.approved)
    out: dict[str, Counter] = {key: Counter() for key in ("role", "region", "stakeholder_group")}
    for _user_id, *values in db.session.execute(query):
        attributes = attribute_values(*values)
        for key, counter in out.items():
            counter[attributes[key]] += 1
    return {key: dict(sorted(counter.items())) for key, counter in out.items()}
