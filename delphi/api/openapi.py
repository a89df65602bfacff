"""The OpenAPI 3.1 document, generated from the operations and their pydantic models.

Each operation of :data:`delphi.api.operations.OPERATIONS` gives a path item:
its parameters (path parameters from :data:`~delphi.api.operations.PATH_PARAMETERS`,
query parameters from its query model), its request body (``$ref`` to its
body model's JSON schema), its answers and its error responses (the shared
``Error`` schema). The models' JSON schemas are the ``components.schemas``.
"""
from __future__ import annotations

import re
from functools import lru_cache

from pydantic.json_schema import models_json_schema

from delphi.api.operations import (
    OPERATIONS,
    PATH_PARAMETERS,
    Operation,
    Reply,
    ok,
    operation,
)
from delphi.api.schemas import Error

REF = "#/components/schemas/{model}"
TAGS = {
    "accounts": "Registration, bearer tokens and the caller's profile",
    "plan": "The strategic plan's task forces, and joining them",
    "studies": "Studies, their staff and panel, rounds, answers and results",
    "dashboard": "Charts of a round",
    "exports": "The researchers' export",
    "meta": "This document",
}
ERRORS = {
    400: "Malformed JSON (the body is not a JSON object)",
    401: "No valid bearer token",
    403: "Not allowed",
    404: "Not found",
    409: "Conflict with the current state",
    422: "Invalid field values (see error.fields)",
    429: "Too many failed logins",
}


def schema_entries() -> list[tuple[type, str]]:
    """Every model of the document, once, with its mode (requests: validation)."""
    entries: list[tuple[type, str]] = []
    for op in OPERATIONS.values():
        if op.body is not None:
            entries.append((op.body, "validation"))
        entries += [(model, "serialization") for reply in op.answers.values()
                    for model in reply.models]
    entries.append((Error, "serialization"))
    return list(dict.fromkeys(entries))


def _answer(reply: Reply, refs: dict, mode: str = "serialization") -> dict:
    if reply.raw is not None:
        return reply.raw
    out: dict = {"description": reply.description}
    if reply.models:
        schemas = [refs[(model, mode)] for model in reply.models]
        schema = schemas[0] if len(schemas) == 1 else {"anyOf": schemas}
        if reply.many:
            schema = {"type": "array", "items": schema}
        out["content"] = {"application/json": {"schema": schema}}
    return out


def _parameters(op: Operation) -> list[dict]:
    params = []
    for name in re.findall(r"{([^{}]+)}", op.path):
        _converter, schema, description = PATH_PARAMETERS[name]
        params.append({"name": name, "in": "path", "required": True, "description": description,
                       "schema": op.path_schemas.get(name, schema)})
    if op.query is not None:
        query = op.query.model_json_schema(ref_template=REF)
        for name, schema in query["properties"].items():
            schema = dict(schema)
            description = schema.pop("description", None)
            param = {"name": name, "in": "query", "required": name in query.get("required", ()),
                     "schema": schema}
            if description:
                param["description"] = description
            params.append(param)
    return params


def path_item(op: Operation, refs: dict) -> dict:
    item: dict = {"operationId": op.endpoint, "summary": op.summary, "tags": [op.tag]}
    if op.description:
        item["description"] = op.description
    if op.secure:
        item["security"] = [{"bearer": []}]
    params = _parameters(op)
    if params:
        item["parameters"] = params
    if op.body is not None:
        item["requestBody"] = {"required": op.body_required, "content": {
            "application/json": {"schema": refs[(op.body, "validation")]}}}
    error = {"content": {"application/json": {"schema": refs[(Error, "serialization")]}}}
    item["responses"] = {
        **{str(status): _answer(reply, refs) for status, reply in op.answers.items()},
        **{str(status): {"description": ERRORS[status], **error} for status in op.errors},
    }
    return item


@lru_cache(maxsize=1)
def document() -> dict:
    """The document (the same for every caller: built once per process)."""
    refs, definitions = models_json_schema(schema_entries(), ref_template=REF)
    paths: dict[str, dict] = {}
    for op in OPERATIONS.values():
        paths.setdefault(op.path, {})[op.method] = path_item(op, refs)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Delphi engine API", "version": "1",
                 "description": "Expert consultations in rounds. Errors are always "
                                '{"error": {"code", "message", "fields"?}} with a 4xx status.'},
        "servers": [{"url": "/api/v1"}],
        "tags": [{"name": name, "description": text} for name, text in TAGS.items()],
        "paths": dict(sorted(paths.items())),
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": dict(sorted(definitions.get("$defs", {}).items())),
        },
    }


@operation("GET", "/openapi.json", summary="This document", tag="meta", secure=False,
           answers={200: ok("OpenAPI 3.1 document")})
def openapi_json():
    return document()
