"""Pydantic's validation errors as the API's 422: ``{"error": {"code": "invalid",
"message", "fields": {"ratings[3].value": "..."}}}``.

Field names are written as the API has always named them (and as the
services name theirs): attributes joined with dots, list positions in
brackets. Each message is gettext'd in the caller's language.
"""
from __future__ import annotations

from flask_babel import gettext as _
from pydantic import BaseModel, ValidationError

from delphi.api.common import ApiError


def field_name(loc: tuple) -> str:
    """``("ratings", 3, "value")`` → ``"ratings[3].value"``."""
    name = ""
    for part in loc:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            name += f".{part}" if name else str(part)
    return name


def _message(error: dict) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "missing" or (error.get("input", "") is None and kind.endswith("_type")):
        return _("This field is required.")
    simple = {
        "string_type": _("Give a text."),
        "int_type": _("Give a whole number."),
        "float_type": _("Give a number."),
        "finite_number": _("Give a finite number."),
        "bool_type": _("Give true or false."),
        "list_type": _("Give a list."),
        "dict_type": _("Give an object."),
        "model_type": _("Give an object."),
        "model_attributes_type": _("Give an object."),
        "text_nul": _("This text contains a NUL character, which cannot be stored."),
        "text_surrogate": _("This text contains an invalid character (a lone surrogate)."),
        "string_unicode": _("This text contains an invalid character (a lone surrogate)."),
        "date_time": _("Give a date as YYYY-MM-DD or an ISO 8601 date-time."),
        "answer_shape": _('Give a number, {"p10": ..., "p50": ..., "p90": ...}, "later", a '
                          'list of option ids, or null.'),
        "option_type": _('Give the option as a text, {"text": ..., "translations": {...}} or '
                         '{"item": id}.'),
    }
    if kind in simple:
        return simple[kind]
    if kind == "string_too_long":
        return _("Use at most %(n)d characters.", n=ctx.get("max_length", 0))
    if kind == "too_long":
        return _("Give at most %(n)d entries.", n=ctx.get("max_length", 0))
    if kind == "too_short":
        return _("Give at least %(n)d entries.", n=ctx.get("min_length", 0))
    if kind in ("greater_than_equal", "greater_than"):
        return _("Give a number of at least %(n)s.", n=ctx.get("ge", ctx.get("gt")))
    if kind in ("less_than_equal", "less_than"):
        return _("Give a number of at most %(n)s.", n=ctx.get("le", ctx.get("lt")))
    if kind == "literal_error":
        return _("Choose one of: %(choices)s.", choices=str(ctx.get("expected", "")).replace("'", ""))
    return _("Invalid value.")


def invalid(error: ValidationError) -> ApiError:
    """The 422 of a validation error, one message per field (the first for each)."""
    fields: dict[str, str] = {}
    for detail in error.errors(include_url=False):
        fields.setdefault(field_name(detail["loc"]) or "body", _message(detail))
    return ApiError(422, "invalid", _("Invalid input."), fields)


def validate(model: type[BaseModel], data) -> BaseModel:
    """``data`` (what ``json.loads`` read) as ``model``; a 422 naming each wrong field."""
    try:
        return model.model_validate(data, strict=True)
    except ValidationError as error:
        raise invalid(error) from None
