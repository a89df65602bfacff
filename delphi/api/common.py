"""The API blueprint and what its route modules share: tokens, bodies, errors.

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


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def json_body() -> dict:
    """The request's JSON object; a 400 for anything that is not one.

    ``NaN`` and ``Infinity``, which Python's reader accepts, are not JSON.
    The fields are validated by the operation's model (:func:`delphi.api.operations.request_body`).
    """
    data = None
    if request.is_json:
        try:
            data = json.loads(request.get_data(cache=True), parse_constant=_no_constant)
        except (ValueError, RecursionError):  # bad syntax or encoding; absurd nesting
            data = None
    if not isinstance(data, dict):
        raise ApiError(400, "malformed_json", _("The request body must be a JSON object."))
    return data
