"""``/api/v1/task-forces`` and joining them."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from delphi.api.common import ApiError, current_api_user
from delphi.api.operations import ok, operation, request_body
from delphi.api.schemas.accounts import Membership, MembershipRequest, TaskForce
from delphi.core.database import db
from delphi.core.models import Indicator as IndicatorRow
from delphi.core.models import TaskForce as TaskForceRow
from delphi.services.accounts import find_region
from delphi.services.membership import join, parse_role, task_force_by_code
from delphi.unit_of_work import unit_of_work


def task_force_json(tf: TaskForceRow) -> dict:
    return {
        "code": tf.code, "goal": tf.goal.code,
        "facility": tf.facility.value if tf.facility else None,
        "label": tf.label, "objective": tf.objective, "baseline_2020": tf.baseline_2020,
        "target_2030": tf.target_2030, "target_2050": tf.target_2050,
        "indicators": [indicator_json(i) for i in tf.indicators],
    }


def indicator_json(indicator: IndicatorRow) -> dict:
    return {
        "id": indicator.id, "name": indicator.name, "unit": indicator.unit,
        "baseline": {"value": indicator.baseline_value, "year": indicator.baseline_year,
                     "text": indicator.baseline_text},
        "target_2030": {"value": indicator.target_2030_value, "text": indicator.target_2030_text},
        "target_2050": {"value": indicator.target_2050_value, "text": indicator.target_2050_text},
    }


@operation("GET", "/task-forces", summary="The 24 task forces", tag="plan", secure=False,
           answers={200: ok("List", TaskForce, many=True)})
def list_task_forces():
    rows = db.session.scalars(select(TaskForceRow).order_by(TaskForceRow.code).options(
        selectinload(TaskForceRow.indicators), selectinload(TaskForceRow.goal)))
    return [task_force_json(tf) for tf in rows]


@operation("GET", "/task-forces/{code}", summary="One task force", tag="plan", secure=False,
           answers={200: ok("Task force", TaskForce)}, errors=(404,))
def get_task_force(code: str):
    return task_force_json(task_force_by_code(code))


@operation("POST", "/task-forces/{code}/memberships", summary="Join a task force", tag="plan",
           body=MembershipRequest, answers={201: ok("Joined", Membership)}, errors=(404, 409))
@unit_of_work
def create_membership(code: str):
    task_force = task_force_by_code(code)
    body = request_body()
    role = parse_role(body.role)
    region = find_region(body.region)
    if body.region and region is None:
        raise ApiError(422, "invalid", _("Invalid input."), {"region": _("Unknown region.")})
    membership = join(current_api_user(), task_force, role, region)
    return {
        "task_force": task_force.code, "role": membership.role.value,
        "region": region.name if region else None, "status": membership.status.value,
    }, 201
