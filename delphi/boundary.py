"""The input boundary: what no request may carry, checked once before any view.

Every text a request brings in (path segments, the query string and JSON
bodies, keys included) must be storable on both databases: no NUL,
no control character but tab, line feed and carriage return, and no lone
surrogate (PostgreSQL refuses the first, neither database's UTF-8 can hold
the last). A request that breaks this is refused before any view runs, so
it changes nothing: a 422 naming each field (``{"error": ...}`` under
``/api/``, a page elsewhere); in the path, which names something, it is a
404, as is every integer in a path beyond the columns' range (2**31 - 1,
the ``int`` converter's bound): neither can name anything that exists.

The fields of a web form are the services' to check (``rounds`` and
``delphi.services`` refuse such text field by field, so the page shows the
error beside the field and keeps what was typed); limits of length are the
services' too (each column's own). ``tests/test_form_fuzz.py`` holds every
form to it on both databases.
"""
from __future__ import annotations

from flask import Flask, request
from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter

from delphi.core.errors import InvalidInput, NotFound
from delphi.core.text import UNSTORABLE, text_problem

INT32_MAX = 2**31 - 1
#: How deep a JSON body is walked (deeper bodies are the schemas' to refuse).
MAX_DEPTH = 12


class BoundedInteger(IntegerConverter):
    """``<int:...>``: an integer of the columns' range, 0 to 2**31 - 1 (else no match: 404)."""

    def __init__(self, url_map, fixed_digits=0, min=None, max=None, signed=False):
        super().__init__(url_map, fixed_digits=fixed_digits, min=min,
                         max=INT32_MAX if max is None else max, signed=signed)


def _walk(value, name: str, found: dict[str, str], depth: int = 0) -> None:
    if depth > MAX_DEPTH:
        return
    if isinstance(value, str):
        message = text_problem(value)
        if message:
            found.setdefault(name or "body", message)
    elif isinstance(value, dict):
        for key, item in value.items():
            key = str(key)
            if UNSTORABLE.search(key):
                found.setdefault(name or "body", _("Remove the control characters or broken "
                                                   "characters from this text."))
                continue
            _walk(item, f"{name}.{key}" if name else key, found, depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _walk(item, f"{name}[{index}]", found, depth + 1)


def unstorable_path() -> bool:
    """Whether the path (or one of its segments) holds what no text column can store:
    it then names nothing that exists."""
    return bool(UNSTORABLE.search(request.path)) or any(
        isinstance(v, str) and UNSTORABLE.search(v) for v in (request.view_args or {}).values())


def unstorable_fields() -> dict[str, str]:
    """The fields of this request (query, form, JSON body) that hold what no text
    column can store."""
    found: dict[str, str] = {}
    for source in (request.args,) if not request.path.startswith("/api/") else (request.args,
                                                                                request.form):
        for key, values in source.lists():
            if UNSTORABLE.search(key):
                found.setdefault("form", _("Remove the control characters or broken characters "
                                           "from this text."))
            for value in values:
                _walk(value, key, found)
    if request.is_json:
        try:
            body = request.get_json(silent=True)
        except (RecursionError, ValueError):  # nested too deep: the view's parser answers 400
            body = None
        if body is not None:
            _walk(body, "", found)
    return found


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = BoundedInteger

    @app.before_request
    def _boundary():
        if request.endpoint == "static":
            return
        if unstorable_path():
            raise NotFound(_("Not found."))
        found = unstorable_fields()
        if found:
            if request.path.startswith("/api/"):
                raise InvalidInput(_("Invalid input."), fields=found)
            names = ", ".join(sorted(found)[:5])
            raise InvalidInput(_("Some text you sent (%(fields)s) holds control characters or "
                                 "broken characters, which cannot be stored: remove them and "
                                 "send it again. Nothing was saved.", fields=names), fields=found)
        return
