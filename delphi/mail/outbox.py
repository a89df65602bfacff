"""Queueing messages: one :class:`OutboxMessage` row per message, rendered now.

A message is rendered when it is queued, in the recipient's language
(``user.language``, else English) and time zone (``user.time_zone``, else
UTC: every time it shows is there, the zone named), the study's title in
that language where the moderators translated it, so what the sender delivers is exactly
what was decided in the transaction that queued it. Queueing adds rows and
flushes; it never commits (the caller's transaction does).

:func:`queue_many` queues one template for many recipients in a handful of
statements, whatever their number: the users in one query, the existing
dedupe keys in one query (per 500 keys), the subject and the template
looked up once per language and zone, and the rows in one multi-row ``INSERT … ON
CONFLICT (dedupe_key) DO NOTHING`` (SQLite and PostgreSQL). Signal receivers
run inside the caller's transaction, which holds the database's write lock
on SQLite: queueing the messages of a 2,000-panellist round must take
milliseconds, not a savepoint and a flush per message. :func:`queue` is the
one-message case.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import insert, select
from sqlalchemy.dialects import postgresql, sqlite

from delphi.core.database import db
from delphi.core.models import MessageStatus, OutboxMessage, Round, User, utcnow
from delphi.i18n import local_time, reader_zone, study_title
from delphi.mail.i18n import N_, domain, gettext

#: Template name → subject (translated in the recipient's language).
SUBJECTS = {
    "invitation": N_("Round %(number)s of \u201c%(study)s\u201d is open"),
    "feedback": N_("Round %(number)s of \u201c%(study)s\u201d is open, with the group's answers"),
    "reminder": N_("Reminder: round %(number)s of \u201c%(study)s\u201d closes on %(deadline)s"),
    "thanks": N_("Thank you for your answers to round %(number)s of \u201c%(study)s\u201d"),
    "closed": N_("Round %(number)s of \u201c%(study)s\u201d has closed"),
    "receipt": N_("Your answers to round %(number)s of \u201c%(study)s\u201d"),
    "link": N_("Your new link to round %(number)s of \u201c%(study)s\u201d"),
    "locked": N_("Your account was locked after failed logins"),
    "registered": N_("Somebody registered with your e-mail address"),
}

#: Keys per ``IN (…)`` list: well under SQLite's limit on bound variables.
CHUNK = 500


def language_of(user: User) -> str:
    languages = current_app.config.get("LANGUAGES", ("en",))
    return user.language if user.language in languages else "en"


def zone_of(user) -> str:
    """The recipient's time zone: every time in their messages is shown there,
    the zone named (``delphi.i18n.reader_zone``; UTC when they have none)."""
    return reader_zone(user)


def format_moment(moment: datetime | None, zone: str) -> str:
    """A moment in the current (forced) locale and in ``zone``, the zone named:
    ``delphi.i18n.local_time``'s text ("5 December 2026, 14:00
    (America/Sao_Paulo)"); empty for None."""
    local = local_time(moment, zone=zone)
    return local.text if local else ""


def _check_template(template: str) -> None:
    if template not in SUBJECTS:
        raise ValueError(f"unknown mail template {template!r}; expected one of {sorted(SUBJECTS)}")


class _Renderer:
    """Renders ``template`` in the current (forced) locale and the recipient's
    time ``zone``; the per-language (and zone) work done once.

    Equivalent to ``render_template`` (the app's context processors, then the
    given context, which wins), without looking the template and the context
    processors up again for every recipient.
    """

    def __init__(self, template: str, round: Round | None, zone: str = "UTC"):
        self.study = round.study if round is not None else None
        self.round = round
        self.zone = zone
        self.deadline = format_moment(round.closes_at if round is not None else None, zone)
        subject = gettext(
            SUBJECTS[template],
            number=round.number if round is not None else "",
            study=study_title(self.study),
            deadline=self.deadline or gettext("its deadline"),
        )
        # A header never spans lines, whatever a study title holds.
        self.subject = " ".join(subject.split())[:300]
        self.template = current_app.jinja_env.get_template(f"mail/{template}.txt")
        self.base: dict = {}
        current_app.update_template_context(self.base)
        # The mail domain's gettext and ngettext, bound to this locale's catalogue
        # once (the same results, without finding the locale again for every string).
        translations = domain.get_translations()

        def bound_gettext(string, **variables):
            text = translations.ugettext(string)
            return text % variables if variables else text

        def bound_ngettext(singular, plural, num, **variables):
            variables.setdefault("num", num)
            return translations.ungettext(singular, plural, num) % variables

        self.base.update(_=bound_gettext, gettext=bound_gettext, ngettext=bound_ngettext,
                         round=round, study=self.study, deadline=self.deadline,
                         when=lambda moment: format_moment(moment, zone))

    def body(self, user: User, context: dict) -> str:
        return self.template.render({**self.base, "user": user, **context})


def render(template: str, *, user: User, round: Round | None = None, **context) -> tuple[str, str]:
    """``(subject, body)`` of ``template`` for ``user``, in the user's language
    and time zone."""
    _check_template(template)
    with force_locale(language_of(user)):
        renderer = _Renderer(template, round, zone_of(user))
        return renderer.subject, renderer.body(user, context)


@dataclass(frozen=True)
class Recipient:
    """One message of a :func:`queue_many` batch.

    ``context`` holds this recipient's own template variables (their magic
    link, whether they submitted); ``details`` is stored with the message.
    """

    user_id: int
    dedupe_key: str | None = None
    context: dict = field(default_factory=dict)
    details: dict | None = None


