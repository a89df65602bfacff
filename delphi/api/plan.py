"""``/api/v1/task-forces`` and joining them."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from delphi.api.common import (
    ApiError,
    bp,
    current_api_user,
    field,
    json_body,
    token_required,
)
from delphi.core.database import db
from delphi.core.models import TaskForce
from delphi.services.accounts import find_region
from delphi.services.membership import join, parse_role, task_force_by_code
from delphi.unit_of_work import unit_of_work


def task_force_json(tf: TaskForce) -> dict:
    return {
        "code": tf.code, "goal": tf.goal.code,
        "facility": tf.facility.value if tf.facility else None,
        "label": tf.label, "objective": tf.objective, "baseline_2020": tf.baseline_2020,
        "target_2030": tf.target_2030, "target_2050": tf.target_2050,
    }


@bp.get("/task-forces")
def list_task_forces():
    rows = db.session.scalars(select(TaskForce).order_by(TaskForce.code))
    return [task_force_json(tf) for tf in rows]


@bp.get("/task-forces/<code>")
def get_task_force(code: str):
    return task_force_json(task_force_by_code(code))


@bp.post("/task-forces/<code>/memberships")
@token_required
@unit_of_work
def create_membership(code: str):
    task_force = task_force_by_code(code)
    data = json_body()
    role = parse_role(field(data, "role", str))
    region_name = field(data, "region", str, required=False)
    region = find_region(region_name)
    if region_name and region is None:
        raise ApiError(422, "invalid", _("Invalid input."), {"region": _("Unknown region.")})
    membership = join(current_api_user(), task_force, role, region)
    return {
        "task_force": task_force.code, "role": membership.role.value,
        "region": region.name if region else None, "status": membership.status.value,
    }, 201
