"""The process's messages: thank-you, closing notice, feedback summary."""
from __future__ import annotations

from tests.factories import answer_round, build_study, close, get_round, open_round_of
from tests.test_mail import in_days, outbox, set_language


def test_thank_you_once_per_response_even_when_amended(app):
    world = build_study(app, n_panellists=3, n_items=2, title="Peatlands")
    open_round_of(app, world, 1, closes_at=in_days(5))
    answer_round(app, world, 1, who=world.panellists[:2], seed=1)
    answer_round(app, world, 1, who=world.panellists[:1], seed=2)   # amended and resubmitted
    thanks = outbox(app, template="thanks")
    assert sorted(m.recipient for m in thanks) == sorted(world.panellists[:2])
    assert thanks[0].subject == "Thank you for your answers to round 1 of \u201cPeatlands\u201d"
    assert "You may amend them until the round closes on" in thanks[0].body


def test_an_autosaved_amendment_sends_no_second_thank_you(app, client, auth):
    world = build_study(app, n_panellists=2, n_items=2, title="Peatlands")
    open_round_of(app, world, 1, closes_at=in_days(5))
    auth.login(world.panellists[0])
    url = f"/panel/studies/{world.study_id}/rounds/1"
    first, second = world.item_ids
    data = {"action": "submit", f"r-{first}-importance": "2", f"r-{second}-importance": "2"}
    assert client.post(url, data=data).status_code == 303
    for value in ("4", "5"):  # two autosaves after submitting: each re-submits
        data[f"r-{first}-importance"] = value
        response = client.post(url + "/autosave", data=data)
        assert response.get_json()["status"] == "submitted"
    data["action"] = "submit"  # and an explicit resubmission
    assert client.post(url, data=data).status_code == 303
    assert [m.recipient for m in outbox(app, template="thanks")] == [world.panellists[0]]


def test_closing_notice_and_feedback_summary_of_the_next_round(app):
    world = build_study(app, n_panellists=6, n_items=3, title="Agroforestry", min_n=3,
                        carry_forward="all", stop_when_settled=False)
    set_language(app, world.panellists[5], "fr")
    answer_round(app, world, 1, who=world.panellists[:4], values=lambda e, i, c: 5)
    report = close(app, world, 1)
    assert report.next_round is not None

    closed = {m.recipient: m for m in outbox(app, template="closed")}
    assert set(closed) == set(world.panellists)
    assert "Your answers were counted" in closed[world.panellists[0]].body
    assert "We did not receive your answers" in closed[world.panellists[4]].body
    assert "Nous n'avons pas re\u00e7u vos r\u00e9ponses" in closed[world.panellists[5]].body

    open_round_of(app, world, 2, closes_at=in_days(5))
    feedback = {m.recipient: m for m in outbox(app, template="feedback")}
    assert set(feedback) == set(world.panellists)
    body = feedback[world.panellists[0]].body
    assert "What the panel said in round 1:" in body
    assert "67% of the panel answered." in body
    assert "http://localhost/q/" in body
    assert "Ce que le panel a r\u00e9pondu au tour 1" in feedback[world.panellists[5]].body
    assert not outbox(app, template="invitation", round_id=report.next_round.id)


def test_feedback_summary_counts_items_at_consensus(app):
    world = build_study(app, n_panellists=6, n_items=3, min_n=3, carry_forward="all")
    values = lambda email, item, criterion: 5 if item == world.item_ids[0] else (  # noqa: E731
        1 if world.panellists.index(email) % 2 else 5)
    answer_round(app, world, 1, values=values)
    report = close(app, world, 1)
    assert report.next_round is not None
    open_round_of(app, world, 2, closes_at=in_days(5))
    body = outbox(app, template="feedback")[0].body
    assert "100% of the panel answered." in body
    assert "1 of 3 items reached consensus." in body
    assert "3 items come back to you in this round" in body


def test_no_message_for_a_withdrawn_panellist(app):
    import rounds
    from delphi.core.database import db
    from tests.factories import panellist_of, user_by_email

    world = build_study(app, n_panellists=3, n_items=1)
    open_round_of(app, world, 1, closes_at=in_days(5))
    with app.app_context():
        rounds.withdraw_panellist(panellist_of(world, world.panellists[2]),
                                  actor=user_by_email(world.moderator))
        db.session.commit()
        rounds.close_round(get_round(world, 1), actor=user_by_email(world.moderator))
        db.session.commit()
    assert world.panellists[2] not in {m.recipient for m in outbox(app, template="closed")}


