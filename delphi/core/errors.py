"""Domain errors raised by the service layers (``rounds``, accounts, exports).

A view turns them into a flashed message or a JSON error; the API maps
``status`` to the HTTP status (an illegal round move is 409, an unknown field
422, ...). Their messages are user-facing, so services pass them through
gettext.
"""
from __future__ import annotations


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, fields: dict | None = None):
        super().__init__(message)
        self.message = str(message)
        self.fields = fields


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class StateError(Conflict):
    """An illegal move of a state machine (a round that is not open, ...)."""

    code = "invalid_state"


class InvalidInput(DomainError):
    """Input that is well-formed but wrong: ``fields`` names what and why."""

    status = 422
    code = "invalid"
