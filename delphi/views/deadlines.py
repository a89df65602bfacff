"""Deadlines and times as a panellist reads them: in their own time zone, with the time left.

One helper, :func:`local_time`, used by every panel page: the zone is the
user's (``current_user.time_zone`` when the profile has one and it is a known
IANA name), else UTC, and is always named; dates and numbers are worded by
Babel in the reader's language.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time, format_timedelta
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from delphi.core.clock import now_or


@dataclass(frozen=True)
class LocalTime:
    """A moment for the reader: ``text`` ("15 March 2027, 17:00 (Europe/Paris)"),
    ``iso`` (for ``<time datetime>``), ``remaining`` ("6 days left", "closed"
    once past; empty when not asked) and ``zone`` (the zone's name)."""

    text: str
    iso: str
    remaining: str
    zone: str
    past: bool


def reader_zone(user=None) -> str:
    """The reader's IANA time zone name: the profile's when it has a valid one, else UTC."""
    user = current_user if user is None else user
    zone = getattr(user, "time_zone", None) if user is not None else None
    if isinstance(zone, str) and zone:
        try:
            ZoneInfo(zone)
            return zone
        except (ValueError, KeyError, OSError):
            pass
    return "UTC"


def local_time(moment: datetime | None, *, remaining: bool = False, zone: str | None = None,
               now: datetime | None = None) -> LocalTime | None:
    """``moment`` (aware, or naive UTC) in the reader's zone (or ``zone``); with
    ``remaining=True`` also the time left until it, worded by Babel ("6 days
    left", "5 hours left"), or "closed" when it is past. None for None."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    zone = zone or reader_zone()
    local = moment.astimezone(ZoneInfo(zone))
    locale = get_locale() or "en"
    text = _("%(date)s, %(time)s (%(zone)s)", date=format_date(local, "long", locale=locale),
             time=format_time(local, "HH:mm", locale=locale), zone=zone)
    now = now_or(now)
    past = moment <= now
    left = ""
    if remaining:
        left = _("closed") if past else _("%(time)s left", time=format_timedelta(
            moment - now, threshold=1.5, locale=locale))
    return LocalTime(text=text, iso=moment.astimezone(UTC).isoformat(), remaining=left,
                     zone=zone, past=past)
