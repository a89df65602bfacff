"""The floor of ``bench_submit.py``: a bare Flask app that writes what a submit
of answers writes, and nothing else.

``POST /responses/<id>`` with ``{"ratings": [{"item", "criterion", "value"}]}``
upserts those rows into the real ``rating`` table and stamps the response, in
one transaction, on the same database as the application and with the same
engine set-up (``delphi.core.database``: SQLite's WAL, pragmas and ``BEGIN
IMMEDIATE``; PostgreSQL through psycopg 3). No session, token, validation,
lock or ORM: what is left is Flask, one round trip per statement and the commit.

Served by gunicorn: ``gunicorn 'bench.bare_submit:create_app()'`` with
``DELPHI_DATABASE_URL`` set.
"""
from __future__ import annotations

import os
from datetime import UTC, datetime

from flask import Flask, jsonify, request
from sqlalchemy import create_engine, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from delphi.core.database import configure_engine, engine_options
from delphi.core.models import Rating, Response


def create_app() -> Flask:
    url = os.environ["DELPHI_DATABASE_URL"]
    engine = create_engine(url, **engine_options(url, 30))
    configure_engine(engine, 30)
    insert = postgresql_insert if engine.dialect.name == "postgresql" else sqlite_insert
    ratings, responses = Rating.__table__, Response.__table__
    app = Flask(__name__)

    @app.get("/ping")
    def ping():
        return "ok"

    @app.post("/responses/<int:response_id>")
    def submit(response_id: int):
        rows = [{"response_id": response_id, "item_id": r["item"], "criterion": r["criterion"],
                 "value": r["value"]} for r in request.get_json()["ratings"]]
        statement = insert(ratings).values(rows)
        statement = statement.on_conflict_do_update(
            index_elements=["response_id", "item_id", "criterion"],
            set_={"value": statement.excluded.value})
        with engine.begin() as conn:
            conn.execute(statement)
            conn.execute(update(responses).where(responses.c.id == response_id)
                         .values(updated_at=datetime.now(UTC)))
        return jsonify(saved=len(rows))

    return app
