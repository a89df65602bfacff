"""What a panellist sees is what counts (issue 10): after submitting, a save
re-submits when it can; when it cannot, the page says so and the old answers
count. The page, the API and the frozen statistics agree."""
from __future__ import annotations

import re
import statistics

import pytest

import rounds
from tests.factories import answer_round, build_study, close, get_round, panellist_of

API = "/api/v1/studies"


def checked(html: str, item_id: int) -> str | None:
    match = re.search(rf'name="r-{item_id}-importance" value="([^"]+)" checked', html)
    return match.group(1) if match else None


def shown_by_api(client, headers, world, number, item_id):
    body = client.get(f"{API}/{world.study_id}/rounds/{number}", headers=headers).get_json()
    return body["response"]["status"], body["response"]["answers"][str(item_id)]["ratings"]["importance"]["value"]


def frozen(client, headers, world, number, item_id):
    results = client.get(f"{API}/{world.study_id}/rounds/{number}/results", headers=headers).get_json()
    row = next(r for r in results["items"] if r["item"] == item_id)
    if row["details"].get("too_few"):  # below the min n the results show no median: use the counts
        assert row["median"] is None
        values = [v for v, c in enumerate(row["counts"], start=1) for _ in range(c)]
        return statistics.median(values), row["counts"]
    return row["median"], row["counts"]


def put(client, headers, world, number, values: dict, *, submit=False, reasons=None):
    body = {"ratings": [{"item": i, "criterion": "importance", "value": v,
                         **({"reason": reasons[i]} if reasons and i in reasons else {})}
                        for i, v in values.items()], "submit": submit}
    return client.put(f"{API}/{world.study_id}/rounds/{number}/response", json=body, headers=headers)


def test_an_api_save_after_submitting_counts_and_the_page_agrees(app, client, auth):
    world = build_study(app, n_panellists=5, n_items=2)
    first, second = world.item_ids
    answer_round(app, world, 1, who=[])  # opens round 1
    me = auth.token(world.panellists[0])
    assert put(client, me, world, 1, {first: 2, second: 2}, submit=True).get_json() == {"status": "submitted"}
    response = put(client, me, world, 1, {first: 5})  # no "submit": re-submits
    assert response.status_code == 200 and response.get_json() == {"status": "submitted"}
    assert shown_by_api(client, me, world, 1, first) == ("submitted", 5)
    auth.login(world.panellists[0])
    html = client.get(f"/panel/studies/{world.study_id}/rounds/1").get_data(as_text=True)
    assert checked(html, first) == "5" and "The answers shown are the ones that count" in html
    moderator = auth.token(world.moderator)
    assert client.post(f"{API}/{world.study_id}/rounds/1/close", headers=moderator).status_code == 200
    assert frozen(client, moderator, world, 1, first) == (5, [0, 0, 0, 0, 1])
    assert frozen(client, moderator, world, 1, second) == (2, [0, 1, 0, 0, 0])


@pytest.fixture
def round_two(app):
    """Round 1 closed with item 1 rated 1,2,3,3,4,5 (IQR 2.25..3.75; a reason is
    required outside it); round 2 open, every panellist submitted 3."""
    world = build_study(app, n_panellists=6, n_items=1, require_reason_outside_iqr=True,
                        carry_forward="all")
    item = world.item_ids[0]
    spread = [1, 2, 3, 3, 4, 5]
    answer_round(app, world, 1, {e: {item: {"importance": spread[k]}} for k, e in enumerate(world.panellists)})
    close(app, world, 1)
    answer_round(app, world, 2, lambda email, item_id, criterion: 3)
    return world, item


def test_an_uncounted_change_is_shown_as_such_and_the_old_answer_counts(app, client, auth, round_two):
    world, item = round_two
    me = auth.token(world.panellists[0])
    response = put(client, me, world, 2, {item: 5})  # outside the IQR, no reason
    assert response.status_code == 200
    assert shown_by_api(client, me, world, 2, item) == ("submitted", 5)
    with app.app_context():  # what the API's round object is to expose (has_unsubmitted_changes)
        q = rounds.questionnaire(get_round(world, 2), panellist_of(world, world.panellists[0]))
        assert q.has_unsubmitted_changes and q.items[0].submitted == {"importance": 3}
        assert list(q.missing) == [f"{item}:importance.reason"]
    # Submitting without the reason: 422 naming it; nothing changes in what counts.
    response = put(client, me, world, 2, {item: 5}, submit=True)
    assert response.status_code == 422
    assert list(response.get_json()["error"]["fields"]) == [f"{item}:importance.reason"]
    auth.login(world.panellists[0])
    html = client.get(f"/panel/studies/{world.study_id}/rounds/2").get_data(as_text=True)
    assert checked(html, item) == "5"
    assert "they are not counted yet: give the missing reason and press Submit." in html
    moderator = auth.token(world.moderator)
    assert client.post(f"{API}/{world.study_id}/rounds/2/close", headers=moderator).status_code == 200
    assert frozen(client, moderator, world, 2, item) == (3, [0, 0, 6, 0, 0])
    # After the close the page and the API show the answer that counted, and say the change did not.
    html = client.get(f"/panel/studies/{world.study_id}/rounds/2").get_data(as_text=True)
    assert "This round is closed." in html and checked(html, item) == "3"
    assert "the round closed before they could count: the answers shown are the ones that counted." in html
    assert shown_by_api(client, me, world, 2, item) == ("submitted", 3)


def test_the_reason_given_through_the_api_counts_the_change(app, client, auth, round_two):
    world, item = round_two
    me = auth.token(world.panellists[0])
    put(client, me, world, 2, {item: 5})
    response = put(client, me, world, 2, {item: 5}, reasons={item: "New field data"})
    assert response.status_code == 200 and response.get_json() == {"status": "submitted"}
    with app.app_context():
        assert not rounds.answer_state(get_round(world, 2), panellist_of(world, world.panellists[0])) \
            .has_unsubmitted_changes
    moderator = auth.token(world.moderator)
    client.post(f"{API}/{world.study_id}/rounds/2/close", headers=moderator)
    assert frozen(client, moderator, world, 2, item) == (3, [0, 0, 5, 0, 1])
