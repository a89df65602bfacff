"""Safeguards (issue 12, part 7): a confirmation step with the consequences in
numbers for every irreversible action, working without JavaScript; warnings
before risky moves; the moderator's preview that stores nothing; and the
smaller defects of part 9. Through the Flask test client, on the test database
(SQLite or PostgreSQL: every test here uses ``app`` and is marked ``db``)."""
from __future__ import annotations

import html as html_lib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import (
    answer_round,
    build_study,
    close,
    get_round,
    open_round_of,
    panellist_of,
)

YES = {"confirm": "yes"}


def text(response) -> str:
    return html_lib.unescape(response.get_data(as_text=True))


def audits(app, action: str) -> list[dict]:
    from delphi.core.database import db
    from delphi.core.models import AuditEvent

    with app.app_context():
        return [e.details for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))]


def round_status(app, world, number: int) -> str:
    with app.app_context():
        return get_round(world, number).status.value


def responses(app) -> int:
    from delphi.core.database import db
    from delphi.core.models import Response

    with app.app_context():
        return db.session.scalar(select(func.count(Response.id)))


# -- closing a round -------------------------------------------------------------------

def test_closing_a_round_asks_first_with_the_response_share_and_the_time_left(app, client, auth):
    world = build_study(app, n_panellists=10, n_items=2)
    open_round_of(app, world, 1, closes_at=datetime.now(UTC) + timedelta(days=7, hours=3))
    answer_round(app, world, 1, who=world.panellists[:2])
    auth.login(world.moderator)
    url = f"/studies/{world.study_id}/rounds/1/close"
    # The round page's button posts without ``confirm``: the confirmation page.
    for response in (client.get(url), client.post(url)):
        assert response.status_code == 200
        page = text(response)
        assert "20\u00a0% have answered (2 of 10); 7 days remain before the deadline." in page
        assert "Fewer than half of the panel have answered." in page
        assert "The round closes before its deadline." in page
        assert 'name="confirm" value="yes"' in page and "<script" not in page.split("<main")[1]
    assert round_status(app, world, 1) == "open" and audits(app, "round.close") == []
    # Confirmed: closed, with exactly one audit row.
    response = client.post(url, data=YES)
    assert response.status_code == 303
    assert round_status(app, world, 1) == "closed"
    assert len(audits(app, "round.close")) == 1


def test_a_closed_round_says_when_it_closed_not_closes_at(app, client, auth):
    world = build_study(app, n_panellists=6, n_items=1)
    open_round_of(app, world, 1, closes_at=datetime(2099, 5, 1, 12, 0, tzinfo=UTC))
    answer_round(app, world, 1)
    auth.login(world.moderator)
    assert "Closes at May 1, 2099, 12:00 (UTC)" in text(client.get(f"/studies/{world.study_id}/rounds/1"))
    close(app, world, 1)
    page = text(client.get(f"/studies/{world.study_id}/rounds/1"))
    assert "Closes at" not in page and "Closed at " in page


# -- ending a study ---------------------------------------------------------------------

def test_ending_a_study_asks_first_and_passes_the_reason_on(app, client, auth):
    world = build_study(app, n_panellists=6, n_items=1)
    answer_round(app, world, 1)
    close(app, world, 1)
    auth.login(world.moderator)
    url = f"/studies/{world.study_id}/end"
    response = client.post(url, data={"reason": "Enough evidence"})
    assert response.status_code == 200
    page = text(response)
    assert "1 round is closed; its results stay as they are." in page
    assert "Draft round 2 will never open." in page
    assert "The stopping rule has not said stop: 1 of at most 3 rounds are closed." in page
    assert 'name="reason" value="Enough evidence"' in page
    assert audits(app, "study.end") == []
    response = client.post(url, data={"reason": "Enough evidence", **YES})
    assert response.status_code == 303
    assert audits(app, "study.end") == [{"reason": "Enough evidence"}]
    # Ended: the confirmation says so and offers nothing to confirm.
    page = text(client.get(url))
    assert "This study has ended already." in page and 'name="confirm"' not in page


