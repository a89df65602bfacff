"""The panellist's pages: home section, questionnaire, drafts, submitting, withdrawing."""
from __future__ import annotations

import html as html_module
import re
import statistics

import pytest
from sqlalchemy import func, select

from tests.conftest import csrf_token_from
from tests.factories import answer_round, build_study, close, get_round, open_round_of


def page(client, world, number=1):
    return f"/panel/studies/{world.study_id}/rounds/{number}"


def form_for(world, values: dict, *, action="save", comments=None, reasons=None, submit_key=None):
    """The questionnaire's form data: ``values`` {item_id: value or "na"}."""
    data = {"action": action}
    for item_id, value in values.items():
        data[f"r-{item_id}-importance"] = str(value)
    for item_id, text in (comments or {}).items():
        data[f"comment-{item_id}"] = text
    for item_id, text in (reasons or {}).items():
        data[f"reason-{item_id}-importance"] = text
    if submit_key:
        data["submit_key"] = submit_key
    return data


def checked(html: str, item_id: int) -> str | None:
    """The value of the checked radio button of an item's importance rating."""
    match = re.search(rf'name="r-{item_id}-importance" value="([^"]+)" checked', html)
    return match.group(1) if match else None


def counted(app, world, number=1):
    from delphi.core.database import db
    from delphi.core.models import Rating, Response, ResponseStatus

    with app.app_context():
        rnd = get_round(world, number)
        responses = db.session.scalar(select(func.count()).select_from(Response).where(
            Response.round_id == rnd.id, Response.status == ResponseStatus.submitted))
        ratings = db.session.scalar(select(func.count()).select_from(Rating).join(Response).where(
            Response.round_id == rnd.id))
        return responses, ratings


@pytest.fixture
def world(app):
    world = build_study(app, n_panellists=6, n_items=3)
    open_round_of(app, world, 1)
    return world


def test_home_lists_open_rounds_with_deadline(app, client, auth):
    from datetime import datetime, timezone

    world = build_study(app, n_panellists=5, n_items=2, title="Soil carbon priorities")
    open_round_of(app, world, 1, closes_at=datetime(2099, 3, 4, 12, 0, tzinfo=timezone.utc))
    auth.login(world.panellists[0])
    html = client.get("/me").get_data(as_text=True)
    assert "Soil carbon priorities" in html
    assert "March 4, 2099, 12:00 (UTC)" in html  # the reader's zone (UTC without one), named
    assert page(client, world) in html
    # A member on no panel sees no such section.
    auth.logout()
    auth.login(world.researcher)
    assert "My Delphi studies" not in client.get("/me").get_data(as_text=True)


def test_draft_survives_logout(client, auth, world):
    first, second, third = world.item_ids
    auth.login(world.panellists[0])
    html = client.get(page(client, world)).get_data(as_text=True)
    assert 'value="na"' in html and "cannot rate" in html
    response = client.post(page(client, world), data=form_for(
        world, {first: 4, second: "na"}, comments={first: "A comment kept in the draft"}))
    assert response.status_code == 303
    auth.logout()
    assert client.get(page(client, world)).status_code == 302  # to the login page
    auth.login(world.panellists[0])
    html = client.get(page(client, world)).get_data(as_text=True)
    assert checked(html, first) == "4"
    assert checked(html, second) == "na"
    assert checked(html, third) is None
    assert "A comment kept in the draft" in html


def test_autosave_endpoint_keeps_the_draft(client, auth, world):
    first = world.item_ids[0]
    auth.login(world.panellists[1])
    html = client.get(page(client, world)).get_data(as_text=True)
    assert f'data-autosave-url="{page(client, world)}/autosave"' in html
    assert 'src="/static/questionnaire.js"' in html and "<script>" not in html
    response = client.post(page(client, world) + "/autosave", data=form_for(world, {first: 2}))
    assert response.status_code == 200 and response.get_json()["status"] == "draft"
    assert checked(client.get(page(client, world)).get_data(as_text=True), first) == "2"
    response = client.post(page(client, world) + "/autosave", data=form_for(world, {first: 42}))
    assert response.status_code == 422 and response.get_json()["error"]["fields"]


