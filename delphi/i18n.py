"""Language selection and the template helpers that translate coded values."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from numbers import Real
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time, format_timedelta
from flask import current_app, g, request, session
from flask_babel import format_decimal, format_percent, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from delphi.core.clock import is_time_zone, now_or
from delphi.core.database import db
from delphi.core.models import Region
from delphi.forms import LANGUAGE_LABELS, ROLE_LABELS, STAKEHOLDER_LABELS

UNKNOWN_REGION_LABEL = _l("unknown")
STATUS_LABELS = {
    "approved": _l("approved"), "pending": _l("pending"), "declined": _l("declined"),
    "member": _l("Member"), "partner": _l("Partner"), "none": _l("None"),
}


#: The session key of the language chosen with the language menu (``POST /language``).
SESSION_LANGUAGE = "language"


def select_locale() -> str:
    """The language of a page: the one chosen in this session (the language
    menu), else the user's profile, else the browser's (Accept-Language),
    else English."""
    languages = current_app.config["LANGUAGES"]
    if request:
        chosen = session.get(SESSION_LANGUAGE)
        if chosen in languages:
            return chosen
    try:
        preferred = current_user.language if current_user.is_authenticated else None
    except Exception:  # no request user (CLI, mail rendering)
        preferred = None
    if preferred in languages:
        return preferred
    if request:
        return request.accept_languages.best_match(languages) or "en"
    return "en"


def current_language() -> str:
    return str(get_locale() or "en")


# Times, in the reader's zone -------------------------------------------------

@dataclass(frozen=True)
class LocalTime:
    """A moment for the reader: ``text`` ("15 March 2027, 17:00 (Europe/Paris)"),
    ``iso`` (for ``<time datetime>``), ``remaining`` ("6 days left", "closed"
    once past; empty when not asked) and ``zone`` (the zone's name)."""

    text: str
    iso: str
    remaining: str
    zone: str
    past: bool


def reader_zone(user=None) -> str:
    """The reader's IANA time zone name: the profile's when it has a valid one, else UTC."""
    user = current_user if user is None else user
    zone = getattr(user, "time_zone", None) if user is not None else None
    return zone if is_time_zone(zone) else "UTC"


def local_time(moment: datetime | None, *, remaining: bool = False, zone: str | None = None,
               now: datetime | None = None) -> LocalTime | None:
    """``moment`` (aware, or naive UTC) in the reader's zone (or ``zone``); with
    ``remaining=True`` also the time left until it, worded by Babel ("6 days
    left", "5 hours left"), or "closed" when it is past. None for None."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    zone = zone or reader_zone()
    local = moment.astimezone(ZoneInfo(zone))
    locale = get_locale() or "en"
    text = _("%(date)s, %(time)s (%(zone)s)", date=format_date(local, "long", locale=locale),
             time=format_time(local, "HH:mm", locale=locale), zone=zone)
    now = now_or(now)
    past = moment <= now
    left = ""
    if remaining:
        left = _("closed") if past else _("%(time)s left", time=format_timedelta(
            moment - now, threshold=1.5, locale=locale))
    return LocalTime(text=text, iso=moment.astimezone(UTC).isoformat(), remaining=left,
                     zone=zone, past=past)


# Numbers, in the reader's language --------------------------------------------

def number(value, digits: int = 2) -> str:
    """A number in the reader's language, with at most ``digits`` decimals
    ("1,5" in French, "1.5" in English); "–" for a missing value."""
    if value is None or isinstance(value, bool) or not isinstance(value, Real) or value != value:
        return "–"
    return format_decimal(value, format="#,##0" + ("." + "#" * digits if digits else ""))


def percent(value, digits: int = 0) -> str:
    """A share (0.7) as a percentage in the reader's language ("70 %" in French,
    "70%" in English); "–" for a missing value."""
    if value is None or isinstance(value, bool) or not isinstance(value, Real) or value != value:
        return "–"
    return format_percent(value, format="#,##0" + ("." + "#" * digits if digits else "") + "%")


def when(moment: datetime | None) -> str:
    """A moment as text in the reader's zone and language, the zone named
    (:func:`local_time`); empty for None."""
    local = local_time(moment)
    return local.text if local else ""


def region_label(region) -> str:
    """A region's name in the current language (regions are data, translated there)."""
    if region is None:
        return ""
    translations = getattr(region, "translations", None) or {}
    return (translations.get(current_language()) or {}).get("name") or region.name


def region_name(name: str | None) -> str:
    """A region, given by its name (as the attributes of
    :mod:`delphi.core.attributes` give it), in the current language."""
    if not name:
        return ""
    names = g.get("_region_translations")
    if names is None:
        names = g._region_translations = {
            n: t or {} for n, t in db.session.execute(select(Region.name, Region.translations))}
    if name not in names:
        return UNKNOWN_REGION_LABEL if name == "unknown" else name
    return (names[name].get(current_language()) or {}).get("name") or name


def init_app(app) -> None:
    """The template helpers: label functions, ``local_time``, the language
    menu's names, and the locale-aware filters ``number``, ``percent`` and
    ``when`` (registered here once, for every page)."""
    app.add_template_filter(number, "number")
    app.add_template_filter(percent, "percent")
    app.add_template_filter(when, "when")

    @app.context_processor
    def _helpers():
        return {
            "get_locale": get_locale,
            "language_names": {code: LANGUAGE_LABELS.get(code, code)
                               for code in current_app.config["LANGUAGES"]},
            "local_time": local_time,
            "role_label": lambda v: ROLE_LABELS.get(v, v),
            "stakeholder_label": lambda v: STAKEHOLDER_LABELS.get(v, v),
            "status_label": lambda v: STATUS_LABELS.get(v, v),
            "region_label": region_label,
            "region_name": region_name,
        }
