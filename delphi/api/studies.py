"""``/api/v1/studies``: studies, their staff and their panel (issue 4 §8).

Every route checks access with :mod:`delphi.access` on the object it serves
and calls a :mod:`rounds` service; domain errors become JSON errors with
their status (an illegal move 409, a wrong field 422 naming it). The rounds
of a study are in :mod:`delphi.api.rounds`, the answers in
:mod:`delphi.api.answers`. No answer of this package shows a panellist's
name, email or organisation.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import or_, select

import rounds
from delphi.access import (
    can_moderate,
    can_view_results,
    get_study,
    panellist_of,
    require,
)
from delphi.api.common import ApiError, current_api_user
from delphi.api.operations import ok, operation, request_body
from delphi.api.schemas.studies import (
    Panellist,
    PanellistRequest,
    Staff,
    StaffAssignment,
    Study,
    StudyCreate,
)
from delphi.config import current_policy
from delphi.core.database import db
from delphi.core.errors import NotFound
from delphi.core.models import Panellist as PanellistRow
from delphi.core.models import PanellistStatus, StaffRole, StudyStaff, User
from delphi.core.models import Study as StudyRow
from delphi.services.accounts import member_by_email
from delphi.unit_of_work import unit_of_work


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def study_json(study: StudyRow) -> dict:
    return {
        "id": study.id,
        "task_force": study.task_force.code,
        "title": study.title,
        "description": study.description,
        "status": study.status.value,
        "scale_points": study.scale_points,
        "scale_labels": list(study.scale_labels or []),
        "criteria": list(study.criteria or []),
        "consensus": dict(study.consensus_rule or {}),
        "quantile_method": study.quantile_method,
        "min_n": study.min_n,
        "max_rounds": study.max_rounds,
        "stop_when_settled": study.stop_when_settled,
        "stop_w_threshold": study.stop_w_threshold,
        "panel_cutoff": iso(study.panel_cutoff),
        "show_distribution": study.show_distribution,
        "show_median_iqr": study.show_median_iqr,
        "show_comments": study.show_comments,
        "require_reason_outside_iqr": study.require_reason_outside_iqr,
        "carry_forward": study.carry_forward.value,
        "feedback_strata": study.feedback_strata or "none",
        "moderate_comments": bool(study.moderate_comments),
        "withdrawal": study.withdrawal or "keep",
        "time_zone": study.time_zone,
        "locked_at": iso(study.locked_at),
        "rounds": [{"number": r.number, "status": r.status.value} for r in study.rounds],
    }


def visible_studies(user: User) -> list[StudyRow]:
    query = select(StudyRow).order_by(StudyRow.id)
    if not user.is_admin:
        staff = select(StudyStaff.study_id).where(StudyStaff.user_id == user.id)
        panel = select(PanellistRow.study_id).where(PanellistRow.user_id == user.id,
                                                    PanellistRow.status == PanellistStatus.active)
        query = query.where(or_(StudyRow.id.in_(staff), StudyRow.id.in_(panel)))
    return list(db.session.scalars(query))


def _member(email: str) -> User:
    member = member_by_email(email)
    if member is None:
        raise ApiError(422, "invalid", _("Invalid input."),
                       {"email": _("No member has this email address.")})
    return member


# -- Studies -------------------------------------------------------------------

@operation("POST", "/studies", summary="Create a study (admin)", tag="studies", body=StudyCreate,
           answers={201: ok("Created", Study)}, errors=(403,),
           description="The protocol's values are checked by the study service: a wrong one "
                       "is a 422 naming the field.")
@unit_of_work
def create_study():
    user = current_api_user()
    require(user.is_admin)
    body = request_body()
    study = rounds.create_study(body.task_force.strip(), body.title, actor=user,
                                policy=current_policy(), **body.protocol())
    db.session.flush()
    return study_json(study), 201


@operation("GET", "/studies", summary="The studies the caller may see", tag="studies",
           answers={200: ok("Studies", Study, many=True)})
def list_studies():
    return [study_json(s) for s in visible_studies(current_api_user())]


@operation("GET", "/studies/{study_id}", summary="One study", tag="studies",
           answers={200: ok("Study", Study)}, errors=(403, 404))
def show_study(study_id: int):
    study = get_study(study_id)
    user = current_api_user()
    require(can_view_results(user, study) or panellist_of(user, study) is not None)
    return study_json(study)


@operation("POST", "/studies/{study_id}/staff", summary="Assign a moderator or researcher (admin)",
           tag="studies", body=StaffAssignment, answers={201: ok("Assigned", Staff)},
           errors=(403, 404, 409))
@unit_of_work
def assign_staff(study_id: int):
    study = get_study(study_id)
    user = current_api_user()
    require(user.is_admin)
    body = request_body()
    member = _member(body.email)
    role = StaffRole(body.role)
    rounds.assign_staff(study, member, role, actor=user)
    return {"email": member.email, "role": role.value}, 201


# -- Panel -------------------------------------------------------------------

@operation("POST", "/studies/{study_id}/panellists", summary="Add a panellist (moderator, admin)",
           tag="studies", body=PanellistRequest, answers={201: ok("Added", Panellist)},
           errors=(403, 404, 409))
@unit_of_work
def add_panellist(study_id: int):
    study = get_study(study_id)
    user = current_api_user()
    require(can_moderate(user, study))
    body = request_body()
    panellist = rounds.add_panellist(study, _member(body.email), actor=user)
    db.session.flush()
    return {"pseudonym": panellist.pseudonym, "status": panellist.status.value}, 201


@operation("DELETE", "/studies/{study_id}/panellists/{pseudonym}",
           summary="Withdraw a panellist (moderator, admin, or the panellist)", tag="studies",
           answers={200: ok("Withdrawn", Panellist)}, errors=(403, 404, 409))
@unit_of_work
def withdraw_panellist(study_id: int, pseudonym: str):
    study = get_study(study_id)
    user = current_api_user()
    panellist = db.session.scalar(select(PanellistRow).where(
        PanellistRow.study_id == study.id, PanellistRow.pseudonym == pseudonym))
    is_self = panellist is not None and panellist.user_id == user.id
    require(can_moderate(user, study) or is_self)
    if panellist is None:
        raise NotFound(_("No such panellist."))
    rounds.withdraw_panellist(panellist, actor=user)
    db.session.flush()
    return {"pseudonym": panellist.pseudonym, "status": panellist.status.value}
