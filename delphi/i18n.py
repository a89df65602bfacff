"""Language selection and the template helpers that translate coded values."""
from __future__ import annotations

from flask import current_app, g, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from delphi.core.database import db
from delphi.core.models import Region
from delphi.forms import ROLE_LABELS, STAKEHOLDER_LABELS

UNKNOWN_REGION_LABEL = _l("unknown")
STATUS_LABELS = {
    "approved": _l("approved"), "pending": _l("pending"), "declined": _l("declined"),
    "member": _l("Member"), "partner": _l("Partner"), "none": _l("None"),
}


def select_locale() -> str | None:
    """The user's preference, else the browser's."""
    languages = current_app.config["LANGUAGES"]
    try:
        preferred = current_user.language if current_user.is_authenticated else None
    except Exception:  # no request user (CLI, mail rendering)
        preferred = None
    if preferred in languages:
        return preferred
    if request:
        return request.accept_languages.best_match(languages)
    return None


def current_language() -> str:
    return str(get_locale() or "en")


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
    @app.context_processor
    def _helpers():
        return {
            "get_locale": get_locale,
            "role_label": lambda v: ROLE_LABELS.get(v, v),
            "stakeholder_label": lambda v: STAKEHOLDER_LABELS.get(v, v),
            "status_label": lambda v: STATUS_LABELS.get(v, v),
            "region_label": region_label,
            "region_name": region_name,
        }
