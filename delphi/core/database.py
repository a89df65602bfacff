"""The database handle (``db``) and the engine set-up for the two supported databases.

``db`` is Flask-SQLAlchemy's handle, created unbound here and ``init_app``'d
by the application factory; services use ``db.session`` and never commit
(the unit of work of the request or command that called them does).

SQLite (the embedded default) gets WAL, foreign keys, ``synchronous=NORMAL``
and a busy timeout on every connection, and every transaction that may write
begins with ``BEGIN IMMEDIATE``: it takes the write lock up front, so a
transaction can never fail half-way when it later upgrades from reading to
writing (SQLite's deferred upgrade gets ``SQLITE_BUSY`` at once and ignores the
timeout). Safe HTTP methods (GET, HEAD, OPTIONS) change nothing, so their
transactions begin ``DEFERRED`` and read concurrently with writers.

PostgreSQL is reached through psycopg 3; ``postgresql://`` URLs are rewritten
to ``postgresql+psycopg://``.
"""
from __future__ import annotations

import contextvars
import os

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event
from sqlalchemy.engine import Engine

from delphi.core.models.base import Base

db = SQLAlchemy(model_class=Base)

#: "IMMEDIATE" or "DEFERRED": how the next SQLite transaction begins.
sqlite_begin_mode: contextvars.ContextVar[str] = contextvars.ContextVar(
    "sqlite_begin_mode", default="IMMEDIATE"
)


def database_uri(url: str | None, instance_path: str) -> str:
    """The SQLAlchemy URI for a configured URL (``None``: SQLite in instance/)."""
    if not url:
        return "sqlite:///" + os.path.join(instance_path, "delphi.sqlite")
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def engine_options(uri: str, busy_timeout: int) -> dict:
    if uri.startswith("sqlite"):
        return {"connect_args": {"timeout": busy_timeout, "check_same_thread": False}}
    return {"pool_pre_ping": True}


def configure_engine(engine: Engine, busy_timeout: int) -> None:
    """Install the SQLite pragmas and ``BEGIN IMMEDIATE`` (no-op elsewhere)."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not pysqlite, decide when a transaction begins.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql(f"BEGIN {sqlite_begin_mode.get()}")
