"""Shared fixtures.

Database tests run on SQLite by default (a migrated template file copied for
each test) and on PostgreSQL when ``DELPHI_TEST_DATABASE_URL`` is set (the
schema migrated once, every table truncated between tests). Any test that
uses the ``app`` fixture is marked ``db`` automatically, so
``pytest -m db`` re-runs exactly those.

Forms are posted without CSRF tokens unless a test is marked ``csrf``.
"""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

# The servers the tests start (gunicorn) draw no chart at a close either:
# a detached ``flask charts render`` would outlive the test.
os.environ["DELPHI_CHART_PRERENDER"] = "off"
BASE_TEST_DATABASE_URL = os.environ.get("DELPHI_TEST_DATABASE_URL")


def _worker_database_url(base: str | None) -> str | None:
    """Under pytest-xdist each worker gets its own PostgreSQL database
    (``<name>_gw0``, ...), created on first use, so workers never share rows."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not base or not worker:
        return base
    from sqlalchemy.engine import make_url

    url = make_url(base)
    name = f"{url.database}_{worker}"
    try:
        import psycopg

        plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(plain, autocommit=True, connect_timeout=3) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{name}"')
    except Exception:  # reported by the reachability check of _template_database
        return base
    return url.set(database=name).render_as_string(hide_password=False)


TEST_DATABASE_URL = _worker_database_url(BASE_TEST_DATABASE_URL)
PASSWORD = "correct horse battery staple"
#: Cheap argon2 parameters: tests hash hundreds of passwords.
FAST_ARGON2 = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "app" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.db)


def pytest_configure(config):
    config.addinivalue_line("markers", "csrf: run with CSRF protection switched on")
    config.addinivalue_line("markers", "browser: drives headless Chromium against the app under "
                            "gunicorn (tests/browser; skipped without chromium and chromedriver)")


def base_config(database_url: str) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "DATABASE_URL": database_url,
        "ARGON2_PARAMETERS": FAST_ARGON2,
        "WTF_CSRF_ENABLED": False,
        "BASE_URL": "http://localhost",
        "MAIL_SERVER": None,
        # The close draws no chart (tests/test_chart_store.py switches it on).
        "CHART_PRERENDER": "off",
    }


def _migrate(database_url: str) -> None:
    from flask_migrate import upgrade

    from delphi import create_app
    from delphi.core.database import db
    from delphi.services.plan import load_plan

    app = create_app(base_config(database_url))
    with app.app_context():
        if TEST_DATABASE_URL:
            with db.engine.begin() as conn:
                conn.exec_driver_sql("DROP SCHEMA public CASCADE")
                conn.exec_driver_sql("CREATE SCHEMA public")
        upgrade()
        load_plan()
        db.session.commit()
        db.engine.dispose()


@pytest.fixture(scope="session")
def _template_database(tmp_path_factory):
    """The migrated database every test starts from."""
    if TEST_DATABASE_URL:
        try:
            import psycopg

            psycopg.connect(TEST_DATABASE_URL.replace("+psycopg", ""), connect_timeout=3).close()
        except Exception as error:  # pragma: no cover - depends on the machine
            pytest.skip(f"PostgreSQL at DELPHI_TEST_DATABASE_URL is not reachable: {error}")
        _migrate(TEST_DATABASE_URL)
        return None
    path = tmp_path_factory.mktemp("template") / "delphi.sqlite"
    _migrate(f"sqlite:///{path}")
    return path


@pytest.fixture
def database_url(_template_database, tmp_path) -> str:
    """A clean database for this test, with the strategic plan loaded."""
    if TEST_DATABASE_URL:
        return TEST_DATABASE_URL
    target = tmp_path / "delphi.sqlite"
    shutil.copyfile(_template_database, target)
    return f"sqlite:///{target}"


@pytest.fixture
def app(request, database_url, tmp_path):
    from delphi import create_app
    from delphi.core.database import db

    config = base_config(database_url)
    if request.node.get_closest_marker("csrf"):
        config["WTF_CSRF_ENABLED"] = True
    os.environ["DELPHI_INSTANCE_PATH"] = str(tmp_path / "instance")
    app = create_app(config)
    if TEST_DATABASE_URL and database_url == TEST_DATABASE_URL:
        _truncate(app)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    os.environ.pop("DELPHI_INSTANCE_PATH", None)


@pytest.fixture
def make_app(database_url, tmp_path, monkeypatch):
    """``make_app(**settings)`` → another app (another worker) on this test's
    database, with ``settings`` over the test configuration. Each one's engine
    is disposed at teardown: a PostgreSQL connection left to the garbage
    collector warns (ResourceWarning)."""
    from delphi import create_app
    from delphi.core.database import db

    monkeypatch.setenv("DELPHI_INSTANCE_PATH", str(tmp_path / "instance"))
    made = []

    def make(**settings):
        made.append(create_app({**base_config(database_url), **settings}))
        return made[-1]

    yield make
    for each in made:
        with each.app_context():
            db.session.remove()
            db.engine.dispose()


def _truncate(app) -> None:
    from delphi.core.database import db
    from delphi.core.models import Base
    from delphi.services.plan import load_plan

    with app.app_context():
        names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        with db.engine.begin() as conn:
            conn.exec_driver_sql(f"TRUNCATE TABLE {names} RESTART IDENTITY CASCADE")
        load_plan()
        db.session.commit()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_user(app):
    """``make_user(email=None, *, admin=False, organisation="Independent",
    status="none", name=None, region="Europe", stakeholder_group="research",
    language="en")`` → the new User (password: ``PASSWORD``)."""
    from delphi.core.database import db
    from delphi.core.models import MembershipStatus
    from delphi.services.accounts import Registration, register

    counter = iter(range(1, 100_000))

    def make(email=None, *, admin=False, organisation="Independent", status="none", name=None,
             region="Europe", stakeholder_group="research", language="en", password=PASSWORD):
        number = next(counter)
        email = email or f"user{number}@example.org"
        with app.app_context():
            user = register(Registration(
                email=email, password=password, name=name or f"User {number}",
                organisation=organisation, country="France", region=region,
                stakeholder_group=stakeholder_group, language=language, consent=True),
                is_admin=admin)
            user.organisation.status = MembershipStatus(status)
            db.session.commit()
            db.session.refresh(user)
            db.session.expunge(user)
            return user

    return make


class Auth:
    """Log a test client in and out through the real forms and API."""

    def __init__(self, client):
        self.client = client

    def login(self, email, password=PASSWORD):
        return self.client.post("/login", data={"email": email, "password": password})

    def logout(self):
        return self.client.post("/logout")

    def token(self, email, password=PASSWORD) -> dict:
        response = self.client.post("/api/v1/auth/token", json={"email": email, "password": password})
        assert response.status_code == 201, response.get_json()
        return {"Authorization": f"Bearer {response.get_json()['token']}"}


@pytest.fixture
def auth(client):
    return Auth(client)


def csrf_token_from(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


REPO_ROOT = Path(__file__).resolve().parent.parent
