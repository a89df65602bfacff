"""Login, logout, password change and the session cookie (issue 2, "Accounts")."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD, csrf_token_from

NEW_PASSWORD = "a completely new passphrase"


def session_cookie(client) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None, "no session cookie"
    return cookie.value


def client_with_cookie(app, value):
    other = app.test_client()
    other.set_cookie("session", value)
    return other


def assert_sent_to_login(response):
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_login_with_the_right_password_opens_the_member_page(client, make_user, auth):
    user = make_user("ada@example.org")
    response = auth.login("ADA@example.org ")
    assert response.status_code == 302
    assert response.headers["Location"] == "/me"
    page = client.get("/me")
    assert page.status_code == 200
    assert user.name in page.get_data(as_text=True)


def test_login_with_a_wrong_password_is_401_with_a_message(client, make_user, auth):
    make_user("ada@example.org")
    response = auth.login("ada@example.org", "wrong password, sorry")
    assert response.status_code == 401
    assert "Wrong email or password." in response.get_data(as_text=True)
    assert_sent_to_login(client.get("/me"))


def test_login_of_an_unknown_account_says_the_same(client, auth):
    response = auth.login("nobody@example.org")
    assert response.status_code == 401
    assert "Wrong email or password." in response.get_data(as_text=True)


def test_login_with_empty_fields_is_400(client):
    response = client.post("/login", data={})
    assert response.status_code == 400
    assert "This field is required." in response.get_data(as_text=True)


@pytest.mark.parametrize("target, expected", [
    ("/task-forces/A1", "/task-forces/A1"),
    ("https://evil.example/", "/me"),
    ("//evil.example/", "/me"),
    ("/\\evil.example", "/me"),
    ("/%09/evil.example", "/me"),          # a tab, dropped by browsers: //evil.example
    ("/%0A/x", "/me"),                     # a newline: no 500 either
    ("/%5C%5Cevil.example", "/me"),        # backslashes read as slashes
    ("%2F%2Fevil.example", "/me"),
    ("http:evil.example", "/me"),
    ("/task-forces/A1%3Fx%3D1", "/task-forces/A1?x=1"),
])
def test_login_follows_only_local_next_targets(client, make_user, target, expected):
    make_user("ada@example.org")
    response = client.post("/login?next=" + target,
                           data={"email": "ada@example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_pages_for_members_send_anonymous_visitors_to_login(client):
    response = client.get("/me")
    assert_sent_to_login(response)
    assert "next=" in response.headers["Location"]


def test_logout_ends_the_session(client, make_user, auth):
    make_user("ada@example.org")
    auth.login("ada@example.org")
    response = auth.logout()
    assert response.status_code == 302
    assert_sent_to_login(client.get("/me"))


def test_logout_invalidates_a_copied_session_cookie(app, client, make_user, auth):
    make_user("ada@example.org")
    auth.login("ada@example.org")
    stolen = session_cookie(client)
    assert client_with_cookie(app, stolen).get("/me").status_code == 200
    auth.logout()
    assert_sent_to_login(client_with_cookie(app, stolen).get("/me"))


def test_logout_ends_the_sessions_on_other_devices_too(app, make_user):
    make_user("ada@example.org")
    laptop, phone = app.test_client(), app.test_client()
    for device in (laptop, phone):
        device.post("/login", data={"email": "ada@example.org", "password": PASSWORD})
        assert device.get("/me").status_code == 200
    laptop.post("/logout")
    assert_sent_to_login(phone.get("/me"))


def test_logout_is_post_only(client, make_user, auth):
    make_user("ada@example.org")
    auth.login("ada@example.org")
    assert client.get("/logout").status_code == 405
    assert client.get("/me").status_code == 200


def change_password(client, current=PASSWORD, new=NEW_PASSWORD):
    return client.post("/account/password", data={"current_password": current, "new_password": new})


def test_password_change_keeps_this_session_and_ends_the_others(app, make_user):
    make_user("ada@example.org")
    here, elsewhere = app.test_client(), app.test_client()
    for device in (here, elsewhere):
        device.post("/login", data={"email": "ada@example.org", "password": PASSWORD})
    old_cookie = session_cookie(here)
    response = change_password(here)
    assert response.status_code == 302
    assert here.get("/me").status_code == 200
    assert_sent_to_login(elsewhere.get("/me"))
    assert_sent_to_login(client_with_cookie(app, old_cookie).get("/me"))


def test_after_a_password_change_only_the_new_password_works(app, make_user):
    make_user("ada@example.org")
    client = app.test_client()
    client.post("/login", data={"email": "ada@example.org", "password": PASSWORD})
    change_password(client)
    fresh = app.test_client()
    old = fresh.post("/login", data={"email": "ada@example.org", "password": PASSWORD})
    assert old.status_code == 401
    new = fresh.post("/login", data={"email": "ada@example.org", "password": NEW_PASSWORD})
    assert new.status_code == 302
    token = fresh.post("/api/v1/auth/token", json={"email": "ada@example.org", "password": NEW_PASSWORD})
    assert token.status_code == 201


def test_password_change_with_a_wrong_current_password_is_refused(app, client, make_user, auth):
    make_user("ada@example.org")
    auth.login("ada@example.org")
    stolen = session_cookie(client)
    response = change_password(client, current="not my password at all")
    assert response.status_code == 422
    assert "This is not your current password." in response.get_data(as_text=True)
    assert client_with_cookie(app, stolen).get("/me").status_code == 200


def test_password_change_to_a_short_password_is_refused(client, make_user, auth):
    make_user("ada@example.org")
    auth.login("ada@example.org")
    response = change_password(client, new="short")
    assert response.status_code == 422
    assert "Field must be between 12 and 128 characters long." in response.get_data(as_text=True)


def test_the_password_page_needs_a_login(client):
    assert_sent_to_login(client.get("/account/password"))
    assert_sent_to_login(change_password(client))


def test_session_cookie_is_httponly_and_samesite(client, make_user, auth):
    make_user("ada@example.org")
    response = auth.login("ada@example.org")
    cookies = [v for v in response.headers.getlist("Set-Cookie") if v.startswith("session=")]
    assert cookies, "login sets no session cookie"
    attributes = {part.strip().split("=")[0].lower(): part.strip()
                  for part in cookies[-1].split(";")[1:]}
    assert "httponly" in attributes
    assert attributes["samesite"].lower() == "samesite=lax"


def test_session_cookie_is_secure_behind_https(make_app):
    app = make_app(BASE_URL="https://delphi.example")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True


def test_login_starts_a_fresh_session(app, client, make_user):
    """A session cookie planted before login is not the one used after it."""
    make_user("ada@example.org")
    client.get("/login")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    client.post("/login", data={"email": "ada@example.org", "password": PASSWORD})
    with client.session_transaction() as session:
        assert "planted" not in session


@pytest.mark.csrf
def test_login_form_without_csrf_token_is_400(client, make_user):
    make_user("ada@example.org")
    response = client.post("/login", data={"email": "ada@example.org", "password": PASSWORD})
    assert response.status_code == 400
    assert "The form had expired" in response.get_data(as_text=True)
    assert_sent_to_login(client.get("/me"))


@pytest.mark.csrf
def test_login_form_with_its_csrf_token_works(client, make_user):
    make_user("ada@example.org")
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"email": "ada@example.org", "password": PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 302


@pytest.mark.csrf
@pytest.mark.parametrize("path, data", [
    ("/logout", {}),
    ("/account/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD}),
    ("/task-forces/A1/join", {"role": "team_member", "region": "Europe"}),
])
def test_member_forms_without_csrf_token_are_400_and_change_nothing(app, make_user, path, data):
    from delphi.core.database import db
    from delphi.core.models import Membership, User

    make_user("ada@example.org")
    client = app.test_client()
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"email": "ada@example.org", "password": PASSWORD, "csrf_token": token})
    response = client.post(path, data=data)
    assert response.status_code == 400
    assert client.get("/me").status_code == 200  # still logged in
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "ada@example.org"))
        assert user.session_version == 1
        assert db.session.scalar(select(Membership.id)) is None


@pytest.mark.csrf
def test_register_form_without_csrf_token_is_400(app, client):
    from tests.test_accounts import REGISTRATION, user_count

    response = client.post("/register", data=REGISTRATION)
    assert response.status_code == 400
    assert user_count(app) == 0


def test_password_change_revokes_the_api_tokens_too(client, make_user, auth):
    make_user("tok@example.org")
    headers = auth.token("tok@example.org")
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    auth.login("tok@example.org")
    changed = client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": "a brand new passphrase"})
    assert changed.status_code == 302
    refused = client.get("/api/v1/me", headers=headers)
    assert refused.status_code == 401
    assert refused.get_json()["error"]["code"] == "unauthorised"


def test_behind_a_trusted_proxy_the_throttle_counts_the_forwarded_client(make_app, make_user):
    """With PROXY_COUNT=1 two clients behind the proxy are two clients, not one."""
    app = make_app(PROXY_COUNT=1, LOGIN_MAX_FAILURES_PER_CLIENT=2, LOGIN_MAX_FAILURES_PER_ACCOUNT=100)
    client = app.test_client()
    for _ in range(2):
        client.post("/login", data={"email": "nobody@example.org", "password": "wrong password!"},
                    headers={"X-Forwarded-For": "203.0.113.7"})
    blocked = client.post("/login", data={"email": "nobody@example.org", "password": "x" * 12},
                          headers={"X-Forwarded-For": "203.0.113.7"})
    assert blocked.status_code == 429
    other = client.post("/login", data={"email": "nobody@example.org", "password": "x" * 12},
                        headers={"X-Forwarded-For": "198.51.100.9"})
    assert other.status_code == 401


def test_an_oversized_form_is_a_413_page_by_default(client):
    response = client.post("/login", data={"email": "a@example.org", "password": "x" * (3 * 1024 * 1024)})
    assert response.status_code == 413
    assert "What you sent is too large." in response.get_data(as_text=True)


# -- lifetimes (issue 13: "Sessions") -------------------------------------------------

def _age(client, **seconds):
    """Move the session's recorded times back by ``seconds`` (no sleeping)."""
    with client.session_transaction() as sess:
        for name, back in seconds.items():
            sess[name] = sess[name] - back


