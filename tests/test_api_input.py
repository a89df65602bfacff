"""Hostile input to the JSON API: lone surrogates, NUL bytes, megabyte strings,
numbers out of range, NaN. Each is a clear 4xx, never a 500, and changes nothing
(on SQLite and on PostgreSQL: ``pytest -m db`` with ``DELPHI_TEST_DATABASE_URL``)."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from tests.access.conftest import build_world
from tests.conftest import PASSWORD

SURROGATE = "\ud800"       # json.dumps writes it as the escape "\ud800"
NUL = "bad\x00text"
MEGABYTE = "x" * 1_000_001
HUGE = 10 ** 30
HOSTILE_TEXTS = [SURROGATE, NUL, MEGABYTE, f"ok{SURROGATE}ok"]
HOSTILE_NUMBERS = [HUGE, -HUGE, 2 ** 31, 1.5, True, "3"]


def counts(app) -> dict:
    """Rows per table: what a refused request must leave as it found it."""
    from delphi.core.database import db

    with app.app_context():
        return {table.name: db.session.scalar(select(func.count()).select_from(table))
                for table in db.metadata.sorted_tables}


def send(client, method, path, body, headers):
    data = json.dumps(body) if not isinstance(body, (bytes, str)) else body
    return client.open(path, method=method, data=data, content_type="application/json",
                       headers=headers)


@pytest.fixture
def hostile(app, client):
    """``(method, path, body, role) -> response``, checking 4xx and no change."""
    world = build_world(app, "round2_open")
    tokens = {}

    def headers(role):
        if role is None:
            return {}
        if role not in tokens:
            token = client.post("/api/v1/auth/token", json={
                "email": world.logins[role], "password": PASSWORD}).get_json()["token"]
            tokens[role] = {"Authorization": f"Bearer {token}"}
        return tokens[role]

    def call(method, path, body, role, *, statuses=(400, 404, 422)):
        path = path.format(**world.placeholders)
        auth = headers(role)
        before = counts(app)
        response = send(client, method, f"/api/v1{path}", body, auth)
        assert response.status_code in statuses, (path, response.status_code,
                                                  response.get_data(as_text=True)[:300])
        assert response.mimetype == "application/json"
        error = response.get_json()["error"]
        assert error["code"] and error["message"]
        assert counts(app) == before, (path, body if len(str(body)) < 300 else "...")
        return response

    call.world = world
    return call


RATING = {"item": 0, "criterion": "importance", "value": 3}


def _bodies_with(value):
    """Bodies that carry ``value`` in one text field each, with the field's name."""
    return [
        ("POST", "/users", {"email": value, "password": PASSWORD, "name": "N", "organisation": "O",
                            "country": "C", "stakeholder_group": "ngo", "consent": True}, None,
         "email"),
        ("POST", "/users", {"email": "new@example.org", "password": PASSWORD, "name": value,
                            "organisation": "O", "country": "C", "stakeholder_group": "ngo",
                            "consent": True}, None, "name"),
        ("POST", "/auth/token", {"email": value, "password": PASSWORD}, None, "email"),
        ("POST", "/task-forces/A1/memberships", {"role": "team_member", "region": value},
         "member", "region"),
        ("POST", "/studies", {"task_force": "A5", "title": value}, "admin", "title"),
        ("POST", "/studies", {"task_force": "A5", "title": "T", "description": value}, "admin",
         "description"),
        ("POST", "/studies", {"task_force": "A5", "title": "T", "criteria": [value]}, "admin",
         "criteria[0]"),
        ("POST", "/studies", {"task_force": "A5", "title": "T", "consensus": {"kind": value}},
         "admin", "consensus.kind"),
        ("POST", "/studies/{study}/staff", {"email": value, "role": "moderator"}, "admin", "email"),
        ("POST", "/studies/{study}/panellists", {"email": value}, "moderator", "email"),
        ("POST", "/studies/{study}/rounds", {"items": [{"text": value}]}, "moderator",
         "items[0].text"),
        ("POST", "/studies/{study}/rounds", {"items": [{"text": "T", "background": value}]},
         "moderator", "items[0].background"),
        ("PUT", "/studies/{study}/rounds/{round}/response",
         {"ratings": [{**RATING, "criterion": value}]}, "panellist", "ratings[0].criterion"),
        ("PUT", "/studies/{study}/rounds/{round}/response",
         {"ratings": [{**RATING, "reason": value}]}, "panellist", "ratings[0].reason"),
        ("PUT", "/studies/{study}/rounds/{round}/response",
         {"ratings": [{**RATING, "comment": value}]}, "panellist", "ratings[0].comment"),
        ("PUT", "/studies/{study}/rounds/{round}/response",
         {"ratings": [RATING], "submit": True, "submit_key": value}, "panellist", "submit_key"),
    ]


@pytest.mark.parametrize("text", HOSTILE_TEXTS, ids=["surrogate", "nul", "megabyte", "inner"])
def test_hostile_text_is_a_422_naming_the_field(hostile, text):
    for method, path, body, role, name in _bodies_with(text):
        response = hostile(method, path, body, role, statuses=(422,))
        assert name in response.get_json()["error"]["fields"], (path, name)


