"""The input boundary (issue 13): unstorable text and impossible ids never reach a view."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select


@pytest.mark.parametrize("text", ["nul\x00here", "a\ud800b", "bell\x07", "esc\x1b[0m"])
def test_unstorable_json_text_is_a_422_naming_the_field_and_changes_nothing(app, client, auth, text):
    from delphi.core.database import db
    from delphi.core.models import User

    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(User))
    response = client.post("/api/v1/users", json={"email": "x@example.org", "name": text,
                                                  "password": "a long enough password",
                                                  "organisation": "Org", "country": "", "consent": True,
                                                  "stakeholder_group": "research"})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid" and "name" in error["fields"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == before


def test_unstorable_text_deep_in_a_json_body_is_named_by_its_path(client, make_user, auth):
    make_user("ada@example.org")
    headers = auth.token("ada@example.org")
    response = client.put("/api/v1/studies/1/rounds/1/response", headers=headers,
                          json={"ratings": [{"item": 1, "criterion": "importance", "value": 3,
                                             "reason": "fine"},
                                            {"item": 2, "value": 3, "reason": "bad\x00"}]})
    assert response.status_code == 422
    assert "ratings[1].reason" in response.get_json()["error"]["fields"]


def test_a_login_with_a_nul_in_the_email_is_a_plain_refusal_on_both_databases(app, client):
    """Form fields are the services' to check: a NUL in a login's email names no
    account (401, as any wrong login), and the failure is counted without it."""
    from delphi.core.database import db
    from delphi.core.models import LoginAttempt

    response = client.post("/login", data={"email": "a\x00@example.org", "password": "x" * 12})
    assert response.status_code == 401
    with app.app_context():
        assert db.session.scalars(select(LoginAttempt.email)).all() == ["(not an e-mail address)"]


def test_a_query_string_with_a_lone_surrogate_is_refused(client, make_user, auth):
    make_user("ada@example.org")
    auth.login("ada@example.org")
    response = client.get("/login?next=%ED%A0%80")  # the CESU-8 bytes of U+D800
    assert response.status_code in (200, 422)  # decoded as U+FFFD: storable, or refused
    response = client.get("/login", query_string={"next": "nul\x00"})
    assert response.status_code == 422


@pytest.mark.parametrize("path", ["/studies/99999999999", "/studies/2147483648/dashboard",
                                  "/panel/studies/99999999999999999999/rounds/1"])
def test_an_id_beyond_the_columns_range_is_a_404(client, make_user, auth, path):
    make_user("ada@example.org", admin=True)
    auth.login("ada@example.org")
    assert client.get(path).status_code == 404


def test_tab_and_newlines_are_text(client, make_user, auth):
    make_user("ada@example.org")
    response = client.post("/api/v1/auth/token", json={"email": "ada@example.org",
                                                        "password": "not\tthe\r\npassword"})
    assert response.status_code == 401


def test_a_draft_poisoned_before_texts_were_checked_is_repaired_not_a_500(app, client, auth):
    """A lone surrogate saved in a draft comment (as an earlier version allowed)
    no longer locks the panellist out: the page shows it as U+FFFD and submits."""
    import rounds
    from delphi.core.database import db
    from delphi.core.models import Response
    from tests.factories import build_study, get_round, open_round_of, panellist_of

    world = build_study(app, n_panellists=3, n_items=1)
    open_round_of(app, world, 1)
    item = world.item_ids[0]
    with app.app_context():
        rnd = get_round(world, 1)
        panellist = panellist_of(world, world.panellists[0])
        rounds.save_answers(rnd, panellist, rounds.AnswerSet(
            [rounds.RatingInput(item, "importance", 4)], {item: "fine"}), submit=False)
        response = db.session.scalar(select(Response).where(Response.panellist_id == panellist.id))
        response.draft = {**response.draft, "comments": {str(item): "bad\ud800comment"}}
        db.session.commit()
    auth.login(world.panellists[0])
    page = client.get(f"/panel/studies/{world.study_id}/rounds/1")
    assert page.status_code == 200
    assert "bad\ufffdcomment" in page.get_data(as_text=True)
    with app.app_context():
        rnd = get_round(world, 1)
        panellist = panellist_of(world, world.panellists[0])
        saved = rounds.save_answers(rnd, panellist, rounds.AnswerSet([]), submit=True)
        db.session.commit()
        assert saved.status.value == "submitted"
        assert saved.draft["comments"][str(item)] == "bad\ufffdcomment"
