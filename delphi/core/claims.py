"""Values made once and shared by every worker: insert-or-lose claims on a table.

The chart store (``delphi.charts.store``) and the store of a closed round's
computations (``rounds.computations``) both keep, per key, one row that every
worker reads. A missing value is made by one worker only: it inserts a
*claim* (the row with ``data`` NULL; the table's unique constraint on the
key is the lock), makes the value and fills the row in. Another worker that
loses the insert re-reads the row until the value is there; if the claim
disappears (its maker failed) it claims again; if the claim is older than
``claim_seconds`` (its maker died) it is taken over; after ``wait_seconds``
it makes the value itself and serves it without storing. A row made under
another ``stamp`` (another freezing of the round, other settings) is deleted
and never served.

Every read and write runs on a connection of its own, in its own short
transaction (on SQLite a read begins ``DEFERRED``, a write ``IMMEDIATE``),
so the request's session never holds the claim. When the caller's session
already holds SQLite's write lock, a second connection of the same thread
would wait for it forever: then the value is only read, or made and served.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import Table, delete, select, update
from sqlalchemy.exc import IntegrityError

from delphi.core import database
from delphi.core.database import db
from delphi.core.models.base import utcnow

__all__ = ["connection", "holds_sqlite_write_lock", "stored"]


@contextmanager
def connection(*, write: bool):
    """A connection of the store's own, in a transaction: on SQLite a read
    begins ``DEFERRED`` (never waits for a writer) and a write ``IMMEDIATE``."""
    token = database.sqlite_begin_mode.set("IMMEDIATE" if write else "DEFERRED")
    try:
        with db.engine.begin() as conn:
            yield conn
    finally:
        database.sqlite_begin_mode.reset(token)


def holds_sqlite_write_lock() -> bool:
    """True when this thread's session is in a SQLite write transaction."""
    return (db.engine.dialect.name == "sqlite" and db.session().in_transaction()
            and database.sqlite_begin_mode.get() == "IMMEDIATE")


def _read(table: Table, key: Mapping):
    with connection(write=False) as conn:
        return conn.execute(select(table).where(
            *(table.c[name] == value for name, value in key.items()))).first()


def _claim(table: Table, key: Mapping, stamp: str, blank: Mapping) -> int | None:
    """Insert the claim in its own transaction; its id, or None when another holds it."""
    try:
        with connection(write=True) as conn:
            return conn.execute(table.insert().values(
                **key, **blank, stamp=stamp, data=None,
                created_at=utcnow())).inserted_primary_key[0]
    except IntegrityError:
        return None


def _delete(table: Table, row_id: int, *, only_claim: bool = False) -> None:
    with connection(write=True) as conn:
        query = delete(table).where(table.c.id == row_id)
        if only_claim:
            query = query.where(table.c.data.is_(None))
        conn.execute(query)


def _make_into(table: Table, claim_id: int, make: Callable[[], Mapping]) -> Mapping:
    try:
        values = make()
    except BaseException:
        _delete(table, claim_id, only_claim=True)
        raise
    with connection(write=True) as conn:
        conn.execute(update(table).where(table.c.id == claim_id).values(
            **values, created_at=utcnow()))
    return values


def stored(table: Table, key: Mapping, stamp: str, make: Callable[[], Mapping], *,
           blank: Mapping | None = None, wait_seconds: float, poll: float,
           claim_seconds: float, count: Callable[[str], None] = lambda _event: None,
           pause: Callable[[float], None] = time.sleep):
    """The row of ``table`` at ``key`` (column → value) made under ``stamp``,
    or ``make()``'s values (a mapping of columns, ``data`` among them), made
    once as the module says. ``blank``: the other columns' values of a claim.
    ``count(event)`` hears ``"hit"``, ``"miss"``, ``"make"`` and ``"wait"``;
    ``pause(seconds)`` is the wait between two re-reads. Returns the stored
    row, or the values just made (a mapping either way)."""
    blank = dict(blank or {})

    def made() -> Mapping:
        count("make")
        return make()

    if holds_sqlite_write_lock():
        row = _read(table, key)
        if row is not None and row.data is not None and row.stamp == stamp:
            count("hit")
            return row._mapping
        return made()
    stale_after = timedelta(seconds=claim_seconds)
    for _attempt in range(3):
        row = _read(table, key)
        if row is not None and row.stamp != stamp:
            _delete(table, row.id)  # another freezing's (or settings') value: never served
            row = None
        if row is not None and row.data is not None:
            count("hit")
            return row._mapping
        claim_id = None
        if row is None:
            count("miss")
            claim_id = _claim(table, key, stamp, blank)
        if claim_id is not None:
            return _make_into(table, claim_id, made)
        # Another worker holds the claim: wait for its value (re-reading).
        count("wait")
        deadline = time.monotonic() + wait_seconds
        while True:
            row = _read(table, key)
            if row is None:
                break  # its making failed and it gave up: claim again
            if row.data is not None and row.stamp == stamp:
                count("hit")
                return row._mapping
            if row.stamp != stamp:
                break
            if row.data is None and utcnow() - row.created_at > stale_after:
                _delete(table, row.id, only_claim=True)  # its worker died while making it
                break
            if time.monotonic() >= deadline:
                return made()  # served, not stored: the claim's owner stores
            pause(poll)
    return made()