def _messages_and_links(app, round_id):
    from sqlalchemy import func, select

    from delphi.core.database import db
    from delphi.core.models import MagicLink

    with app.app_context():
        links = db.session.scalar(select(func.count()).select_from(MagicLink)
                                  .where(MagicLink.round_id == round_id))
    return len(outbox(app)), links


def test_opening_and_closing_queue_one_message_per_panellist_in_their_language(app):
    from collections import Counter

    import rounds
    from delphi.core.database import db
    from delphi.mail import links
    from rounds import signals
    from tests.factories import user_by_email

    world = build_study(app, n_panellists=5, n_items=2, title="Soil carbon")
    french = {world.panellists[1], world.panellists[3]}
    for email in french:
        set_language(app, email, "fr")
    round_id = open_round_of(app, world, 1, closes_at=in_days(5))

    invitations = outbox(app, template="invitation")
    assert Counter(m.recipient for m in invitations) == Counter(world.panellists)
    for message in invitations:
        expected = "fr" if message.recipient in french else "en"
        assert message.language == expected
        assert message.body.startswith("Bonjour" if expected == "fr" else "Dear")
        assert message.subject == ("Le tour 1 de \u00ab Soil carbon \u00bb est ouvert" if expected == "fr"
                                   else "Round 1 of \u201cSoil carbon\u201d is open")
        # Each message's own link opens that recipient's questionnaire of this round.
        token = message.body.split("http://localhost/q/")[1].split()[0]
        with app.app_context():
            target = links.check(token)
            assert target.round.id == round_id
            assert user_by_email(message.recipient).id == target.panellist.user_id
    assert _messages_and_links(app, round_id) == (5, 5)

    with app.app_context():   # the signal sent again: no second invitation, no extra link
        signals.round_opened.send(get_round(world, 1))
        db.session.commit()
    assert _messages_and_links(app, round_id) == (5, 5)

    with app.app_context():
        rnd = get_round(world, 1)
        rounds.close_round(rnd, actor=user_by_email(world.moderator))
        db.session.commit()
        signals.round_closed.send(get_round(world, 1), next_round=None)   # again: nothing more
        db.session.commit()
    closed = outbox(app, template="closed")
    assert Counter(m.recipient for m in closed) == Counter(world.panellists)
    assert {m.recipient: m.language for m in closed} == {
        e: "fr" if e in french else "en" for e in world.panellists}
    assert all(m.body.startswith("Bonjour" if m.language == "fr" else "Dear") for m in closed)


def test_a_message_queued_meanwhile_by_another_transaction_is_not_queued_twice(app, monkeypatch):
    """The dedupe pre-check can miss a key that a concurrent transaction commits just
    after it; the insert itself then skips that key (ON CONFLICT DO NOTHING)."""
    from delphi.core.database import db
    from delphi.mail import outbox as outbox_module
    from delphi.mail.outbox import Recipient, queue_many
    from tests.factories import user_by_email

    world = build_study(app, n_panellists=3, n_items=1)
    open_round_of(app, world, 1, closes_at=in_days(5))
    before = outbox(app)
    monkeypatch.setattr(outbox_module, "existing_keys", lambda keys: set())   # the check misses them
    with app.app_context():
        rnd = get_round(world, 1)
        users = [user_by_email(e) for e in world.panellists]
        queued = queue_many("invitation", [
            Recipient(m.user_id, m.dedupe_key, {"link": "http://localhost/q/x"}) for m in before
        ] + [Recipient(users[0].id, "invitation:test-new", {"link": "http://localhost/q/y"})],
            round=rnd)
        db.session.commit()
    assert [r.dedupe_key for r in queued] == ["invitation:test-new"]
    after = outbox(app)
    assert len(after) == len(before) + 1
    assert [m.dedupe_key for m in after[:len(before)]] == [m.dedupe_key for m in before]
    assert after[-1].recipient == world.panellists[0] and "http://localhost/q/y" in after[-1].body