def test_ending_a_study_with_an_open_round_is_refused_on_the_confirmation(app, client, auth):
    world = build_study(app, n_panellists=6, n_items=1)
    open_round_of(app, world, 1, closes_at=datetime.now(UTC) + timedelta(days=3))
    auth.login(world.moderator)
    page = text(client.post(f"/studies/{world.study_id}/end"))
    assert "Close round 1 before ending the study." in page and 'name="confirm"' not in page


def test_the_end_the_study_link_has_its_anchor(app, client, auth):
    world = build_study(app, n_panellists=6, n_items=1, max_rounds=1)
    answer_round(app, world, 1)
    close(app, world, 1)
    auth.login(world.moderator)
    round_page = text(client.get(f"/studies/{world.study_id}/rounds/1"))
    assert f'href="/studies/{world.study_id}#end"' in round_page
    assert '<h2 id="end">' in text(client.get(f"/studies/{world.study_id}"))


# -- withdrawing ------------------------------------------------------------------------

def test_a_panellist_withdrawing_sees_what_happens_to_their_answers_first(app, client, auth):
    world = build_study(app, n_panellists=6, n_items=1)
    answer_round(app, world, 1)
    close(app, world, 1)
    answer_round(app, world, 2, who=world.panellists[:1], submit=False)
    auth.login(world.panellists[0])
    url = f"/panel/studies/{world.study_id}/withdraw"
    response = client.post(url)
    assert response.status_code == 200
    page = text(response)
    assert "Your answers to the open round 2 will not count." in page
    assert "Your answers to 1 closed round stay in its results, under your pseudonym only." in page
    with app.app_context():
        assert panellist_of(world, world.panellists[0]).status.value == "active"
    assert client.post(url, data=YES).status_code == 303
    with app.app_context():
        assert panellist_of(world, world.panellists[0]).status.value == "withdrawn"


def test_a_moderator_withdrawing_a_panellist_confirms_once_with_one_audit_row(app, client, auth):
    world = build_study(app, n_panellists=6, n_items=1)
    answer_round(app, world, 1)
    with app.app_context():
        pseudonym = panellist_of(world, world.panellists[2]).pseudonym
    auth.login(world.moderator)
    url = f"/studies/{world.study_id}/panellists/{pseudonym}/withdraw"
    page = text(client.post(url))
    assert f"Withdraw {world.names[world.panellists[2]]} ({pseudonym}) from the panel?" in page
    assert "Their answers to the open round 1 will not count." in page
    assert audits(app, "panel.withdraw") == []
    assert client.post(url, data=YES).status_code == 303
    assert audits(app, "panel.withdraw") == [{"pseudonym": pseudonym, "deleted_responses": 0}]


# -- reminding everybody ---------------------------------------------------------------

def test_the_reminder_page_asks_before_reminding_everybody(app, client, auth):
    world = build_study(app, n_panellists=5, n_items=1)
    answer_round(app, world, 1, who=world.panellists[:2])
    auth.login(world.moderator)
    url = f"/studies/{world.study_id}/rounds/1/reminders"
    page = text(client.post(url))
    assert "Nobody is ticked: this reminds all 3 panellists who have not answered." in page
    assert "Remind all 3 panellists" in page
    assert audits(app, "mail.remind") == []
    assert client.post(url, data=YES).status_code == 303
    assert [d["queued"] for d in audits(app, "mail.remind")] == [3]


def test_remind_with_everybody_answered_is_refused_with_a_message(app, client, auth):
    world = build_study(app, n_panellists=2, n_items=1)
    answer_round(app, world, 1)
    auth.login(world.moderator)
    response = client.post(f"/studies/{world.study_id}/dashboard/rounds/1/remind",
                           follow_redirects=True)
    assert "Everybody has answered: nobody to remind." in text(response)
    assert audits(app, "mail.remind") == []


# -- warnings before opening or drafting a round ---------------------------------------

