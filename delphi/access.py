"""Who may see and do what, checked on the server for every object.

Deny by default: every view and API route asks one of these functions about
the object it serves, and raises :class:`delphi.core.errors.Forbidden` (403) or
:class:`delphi.core.errors.NotFound` (404) when the answer is no.
"""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from delphi.core.database import db
from delphi.core.errors import Forbidden, NotFound
from delphi.core.models import (
    Panellist,
    PanellistStatus,
    StaffRole,
    Study,
    StudyStaff,
    User,
)


def staff_roles(user: User | None, study: Study) -> set[StaffRole]:
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    rows = db.session.scalars(
        select(StudyStaff.role).where(StudyStaff.study_id == study.id, StudyStaff.user_id == user.id)
    )
    return set(rows)


def can_moderate(user: User | None, study: Study) -> bool:
    """Moderators of the study, and admins."""
    return bool(user is not None and getattr(user, "is_admin", False)) or (
        StaffRole.moderator in staff_roles(user, study)
    )


def can_research(user: User | None, study: Study) -> bool:
    """Researchers of the study, and admins (moderators are not researchers)."""
    return bool(user is not None and getattr(user, "is_admin", False)) or (
        StaffRole.researcher in staff_roles(user, study)
    )


def can_view_results(user: User | None, study: Study) -> bool:
    """Aggregated results: moderators, researchers and admins."""
    return bool(user is not None and getattr(user, "is_admin", False)) or bool(
        staff_roles(user, study)
    )


def panellist_of(user: User | None, study: Study, *, active_only: bool = True) -> Panellist | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    query = select(Panellist).where(Panellist.study_id == study.id, Panellist.user_id == user.id)
    if active_only:
        query = query.where(Panellist.status == PanellistStatus.active)
    return db.session.scalar(query)


def get_study(study_id: int) -> Study:
    study = db.session.get(Study, study_id)
    if study is None:
        raise NotFound(_("No such study."))
    return study


def require(allowed: bool) -> None:
    if not allowed:
        raise Forbidden(_("You are not allowed to do this."))
