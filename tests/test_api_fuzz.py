"""A property-based run of the OpenAPI document against the app (schemathesis):
for every operation, bodies, parameters and query strings generated from the
document, valid ones and invalid ones, never get a 5xx.

The calls go through the WSGI app with the token of a role that passes the
operation's access check in the ``round2_open`` world, and with the path
parameters of that world half of the time (so the bodies reach validation
and the services). Under test every answer is also checked against the
operation's documented statuses and schemas (:mod:`delphi.api.operations`).
``DELPHI_FUZZ_EXAMPLES`` sets the examples per operation and mode (default 15).
"""
from __future__ import annotations

import os

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable

from tests.access.conftest import build_world
from tests.conftest import PASSWORD

EXAMPLES = int(os.environ.get("DELPHI_FUZZ_EXAMPLES", "15"))


def _operations():
    from delphi.api.operations import OPERATIONS

    return sorted(OPERATIONS.values(), key=lambda op: (op.path, op.method))


#: Who passes each operation's access check (None: anonymous; the token route
#: is left anonymous, or the run would revoke its own token).
ROLES = {"create_membership": "member", "create_study": "admin", "assign_staff": "admin",
         "put_response": "panellist", "revoke_token": None, "create_user": None,
         "create_token": None, "list_task_forces": None, "get_task_force": None,
         "openapi_json": None, "export_study": "researcher", "me": "member",
         "withdraw_panellist": "moderator"}


@pytest.mark.filterwarnings("error:Pydantic serializer warnings:UserWarning")
@pytest.mark.parametrize("op", _operations(), ids=lambda op: f"{op.method.upper()} {op.path}")
def test_no_generated_request_gets_a_server_error(app, op):
    from schemathesis import GenerationMode

    world = build_world(app, "round2_open")
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operation = schema[op.path][op.method.upper()]
    role = ROLES.get(op.endpoint, "moderator")
    headers = {}
    if role is not None:
        client = app.test_client()
        token = client.post("/api/v1/auth/token", json={"email": world.logins[role],
                                                        "password": PASSWORD}).get_json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
    known = {"study_id": world.placeholders["study"], "number": world.placeholders["round"],
             "code": "A5", "pseudonym": world.placeholders["pseudonym"],
             "item": str(world.placeholders["item_id"])}
    served = []

    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode), known_path=st.booleans())
        def run(case, known_path):
            if known_path and case.path_parameters:
                for name in case.path_parameters:
                    if name in known:
                        case.path_parameters[name] = known[name]
            response = case.call(headers=headers)
            served.append(response.status_code)
            assert response.status_code < 500, (case.as_curl_command(), response.text[:500])

        try:
            run()
        except Unsatisfiable:  # nothing to make invalid (no body, no query, free texts)
            assert mode is GenerationMode.NEGATIVE and op.body is None and op.query is None
    assert served and all(status < 500 for status in served)
