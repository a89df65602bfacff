"""Panellists submit while the moderator closes the round, against a real server.

A gunicorn server (2 workers × 4 threads) runs on loopback on the test's
database (SQLite file or PostgreSQL). 36 panellists save a draft and submit
through ``PUT /api/v1/studies/{id}/rounds/1/response`` from threads: half of
them at once; when a third of all are acknowledged the moderator closes the
round through ``POST .../rounds/1/close``, and the other half start
submitting at the moment the close is sent, so they race it. Every
acknowledged submission (200, "submitted") must be counted in the frozen
statistics, every refused one (409) must be absent, and nothing may be a 5xx.
"""
from __future__ import annotations

import hashlib
import http.client
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.factories import (
    answer_round,
    build_study,
    get_round,
    panellist_of,
    user_by_email,
)
from tests.gunicorn_server import gunicorn

N_PANELLISTS = 36
CRITERIA = ("importance", "feasibility")
ARGON2 = '{"time_cost": 1, "memory_cost": 8, "parallelism": 1}'


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _request(port: int, method: str, path: str, body=None, token=None, timeout=60.0):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        conn.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
        response = conn.getresponse()
        raw = response.read()
        try:
            data = json.loads(raw) if raw else None
        except ValueError:
            data = raw.decode(errors="replace")
        return response.status, data
    finally:
        conn.close()


def _wait_until_up(port: int, process: subprocess.Popen, attempts: int = 300) -> None:
    """Poll the server until it answers (bounded; fails early if it died)."""
    for _attempt in range(attempts):
        if process.poll() is not None:
            raise AssertionError(f"gunicorn exited with {process.returncode}")
        try:
            status, _data = _request(port, "GET", "/api/v1/openapi.json", timeout=2.0)
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)  # between connection attempts
    raise AssertionError("the server did not come up")


def _token(user_id: int) -> str:
    from delphi.core.database import db
    from delphi.core.models import ApiToken

    token = secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user_id, token_hash=hashlib.sha256(token.encode()).hexdigest(),
                            expires_at=datetime.now(timezone.utc) + timedelta(days=1)))
    return token


@pytest.fixture
def server(app, database_url, tmp_path):
    """A world with round 1 open, tokens, and a gunicorn server on its database."""
    from delphi.core.database import db

    if not shutil.which("gunicorn", path=str(Path(sys.executable).parent)):
        pytest.skip("gunicorn is not installed")
    world = build_study(app, n_panellists=N_PANELLISTS, n_items=4, criteria=CRITERIA)
    answer_round(app, world, 1, who=[])  # opens round 1
    with app.app_context():
        tokens = {email: _token(user_by_email(email).id) for email in [world.moderator, *world.panellists]}
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    port = _free_port()
    env = {
        **os.environ,
        "DELPHI_DATABASE_URL": database_url,
        "DELPHI_SECRET_KEY": "concurrency-test-secret",
        "DELPHI_ARGON2_PARAMETERS": ARGON2,
        "DELPHI_INSTANCE_PATH": str(tmp_path / "server-instance"),
        "DELPHI_MAIL_SERVER": "",
    }
    with gunicorn(port, env, tmp_path / "gunicorn.log", workers=2, timeout=120,
                  until_up=lambda process: _wait_until_up(port, process)):
        yield world, tokens, port


def test_submissions_racing_the_close_are_counted_or_refused(app, server):
    from delphi.core.database import db
    from delphi.core.models import (
        ItemStatistics,
        Response,
        ResponseStatus,
        RoundStatistics,
        RoundStatus,
    )

    world, tokens, port = server
    base = f"/api/v1/studies/{world.study_id}/rounds/1"
    # Each panellist's value: a function of its position, so the counts can be predicted.
    value = {email: {c: 1 + (k + j) % 5 for j, c in enumerate(CRITERIA)}
             for k, email in enumerate(world.panellists)}
    results: dict[str, list[tuple[int, object]]] = {email: [] for email in world.panellists}
    acknowledged = threading.Semaphore(0)
    start = threading.Barrier(N_PANELLISTS + 1)
    close_result: list = []

    def body(email, submit):
        return {"ratings": [{"item": item, "criterion": c, "value": value[email][c]}
                            for item in world.item_ids for c in CRITERIA], "submit": submit}

    closing = threading.Event()
    second_wave = set(world.panellists[N_PANELLISTS // 2:])

    def panellist(email):
        start.wait()
        if email in second_wave:
            closing.wait(timeout=60)
        try:
            results[email].append(_request(port, "PUT", f"{base}/response", body(email, False), tokens[email]))
            status, data = _request(port, "PUT", f"{base}/response", body(email, True), tokens[email])
            results[email].append((status, data))
            if status == 200:
                acknowledged.release()
        except Exception as error:  # a dropped connection is a failure too
            results[email].append((599, repr(error)))

    def moderator():
        start.wait()
        for _i in range(N_PANELLISTS // 3):
            if not acknowledged.acquire(timeout=60):
                break
        closing.set()
        close_result.append(_request(port, "POST", f"{base}/close", {}, tokens[world.moderator]))

    threads = [threading.Thread(target=panellist, args=(e,)) for e in world.panellists]
    threads.append(threading.Thread(target=moderator))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)

    assert close_result and close_result[0][0] == 200, close_result
    statuses = [status for calls in results.values() for status, _d in calls]
    assert not [s for s in statuses if s >= 500], results
    assert set(statuses) <= {200, 409}, results
    submitted = {e for e, calls in results.items()
                 if calls[-1][0] == 200 and calls[-1][1] == {"status": "submitted"}}
    refused = {e for e, calls in results.items() if calls[-1][0] == 409}
    assert submitted | refused == set(world.panellists)
    assert len(submitted) >= N_PANELLISTS // 3
    print(f"acknowledged {len(submitted)}, refused {len(refused)}")
    for email in refused:
        error = results[email][-1][1]["error"]
        assert error["code"] in ("invalid_state", "conflict") and error["message"]

    with app.app_context():
        rnd = get_round(world, 1)
        assert rnd.status is RoundStatus.closed
        counted = {r.panellist_id for r in db.session.scalars(select(Response).where(
            Response.round_id == rnd.id, Response.status == ResponseStatus.submitted))}
        assert counted == {panellist_of(world, e).id for e in submitted}
        round_stats = db.session.scalar(select(RoundStatistics).where(RoundStatistics.round_id == rnd.id))
        assert round_stats.submitted == len(submitted)
        for s in db.session.scalars(select(ItemStatistics).where(ItemStatistics.round_id == rnd.id)):
            assert s.n == len(submitted)
            expected = [sum(1 for e in submitted if value[e][s.criterion] == v) for v in range(1, 6)]
            assert s.counts == expected
        db.session.remove()
        db.engine.dispose()
