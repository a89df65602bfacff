"""Failed logins are throttled per account and per client, counted in the database.

See :func:`delphi.security.login_throttled`: only failures count; an account
that has failed too often is closed to the clients that failed on it, never to
a clean client (its owner elsewhere); a client that has failed too often is
closed whatever the account.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from tests.conftest import PASSWORD

WRONG = "this is not the password"
THROTTLED = "Too many failed logins. Please wait a few minutes before trying again."


def from_address(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def login(client, email, password=PASSWORD):
    return client.post("/login", data={"email": email, "password": password})


def fail(client, email, times):
    for _ in range(times):
        assert login(client, email, WRONG).status_code == 401


def failures_in_database(app) -> int:
    from delphi.core.database import db
    from delphi.core.models import LoginAttempt

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(LoginAttempt))


def test_an_account_is_closed_to_the_client_that_failed_on_it(app, make_user):
    make_user("ada@example.org")
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    guesser = from_address(app, "10.0.0.66")
    fail(guesser, "ada@example.org", limit)
    response = login(guesser, "ada@example.org")  # even the right password
    assert response.status_code == 429
    assert THROTTLED in response.get_data(as_text=True)
    assert guesser.get("/me").status_code == 302


def test_one_failure_less_than_the_limit_is_not_throttled(app, make_user):
    make_user("ada@example.org")
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    client = from_address(app, "10.0.0.66")
    fail(client, "ada@example.org", limit - 1)
    assert login(client, "ada@example.org").status_code == 302


def test_the_owner_on_a_clean_client_still_logs_in(app, make_user):
    make_user("ada@example.org")
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    guesser = from_address(app, "10.0.0.66")
    fail(guesser, "ada@example.org", limit)
    assert login(guesser, "ada@example.org", WRONG).status_code == 429
    owner = from_address(app, "192.0.2.10")
    assert login(owner, "ada@example.org").status_code == 302
    assert owner.get("/me").status_code == 200


def test_a_client_is_closed_after_too_many_failures_on_any_accounts(app, make_user):
    make_user("ada@example.org")
    limit = app.config["LOGIN_MAX_FAILURES_PER_CLIENT"]
    sprayer = from_address(app, "10.0.0.77")
    for number in range(limit):
        assert login(sprayer, f"victim{number}@example.org", WRONG).status_code == 401
    response = login(sprayer, "ada@example.org")
    assert response.status_code == 429
    assert THROTTLED in response.get_data(as_text=True)
    assert login(from_address(app, "192.0.2.10"), "ada@example.org").status_code == 302


def test_successful_logins_are_never_counted_or_throttled(app, make_user):
    make_user("ada@example.org")
    client = from_address(app, "10.0.0.5")
    for _ in range(app.config["LOGIN_MAX_FAILURES_PER_CLIENT"] + 2):
        assert login(client, "ada@example.org").status_code == 302
        client.post("/logout")
    assert failures_in_database(app) == 0


def test_failures_are_counted_in_the_database_across_workers(app, make_app, make_user):
    """Two app instances (two workers) share the count through the database."""
    make_user("ada@example.org")
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    other_worker = make_app()
    half = limit // 2
    fail(from_address(app, "10.0.0.66"), "ada@example.org", half)
    fail(from_address(other_worker, "10.0.0.66"), "ada@example.org", limit - half)
    assert failures_in_database(app) == limit
    assert login(from_address(app, "10.0.0.66"), "ada@example.org").status_code == 429
    assert login(from_address(other_worker, "10.0.0.66"), "ada@example.org").status_code == 429


def test_failures_older_than_the_window_no_longer_count(app, make_user):
    from delphi.core.database import db
    from delphi.core.models import LoginAttempt, utcnow

    make_user("ada@example.org")
    limit = app.config["LOGIN_MAX_FAILURES_PER_CLIENT"]
    long_ago = utcnow() - app.config["LOGIN_THROTTLE_WINDOW"] - timedelta(minutes=1)
    with app.app_context():
        for _ in range(limit + 1):
            db.session.add(LoginAttempt(email="ada@example.org", client="10.0.0.66", at=long_ago))
        db.session.commit()
    assert login(from_address(app, "10.0.0.66"), "ada@example.org").status_code == 302


def test_the_email_is_counted_however_it_is_written(app, make_user):
    make_user("ada@example.org")
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    client = from_address(app, "10.0.0.66")
    for number in range(limit):
        spelling = " ADA@example.org" if number % 2 else "Ada@Example.ORG "
        assert login(client, spelling, WRONG).status_code == 401
    assert login(client, "ada@example.org").status_code == 429


def test_the_api_token_endpoint_is_throttled_with_a_json_429(app, make_user):
    make_user("ada@example.org")
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    client = from_address(app, "10.0.0.66")
    for _ in range(limit):
        response = client.post("/api/v1/auth/token", json={"email": "ada@example.org", "password": WRONG})
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "invalid_credentials"
    response = client.post("/api/v1/auth/token", json={"email": "ada@example.org", "password": PASSWORD})
    assert response.status_code == 429
    error = response.get_json()["error"]
    assert error["code"] == "throttled"
    assert "Too many failed logins" in error["message"]
    clean = from_address(app, "192.0.2.10")
    ok = clean.post("/api/v1/auth/token", json={"email": "ada@example.org", "password": PASSWORD})
    assert ok.status_code == 201


def test_web_and_api_failures_add_up(app, make_user):
    make_user("ada@example.org")
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    client = from_address(app, "10.0.0.66")
    fail(client, "ada@example.org", limit - 1)
    client.post("/api/v1/auth/token", json={"email": "ada@example.org", "password": WRONG})
    assert login(client, "ada@example.org").status_code == 429


def test_a_login_for_an_unknown_email_costs_one_verify_and_no_fresh_hash(client, monkeypatch):
    """The dummy hash that hides whether an account exists is made once, not per login:
    otherwise an unknown email would cost a hash and a verify, twice a real account's check."""
    from argon2 import PasswordHasher

    made = []
    original = PasswordHasher.hash
    monkeypatch.setattr(PasswordHasher, "hash", lambda self, pw, **kw: made.append(1) or original(self, pw, **kw))
    for _ in range(3):
        response = client.post("/login", data={"email": "nobody@example.org", "password": "not the password"})
        assert response.status_code == 401
    assert len(made) <= 1
