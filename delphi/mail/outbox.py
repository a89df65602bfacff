"""Queueing messages: one :class:`OutboxMessage` row per message, rendered now.

A message is rendered when it is queued, in the recipient's language
(``user.language``, else English), so what the sender delivers is exactly
what was decided in the transaction that queued it. ``queue`` adds rows and
flushes; it never commits (the caller's transaction does).
"""
from __future__ import annotations

from datetime import datetime

from flask import current_app, render_template
from flask_babel import force_locale, format_datetime
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from delphi.extensions import db
from delphi.mail.i18n import N_, gettext, ngettext
from delphi.models import OutboxMessage, Round, User, utcnow

#: Template name → subject (translated in the recipient's language).
SUBJECTS = {
    "invitation": N_("Round %(number)s of \u201c%(study)s\u201d is open"),
    "feedback": N_("Round %(number)s of \u201c%(study)s\u201d is open, with the group's answers"),
    "reminder": N_("Reminder: round %(number)s of \u201c%(study)s\u201d closes on %(deadline)s"),
    "thanks": N_("Thank you for your answers to round %(number)s of \u201c%(study)s\u201d"),
    "closed": N_("Round %(number)s of \u201c%(study)s\u201d has closed"),
    "link": N_("Your new link to round %(number)s of \u201c%(study)s\u201d"),
}


def language_of(user: User) -> str:
    languages = current_app.config.get("LANGUAGES", ("en",))
    return user.language if user.language in languages else "en"


def format_deadline(moment: datetime | None) -> str:
    """A deadline in the current (forced) locale, always in UTC."""
    if moment is None:
        return ""
    return format_datetime(moment, "d MMMM y, HH:mm") + " UTC"


def render(template: str, *, user: User, round: Round | None = None, **context) -> tuple[str, str]:
    """``(subject, body)`` of ``template`` for ``user``, in the user's language."""
    if template not in SUBJECTS:
        raise ValueError(f"unknown mail template {template!r}; expected one of {sorted(SUBJECTS)}")
    with force_locale(language_of(user)):
        study = round.study if round is not None else None
        deadline = format_deadline(round.closes_at if round is not None else None)
        subject = gettext(
            SUBJECTS[template],
            number=round.number if round is not None else "",
            study=study.title if study is not None else "",
            deadline=deadline or gettext("its deadline"),
        )
        body = render_template(
            f"mail/{template}.txt", _=gettext, gettext=gettext, ngettext=ngettext,
            user=user, round=round, study=study, deadline=deadline, **context,
        )
    # A header never spans lines, whatever a study title holds.
    subject = " ".join(subject.split())[:300]
    return subject, body


def queue(user: User, template: str, *, round: Round | None = None, dedupe_key: str | None = None,
          send_after: datetime | None = None, now: datetime | None = None,
          details: dict | None = None, **context) -> OutboxMessage | None:
    """Queue ``template`` for ``user``; returns the message, or None for a duplicate.

    ``dedupe_key`` makes queueing idempotent: a second message with the same
    key is not queued (checked first, and by the unique constraint inside a
    savepoint, so two concurrent callers still queue one). ``send_after``
    holds the message back (quiet hours). Flushes; never commits.
    """
    now = now or utcnow()
    if dedupe_key and db.session.scalar(
        select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)
    ):
        return None
    subject, body = render(template, user=user, round=round, **context)
    message = OutboxMessage(
        recipient=user.email, user_id=user.id, round_id=round.id if round is not None else None,
        template=template, language=language_of(user), subject=subject, body=body,
        attempts=0, next_attempt_at=max(now, send_after or now), created_at=now,
        details=details or {}, dedupe_key=dedupe_key,
    )
    try:
        with db.session.begin_nested():
            db.session.add(message)
    except IntegrityError:
        if not dedupe_key:
            raise
        return None
    return message
