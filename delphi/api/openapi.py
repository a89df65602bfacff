"""The OpenAPI 3 document, assembled from each API module's ``OPENAPI_PATHS``.

Every module of ``delphi.api`` that defines routes also defines
``OPENAPI_PATHS`` (a dict in OpenAPI's ``paths`` form); a test checks that
every API route of the app appears in the document.
"""
from __future__ import annotations

from delphi.api import accounts, charts, exports, plan, studies
from delphi.api.common import bp
from delphi.api.spec import B, S, errors, json_request, obj, ok

ROUTE_MODULES = (accounts, charts, exports, plan, studies)

TASK_FORCE = obj(code=S, goal=S, facility={"type": "string", "nullable": True}, label=S,
                 objective=S, baseline_2020=S, target_2030=S, target_2050=S)

OPENAPI_PATHS = {
    "/users": {"post": {
        "summary": "Register a member", "tags": ["accounts"],
        "requestBody": json_request(obj(
            ["email", "password", "name", "organisation", "country", "stakeholder_group", "consent"],
            email=S, password=S, name=S, organisation=S, country=S, region=S,
            stakeholder_group=S, language=S, consent=B)),
        "responses": {"201": ok("Registered"), **errors("400", "409", "422")}}},
    "/auth/token": {
        "post": {"summary": "Get a bearer token", "tags": ["accounts"],
                 "requestBody": json_request(obj(["email", "password"], email=S, password=S)),
                 "responses": {"201": ok("Token", obj(token=S, expires_at=S)),
                               **errors("400", "401", "422", "429")}},
        "delete": {"summary": "Revoke the token used", "tags": ["accounts"],
                   "security": [{"bearer": []}],
                   "responses": {"204": ok("Revoked"), **errors("401")}}},
    "/me": {"get": {"summary": "The caller's profile", "tags": ["accounts"],
                    "security": [{"bearer": []}],
                    "responses": {"200": ok("Profile"), **errors("401")}}},
    "/task-forces": {"get": {"summary": "The 24 task forces", "tags": ["plan"],
                             "responses": {"200": ok("List", {"type": "array", "items": TASK_FORCE})}}},
    "/task-forces/{code}": {"get": {
        "summary": "One task force", "tags": ["plan"],
        "parameters": [{"name": "code", "in": "path", "required": True, "schema": S}],
        "responses": {"200": ok("Task force", TASK_FORCE), **errors("404")}}},
    "/task-forces/{code}/memberships": {"post": {
        "summary": "Join a task force", "tags": ["plan"], "security": [{"bearer": []}],
        "parameters": [{"name": "code", "in": "path", "required": True, "schema": S}],
        "requestBody": json_request(obj(["role"], role={
            "type": "string", "enum": ["global_leader", "regional_representative", "team_member"]},
            region=S)),
        "responses": {"201": ok("Joined", obj(task_force=S, role=S, region=S, status={
            "type": "string", "enum": ["approved", "pending"]})),
            **errors("400", "401", "404", "409", "422")}}},
    "/openapi.json": {"get": {"summary": "This document", "tags": ["meta"],
                              "responses": {"200": ok("OpenAPI 3 document")}}},
}


def document() -> dict:
    paths: dict = {}
    for module_paths in (OPENAPI_PATHS, *(getattr(m, "OPENAPI_PATHS", {}) for m in ROUTE_MODULES)):
        for path, spec in module_paths.items():
            paths.setdefault(path, {}).update(spec)
    return {
        "openapi": "3.0.3",
        "info": {"title": "Delphi engine API", "version": "1"},
        "servers": [{"url": "/api/v1"}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": obj(["error"], error=obj(
                ["code", "message"], code=S, message=S, fields={"type": "object"}))},
        },
    }


@bp.get("/openapi.json")
def openapi_json():
    return document()
