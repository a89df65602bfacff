"""The studies JSON API (issue 4 §8): the whole Delphi loop, bad input, access."""
from __future__ import annotations

import json

import pytest

from tests.factories import build_study, consent_through_api

BASE = "/api/v1/studies"


def value_of(index: int, item_index: int, points: int = 5) -> int:
    """A deterministic spread of ratings: panellist ``index`` on item ``item_index``."""
    return (index + 2 * item_index) % points + 1


def ratings_body(item_ids, index, *, criterion="importance", submit=True, **extra):
    return {"ratings": [{"item": item_id, "criterion": criterion, "value": value_of(index, k)}
                        for k, item_id in enumerate(item_ids)], "submit": submit, **extra}


def identities(world, *, except_email=None) -> list[str]:
    """Every name, email and organisation of the world's people but ``except_email``'s."""
    out = []
    for email in [world.admin, world.moderator, world.researcher, *world.panellists]:
        if email != except_email:
            out += [email, world.names[email], world.organisations[email]]
    return out


def assert_no_identity(response, world, *, except_email=None):
    text = response.get_data(as_text=True)
    for secret in identities(world, except_email=except_email):
        assert secret not in text, f"{secret!r} leaked"


@pytest.fixture
def world(app):
    # The users of a world; the study under test is created through the API.
    return build_study(app, n_panellists=6, n_items=1)


@pytest.fixture
def tokens(auth, world):
    cache = {}

    def token(email):
        if email not in cache:
            cache[email] = auth.token(email)
        return cache[email]

    return token


def create_study(client, tokens, world, **overrides):
    body = {"task_force": "A5", "title": "Carbon markets strategies", "scale_points": 5,
            "criteria": ["importance"], "consensus": {"iqr_max": 1, "agreement_min": 0.7},
            "max_rounds": 3, "panel_cutoff": "2099-01-01", "carry_forward": "all", **overrides}
    response = client.post(BASE, json=body, headers=tokens(world.admin))
    assert response.status_code == 201, response.get_json()
    study = response.get_json()
    response = client.post(f"{BASE}/{study['id']}/staff", json={"email": world.moderator, "role": "moderator"},
                           headers=tokens(world.admin))
    assert response.status_code == 201, response.get_json()
    response = client.post(f"{BASE}/{study['id']}/staff", json={"email": world.researcher, "role": "researcher"},
                           headers=tokens(world.admin))
    assert response.status_code == 201, response.get_json()
    return study


def draft_and_open(client, tokens, world, study_id, texts=("Item one", "Item two", "Item three")):
    mod = tokens(world.moderator)
    response = client.post(f"{BASE}/{study_id}/rounds", json={"items": [{"text": t} for t in texts]},
                           headers=mod)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["number"] == 1 and response.get_json()["status"] == "draft"
    response = client.post(f"{BASE}/{study_id}/rounds/1/open", headers=mod)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "open"
    items = [item["id"] for item in response.get_json()["items"]]
    consent_through_api(client, tokens, study_id, world.panellists)
    return items


