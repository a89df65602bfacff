"""The JSON API's base: task forces, tokens, errors, the OpenAPI document (issue 2, item 10)."""
from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD, REPO_ROOT

PLAN = json.loads((REPO_ROOT / "delphi" / "data" / "plan.json").read_text(encoding="utf-8"))
TASK_FORCE_KEYS = {"code", "goal", "facility", "label", "objective", "baseline_2020",
                   "target_2030", "target_2050", "indicators"}


def assert_json_error(response, status, code=None):
    assert response.status_code == status
    assert response.mimetype == "application/json", response.get_data(as_text=True)[:200]
    body = response.get_json()
    assert set(body) == {"error"}
    assert {"code", "message"} <= set(body["error"]) <= {"code", "message", "fields"}
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code
    return body["error"]


# -- the strategic plan ------------------------------------------------------------

def test_the_24_task_forces_with_the_seed_texts(client):
    response = client.get("/api/v1/task-forces")
    assert response.status_code == 200
    rows = response.get_json()
    assert len(rows) == 24
    expected = [{"code": tf["code"], "goal": tf["goal"], "facility": tf.get("facility"),
                 "label": tf["label"], "objective": tf["objective"],
                 "baseline_2020": tf["baseline_2020"], "target_2030": tf["target_2030"],
                 "target_2050": tf["target_2050"]} for tf in PLAN["task_forces"]]
    assert all(set(row) == TASK_FORCE_KEYS for row in rows)
    texts = [{k: v for k, v in row.items() if k != "indicators"} for row in rows]
    assert sorted(texts, key=lambda r: r["code"]) == sorted(expected, key=lambda r: r["code"])
    # The indicators are tests/test_indicators.py's.
    assert [len(r["indicators"]) for r in rows] == [len(tf["indicators"]) for tf in PLAN["task_forces"]]


def test_one_task_force_by_code(client):
    response = client.get("/api/v1/task-forces/c3")
    assert response.status_code == 200
    body = response.get_json()
    source = next(tf for tf in PLAN["task_forces"] if tf["code"] == "C3")
    assert body["code"] == "C3" and body["label"] == source["label"]
    assert body["target_2050"] == source["target_2050"]


@pytest.mark.parametrize("code", ["Z1", "A99", "x", "%20"])
def test_an_unknown_task_force_is_a_json_404(client, code):
    assert_json_error(client.get(f"/api/v1/task-forces/{code}"), 404, "not_found")


# -- tokens ----------------------------------------------------------------------

def test_a_token_is_201_with_an_expiry_and_stored_hashed(app, client, make_user):
    from datetime import datetime

    from delphi.core.database import db
    from delphi.core.models import ApiToken

    make_user("ada@example.org")
    response = client.post("/api/v1/auth/token", json={"email": "ada@example.org", "password": PASSWORD})
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"token", "expires_at"}
    expires = datetime.fromisoformat(body["expires_at"])
    assert expires.utcoffset() is not None
    with app.app_context():
        stored = db.session.scalars(select(ApiToken.token_hash)).all()
    assert stored == [hashlib.sha256(body["token"].encode()).hexdigest()]
    assert body["token"] not in stored[0]


def test_bad_credentials_are_401(client, make_user):
    make_user("ada@example.org")
    response = client.post("/api/v1/auth/token", json={"email": "ada@example.org", "password": "nope nope nope"})
    assert_json_error(response, 401, "invalid_credentials")
    response = client.post("/api/v1/auth/token", json={"email": "who@example.org", "password": PASSWORD})
    assert_json_error(response, 401, "invalid_credentials")


@pytest.mark.parametrize("body", [{}, {"email": "ada@example.org"}, {"email": 1, "password": PASSWORD}])
def test_missing_credentials_are_422(client, body):
    error = assert_json_error(client.post("/api/v1/auth/token", json=body), 422, "invalid")
    assert error["fields"]


@pytest.mark.parametrize("header", [
    "", "Bearer", "Bearer ", "Bearer not-a-token", "Basic YWRhOnB3", "bearer  ",
])
def test_calls_without_a_valid_token_are_401(client, header):
    headers = {"Authorization": header} if header else {}
    assert_json_error(client.get("/api/v1/me", headers=headers), 401, "unauthorised")


def test_an_expired_token_is_401(app, client, make_user, auth):
    from delphi.core.database import db
    from delphi.core.models import ApiToken, utcnow

    make_user("ada@example.org")
    headers = auth.token("ada@example.org")
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    with app.app_context():
        token = db.session.scalar(select(ApiToken))
        token.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert_json_error(client.get("/api/v1/me", headers=headers), 401)


