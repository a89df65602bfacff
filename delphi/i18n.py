"""Language selection and the template helpers that translate coded values."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time, format_timedelta
from flask import current_app, g, request, session
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup
from sqlalchemy import select

from delphi.core.clock import from_wall_clock, is_time_zone, now_or
from delphi.core.database import db
from delphi.core.models import Region
from delphi.forms import LANGUAGE_LABELS
from rounds.protocol import protocol_value_text
from rounds.translations import study_criterion, study_text
from rounds.vocabulary import (
    MEMBERSHIP_STATUS_LABELS,
    attribute_value_label,
    criterion_label,
    protocol_field_label,
    role_label,
    stakeholder_label,
)

UNKNOWN_REGION_LABEL = _l("unknown")
STATUS_LABELS = MEMBERSHIP_STATUS_LABELS  # the name the templates' helper used


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
    """A moment for the reader: ``text`` ("March 15, 2027, 17:00 (Europe/Paris)" in
    English, "15 mars 2027, 17:00 (Europe/Paris)" in French),
    ``iso`` (for ``<time datetime>``), ``remaining`` ("6 days left", "closed"
    once past; empty when not asked), ``zone`` (the zone's name) and ``day``
    (the date alone there, "March 15, 2027" in English)."""

    text: str
    iso: str
    remaining: str
    zone: str
    past: bool
    day: str = ""


def reader_zone(user=None) -> str:
    """The reader's IANA time zone name: the profile's when it has a valid one, else UTC."""
    user = current_user if user is None else user
    zone = getattr(user, "time_zone", None) if user is not None else None
    return zone if is_time_zone(zone) else "UTC"


def local_time(moment: datetime | None, *, remaining: bool = False, zone: str | None = None,
               now: datetime | None = None) -> LocalTime | None:
    """``moment`` (aware, or naive UTC) in the reader's zone (or ``zone``), in
    the current locale (a mail renders under ``force_locale`` of its
    recipient's language and passes the recipient's ``zone``); with
    ``remaining=True`` also the time left until it, worded by Babel ("6 days
    left", "5 hours left"), or "closed" when it is past. None for None."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    zone = reader_zone() if zone is None else zone if is_time_zone(zone) else "UTC"
    local = moment.astimezone(ZoneInfo(zone))
    locale = get_locale() or "en"
    day = format_date(local, "long", locale=locale)
    text = _("%(date)s, %(time)s (%(zone)s)", date=day,
             time=format_time(local, "HH:mm", locale=locale), zone=zone)
    now = now_or(now)
    past = moment <= now
    left = ""
    if remaining:
        left = _("closed") if past else _("%(time)s left", time=format_timedelta(
            moment - now, threshold=1.5, locale=locale))
    return LocalTime(text=text, iso=moment.astimezone(UTC).isoformat(), remaining=left,
                     zone=zone, past=past, day=day)


def when(moment: datetime | None) -> str:
    """A moment as text in the reader's zone and language, the zone named
    (:func:`local_time`); empty for None."""
    local = local_time(moment)
    return local.text if local else ""


def day(moment: datetime | None) -> str:
    """``{{ m|day }}``: the date alone of a moment, in the reader's zone and
    language ("March 15, 2027"; :func:`local_time`); empty for None."""
    local = local_time(moment)
    return local.day if local else ""


def reader_moment(wall_clock: datetime | None, zone: str | None = None) -> datetime | None:
    """The moment (aware UTC) that a wall-clock time typed by the reader names
    in their zone (or ``zone``): what a form's date-time field gives
    (:func:`delphi.core.clock.from_wall_clock`). None for None."""
    if wall_clock is None:
        return None
    zone = reader_zone() if zone is None else zone if is_time_zone(zone) else "UTC"
    return from_wall_clock(wall_clock, zone)


@pass_context
def criterion_filter(context, criterion: str | None) -> str:
    """``{{ c|criterion }}``: a criterion in the reader's language, the page's
    study's own translation first (``rounds.translations.study_criterion``)."""
    study = context.get("study")
    if study is not None and getattr(study, "translations", None):
        return study_criterion(study, criterion or "", current_language())
    return criterion_label(criterion)


def study_title(study) -> str:
    """A study's title in the reader's language, else in English."""
    return study_text(study, "title", current_language()) if study is not None else ""


def study_description(study) -> str:
    return study_text(study, "description", current_language()) if study is not None else ""


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


def colon(label) -> Markup:
    """``{{ label|colon }}``: ``label`` followed by a colon as the reader's
    language writes it ("Median:", "Médiane :"); ``label`` is escaped unless
    it is markup already."""
    return Markup(_("%(label)s:")) % {"label": label}


def load_locale_data(languages) -> None:
    """Read Babel's locale data (the CLDR files: about 50 ms a language) of
    each supported language now, while the worker starts, so that no reader's
    first page pays for it. Babel keeps it for the life of the process."""
    from babel import Locale

    for code in languages:
        Locale.parse(code).number_symbols  # noqa: B018 (reading it loads the data)


def init_app(app) -> None:
    """The template helpers: label functions, ``local_time``, the language
    menu's names, and the filters ``when`` (a moment in the reader's zone),
    ``day`` (its date alone there), ``criterion`` (its label) and ``colon``. The number filters are
    :func:`delphi.charts.numbers.init_app`'s."""
    app.add_template_filter(when, "when")
    app.add_template_filter(day, "day")
    app.add_template_filter(criterion_filter, "criterion")
    app.add_template_filter(colon, "colon")
    load_locale_data(app.config["LANGUAGES"])

    @app.context_processor
    def _helpers():
        return {
            "get_locale": get_locale,
            "language_names": {code: LANGUAGE_LABELS.get(code, code)
                               for code in current_app.config["LANGUAGES"]},
            "local_time": local_time,
            "role_label": role_label,
            "stakeholder_label": stakeholder_label,
            "criterion_label": criterion_label,
            "protocol_field_label": protocol_field_label,
            "protocol_value": protocol_value_text,
            "attribute_value_label": attribute_value_label,
            "study_title": study_title,
            "study_description": study_description,
            "status_label": lambda v: STATUS_LABELS.get(v, v),
            "region_label": region_label,
            "region_name": region_name,
        }
