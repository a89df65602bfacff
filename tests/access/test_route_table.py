"""Every route × role, with the status each role gets (see README.md in this folder)."""
from __future__ import annotations

import importlib
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import text
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from tests.access.conftest import DEFAULT_WORLD, ROLES, WORLDS, build_world
from tests.conftest import PASSWORD

HERE = Path(__file__).resolve().parent
METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}
REQUIRED_ROLES = {"anonymous", "member", "admin"}
MODULE_NAMES = sorted(p.stem for p in HERE.glob("routes_*.py"))


def load(name: str):
    return importlib.import_module(f"tests.access.{name}")


def entries(module):
    for entry in module.ROUTES:
        method, path, expected = entry[:3]
        options = entry[3] if len(entry) > 3 else {}
        yield method, path, expected, options


def _dummy_path(path: str) -> str:
    """The path with every placeholder replaced by a value any converter accepts."""
    return re.sub(r"{[^{}]+}", "1", urlsplit(path).path)


def all_routes(app) -> set[tuple[str, str]]:
    return {(method, rule.rule) for rule in app.url_map.iter_rules() if rule.endpoint != "static"
            for method in rule.methods - {"HEAD", "OPTIONS"}}


# -- the shape of every module ---------------------------------------------------------

@pytest.mark.parametrize("name", MODULE_NAMES)
def test_the_module_is_well_formed(name):
    module = load(name)
    assert isinstance(module.ROUTES, list) and module.ROUTES, f"{name}: ROUTES is empty"
    assert getattr(module, "WORLD", DEFAULT_WORLD) in WORLDS, f"{name}: unknown WORLD"
    problems = []
    for entry in module.ROUTES:
        if not (isinstance(entry, tuple) and len(entry) in (3, 4)):
            problems.append(f"not (method, path, expected[, options]): {entry!r}")
            continue
        method, path, expected = entry[:3]
        options = entry[3] if len(entry) == 4 else {}
        if method not in METHODS:
            problems.append(f"{path}: unknown method {method!r}")
        if not (isinstance(path, str) and path.startswith("/")):
            problems.append(f"{path!r}: a path starts with /")
        missing = REQUIRED_ROLES - set(expected)
        if missing:
            problems.append(f"{method} {path}: no status for {sorted(missing)}")
        unknown = set(expected) - set(ROLES)
        if unknown:
            problems.append(f"{method} {path}: unknown roles {sorted(unknown)}")
        if not all(isinstance(s, int) and 100 <= s < 600 for s in expected.values()):
            problems.append(f"{method} {path}: statuses must be HTTP status integers")
        if set(options) - {"data", "json"}:
            problems.append(f"{method} {path}: options take only 'data' or 'json'")
    assert not problems, f"{name}:\n" + "\n".join(problems)


# -- coverage -----------------------------------------------------------------------

def test_every_route_is_in_the_table(app):
    """A route of the app that no entry matches fails here; so does an entry matching nothing."""
    adapter = app.url_map.bind("localhost")
    covered: set[tuple[str, str]] = set()
    stale = []
    for name in MODULE_NAMES:
        for method, path, _expected, _options in entries(load(name)):
            try:
                rule, _args = adapter.match(_dummy_path(path), method=method, return_rule=True)
            except (HTTPException, RequestRedirect) as error:
                stale.append(f"{name}: {method} {path} matches no route ({type(error).__name__})")
                continue
            covered.add((method, rule.rule))
    missing = sorted(all_routes(app) - covered, key=lambda r: (r[1], r[0]))
    message = []
    if missing:
        message.append("routes missing from the route × role table (add them to a "
                       "tests/access/routes_*.py module):\n  "
                       + "\n  ".join(f"{m} {r}" for m, r in missing))
    if stale:
        message.append("table entries that match no route:\n  " + "\n  ".join(stale))
    assert not message, "\n".join(message)


# -- the statuses -------------------------------------------------------------------

def _clients(app, world):
    """One client per role, logged in on the web and holding an API token."""
    clients = {}
    for role in ROLES:
        email = world.logins.get(role)
        if role != "anonymous" and email is None:
            continue
        client = app.test_client()
        headers = {}
        if email:
            response = client.post("/login", data={"email": email, "password": PASSWORD})
            assert response.status_code == 302, f"{role} cannot log in"
            token = client.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
            assert token.status_code == 201, f"{role} gets no API token"
            headers = {"Authorization": f"Bearer {token.get_json()['token']}"}
        clients[role] = (client, headers)
    return clients


def _audit_rows(app):
    from delphi.core.database import db

    with app.app_context():
        return db.session.execute(text(
            "SELECT id, actor_id, action, object_type, object_id, at FROM audit_event ORDER BY id"
        )).all()


STATUS_MODULES = [n for n in MODULE_NAMES if not getattr(load(n), "CHECKED_ELSEWHERE", None)]


@pytest.mark.parametrize("name", STATUS_MODULES)
def test_each_role_gets_the_expected_status(app, name):
    module = load(name)
    world = build_world(app, getattr(module, "WORLD", DEFAULT_WORLD))
    clients = _clients(app, world)
    audit_before = _audit_rows(app)
    failures = []
    for role in ROLES:
        for method, template, expected, options in entries(module):
            if role not in expected:
                continue
            if role not in clients:
                failures.append(f"{role}: the {world.name!r} world has nobody in this role")
                break
            client, headers = clients[role]
            try:
                path = template.format(**world.placeholders)
            except KeyError as error:
                failures.append(f"{method} {template}: no placeholder {error} in the "
                                f"{world.name!r} world")
                continue
            kwargs = {"headers": headers} if path.startswith("/api/") else {}
            response = client.open(path, method=method, **options, **kwargs)
            if response.status_code != expected[role]:
                where = response.headers.get("Location", "")
                failures.append(f"{role:<10} {method:<6} {path}: expected {expected[role]}, "
                                f"got {response.status_code} {where}".rstrip())
    assert not failures, (
        f"{name} (world {world.name!r}; a module picks its world with WORLD = ..., "
        "see tests/access/README.md):\n" + "\n".join(failures))
    # Whatever the routes did, no earlier audit event was changed or removed.
    assert _audit_rows(app)[:len(audit_before)] == audit_before
