"""Numbers as the reader's locale writes them, for the figures of the question
kinds on the dashboard, in the report and in the charts' alt texts.

Thin wrappers over :func:`flask_babel.format_decimal` and
:func:`flask_babel.format_percent` (the current locale: the request's, or
the one a ``force_locale`` block sets); outside an application context
they fall back to the plain formats of :mod:`analysis.charts.common`.
``None`` (and NaN) is written "—".
"""
from __future__ import annotations

import math

from flask_babel import format_decimal, format_percent, get_locale

from analysis.charts.common import num, pct

MISSING = "—"


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _formatted(value, pattern: str) -> str:
    """``value`` in the reader's locale by a Babel ``pattern`` (plain ``num`` outside a
    request); never a negative zero."""
    try:
        text = format_decimal(float(value), format=pattern)
    except RuntimeError:  # no application context
        return num(float(value))
    return "0" if text in ("-0", "−0") else text


def decimal(value, places: int = 2) -> str:
    """``value`` with at most ``places`` decimals, grouped: ``1,234.5`` / ``1 234,5``."""
    if _missing(value):
        return MISSING
    return _formatted(value, "#,##0" + ("." + "#" * places if places else ""))


def figure(value, places: int = 2, missing: str = MISSING) -> str:
    """A figure of any size as a page shows it: at most ``places`` decimals
    (``4,75`` in French), digits grouped from 10,000 up only, so that a year
    (2030) or a rating stays as it is written; ``missing`` for None."""
    if _missing(value):
        return missing
    if abs(float(value)) >= 10_000:
        return decimal(value, places)
    return _formatted(value, "0" + ("." + "#" * places if places else ""))


def year(value) -> str:
    """A year: a whole number, never grouped (``2041``, not ``2,041``)."""
    if _missing(value):
        return MISSING
    value = float(value)
    if value.is_integer():
        return str(int(value))
    try:
        return format_decimal(value, format="0.#")
    except RuntimeError:
        return num(value)


def percent(value, places: int = 0) -> str:
    """A share 0..1 as a percentage in the locale's pattern (``83%``, ``83 %``)."""
    if _missing(value):
        return MISSING
    try:
        pattern = get_locale().percent_formats[None].pattern
    except (RuntimeError, AttributeError, KeyError):
        pattern = None
    if pattern is None:
        return pct(float(value))
    if places:
        # "#,##0%" → "#,##0.0%": the decimals go after the last integer digit.
        cut = pattern.rfind("0") + 1
        pattern = pattern[:cut] + "." + "0" * places + pattern[cut:]
    try:
        return format_percent(float(value), format=pattern)
    except RuntimeError:
        return pct(float(value))


def points(value, places: int = 1) -> str:
    """A number of percentage points (an IQR of probabilities)."""
    return decimal(value, places)


def signed(value, places: int = 2) -> str:
    """A difference with its sign: ``+12.5``, ``−3``, ``0``."""
    if _missing(value):
        return MISSING
    text = decimal(abs(float(value)), places)
    if text == "0":
        return text
    return ("+" if float(value) > 0 else "−") + text


def init_app(app) -> None:
    """The locale-aware number filters of every template, registered once:
    ``number`` (:func:`figure`) and ``percent`` (:func:`percent`)."""
    app.add_template_filter(figure, "number")
    app.add_template_filter(percent, "percent")
