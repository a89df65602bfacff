"""Building blocks of the OpenAPI 3 document (schemas, bodies, error responses)."""
from __future__ import annotations


def _error(description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def ok(description: str, schema: dict | None = None) -> dict:
    body = {"description": description}
    if schema is not None:
        body["content"] = {"application/json": {"schema": schema}}
    return body


def json_request(schema: dict) -> dict:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def obj(required: list[str] | None = None, **properties) -> dict:
    out = {"type": "object", "properties": properties}
    if required:
        out["required"] = required
    return out


S, I, N, B = {"type": "string"}, {"type": "integer"}, {"type": "number"}, {"type": "boolean"}
ERRORS = {code: _error(text) for code, text in {
    "400": "Malformed JSON", "401": "No valid bearer token", "403": "Not allowed",
    "404": "Not found", "409": "Conflict with the current state",
    "422": "Invalid field values (see error.fields)", "429": "Too many failed logins",
}.items()}


def errors(*codes: str) -> dict:
    return {c: ERRORS[c] for c in codes}
