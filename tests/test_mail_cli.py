"""``flask send-mail`` and ``flask close-due-rounds`` through the CLI runner."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.factories import build_study, open_round_of
from tests.test_mail import in_days, smtp  # noqa: F401  (fixture)


def round_statuses(app, *worlds):
    from delphi.core.database import db
    from delphi.core.models import Round

    with app.app_context():
        return {(w.study_id, r.number): r.status.value for w in worlds
                for r in db.session.scalars(select(Round).where(Round.study_id == w.study_id))}


def test_close_due_rounds_closes_exactly_the_due_rounds_and_is_idempotent(app, runner):
    due = build_study(app, n_panellists=3, n_items=2, title="Due study", carry_forward="all",
                      stop_when_settled=False)
    later = build_study(app, n_panellists=3, n_items=2, title="Later study")
    draft = build_study(app, n_panellists=3, n_items=2, title="Draft study")
    open_round_of(app, due, 1, closes_at=in_days(1))
    open_round_of(app, later, 1, closes_at=in_days(3))
    when = (in_days(2)).isoformat()

    first = runner.invoke(args=["close-due-rounds", "--now", when])
    assert first.exit_code == 0, first.output
    assert first.output.strip() == (
        f"Closed round 1 of study {due.study_id} \u201cDue study\u201d; round 2 drafted.")
    assert round_statuses(app, due, later, draft) == {
        (due.study_id, 1): "closed", (due.study_id, 2): "draft",
        (later.study_id, 1): "open", (draft.study_id, 1): "draft"}

    again = runner.invoke(args=["close-due-rounds", "--now", when])
    assert again.exit_code == 0 and again.output.strip() == "No round is due."
    assert round_statuses(app, due, later, draft)[(due.study_id, 2)] == "draft"

    # Without --now it uses the clock: nothing is due yet.
    assert runner.invoke(args=["close-due-rounds"]).output.strip() == "No round is due."


def test_close_due_rounds_queues_the_closing_notices(app, runner):
    from delphi.core.database import db
    from delphi.core.models import OutboxMessage

    world = build_study(app, n_panellists=2, n_items=1)
    open_round_of(app, world, 1, closes_at=in_days(1))
    runner.invoke(args=["close-due-rounds", "--now", in_days(2).isoformat()])
    runner.invoke(args=["close-due-rounds", "--now", in_days(2).isoformat()])
    with app.app_context():
        notices = db.session.scalars(select(OutboxMessage.recipient).where(
            OutboxMessage.template == "closed")).all()
    assert sorted(notices) == sorted(world.panellists)


def test_send_mail_delivers_and_reports(app, runner, smtp):
    world = build_study(app, n_panellists=3, n_items=1)
    open_round_of(app, world, 1, closes_at=in_days(30))
    result = runner.invoke(args=["send-mail"])
    assert result.exit_code == 0, result.output
    assert "Mail: sent 3, to retry 0, failed 0." in result.output
    assert smtp.inbox.per_recipient() == {email: 1 for email in world.panellists}
    assert "sent 0" in runner.invoke(args=["send-mail"]).output


def test_send_mail_exits_with_tempfail_while_the_server_is_down(app, runner, smtp):
    from tests.mail_support import free_port

    world = build_study(app, n_panellists=2, n_items=1)
    open_round_of(app, world, 1, closes_at=in_days(30))
    app.config["MAIL_PORT"] = free_port()
    result = runner.invoke(args=["send-mail"])
    assert result.exit_code == 75
    assert "SMTP server unavailable" in result.output and "stays queued" in result.output
    app.config["MAIL_PORT"] = smtp.port
    assert runner.invoke(args=["send-mail"]).exit_code == 0
    assert smtp.inbox.per_recipient() == {email: 1 for email in world.panellists}


def test_send_mail_queues_the_scheduled_reminders(app, runner):
    world = build_study(app, n_panellists=2, n_items=1)
    app.config["MAIL_QUIET_HOURS"] = None
    # The 2-day reminder is due now (the round opened 5 days ago).
    from datetime import datetime, timezone

    now = datetime.now(timezone.utc)
    open_round_of(app, world, 1, closes_at=now + timedelta(days=1), now=now - timedelta(days=5))
    result = runner.invoke(args=["send-mail"])
    assert "Queued 2 scheduled reminder(s)." in result.output
    assert "Queued" not in runner.invoke(args=["send-mail"]).output


def test_close_due_rounds_rejects_a_bad_time(app, runner):
    result = runner.invoke(args=["close-due-rounds", "--now", "tomorrow"])
    assert result.exit_code == 2 and "not an ISO time" in result.output
