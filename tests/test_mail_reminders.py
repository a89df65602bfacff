"""Reminders: only non-responders, a cap, opting out, quiet hours, the schedule."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.factories import (
    answer_round,
    build_study,
    get_round,
    open_round_of,
    panellist_of,
    user_by_email,
)
from tests.test_mail import in_days, outbox, send, smtp  # noqa: F401  (fixture)

NOON = datetime.now(timezone.utc).replace(hour=12, minute=0, second=0, microsecond=0)


@pytest.fixture
def world(app):
    world = build_study(app, n_panellists=4, n_items=2, title="Soil carbon")
    # Panellist 0 submits; panellist 1 opts out; 2 and 3 have not answered.
    open_round_of(app, world, 1, closes_at=NOON + timedelta(days=10), now=NOON - timedelta(days=1))
    answer_round(app, world, 1, who=[world.panellists[0]])
    with app.app_context():
        from delphi.core.database import db
        from delphi.mail.reminders import set_opt_out

        set_opt_out(panellist_of(world, world.panellists[1]), True)
        db.session.commit()
    return world


def remind(app, world, now):
    from delphi.core.database import db
    from delphi.mail.reminders import remind as service

    with app.app_context():
        report = service(get_round(world, 1), actor=user_by_email(world.moderator), now=now)
        db.session.commit()
        return len(report.queued), dict(report.skipped), report.send_after


def test_reminders_go_only_to_non_responders_and_respect_the_cap(app, smtp, world):
    app.config["MAIL_QUIET_HOURS"] = None
    send(app)   # the invitations and the thank-you
    smtp.inbox.messages.clear()
    queued, skipped, _ = remind(app, world, NOON)
    assert queued == 2 and skipped == {"submitted": 1, "opted_out": 1}
    assert send(app, now=NOON + timedelta(minutes=1)).sent == 2
    assert sorted(smtp.inbox.per_recipient()) == sorted(world.panellists[2:])
    reminder = smtp.inbox.to(world.panellists[2])[0]
    assert reminder["Subject"].startswith("Reminder: round 1 of \u201cSoil carbon\u201d closes on")
    assert f"/studies/{world.study_id}/reminders" in reminder.get_body(("plain",)).get_content()

    assert remind(app, world, NOON)[0] == 2
    assert remind(app, world, NOON)[0] == 2
    queued, skipped, _ = remind(app, world, NOON)   # a fourth time: the cap (3) holds
    assert queued == 0 and skipped["cap"] == 2
    send(app, now=NOON + timedelta(minutes=2))
    assert smtp.inbox.per_recipient() == {world.panellists[2]: 3, world.panellists[3]: 3}


def test_manual_reminders_wait_for_the_end_of_quiet_hours(app, smtp, world):
    app.config["MAIL_QUIET_HOURS"] = "22-7"
    late = NOON.replace(hour=23)
    queued, _, send_after = remind(app, world, late)
    assert queued == 2 and send_after == late.replace(hour=7) + timedelta(days=1)
    send(app, now=late + timedelta(minutes=30))
    assert not [r for r, m in smtp.inbox.messages if m["Subject"].startswith("Reminder")]
    send(app, now=send_after + timedelta(minutes=1))
    assert len([r for r, m in smtp.inbox.messages if m["Subject"].startswith("Reminder")]) == 2


def test_reminding_a_closed_round_is_a_clear_error(app, world):
    from delphi.core.errors import StateError
    from tests.factories import close

    close(app, world, 1)
    with pytest.raises(StateError):
        remind(app, world, NOON)


def scheduled(app, now):
    from delphi.core.database import db
    from delphi.mail.reminders import send_scheduled_reminders

    with app.app_context():
        count = send_scheduled_reminders(now)
        db.session.commit()
        return count


def test_scheduled_reminders_7_and_2_days_before_the_deadline(app, world):
    app.config["MAIL_QUIET_HOURS"] = (22, 7)
    deadline = NOON + timedelta(days=10)
    assert scheduled(app, deadline - timedelta(days=8)) == 0          # too early
    assert scheduled(app, deadline - timedelta(days=7) + timedelta(hours=1)) == 2
    assert scheduled(app, deadline - timedelta(days=7) + timedelta(hours=2)) == 0   # idempotent
    assert scheduled(app, deadline - timedelta(days=3)) == 0
    night = (deadline - timedelta(days=2)).replace(hour=23)
    assert scheduled(app, night) == 0                                 # quiet hours: wait
    assert scheduled(app, night + timedelta(hours=9)) == 2            # 08:00 the next morning
    assert scheduled(app, deadline - timedelta(hours=1)) == 0
    assert scheduled(app, deadline + timedelta(hours=1)) == 0         # past the deadline
    reminders = outbox(app, template="reminder")
    assert sorted(m.recipient for m in reminders) == sorted(world.panellists[2:] * 2)


def test_a_late_schedule_sends_one_reminder_not_two(app):
    world = build_study(app, n_panellists=2, n_items=1)
    open_round_of(app, world, 1, closes_at=NOON + timedelta(days=10), now=NOON - timedelta(days=1))
    app.config["MAIL_QUIET_HOURS"] = None
    # The cron job was down for a week: both days are past; only the 2-day reminder goes.
    assert scheduled(app, NOON + timedelta(days=9)) == 2
    assert scheduled(app, NOON + timedelta(days=9, hours=1)) == 0
    assert {m.dedupe_key.rsplit(":", 1)[1] for m in outbox(app, template="reminder")} == {"d2"}


def test_a_round_opened_after_a_reminder_day_skips_it(app):
    world = build_study(app, n_panellists=2, n_items=1)
    open_round_of(app, world, 1, closes_at=NOON + timedelta(days=5), now=NOON)
    app.config["MAIL_QUIET_HOURS"] = None
    assert scheduled(app, NOON + timedelta(hours=1)) == 0             # no 7-day reminder
    assert scheduled(app, NOON + timedelta(days=3, hours=1)) == 2


def test_quiet_hours_settings():
    from flask import Flask

    from delphi.mail.reminders import quiet_until

    app = Flask(__name__)
    with app.app_context():
        for value in ((22, 7), [22, 7], "22-7"):
            app.config["MAIL_QUIET_HOURS"] = value
            assert quiet_until(NOON.replace(hour=3)) == NOON.replace(hour=7)
            assert quiet_until(NOON) is None
        app.config["MAIL_QUIET_HOURS"] = (1, 5)
        assert quiet_until(NOON.replace(hour=2)) == NOON.replace(hour=5)
        assert quiet_until(NOON.replace(hour=23)) is None
        app.config["MAIL_QUIET_HOURS"] = ""
        assert quiet_until(NOON.replace(hour=23)) is None
        app.config["MAIL_QUIET_HOURS"] = "late"
        with pytest.raises(ValueError, match="MAIL_QUIET_HOURS"):
            quiet_until(NOON)
