"""Error pages and JSON errors.

Under ``/api/`` every error is ``{"error": {"code", "message", "fields"?}}``
with its 4xx status; elsewhere an HTML page. Nothing reaches the user as a
stack trace, and unexpected errors are logged with an id the page shows.
"""
from __future__ import annotations

import logging
import secrets

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from delphi.core.database import db
from delphi.core.errors import DomainError

log = logging.getLogger(__name__)


def wants_json() -> bool:
    return request.path.startswith("/api/")


def json_error(status: int, code: str, message: str, fields: dict | None = None):
    body = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    response = jsonify({"error": body})
    response.status_code = status
    return response


def _page(status: int, title: str, message: str, error_id: str | None = None):
    return render_template(
        "errors/error.html", status=status, title=title, message=message, error_id=error_id
    ), status


_TITLES = {
    400: _l("Bad request"), 401: _l("Unauthorised"), 403: _l("Forbidden"), 404: _l("Not found"),
    405: _l("Method not allowed"), 409: _l("Conflict"), 413: _l("Too large"),
    422: _l("Invalid input"), 429: _l("Too many requests"),
}

#: What a page says instead of Werkzeug's default (English-only) descriptions.
_MESSAGES = {
    400: _l("The request could not be understood."),
    401: _l("Please log in to see this page."),
    403: _l("You are not allowed to see this page."),
    404: _l("There is no such page. It may have moved: start again from the strategic plan."),
    405: _l("This page cannot be used that way."),
    413: _l("What you sent is too large."),
}


def _title(status: int, default: str = "Error") -> str:
    return str(_TITLES.get(status) or default)


def _description(error: HTTPException) -> str:
    """The error's own description, or a translated one for Werkzeug's default."""
    status = error.code or 500
    if error.description == type(error).description and status in _MESSAGES:
        return str(_MESSAGES[status])
    return error.description or ""


def init_app(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(error: DomainError):
        db.session.rollback()
        if wants_json():
            return json_error(error.status, error.code, error.message, error.fields)
        return _page(error.status, _title(error.status, _("Error")), error.message)

    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError):
        message = _("The form had expired or was not sent from this site. "
                    "Nothing was lost: please try again.")
        if wants_json():
            return json_error(400, "csrf", message)
        return _page(400, _("Bad request"), message)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        status = error.code or 500
        if wants_json():
            code = (error.name or "error").lower().replace(" ", "_")
            return json_error(status, code, error.description or error.name)
        return _page(status, _title(status, error.name), _description(error))

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        if isinstance(error, HTTPException):  # pragma: no cover - handled above
            return _http(error)
        error_id = secrets.token_hex(4)
        log.exception("unexpected error %s", error_id)
        db.session.rollback()
        message = _("Something went wrong on our side (error %(id)s). "
                    "Your answers saved before this are kept.", id=error_id)
        if wants_json():
            return json_error(500, "internal", message)
        return _page(500, _("Server error"), message, error_id)