def test_opening_a_round_with_an_empty_panel_and_no_deadline_needs_confirmation(app, client, auth):
    world = build_study(app, n_panellists=0, n_items=1)
    auth.login(world.moderator)
    round_page = text(client.get(f"/studies/{world.study_id}/rounds/1"))
    assert "The panel is empty: nobody will receive this round." in round_page
    assert "The round has no deadline" in round_page
    response = client.post(f"/studies/{world.study_id}/rounds/1/open", data={"closes_at": ""})
    assert response.status_code == 200
    page = text(response)
    assert "2 warnings" in page and "It goes to 0 panellists." in page
    assert round_status(app, world, 1) == "draft" and audits(app, "round.open") == []
    assert client.post(f"/studies/{world.study_id}/rounds/1/open", data=YES).status_code == 303
    assert round_status(app, world, 1) == "open" and len(audits(app, "round.open")) == 1


def test_opening_with_a_panel_and_a_deadline_needs_no_confirmation(app, client, auth):
    world = build_study(app, n_panellists=3, n_items=1)
    auth.login(world.moderator)
    response = client.post(f"/studies/{world.study_id}/rounds/1/open",
                           data={"closes_at": "2099-05-01T12:00"})
    assert response.status_code == 303 and round_status(app, world, 1) == "open"


def test_drafting_beyond_the_maximum_warns_and_asks(app, client, auth):
    world = build_study(app, n_panellists=6, n_items=1, max_rounds=1)
    answer_round(app, world, 1)
    report = close(app, world, 1)
    assert report.next_round is None  # the stopping rule said stop
    auth.login(world.moderator)
    warning = "Round 2 is beyond the protocol's maximum of 1 round."
    assert warning in text(client.get(f"/studies/{world.study_id}"))
    response = client.post(f"/studies/{world.study_id}/rounds", data={"kind": "rating"})
    assert response.status_code == 200 and warning in text(response)
    assert audits(app, "round.drafted")[1:] == []  # round 1's only (the factory's)
    response = client.post(f"/studies/{world.study_id}/rounds", data={"kind": "rating", **YES})
    assert response.status_code == 303 and len(audits(app, "round.drafted")) == 2
    # The draft's page and its opening repeat the warning; opening needs confirmation too.
    assert warning in text(client.get(f"/studies/{world.study_id}/rounds/2"))
    with app.app_context():
        import rounds
        from delphi.core.database import db
        round_2 = get_round(world, 2)
        rounds.set_round_items(round_2, world.item_ids, actor=None)
        db.session.commit()
    opening = {"closes_at": "2099-05-01T12:00"}
    response = client.post(f"/studies/{world.study_id}/rounds/2/open", data=opening)
    assert response.status_code == 200 and warning in text(response)
    assert 'name="closes_at" value="2099-05-01T12:00"' in text(response)
    assert round_status(app, world, 2) == "draft"
    response = client.post(f"/studies/{world.study_id}/rounds/2/open", data={**opening, **YES})
    assert response.status_code == 303 and round_status(app, world, 2) == "open"


def test_drafting_after_the_stopping_rule_said_stop_warns(app, client, auth):
    world = build_study(app, n_panellists=6, n_items=1, max_rounds=3)
    answer_round(app, world, 1, values=lambda email, item, criterion: 5)  # consensus in
    assert close(app, world, 1).next_round is None
    auth.login(world.moderator)
    page = text(client.post(f"/studies/{world.study_id}/rounds", data={"kind": "rating"}))
    assert "The stopping rule said stop after round 1." in page
    assert "Every item has a settled verdict" in page
    assert "beyond the protocol's maximum" not in page


# -- the panel and the secretariat ------------------------------------------------------

