"""Logins, sessions, login throttling and HTTP security headers.

The passwords themselves (argon2id) are :mod:`delphi.core.passwords`.
"""
from __future__ import annotations

from datetime import datetime

from flask import Flask, current_app, flash, request, session
from flask_babel import gettext, lazy_gettext
from flask_login import current_user, logout_user, user_logged_in
from sqlalchemy import func, select

from delphi.core import database, passwords
from delphi.core.database import db
from delphi.core.models import LoginAttempt, User, utcnow
from delphi.extensions import login_manager

#: Safe methods read only: their SQLite transactions begin DEFERRED.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


# -- Login throttling, counted in the database so it holds across workers ----

def client_address() -> str:
    return (request.remote_addr or "unknown")[:64]


def login_throttled(email: str, client: str, now: datetime | None = None) -> bool:
    """Whether a login from ``client`` for ``email`` is refused for now.

    Only failures count. A client is throttled once it has failed
    ``LOGIN_MAX_FAILURES_PER_CLIENT`` times in the window, whatever the
    account. An account that has failed ``LOGIN_MAX_FAILURES_PER_ACCOUNT``
    times is closed to the clients that failed on it, but not to a client
    with no failure on it: the real owner, logging in from elsewhere, is
    never locked out by somebody guessing their password.
    """
    now = now or utcnow()
    since = now - current_app.config["LOGIN_THROTTLE_WINDOW"]
    recent = select(func.count()).select_from(LoginAttempt).where(LoginAttempt.at >= since)
    per_client = db.session.scalar(recent.where(LoginAttempt.client == client))
    if per_client >= current_app.config["LOGIN_MAX_FAILURES_PER_CLIENT"]:
        return True
    per_account = db.session.scalar(recent.where(LoginAttempt.email == email))
    if per_account < current_app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]:
        return False
    here = db.session.scalar(recent.where(LoginAttempt.email == email, LoginAttempt.client == client))
    return here > 0


def record_failed_login(email: str, client: str, now: datetime | None = None) -> None:
    db.session.add(LoginAttempt(email=email, client=client, at=now or utcnow()))


def authenticate(email: str, password: str) -> tuple[User | None, str | None]:
    """Check a login. Returns ``(user, None)`` or ``(None, reason)``.

    ``reason`` is ``"throttled"`` or ``"invalid"``. Only failures are counted,
    so successful logins never throttle anybody; while an account or a client
    is over its limit no password is checked at all, so a guesser learns
    nothing. Failures are recorded (the caller commits).
    """
    email = (email or "").strip().lower()
    client = client_address()
    if login_throttled(email, client):
        return None, "throttled"
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        # Spend the same time as a real check, so timing does not reveal accounts.
        passwords.verify_dummy(password or "")
        record_failed_login(email, client)
        return None, "invalid"
    if not passwords.check_password(user, password or ""):
        record_failed_login(email, client)
        return None, "invalid"
    return user, None


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
