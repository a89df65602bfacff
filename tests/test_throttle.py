"""Failed logins are throttled per account and per client, counted in the database.

See :func:`delphi.security.authenticate`: only failures count; an account's
failures from every address together lock it, for longer each time, and its
owner is told; a client that has failed too often is closed whatever the
account.
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


def _unlock(app, email="ada@example.org"):
    """Let the current lock run out (no sleeping: its end is moved into the past)."""
    from delphi.core.database import db
    from delphi.core.models import LoginThrottle, utcnow
    from delphi.security import throttle_key

    with app.app_context():
        row = db.session.scalar(select(LoginThrottle).where(LoginThrottle.key == throttle_key(email)))
        lasted = row.locked_until - utcnow()
        row.locked_until = utcnow() - timedelta(seconds=1)
        db.session.commit()
        return lasted


def _lock_notices(app):
    from delphi.core.database import db
    from delphi.core.models import OutboxMessage

    with app.app_context():
        return [m.subject for m in db.session.scalars(select(OutboxMessage))
                if "locked" in m.subject]


def test_an_account_is_locked_for_every_address_and_its_owner_is_told(app, make_user):
    make_user("ada@example.org")
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    fail(from_address(app, "10.0.0.66"), "ada@example.org", limit)
    owner = from_address(app, "192.0.2.10")
    assert login(owner, "ada@example.org").status_code == 429  # the right password, elsewhere
    assert _lock_notices(app) == ["Your account was locked after failed logins"]
    _unlock(app)
    assert login(owner, "ada@example.org").status_code == 302
    assert owner.get("/me").status_code == 200


def test_guesses_spread_over_many_addresses_are_capped_per_account(app, make_user):
    """200 guesses from 200 addresses: only the account's limit is checked."""
    make_user("ada@example.org")
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    statuses = [login(from_address(app, f"10.1.{k // 250}.{k % 250}"), "ada@example.org", WRONG)
                .status_code for k in range(200)]
    assert statuses.count(401) == limit and statuses.count(429) == 200 - limit


def test_each_further_lock_lasts_twice_as_long_and_a_success_ends_the_series(app, make_user):
    make_user("ada@example.org")
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    first = app.config["LOGIN_LOCK_FIRST"]
    lengths = []
    for k in range(3):  # a new address each time: the per-client limit stays out of it
        fail(from_address(app, f"10.0.3.{k}"), "ada@example.org", limit)
        lengths.append(_unlock(app))
    assert [round(x / first) for x in lengths] == [1, 2, 4]
    owner = from_address(app, "192.0.2.10")
    assert login(owner, "ada@example.org").status_code == 302
    owner.post("/logout")
    fail(from_address(app, "10.0.3.9"), "ada@example.org", limit)
    assert round(_unlock(app) / first) == 1


def test_an_address_without_an_account_is_locked_the_same_way(app):
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    statuses = [login(from_address(app, f"10.2.0.{k}"), "nobody@example.org", WRONG).status_code
                for k in range(limit + 3)]
    assert statuses == [401] * limit + [429] * 3
    assert _lock_notices(app) == []


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
    _unlock(app)
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
