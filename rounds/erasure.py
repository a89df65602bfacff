"""Erasing a member's account (the right to erasure), in one place for the
web page, the API and the console.

What erasure does, as the consent text says:

- the member is withdrawn from every panel they are active on, each by its
  study's protocol (``Study.withdrawal``: "delete" removes every answer they
  gave; "keep" keeps the answers of closed rounds under the pseudonym);
- answers already fed back, and the closed rounds' frozen figures, stay
  pseudonymised: the pseudonym is all that links them, and nothing links it
  to a person any more;
- the account's identity is erased: name, e-mail address, organisation,
  country, region, stakeholder group, language, time zone, password and
  two-factor secret; its task-force memberships, study roles, API tokens,
  magic links and unsent mail are deleted, and every session ends;
- an ``account.erase`` audit row records who erased which account id, and how
  many studies it withdrew from: never the erased identity.

The last administrator cannot be erased (nobody could run the site).
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import delete, func, select

from delphi.core import audit
from delphi.core.clock import now_or
from delphi.core.database import db
from delphi.core.errors import StateError
from delphi.core.models import (
    ApiToken,
    MagicLink,
    Membership,
    MessageStatus,
    OutboxMessage,
    Panellist,
    PanellistStatus,
    Study,
    StudyStaff,
    User,
)
from rounds.panel import withdraw_panellist

__all__ = ["ERASED_NAME", "ErasurePlan", "erase_account", "erasure_plan"]

#: The name an erased account keeps (the column may not be empty).
ERASED_NAME = "—"


@dataclass(frozen=True)
class ErasurePlan:
    """What erasing an account will do, for its confirmation page:
    ``delete_in`` and ``keep_in`` are the studies whose panel the member is
    on, by what their protocol does to the answers."""

    delete_in: list[Study]
    keep_in: list[Study]
    memberships: int
    blocked: str | None  # why it cannot be done, or None


def _last_admin(user: User) -> bool:
    if not user.is_admin:
        return False
    others = db.session.scalar(select(func.count()).select_from(User).where(
        User.is_admin.is_(True), User.id != user.id))
    return others == 0


def erasure_plan(user: User) -> ErasurePlan:
    delete_in, keep_in = [], []
    for study in db.session.scalars(
            select(Study).join(Panellist, Panellist.study_id == Study.id)
            .where(Panellist.user_id == user.id, Panellist.status == PanellistStatus.active)
            .order_by(Study.id)):
        (delete_in if (study.withdrawal or "keep") == "delete" else keep_in).append(study)
    memberships = db.session.scalar(select(func.count()).select_from(Membership).where(
        Membership.user_id == user.id))
    blocked = _("You are the only administrator: appoint another one before erasing this "
                "account.") if _last_admin(user) else None
    return ErasurePlan(delete_in=delete_in, keep_in=keep_in, memberships=memberships,
                       blocked=blocked)


def erase_account(user: User, *, actor, now=None) -> int:
    """Erase ``user``'s account as the module says; returns the number of
    panels they were withdrawn from. ``StateError`` for the last
    administrator (nothing changed). Flushes; the caller commits."""
    now = now_or(now)
    if _last_admin(user):
        raise StateError(erasure_plan(user).blocked)
    withdrawn = 0
    panellists = list(db.session.scalars(select(Panellist).where(Panellist.user_id == user.id)))
    for panellist in panellists:
        if panellist.status is PanellistStatus.active:
            withdraw_panellist(panellist, actor=None, now=now)  # the erasure's own row says who
            withdrawn += 1
    panellist_ids = [p.id for p in panellists]
    if panellist_ids:
        db.session.execute(delete(MagicLink).where(MagicLink.panellist_id.in_(panellist_ids)))
    db.session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
    db.session.execute(delete(Membership).where(Membership.user_id == user.id))
    db.session.execute(delete(StudyStaff).where(StudyStaff.user_id == user.id))
    db.session.execute(delete(OutboxMessage).where(
        OutboxMessage.user_id == user.id, OutboxMessage.status != MessageStatus.sent))
    db.session.execute(OutboxMessage.__table__.update().where(
        OutboxMessage.user_id == user.id).values(recipient="", body="", subject=""))
    user.name = ERASED_NAME
    user.email = f"erased-{user.id}-{secrets.token_hex(6)}@erased.invalid"
    user.password_hash = "!erased"  # no password verifies against it
    user.organisation_id = None
    user.country = ""
    user.region_id = None
    user.stakeholder_group = "other"
    user.language = None
    user.time_zone = None
    user.totp_secret = None
    user.totp_last_step = None
    user.is_admin = False
    user.session_version = (user.session_version or 1) + 1  # every session ends
    db.session.flush()
    audit.record(actor, "account.erase", ("User", user.id),
                 details={"withdrawn_from": withdrawn}, now=now)
    return withdrawn
