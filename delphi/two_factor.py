"""Two-factor login for admins: time-based one-time codes (TOTP, RFC 6238, pyotp).

An admin turns it on from ``/account/two-factor`` by entering a code from an
authenticator app; from then on a login (web or API token) asks for a code
after the password. ``ADMIN_TOTP_REQUIRED`` makes it compulsory: an admin
without it is sent to set it up before any other page.

The secret is stored encrypted (Fernet, with a key derived from the
application's ``SECRET_KEY``), never in clear; a code is accepted once (the
last accepted time step is kept), within one step (30 s) either way of the
server's clock. Turning it on or off writes an audit row.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import time

import pyotp
from cryptography.fernet import Fernet, InvalidToken
from flask import current_app

from delphi.core import audit
from delphi.core.models import User

ISSUER = "4 per 1000 Delphi"
#: Steps of 30 s either way of now that a code may come from (clock drift).
DRIFT_STEPS = 1


def _fernet() -> Fernet:
    secret = str(current_app.config["SECRET_KEY"]).encode("utf-8")
    key = hashlib.sha256(b"delphi two-factor secrets\0" + secret).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def new_secret() -> str:
    return pyotp.random_base32()


def seal(secret: str) -> str:
    """The secret as stored: encrypted."""
    return _fernet().encrypt(secret.encode("ascii")).decode("ascii")


def _open(sealed: str) -> str | None:
    try:
        return _fernet().decrypt(sealed.encode("ascii")).decode("ascii")
    except (InvalidToken, ValueError):
        return None  # a secret sealed under another SECRET_KEY: no code matches


def provisioning_uri(user: User, secret: str) -> str:
    """The ``otpauth://`` URI an authenticator app reads (as a link or typed in)."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def enabled(user: User) -> bool:
    return bool(user.totp_secret)


def required(user: User) -> bool:
    """Whether ``user`` must set up two-factor login before anything else."""
    return bool(user.is_admin and current_app.config.get("ADMIN_TOTP_REQUIRED")
                and not enabled(user))


def _matching_step(secret: str, code: str, after: int | None, now: float) -> int | None:
    code = "".join((code or "").split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = int(now) // totp.interval
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if after is not None and step <= after:
            continue
        if hmac.compare_digest(totp.at(step * totp.interval), code):
            return step
    return None


def check_code(user: User, code: str, *, now: float | None = None) -> bool:
    """Whether ``code`` is the user's current code (not used before); a match
    is remembered so that it cannot be replayed (the caller commits)."""
    secret = _open(user.totp_secret) if user.totp_secret else None
    if secret is None:
        return False
    step = _matching_step(secret, code, user.totp_last_step, time.time() if now is None else now)
    if step is None:
        return False
    user.totp_last_step = step
    return True


def turn_on(user: User, secret: str, code: str, *, now: float | None = None) -> bool:
    """Turn two-factor login on with ``secret`` once ``code`` proves the app has
    it. Audited (``user.two_factor_on``). False (nothing changed) for a wrong code."""
    step = _matching_step(secret, code, None, time.time() if now is None else now)
    if step is None:
        return False
    user.totp_secret = seal(secret)
    user.totp_last_step = step
    audit.record(user, "user.two_factor_on", user, details={})
    return True


def turn_off(user: User, code: str, *, now: float | None = None) -> bool:
    """Turn it off, with a current code. Audited (``user.two_factor_off``)."""
    if not check_code(user, code, now=now):
        return False
    user.totp_secret = None
    user.totp_last_step = None
    audit.record(user, "user.two_factor_off", user, details={})
    return True
