"""JSON API v1 under ``/api/v1``, described at ``/api/v1/openapi.json``.

Callers authenticate with ``Authorization: Bearer <token>`` (from
``POST /api/v1/auth/token``). The API takes no session cookies, so it needs
no CSRF token. Every error is ``{"error": {"code", "message", "fields"?}}``.
The routes live in one module per subject, on the blueprint of
:mod:`delphi.api.common`.
"""
from delphi.api import accounts, charts, exports, openapi, plan, studies  # noqa: F401  (routes)
from delphi.api.common import bp

__all__ = ["bp"]