def _bodies_with_number(value):
    return [
        ("POST", "/studies", {"task_force": "A5", "title": "T", "scale_points": value}, "admin",
         "scale_points"),
        ("POST", "/studies", {"task_force": "A5", "title": "T", "max_rounds": value}, "admin",
         "max_rounds"),
        ("POST", "/studies", {"task_force": "A5", "title": "T", "min_n": value}, "admin", "min_n"),
        ("POST", "/studies/{study}/rounds", {"items": [{"id": value}]}, "moderator",
         "items[0].id"),
        ("PUT", "/studies/{study}/rounds/{round}/response",
         {"ratings": [{**RATING, "item": value}]}, "panellist", "ratings[0].item"),
        ("PUT", "/studies/{study}/rounds/{round}/response",
         {"ratings": [{**RATING, "value": value}]}, "panellist", "ratings[0].value"),
    ]


@pytest.mark.parametrize("number", HOSTILE_NUMBERS, ids=["huge", "-huge", "2**31", "1.5", "true",
                                                         "string"])
def test_numbers_out_of_range_or_of_the_wrong_type_are_a_422(hostile, number):
    for method, path, body, role, name in _bodies_with_number(number):
        response = hostile(method, path, body, role, statuses=(422,))
        assert name in response.get_json()["error"]["fields"], (path, name)


@pytest.mark.parametrize("raw", [
    '{"task_force": "A5", "title": "T", "stop_w_threshold": NaN}',
    '{"task_force": "A5", "title": "T", "stop_w_threshold": Infinity}',
    '{"task_force": "A5", "title": "T", "stop_w_threshold": -Infinity}',
    '{"task_force": "A5", "title": "T", "consensus": {"iqr_max": 1e999}}',
    '{"task_force": "A5", "title": "T", "consensus": {"agreement_min": -1e400}}',
    '{"task_force": "A5", "title": "T", "scale_points": ' + "9" * 5000 + "}",
    '{"task_force": "A5", "title": "T", "description": "\\udc00"}',
    '{"task_force": "A5", "title": "T\\u0000"}',
])
def test_numbers_json_cannot_hold_are_refused(hostile, raw):
    hostile("POST", "/studies", raw, "admin")


@pytest.mark.parametrize("when", [
    "0001-01-01T00:00:00+01:00",     # before year 1 in UTC
    "9999-12-31T23:59:59-01:00",     # after year 9999 in UTC
    "2024-02-30", "31/10/2020", "", "2024-01-01T25:00",
])
def test_dates_that_leave_the_calendar_are_a_422(hostile, when):
    for method, path, body, role, name in [
        ("POST", "/studies", {"task_force": "A5", "title": "T", "panel_cutoff": when}, "admin",
         "panel_cutoff"),
        ("POST", "/studies/{study}/rounds", {"closes_at": when}, "moderator", "closes_at"),
        ("POST", "/studies/{study}/rounds/{round}/open", {"closes_at": when}, "moderator",
         "closes_at"),
    ]:
        response = hostile(method, path, body, role, statuses=(422,))
        assert name in response.get_json()["error"]["fields"]


@pytest.mark.parametrize("path", [
    "/studies/99999999999999999999", "/studies/2147483648/rounds/1",
    "/studies/{study}/rounds/99999999999999999999",
    "/task-forces/A%00", "/task-forces/" + "A" * 5000,
    "/studies/{study}/rounds/1/items/99999999999999/distribution.png",
    "/studies/{study}/rounds/1/items/%00/distribution.png",
    "/studies/{study}/rounds/1/items/%C2%B2/distribution.png",   # a digit, not ASCII
])
def test_path_parameters_out_of_range_are_a_404(hostile, path):
    hostile("GET", path, None, "admin", statuses=(404,))


def test_a_nul_pseudonym_is_a_404(hostile):
    hostile("DELETE", "/studies/{study}/panellists/P-%00", None, "moderator", statuses=(404,))


@pytest.mark.parametrize("query", ["criterion=%00", "criterion=" + "c" * 20_000])
def test_hostile_query_strings_are_a_422(hostile, query):
    response = hostile("GET", "/studies/{study}/rounds/{closed_round}/charts/verdicts.svg?" + query,
                       None, "admin", statuses=(422,))
    assert "criterion" in response.get_json()["error"]["fields"]
    hostile("GET", "/studies/{study}/export?tier=%00", None, "admin", statuses=(422,))


def test_deep_nesting_and_wrong_containers(hostile):
    hostile("PUT", "/studies/{study}/rounds/{round}/response", '{"ratings": ' + "[" * 100_000,
            "panellist", statuses=(400,))
    deep = {"ratings": [RATING]}
    node = deep
    for _ in range(500):
        node["x"] = {}
        node = node["x"]
    hostile("PUT", "/studies/{study}/rounds/{round}/response", deep, "panellist",
            statuses=(422,))  # item 0 is no item of the round: the service's 422
    for ratings in ([[1, 2]], [None], ["3"], {"0": RATING}):
        hostile("PUT", "/studies/{study}/rounds/{round}/response", {"ratings": ratings},
                "panellist", statuses=(422,))


def test_a_good_body_after_bad_ones_still_works(hostile, client):
    """The refused requests left the world as it was: the same panellist submits."""
    world = hostile.world
    hostile("PUT", "/studies/{study}/rounds/{round}/response",
            {"ratings": [{**RATING, "reason": SURROGATE}]}, "panellist", statuses=(422,))
    token = client.post("/api/v1/auth/token", json={"email": world.logins["panellist"],
                                                    "password": PASSWORD}).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    study, number = world.placeholders["study"], world.placeholders["round"]
    items = client.get(f"/api/v1/studies/{study}/rounds/{number}", headers=headers).get_json()
    body = {"ratings": [{"item": item["id"], "criterion": "importance", "value": 3,
                         "reason": "Steady"} for item in items["items"]], "submit": True}
    response = client.put(f"/api/v1/studies/{study}/rounds/{number}/response", json=body,
                          headers=headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"status": "submitted"}
