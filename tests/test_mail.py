"""Invitations, magic links and the outbox over a real SMTP server on loopback."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from tests.factories import (
    build_study,
    get_round,
    open_round_of,
    panellist_of,
    user_by_email,
)
from tests.mail_support import Inbox, SmtpServer, free_port


@pytest.fixture
def smtp(app):
    server = SmtpServer()
    server.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port)
    yield server
    server.stop()


def send(app, now=None):
    from delphi.mail.sender import send_queued

    with app.app_context():
        return send_queued(now=now)


def outbox(app, **where):
    from delphi.core.database import db
    from delphi.core.models import OutboxMessage

    with app.app_context():
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        for name, value in where.items():
            query = query.where(getattr(OutboxMessage, name) == value)
        rows = db.session.scalars(query).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def set_language(app, email, language):
    from delphi.core.database import db

    with app.app_context():
        user_by_email(email).language = language
        db.session.commit()


def in_days(days):
    return datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=days)


@pytest.fixture
def world(app):
    world = build_study(app, n_panellists=2, n_items=3, title="Carbon markets")
    set_language(app, world.panellists[1], "fr")
    return world


def test_invitation_reaches_each_panellist_in_their_language(app, client, smtp, world):
    open_round_of(app, world, 1, closes_at=in_days(10))
    report = send(app)
    assert report.sent == 2 and report.failed == 0
    english, french = (smtp.inbox.to(email) for email in world.panellists)
    assert len(english) == 1 and len(french) == 1
    assert english[0]["Subject"] == "Round 1 of \u201cCarbon markets\u201d is open"
    assert "Round 1 of the study \"Carbon markets\" is open" in Inbox.body(english[0])
    assert french[0]["Subject"] == "Le tour 1 de \u00ab Carbon markets \u00bb est ouvert"
    assert "Bonjour" in Inbox.body(french[0]) and "Merci de r\u00e9pondre avant" in Inbox.body(french[0])
    assert french[0]["Content-Language"] == "fr"
    assert Inbox.link(english[0]) != Inbox.link(french[0])
    assert all(m.status.value == "sent" for m in outbox(app))


SPANISH_DEADLINE = re.compile(
    r"Responda antes del \d{1,2} de (enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre"
    r"|octubre|noviembre|diciembre) de \d{4}, \d{2}:\d{2} \(UTC\)\.")


def test_a_spanish_panellist_gets_a_spanish_invitation(app, client, smtp, world):
    set_language(app, world.panellists[0], "es")
    open_round_of(app, world, 1, closes_at=in_days(10))
    report = send(app)
    assert report.sent == 2 and report.failed == 0
    spanish, french = (smtp.inbox.to(email) for email in world.panellists)
    assert len(spanish) == 1 and len(french) == 1
    message = spanish[0]
    assert message["Subject"] == "La ronda 1 de \u00abCarbon markets\u00bb est\u00e1 abierta"
    assert message["Content-Language"] == "es"
    body = Inbox.body(message)
    assert body.startswith("Hola, ")
    assert ("La ronda 1 del estudio \u00abCarbon markets\u00bb est\u00e1 abierta y usted forma parte "
            "de su panel.") in body
    assert SPANISH_DEADLINE.search(body), body
    assert "Este enlace personal abre su cuestionario una sola vez, sin contrase\u00f1a:" in body
    assert "Los estudios Delphi de los grupos de trabajo de la Iniciativa \u00ab4 por 1000\u00bb." in body
    assert "Dear" not in body and "Please" not in body
    assert french[0]["Subject"] == "Le tour 1 de \u00ab Carbon markets \u00bb est ouvert"
    # The link's landing page speaks the Spanish browser's language.
    landing = client.get(Inbox.link(message).replace("http://localhost", ""),
                         headers={"Accept-Language": "es"})
    assert landing.status_code == 200 and "Abrir mi cuestionario" in landing.get_data(as_text=True)


def test_the_spanish_mail_plural_has_two_forms(app):
    from flask_babel import force_locale

    from delphi.mail.i18n import ngettext

    singular = "%(num)s item comes back to you in this round, with the group's answers beside it."
    plural = "%(num)s items come back to you in this round, with the group's answers beside each one."
    with app.test_request_context(), force_locale("es"):
        one, two, million = (ngettext(singular, plural, n) for n in (1, 2, 1_000_000))
    assert one == "1 \u00edtem se le presenta de nuevo en esta ronda, junto con las respuestas del grupo."
    assert two.startswith("2 \u00edtems se le presentan de nuevo en esta ronda, cada uno")
    assert million.startswith("1000000 \u00edtems se le presentan")


def test_magic_link_opens_that_questionnaire_once(app, client, smtp, world):
    open_round_of(app, world, 1, closes_at=in_days(10))
    send(app)
    link = Inbox.link(smtp.inbox.to(world.panellists[0])[0]).replace("http://localhost", "")

    page = client.get(link)   # a mail scanner's GET does not use the link
    assert page.status_code == 200 and "Open my questionnaire" in page.get_data(as_text=True)
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert client.get(link).status_code == 200

    used = client.post(link)
    assert used.status_code == 303
    assert used.headers["Location"].endswith(f"/panel/studies/{world.study_id}/rounds/1")

    again = client.get(link)
    assert again.status_code == 410
    text = again.get_data(as_text=True)
    assert "already been used" in text and 'action="/q/new"' in text
    assert client.post(link).status_code == 410


def test_magic_link_reaches_the_questionnaire_without_a_password(app, client, smtp, world):
    open_round_of(app, world, 1, closes_at=in_days(10))
    send(app)
    link = Inbox.link(smtp.inbox.to(world.panellists[1])[0]).replace("http://localhost", "")
    used = client.post(link)
    questionnaire = client.get(used.headers["Location"])
    assert questionnaire.status_code == 200
    assert "Strategy 1: measure soil organic carbon" in questionnaire.get_data(as_text=True)
    # Only that questionnaire: the rest of the site still asks for a password.
    assert client.get("/me").status_code == 302


def test_grant_is_for_one_questionnaire_only(app, smtp, world):
    from delphi.core.database import db
    from delphi.mail import links

    other = build_study(app, n_panellists=2, n_items=2, title="Another study")
    open_round_of(app, world, 1, closes_at=in_days(10))
    open_round_of(app, other, 1, closes_at=in_days(10))
    send(app)
    link = Inbox.link(smtp.inbox.to(world.panellists[0])[0]).replace("http://localhost", "")

    # The session that used the link: granted for this round of this study, nothing else.
    client = app.test_client()
    assert client.post(link).status_code == 303
    with client.session_transaction() as session:
        grants = dict(session[links.SESSION_KEY])
    with app.test_request_context():
        from flask import session

        session[links.SESSION_KEY] = grants
        mine, theirs = get_round(world, 1), get_round(other, 1)
        granted = links.granted_panellist(mine.study, mine)
        assert granted is not None and granted.id == panellist_of(world, world.panellists[0]).id
        assert links.granted_panellist(theirs.study, theirs) is None
        assert links.granted_panellist(mine.study, theirs) is None   # a round of another study
        assert links.granted_panellist(theirs.study, mine) is None
        # It expires with the link (the round's deadline at the latest).
        assert links.granted_panellist(mine.study, mine, now=in_days(11)) is None
        db.session.rollback()

    # The other study's questionnaire stays closed to this session.
    response = client.get(f"/panel/studies/{other.study_id}/rounds/1")
    assert response.status_code in (302, 401, 403)
    assert "Strategy 1" not in response.get_data(as_text=True)


def test_expired_and_unknown_links_are_refused_with_a_clear_page(app, client, world):
    from delphi.core.database import db
    from delphi.mail import links

    open_round_of(app, world, 1, closes_at=in_days(30))
    with app.app_context():
        rnd = get_round(world, 1)
        panellist = panellist_of(world, world.panellists[0])
        old = links.issue(panellist, rnd, now=datetime.now(timezone.utc) - timedelta(days=15))
        fresh = links.issue(panellist, rnd)
        db.session.commit()
        assert links.check(fresh).panellist.id == panellist.id
        with pytest.raises(links.LinkRefused) as refused:
            links.redeem(fresh, now=in_days(15))   # 14 days' lifetime
        assert refused.value.reason == "expired"
        db.session.rollback()

    page = client.get(f"/q/{old}")
    assert page.status_code == 410
    assert "This link has expired" in page.get_data(as_text=True)
    assert client.post(f"/q/{old}").status_code == 410
    unknown = client.get("/q/not-a-real-token")
    assert unknown.status_code == 404 and "not valid" in unknown.get_data(as_text=True)


def test_a_link_stops_working_when_the_round_closes(app, client, world):
    from tests.factories import close

    open_round_of(app, world, 1, closes_at=in_days(10))
    from delphi.core.models import OutboxMessage

    with app.app_context():
        from delphi.core.database import db

        body = db.session.scalars(select(OutboxMessage.body)).first()
    token = body.split("http://localhost/q/")[1].split()[0]
    close(app, world, 1)
    page = client.get(f"/q/{token}")
    assert page.status_code == 410 and "no longer open" in page.get_data(as_text=True)


def test_request_a_new_link_gives_the_same_answer_to_anybody(app, client, smtp, world):
    open_round_of(app, world, 1, closes_at=in_days(10))
    send(app)
    before = len(outbox(app))
    unknown = client.post("/q/new", data={"email": "nobody@example.org"}, follow_redirects=True)
    known = client.post("/q/new", data={"email": world.panellists[1].upper()}, follow_redirects=True)
    message = "If this address belongs to a panellist"
    assert unknown.status_code == known.status_code == 200
    assert message in unknown.get_data(as_text=True) and message in known.get_data(as_text=True)
    queued = outbox(app)[before:]
    assert [(m.recipient, m.template) for m in queued] == [(world.panellists[1], "link")]
    send(app)
    fresh = smtp.inbox.to(world.panellists[1])[-1]
    assert fresh["Subject"].startswith("Votre nouveau lien")
    assert client.post(Inbox.link(fresh).replace("http://localhost", "")).status_code == 303
    # Not a mail cannon: a few per hour and round.
    for _ in range(5):
        client.post("/q/new", data={"email": world.panellists[1]})
    assert len(outbox(app, template="link")) == 3


def test_new_link_form_errors(app, client):
    response = client.post("/q/new", data={"email": "not an address"})
    assert response.status_code == 422
    assert 'aria-invalid="true"' in response.get_data(as_text=True)


def test_messages_queued_while_the_server_is_down_are_delivered_once_it_is_back(app, smtp):
    world = build_study(app, n_panellists=5, n_items=2)
    app.config["MAIL_PORT"] = free_port()   # nothing listens there
    open_round_of(app, world, 1, closes_at=in_days(10))
    for _ in range(3):   # cron keeps trying while the server is down
        report = send(app)
        assert report.sent == 0 and report.server_unavailable
    messages = outbox(app)
    assert len(messages) == 5
    assert {m.status.value for m in messages} == {"queued"} and {m.attempts for m in messages} == {0}
    assert all(m.last_error for m in messages[:1])

    app.config["MAIL_PORT"] = smtp.port     # back
    assert send(app).sent == 5
    assert send(app).sent == 0
    assert smtp.inbox.per_recipient() == {email: 1 for email in world.panellists}


def test_concurrent_senders_deliver_each_message_exactly_once(app, smtp):
    import threading

    world = build_study(app, n_panellists=24, n_items=1)
    open_round_of(app, world, 1, closes_at=in_days(10))
    barrier = threading.Barrier(3)
    reports, errors = [], []

    def sender():
        try:
            barrier.wait()
            reports.append(send(app))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=sender) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sum(r.sent for r in reports) == 24
    assert smtp.inbox.per_recipient() == {email: 1 for email in world.panellists}


def test_temporary_refusals_are_retried_with_backoff_then_fail(app, smtp, world):
    app.config["MAIL_MAX_ATTEMPTS"] = 3
    refused = world.panellists[0]
    smtp.inbox.refuse[refused] = "451 4.3.0 mailbox busy, try later"
    open_round_of(app, world, 1, closes_at=in_days(10))
    now = datetime.now(timezone.utc)
    first = send(app, now=now)
    assert (first.sent, first.retried) == (1, 1)
    [message] = outbox(app, recipient=refused)
    assert message.status.value == "queued" and message.attempts == 1
    assert message.next_attempt_at == now + timedelta(seconds=60)
    assert "451" in message.last_error
    assert send(app, now=now + timedelta(seconds=30)).retried == 0     # not due yet
    assert send(app, now=now + timedelta(seconds=61)).retried == 1
    [message] = outbox(app, recipient=refused)
    assert message.next_attempt_at == now + timedelta(seconds=61 + 120)
    last = send(app, now=now + timedelta(hours=1))
    assert last.failed == 1
    [message] = outbox(app, recipient=refused)
    assert message.status.value == "failed" and message.attempts == 3
    assert send(app, now=now + timedelta(days=1)).failed == 0
    assert smtp.inbox.to(refused) == []


def test_a_permanent_refusal_fails_at_once(app, smtp, world):
    smtp.inbox.refuse[world.panellists[1]] = "550 5.1.1 no such user"
    open_round_of(app, world, 1, closes_at=in_days(10))
    report = send(app)
    assert (report.sent, report.failed) == (1, 1)
    [message] = outbox(app, recipient=world.panellists[1])
    assert message.status.value == "failed" and "550" in message.last_error


def test_without_a_server_messages_go_to_the_log(app, world, caplog):
    assert app.config["MAIL_SERVER"] is None
    open_round_of(app, world, 1, closes_at=in_days(10))
    with caplog.at_level("INFO", logger="delphi.mail"):
        report = send(app)
    assert report.sent == 2
    assert "Round 1 of \u201cCarbon markets\u201d is open" in caplog.text
    assert {m.status.value for m in outbox(app)} == {"sent"}


def test_a_stale_claim_is_released(app, world):
    from delphi.core.database import db
    from delphi.core.models import MessageStatus, OutboxMessage

    open_round_of(app, world, 1, closes_at=in_days(10))
    now = datetime.now(timezone.utc)
    with app.app_context():
        message = db.session.scalars(select(OutboxMessage)).first()
        message.status, message.claimed_at, message.attempts = MessageStatus.sending, now, 1
        db.session.commit()
    assert send(app, now=now + timedelta(minutes=1)).sent == 1          # the other one
    report = send(app, now=now + timedelta(minutes=20))
    assert report.released == 1 and report.sent == 1


def test_a_sent_message_keeps_no_live_link_and_a_copy_of_the_database_opens_nothing(
        app, client, smtp, world):
    open_round_of(app, world, 1, closes_at=in_days(10))
    queued = outbox(app)
    assert all("/q/" in m.body for m in queued)       # queued: the link is there to be sent
    send(app)
    link = Inbox.link(smtp.inbox.to(world.panellists[0])[0]).replace("http://localhost", "")
    token = link.rsplit("/", 1)[1]
    stored = outbox(app)
    assert all(token not in m.body for m in stored)
    assert all("/q/(link removed once sent)" in m.body for m in stored)
    # The body kept in the database no longer opens anything; the mailed link still does.
    kept = re.search(r"/q/\S+", stored[0].body).group(0)
    assert client.get(kept).status_code == 404
    assert client.post(link).status_code == 303


def test_a_message_that_fails_for_good_drops_its_link_too(app, smtp, world):
    smtp.inbox.refuse[world.panellists[1]] = "550 5.1.1 no such user"
    open_round_of(app, world, 1, closes_at=in_days(10))
    send(app)
    [message] = outbox(app, recipient=world.panellists[1])
    assert message.status.value == "failed"
    assert re.search(r"/q/[A-Za-z0-9_-]{20,}", message.body) is None


def test_the_log_fallback_says_it_holds_live_links(app, world, caplog):
    open_round_of(app, world, 1, closes_at=in_days(10))
    with caplog.at_level("INFO", logger="delphi.mail"):
        send(app)
    assert "live links included" in caplog.text and "development only" in caplog.text
