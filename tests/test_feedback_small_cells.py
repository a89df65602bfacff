"""Feedback from too few ratings is suppressed: it would reveal individual answers."""
from __future__ import annotations

from tests.conftest import PASSWORD
from tests.factories import answer_round, build_study, close


def test_feedback_from_fewer_than_five_ratings_shows_no_figures(app, client):
    world = build_study(app, n_panellists=4, n_items=2, require_reason_outside_iqr=True)
    answer_round(app, world, 1, values=lambda email, item, criterion: 1 + world.panellists.index(email))
    report = close(app, world, 1)
    assert report.next_round is not None

    token = client.post("/api/v1/auth/token",
                        json={"email": world.panellists[0], "password": PASSWORD}).get_json()["token"]
    client.post(f"/api/v1/studies/{world.study_id}/rounds/2/open", headers={
        "Authorization": "Bearer " + client.post("/api/v1/auth/token", json={
            "email": world.moderator, "password": PASSWORD}).get_json()["token"]})
    body = client.get(f"/api/v1/studies/{world.study_id}/rounds/2",
                      headers={"Authorization": f"Bearer {token}"}).get_json()
    feedback = body["items"][0]["feedback"]["criteria"]["importance"]
    assert feedback["median"] is None and feedback["counts"] is None and feedback["iqr"] is None
    assert feedback["own_previous"] == 1      # one's own answer is still shown

    # No reason can be required against figures the panellist cannot see.
    ratings = [{"item": item["id"], "criterion": "importance", "value": 5} for item in body["items"]]
    saved = client.put(f"/api/v1/studies/{world.study_id}/rounds/2/response",
                       json={"ratings": ratings, "submit": True},
                       headers={"Authorization": f"Bearer {token}"})
    assert saved.status_code == 200, saved.get_json()

    client.post("/login", data={"email": world.panellists[0], "password": PASSWORD})
    page = client.get(f"/panel/studies/{world.study_id}/rounds/2").get_data(as_text=True)
    assert "Too few panellists rated this item" in page
