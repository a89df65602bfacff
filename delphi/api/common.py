"""The API blueprint and what its route modules share: tokens, bodies, errors, commits.

Callers authenticate with ``Authorization: Bearer <token>`` (from
``POST /api/v1/auth/token``). The API takes no session cookies, so it needs
no CSRF token. Every error is ``{"error": {"code", "message", "fields"?}}``.
"""
from __future__ import annotations

import hashlib
import json
from functools import wraps

from flask import Blueprint, g, request
from flask_babel import gettext as _
from sqlalchemy import select

from delphi.core.database import db
from delphi.core.errors import DomainError
from delphi.core.models import ApiToken, utcnow
from delphi.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


class ApiError(DomainError):
    def __init__(self, status: int, code: str, message: str, fields: dict | None = None):
        super().__init__(message, fields=fields)
        self.status = status
        self.code = code


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def current_api_user():
    """The user of the bearer token, or None."""
    if "api_user" in g:
        return g.api_user
    g.api_user = None
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(token.strip())))
        if row is not None and row.revoked_at is None and row.expires_at > utcnow():
            g.api_user = row.user
            g.api_token = row
    return g.api_user


def token_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if current_api_user() is None:
            raise ApiError(401, "unauthorised", _("A valid bearer token is required."))
        return view(*args, **kwargs)

    return wrapper


def json_body() -> dict:
    """The request's JSON object; a 400 for anything that is not one."""
    data = None
    if request.is_json:
        try:
            data = json.loads(request.get_data(cache=True))
        except (ValueError, RecursionError):  # bad syntax or encoding; absurd nesting
            data = None
    if not isinstance(data, dict):
        raise ApiError(400, "malformed_json", _("The request body must be a JSON object."))
    return data


def field(data: dict, name: str, kind: type | tuple, *, required: bool = True, default=None):
    """One field of a JSON body, type-checked (a 422 naming the field)."""
    if name not in data or data[name] is None:
        if required:
            raise ApiError(422, "invalid", _("Invalid input."), {name: _("This field is required.")})
        return default
    value = data[name]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    # bool is an int in Python, but true is not a number in JSON.
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        raise ApiError(422, "invalid", _("Invalid input."), {name: _("Wrong type.")})
    return value
