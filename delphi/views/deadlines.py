"""Deadlines and times as a panellist reads them: in their own time zone, with the time left.

The helpers live in :mod:`delphi.i18n` (every page may show a time): the zone is
the user's (``User.time_zone``, set on the profile page or from the browser at
registration, when it is a known IANA name), else UTC, and is always named;
dates and numbers are worded by Babel in the reader's language.
"""
from __future__ import annotations

from delphi.i18n import LocalTime, local_time, reader_zone

__all__ = ["LocalTime", "local_time", "reader_zone"]
