"""The study pages of the secretariat and the staff, through the web forms."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.conftest import csrf_token_from
from tests.factories import build_study, get_round


def study_form(**overrides) -> dict:
    data = {"task_force": "A5", "title": "Carbon market strategies", "description": "Which ones first?",
            "scale_points": "5", "scale_labels": "", "criteria": "importance", "iqr_max": "1",
            "agreement_min": "0.7", "min_n": "3", "max_rounds": "3", "panel_cutoff": "2099-01-01",
            "show_distribution": "y", "show_median_iqr": "y", "show_comments": "y",
            "carry_forward": "all"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def study_id_from(response) -> int:
    return int(re.search(r"/studies/(\d+)$", response.headers["Location"]).group(1))


def questionnaire_form(item_ids, value, action="submit"):
    return {"action": action, **{f"r-{i}-importance": str(value) for i in item_ids}}


def test_whole_loop_through_the_web_forms(app, client, auth):
    world = build_study(app, n_panellists=5, n_items=1)  # the people; the study is made here
    auth.login(world.admin)
    assert client.get("/studies/new").status_code == 200
    response = client.post("/studies/new", data=study_form())
    assert response.status_code == 303, response.get_data(as_text=True)
    sid = study_id_from(response)
    for email, role in ((world.moderator, "moderator"), (world.researcher, "researcher")):
        response = client.post(f"/studies/{sid}/staff", data={"email": email, "role": role})
        assert response.status_code == 303
    html = client.get(f"/studies/{sid}").get_data(as_text=True)
    assert world.names[world.moderator] in html and "Carbon market strategies" in html
    auth.logout()

    # The moderator writes items (with a translation), drafts round 1, picks the items, opens it.
    auth.login(world.moderator)
    for text in ("Set a carbon price floor", "Certify soil carbon credits", "Fund MRV pilots"):
        response = client.post(f"/studies/{sid}/items/new", data={
            "text": text, "background": "", "target": "2030", "text_fr": text + " (fr)"})
        assert response.status_code == 303
    assert client.post(f"/studies/{sid}/rounds", data={"kind": "rating"}).status_code == 303
    import rounds
    from delphi.core.database import db
    from delphi.core.models import Item, Study

    with app.app_context():
        item_ids = list(db.session.scalars(select(Item.id).where(Item.study_id == sid).order_by(Item.id)))
        assert db.session.get(Item, item_ids[0]).translations == {"fr": {"text": "Set a carbon price floor (fr)"}}
    response = client.post(f"/studies/{sid}/rounds/1", data={"item": [str(i) for i in item_ids]})
    assert response.status_code == 303
    response = client.post(f"/studies/{sid}/rounds/1/open", data={"closes_at": "2099-05-01T12:00"})
    assert response.status_code == 303
    assert "Round 1 is open" in client.get(response.headers["Location"]).get_data(as_text=True)
    auth.logout()

    # The panellists read the information sheet, consent, and answer through the questionnaire.
    for index, email in enumerate(world.panellists):
        auth.login(email)
        first = client.get(f"/panel/studies/{sid}/rounds/1")
        assert first.status_code == 303 and "/consent" in first.headers["Location"]
        assert client.post(f"/panel/studies/{sid}/consent",
                           data={"version": "1", "agree": "y"}).status_code == 303
        response = client.post(f"/panel/studies/{sid}/rounds/1",
                               data=questionnaire_form(item_ids, 1 + index % 5))
        assert response.status_code == 303
        auth.logout()

    # The moderator sees who has answered, by name; closes; sees the results.
    auth.login(world.moderator)
    html = client.get(f"/studies/{sid}/rounds/1").get_data(as_text=True)
    assert all(world.names[e] in html for e in world.panellists)
    response = client.post(f"/studies/{sid}/rounds/1/close", data={"confirm": "yes"})
    assert response.status_code == 303
    html = client.get(f"/studies/{sid}/rounds/1").get_data(as_text=True)
    assert "Results" in html and "Stopping rule" in html
    with app.app_context():
        results = rounds.round_results(get_round(_World(sid), 1))
    for row in results["items"]:
        assert f'<td class="num">{row["n"]}</td>' in html
    # Round 2 was drafted from round 1: its panellists see round 1's statistics.
    response = client.post(f"/studies/{sid}/rounds/2/open", data={"confirm": "yes"})
    assert response.status_code == 303

    # An amendment of the locked protocol needs a reason, and is recorded.
    protocol = study_form(max_rounds="4")
    protocol.pop("task_force")
    response = client.post(f"/studies/{sid}/protocol", data=protocol)
    assert response.status_code == 422 and "reason" in response.get_data(as_text=True)
    response = client.post(f"/studies/{sid}/protocol", data={**protocol, "reason": "Slow convergence"})
    assert response.status_code == 303
    html = client.get(f"/studies/{sid}").get_data(as_text=True)
    # The amended field is named as the protocol form names it, never by its code.
    assert "Slow convergence" in html and "<td>At most this many rounds</td>" in html
    assert "max_rounds" not in html
    # The scale can no longer change: a clear 409 page.
    response = client.post(f"/studies/{sid}/protocol", data={**study_form(scale_points="7"),
                                                             "reason": "Finer scale"})
    assert response.status_code == 409
    assert "cannot change" in response.get_data(as_text=True)
    with app.app_context():
        study = db.session.get(Study, sid)
        assert study.max_rounds == 4 and study.scale_points == 5
    auth.logout()

    # Round 2's questionnaire shows round 1's frozen statistics.
    auth.login(world.panellists[0])
    html = client.get(f"/panel/studies/{sid}/rounds/2").get_data(as_text=True)
    row = next(r for r in results["items"] if r["item"] == item_ids[0])
    section = html.split(f'<section class="item" id="item-{item_ids[0]}"')[1].split("</section>")[0]
    assert f'{row["q1"]:g} – {row["q3"]:g}' in section
    for point, count in enumerate(row["counts"], start=1):  # the distribution's table
        assert re.search(rf'<th scope="row">{point}( · [^<]*)?</th><td class="num">{count}</td>', section)
    auth.logout()

    # The moderator closes round 2 and ends the study.
    auth.login(world.moderator)
    assert client.post(f"/studies/{sid}/rounds/2/close", data={"confirm": "yes"}).status_code == 303
    assert client.post(f"/studies/{sid}/end", data={"reason": "Enough", "confirm": "yes"}).status_code == 303
    assert "ended" in client.get(f"/studies/{sid}").get_data(as_text=True)


class _World:
    def __init__(self, study_id):
        self.study_id = study_id


def test_bad_inputs_on_the_forms(app, client, auth):
    world = build_study(app, n_panellists=3, n_items=2)
    auth.login(world.admin)
    for change, text in [({"title": ""}, "This field is required"),
                         ({"scale_labels": "low\nhigh"}, "one label for each scale point"),
                         ({"criteria": "a, b, c, d"}, "one to three"),
                         ({"agreement_min": "7"}, "a share from 0 to 1"),
                         ({"task_force": "Z9"}, "There is no such task force")]:
        response = client.post("/studies/new", data=study_form(**change))
        assert response.status_code == 422, change
        assert text.lower() in response.get_data(as_text=True).lower(), change
    response = client.post(f"/studies/{world.study_id}/staff", data={"email": "nobody@example.org",
                                                                     "role": "moderator"})
    assert response.status_code == 303
    assert "No member has this email" in client.get(response.headers["Location"]).get_data(as_text=True)
    auth.logout()

    auth.login(world.moderator)
    sid = world.study_id
    response = client.post(f"/studies/{sid}/items/new", data={"text": "", "target": ""})
    assert response.status_code == 422
    # Round 1 is a draft already: drafting another is a clear message, not a 500.
    response = client.post(f"/studies/{sid}/rounds", data={"kind": "rating"})
    assert response.status_code == 303
    assert "draft" in client.get(response.headers["Location"]).get_data(as_text=True).lower()
    # Closing a draft round: refused with a message.
    response = client.post(f"/studies/{sid}/rounds/1/close", data={"confirm": "yes"})
    assert response.status_code == 303
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'class="flash error"' in html
    # Opening a round with a bad date: the form error, nothing opened.
    response = client.post(f"/studies/{sid}/rounds/1/open", data={"closes_at": "tomorrow"})
    assert response.status_code == 303
    assert "Round 1 is open" not in client.get(response.headers["Location"]).get_data(as_text=True)
    # A rated item cannot be edited in place; a rewording becomes a new item with lineage.
    assert client.post(f"/studies/{sid}/rounds/1/open", data={"confirm": "yes"}).status_code == 303
    item_id = world.item_ids[0]
    response = client.post(f"/studies/{sid}/items/{item_id}", data={"text": "Changed", "target": ""})
    assert response.status_code == 409
    response = client.post(f"/studies/{sid}/items/{item_id}", data={"text": "Reworded", "target": "",
                                                                   "as_new": "1"})
    assert response.status_code == 303
    from delphi.core.database import db
    from delphi.core.models import Item

    with app.app_context():
        new = db.session.scalar(select(Item).where(Item.study_id == sid, Item.text == "Reworded"))
        assert new.lineage == {"proposals": [], "items": [item_id]}
    # Unknown objects: 404.
    assert client.get(f"/studies/{sid}/rounds/9").status_code == 404
    assert client.get(f"/studies/{sid}/items/999999").status_code == 404
    assert client.get("/studies/999999").status_code == 404


def test_panel_management_and_names(app, client, auth, make_user):
    world = build_study(app, n_panellists=3, n_items=2)
    extra = make_user("late.joiner@example.org", name="Late Joiner Qpx")
    sid = world.study_id
    auth.login(world.moderator)
    # Not a member of the task force: a warning to confirm first (see test_safeguards.py).
    response = client.post(f"/studies/{sid}/panellists", data={"email": extra.email})
    assert response.status_code == 200 and "not an approved member" in response.get_data(as_text=True)
    response = client.post(f"/studies/{sid}/panellists", data={"email": extra.email, "confirm": "yes"})
    assert response.status_code == 303
    html = client.get(f"/studies/{sid}").get_data(as_text=True)
    assert "Late Joiner Qpx" in html
    pseudonym = re.search(r"<td>(P-[A-Z0-9]+)</td><td>Late Joiner Qpx", html).group(1)
    response = client.post(f"/studies/{sid}/panellists", data={"email": extra.email})
    assert "already" in client.get(response.headers["Location"]).get_data(as_text=True)
    response = client.post(f"/studies/{sid}/panellists/{pseudonym}/withdraw", data={"confirm": "yes"})
    assert response.status_code == 303
    assert "withdrawn" in client.get(f"/studies/{sid}").get_data(as_text=True)
    auth.logout()
    # The researcher sees aggregates, never names.
    auth.login(world.researcher)
    html = client.get(f"/studies/{sid}").get_data(as_text=True)
    assert "Late Joiner Qpx" not in html
    assert all(world.names[e] not in html for e in world.panellists)
    assert client.post(f"/studies/{sid}/panellists", data={"email": extra.email}).status_code == 403


def test_merge_proposals_into_items(app, client, auth):
    import rounds
    from delphi.core.database import db
    from delphi.core.models import Item, Proposal, RoundKind

    world = build_study(app, n_panellists=3, n_items=0)
    sid = world.study_id
    with app.app_context():
        from tests.factories import user_by_email

        study = db.session.get(rounds.studies.Study, sid)
        rnd = get_round(world, 1)
        rnd.kind = RoundKind.open_ended
        rounds.open_round(rnd, actor=user_by_email(world.moderator))
        db.session.commit()
    auth.login(world.panellists[0])
    client.post(f"/panel/studies/{sid}/consent", data={"version": "1", "agree": "y"})
    response = client.post(f"/panel/studies/{sid}/rounds/1/proposals",
                           data={"proposals": "Tax carbon\nReward farmers for soil carbon"})
    assert response.status_code == 303
    auth.logout()
    auth.login(world.moderator)
    with app.app_context():
        ids = list(db.session.scalars(select(Proposal.id).order_by(Proposal.id)))
    html = client.get(f"/studies/{sid}/rounds/1/merge").get_data(as_text=True)
    assert "Reward farmers for soil carbon" in html
    response = client.post(f"/studies/{sid}/rounds/1/merge", data={"proposal": [str(i) for i in ids],
                                                                   "text": "Price and reward soil carbon"})
    assert response.status_code == 303
    with app.app_context():
        item = db.session.scalar(select(Item).where(Item.study_id == sid))
        assert item.text == "Price and reward soil carbon" and item.lineage["proposals"] == ids
        assert study is not None
    response = client.post(f"/studies/{sid}/rounds/1/merge", data={"text": "From nothing"})
    assert response.status_code == 200 and "Tick the proposals" in response.get_data(as_text=True)


def test_access_to_study_pages(app, client, auth, make_user):
    world = build_study(app, n_panellists=3, n_items=2)
    sid = world.study_id
    for path in ("/studies/", f"/studies/{sid}", "/studies/new", f"/studies/{sid}/rounds/1"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path
    member = make_user("member.only@example.org")
    auth.login(member.email)
    assert client.get("/studies/").status_code == 200
    for path in (f"/studies/{sid}", "/studies/new", f"/studies/{sid}/rounds/1", f"/studies/{sid}/protocol"):
        assert client.get(path).status_code == 403, path
    assert client.post(f"/studies/{sid}/rounds/1/open").status_code == 403
    auth.logout()
    auth.login(world.researcher)
    assert client.get(f"/studies/{sid}/rounds/1").status_code == 200
    assert client.get(f"/studies/{sid}/protocol").status_code == 403
    assert client.post(f"/studies/{sid}/rounds/1/open").status_code == 403
    assert client.post(f"/studies/{sid}/staff", data={"email": member.email, "role": "moderator"}).status_code == 403


@pytest.mark.csrf
def test_forms_without_csrf_token_are_refused(app, client, auth):
    world = build_study(app, n_panellists=3, n_items=2)
    html = client.get("/login").get_data(as_text=True)
    client.post("/login", data={"email": world.admin, "password": world.password,
                                "csrf_token": csrf_token_from(html)})
    assert client.post("/studies/new", data=study_form()).status_code == 400
    assert client.post(f"/studies/{world.study_id}/rounds/1/open").status_code == 400
    html = client.get("/studies/new").get_data(as_text=True)
    response = client.post("/studies/new", data={**study_form(), "csrf_token": csrf_token_from(html)})
    assert response.status_code == 303



def test_study_page_links_the_dashboard_and_the_exports_for_researchers(app, client, auth):
    from tests.factories import build_study

    world = build_study(app, n_panellists=3, n_items=2)
    auth.login(world.researcher)
    page = client.get(f"/studies/{world.study_id}").get_data(as_text=True)
    assert f"/studies/{world.study_id}/dashboard" in page
    assert f"/studies/{world.study_id}/exports" in page
    auth.logout()
    auth.login(world.moderator)
    page = client.get(f"/studies/{world.study_id}").get_data(as_text=True)
    assert f"/studies/{world.study_id}/dashboard" in page
    assert f"/studies/{world.study_id}/exports" not in page
