"""The panel: enrolment at round 1 (with the cut-off), additions, withdrawals,
random per-study pseudonyms."""
from __future__ import annotations

import secrets

from flask_babel import gettext as _
from sqlalchemy import select

from delphi.core import audit
from delphi.core.clock import now_or
from delphi.core.database import db
from delphi.core.errors import Conflict, StateError
from delphi.core.models import (
    ApprovalStatus,
    Membership,
    Panellist,
    PanellistStatus,
    Response,
    Study,
    StudyStatus,
    User,
)
from delphi.core.text import text_problem

#: Pseudonym alphabet: upper-case letters and digits without look-alikes (0/O, 1/I/L).
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
PSEUDONYM_LENGTH = 6


def new_pseudonym(taken: set[str]) -> str:
    """A random pseudonym like ``P-7K3Q9D`` not in ``taken``."""
    while True:
        candidate = "P-" + "".join(secrets.choice(ALPHABET) for _i in range(PSEUDONYM_LENGTH))
        if candidate not in taken:
            return candidate


def _taken(study: Study) -> set[str]:
    return set(db.session.scalars(select(Panellist.pseudonym).where(Panellist.study_id == study.id)))


def enrol_panel(study: Study, *, now=None) -> list[Panellist]:
    """Enrol the approved members of the task force who joined before
    ``study.panel_cutoff`` (all approved members when there is no cut-off) and
    are not panellists yet. Returns the new panellists."""
    now = now_or(now)
    query = (
        select(Membership.user_id)
        .where(Membership.task_force_id == study.task_force_id,
               Membership.status == ApprovalStatus.approved)
        .where(~Membership.user_id.in_(select(Panellist.user_id).where(Panellist.study_id == study.id)))
        .order_by(Membership.joined_at, Membership.id)
    )
    if study.panel_cutoff is not None:
        query = query.where(Membership.joined_at < study.panel_cutoff)
    taken = _taken(study)
    enrolled = []
    for user_id in db.session.scalars(query):
        pseudonym = new_pseudonym(taken)
        taken.add(pseudonym)
        panellist = Panellist(study_id=study.id, user_id=user_id, pseudonym=pseudonym,
                              status=PanellistStatus.active, enrolled_at=now)
        db.session.add(panellist)
        enrolled.append(panellist)
    db.session.flush()
    return enrolled


def _is_self(actor, user_id: int) -> bool:
    return actor is not None and getattr(actor, "id", None) == user_id


def add_panellist(study: Study, user: User, *, actor, now=None) -> Panellist:
    """Add ``user`` to the panel (a withdrawn panellist is re-activated, with the
    same pseudonym). ``Conflict`` if already active; ``StateError`` once the
    study has ended. Audited when the actor is not the user."""
    now = now_or(now)
    if study.status is StudyStatus.ended:
        raise StateError(_("This study has ended."))
    panellist = db.session.scalar(select(Panellist).where(
        Panellist.study_id == study.id, Panellist.user_id == user.id))
    if panellist is not None and panellist.status is PanellistStatus.active:
        raise Conflict(_("This person is on the panel already."))
    if panellist is None:
        panellist = Panellist(study_id=study.id, user_id=user.id, pseudonym=new_pseudonym(_taken(study)),
                              status=PanellistStatus.active, enrolled_at=now)
        db.session.add(panellist)
    else:
        panellist.status = PanellistStatus.active
        panellist.withdrawn_at = None
    db.session.flush()
    if not _is_self(actor, user.id):
        audit.record(actor, "panel.add", study, details={"pseudonym": panellist.pseudonym}, now=now)
    return panellist


def withdraw_panellist(panellist: Panellist, *, actor, now=None) -> Panellist:
    """Withdraw a panellist (a moderator does it, or the panellist). Their
    answers no longer count in rounds that close afterwards. When the study's
    protocol says ``withdrawal="delete"``, every answer they gave (drafts,
    ratings, reasons, comments, in every round) is deleted too; the closed
    rounds' frozen figures and the feedback already given stay. With
    ``"keep"`` the answers of closed rounds stay under the pseudonym.
    ``StateError`` if already withdrawn. Audited when the actor is not the
    panellist."""
    now = now_or(now)
    if panellist.status is PanellistStatus.withdrawn:
        raise StateError(_("This panellist has withdrawn already."))
    panellist.status = PanellistStatus.withdrawn
    panellist.withdrawn_at = now
    deleted = 0
    study = db.session.get(Study, panellist.study_id)
    if (getattr(study, "withdrawal", None) or "keep") == "delete":
        for response in db.session.scalars(select(Response).where(
                Response.panellist_id == panellist.id)):
            db.session.delete(response)  # its ratings and comments go with it
            deleted += 1
    db.session.flush()
    if not _is_self(actor, panellist.user_id):
        audit.record(actor, "panel.withdraw", ("Study", panellist.study_id),
                     details={"pseudonym": panellist.pseudonym, "deleted_responses": deleted},
                     now=now)
    return panellist


def panellist_by_pseudonym(study: Study, pseudonym: str) -> Panellist | None:
    if not isinstance(pseudonym, str) or len(pseudonym) > 32 or text_problem(pseudonym):
        return None  # no pseudonym holds such text
    return db.session.scalar(select(Panellist).where(
        Panellist.study_id == study.id, Panellist.pseudonym == (pseudonym or "").strip().upper()))