def test_a_revoked_token_is_401(client, make_user, auth):
    make_user("ada@example.org")
    headers = auth.token("ada@example.org")
    other = auth.token("ada@example.org")
    assert client.delete("/api/v1/auth/token", headers=headers).status_code == 204
    assert_json_error(client.get("/api/v1/me", headers=headers), 401)
    assert client.get("/api/v1/me", headers=other).status_code == 200


def test_the_api_ignores_the_session_cookie(app, client, make_user, auth):
    make_user("ada@example.org")
    auth.login("ada@example.org")
    assert client.get("/me").status_code == 200
    assert_json_error(client.get("/api/v1/me"), 401)


# -- errors ----------------------------------------------------------------------

POSTS = ["/api/v1/users", "/api/v1/auth/token", "/api/v1/task-forces/A1/memberships"]
MALFORMED = [
    b"{", b"not json", b"", b'{"email": "a@b.c",}', b"[1, 2]", b'"a string"', b"null", b"42",
    b"\xff\xfe\x00garbage", b"[" * 50_000, b'{"a": ' * 50_000,
]


@pytest.mark.parametrize("path", POSTS)
@pytest.mark.parametrize("body", MALFORMED, ids=range(len(MALFORMED)))
def test_malformed_json_is_a_json_400(client, make_user, auth, path, body):
    make_user("ada@example.org")
    headers = auth.token("ada@example.org")
    response = client.post(path, data=body, content_type="application/json", headers=headers)
    assert_json_error(response, 400, "malformed_json")


@pytest.mark.parametrize("path", POSTS)
def test_a_form_body_is_a_json_400(client, make_user, auth, path):
    make_user("ada@example.org")
    response = client.post(path, data={"email": "a@b.c"}, headers=auth.token("ada@example.org"))
    assert_json_error(response, 400, "malformed_json")


def test_an_unknown_api_path_is_a_json_404(client):
    assert_json_error(client.get("/api/v1/nothing-here"), 404)
    assert_json_error(client.get("/api/v2/task-forces"), 404)


def test_a_wrong_method_is_a_json_405(client):
    assert_json_error(client.put("/api/v1/task-forces"), 405)
    assert_json_error(client.delete("/api/v1/users"), 405)


def test_an_unexpected_error_is_a_json_500_without_a_trace(app, client):
    from delphi.api import bp  # noqa: F401  (the blueprint exists)

    def boom():
        raise RuntimeError("secret internals")

    app.add_url_rule("/api/v1/_boom", "boom", boom)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/api/v1/_boom")
    error = assert_json_error(response, 500, "internal")
    assert "secret internals" not in response.get_data(as_text=True)
    assert re.search(r"error [0-9a-f]{8}", error["message"])


def test_an_oversized_body_is_a_json_413(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = client.post("/api/v1/users", data=b"{" + b" " * 4096 + b"}",
                           content_type="application/json")
    assert_json_error(response, 413)


# -- the OpenAPI document ----------------------------------------------------------

def api_rules(app):
    """``{(openapi path, method)}`` of every route of the app under /api/v1."""
    out = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule[len("/api/v1"):])
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            out.add((path, method.lower()))
    return out


def test_the_openapi_document_lists_every_api_route(app, client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    documented = {(path, method) for path, item in document["paths"].items()
                  for method in item if method in {"get", "post", "put", "patch", "delete"}}
    missing = api_rules(app) - documented
    assert not missing, f"API routes missing from the OpenAPI document: {sorted(missing)}"
    stale = documented - api_rules(app)
    assert not stale, f"documented routes the app does not have: {sorted(stale)}"


def _resolve(document, ref):
    assert ref.startswith("#/"), ref
    node = document
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_the_openapi_document_is_valid(client):
    document = client.get("/api/v1/openapi.json").get_json()
    try:
        from openapi_spec_validator import validate
    except ImportError:
        validate = None
    if validate is not None:  # pragma: no cover - depends on the environment
        validate(document)
    # The structure OpenAPI 3.1 requires, checked by hand.
    assert re.fullmatch(r"3\.1\.\d+", document["openapi"])
    assert document["info"]["title"] and document["info"]["version"]
    for ref in _refs(document):
        _resolve(document, ref)
    for path, item in document["paths"].items():
        assert path.startswith("/")
        templated = set(re.findall(r"{([^}]+)}", path))
        for method, operation in item.items():
            assert method in {"get", "post", "put", "patch", "delete", "parameters"}, (path, method)
            assert operation["responses"], (path, method)
            for status, answer in operation["responses"].items():
                assert re.fullmatch(r"[1-5]\d\d|default", status), (path, method, status)
                assert "description" in answer or "$ref" in answer
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == templated, (path, method)
            for scheme in operation.get("security", []):
                assert set(scheme) <= set(document["components"]["securitySchemes"])
            if "requestBody" in operation:
                assert "application/json" in operation["requestBody"]["content"]
            if method != "get" and operation.get("security"):
                assert "401" in operation["responses"], (path, method)
