"""Rendered charts of closed rounds, stored in the database and shared by every worker.

A closed round's statistics are frozen, so its charts never change. They are
drawn once (right after the close commits: :mod:`delphi.charts.prerender`)
and kept in the ``chart_image`` table (:class:`delphi.core.models.ChartImage`),
keyed by round, chart, language and format. Every worker process, on every
host that shares the database, serves them without drawing.

**A missing chart is drawn once, under a lock made of the unique constraint
(insert-or-lose).** The worker that needs a missing chart inserts a *claim*
(the row with ``data`` NULL) in its own short transaction:

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
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from delphi.core import database
from delphi.core.database import db
from delphi.core.models import ChartImage, utcnow

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


def _where(round_id: int, key: str, language: str, fmt: str):
    return (TABLE.c.round_id == round_id, TABLE.c.key == key,
            TABLE.c.language == language, TABLE.c.format == fmt)


@contextmanager
def _connection(*, write: bool):
    """A connection of the store's own, in a transaction: on SQLite a read
    begins ``DEFERRED`` (never waits for a writer) and a write ``IMMEDIATE``."""
    token = database.sqlite_begin_mode.set("IMMEDIATE" if write else "DEFERRED")
    try:
        with db.engine.begin() as conn:
            yield conn
    finally:
        database.sqlite_begin_mode.reset(token)


def _holds_sqlite_write_lock() -> bool:
    """True when this thread's session is in a SQLite write transaction: a
    second connection of the same thread would then wait for it forever, so
    the store only reads (the chart is drawn and served, not stored)."""
    return (db.engine.dialect.name == "sqlite" and db.session().in_transaction()
            and database.sqlite_begin_mode.get() == "IMMEDIATE")


def _read(round_id: int, key: str, language: str, fmt: str):
    with _connection(write=False) as conn:
        return conn.execute(select(TABLE).where(*_where(round_id, key, language, fmt))).first()


def _entry(row) -> CachedChart:
    return CachedChart(bytes(row.data), row.mimetype, row.alt, row.etag, True)


def _claim(round_id: int, key: str, language: str, fmt: str, stamp: str) -> int | None:
    """Insert the claim in its own transaction; its id, or None when another holds it."""
    try:
        with _connection(write=True) as conn:
            result = conn.execute(TABLE.insert().values(
                round_id=round_id, key=key, language=language, format=fmt, stamp=stamp,
                mimetype="", data=None, alt="", etag="", created_at=utcnow()))
            return result.inserted_primary_key[0]
    except IntegrityError:
        return None


def _delete(row_id: int, *, only_claim: bool = False) -> None:
    with _connection(write=True) as conn:
        query = delete(TABLE).where(TABLE.c.id == row_id)
        if only_claim:
            query = query.where(TABLE.c.data.is_(None))
        conn.execute(query)


def stored(round_id: int, stamp: str, key: str, language: str, fmt: str,
           draw: Callable[[], CachedChart]) -> CachedChart:
    """The stored chart, or ``draw()`` it once (insert-or-lose, see the module)
    and store it."""
    app = current_app
    stats = stats_for(app)
    wait_total = float(app.config.get("CHART_WAIT_SECONDS", 20))
    poll = float(app.config.get("CHART_WAIT_POLL", 0.05))
    stale_after = timedelta(seconds=float(app.config.get("CHART_CLAIM_SECONDS", 120)))
    if _holds_sqlite_write_lock():
        row = _read(round_id, key, language, fmt)
        if row is not None and row.data is not None and row.stamp == stamp:
            stats.count("hits")
            return _entry(row)
        stats.count("draws")
        return draw()
    for _attempt in range(3):
        row = _read(round_id, key, language, fmt)
        if row is not None and row.stamp != stamp:
            _delete(row.id)  # another freezing's image: never served
            row = None
        if row is not None and row.data is not None:
            stats.count("hits")
            return _entry(row)
        claim_id = None
        if row is None:
            stats.count("misses")
            claim_id = _claim(round_id, key, language, fmt, stamp)
        if claim_id is not None:
            return _draw_into(claim_id, draw, stats)
        # Another worker holds the claim: wait for its bytes (re-reading).
        stats.count("waits")
        deadline = time.monotonic() + wait_total
        while True:
            row = _read(round_id, key, language, fmt)
            if row is None:
                break  # its drawing failed and it gave up: claim again
            if row.data is not None and row.stamp == stamp:
                stats.count("hits")
                return _entry(row)
            if row.data is None and utcnow() - row.created_at > stale_after:
                _delete(row.id, only_claim=True)  # its worker died while drawing
                break
            if time.monotonic() >= deadline:
                stats.count("draws")
                return draw()  # serve without storing; the claim's owner stores
            _pause(poll)
    stats.count("draws")
    return draw()


def _pause(seconds: float) -> None:
    """The wait between two re-reads of a claim (a seam for the tests)."""
    time.sleep(seconds)


def _draw_into(claim_id: int, draw: Callable[[], CachedChart], stats: StoreStats) -> CachedChart:
    try:
        stats.count("draws")
        entry = draw()
    except BaseException:
        _delete(claim_id, only_claim=True)
        raise
    with _connection(write=True) as conn:
        conn.execute(update(TABLE).where(TABLE.c.id == claim_id).values(
            data=entry.data, mimetype=entry.mimetype, alt=entry.alt, etag=entry.etag,
            created_at=utcnow()))
    return entry


def stored_count(round_id: int) -> int:
    """How many images of the round are stored (claims not counted)."""
    with _connection(write=False) as conn:
        return len(conn.execute(select(TABLE.c.id).where(
            TABLE.c.round_id == round_id, TABLE.c.data.is_not(None))).all())