def test_adding_someone_outside_the_task_force_warns_and_the_panel_marks_them(app, client, auth,
                                                                             make_user):
    world = build_study(app, n_panellists=3, n_items=1)
    outsider = make_user("outsider.guard@example.org", name="Out Sider Qgd")
    auth.login(world.moderator)
    url = f"/studies/{world.study_id}/panellists"
    page = text(client.post(url, data={"email": outsider.email}))
    assert "Out Sider Qgd is not an approved member of task force A5." in page
    assert audits(app, "panel.add") == []
    assert client.post(url, data={"email": outsider.email, **YES}).status_code == 303
    assert len(audits(app, "panel.add")) == 1
    study_page = text(client.get(f"/studies/{world.study_id}"))
    assert study_page.count("Not an approved member of this task force.") == 1
    # An approved member of the task force: added at once, no question asked.
    member = make_user("member.guard@example.org", name="Mem Ber Qgd")
    with app.app_context():
        from delphi.core.database import db
        from delphi.core.models import (
            ApprovalStatus,
            Membership,
            TaskForce,
            TaskForceRole,
        )
        tf = db.session.scalar(select(TaskForce).where(TaskForce.code == "A5"))
        db.session.add(Membership(user_id=member.id, task_force_id=tf.id, status=ApprovalStatus.approved,
                                  role=TaskForceRole.team_member))
        db.session.commit()
    assert client.post(url, data={"email": member.email}).status_code == 303
    assert len(audits(app, "panel.add")) == 2


def test_approving_a_second_global_leader_warns_and_asks(app, client, auth, make_user):
    from delphi.core.database import db
    from delphi.core.models import ApprovalStatus, Membership, TaskForce, TaskForceRole

    world = build_study(app, n_panellists=2, n_items=1)
    first, second = (make_user(f"leader{i}.guard@example.org", status="member",
                               organisation=f"Lab {i}") for i in (1, 2))
    with app.app_context():
        tf = db.session.scalar(select(TaskForce).where(TaskForce.code == "A5"))
        tf_id = tf.id
        db.session.add(Membership(user_id=first.id, task_force_id=tf.id, status=ApprovalStatus.approved,
                                  role=TaskForceRole.global_leader))
        pending = Membership(user_id=second.id, task_force_id=tf.id, status=ApprovalStatus.pending,
                             role=TaskForceRole.global_leader)
        db.session.add(pending)
        db.session.commit()
        pending_id = pending.id
    auth.login(world.admin)
    warning = "Task force A5 has 1 approved Global Leader already."
    assert warning in text(client.get("/admin/applications"))
    url = f"/admin/applications/{pending_id}"
    page = text(client.post(url, data={"decision": "approve"}))
    assert warning in page and 'name="decision" value="approve"' in page
    assert audits(app, "membership.approve") == []
    assert client.post(url, data={"decision": "approve", **YES}).status_code == 303
    assert len(audits(app, "membership.approve")) == 1
    # Declining needs no confirmation.
    third = make_user("leader3.guard@example.org", status="member", organisation="Lab 3")
    with app.app_context():
        again = Membership(user_id=third.id, task_force_id=tf_id, status=ApprovalStatus.pending,
                           role=TaskForceRole.global_leader)
        db.session.add(again)
        db.session.commit()
        again_id = again.id
    assert client.post(f"/admin/applications/{again_id}", data={"decision": "decline"}).status_code == 303
    assert len(audits(app, "membership.decline")) == 1


# -- the preview ------------------------------------------------------------------------

def test_the_moderator_previews_a_draft_round_and_nothing_is_stored(app, client, auth):
    world = build_study(app, n_panellists=3, n_items=2)
    auth.login(world.moderator)
    url = f"/studies/{world.study_id}/rounds/1/preview"
    before = responses(app)
    response = client.get(url)
    assert response.status_code == 200
    page = text(response)
    assert "Strategy 1: measure soil organic carbon, option 1" in page
    assert "Item 1 of 2" in page and "Nothing you enter here is saved or sent." in page
    form = page.split('id="questionnaire"')[1].split("</form>")[0]
    assert '<form id="questionnaire" novalidate>' in page
    assert "csrf_token" not in form and 'name="action"' not in form and "data-autosave-url" not in form
    assert 'type="radio"' in form and " disabled" not in form  # the moderator may try it
    # Nothing can post: a POST is refused, the GET with answers in the query stores nothing.
    assert client.post(url, data={"action": "submit"}).status_code == 405
    assert client.get(url, query_string={"r-1-importance": "3"}).status_code == 200
    assert responses(app) == before == 0
    assert f"/studies/{world.study_id}/rounds/1/preview" in text(client.get(
        f"/studies/{world.study_id}/rounds/1"))


