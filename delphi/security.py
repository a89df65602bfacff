"""Logins, sessions, login throttling and HTTP security headers.

The passwords themselves (argon2id) are :mod:`delphi.core.passwords`.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from blinker import Namespace
from flask import Flask, current_app, flash, request, session
from flask_babel import gettext, lazy_gettext
from flask_login import current_user, logout_user, user_logged_in
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from delphi.core import database, passwords
from delphi.core.database import db
from delphi.core.models import LoginAttempt, LoginThrottle, User, utcnow
from delphi.core.text import text_problem
from delphi.extensions import login_manager

#: Safe methods read only: their SQLite transactions begin DEFERRED.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


# -- Login throttling, counted in the database so it holds across workers ----

def client_address() -> str:
    return (request.remote_addr or "unknown")[:64]


def client_throttled(client: str, now: datetime | None = None) -> bool:
    """Whether ``client`` has failed ``LOGIN_MAX_FAILURES_PER_CLIENT`` times in the
    window, whatever the accounts (a password sprayer)."""
    now = now or utcnow()
    since = now - current_app.config["LOGIN_THROTTLE_WINDOW"]
    failures = db.session.scalar(select(func.count()).select_from(LoginAttempt).where(
        LoginAttempt.at >= since, LoginAttempt.client == client))
    return failures >= current_app.config["LOGIN_MAX_FAILURES_PER_CLIENT"]


def throttle_key(email: str) -> str:
    return hashlib.sha256(email.encode("utf-8", "surrogatepass")).hexdigest()


def _throttle_row(email: str) -> LoginThrottle:
    """The account's throttle row, created if need be, and locked for this
    transaction (PostgreSQL ``FOR UPDATE``; SQLite: the login's write
    transaction is ``BEGIN IMMEDIATE``), so concurrent logins are counted one
    after the other."""
    key = throttle_key(email)
    query = (select(LoginThrottle).where(LoginThrottle.key == key).with_for_update()
             .execution_options(populate_existing=True))
    row = db.session.execute(query).scalar_one_or_none()
    if row is not None:
        return row
    try:
        with db.session.begin_nested():
            db.session.add(LoginThrottle(key=key, failures=0, locks=0))
            db.session.flush()
    except IntegrityError:
        pass  # created meanwhile by a concurrent login
    return db.session.execute(query).scalar_one()


def lock_length(locks: int) -> timedelta:
    """How long the ``locks``-th lock in a row lasts: ``LOGIN_LOCK_FIRST``,
    doubling each time, at most ``LOGIN_LOCK_MAX``."""
    config = current_app.config
    return min(config["LOGIN_LOCK_FIRST"] * 2 ** max(locks - 1, 0), config["LOGIN_LOCK_MAX"])


def record_failed_login(email: str, client: str, now: datetime | None = None) -> None:
    db.session.add(LoginAttempt(email=email[:254], client=client, at=now or utcnow()))


def authenticate(email: str, password: str) -> tuple[User | None, str | None]:
    """Check a login. Returns ``(user, None)`` or ``(None, reason)``: ``"invalid"``
    or ``"throttled"``.

    Only failures count, in the database (so they hold across workers):

    * per client: a client that failed ``LOGIN_MAX_FAILURES_PER_CLIENT`` times in
      ``LOGIN_THROTTLE_WINDOW`` is refused whatever the account;
    * per account, from every address together: ``LOGIN_MAX_FAILURES_PER_ACCOUNT``
      failures in the window lock the account for ``LOGIN_LOCK_FIRST``, and each
      further lock in a row lasts twice as long (at most ``LOGIN_LOCK_MAX``); its
      owner is told by mail (``account_locked``). A success ends the series.

    While refused, no password is checked at all, so a guesser learns nothing;
    an address without an account is counted and locked the same way, so the
    answers do not reveal which accounts exist. The account's count is taken
    under a row lock, so concurrent guesses cannot pass the limit. Failures
    are recorded (the caller commits, whatever the answer).
    """
    email = (email or "").strip().lower()
    if len(email) > 320 or text_problem(email):
        email = "(not an e-mail address)"  # no account has it; counted under this name
    client = client_address()
    now = utcnow()
    if client_throttled(client, now):
        return None, "throttled"
    row = _throttle_row(email)
    config = current_app.config
    if row.locked_until is not None and row.locked_until > now:
        record_failed_login(email, client, now)
        return None, "throttled"
    if row.locked_until is not None and now - row.locked_until > config["LOGIN_LOCK_MEMORY"]:
        row.locks = 0  # a quiet day forgets the series
    if row.window_start is None or now - row.window_start > config["LOGIN_THROTTLE_WINDOW"]:
        row.failures, row.window_start = 0, now
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        # Spend the same time as a real check, so timing does not reveal accounts.
        passwords.verify_dummy(password or "")
        ok = False
    else:
        ok = passwords.check_password(user, password or "")
    if ok:
        row.failures, row.locks, row.locked_until, row.window_start = 0, 0, None, None
        return user, None
    record_failed_login(email, client, now)
    row.failures += 1
    if row.failures >= config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]:
        row.locks += 1
        row.locked_until = now + lock_length(row.locks)
        row.failures, row.window_start = 0, None
        if user is not None:
            account_locked.send(user, until=row.locked_until, lock=row.locks,
                                failures=config["LOGIN_MAX_FAILURES_PER_ACCOUNT"])
    db.session.flush()
    return None, "invalid"


#: Sent when failed logins lock an account (``until``: when it opens again;
#: ``lock``: its number in the series), inside the login's transaction; the
#: mail outbox tells the owner.
account_locked = Namespace().signal("account-locked")


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """Flask-Login: ``"<id>:<session_version>"``; an old version is logged out."""
    user_id, _, version = session_id.partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.session_version != int(version):
        return None
    return user


# -- Session lifetimes ------------------------------------------------------

#: Requests that are not the user's own activity: they never renew an idle session.
PASSIVE_ENDPOINTS = frozenset({"panel.autosave", "static"})


def _stamp() -> int:
    return int(utcnow().timestamp())


def _start_session(_app, user, **_extra) -> None:
    """At login: the session's start and last activity (a re-login within the same
    session, as after a password change, keeps its start: the absolute
    lifetime is never renewed)."""
    now = _stamp()
    session.setdefault("login_at", now)
    session["seen_at"] = now


def session_expiry(now: int | None = None) -> str | None:
    """Why the logged-in session has ended (``"idle"`` after
    ``SESSION_IDLE_TIMEOUT`` without activity, ``"lifetime"`` after
    ``SESSION_ABSOLUTE_LIFETIME`` since login), or None. The times are kept in
    the signed session cookie; a cookie without them (from before this rule)
    has ended."""
    now = _stamp() if now is None else now
    login_at, seen_at = session.get("login_at"), session.get("seen_at")
    if not isinstance(login_at, int) or not isinstance(seen_at, int):
        return "lifetime"
    config = current_app.config
    if now - login_at > config["SESSION_ABSOLUTE_LIFETIME"].total_seconds():
        return "lifetime"
    if now - seen_at > config["SESSION_IDLE_TIMEOUT"].total_seconds():
        return "idle"
    return None


def _check_session() -> None:
    if "_user_id" not in session or request.path.startswith("/api/"):
        return
    why = session_expiry()
    if why is not None:
        logout_user()
        session.clear()
        if request.endpoint not in PASSIVE_ENDPOINTS:
            minutes = int(current_app.config["SESSION_IDLE_TIMEOUT"].total_seconds() // 60)
            flash(gettext("Your session has ended after %(n)d minutes without activity: please "
                          "log in again.", n=minutes) if why == "idle" else
                  gettext("Your session has ended: please log in again."), "error")
        return
    if request.endpoint not in PASSIVE_ENDPOINTS:
        session["seen_at"] = _stamp()


# -- Headers ---------------------------------------------------------------

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def init_app(app: Flask) -> None:
    passwords.configure(app.config.get("ARGON2_PARAMETERS"))
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"
    login_manager.login_message = lazy_gettext("Please log in to see this page.")

    user_logged_in.connect(_start_session, app)
    app.before_request(_check_session)

    @app.before_request
    def _begin_mode():
        mode = "DEFERRED" if request.method in SAFE_METHODS else "IMMEDIATE"
        request._delphi_begin_token = database.sqlite_begin_mode.set(mode)

    @app.teardown_request
    def _reset_begin_mode(_exc):
        token = getattr(request, "_delphi_begin_token", None)
        if token is not None:
            database.sqlite_begin_mode.reset(token)

    @app.after_request
    def _headers(response):
        h = response.headers
        h.setdefault("Content-Security-Policy", CSP)
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Referrer-Policy", "same-origin")
        h.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if app.config["SESSION_COOKIE_SECURE"]:
            h.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if "Cache-Control" not in h and (
            request.path.startswith("/api/") or _is_logged_in()
        ):
            # Pages that may show answers or personal data are never cached.
            h["Cache-Control"] = "no-store"
        return response


def _is_logged_in() -> bool:
    try:
        return bool(current_user and current_user.is_authenticated)
    except Exception:  # pragma: no cover - outside a request with a user
        return False
