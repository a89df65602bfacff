"""Rendered charts of closed rounds, stored in the database and shared by every worker.

A closed round's statistics are frozen, so its charts never change. They are
drawn once (right after the close commits: :mod:`delphi.charts.prerender`)
and kept in the ``chart_image`` table (:class:`delphi.core.models.ChartImage`),
keyed by round, chart, language and format. Every worker process, on every
host that shares the database, serves them without drawing.

**A missing chart is drawn once, under a lock made of the unique constraint
(insert-or-lose: :mod:`delphi.core.claims`, which the stored computations of
``rounds.computations`` use too).** The worker that needs a missing chart
inserts a *claim* (the row with ``data`` NULL) in its own short transaction:

* its insert wins: it draws, writes the bytes into its claim and serves them
  (if drawing fails, it deletes its claim, so the next request tries again);
* its insert loses (``IntegrityError``: another worker holds the claim): it
  re-reads the row every ``CHART_WAIT_POLL`` seconds (default 0.05) until the
  bytes are there, for at most ``CHART_WAIT_SECONDS`` (default 20). If they
  never come, it draws the chart itself and serves it without storing it, so
  a request never fails because another one is slow. A claim older than
  ``CHART_CLAIM_SECONDS`` (default 120: its worker died while drawing) is
  deleted and claimed again.

Reads and writes of the store use their own connections, never the request's
session: the request may hold a read snapshot (SQLite WAL) in which another
worker's image would stay invisible, and a claim must be visible to the other
workers at once. On SQLite a request that holds the write lock itself (a POST
whose page shows the report's figures) only reads the store: a missing chart
is then drawn and served without being stored (a second connection of the
same thread would wait for the lock forever).

A stored row carries the round's freeze stamp (:func:`rounds.results.freeze_stamp`);
a row of another freezing (a database wiped and refilled, ids reused) is
deleted and drawn again.

:func:`stats_for` counts, per application, ``hits`` (served from the store),
``draws`` (charts drawn by this process, stored or not), ``waits`` (a lost
insert that waited for the winner) and ``misses``; the tests assert on them.
"""
from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select

from delphi.core import claims
from delphi.core.models import ChartImage

TABLE = ChartImage.__table__


@dataclass(frozen=True)
class CachedChart:
    data: bytes
    mimetype: str
    alt: str
    etag: str
    frozen: bool


@dataclass
class StoreStats:
    hits: int = 0
    misses: int = 0
    draws: int = 0
    waits: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, name: str, n: int = 1) -> None:
        with self.lock:
            setattr(self, name, getattr(self, name) + n)


def stats_for(app=None) -> StoreStats:
    app = app or current_app
    stats = app.extensions.get("chart_store_stats")
    if stats is None:
        stats = app.extensions.setdefault("chart_store_stats", StoreStats())
    return stats


def etag_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]


def chart_key(name: str, criterion: str | None, item_id: int | None) -> str:
    """The ``key`` column: ``<chart>:<criterion>:<item id>``."""
    return f"{name}:{criterion or ''}:{item_id if item_id is not None else ''}"


def _entry(row) -> CachedChart:
    return CachedChart(bytes(row["data"]), row["mimetype"], row["alt"], row["etag"], True)


def stored(round_id: int, stamp: str, key: str, language: str, fmt: str,
           draw: Callable[[], CachedChart]) -> CachedChart:
    """The stored chart, or ``draw()`` it once (insert-or-lose claims,
    :mod:`delphi.core.claims`) and store it."""
    app = current_app
    stats = stats_for(app)
    drawn: list[CachedChart] = []

    def make() -> dict:
        entry = draw()
        drawn.append(entry)
        return {"data": entry.data, "mimetype": entry.mimetype, "alt": entry.alt,
                "etag": entry.etag}

    row = claims.stored(
        TABLE, {"round_id": round_id, "key": key, "language": language, "format": fmt}, stamp,
        make, blank={"mimetype": "", "alt": "", "etag": ""},
        wait_seconds=float(app.config.get("CHART_WAIT_SECONDS", 20)),
        poll=float(app.config.get("CHART_WAIT_POLL", 0.05)),
        claim_seconds=float(app.config.get("CHART_CLAIM_SECONDS", 120)),
        count=lambda event: stats.count(EVENTS[event]),
        pause=lambda seconds: _pause(seconds))  # late-bound: the tests' seam
    return drawn[-1] if drawn else _entry(row)


#: The store's events (``delphi.core.claims``) as the chart statistics name them.
EVENTS = {"hit": "hits", "miss": "misses", "make": "draws", "wait": "waits"}


def _pause(seconds: float) -> None:
    """The wait between two re-reads of a claim (a seam for the tests)."""
    time.sleep(seconds)


def stored_count(round_id: int) -> int:
    """How many images of the round are stored (claims not counted)."""
    with claims.connection(write=False) as conn:
        return len(conn.execute(select(TABLE.c.id).where(
            TABLE.c.round_id == round_id, TABLE.c.data.is_not(None))).all())
