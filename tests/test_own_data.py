"""A member downloads their own data as JSON (issue 12, part 6: access)."""
from __future__ import annotations

import json

from tests.factories import answer_round, build_study, close


def test_a_member_downloads_their_own_answers_and_nobody_elses(app, client, auth):
    world = build_study(app, n_panellists=6, n_items=2)
    a, b = world.item_ids
    me, other = world.panellists[0], world.panellists[1]
    values = {p: {a: {"importance": 2 + i % 3}, b: {"importance": None}}
              for i, p in enumerate(world.panellists)}
    answer_round(app, world, 1, values, comments={me: {a: "Mine: cover crops."},
                                                  other: {a: "Someone else's comment."}})
    close(app, world, 1)
    auth.login(me)
    home = client.get("/me").get_data(as_text=True)
    assert "/me/data.json" in home
    response = client.get("/me/data.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert data["profile"]["email"] == me and data["profile"]["name"] == world.names[me]
    assert data["memberships"][0]["task_force"] == world.task_force
    (study,) = data["studies"]
    (round_1,) = study["rounds"]
    assert round_1["status"] == "submitted" and round_1["counted"] is True
    assert {(r["item"], r["value"]) for r in round_1["ratings"]} == {("I01", 2), ("I02", None)}
    assert round_1["comments"] == [{"item": "I01", "text": "Mine: cover crops."}]
    text = response.get_data(as_text=True)
    assert "Someone else's comment." not in text and world.names[other] not in text
    assert "password" not in text and "pseudonym_secret" not in text


def test_the_download_needs_a_login(client):
    response = client.get("/me/data.json")
    assert response.status_code in (302, 303, 401)
