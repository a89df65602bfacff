"""The clock: every timestamp is timezone-aware UTC.

Services take time as ``now=`` so tests need no clock tricks; ``None`` means
the current time.
"""
from __future__ import annotations

from datetime import datetime, timezone


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
