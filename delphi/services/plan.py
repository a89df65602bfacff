"""Loading the strategic plan (``delphi/data/plan.json``) into the database, and
the secretariat's edits of the plan's indicators."""
from __future__ import annotations

import json
import math
import re
from datetime import datetime
from importlib import resources

from flask_babel import gettext as _
from sqlalchemy import select

from delphi.core import audit
from delphi.core.database import db
from delphi.core.errors import InvalidInput
from delphi.core.models import (
    AuditEvent,
    Facility,
    Goal,
    Indicator,
    Region,
    TaskForce,
    User,
)

TASK_FORCE_FIELDS = ("label", "objective", "baseline_2020", "target_2030", "target_2050")
#: The languages ``plan.json`` translates the plan into (English is the entries' own text).
PLAN_LANGUAGES = ("fr", "es")


def plan_data() -> dict:
    return json.loads(resources.files("delphi").joinpath("data/plan.json").read_text("utf-8"))


def _translations(entry: dict) -> dict:
    """``{"fr": {...}, "es": {...}}``: an entry's translations, as the models keep them."""
    return {language: entry[language] for language in PLAN_LANGUAGES if entry.get(language)}


def _region_names(data: dict, position: int) -> dict:
    """``{"fr": {"name": ...}, ...}``: the translated names of the default region at ``position``."""
    names = {}
    for language in PLAN_LANGUAGES:
        translated = data.get(f"regions_{language}") or []
        if position < len(translated):
            names[language] = {"name": translated[position]}
    return names


def load_plan() -> dict[str, int]:
    """Insert or update goals, task forces, their indicators and default regions. Idempotent.

    Regions are editable data: existing ones are left as the secretariat
    made them; the defaults are only added when missing. A default region
    that exists already only gains the names it lacks in a language (so an
    installation that had English and French regions gets their Spanish
    names), never loses or changes one.
    """
    data = plan_data()
    goals = {g.code: g for g in db.session.scalars(select(Goal))}
    for entry in data["goals"]:
        goal = goals.get(entry["code"]) or Goal(code=entry["code"])
        goal.title, goal.statement = entry["title"], entry["statement"]
        goal.translations = _translations(entry)
        db.session.add(goal)
        goals[goal.code] = goal
    db.session.flush()
    task_forces = {t.code: t for t in db.session.scalars(select(TaskForce))}
    for entry in data["task_forces"]:
        tf = task_forces.get(entry["code"]) or TaskForce(code=entry["code"])
        task_forces[tf.code] = tf
        tf.goal = goals[entry["goal"]]
        tf.facility = {"Core": Facility.core, "Global": Facility.global_}.get(entry.get("facility"))
        for name in TASK_FORCE_FIELDS:
            setattr(tf, name, entry[name])
        tf.translations = _translations(entry)
        db.session.add(tf)
    db.session.flush()
    added_indicators = _load_indicators(data, task_forces)
    added_regions = 0
    if db.session.scalar(select(Region.id).limit(1)) is None:
        for position, name in enumerate(data["regions"]):
            db.session.add(Region(name=name, position=position,
                                  translations=_region_names(data, position)))
            added_regions += 1
    else:
        existing = {r.name: r for r in db.session.scalars(select(Region))}
        for position, name in enumerate(data["regions"]):
            region = existing.get(name)
            if region is None:
                continue
            names = {**_region_names(data, position), **(region.translations or {})}
            if names != (region.translations or {}):
                region.translations = names
    db.session.flush()
    return {"goals": len(data["goals"]), "task_forces": len(data["task_forces"]),
            "indicators_added": added_indicators, "regions_added": added_regions}


# -- the indicators ---------------------------------------------------------------

#: An indicator's own fields, as ``plan.json`` and :func:`update_indicator` name them.
INDICATOR_FIELDS = (
    "name", "unit", "baseline_value", "baseline_year", "baseline_text",
    "target_2030_value", "target_2030_text", "target_2050_value", "target_2050_text",
)
#: The fields that are translated (``Indicator.translations[language][field]``).
INDICATOR_TRANSLATED = ("name", "unit", "baseline_text", "target_2030_text", "target_2050_text")
#: What :func:`update_indicator` accepts: the fields, and ``<field>_<language>``
#: for a translation (``name_fr``, ``target_2050_text_es``, ...).
INDICATOR_INPUTS = INDICATOR_FIELDS + tuple(
    f"{field}_{language}" for language in PLAN_LANGUAGES for field in INDICATOR_TRANSLATED)
NAME_MAX = 300
UNIT_MAX = 60
INDICATOR_TEXT_MAX = 2_000
#: Values are finite and at most this large in magnitude (a budget in euros fits).
VALUE_MAX = 10 ** 12
YEAR_MIN, YEAR_MAX = 1900, 2100
_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def _edited_indicator_ids() -> set[int]:
    """The indicators the secretariat has edited (their ``indicator.updated`` rows)."""
    rows = db.session.scalars(select(AuditEvent.object_id).where(
        AuditEvent.action == "indicator.updated", AuditEvent.object_type == "Indicator"))
    return {int(object_id) for object_id in rows if str(object_id).isdigit()}


def _indicator_translations(entry: dict) -> dict:
    return {language: {k: v for k, v in entry[language].items() if k in INDICATOR_TRANSLATED and v}
            for language in PLAN_LANGUAGES if entry.get(language)}


