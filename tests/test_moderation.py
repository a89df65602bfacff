"""Comments and reasons (issue 12, part 4): moderation, the screen, reasons fed back.

A study that moderates comments feeds back nothing a moderator has not
approved, edited or hidden; the next round cannot open while any is left;
each action writes exactly one audit row, an edit keeping the original.
Reasons for answers outside the IQR are fed back like comments, by item.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import csrf_token_from
from tests.factories import answer_round, build_study, close, get_round, user_by_email


def audit_rows(app, prefix="feedback."):
    from delphi.core.database import db
    from delphi.core.models import AuditEvent

    with app.app_context():
        return [(e.action, dict(e.details)) for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action.like(prefix + "%")).order_by(AuditEvent.id))]


def round_feedback(app, world, number):
    with app.app_context():
        return {ri.item_id: dict(ri.feedback or {}) for ri in get_round(world, number).round_items}


def comments_world(app, **protocol):
    world = build_study(app, n_panellists=6, n_items=2, carry_forward="all",
                        stop_when_settled=False, max_rounds=3, **protocol)
    first, second = world.item_ids
    named = world.names[world.panellists[1]]
    texts = {world.panellists[0]: {first: "Cover crops work; write to me at a.b@example.org"},
             world.panellists[1]: {first: f"I agree with {named} here."},
             world.panellists[2]: {second: "Too costly for smallholders."}}
    answer_round(app, world, 1, comments=texts)
    close(app, world, 1)
    return world, texts


def comment_ids(app, world, number=1):
    import rounds

    with app.app_context():
        return {t.original: t for t in rounds.free_texts(get_round(world, number))}


def test_the_protocol_setting_defaults_to_off_and_is_checked(app):
    import rounds
    from delphi.core.errors import InvalidInput

    assert rounds.Protocol.validate({"title": "T"}).moderate_comments is False
    assert rounds.Protocol.validate({"title": "T", "moderate_comments": True}).moderate_comments
    with pytest.raises(InvalidInput) as error:
        rounds.Protocol.validate({"title": "T", "moderate_comments": "maybe"})
    assert set(error.value.fields) == {"moderate_comments"}


def test_unmoderated_comments_are_fed_back_as_before(app):
    world, texts = comments_world(app)
    feedback = round_feedback(app, world, 2)
    assert sorted(feedback[world.item_ids[0]]["comments"]) == sorted(
        [texts[world.panellists[0]][world.item_ids[0]], texts[world.panellists[1]][world.item_ids[0]]])
    with app.app_context():
        import rounds
        assert rounds.unreviewed_count(get_round(world, 1)) == 0


def test_moderated_comments_wait_and_the_next_round_cannot_open(app):
    import rounds
    from delphi.core.database import db
    from delphi.core.errors import StateError

    world, _texts = comments_world(app, moderate_comments=True)
    assert all(fb["comments"] == [] for fb in round_feedback(app, world, 2).values())
    with app.app_context():
        with pytest.raises(StateError) as error:
            rounds.open_round(get_round(world, 2), actor=user_by_email(world.moderator))
        db.session.rollback()
    assert "Round 1 has 3 comments or reasons not yet reviewed" in error.value.message
    with app.app_context():
        assert get_round(world, 2).status.value == "draft"


def test_approve_edit_hide_each_write_one_audit_row_and_shape_the_feedback(app):
    import rounds
    from delphi.core.database import db
    from delphi.core.errors import StateError

    world, texts = comments_world(app, moderate_comments=True)
    first, second = world.item_ids
    found = comment_ids(app, world)
    email_text = texts[world.panellists[0]][first]
    name_text = texts[world.panellists[1]][first]
    cost_text = texts[world.panellists[2]][second]
    with app.app_context():
        moderator = user_by_email(world.moderator)
        rnd = get_round(world, 1)
        rounds.review_feedback(rnd, "comment", found[email_text].source_id, action="edit",
                               text="Cover crops work.", actor=moderator)
        rounds.review_feedback(rnd, "comment", found[name_text].source_id, action="hide",
                               actor=moderator)
        db.session.commit()
        assert rounds.unreviewed_count(get_round(world, 1)) == 1
    rows = audit_rows(app)
    assert [a for a, _d in rows] == ["feedback.edit", "feedback.hide"]
    assert rows[0][1]["original_text"] == email_text
    assert rows[0][1]["edited_text"] == "Cover crops work."
    assert "original_text" not in rows[1][1]
    with app.app_context():
        rounds.review_feedback(get_round(world, 1), "comment", found[cost_text].source_id,
                               action="approve", actor=user_by_email(world.moderator))
        db.session.commit()
    assert len(audit_rows(app)) == 3
    feedback = round_feedback(app, world, 2)
    assert feedback[first]["comments"] == ["Cover crops work."]
    assert feedback[second]["comments"] == [cost_text]
    with app.app_context():
        rounds.open_round(get_round(world, 2), actor=user_by_email(world.moderator))
        db.session.commit()
        with pytest.raises(StateError):
            rounds.review_feedback(get_round(world, 1), "comment", found[cost_text].source_id,
                                   action="hide", actor=user_by_email(world.moderator))
        db.session.rollback()
    assert len(audit_rows(app)) == 3


def test_bad_review_input_changes_nothing(app):
    import rounds
    from delphi.core.database import db
    from delphi.core.errors import InvalidInput, NotFound

    world, _texts = comments_world(app, moderate_comments=True)
    some = next(iter(comment_ids(app, world).values()))
    with app.app_context():
        moderator, rnd = user_by_email(world.moderator), get_round(world, 1)
        with pytest.raises(InvalidInput):
            rounds.review_feedback(rnd, "comment", some.source_id, action="publish", actor=moderator)
        with pytest.raises(InvalidInput) as error:
            rounds.review_feedback(rnd, "comment", some.source_id, action="edit", text="  ",
                                   actor=moderator)
        assert set(error.value.fields) == {"text"}
        with pytest.raises(NotFound):
            rounds.review_feedback(rnd, "comment", 10 ** 9, action="approve", actor=moderator)
        with pytest.raises(NotFound):
            rounds.review_feedback(rnd, "comment", "x", action="approve", actor=moderator)
        db.session.rollback()
    assert audit_rows(app) == []
    assert comment_ids(app, world)[some.original].status is None


def moderation_url(world, number=1):
    return f"/studies/{world.study_id}/rounds/{number}/moderation"


def test_the_moderation_page_shows_the_flags_and_its_buttons_review(app, client, auth):
    world, texts = comments_world(app, moderate_comments=True)
    first = world.item_ids[0]
    named = world.names[world.panellists[1]]
    auth.login(world.moderator)
    html = client.get(moderation_url(world)).get_data(as_text=True)
    assert "3 of 3 still to review." in html
    assert "an e-mail address: <mark>a.b@example.org</mark>" in html
    assert f"a panel member's name: <mark>{named}</mark>" in html
    assert html.count('name="action" value="approve"') == 3
    round_html = client.get(f"/studies/{world.study_id}/rounds/1").get_data(as_text=True)
    assert "Review the comments and reasons" in round_html
    target = comment_ids(app, world)[texts[world.panellists[2]][world.item_ids[1]]]
    response = client.post(moderation_url(world), data={
        "csrf_token": csrf_token_from(html), "source": "comment",
        "source_id": str(target.source_id), "action": "approve"})
    assert response.status_code == 303
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Approved: the panel will see it as written." in html
    assert "2 of 3 still to review." in html
    # A wrong action is refused with a message and changes nothing.
    response = client.post(moderation_url(world), data={
        "csrf_token": csrf_token_from(html), "source": "comment",
        "source_id": str(target.source_id), "action": "publish"}, follow_redirects=True)
    assert "Choose approve, edit or hide." in response.get_data(as_text=True)
    assert [a for a, _d in audit_rows(app)] == ["feedback.approve"]
    # The round cannot open from the web either; the message says why.
    response = client.post(f"/studies/{world.study_id}/rounds/2/open",
                           data={"csrf_token": csrf_token_from(html), "confirm": "yes"},
                           follow_redirects=True)
    assert "Round 1 has 2 comments or reasons not yet reviewed" in response.get_data(as_text=True)
    with app.app_context():
        assert get_round(world, 2).status.value == "draft"
    assert round_feedback(app, world, 2)[first]["comments"] == []


def test_panellists_and_researchers_cannot_moderate(app, client, auth):
    world, _texts = comments_world(app, moderate_comments=True)
    some = next(iter(comment_ids(app, world).values()))
    for email in (world.panellists[0], world.researcher):
        auth.login(email)
        assert client.get(moderation_url(world)).status_code == 403
        assert client.post(moderation_url(world), data={
            "source": "comment", "source_id": str(some.source_id),
            "action": "approve"}).status_code == 403
        auth.logout()
    assert audit_rows(app) == []


def test_released_comments_and_reasons_reach_the_panel_grouped_by_item(app, client, auth):
    """Reasons given in round 2 for ratings outside round 1's IQR are fed back
    in round 3 under their item, like comments, after review."""
    import rounds
    from delphi.core.database import db

    world = build_study(app, n_panellists=6, n_items=2, carry_forward="all",
                        stop_when_settled=False, max_rounds=3, moderate_comments=True,
                        require_reason_outside_iqr=True)
    first, second = world.item_ids
    middle = {p: {first: {"importance": 3}, second: {"importance": 3}} for p in world.panellists}
    middle[world.panellists[0]] = {first: {"importance": 2}, second: {"importance": 4}}
    answer_round(app, world, 1, middle)
    close(app, world, 1)
    extreme = {p: {first: {"importance": 3}, second: {"importance": 3}} for p in world.panellists}
    extreme[world.panellists[0]] = {first: {"importance": 5}, second: {"importance": 3}}
    answer_round(app, world, 2, extreme,
                 comments={world.panellists[1]: {second: "Second item needs funding."}})
    close(app, world, 2)
    texts = comment_ids(app, world, 2)
    reason = "A reason given by the simulated panellist."
    assert {t.source for t in texts.values()} == {"comment", "reason"}
    assert texts[reason].item_id == first
    with app.app_context():
        rnd, moderator = get_round(world, 2), user_by_email(world.moderator)
        for t in texts.values():
            rounds.review_feedback(rnd, t.source, t.source_id, action="approve", actor=moderator)
        db.session.commit()
    feedback = round_feedback(app, world, 3)
    assert feedback[first]["reasons"] == [reason] and feedback[first]["comments"] == []
    assert feedback[second]["reasons"] == [] and feedback[second]["comments"] == [
        "Second item needs funding."]
    answer_round(app, world, 3, who=[])
    auth.login(world.panellists[3])
    html = client.get(f"/panel/studies/{world.study_id}/rounds/3").get_data(as_text=True)
    section = html.split(f'id="item-{first}"')[1].split("</section>")[0]
    assert "Reasons given for answers outside the range (anonymised)" in section
    assert reason in section
    assert "Second item needs funding." not in section