def test_whole_loop_through_the_api(client, tokens, world):
    study = create_study(client, tokens, world)
    assert study["task_force"] == "A5" and study["scale_points"] == 5 and study["status"] == "draft"
    sid = study["id"]
    item_ids = draft_and_open(client, tokens, world, sid)

    # Round 1: no feedback; everybody submits.
    first = world.panellists[0]
    response = client.get(f"{BASE}/{sid}/rounds/1", headers=tokens(first))
    assert response.status_code == 200
    body = response.get_json()
    assert body["number"] == 1 and body["status"] == "open"
    assert [i["id"] for i in body["items"]] == item_ids
    assert all(i["feedback"] is None for i in body["items"])
    assert_no_identity(response, world)
    for index, email in enumerate(world.panellists):
        response = client.put(f"{BASE}/{sid}/rounds/1/response", json=ratings_body(item_ids, index),
                              headers=tokens(email))
        assert response.status_code == 200, response.get_json()
        assert response.get_json() == {"status": "submitted"}

    # The moderator closes; results are the frozen statistics.
    response = client.post(f"{BASE}/{sid}/rounds/1/close", headers=tokens(world.moderator))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "closed"
    results = client.get(f"{BASE}/{sid}/rounds/1/results", headers=tokens(world.researcher))
    assert results.status_code == 200
    results = results.get_json()
    assert results["response_rate"] == 1.0
    assert {row["item"] for row in results["items"]} == set(item_ids)
    for row in results["items"]:
        assert row["n"] == len(world.panellists)
        assert row["consensus"] == (row["verdict"] == "consensus_in")
    assert "importance" in results["concordance"]

    # Round 2 (drafted at close, every item carried): the moderator opens it,
    # a panellist sees round 1's frozen statistics and their own answer.
    listing = client.get(BASE, headers=tokens(world.moderator)).get_json()
    mine = next(s for s in listing if s["id"] == sid)
    assert [(r["number"], r["status"]) for r in mine["rounds"]] == [(1, "closed"), (2, "draft")]
    draft = client.get(f"{BASE}/{sid}/rounds/2", headers=tokens(world.moderator))
    assert draft.status_code == 200 and draft.get_json()["status"] == "draft"
    response = client.post(f"{BASE}/{sid}/rounds/2/open", headers=tokens(world.moderator))
    assert response.status_code == 200
    for index, email in enumerate(world.panellists[:2]):
        response = client.get(f"{BASE}/{sid}/rounds/2", headers=tokens(email))
        assert response.status_code == 200
        assert_no_identity(response, world)
        by_item = {i["id"]: i for i in response.get_json()["items"]}
        assert set(by_item) == set(item_ids)
        for row in results["items"]:
            shown = by_item[row["item"]]["feedback"]["criteria"]["importance"]
            for key in ("median", "q1", "q3", "iqr"):
                assert shown[key] == pytest.approx(row[key])
            assert sum(shown["counts"]) == row["n"]
            assert shown["own_previous"] == value_of(index, item_ids.index(row["item"]))
        assert isinstance(by_item[item_ids[0]]["feedback"]["comments"], list)

    # Amend: submit, then submit different answers; the later ones count.
    email = world.panellists[0]
    assert client.put(f"{BASE}/{sid}/rounds/2/response", json=ratings_body(item_ids, 0),
                      headers=tokens(email)).status_code == 200
    amended = {"ratings": [{"item": i, "criterion": "importance", "value": 5, "reason": "Changed my mind"}
                           for i in item_ids], "submit": True}
    response = client.put(f"{BASE}/{sid}/rounds/2/response", json=amended, headers=tokens(email))
    assert response.status_code == 200 and response.get_json() == {"status": "submitted"}
    # A save after submitting (no "submit") re-submits: the answer last shown is the one counted.
    response = client.put(f"{BASE}/{sid}/rounds/2/response",
                          json={"ratings": [{"item": item_ids[0], "criterion": "importance", "value": 1}]},
                          headers=tokens(email))
    assert response.status_code == 200 and response.get_json() == {"status": "submitted"}
    shown = client.get(f"{BASE}/{sid}/rounds/2", headers=tokens(email)).get_json()["response"]
    assert shown["status"] == "submitted"
    assert shown["answers"][str(item_ids[0])]["ratings"]["importance"]["value"] == 1

    response = client.post(f"{BASE}/{sid}/rounds/2/close", headers=tokens(world.moderator))
    assert response.status_code == 200
    results2 = client.get(f"{BASE}/{sid}/rounds/2/results", headers=tokens(world.moderator)).get_json()
    assert {row["n"] for row in results2["items"]} == {1}
    # One answer is below the study's min n: no figure, "too few answers"; the counts
    # show the rating that counted.
    assert all(row["median"] is None and row["details"]["too_few"] for row in results2["items"])
    assert {row["item"]: row["counts"].index(1) + 1 for row in results2["items"]} == {
        item: (1 if item == item_ids[0] else 5) for item in item_ids}  # what was shown last counts

    # After the close: 409, never a 500.
    response = client.put(f"{BASE}/{sid}/rounds/2/response", json=ratings_body(item_ids, 1),
                          headers=tokens(world.panellists[1]))
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "invalid_state"


