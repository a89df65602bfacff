"""The clock: every timestamp is timezone-aware UTC.

Services take time as ``now=`` so tests need no clock tricks; ``None`` means
the current time.
"""
from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def now_or(now: datetime | None) -> datetime:
    """``now`` as an aware UTC datetime (``None``: the current time; a naive
    value is taken to be UTC already)."""
    if now is None:
        return utcnow()
    if now.tzinfo is None:
        return now.replace(tzinfo=UTC)
    return now.astimezone(UTC)


def from_wall_clock(wall_clock: datetime, zone: str) -> datetime:
    """The moment (aware UTC) that the wall-clock time ``wall_clock`` names in
    the IANA zone ``zone`` (an aware value is only converted). In the hour a
    clock goes back the earlier of the two moments is taken; a time that a
    clock skips (the hour it goes forward) is read with the offset before the
    change (Python's ``fold=0``), so it lands one hour later in local time."""
    if wall_clock.tzinfo is None:
        wall_clock = wall_clock.replace(tzinfo=ZoneInfo(zone), fold=0)
    return wall_clock.astimezone(UTC)


@lru_cache(maxsize=1)
def time_zones() -> frozenset[str]:
    """The IANA time zone names this installation knows (with ``UTC``): the one
    list every time-zone field (a study's, a user's) is checked against."""
    return frozenset(available_timezones() | {"UTC"})


def is_time_zone(name: object) -> bool:
    """Whether ``name`` is one of :func:`time_zones` (never opens a file for a
    name that is not: ``../../etc/passwd`` is simply not in the list)."""
    return isinstance(name, str) and name in time_zones()
