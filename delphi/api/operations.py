"""Each route of the API declared once: its path, its schemas, its errors.

``@operation("POST", "/studies/{study_id}/rounds", body=RoundDraft, answers={201:
StaffRound}, errors=(403, 404, 409), ...)`` registers the Flask route (the
OpenAPI path with each parameter's converter), records what the OpenAPI
document says of it (:mod:`delphi.api.openapi` reads :data:`OPERATIONS`), and
wraps the view in :func:`~delphi.api.common.token_required` when the
operation is ``secure``. The view reads its body with :func:`request_body`,
which validates it with the operation's own model: the document's request
schema and the validation come from the same class.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import wraps

from flask import request
from flask_babel import gettext as _
from pydantic import BaseModel, ValidationError

from delphi.api.common import bp, json_body, token_required
from delphi.api.schemas.base import INT32_MAX
from delphi.api.validation import validate
from delphi.core.errors import NotFound

_ID = {"type": "integer", "format": "int32", "minimum": 0, "maximum": INT32_MAX}
_STR = {"type": "string"}

#: Every path parameter of the API: its Flask converter and its schema. One
#: name for one thing across the document (``study_id``, ``number``, ``item``).
PATH_PARAMETERS: dict[str, tuple[str, dict, str]] = {
    "study_id": (f"int(max={INT32_MAX})", _ID, "The study's id"),
    "number": (f"int(max={INT32_MAX})", _ID, "The round's number in its study (1, 2, ...)"),
    "pseudonym": ("string", _STR, "The panellist's pseudonym in the study (P-...)"),
    "code": ("string", _STR, "A task force's code (A1 ... F4)"),
    "item": ("string", _STR, "An item's id or code (e.g. I03)"),
    "chart": ("string", _STR, "The chart"),
    "format": ("string", _STR, "The image format"),
}


@dataclass(frozen=True)
class Reply:
    """A success answer of an operation: a description, and the JSON schema's model
    (``many``: a list of them; several models: any of them), or ``raw``, the OpenAPI
    response object as it is (images, files, no content)."""

    description: str
    models: tuple = ()
    many: bool = False
    raw: dict | None = None


def ok(description: str, *models, many: bool = False) -> Reply:
    return Reply(description, tuple(models), many)


def raw(description: str, **response) -> Reply:
    return Reply(description, raw={"description": description, **response})


@dataclass(frozen=True)
class Operation:
    method: str
    path: str                     # OpenAPI form: /studies/{study_id}
    endpoint: str
    summary: str
    tag: str
    secure: bool
    body: type[BaseModel] | None
    body_required: bool
    query: type[BaseModel] | None
    answers: dict[int, Reply]
    errors: tuple[int, ...]
    path_schemas: dict = field(default_factory=dict)
    description: str | None = None


#: endpoint (without the blueprint's prefix) -> its operation, in declaration order.
OPERATIONS: dict[str, Operation] = {}


def flask_rule(path: str) -> str:
    """``/studies/{study_id}`` → ``/studies/<int(max=...):study_id>``."""
    def converter(match: re.Match) -> str:
        name = match.group(1)
        kind = PATH_PARAMETERS[name][0]
        return f"<{name}>" if kind == "string" else f"<{kind}:{name}>"

    return re.sub(r"{([^{}]+)}", converter, path)


def operation(method: str, path: str, *, summary: str, tag: str, secure: bool = True,
              body: type[BaseModel] | None = None, body_required: bool = True,
              query: type[BaseModel] | None = None, answers: dict, errors: tuple[int, ...] = (),
              path_schemas: dict | None = None, description: str | None = None):
    """Register the view as ``method path`` and document it (see the module)."""
    # 422: the input boundary (``delphi.boundary``) refuses any request whose path,
    # query or body holds text no column can store, whatever the operation.
    implied = ({401} if secure else set()) | {422}
    if body is not None:
        implied |= {400, 422}

    def decorate(view):
        endpoint = view.__name__
        if endpoint in OPERATIONS:
            raise ValueError(f"two API operations named {endpoint}")
        OPERATIONS[endpoint] = Operation(
            method=method.lower(), path=path, endpoint=endpoint, summary=summary, tag=tag,
            secure=secure, body=body, body_required=body_required, query=query, answers=answers,
            errors=tuple(sorted(set(errors) | implied)), path_schemas=path_schemas or {},
            description=description)
        wrapped = _checked_path(token_required(view) if secure else view)
        bp.add_url_rule(flask_rule(path), endpoint, wrapped, methods=[method.upper()])
        return view

    return decorate


def _checked_path(view):
    """A text path parameter that no row can have (a NUL byte, which PostgreSQL
    cannot even compare, or an absurd length) is a 404 before the view runs."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        for value in kwargs.values():
            if isinstance(value, str) and ("\x00" in value or len(value) > 200):
                raise NotFound(_("Not found."))
        return view(*args, **kwargs)

    return wrapper


def current_operation() -> Operation:
    return OPERATIONS[request.endpoint.rpartition(".")[2]]


def request_body():
    """The request's body, validated with its operation's model (400 when it is not
    a JSON object, 422 naming each wrong field). An optional body may be empty."""
    op = current_operation()
    if op.body is None:
        raise LookupError(f"{op.endpoint} declares no request body")
    if not op.body_required and not request.get_data(cache=True):
        data = {}
    else:
        data = json_body()
    return validate(op.body, data)


def request_query():
    """The query string, validated with its operation's model (422 naming each field).
    A parameter given empty (``?criterion=``) is as if it was not given."""
    op = current_operation()
    if op.query is None:
        raise LookupError(f"{op.endpoint} declares no query parameters")
    given = {name: value for name, value in request.args.items() if value != ""}
    return validate(op.query, given)


@bp.after_request
def _check_answer(response):
    """Under test (``TESTING``, or ``API_CHECK_ANSWERS``), every answer of an
    operation must be one it documents: a status it lists, and a JSON body
    that its model (or the ``Error`` model) validates. A drift between the
    code and the document fails the test that met it."""
    from flask import current_app

    if not current_app.config.get("API_CHECK_ANSWERS", current_app.testing):
        return response
    endpoint = (request.endpoint or "").rpartition(".")[2]
    op = OPERATIONS.get(endpoint)
    if op is None or response.status_code >= 500 or response.status_code == 413:
        return response
    status = response.status_code
    if status not in op.answers and status not in op.errors:
        raise AssertionError(f"{op.method.upper()} {op.path} answered {status}, which the "
                             f"document does not list")
    if status >= 400:
        models: tuple = (_error_model(),)
    else:
        reply = op.answers[status]
        models = reply.models
    if not models:
        return response
    data = response.get_json(silent=True)
    reply_many = status < 400 and op.answers[status].many
    for value in (data if reply_many else [data]):
        problems = []
        for model in models:
            try:
                model.model_validate(value)
                break
            except ValidationError as error:
                problems.append(str(error))
        else:
            raise AssertionError(f"{op.method.upper()} {op.path} answered {status} with a body "
                                 f"its schema does not describe: {problems}")
    return response


def _error_model():
    from delphi.api.schemas import Error

    return Error