def _load_indicators(data: dict, task_forces: dict[str, TaskForce]) -> int:
    """Add the missing indicators, refresh the unedited ones (see :func:`load_plan`)."""
    existing = {(i.task_force_id, i.position): i for i in db.session.scalars(select(Indicator))}
    edited = _edited_indicator_ids()
    added = 0
    for tf_entry in data["task_forces"]:
        task_force = task_forces[tf_entry["code"]]
        for entry in tf_entry.get("indicators", ()):
            indicator = existing.get((task_force.id, entry["position"]))
            if indicator is None:
                indicator = Indicator(task_force_id=task_force.id, position=entry["position"])
                db.session.add(indicator)
                added += 1
            elif indicator.id in edited:
                continue
            for field in INDICATOR_FIELDS:
                if getattr(indicator, field) != entry[field]:
                    setattr(indicator, field, entry[field])
            translations = _indicator_translations(entry)
            if indicator.translations != translations:
                indicator.translations = translations
    return added


class _Check:
    """Collects one message per bad field."""

    def __init__(self):
        self.errors: dict[str, str] = {}

    def text(self, name: str, value, limit: int, *, required: bool = False) -> str:
        if value is None:
            value = ""
        if not isinstance(value, str):
            self.errors[name] = _("Enter text.")
            return ""
        if len(value) > limit:
            self.errors[name] = _("Use at most %(n)d characters.", n=limit)
            return ""
        if _UNSTORABLE.search(value):
            self.errors[name] = _("Remove the control characters or broken characters from this text.")
            return ""
        value = value.replace("\r\n", "\n").replace("\r", "\n").strip()
        if required and not value:
            self.errors[name] = _("This field is required.")
        return value

    def number(self, name: str, value) -> float | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.errors[name] = _("Enter a number, or leave the field empty.")
            return None
        if not math.isfinite(value) or abs(value) > VALUE_MAX:
            self.errors[name] = _("Enter a finite number between -10¹² and 10¹².")
            return None
        return float(value)

    def year(self, name: str, value) -> int | None:
        if value is None:
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not YEAR_MIN <= value <= YEAR_MAX:
            self.errors[name] = _("Enter a year from %(low)d to %(high)d, or leave the field empty.",
                                  low=YEAR_MIN, high=YEAR_MAX)
            return None
        return value


def check_indicator_changes(changes: dict) -> dict:
    """The checked, cleaned ``changes`` (texts stripped, numbers as floats);
    ``InvalidInput`` naming every bad field, unknown ones included."""
    if not isinstance(changes, dict):
        raise InvalidInput(_("Invalid input."), fields={"indicator": _("Invalid input.")})
    check = _Check()
    clean = {}
    for name, value in changes.items():
        if name not in INDICATOR_INPUTS:
            check.errors[str(name)[:100]] = _("Unknown field.")
        elif name.endswith("_value"):
            clean[name] = check.number(name, value)
        elif name == "baseline_year":
            clean[name] = check.year(name, value)
        elif name == "name":
            clean[name] = check.text(name, value, NAME_MAX, required=True)
        elif name.startswith("name_"):
            clean[name] = check.text(name, value, NAME_MAX)
        elif name == "unit" or name.startswith("unit_"):
            clean[name] = check.text(name, value, UNIT_MAX)
        else:
            clean[name] = check.text(name, value, INDICATOR_TEXT_MAX)
    if check.errors:
        raise InvalidInput(_("Please correct the fields shown."), fields=check.errors)
    return clean


def _is_text(name: str) -> bool:
    return not (name.endswith("_value") or name == "baseline_year")


def _current(indicator: Indicator, name: str):
    if name in INDICATOR_FIELDS:
        return getattr(indicator, name)
    field, language = name.rsplit("_", 1)
    return ((indicator.translations or {}).get(language) or {}).get(field, "")


def update_indicator(indicator: Indicator, changes: dict, *, actor: User | None,
                     now: datetime | None = None) -> dict[str, dict]:
    """The secretariat edits an indicator: ``changes`` maps :data:`INDICATOR_INPUTS`
    to new values (a field left out keeps its value; ``None`` or ``""`` clears a
    value, a text or a translation; the name is required).

    Every field is checked first; on any error ``InvalidInput`` names each bad
    field and nothing changes. What really changed is applied and audited as
    ``indicator.updated`` with each field's old and new value; an edit that
    changes nothing writes no row. Returns ``{field: {"old": ..., "new": ...}}``.
    Once edited, an indicator is never refreshed from ``plan.json`` again
    (:func:`load_plan`).
    """
    clean = check_indicator_changes(changes)
    changed = {}
    for name, new in clean.items():
        old = _current(indicator, name)
        if _is_text(name):
            old = old or ""
        if old != new:
            changed[name] = {"old": old, "new": new}
    if not changed:
        return {}
    translations = {language: dict(texts) for language, texts in (indicator.translations or {}).items()}
    for name, change in changed.items():
        if name in INDICATOR_FIELDS:
            setattr(indicator, name, change["new"])
            continue
        field, language = name.rsplit("_", 1)
        texts = translations.setdefault(language, {})
        if change["new"]:
            texts[field] = change["new"]
        else:
            texts.pop(field, None)
            if not texts:
                translations.pop(language)
    indicator.translations = translations
    audit.record(actor, "indicator.updated", indicator, now=now, details={
        "task_force": indicator.task_force.code, "position": indicator.position,
        "changes": changed})
    db.session.flush()
    return changed
