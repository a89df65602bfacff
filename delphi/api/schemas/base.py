"""The JSON types every schema of the API is made of.

Requests are validated in pydantic's strict mode (``true`` is not a number,
``1`` is not a string, ``1.5`` is not an integer) on the body that
``json.loads`` read. The types here add what the database needs of any value
before a service sees it: texts without NUL bytes or lone surrogates and of a
bounded length, integers that fit a 32-bit column, finite numbers. Values
(a scale of 5, 7 or 9 points, a known item, ...) are the services' to check.
"""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

#: The bounds of a 32-bit signed integer: every integer column of the schema.
INT32_MIN, INT32_MAX = -(2 ** 31), 2 ** 31 - 1
#: Texts: names, titles, codes and keys (the services check tighter lengths) ...
SHORT_TEXT = 10_000
#: ... and free texts: descriptions, backgrounds, comments, reasons.
LONG_TEXT = 100_000
#: Lists given in a body (ratings of one save, items of one draft, ...).
MAX_ENTRIES = 10_000


def _storable(value: str) -> str:
    """A text the database can store: no NUL byte (PostgreSQL refuses it), no lone
    surrogate (not UTF-8, so neither database can store it)."""
    if "\x00" in value:
        raise PydanticCustomError("text_nul", "NUL bytes are not allowed")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise PydanticCustomError("text_surrogate", "lone surrogates are not allowed") from None
    return value


def _date_time(value) -> datetime:
    """An ISO 8601 date or date-time, in UTC (UTC when it gives no offset)."""
    if not isinstance(value, str):
        raise PydanticCustomError("string_type", "Input should be a valid string")
    if len(value) > 64:
        raise PydanticCustomError("date_time", "not an ISO 8601 date or date-time")
    try:
        parsed = datetime.fromisoformat(value)  # Z too (Python 3.11)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):  # not a date; a date that leaves the calendar in UTC
        raise PydanticCustomError("date_time", "not an ISO 8601 date or date-time") from None


Text = Annotated[str, Field(max_length=SHORT_TEXT), AfterValidator(_storable)]
LongText = Annotated[str, Field(max_length=LONG_TEXT), AfterValidator(_storable)]
Int = Annotated[int, Field(ge=INT32_MIN, le=INT32_MAX, json_schema_extra={"format": "int32"})]
Id = Annotated[int, Field(ge=1, le=INT32_MAX, json_schema_extra={"format": "int32"})]
Number = float  # finite: see ``allow_inf_nan`` below
DateTime = Annotated[datetime, PlainValidator(_date_time, json_schema_input_type=str),
                     WithJsonSchema({
                         "type": "string", "maxLength": 64,
                         "anyOf": [{"format": "date"}, {"format": "date-time"}],
                         "description": "An ISO 8601 date (YYYY-MM-DD) or date-time; UTC when "
                                        "no offset is given."})]


def choice(*values: str):
    """A string that is one of ``values`` (for values no service checks itself)."""
    return Literal[values]  # type: ignore[valid-type]


class Body(BaseModel):
    """A request body: strict types, finite numbers; unknown fields are ignored."""

    model_config = ConfigDict(strict=True, allow_inf_nan=False, extra="ignore",
                              str_max_length=LONG_TEXT)


class Answer(BaseModel):
    """A response body, documented (the API builds it; tests check it against this)."""

    model_config = ConfigDict(extra="forbid")


class OpenAnswer(BaseModel):
    """A response body that may carry more fields than documented."""

    model_config = ConfigDict(extra="allow")

