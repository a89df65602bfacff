"""Passwords: argon2id hashes (argon2-cffi), checked and rehashed in place.

The parameters are the OWASP ones (m = 19 MiB, t = 2, p = 1) unless the
application factory calls :func:`configure` with others (the tests use
cheaper ones through ``ARGON2_PARAMETERS``).
"""
from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

#: argon2id with the OWASP parameters.
DEFAULT_ARGON2 = {"time_cost": 2, "memory_cost": 19 * 1024, "parallelism": 1}
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 128

_parameters = dict(DEFAULT_ARGON2)


def configure(parameters: dict | None) -> None:
    """Use these argon2 parameters (merged over the defaults) from now on."""
    _parameters.clear()
    _parameters.update({**DEFAULT_ARGON2, **(parameters or {})})


@lru_cache(maxsize=4)
def _hasher(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


def password_hasher() -> PasswordHasher:
    return _hasher(_parameters["time_cost"], _parameters["memory_cost"], _parameters["parallelism"])


def hash_password(password: str) -> str:
    return password_hasher().hash(password)


def check_password(user, password: str) -> bool:
    """Verify ``password`` against ``user.password_hash``, and rehash in place
    when the parameters have changed."""
    hasher = password_hasher()
    try:
        hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return True


def verify_dummy(password: str) -> None:
    """Spend the time of one real check (for an email with no account), so
    timing does not reveal which accounts exist."""
    hasher = password_hasher()
    try:
        hasher.verify(_dummy_for(hasher), password or "")
    except VerificationError:
        pass


@lru_cache(maxsize=4)
def _dummy_for(hasher: PasswordHasher) -> str:
    return hasher.hash("only for timing")


def end_sessions(user) -> None:
    """Invalidate every session cookie of ``user`` (logout, password change)."""
    user.session_version += 1