def test_double_submit_counts_once(app, client, tokens, world):
    sid = create_study(client, tokens, world)["id"]
    item_ids = draft_and_open(client, tokens, world, sid)
    email = world.panellists[0]
    body = ratings_body(item_ids, 0, submit_key="4b2a0d7c-key")
    for _ in range(2):
        response = client.put(f"{BASE}/{sid}/rounds/1/response", json=body, headers=tokens(email))
        assert response.status_code == 200 and response.get_json() == {"status": "submitted"}
    assert client.post(f"{BASE}/{sid}/rounds/1/close", headers=tokens(world.moderator)).status_code == 200
    results = client.get(f"{BASE}/{sid}/rounds/1/results", headers=tokens(world.moderator)).get_json()
    assert {row["n"] for row in results["items"]} == {1}
    assert results["submitted"] == 1


def test_bad_inputs_get_their_4xx(client, tokens, world):
    admin = tokens(world.admin)
    # Malformed JSON, and a body that is not an object.
    response = client.post(BASE, data="{not json", content_type="application/json", headers=admin)
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "malformed_json"
    assert client.post(BASE, json=[1, 2], headers=admin).status_code == 400
    # Each wrong field is named.
    good = {"task_force": "A5", "title": "T"}
    for change, name in [({"title": None}, "title"), ({"task_force": "Z9"}, "task_force"),
                         ({"scale_points": 6}, "scale_points"), ({"scale_points": "5"}, "scale_points"),
                         ({"criteria": ["a", "b", "c", "d"]}, "criteria"),
                         ({"consensus": {"agreement_min": 3}}, "consensus.agreement_min"),
                         ({"panel_cutoff": "31/10/2020"}, "panel_cutoff"),
                         ({"max_rounds": 0}, "max_rounds")]:
        response = client.post(BASE, json={**good, **change}, headers=admin)
        assert response.status_code == 422, (change, response.get_json())
        fields = response.get_json()["error"]["fields"]
        # The values are the study service's to check (rounds.Protocol names each key).
        assert name in fields, (change, response.get_json())
    # JSON types are the schema's: ``true`` is not a number, inside the rule too.
    for change, name in [({"consensus": {"iqr_max": True}}, "consensus.iqr_max"),
                         ({"consensus": {"median_range": [1, "5"]}}, "consensus.median_range[1]"),
                         ({"max_rounds": True}, "max_rounds"), ({"max_rounds": 2.5}, "max_rounds"),
                         ({"title": 1}, "title"), ({"criteria": "importance"}, "criteria"),
                         ({"show_comments": "yes"}, "show_comments")]:
        response = client.post(BASE, json={**good, **change}, headers=admin)
        assert response.status_code == 422, (change, response.get_json())
        assert name in response.get_json()["error"]["fields"], (change, response.get_json())

    sid = create_study(client, tokens, world)["id"]
    mod = tokens(world.moderator)
    # Rounds: a missing text, an illegal move.
    response = client.post(f"{BASE}/{sid}/rounds", json={"items": [{"text": "  "}]}, headers=mod)
    assert response.status_code == 422 and "items[0].text" in response.get_json()["error"]["fields"]
    assert client.post(f"{BASE}/{sid}/rounds/1/open", headers=mod).status_code == 404
    assert client.post(f"{BASE}/{sid}/rounds", json={"items": [{"text": "One"}]}, headers=mod).status_code == 201
    assert client.post(f"{BASE}/{sid}/rounds/1/close", headers=mod).status_code == 409  # draft → closed
    # Answering a draft round: 409 (the panel is enrolled at open; add one by hand).
    assert client.post(f"{BASE}/{sid}/panellists", json={"email": world.panellists[0]},
                       headers=mod).status_code == 201
    item_id = client.get(f"{BASE}/{sid}/rounds/1", headers=mod).get_json()["items"][0]["id"]
    pan = tokens(world.panellists[0])
    one = {"ratings": [{"item": item_id, "criterion": "importance", "value": 3}]}
    assert client.put(f"{BASE}/{sid}/rounds/1/response", json=one, headers=pan).status_code == 409
    assert client.post(f"{BASE}/{sid}/rounds/1/open", headers=mod).status_code == 200
    assert client.post(f"{BASE}/{sid}/rounds/1/open", headers=mod).status_code == 409  # twice
    consent_through_api(client, tokens, sid, [world.panellists[0]])
    # Answers: each wrong field named.
    for rating, name in [({"item": item_id, "criterion": "importance", "value": 9}, "ratings[0].value"),
                         ({"item": item_id, "criterion": "importance", "value": "3"}, "ratings[0].value"),
                         ({"item": item_id, "criterion": "importance", "value": True}, "ratings[0].value"),
                         ({"item": item_id, "criterion": "importance"}, "ratings[0].value"),
                         ({"item": 999_999, "criterion": "importance", "value": 3}, "ratings[0].item"),
                         ({"item": item_id, "criterion": "beauty", "value": 3}, "ratings[0].criterion")]:
        response = client.put(f"{BASE}/{sid}/rounds/1/response", json={"ratings": [rating]}, headers=pan)
        assert response.status_code == 422, (rating, response.get_json())
        assert name in response.get_json()["error"]["fields"], (rating, response.get_json())
    response = client.put(f"{BASE}/{sid}/rounds/1/response", json={"ratings": "3"}, headers=pan)
    assert response.status_code == 422 and "ratings" in response.get_json()["error"]["fields"]
    response = client.put(f"{BASE}/{sid}/rounds/1/response", data="[", content_type="application/json",
                          headers=pan)
    assert response.status_code == 400
    # Submitting an incomplete answer names what is missing; "cannot rate" (null) completes it.
    response = client.put(f"{BASE}/{sid}/rounds/1/response", json={"ratings": [], "submit": True}, headers=pan)
    assert response.status_code == 422 and response.get_json()["error"]["fields"]
    second = client.post(f"{BASE}/{sid}/rounds", json={}, headers=mod)
    assert second.status_code == 409  # round 1 is open: no second draft
    response = client.put(f"{BASE}/{sid}/rounds/1/response", json={
        "ratings": [{"item": item_id, "criterion": "importance", "value": None}], "submit": True}, headers=pan)
    assert response.status_code == 200 and response.get_json() == {"status": "submitted"}
    # Panel: unknown email 422, twice 409, unknown pseudonym 404.
    response = client.post(f"{BASE}/{sid}/panellists", json={"email": "nobody@example.org"}, headers=mod)
    assert response.status_code == 422 and "email" in response.get_json()["error"]["fields"]
    assert client.post(f"{BASE}/{sid}/panellists", json={"email": world.panellists[0]},
                       headers=mod).status_code == 409
    assert client.delete(f"{BASE}/{sid}/panellists/P-NOBODY", headers=mod).status_code == 404
    # Unknown objects: 404.
    assert client.get(f"{BASE}/999999", headers=mod).status_code == 404
    assert client.get(f"{BASE}/{sid}/rounds/7", headers=mod).status_code == 404
    # Results of an open round: 409.
    assert client.get(f"{BASE}/{sid}/rounds/1/results", headers=mod).status_code == 409