def test_submit_counts_once_and_can_be_amended(app, client, auth, world):
    auth.login(world.panellists[0])
    values = {item_id: 3 for item_id in world.item_ids}
    html = client.get(page(client, world)).get_data(as_text=True)
    key = re.search(r'name="submit_key" value="([^"]+)"', html).group(1)
    for _ in range(2):  # a double click
        response = client.post(page(client, world), data=form_for(world, values, action="submit", submit_key=key))
        assert response.status_code == 303
    assert counted(app, world) == (1, 3)
    html = client.get(page(client, world)).get_data(as_text=True)
    assert "submitted" in html
    # Amend before the close: the new answers replace the old ones.
    amended = {item_id: 5 for item_id in world.item_ids}
    assert client.post(page(client, world), data=form_for(world, amended, action="submit")).status_code == 303
    assert counted(app, world) == (1, 3)
    report = close(app, world, 1)
    assert report.round.status.value == "closed"
    from delphi.core.database import db
    from delphi.core.models import ItemStatistics

    with app.app_context():
        medians = set(db.session.scalars(select(ItemStatistics.median).where(
            ItemStatistics.round_id == report.round.id)))
    assert medians == {5.0}


def test_incomplete_or_wrong_answers_are_refused_and_kept(client, auth, world):
    first, second, _third = world.item_ids
    auth.login(world.panellists[2])
    response = client.post(page(client, world), data=form_for(world, {first: 4}, action="submit"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Rate this item" in html
    assert checked(html, first) == "4"  # what was typed is still there
    assert checked(client.get(page(client, world)).get_data(as_text=True), first) == "4"  # and saved
    response = client.post(page(client, world), data=form_for(world, {first: 4, second: 8}))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "from 1 to 5" in html and checked(html, first) == "4"


def test_submit_after_close_is_a_clear_409(app, client, auth, world):
    auth.login(world.panellists[0])
    client.get(page(client, world))
    close(app, world, 1)
    values = {item_id: 3 for item_id in world.item_ids}
    response = client.post(page(client, world), data=form_for(world, values, action="submit"))
    assert response.status_code == 409
    assert "not open" in response.get_data(as_text=True)
    response = client.post(page(client, world) + "/autosave", data=form_for(world, values))
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "invalid_state"


@pytest.mark.csrf
def test_expired_csrf_token_keeps_the_answers(app, client, auth):
    world = build_study(app, n_panellists=5, n_items=2)
    open_round_of(app, world, 1)
    first, second = world.item_ids
    login_page = client.get("/login").get_data(as_text=True)
    client.post("/login", data={"email": world.panellists[0], "password": world.password,
                                "csrf_token": csrf_token_from(login_page)})
    html = client.get(page(client, world)).get_data(as_text=True)
    assert csrf_token_from(html)
    data = form_for(world, {first: 2, second: 5}, comments={first: "Typed before the token expired"})
    data["csrf_token"] = "expired-or-forged"
    response = client.post(page(client, world), data=data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Your session had expired; your answers are still here, please press Save again" in html
    assert checked(html, first) == "2" and checked(html, second) == "5"
    assert "Typed before the token expired" in html
    # Pressing Save again (with the fresh token of that page) saves them.
    data["csrf_token"] = csrf_token_from(html)
    assert client.post(page(client, world), data=data).status_code == 303
    assert checked(client.get(page(client, world)).get_data(as_text=True), first) == "2"
    # Without any token the other forms are refused (400).
    response = client.post(f"/panel/studies/{world.study_id}/withdraw", data={"confirm": "yes"})
    assert response.status_code == 400


def test_round_two_feedback_reason_and_anonymity(app, client, auth):
    world = build_study(app, n_panellists=6, n_items=2, require_reason_outside_iqr=True,
                        carry_forward="all")
    first, second = world.item_ids
    spread = [1, 2, 3, 3, 4, 5]
    values = {email: {first: {"importance": spread[i]}, second: {"importance": 3}}
              for i, email in enumerate(world.panellists)}
    secret_comment = "Only anonymised text, from panellist three"
    answer_round(app, world, 1, values, comments={world.panellists[2]: {first: secret_comment}})
    report = close(app, world, 1)
    assert report.next_round is not None and report.next_round.number == 2
    open_round_of(app, world, 2)

    import rounds
    from delphi.core.database import db

    with app.app_context():
        results = rounds.round_results(get_round(world, 1))
    stats = {row["item"]: row for row in results["items"]}

    me = world.panellists[0]
    auth.login(me)
    html = client.get(page(client, world, 2)).get_data(as_text=True)
    # The feedback equals round 1's frozen statistics.
    feedback = html.split(f'<section class="item" id="item-{first}"')[1].split("</section>")[0]
    fmt = lambda v: f"{v:.2f}".rstrip("0").rstrip(".")  # noqa: E731
    assert f"<td>{fmt(stats[first]['median'])}</td>" in feedback
    assert f"{fmt(stats[first]['q1'])} – {fmt(stats[first]['q3'])}" in feedback
    for point, count in enumerate(stats[first]["counts"], start=1):  # the table under "The numbers"
        assert re.search(rf'<tr><th scope="row">{point}( · [^<]*)?</th><td class="num">{count}</td></tr>', feedback)
    assert secret_comment in feedback
    assert "Your previous answer" in feedback and "<td>1 (" in feedback  # own answer: 1
    # Nobody's identity but one's own (the page greets nobody; the layout shows no name).
    for email in [e for e in world.panellists if e != me] + [world.moderator, world.admin]:
        for secret in (email, world.names[email], world.organisations[email]):
            assert secret not in html
    # Outside the IQR without a reason: refused, with the reason field named; with it: submitted.
    outside = {first: 5, second: 3}
    response = client.post(page(client, world, 2), data=form_for(world, outside, action="submit"))
    assert response.status_code == 422
    assert "outside the group" in response.get_data(as_text=True)
    assert checked(response.get_data(as_text=True), first) == "5"
    response = client.post(page(client, world, 2), data=form_for(
        world, outside, action="submit", reasons={first: "New evidence on costs"}))
    assert response.status_code == 303
    # Home and study pages show no other identity either.
    for path in ("/me", f"/panel/studies/{world.study_id}"):
        text = client.get(path).get_data(as_text=True)
        for email in [e for e in world.panellists if e != me]:
            assert world.names[email] not in text and world.organisations[email] not in text
        assert db is not None


def test_access_to_panel_pages(app, client, auth, make_user, world):
    outsider = make_user("outsider.panel@example.org")
    assert client.get(page(client, world)).status_code == 302
    auth.login(outsider.email)
    assert client.get(page(client, world)).status_code == 403
    assert client.post(page(client, world), data={"action": "save"}).status_code == 403
    assert client.get(f"/panel/studies/{world.study_id}").status_code == 403
    assert client.get("/panel/studies/999999").status_code == 404


def test_withdraw(client, auth, world):
    auth.login(world.panellists[3])
    response = client.post(f"/panel/studies/{world.study_id}/withdraw", data={"confirm": "yes"})
    assert response.status_code == 303
    assert client.get(page(client, world)).status_code == 403
    assert "My Delphi studies" not in client.get("/me").get_data(as_text=True)


def test_default_scale_labels_follow_the_reader_language(app, client):
    from sqlalchemy import select

    from delphi.core.database import db
    from delphi.core.models import User
    from tests.factories import answer_round, build_study

    world = build_study(app, n_panellists=2, n_items=1)
    answer_round(app, world, 1, submit=False, who=[])  # opens round 1
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == world.panellists[0]))
        user.language = "fr"
        db.session.commit()
    client.post("/login", data={"email": world.panellists[0], "password": world.password})
    page = client.get(f"/panel/studies/{world.study_id}/rounds/1").get_data(as_text=True)
    assert "Très élevé" in page or "Très élevée" in page
    assert "Very high" not in page


def _set_language(app, email, language):
    from delphi.core.database import db
    from tests.factories import user_by_email

    with app.app_context():
        user_by_email(email).language = language
        db.session.commit()


def _medians(app, world, number):
    import rounds

    with app.app_context():
        results = rounds.round_results(get_round(world, number))
    out = {}
    for row in results["items"]:
        median = row["median"]
        if row["details"].get("too_few"):  # below the min n no median is shown: use the counts
            assert median is None
            median = float(statistics.median(
                [v for v, c in enumerate(row["counts"], start=1) for _ in range(c)]))
        out[row["item"]] = (median, row["counts"])
    return out


def test_autosave_after_submitting_counts_what_is_shown(app, client, auth, world):
    first, second, third = world.item_ids
    auth.login(world.panellists[0])
    values = {item_id: 3 for item_id in world.item_ids}
    assert client.post(page(client, world), data=form_for(world, values, action="submit")).status_code == 303
    # The panellist changes one radio button: the script autosaves the whole form.
    response = client.post(page(client, world) + "/autosave", data=form_for(world, {**values, first: 5}))
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "submitted" and body["has_unsubmitted_changes"] is False
    assert body["fields"] == {} and body["submitted_at"]
    assert body["saved_text"] == "Saved: your submitted answers are updated and count as shown."
    assert "submitted" in body["status_html"] and "the ones that count" in body["status_html"]
    html = client.get(page(client, world)).get_data(as_text=True)
    assert checked(html, first) == "5" and checked(html, second) == "3"
    status = html.split('id="answer-status"')[1].split("</p>")[0]
    assert "submitted" in status and "The answers shown are the ones that count" in status
    assert "not counted" not in html
    assert counted(app, world) == (1, 3)
    close(app, world, 1)
    assert _medians(app, world, 1) == {first: (5.0, [0, 0, 0, 0, 1]), second: (3.0, [0, 0, 1, 0, 0]),
                                       third: (3.0, [0, 0, 1, 0, 0])}


def test_save_button_after_submitting_counts_without_javascript(app, client, auth, world):
    first = world.item_ids[0]
    auth.login(world.panellists[1])
    values = {item_id: 2 for item_id in world.item_ids}
    client.post(page(client, world), data=form_for(world, values, action="submit"))
    html = client.get(page(client, world)).get_data(as_text=True)
    assert '<button name="action" value="save" class="secondary">Save</button>' in html
    response = client.post(page(client, world), data=form_for(world, {**values, first: 4}),
                           follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Saved: your submitted answers are updated and count as shown." in html
    assert checked(html, first) == "4" and "The answers shown are the ones that count" in html
    close(app, world, 1)
    assert _medians(app, world, 1)[first] == (4.0, [0, 0, 0, 1, 0])


@pytest.fixture
def round_two(app):
    """Round 1 closed with item 1 rated 1,2,3,3,4,5 (IQR 2.25..3.75, reasons required
    outside it), item 2 all 3; round 2 open, every panellist submitted 3 on both."""
    world = build_study(app, n_panellists=6, n_items=2, require_reason_outside_iqr=True,
                        carry_forward="all")
    first, second = world.item_ids
    spread = [1, 2, 3, 3, 4, 5]
    answer_round(app, world, 1, {email: {first: {"importance": spread[i]}, second: {"importance": 3}}
                                 for i, email in enumerate(world.panellists)})
    close(app, world, 1)
    answer_round(app, world, 2, lambda email, item_id, criterion: 3)
    return world


def test_a_change_needing_a_reason_is_said_uncounted(app, client, auth, round_two):
    world = round_two
    first, second = world.item_ids
    auth.login(world.panellists[0])
    # Autosave of a rating outside the IQR, without the reason the study asks for.
    response = client.post(page(client, world, 2) + "/autosave", data=form_for(world, {first: 5, second: 3}))
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "submitted" and body["has_unsubmitted_changes"] is True
    uncounted = ("You changed answers since you submitted; they are not counted yet: "
                 "give the missing reason and press Submit.")
    assert body["saved_text"] == uncounted and uncounted in body["status_html"]
    assert list(body["fields"]) == [f"reason-{first}-importance"]
    # The page shows the new value, says it does not count, and marks the reason.
    html = client.get(page(client, world, 2)).get_data(as_text=True)
    assert checked(html, first) == "5"
    assert 'class="answer-status uncounted"' in html and uncounted in html
    assert f'<div class="field reason has-error" data-for="r-{first}-importance">' in html
    assert f'<a href="#reason-{first}-importance">' in html
    # In French too (the panellist's own language).
    _set_language(app, world.panellists[0], "fr")
    html = html_module.unescape(client.get(page(client, world, 2)).get_data(as_text=True))
    assert ("Vous avez modifié des réponses depuis leur envoi ; elles ne sont pas encore comptées : "
            "donnez la justification manquante et appuyez sur Envoyer.") in html
    _set_language(app, world.panellists[0], "en")
    # The Save button without JavaScript says the same.
    response = client.post(page(client, world, 2), data=form_for(world, {first: 5, second: 3}),
                           follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Your changes are saved, but they are not counted yet." in html and uncounted in html
    # Closing counts the answer submitted before, not the uncounted change.
    close(app, world, 2)
    assert _medians(app, world, 2)[first] == (3.0, [0, 0, 6, 0, 0])


def test_giving_the_reason_counts_the_change(app, client, auth, round_two):
    world = round_two
    first, second = world.item_ids
    auth.login(world.panellists[0])
    client.post(page(client, world, 2) + "/autosave", data=form_for(world, {first: 5, second: 3}))
    response = client.post(page(client, world, 2) + "/autosave", data=form_for(
        world, {first: 5, second: 3}, reasons={first: "New evidence on costs"}))
    body = response.get_json()
    assert body["has_unsubmitted_changes"] is False and body["fields"] == {}
    html = client.get(page(client, world, 2)).get_data(as_text=True)
    assert "not counted" not in html and checked(html, first) == "5"
    close(app, world, 2)
    assert _medians(app, world, 2)[first] == (3.0, [0, 0, 5, 0, 1])