def test_the_preview_is_the_moderators_only(app, client, auth):
    world = build_study(app, n_panellists=3, n_items=1)
    url = f"/studies/{world.study_id}/rounds/1/preview"
    for email in (world.researcher, world.panellists[0]):
        auth.login(email)
        assert client.get(url).status_code == 403
        auth.logout()
    assert client.get(url).status_code in (302, 401)


def test_the_preview_of_an_open_round_shows_the_feedback_without_anyones_answers(app, client, auth):
    world = build_study(app, n_panellists=6, n_items=1)
    answer_round(app, world, 1)
    close(app, world, 1)
    open_round_of(app, world, 2, closes_at=datetime.now(UTC) + timedelta(days=5))
    auth.login(world.moderator)
    before = responses(app)
    page = text(client.get(f"/studies/{world.study_id}/rounds/2/preview"))
    assert "Closes " in page and "Item 1 of 1" in page
    assert " checked" not in page.split('id="questionnaire"')[1]
    assert responses(app) == before


# -- the participation figures ----------------------------------------------------------

def test_dropouts_of_an_open_round_are_only_those_who_withdrew(app, client, auth):
    import rounds

    world = build_study(app, n_panellists=6, n_items=1)
    answer_round(app, world, 1)
    close(app, world, 1)
    open_round_of(app, world, 2, closes_at=datetime.now(UTC) + timedelta(days=5))
    answer_round(app, world, 2, who=world.panellists[:2])
    with app.app_context():
        row = rounds.participation(get_round(world, 1).study)[1]
        assert (row["stayers"], row["dropouts"]) == (2, 0)  # 4 have not answered yet
        rounds.withdraw_panellist(panellist_of(world, world.panellists[5]), actor=None)
        from delphi.core.database import db
        db.session.commit()
        assert rounds.participation(get_round(world, 1).study)[1]["dropouts"] == 1
    close(app, world, 2)
    with app.app_context():
        row = rounds.participation(get_round(world, 1).study)[1]
        assert (row["stayers"], row["dropouts"]) == (2, 4)  # closed: who did not count


def test_the_dropout_rule():
    from rounds.results import dropouts

    assert dropouts({1, 2, 3}, {1}, closed=False, withdrawn=set()) == set()
    assert dropouts({1, 2, 3}, {1}, closed=False, withdrawn={3, 9}) == {3}
    assert dropouts({1, 2, 3}, {1}, closed=True, withdrawn=set()) == {2, 3}


# -- the reason box and the favicon ------------------------------------------------------

@pytest.mark.parametrize("panel, protocol", [
    (6, {"show_median_iqr": False}),   # the study does not show the range
    (3, {}),                           # fewer answers than the smallest cell shown: suppressed
])
def test_no_reason_box_without_a_range_to_show(app, client, auth, panel, protocol):
    world = build_study(app, n_panellists=panel, n_items=1, require_reason_outside_iqr=True,
                        min_n=2, **protocol)
    answer_round(app, world, 1)
    close(app, world, 1)
    open_round_of(app, world, 2, closes_at=datetime.now(UTC) + timedelta(days=5))
    auth.login(world.panellists[0])
    page = text(client.get(f"/panel/studies/{world.study_id}/rounds/2"))
    assert "(– – –)" not in page and "please say why" not in page
    with app.app_context():
        item_id = get_round(world, 2).round_items[0].item_id
    # Any rating submits: no reason is asked against a range the panellist cannot see.
    response = client.post(f"/panel/studies/{world.study_id}/rounds/2",
                           data={"action": "submit", f"r-{item_id}-importance": "1"})
    assert response.status_code == 303, text(response)[:400]


def test_the_favicon_is_served(client):
    with client.get("/favicon.ico") as response:
        assert response.status_code == 200 and response.mimetype == "image/svg+xml"
        assert b"<svg" in response.data
