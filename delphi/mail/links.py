"""Magic links: one questionnaire, one panellist, one use, an expiry.

A link is ``<BASE_URL>/q/<token>`` with a random token (256 bits); only its
SHA-256 is stored (:class:`~delphi.core.models.MagicLink`), so a leaked database
holds no usable link. A link opens the questionnaire of *that* panellist for
*that* round and nothing else:

- it expires at the round's deadline, or after ``MAGIC_LINK_LIFETIME_DAYS``
  (14) days, whichever comes first, and is refused once the round is not
  open or the panellist has withdrawn;
- it can be used once: using it marks it used (a conditional update, so two
  clicks at the same instant cannot both succeed) and stores a *grant* in
  the signed session cookie: ``{round id: (panellist id, expiry)}``. The grant
  does not log the user in; it only lets the questionnaire view of that
  round act as that panellist. :func:`granted_panellist` is what the view asks.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from flask import session
from flask_babel import gettext as _
from sqlalchemy import func, insert, select, update

from delphi.core.database import db
from delphi.core.models import (
    MagicLink,
    OutboxMessage,
    Panellist,
    PanellistStatus,
    Round,
    RoundStatus,
    Study,
    User,
    utcnow,
)
from delphi.core.text import text_problem
from delphi.mail import base_url, link_lifetime, setting
from delphi.mail.outbox import queue

SESSION_KEY = "questionnaire_grants"
#: A session keeps at most this many grants (the newest).
MAX_GRANTS = 5


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _expiry(round: Round, now: datetime) -> datetime:
    expires = now + link_lifetime()
    if round.closes_at is not None and round.closes_at > now:
        expires = min(expires, round.closes_at)
    return expires


def issue(panellist: Panellist, round: Round, *, now: datetime | None = None) -> str:
    """Create a link for ``panellist`` to ``round``; returns the token (shown once)."""
    return issue_many([panellist], round, now=now)[panellist.id]


def issue_many(panellists, round: Round, *, now: datetime | None = None) -> dict[int, str]:
    """Create a link to ``round`` for each of ``panellists``: ``{panellist id: token}``.

    The tokens are drawn here; their hashes are stored with one multi-row
    insert, whatever the number of panellists. Flushes; never commits.
    """
    now = now or utcnow()
    expires = _expiry(round, now)
    tokens = {panellist.id: secrets.token_urlsafe(32) for panellist in panellists}
    if tokens:
        db.session.flush()
        db.session.execute(insert(MagicLink.__table__), [
            {"token_hash": hash_token(token), "panellist_id": panellist_id, "round_id": round.id,
             "created_at": now, "expires_at": expires, "used_at": None}
            for panellist_id, token in tokens.items()])
    return tokens


def url_for_token(token: str) -> str:
    return f"{base_url()}/q/{token}"


#: A link's token in a message body (``token_urlsafe(32)``: 43 characters).
_TOKEN_IN_TEXT = re.compile(r"(/q/)[A-Za-z0-9_-]{20,}")
#: What stands for a token once the message has left.
REDACTED = "(link removed once sent)"


def redact(text: str) -> str:
    """``text`` with every magic link's token replaced: only the hash of a
    token is stored, and a message body keeps its link only until it is
    sent (a copy of the database must open nobody's questionnaire)."""
    return _TOKEN_IN_TEXT.sub(lambda m: m.group(1) + REDACTED, text or "")


def issue_url(panellist: Panellist, round: Round, *, now: datetime | None = None) -> str:
    return url_for_token(issue(panellist, round, now=now))


class LinkRefused(Exception):
    """Why a link cannot be used: ``reason`` is unknown, used or expired."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason

    @property
    def message(self) -> str:
        return {
            "unknown": _("This link is not valid. Please check that you copied all of it."),
            "used": _("This link has already been used. Each link opens your questionnaire once."),
            "expired": _("This link has expired, or the round it opens is no longer open."),
        }[self.reason]


@dataclass(frozen=True)
class LinkTarget:
    link: MagicLink
    panellist: Panellist
    round: Round


def check(token: str, *, now: datetime | None = None) -> LinkTarget:
    """The link's panellist and round, or :class:`LinkRefused` (does not use it)."""
    now = now or utcnow()
    link = db.session.scalar(select(MagicLink).where(MagicLink.token_hash == hash_token(token or "")))
    if link is None:
        raise LinkRefused("unknown")
    if link.used_at is not None:
        raise LinkRefused("used")
    panellist = db.session.get(Panellist, link.panellist_id)
    round = db.session.get(Round, link.round_id)
    if (link.expires_at <= now or round is None or round.status != RoundStatus.open
            or (round.closes_at is not None and round.closes_at <= now)
            or panellist is None or panellist.status != PanellistStatus.active
            or panellist.study_id != round.study_id):
        raise LinkRefused("expired")
    return LinkTarget(link, panellist, round)


def redeem(token: str, *, now: datetime | None = None) -> LinkTarget:
    """Use the link once: marks it used; :class:`LinkRefused` if it cannot be used.

    The caller commits, then calls :func:`grant`.
    """
    now = now or utcnow()
    target = check(token, now=now)
    result = db.session.execute(
        update(MagicLink).where(MagicLink.id == target.link.id, MagicLink.used_at.is_(None))
        .values(used_at=now).execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:   # somebody used it between the check and now
        raise LinkRefused("used")
    return target


def grant(target: LinkTarget) -> None:
    """Let this session answer ``target.round`` as ``target.panellist`` until the link expires."""
    grants = dict(session.get(SESSION_KEY) or {})
    grants[str(target.round.id)] = [target.panellist.id, target.link.expires_at.timestamp()]
    newest = sorted(grants.items(), key=lambda kv: kv[1][1])[-MAX_GRANTS:]
    session[SESSION_KEY] = dict(newest)


def granted_panellist(study: Study, round: Round, *, now: datetime | None = None) -> Panellist | None:
    """The panellist this session may answer ``round`` of ``study`` as, through a magic link.

    ``None`` unless the session holds a grant for exactly this round, the
    round belongs to ``study`` and is open, the grant has not expired, and the
    panellist belongs to ``study`` and is active. For the questionnaire view::

        panellist = access.panellist_of(current_user, study) or granted_panellist(study, round)
    """
    now = now or utcnow()
    entry = (session.get(SESSION_KEY) or {}).get(str(round.id))
    if not entry or round.study_id != study.id or round.status != RoundStatus.open:
        return None
    panellist_id, expires = entry
    if datetime.fromtimestamp(expires, tz=timezone.utc) <= now:
        return None
    panellist = db.session.get(Panellist, panellist_id)
    if (panellist is None or panellist.study_id != study.id
            or panellist.status != PanellistStatus.active):
        return None
    return panellist


def granted_in_study(study: Study, *, now: datetime | None = None) -> Panellist | None:
    """The panellist of ``study`` that one of this session's grants is for, if any."""
    for round_id in (session.get(SESSION_KEY) or {}):
        round = db.session.get(Round, int(round_id))
        if round is not None and round.study_id == study.id:
            panellist = granted_panellist(study, round, now=now)
            if panellist is not None:
                return panellist
    return None


def request_new_links(email: str, *, now: datetime | None = None) -> int:
    """Queue a fresh link to each open round of every study ``email`` is an active panellist of.

    Returns how many were queued (the page never tells: its answer is the same
    for anybody). At most ``MAIL_LINK_REQUESTS_PER_HOUR`` per panellist and
    round, so the form cannot be used to flood somebody's mailbox. Flushes.
    """
    now = now or utcnow()
    email = (email or "").strip().lower()
    if len(email) > 320 or text_problem(email):
        return 0  # no account has such an address
    user = db.session.scalar(select(User).where(func.lower(User.email) == email))
    if user is None:
        return 0
    rows = db.session.execute(
        select(Panellist, Round).join(Round, Round.study_id == Panellist.study_id).where(
            Panellist.user_id == user.id, Panellist.status == PanellistStatus.active,
            Round.status == RoundStatus.open)
        .order_by(Round.id)).all()
    limit = int(setting("MAIL_LINK_REQUESTS_PER_HOUR"))
    queued = 0
    for panellist, round in rows:
        if round.closes_at is not None and round.closes_at <= now:
            continue
        recent = db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.user_id == user.id, OutboxMessage.round_id == round.id,
            OutboxMessage.template == "link", OutboxMessage.created_at > now - timedelta(hours=1)))
        if recent >= limit:
            continue
        queue(user, "link", round=round, now=now, link=issue_url(panellist, round, now=now),
              details={"panellist": panellist.pseudonym})
        queued += 1
    return queued
