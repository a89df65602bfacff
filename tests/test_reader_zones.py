"""Times in the reader's time zone, the zone named: in the mail a panellist
receives, in the deadline a moderator types, and in the moderators' tables."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.factories import (
    answer_round,
    build_study,
    get_round,
    open_round_of,
    user_by_email,
)
from tests.mail_support import Inbox
from tests.test_mail import send, smtp  # noqa: F401  (fixture)

#: 15:00 UTC is noon in São Paulo (UTC−3 all year) and midnight, the next day, in Tokyo.
DEADLINE = datetime(2099, 3, 4, 15, 0, tzinfo=UTC)
#: A date or a time as strftime wrote them: what no table may show any more.
RAW_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}|\d{2}:\d{2} UTC")


def set_profile(app, email, *, zone=None, language=None):
    from delphi.core.database import db

    with app.app_context():
        user = user_by_email(email)
        if zone is not None:
            user.time_zone = zone
        if language is not None:
            user.language = language
        db.session.commit()


def table(html: str, heading: str) -> str:
    """The HTML of the first table after ``heading`` (an <h2> or a <caption>)."""
    start = html.index(heading)
    return html[start:html.index("</table>", start)]


@pytest.fixture
def world(app):
    world = build_study(app, n_panellists=3, n_items=2, title="Carbon markets")
    set_profile(app, world.panellists[0], zone="America/Sao_Paulo")
    set_profile(app, world.panellists[1], zone="Asia/Tokyo", language="fr")
    set_profile(app, world.panellists[2], zone="America/Sao_Paulo", language="es")
    return world


def test_invitations_give_the_deadline_in_each_recipients_zone(app, smtp, world):  # noqa: F811
    open_round_of(app, world, 1, closes_at=DEADLINE)
    assert send(app).sent == 3
    english, french, spanish = (Inbox.body(smtp.inbox.to(e)[0]) for e in world.panellists)
    assert "Please give your answers before March 4, 2099, 12:00 (America/Sao_Paulo)." in english
    assert "5 mars 2099, 00:00 (Asia/Tokyo)" in french
    assert "Responda antes del 4 de marzo de 2099, 12:00 (America/Sao_Paulo)." in spanish
    assert all("UTC" not in body for body in (english, french, spanish))


def test_a_reminder_names_the_deadline_in_the_recipients_zone(app, smtp, world):  # noqa: F811
    from delphi.core.database import db
    from delphi.mail.reminders import remind

    app.config["MAIL_QUIET_HOURS"] = None
    now = DEADLINE - timedelta(days=5)
    open_round_of(app, world, 1, closes_at=DEADLINE, now=now - timedelta(days=1))
    send(app, now=now)
    smtp.inbox.messages.clear()
    with app.app_context():
        report = remind(get_round(world, 1), actor=user_by_email(world.moderator), now=now)
        db.session.commit()
    assert len(report.queued) == 3
    assert send(app, now=now + timedelta(minutes=1)).sent == 3
    english = smtp.inbox.to(world.panellists[0])[0]
    assert english["Subject"] == ("Reminder: round 1 of \u201cCarbon markets\u201d closes on "
                                  "March 4, 2099, 12:00 (America/Sao_Paulo)")
    assert "The round closes on March 4, 2099, 12:00 (America/Sao_Paulo)." in Inbox.body(english)
    french = smtp.inbox.to(world.panellists[1])[0]
    assert "5 mars 2099, 00:00 (Asia/Tokyo)" in french["Subject"]
    assert "UTC" not in french["Subject"] + Inbox.body(french)


def test_a_recipient_without_a_zone_reads_utc_named(app, smtp, world):  # noqa: F811
    set_profile(app, world.panellists[0], zone="")
    open_round_of(app, world, 1, closes_at=DEADLINE)
    send(app)
    body = Inbox.body(smtp.inbox.to(world.panellists[0])[0])
    assert "Please give your answers before March 4, 2099, 15:00 (UTC)." in body


def test_the_moderator_types_the_deadline_in_their_own_zone(app, client, auth, world):
    from delphi.core.database import db

    set_profile(app, world.moderator, zone="America/Sao_Paulo")
    auth.login(world.moderator)
    page = client.get(f"/studies/{world.study_id}/rounds/1").get_data(as_text=True)
    assert "Closes at (America/Sao_Paulo)" in page and "(UTC)" not in page
    response = client.post(f"/studies/{world.study_id}/rounds/1/open",
                           data={"closes_at": "2099-05-01T12:00", "confirm": "yes"})
    assert response.status_code == 303
    with app.app_context():
        assert get_round(world, 1).closes_at == datetime(2099, 5, 1, 15, 0, tzinfo=UTC)
    page = client.get(f"/studies/{world.study_id}/rounds/1").get_data(as_text=True)
    assert "Closes at May 1, 2099, 12:00 (America/Sao_Paulo)" in page
    # Another moderator in Paris, in summer time (UTC+2), reads the same moment there.
    set_profile(app, world.moderator, zone="Europe/Paris", language="fr")
    page = client.get(f"/studies/{world.study_id}/rounds/1").get_data(as_text=True)
    assert "1 mai 2099, 17:00 (Europe/Paris)" in page
    with app.app_context():
        db.session.remove()


def test_the_deadline_field_speaks_the_moderators_language_and_zone(app, client, auth, world):
    set_profile(app, world.moderator, zone="Europe/Paris", language="es")
    auth.login(world.moderator)
    page = client.get(f"/studies/{world.study_id}/rounds/1").get_data(as_text=True)
    assert "Fecha y hora de cierre (Europe/Paris)" in page
    # Paris in winter is UTC+1: 09:30 there is 08:30 UTC.
    client.post(f"/studies/{world.study_id}/rounds/1/open",
                data={"closes_at": "2099-01-15T09:30", "confirm": "yes"})
    with app.app_context():
        assert get_round(world, 1).closes_at == datetime(2099, 1, 15, 8, 30, tzinfo=UTC)


def test_a_bad_deadline_opens_nothing_whatever_the_zone(app, client, auth, world):
    set_profile(app, world.moderator, zone="Asia/Tokyo")
    auth.login(world.moderator)
    response = client.post(f"/studies/{world.study_id}/rounds/1/open",
                           data={"closes_at": "next Tuesday", "confirm": "yes"})
    assert response.status_code == 303
    with app.app_context():
        round_ = get_round(world, 1)
        assert round_.status.value == "draft" and round_.closes_at is None


def test_moderator_tables_show_times_in_the_readers_zone_and_fields_by_label(app, client, auth, world):
    import rounds
    from delphi.core.database import db
    from delphi.mail.reminders import remind

    app.config["MAIL_QUIET_HOURS"] = None
    set_profile(app, world.moderator, zone="America/Sao_Paulo")
    set_profile(app, world.admin, zone="Asia/Tokyo")
    open_round_of(app, world, 1, closes_at=DEADLINE)
    answer_round(app, world, 1, who=[world.panellists[0]],
                 now=datetime(2099, 3, 1, 2, 30, tzinfo=UTC))
    with app.app_context():
        from delphi.core.models import Study

        study = db.session.get(Study, world.study_id)
        moderator = user_by_email(world.moderator)
        rounds.update_protocol(study, {"max_rounds": 5}, actor=moderator, reason="Slow convergence",
                               now=datetime(2099, 3, 1, 1, 0, tzinfo=UTC))
        remind(get_round(world, 1), actor=moderator, now=datetime(2099, 3, 2, 1, 15, tzinfo=UTC))
        db.session.commit()

    auth.login(world.moderator)
    page = client.get(f"/studies/{world.study_id}/rounds/1").get_data(as_text=True)
    answered = table(page, "Who has answered")
    # 02:30 UTC on 1 March is 23:30 on 28 February in São Paulo.
    assert "February 28, 2099, 23:30 (America/Sao_Paulo)" in answered
    assert not RAW_MOMENT.search(answered), answered

    page = client.get(f"/studies/{world.study_id}").get_data(as_text=True)
    amendments = table(page, "Amendments")
    assert "<td>February 28, 2099</td>" in amendments           # 01:00 UTC, the day before there
    assert "<td>At most this many rounds</td>" in amendments and "max_rounds" not in amendments
    assert not RAW_MOMENT.search(amendments), amendments

    page = client.get(f"/studies/{world.study_id}/rounds/1/reminders").get_data(as_text=True)
    reminders = table(page, "Last reminder")
    assert "March 1, 2099, 22:15 (America/Sao_Paulo)" in reminders
    assert not RAW_MOMENT.search(reminders), reminders
    auth.logout()

    auth.login(world.admin)
    page = client.get("/admin/task-forces/A5").get_data(as_text=True)
    members = table(page, "<h2>Members</h2>")
    with app.app_context():
        from delphi.core.models import Membership

        joined = db.session.scalars(select(Membership.joined_at)).first()
    from zoneinfo import ZoneInfo

    day = joined.astimezone(ZoneInfo("Asia/Tokyo"))
    assert f"<td>{day:%B} {day.day}, {day.year}</td>" in members
    assert not RAW_MOMENT.search(members), members


def test_quiet_hours_are_announced_in_the_moderators_zone(app, client, auth, world):
    set_profile(app, world.moderator, zone="Asia/Tokyo")
    open_round_of(app, world, 1, closes_at=DEADLINE)
    # Quiet hours from this hour to the hour before it, next day: 23 hours of
    # quiet that start now, so the page and the post below both fall in them.
    hour = datetime.now(UTC).hour
    app.config["MAIL_QUIET_HOURS"] = (hour, (hour - 1) % 24)
    auth.login(world.moderator)
    page = client.get(f"/studies/{world.study_id}/rounds/1/reminders").get_data(as_text=True)
    notice = re.search(r"It is quiet hours: reminders will be sent after ([^<]*)\.</p>", page)
    assert notice and notice.group(1).endswith("(Asia/Tokyo)"), page
    response = client.post(f"/studies/{world.study_id}/rounds/1/reminders", data={"confirm": "yes"},
                           follow_redirects=True)
    flashed = re.search(r"It is quiet hours: they will be sent after ([^<]*)\.", response.get_data(
        as_text=True))
    assert flashed and flashed.group(1).endswith("(Asia/Tokyo)")


def test_the_receipt_and_the_lock_notice_tell_the_time_in_the_recipients_zone(app, client, auth,
                                                                                world):
    from delphi.core.database import db
    from delphi.core.models import OutboxMessage
    from delphi.mail.signals import on_account_locked

    me = world.panellists[1]   # French, in Tokyo
    answer_round(app, world, 1, who=[me], now=datetime(2099, 3, 1, 16, 5, tzinfo=UTC))
    auth.login(me)
    url = f"/panel/studies/{world.study_id}/rounds/1/receipt"
    assert client.post(url, data={"send": "yes"}).status_code == 303
    with app.app_context():
        on_account_locked(user_by_email(world.panellists[0]),
                          until=datetime(2099, 3, 1, 2, 0, tzinfo=UTC))
        db.session.commit()
        receipt, = db.session.scalars(select(OutboxMessage.body).where(
            OutboxMessage.template == "receipt"))
        lock, = db.session.scalars(select(OutboxMessage.body).where(
            OutboxMessage.template == "locked"))
    assert "(2 mars 2099, 01:05 (Asia/Tokyo))" in receipt        # 16:05 UTC, next day in Tokyo
    assert "until February 28, 2099, 23:00 (America/Sao_Paulo)." in lock


def test_a_message_names_the_study_by_its_title_in_the_recipients_language(app, smtp, world):  # noqa: F811
    import rounds
    from delphi.core.database import db
    from delphi.core.models import Study

    with app.app_context():
        rounds.set_study_translations(db.session.get(Study, world.study_id), "fr",
                                      {"title": "Marchés du carbone"},
                                      actor=user_by_email(world.moderator))
        db.session.commit()
    open_round_of(app, world, 1, closes_at=DEADLINE)
    send(app)
    english, french, spanish = (smtp.inbox.to(e)[0] for e in world.panellists)
    assert french["Subject"] == "Le tour 1 de \u00ab Marchés du carbone \u00bb est ouvert"
    assert "Marchés du carbone" in Inbox.body(french) and "Carbon markets" not in Inbox.body(french)
    assert "Carbon markets" in english["Subject"] and "Carbon markets" in spanish["Subject"]


def test_amended_values_are_shown_in_words_not_codes(app, client, auth, world):
    import rounds
    from delphi.core.database import db
    from delphi.core.models import Study

    open_round_of(app, world, 1, closes_at=DEADLINE)
    with app.app_context():
        study = db.session.get(Study, world.study_id)
        consensus = rounds.Protocol.from_study(study).consensus_spec()
        rounds.update_protocol(study, {
            "show_comments": False, "carry_forward": "all", "stop_w_threshold": 0.75,
            "consensus": {**consensus, "iqr_max": 1.5}}, actor=user_by_email(world.moderator),
            reason="Tighter rules")
        db.session.commit()
    set_profile(app, world.moderator, language="fr")
    auth.login(world.moderator)
    amendments = table(client.get(f"/studies/{world.study_id}").get_data(as_text=True),
                       "Amendements")
    rows = dict(re.findall(r"<tr><td>[^<]*</td><td>([^<]*)</td><td>([^<]*</td><td>[^<]*)</td>",
                           amendments))
    assert rows["Montrer les commentaires anonymisés"] == "oui</td><td>non"
    assert rows["Reporter au tour suivant"] == "Items sans consensus</td><td>Tous les items"
    assert rows["Arrêter lorsque le W de Kendall atteint"] == "aucune</td><td>0,75"
    before, after = rows["Consensus"].split("</td><td>")
    assert "EIQ d&#39;au plus 1 et" in before and "EIQ d&#39;au plus 1,5 et" in after
    for code in ("True", "False", "'all'", "no_consensus", "iqr_max", "{"):
        assert code not in amendments, code
