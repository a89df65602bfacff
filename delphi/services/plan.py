"""Loading the strategic plan (``delphi/data/plan.json``) into the database."""
from __future__ import annotations

import json
from importlib import resources

from sqlalchemy import select

from delphi.core.database import db
from delphi.core.models import Facility, Goal, Region, TaskForce

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
    """Insert or update goals, task forces and default regions. Idempotent.

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
        tf.goal = goals[entry["goal"]]
        tf.facility = {"Core": Facility.core, "Global": Facility.global_}.get(entry.get("facility"))
        for name in TASK_FORCE_FIELDS:
            setattr(tf, name, entry[name])
        tf.translations = _translations(entry)
        db.session.add(tf)
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
            "regions_added": added_regions}