def existing_keys(keys: Iterable[str | None]) -> set[str]:
    """Those of ``keys`` that a message in the outbox already has (one query per 500 keys).

    Lets a caller skip work for messages that would be duplicates (issuing a
    magic link); :func:`queue_many` checks again itself.
    """
    wanted = sorted({key for key in keys if key})
    found: set[str] = set()
    for start in range(0, len(wanted), CHUNK):
        found.update(db.session.scalars(select(OutboxMessage.dedupe_key).where(
            OutboxMessage.dedupe_key.in_(wanted[start:start + CHUNK]))))
    return found


def _load_users(user_ids: Iterable[int]) -> dict[int, object]:
    """``{id: row}`` of the users, with what a message needs: id, email, name,
    language, time zone."""
    ids = sorted(set(user_ids))
    users = {}
    for start in range(0, len(ids), CHUNK):
        for user in db.session.execute(select(User.id, User.email, User.name, User.language,
                                                  User.time_zone)
                                       .where(User.id.in_(ids[start:start + CHUNK]))):
            users[user.id] = user
    return users


def _insert_ignoring_duplicates(rows: list[dict]) -> list[tuple[int, str | None]]:
    """Insert ``rows``; a row whose dedupe key exists (or is being inserted by a
    concurrent transaction that commits) is skipped. Returns ``(id, dedupe_key)``
    of the rows inserted."""
    table = OutboxMessage.__table__
    dialect = db.session.get_bind(mapper=OutboxMessage.__mapper__).dialect.name
    if dialect == "postgresql":
        statement = postgresql.insert(table).on_conflict_do_nothing(index_elements=["dedupe_key"])
    elif dialect == "sqlite":
        statement = sqlite.insert(table).on_conflict_do_nothing(index_elements=["dedupe_key"])
    else:  # no ON CONFLICT: the pre-check (and the unique constraint) must do
        statement = insert(table)
    result = db.session.execute(statement.returning(table.c.id, table.c.dedupe_key), rows)
    return [(id, key) for id, key in result]


def queue_many(template: str, recipients: Sequence[Recipient], *, round: Round | None = None,
               send_after: datetime | None = None, now: datetime | None = None,
               **context) -> list[Recipient]:
    """Queue ``template`` for each of ``recipients``; returns those queued, in order.

    ``context`` holds the template variables all recipients share; each
    recipient's own ``context`` is added to it. A recipient whose
    ``dedupe_key`` is already in the outbox (or earlier in ``recipients``) is
    not queued; two concurrent callers still queue one message per key (the
    insert skips a key that exists when it runs: ``ON CONFLICT DO NOTHING``
    on the unique ``dedupe_key``). A recipient whose user does not exist is
    skipped. ``send_after`` holds the messages back (quiet hours). Flushes;
    never commits.
    """
    return _queue_many(template, recipients, round=round, send_after=send_after, now=now,
                       context=context)[0]


def _queue_many(template, recipients, *, round, send_after, now, context):
    """:func:`queue_many`, which also returns the new messages' ids (in no particular order)."""
    _check_template(template)
    now = now or utcnow()
    db.session.flush()
    existing = existing_keys(r.dedupe_key for r in recipients)
    chosen: list[Recipient] = []
    seen: set[str] = set()
    for recipient in recipients:
        key = recipient.dedupe_key
        if key:
            if key in existing or key in seen:
                continue
            seen.add(key)
        chosen.append(recipient)
    if not chosen:
        return [], []
    users = _load_users(r.user_id for r in chosen)
    chosen = [r for r in chosen if r.user_id in users]
    languages = current_app.config.get("LANGUAGES", ("en",))
    by_language: dict[tuple[str, str], list[Recipient]] = {}
    for recipient in chosen:   # as language_of(user) and zone_of(user)
        user = users[recipient.user_id]
        language = user.language if user.language in languages else "en"
        by_language.setdefault((language, zone_of(user)), []).append(recipient)
    next_attempt_at = max(now, send_after or now)
    round_id = round.id if round is not None else None
    rows: list[dict] = []
    for (language, zone), group in by_language.items():
        with force_locale(language):
            renderer = _Renderer(template, round, zone)
            for recipient in group:
                user = users[recipient.user_id]
                rows.append({
                    "recipient": user.email, "user_id": user.id, "round_id": round_id,
                    "template": template, "language": language, "subject": renderer.subject,
                    "body": renderer.body(user, {**context, **recipient.context}),
                    "status": MessageStatus.queued, "attempts": 0, "last_error": None,
                    "next_attempt_at": next_attempt_at, "created_at": now, "sent_at": None,
                    "details": dict(recipient.details or {}), "claimed_at": None,
                    "dedupe_key": recipient.dedupe_key,
                })
    if not rows:
        return [], []
    inserted = _insert_ignoring_duplicates(rows)
    keys = {key for _id, key in inserted if key is not None}
    return [r for r in chosen if not r.dedupe_key or r.dedupe_key in keys], [id for id, _key in inserted]


def queue(user: User, template: str, *, round: Round | None = None, dedupe_key: str | None = None,
          send_after: datetime | None = None, now: datetime | None = None,
          details: dict | None = None, **context) -> OutboxMessage | None:
    """Queue ``template`` for ``user``; returns the message, or None for a duplicate.

    ``dedupe_key`` makes queueing idempotent (see :func:`queue_many`).
    Flushes; never commits.
    """
    _queued, ids = _queue_many(template, [Recipient(user.id, dedupe_key, context, details)],
                               round=round, send_after=send_after, now=now, context={})
    return db.session.get(OutboxMessage, ids[0]) if ids else None
