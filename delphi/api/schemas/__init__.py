"""The API's request and response schemas, declared once as pydantic models.

The routes validate their bodies with them (:func:`delphi.api.operations.request_body`)
and the OpenAPI document (:mod:`delphi.api.openapi`) is generated from their JSON
schemas. One module per subject; :mod:`delphi.api.schemas.base` holds the types
they are made of.
"""
from __future__ import annotations

from pydantic import Field

from delphi.api.schemas.base import Answer


class ErrorDetail(Answer):
    code: str = Field(description="What went wrong, for programs: invalid, not_found, ...")
    message: str = Field(description="What went wrong, for people, in the caller's language")
    fields: dict[str, str] | None = Field(
        None, description='Per wrong field, what is wrong: {"ratings[3].value": "..."}')


class Error(Answer):
    """Every error of the API, with a 4xx status (a 500 says only its error id)."""

    error: ErrorDetail