def test_access(client, tokens, world, make_user):
    outsider = make_user("outsider@example.org", name="Outsider Qwv")
    sid = create_study(client, tokens, world)["id"]
    item_ids = draft_and_open(client, tokens, world, sid)
    panellist, member = tokens(world.panellists[0]), tokens(outsider.email)

    # Anonymous: 401 everywhere.
    for method, path in [("get", BASE), ("post", BASE), ("get", f"{BASE}/{sid}/rounds/1"),
                         ("put", f"{BASE}/{sid}/rounds/1/response"), ("get", f"{BASE}/{sid}/rounds/1/results")]:
        assert getattr(client, method)(path, json={}).status_code == 401, path
    # A member on no panel.
    assert client.post(BASE, json={"task_force": "A5", "title": "x"}, headers=member).status_code == 403
    assert client.get(BASE, headers=member).get_json() == []
    assert client.get(f"{BASE}/{sid}", headers=member).status_code == 403
    assert client.get(f"{BASE}/{sid}/rounds/1", headers=member).status_code == 403
    response = client.put(f"{BASE}/{sid}/rounds/1/response", json=ratings_body(item_ids, 0), headers=member)
    assert response.status_code == 403
    # A panellist: their study only, no results, no moderation.
    studies = client.get(BASE, headers=panellist).get_json()
    assert [s["id"] for s in studies] == [sid]
    assert client.get(f"{BASE}/{sid}/rounds/1/results", headers=panellist).status_code == 403
    assert client.post(f"{BASE}/{sid}/rounds/1/close", headers=panellist).status_code == 403
    assert client.post(f"{BASE}/{sid}/panellists", json={"email": outsider.email},
                       headers=panellist).status_code == 403
    # The researcher reads, never moderates; never sees a draft's answers.
    researcher = tokens(world.researcher)
    assert client.post(f"{BASE}/{sid}/rounds/1/close", headers=researcher).status_code == 403
    assert client.post(f"{BASE}/{sid}/rounds", json={"items": []}, headers=researcher).status_code == 403
    # The admin sees every study.
    assert sid in [s["id"] for s in client.get(BASE, headers=tokens(world.admin)).get_json()]
    # The moderator withdraws a panellist: they can no longer answer (403).
    pseudonyms = []
    for email in world.panellists[:2]:
        body = client.get(f"{BASE}/{sid}/rounds/1", headers=tokens(email)).get_json()
        assert "pseudonym" not in json.dumps(body)  # nobody's pseudonym either
    mod = tokens(world.moderator)
    response = client.post(f"{BASE}/{sid}/panellists", json={"email": outsider.email}, headers=mod)
    assert response.status_code == 201
    pseudonym = response.get_json()["pseudonym"]
    pseudonyms.append(pseudonym)
    assert pseudonym.startswith("P-") and str(outsider.id) != pseudonym
    consent_through_api(client, lambda _email: member, sid, [outsider.email])
    assert client.put(f"{BASE}/{sid}/rounds/1/response", json=ratings_body(item_ids, 0),
                      headers=member).status_code == 200
    response = client.delete(f"{BASE}/{sid}/panellists/{pseudonym}", headers=mod)
    assert response.status_code == 200 and response.get_json()["status"] == "withdrawn"
    assert client.put(f"{BASE}/{sid}/rounds/1/response", json=ratings_body(item_ids, 0),
                      headers=member).status_code == 403


