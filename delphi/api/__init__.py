"""JSON API v1 under ``/api/v1``, described at ``/api/v1/openapi.json``.

Callers authenticate with ``Authorization: Bearer <token>`` (from
``POST /api/v1/auth/token``). The API takes no session cookies, so it needs
no CSRF token. Every error is ``{"error": {"code", "message", "fields"?}}``.
Each route is declared once with :func:`delphi.api.operations.operation`
(path, pydantic schemas, errors), in one module per subject, on the
blueprint of :mod:`delphi.api.common`; the OpenAPI document is generated
from those declarations (:mod:`delphi.api.openapi`).
"""
from delphi.api import (  # noqa: F401  (routes)
    accounts,
    answers,
    charts,
    consent,
    exports,
    openapi,
    plan,
    rounds,
    studies,
)
from delphi.api.common import bp

__all__ = ["bp"]
