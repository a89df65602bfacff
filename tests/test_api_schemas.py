"""The API from one schema (issue 10): the pydantic models validate the bodies and
are the OpenAPI document's schemas; path parameters have one name each."""
from __future__ import annotations

import ast
import re

import pytest

from tests.access.conftest import build_world
from tests.conftest import PASSWORD, REPO_ROOT

REF = "#/components/schemas/{model}"


def operations():
    from delphi.api.operations import OPERATIONS

    return OPERATIONS


def document(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def _schemas(model, mode):
    """The model's JSON schema and the schemas it refers to, as pydantic writes them."""
    schema = model.model_json_schema(ref_template=REF, mode=mode)
    defs = schema.pop("$defs", {})
    return {model.__name__: schema, **defs}


def test_every_request_body_is_the_json_schema_of_the_model_its_route_validates_with(client):
    doc = document(client)
    components = doc["components"]["schemas"]
    with_body = [op for op in operations().values() if op.body is not None]
    assert len(with_body) >= 9
    for op in with_body:
        body = doc["paths"][op.path][op.method]["requestBody"]
        assert body["required"] is op.body_required, op.endpoint
        assert body["content"]["application/json"]["schema"] == {
            "$ref": REF.format(model=op.body.__name__)}, op.endpoint
        for name, schema in _schemas(op.body, "validation").items():
            assert components[name] == schema, (op.endpoint, name)
    # ... and no operation documents a body it does not validate.
    for op in operations().values():
        if op.body is None:
            assert "requestBody" not in doc["paths"][op.path][op.method], op.endpoint


def test_every_answer_and_error_refers_to_its_model(client):
    from delphi.api.schemas import Error

    doc = document(client)
    components = doc["components"]["schemas"]
    for name, schema in _schemas(Error, "serialization").items():
        assert components[name] == schema
    error_ref = {"$ref": REF.format(model="Error")}
    for op in operations().values():
        responses = doc["paths"][op.path][op.method]["responses"]
        assert set(responses) == {str(s) for s in (*op.answers, *op.errors)}, op.endpoint
        for status in op.errors:
            assert responses[str(status)]["content"]["application/json"]["schema"] == error_ref
        for status, reply in op.answers.items():
            for model in reply.models:
                for name, schema in _schemas(model, "serialization").items():
                    assert components[name] == schema, (op.endpoint, name)


def test_only_the_operations_validate_bodies_and_queries():
    """No route module validates with a model of its own choosing: they call
    request_body() / request_query(), which take the operation's model."""
    offenders = []
    for path in sorted((REPO_ROOT / "delphi" / "api").rglob("*.py")):
        if path.name in ("operations.py", "validation.py"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in (
                    "model_validate", "model_validate_json", "validate_python"):
                offenders.append(f"{path.name}:{node.lineno} {node.attr}")
            if isinstance(node, ast.Name) and node.id in ("json_body", "validate"):
                offenders.append(f"{path.name}:{node.lineno} {node.id}")
            if isinstance(node, ast.Attribute) and node.attr in ("args", "get_json", "json") \
                    and isinstance(node.value, ast.Name) and node.value.id == "request":
                offenders.append(f"{path.name}:{node.lineno} request.{node.attr}")
    assert not offenders, offenders


def test_path_parameters_have_one_name_each(client):
    doc = document(client)
    names = set()
    for item in doc["paths"].values():
        for operation in item.values():
            for param in operation.get("parameters", []):
                if param["in"] == "path":
                    names.add(param["name"])
    assert names == {"study_id", "number", "pseudonym", "code", "item", "chart", "format"}
    assert not any(re.search(r"{(id|n)}", path) for path in doc["paths"])
    assert "/studies/{study_id}/rounds/{number}/charts/{chart}.{format}" in doc["paths"]
    assert "/studies/{study_id}/rounds/{number}/items/{item}/distribution.{format}" in doc["paths"]


def test_the_document_keeps_tags_security_and_errors(client):
    doc = document(client)
    assert doc["openapi"] == "3.1.0"
    assert doc["components"]["securitySchemes"] == {"bearer": {"type": "http", "scheme": "bearer"}}
    tags = {t["name"] for t in doc["tags"]}
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            assert set(operation["tags"]) <= tags
            if operation.get("security"):
                assert "401" in operation["responses"], (path, method)
            if "requestBody" in operation:
                assert {"400", "422"} <= set(operation["responses"]), (path, method)
    study = doc["components"]["schemas"]["StudyCreate"]
    # The consensus rule is a free object (the protocol's validator reads it).
    consensus = doc["components"]["schemas"]["Consensus"]
    assert consensus.get("additionalProperties", True) is True
    assert {"task_force", "title"} == set(study["required"])


# -- the routes validate with their model --------------------------------------------

def _wrong(schema: dict, components: dict):
    """A JSON value of the wrong type for ``schema``."""
    if "$ref" in schema:
        return _wrong(components[schema["$ref"].rsplit("/", 1)[1]], components)
    kinds = [s.get("type") for s in schema.get("anyOf", [schema])] or [schema.get("type")]
    if "string" in kinds or "const" in schema or "enum" in schema:
        return 12
    return "twelve"


#: Who can reach each body of the round2_open world (validation comes after access).
ROLE = {"create_user": None, "create_token": None, "create_membership": "member",
        "create_study": "admin", "assign_staff": "admin", "add_panellist": "moderator",
        "draft_round": "moderator", "open_round": "moderator", "put_response": "panellist",
        "post_consent": "panellist"}


def test_each_route_names_every_wrongly_typed_field_of_its_model(app, client):
    """A body whose every field has the wrong JSON type is a 422 naming all the
    model's fields, and nothing else: so the route validated with that model."""
    from sqlalchemy import func, select

    from delphi.core.database import db
    from delphi.core.models import AuditEvent

    world = build_world(app, "round2_open")
    doc = document(client)
    components = doc["components"]["schemas"]
    with_body = {op.endpoint: op for op in operations().values() if op.body is not None}
    assert set(with_body) == set(ROLE)
    with app.app_context():
        audit_before = db.session.scalar(select(func.count(AuditEvent.id)))
    for endpoint, op in with_body.items():
        role = ROLE[endpoint]
        headers = {}
        if role is not None:
            token = client.post("/api/v1/auth/token", json={
                "email": world.logins[role], "password": PASSWORD}).get_json()["token"]
            headers = {"Authorization": f"Bearer {token}"}
        schema = components[op.body.__name__]
        body = {name: _wrong(prop, components) for name, prop in schema["properties"].items()}
        path = op.path.format(study_id=world.placeholders["study"],
                              number=world.placeholders["round"], code="A5")
        response = client.open(f"/api/v1{path}", method=op.method.upper(), json=body,
                               headers=headers)
        assert response.status_code == 422, (endpoint, response.get_json())
        assert set(response.get_json()["error"]["fields"]) == set(body), endpoint
    with app.app_context():  # the tokens' logins are not audited; nothing else happened
        assert db.session.scalar(select(func.count(AuditEvent.id))) == audit_before


FR = {"Accept-Language": "fr-FR,fr;q=0.9"}


@pytest.mark.parametrize("body, field, english, french", [
    ({"email": 1, "password": "x"}, "email", "Give a text.", "Indiquez un texte."),
    ({"email": None, "password": "x"}, "email", "This field is required.",
     "Ce champ est obligatoire."),
    ({"password": "x"}, "email", "This field is required.", "Ce champ est obligatoire."),
    ({"email": "a\x00b", "password": "x"}, "email",
     "This text contains a NUL character, which cannot be stored.",
     "Ce texte contient un caractère NUL, qui ne peut pas être enregistré."),
    ({"email": "a" * 20_000, "password": "x"}, "email", "Use at most 10000 characters.",
     "Utilisez au plus 10000 caractères."),
])
def test_validation_messages_in_english_and_french(client, body, field, english, french):
    for headers, text in (({}, english), (FR, french)):
        response = client.post("/api/v1/auth/token", json=body, headers=headers)
        assert response.status_code == 422
        error = response.get_json()["error"]
        assert error["code"] == "invalid"
        assert error["fields"][field] == text
    fr = client.post("/api/v1/auth/token", json=body, headers=FR).get_json()["error"]
    assert fr["message"] == "Saisie invalide."


def test_field_names_are_dotted_and_indexed():
    from pydantic import ValidationError

    from delphi.api.schemas.rounds import Answers
    from delphi.api.validation import field_name

    assert field_name(("ratings", 3, "value")) == "ratings[3].value"
    assert field_name(("consensus", "median_range", 1)) == "consensus.median_range[1]"
    with pytest.raises(ValidationError) as info:
        Answers.model_validate({"ratings": [{"item": 1, "criterion": "x", "value": 1}] * 3
                                + [{"item": 1, "criterion": "x", "value": True}]}, strict=True)
    assert [field_name(e["loc"]) for e in info.value.errors()] == ["ratings[3].value"]


def test_an_answer_the_document_does_not_describe_fails_under_test(app, client):
    """The check that keeps the code and the document together: a route answering
    a shape (or a status) its operation does not list fails the test that meets it."""
    from delphi.api import operations

    op = operations.OPERATIONS["list_task_forces"]
    view = app.view_functions["api.list_task_forces"]
    app.view_functions["api.list_task_forces"] = lambda: [{"code": "A1"}]
    try:
        with pytest.raises(AssertionError, match="does not describe"):
            client.get("/api/v1/task-forces")
        app.view_functions["api.list_task_forces"] = lambda: ("", 202)
        with pytest.raises(AssertionError, match="does not list"):
            client.get("/api/v1/task-forces")
    finally:
        app.view_functions["api.list_task_forces"] = view
    assert op.answers[200].many
    assert client.get("/api/v1/task-forces").status_code == 200
