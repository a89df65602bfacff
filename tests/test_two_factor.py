"""Two-factor login for admins (issue 13, "Sessions"): TOTP codes, on both databases."""
from __future__ import annotations

import re

import pyotp
from sqlalchemy import select

from tests.conftest import PASSWORD


def _turn_on(client, auth, email="root@example.org"):
    auth.login(email)
    page = client.get("/account/two-factor").get_data(as_text=True)
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page).group(1)
    response = client.post("/account/two-factor", data={
        "code": pyotp.TOTP(secret).now()})
    assert response.status_code == 303
    auth.logout()
    return secret


def _stored(app, email="root@example.org"):
    from delphi.core.database import db
    from delphi.core.models import User

    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        return user.totp_secret, user.totp_last_step


def test_an_admin_turns_it_on_and_then_logs_in_with_password_and_code(app, client, auth, make_user):
    from delphi.core.database import db
    from delphi.core.models import AuditEvent

    make_user("root@example.org", admin=True)
    secret = _turn_on(client, auth)
    sealed, _step = _stored(app)
    assert sealed and secret not in sealed  # never stored in clear
    with app.app_context():
        assert db.session.scalar(select(AuditEvent.action).where(
            AuditEvent.action == "user.two_factor_on")) == "user.two_factor_on"
    first = client.post("/login", data={"email": "root@example.org", "password": PASSWORD})
    assert first.status_code == 303 and first.headers["Location"] == "/login/code"
    assert client.get("/me").status_code == 302  # not logged in yet
    # The code of the step after the one used to turn it on (that one was used already).
    totp = pyotp.TOTP(secret)
    _sealed, used = _stored(app)
    code = totp.at((used + 1) * totp.interval)
    assert client.get("/login/code").status_code == 200
    done = client.post("/login/code", data={"code": code})
    assert done.status_code == 303
    assert client.get("/me").status_code == 200


def test_a_wrong_or_replayed_code_is_refused(app, client, auth, make_user):
    make_user("root@example.org", admin=True)
    secret = _turn_on(client, auth)
    client.post("/login", data={"email": "root@example.org", "password": PASSWORD})
    assert client.get("/login/code").status_code == 200
    wrong = client.post("/login/code", data={"code": "000000"
                                             if pyotp.TOTP(secret).now() != "000000" else "111111"})
    assert wrong.status_code == 401 and "not right" in wrong.get_data(as_text=True)
    _sealed, used = _stored(app)
    replay = pyotp.TOTP(secret).at(used * 30)  # the code that turned it on
    again = client.post("/login/code", data={"code": replay})
    assert again.status_code == 401
    assert client.get("/me").status_code == 302


def test_five_wrong_codes_send_back_to_the_password(app, client, auth, make_user):
    make_user("root@example.org", admin=True)
    _turn_on(client, auth)
    client.post("/login", data={"email": "root@example.org", "password": PASSWORD})
    assert client.get("/login/code").status_code == 200
    for _ in range(4):
        assert client.post("/login/code", data={"code": "12345x"}).status_code in (401, 422)
    last = client.post("/login/code", data={"code": "999999"})
    assert last.status_code in (303, 401)
    assert client.get("/login/code").status_code == 303  # the password step again


def test_the_api_token_needs_the_code_too(app, client, auth, make_user):
    make_user("root@example.org", admin=True)
    secret = _turn_on(client, auth)
    body = {"email": "root@example.org", "password": PASSWORD}
    response = client.post("/api/v1/auth/token", json=body)
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "otp_required"
    _sealed, used = _stored(app)
    totp = pyotp.TOTP(secret)
    ok = client.post("/api/v1/auth/token", json={**body, "otp": totp.at((used + 1) * totp.interval)})
    assert ok.status_code == 201


def test_when_required_an_admin_sets_it_up_before_anything_else(make_app, make_user):
    app = make_app(ADMIN_TOTP_REQUIRED=True)
    make_user("root@example.org", admin=True)
    client = app.test_client()
    client.post("/login", data={"email": "root@example.org", "password": PASSWORD})
    response = client.get("/admin/applications")
    assert response.status_code == 303 and response.headers["Location"] == "/account/two-factor"
    assert client.get("/account/two-factor").status_code == 200


def test_a_member_who_is_not_an_admin_has_no_such_page(client, auth, make_user):
    make_user("ada@example.org")
    auth.login("ada@example.org")
    assert client.get("/account/two-factor").status_code == 403
