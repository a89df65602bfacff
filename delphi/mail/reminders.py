"""Reminders to panellists who have not submitted, and opting out of them.

Rules, for manual reminders (the moderator's dashboard) and scheduled ones
(``Round.reminder_days`` before the deadline, 7 and 2 by default):

- only active panellists of the round's study who have *not submitted* and
  have not opted out (``Panellist.reminders_opt_out``);
- at most ``MAIL_REMINDER_CAP`` (3) reminders per panellist and round, manual
  and scheduled together;
- quiet hours (``MAIL_QUIET_HOURS``, default 22:00–07:00 UTC): a scheduled
  reminder waits for the first run after them; a manual one is queued at
  once but held back (``next_attempt_at``) until they end;
- each reminder carries a fresh magic link to the questionnaire.

Scheduled reminders are idempotent: one per panellist, round and reminder
day (the outbox ``dedupe_key``), and only the latest due day is sent, so a
late run never sends the 7-day and the 2-day reminder together. A day that
falls before the round opened is skipped.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select

from delphi.core import audit
from delphi.core.database import db
from delphi.core.errors import InvalidInput, StateError
from delphi.core.models import (
    OutboxMessage,
    Panellist,
    PanellistStatus,
    Response,
    ResponseStatus,
    Round,
    RoundStatus,
    User,
    utcnow,
)
from delphi.mail import base_url, links, setting
from delphi.mail.outbox import Recipient, existing_keys, queue_many


def quiet_hours() -> tuple[int, int] | None:
    """``(start, end)`` hours in UTC, or None. Accepts (22, 7), [22, 7] or "22-7"."""
    value = setting("MAIL_QUIET_HOURS")
    if not value:
        return None
    if isinstance(value, str):
        start, _sep, end = value.partition("-")
        value = (start, end)
    try:
        start, end = (int(v) % 24 for v in value)
    except (TypeError, ValueError) as error:
        raise ValueError(f"MAIL_QUIET_HOURS must be two hours like (22, 7) or '22-7', not {value!r}") from error
    return None if start == end else (start, end)


def quiet_until(now: datetime) -> datetime | None:
    """When the quiet hours that ``now`` falls in end (None: not in quiet hours)."""
    hours = quiet_hours()
    if hours is None:
        return None
    start, end = hours
    hour = now.hour
    quiet = (start <= hour < end) if start < end else (hour >= start or hour < end)
    if not quiet:
        return None
    until = now.replace(hour=end, minute=0, second=0, microsecond=0)
    if until <= now:
        until += timedelta(days=1)
    return until


def submitted_panellist_ids(round: Round) -> set[int]:
    return set(db.session.scalars(select(Response.panellist_id).where(
        Response.round_id == round.id, Response.status == ResponseStatus.submitted)))


def reminders_sent(round: Round, user_ids) -> dict[int, int]:
    """Reminders queued so far per user for ``round`` (failed ones count too)."""
    rows = db.session.execute(
        select(OutboxMessage.user_id, func.count()).where(
            OutboxMessage.round_id == round.id, OutboxMessage.template == "reminder",
            OutboxMessage.user_id.in_(list(user_ids)))
        .group_by(OutboxMessage.user_id))
    return {user_id: count for user_id, count in rows}


@dataclass
class RemindReport:
    queued: list[Panellist] = field(default_factory=list)
    #: reason → count: submitted, opted_out, cap, withdrawn, not_on_panel
    skipped: dict[str, int] = field(default_factory=dict)
    send_after: datetime | None = None

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


def _eligible(round: Round, panellists, report: RemindReport) -> list[Panellist]:
    if panellists is None:
        panellists = db.session.scalars(select(Panellist).where(
            Panellist.study_id == round.study_id, Panellist.status == PanellistStatus.active)
            .order_by(Panellist.id)).all()
    submitted = submitted_panellist_ids(round)
    sent = reminders_sent(round, [p.user_id for p in panellists])
    cap = int(setting("MAIL_REMINDER_CAP"))
    chosen = []
    for panellist in panellists:
        if panellist.study_id != round.study_id:
            report.skip("not_on_panel")
        elif panellist.status != PanellistStatus.active:
            report.skip("withdrawn")
        elif panellist.id in submitted:
            report.skip("submitted")
        elif panellist.reminders_opt_out:
            report.skip("opted_out")
        elif sent.get(panellist.user_id, 0) >= cap:
            report.skip("cap")
        else:
            chosen.append(panellist)
    return chosen


def _queue_reminders(round: Round, panellists: list[Panellist], *, now, send_after=None,
                     dedupe_keys: dict[int, str] | None = None) -> list[Panellist]:
    """Queue a reminder, each with a fresh magic link, to ``panellists``; returns those queued.

    In bulk: one insert for the links, one for the messages. With
    ``dedupe_keys`` ({panellist id: key}), a panellist whose key is already in
    the outbox gets neither a link nor a message.
    """
    if dedupe_keys:
        existing = existing_keys(dedupe_keys.values())
        panellists = [p for p in panellists if dedupe_keys[p.id] not in existing]
    tokens = links.issue_many(panellists, round, now=now)
    recipients = [Recipient(p.user_id, dedupe_keys[p.id] if dedupe_keys else None,
                            {"link": links.url_for_token(tokens[p.id])}, {"panellist": p.pseudonym})
                  for p in panellists]
    queued = {id(r) for r in queue_many("reminder", recipients, round=round, now=now,
                                        send_after=send_after,
                                        opt_out_url=opt_out_page_url(round.study_id))}
    return [p for p, r in zip(panellists, recipients) if id(r) in queued]


def opt_out_page_url(study_id: int) -> str:
    return f"{base_url()}/studies/{study_id}/reminders"


def remind(round: Round, panellists: list[Panellist] | None = None, *, actor: User | None,
           now: datetime | None = None) -> RemindReport:
    """Queue a reminder now to the non-responders among ``panellists`` (default: the panel).

    The round must be open (``StateError``). Audited. Flushes, never commits.
    """
    now = now or utcnow()
    if round.status != RoundStatus.open:
        raise StateError(_("Reminders can only be sent while the round is open."))
    report = RemindReport(send_after=quiet_until(now))
    report.queued = _queue_reminders(round, _eligible(round, panellists, report), now=now,
                                     send_after=report.send_after)
    audit.record(actor, "mail.remind", round, now=now, details={
        "queued": len(report.queued), "skipped": dict(report.skipped),
        "send_after": report.send_after.isoformat() if report.send_after else None})
    db.session.flush()
    return report


def reminder_days(round: Round) -> list[int]:
    days = round.reminder_days if round.reminder_days else setting("MAIL_REMINDER_DAYS")
    return sorted({int(d) for d in (days or ()) if int(d) > 0})


def due_reminder_day(round: Round, now: datetime) -> int | None:
    """The reminder day (days before the deadline) due at ``now``, or None."""
    if round.status != RoundStatus.open or round.closes_at is None or now >= round.closes_at:
        return None
    due = [d for d in reminder_days(round)
           if round.closes_at - timedelta(days=d) <= now
           and (round.opened_at is None or round.closes_at - timedelta(days=d) >= round.opened_at)]
    return min(due) if due else None


def send_scheduled_reminders(now: datetime | None = None) -> int:
    """Queue the scheduled reminders due at ``now``; idempotent. Returns how many were queued.

    Nothing is queued during quiet hours: the next run after them does it.
    Flushes, never commits.
    """
    now = now or utcnow()
    if quiet_until(now) is not None:
        return 0
    count = 0
    rounds = db.session.scalars(select(Round).where(
        Round.status == RoundStatus.open, Round.closes_at.is_not(None), Round.closes_at > now)
        .order_by(Round.id)).all()
    for round in rounds:
        day = due_reminder_day(round, now)
        if day is None:
            continue
        report = RemindReport()
        eligible = _eligible(round, None, report)
        keys = {p.id: f"reminder:{round.id}:{p.id}:d{day}" for p in eligible}
        count += len(_queue_reminders(round, eligible, now=now, dedupe_keys=keys))
    db.session.flush()
    return count


def set_opt_out(panellist: Panellist, opt_out: bool) -> None:
    """A panellist stops (True) or resumes (False) reminders for their study."""
    if not isinstance(opt_out, bool):
        raise InvalidInput(_("Choose whether to receive reminders."), fields={"opt_out": "boolean"})
    panellist.reminders_opt_out = opt_out
    db.session.flush()


@dataclass(frozen=True)
class ReminderStatus:
    panellist: Panellist
    submitted: bool
    opted_out: bool
    reminders: int
    last_reminder_at: datetime | None


def reminder_overview(round: Round) -> list[ReminderStatus]:
    """Per panellist of the round's study: submitted?, opted out?, reminders so far.

    For the moderator's dashboard (which shows pseudonyms, not names).
    """
    panellists = db.session.scalars(select(Panellist).where(
        Panellist.study_id == round.study_id, Panellist.status == PanellistStatus.active)
        .order_by(Panellist.pseudonym)).all()
    submitted = submitted_panellist_ids(round)
    rows = db.session.execute(
        select(OutboxMessage.user_id, func.count(), func.max(OutboxMessage.created_at)).where(
            OutboxMessage.round_id == round.id, OutboxMessage.template == "reminder")
        .group_by(OutboxMessage.user_id))
    sent = {user_id: (count, last) for user_id, count, last in rows}
    return [ReminderStatus(p, p.id in submitted, bool(p.reminders_opt_out),
                           sent.get(p.user_id, (0, None))[0], sent.get(p.user_id, (0, None))[1])
            for p in panellists]
