"""The clock: every timestamp is timezone-aware UTC.

Services take time as ``now=`` so tests need no clock tricks; ``None`` means
the current time.
"""
from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache
from zoneinfo import available_timezones


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(timezone.utc)


def now_or(now: datetime | None) -> datetime:
    """``now`` as an aware UTC datetime (``None``: the current time; a naive
    value is taken to be UTC already)."""
    if now is None:
        return utcnow()
    if now.tzinfo is None:
        return now.replace(tzinfo=timezone.utc)
    return now.astimezone(timezone.utc)


@lru_cache(maxsize=1)
def time_zones() -> frozenset[str]:
    """The IANA time zone names this installation knows (with ``UTC``): the one
    list every time-zone field (a study's, a user's) is checked against."""
    return frozenset(available_timezones() | {"UTC"})


def is_time_zone(name: object) -> bool:
    """Whether ``name`` is one of :func:`time_zones` (never opens a file for a
    name that is not: ``../../etc/passwd`` is simply not in the list)."""
    return isinstance(name, str) and name in time_zones()
