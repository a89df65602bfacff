"""Opting out of reminders, and the moderator's reminders page."""
from __future__ import annotations

from tests.factories import build_study, open_round_of
from tests.mail_support import Inbox
from tests.test_mail import in_days, outbox, send, smtp  # noqa: F401  (fixture)


def test_panellist_opts_out_and_back_in_and_the_moderator_sees_it(app, client, auth):
    world = build_study(app, n_panellists=2, n_items=1)
    open_round_of(app, world, 1, closes_at=in_days(10))
    me = world.panellists[0]
    auth.login(me)
    page = client.get(f"/studies/{world.study_id}/reminders")
    assert page.status_code == 200 and "Stop reminders for this study" in page.get_data(as_text=True)
    response = client.post(f"/studies/{world.study_id}/reminders/opt-out", data={"opt_out": "1"})
    assert response.status_code == 303
    assert "You will receive no more reminders" in client.get(response.headers["Location"]).get_data(as_text=True)
    auth.logout()

    auth.login(world.moderator)
    overview = client.get(f"/studies/{world.study_id}/rounds/1/reminders").get_data(as_text=True)
    assert overview.count("(opted out)") == 1
    reminded = client.post(f"/studies/{world.study_id}/rounds/1/reminders", data={"confirm": "yes"},
                           follow_redirects=True)
    assert "Reminders queued: 1." in reminded.get_data(as_text=True)
    assert [m.recipient for m in outbox(app, template="reminder")] == [world.panellists[1]]
    auth.logout()

    auth.login(me)
    client.post(f"/studies/{world.study_id}/reminders/opt-out", data={"opt_out": "0"})
    assert "Stop reminders" in client.get(f"/studies/{world.study_id}/reminders").get_data(as_text=True)


def test_opt_out_through_a_magic_link_grant(app, client, smtp):
    world = build_study(app, n_panellists=1, n_items=1)
    open_round_of(app, world, 1, closes_at=in_days(10))
    send(app)
    link = Inbox.link(smtp.inbox.to(world.panellists[0])[0]).replace("http://localhost", "")
    assert client.get(f"/studies/{world.study_id}/reminders").status_code == 302   # to the login
    client.post(link)
    response = client.post(f"/studies/{world.study_id}/reminders/opt-out", data={"opt_out": "1"})
    assert response.status_code == 303
    other = build_study(app, n_panellists=1, n_items=1)
    assert client.post(f"/studies/{other.study_id}/reminders/opt-out",
                       data={"opt_out": "1"}).status_code == 302


def test_opt_out_rejects_bad_input_and_strangers(app, client, auth, make_user):
    world = build_study(app, n_panellists=1, n_items=1)
    open_round_of(app, world, 1, closes_at=in_days(10))
    auth.login(world.panellists[0])
    bad = client.post(f"/studies/{world.study_id}/reminders/opt-out", data={"opt_out": "maybe"})
    assert bad.status_code == 422 and "Choose whether to receive reminders" in bad.get_data(as_text=True)
    auth.logout()
    stranger = make_user()
    auth.login(stranger.email)
    assert client.post(f"/studies/{world.study_id}/reminders/opt-out",
                       data={"opt_out": "1"}).status_code == 403
    assert client.get(f"/studies/{world.study_id}/reminders").status_code == 403
    assert client.get("/studies/99999/reminders").status_code == 404


def test_only_moderators_remind(app, client, auth):
    world = build_study(app, n_panellists=2, n_items=1)
    open_round_of(app, world, 1, closes_at=in_days(10))
    for email in (world.panellists[0], world.researcher):
        auth.login(email)
        assert client.get(f"/studies/{world.study_id}/rounds/1/reminders").status_code == 403
        assert client.post(f"/studies/{world.study_id}/rounds/1/reminders").status_code == 403
        auth.logout()
    assert client.post(f"/studies/{world.study_id}/rounds/1/reminders",
                       data={"confirm": "yes"}).status_code == 302
    assert outbox(app, template="reminder") == []


def test_reminding_a_closed_round_says_so(app, client, auth):
    from tests.factories import close

    world = build_study(app, n_panellists=2, n_items=1)
    open_round_of(app, world, 1, closes_at=in_days(10))
    close(app, world, 1)
    auth.login(world.moderator)
    page = client.post(f"/studies/{world.study_id}/rounds/1/reminders", data={"confirm": "yes"},
                           follow_redirects=True)
    assert "Reminders can only be sent while the round is open." in page.get_data(as_text=True)