def test_a_session_idle_for_over_30_minutes_has_ended(client, make_user, auth):
    make_user("ada@example.org")
    auth.login("ada@example.org")
    _age(client, seen_at=29 * 60)
    assert client.get("/me").status_code == 200  # 29 minutes: still there, and renewed
    _age(client, seen_at=31 * 60)
    assert_sent_to_login(client.get("/me"))
    page = client.get("/login").get_data(as_text=True)
    assert "30 minutes without activity" in page


def test_autosave_does_not_keep_an_idle_session_alive(app, client, auth):
    from tests.factories import build_study, open_round_of

    world = build_study(app, n_panellists=3, n_items=1)
    open_round_of(app, world, 1)
    auth.login(world.panellists[0])
    url = f"/panel/studies/{world.study_id}/rounds/1"
    page = client.get(url).get_data(as_text=True)
    _age(client, seen_at=25 * 60)
    saved = client.post(f"{url}/autosave", data={"csrf_token": csrf_token_from(page)})
    assert saved.status_code == 200, saved.get_json()  # autosave works within the limit ...
    _age(client, seen_at=6 * 60)  # ... but did not renew it: 31 minutes idle now
    assert_sent_to_login(client.get("/me"))


def test_a_session_ends_12_hours_after_login_however_active(client, make_user, auth):
    make_user("ada@example.org")
    auth.login("ada@example.org")
    _age(client, login_at=11 * 3600)
    assert client.get("/me").status_code == 200
    _age(client, login_at=3600 + 1)
    assert_sent_to_login(client.get("/me"))


def test_a_password_change_does_not_renew_the_absolute_lifetime(client, make_user, auth):
    make_user("ada@example.org")
    auth.login("ada@example.org")
    _age(client, login_at=12 * 3600 - 60)
    assert change_password(client).status_code == 302
    _age(client, login_at=120)
    assert_sent_to_login(client.get("/me"))


def test_a_session_cookie_without_its_times_has_ended(app, client, make_user, auth):
    make_user("ada@example.org")
    auth.login("ada@example.org")
    with client.session_transaction() as sess:
        del sess["login_at"]
    assert_sent_to_login(client.get("/me"))


def test_logout_revokes_the_users_api_tokens(client, make_user, auth):
    make_user("ada@example.org")
    headers = auth.token("ada@example.org")
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    auth.login("ada@example.org")
    auth.logout()
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401 and "error" in response.get_json()
