"""Concurrent guesses against one account, through 2 real gunicorn workers (both databases)."""
from __future__ import annotations

import os
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.gunicorn_server import gunicorn
from tests.test_concurrency import ARGON2, _free_port, _request, _wait_until_up

GUESSES = 40


@pytest.fixture
def server(app, database_url, tmp_path, make_user):
    from delphi.core.database import db

    if not shutil.which("gunicorn", path=str(Path(sys.executable).parent)):
        pytest.skip("gunicorn is not installed")
    make_user("ada@example.org")
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    port = _free_port()
    env = {**os.environ, "DELPHI_DATABASE_URL": database_url,
           "DELPHI_SECRET_KEY": "throttle-test-secret", "DELPHI_ARGON2_PARAMETERS": ARGON2,
           "DELPHI_INSTANCE_PATH": str(tmp_path / "server-instance"), "DELPHI_MAIL_SERVER": ""}
    with gunicorn(port, env, tmp_path / "gunicorn.log", workers=2, timeout=120,
                  until_up=lambda process: _wait_until_up(port, process)):
        yield port


def test_concurrent_guesses_never_pass_the_accounts_limit(app, server):
    """40 wrong passwords at once, across two worker processes of 4 threads:
    exactly the limit is checked (401), every other guess is refused unchecked (429)."""
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]

    def guess(k):
        return _request(server, "POST", "/api/v1/auth/token",
                        {"email": "ada@example.org", "password": f"wrong guess number {k}"})[0]

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(guess, range(GUESSES)))
    assert sorted(set(statuses)) == [401, 429]
    assert statuses.count(401) == limit
    assert statuses.count(429) == GUESSES - limit