def test_panellist_withdraws_themselves(client, tokens, world, make_user):
    sid = create_study(client, tokens, world)["id"]
    member = make_user("self@example.org")
    mod = tokens(world.moderator)
    pseudonym = client.post(f"{BASE}/{sid}/panellists", json={"email": member.email},
                            headers=mod).get_json()["pseudonym"]
    other = client.post(f"{BASE}/{sid}/panellists", json={"email": world.panellists[0]},
                        headers=mod).get_json()["pseudonym"]
    me = tokens(member.email)
    assert client.delete(f"{BASE}/{sid}/panellists/{other}", headers=me).status_code == 403
    assert client.delete(f"{BASE}/{sid}/panellists/{pseudonym}", headers=me).status_code == 200
    assert client.get(BASE, headers=me).get_json() == []


def test_openapi_lists_the_study_paths(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path, method in [("/studies", "post"), ("/studies", "get"), ("/studies/{study_id}/panellists", "post"),
                         ("/studies/{study_id}/panellists/{pseudonym}", "delete"), ("/studies/{study_id}/rounds", "post"),
                         ("/studies/{study_id}/rounds/{number}", "get"), ("/studies/{study_id}/rounds/{number}/open", "post"),
                         ("/studies/{study_id}/rounds/{number}/close", "post"), ("/studies/{study_id}/rounds/{number}/response", "put"),
                         ("/studies/{study_id}/rounds/{number}/results", "get")]:
        assert method in paths[path], (path, method)


def test_an_incomplete_submission_keeps_the_answers_given_as_a_draft(app, client, tokens, world):
    from sqlalchemy import select

    from delphi.core.database import db
    from delphi.core.models import Response, ResponseStatus

    sid = create_study(client, tokens, world)["id"]
    item_ids = draft_and_open(client, tokens, world, sid)
    pan = tokens(world.panellists[0])
    given = {"item": item_ids[0], "criterion": "importance", "value": 4, "comment": "Keep this one"}
    response = client.put(f"{BASE}/{sid}/rounds/1/response",
                          json={"ratings": [given], "submit": True}, headers=pan)
    assert response.status_code == 422
    missing = response.get_json()["error"]["fields"]
    assert any(str(item_ids[1]) in key for key in missing)
    with app.app_context():
        row = db.session.scalar(select(Response))
        assert row.status is ResponseStatus.draft
        assert [v["value"] for v in row.draft["ratings"].values()] == [4]
        assert row.ratings == []   # nothing counts yet
