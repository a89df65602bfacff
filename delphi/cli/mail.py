"""``flask --app delphi send-mail`` and ``flask --app delphi close-due-rounds``.

Both are safe to run from cron (or a systemd timer) every minute, even
overlapping: see ``docs/mail.md``.
"""
from __future__ import annotations

from datetime import UTC, datetime

import click
from flask.cli import with_appcontext
from sqlalchemy import select

import rounds
from delphi.config import current_policy
from delphi.core.database import db
from delphi.core.errors import DomainError
from delphi.core.models import Round, RoundStatus
from delphi.exports import prerender
from delphi.mail.reminders import send_scheduled_reminders
from delphi.mail.sender import send_queued


def _parse_now(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"not an ISO time: {value!r} (e.g. 2026-03-01T12:00)", param_hint="--now")
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@click.command("send-mail")
@click.option("--limit", default=200, show_default=True, help="Messages to send in this run, at most.")
@click.option("--no-reminders", is_flag=True, help="Do not queue the scheduled reminders first.")
@with_appcontext
def send_mail(limit: int, no_reminders: bool):
    """Queue the scheduled reminders that are due, then deliver the outbox once."""
    if not no_reminders:
        try:
            queued = send_scheduled_reminders()
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        if queued:
            click.echo(f"Queued {queued} scheduled reminder(s).")
    report = send_queued(limit=limit)
    click.echo(f"Mail: {report}.")
    if report.server_unavailable:
        raise SystemExit(75)   # EX_TEMPFAIL: cron shows it; the next run tries again


@click.command("close-due-rounds")
@click.option("--now", "now_text", default=None, metavar="ISO-TIME",
              help="Pretend it is this time (UTC unless an offset is given); for testing.")
@with_appcontext
def close_due_rounds(now_text: str | None):
    """Close the open rounds whose deadline has passed, and draft the next ones (idempotent)."""
    now = _parse_now(now_text)
    try:
        closed = rounds.close_due_rounds(now=now, policy=current_policy())
        report = []
        for round in closed:
            following = db.session.scalar(select(Round).where(
                Round.study_id == round.study_id, Round.number == round.number + 1))
            report.append((round.study.title, round.study_id, round.number,
                           following.number if following is not None
                           and following.status == RoundStatus.draft else None))
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message)
    prerender.run_pending()  # CHART_PRERENDER = "inline": the closed rounds' charts
    if not report:
        click.echo("No round is due.")
    for title, study_id, number, next_number in report:
        tail = (f"; round {next_number} drafted" if next_number is not None
                else "; no next round (the stopping rule says stop)")
        click.echo(f"Closed round {number} of study {study_id} \u201c{title}\u201d{tail}.")
