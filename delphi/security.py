"""Passwords, sessions, login throttling and HTTP security headers."""
from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, current_app, request
from sqlalchemy import func, select

from delphi import database
from delphi.extensions import db, login_manager
from delphi.models import LoginAttempt, User, utcnow


#: argon2id with the OWASP parameters (m = 19 MiB, t = 2, p = 1); tests set
#: cheaper ones through ``ARGON2_PARAMETERS``.
DEFAULT_ARGON2 = {"time_cost": 2, "memory_cost": 19 * 1024, "parallelism": 1}


@lru_cache(maxsize=4)
def _hasher(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


def password_hasher() -> PasswordHasher:
    params = {**DEFAULT_ARGON2, **current_app.config.get("ARGON2_PARAMETERS", {})}
    return _hasher(params["time_cost"], params["memory_cost"], params["parallelism"])

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 128

#: Safe methods read only: their SQLite transactions begin DEFERRED.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def hash_password(password: str) -> str:
    return password_hasher().hash(password)


def check_password(user: User, password: str) -> bool:
    """Verify, and rehash in place when the parameters have changed."""
    hasher = password_hasher()
    try:
        hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return True


def end_sessions(user: User) -> None:
    """Invalidate every session cookie of ``user`` (logout, password change)."""
    user.session_version += 1


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
        try:
            password_hasher().verify(_dummy_hash(), password or "")
        except VerificationError:
            pass
        record_failed_login(email, client)
        return None, "invalid"
    if not check_password(user, password or ""):
        record_failed_login(email, client)
        return None, "invalid"
    return user, None


def _dummy_hash() -> str:
    """A hash to verify against when the account does not exist, made once per
    set of argon2 parameters, so an unknown email costs one verify like a real one."""
    return _dummy_for(password_hasher())


@lru_cache(maxsize=4)
def _dummy_for(hasher: PasswordHasher) -> str:
    return hasher.hash("only for timing")


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


# -- Headers ---------------------------------------------------------------

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"

    from flask_babel import lazy_gettext

    login_manager.login_message = lazy_gettext("Please log in to see this page.")

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
    from flask_login import current_user

    try:
        return bool(current_user and current_user.is_authenticated)
    except Exception:  # pragma: no cover - outside a request with a user
        return False
