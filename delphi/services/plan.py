"""Loading the strategic plan (``delphi/data/plan.json``) into the database."""
from __future__ import annotations

import json
from importlib import resources

from sqlalchemy import select

from delphi.core.database import db
from delphi.core.models import Facility, Goal, Region, TaskForce

TASK_FORCE_FIELDS = ("label", "objective", "baseline_2020", "target_2030", "target_2050")


def plan_data() -> dict:
    return json.loads(resources.files("delphi").joinpath("data/plan.json").read_text("utf-8"))


def load_plan() -> dict[str, int]:
    """Insert or update goals, task forces and default regions. Idempotent.

    Regions are editable data: existing ones are left as the secretariat
    made them; the defaults are only added when missing.
    """
    data = plan_data()
    goals = {g.code: g for g in db.session.scalars(select(Goal))}
    for entry in data["goals"]:
        goal = goals.get(entry["code"]) or Goal(code=entry["code"])
        goal.title, goal.statement = entry["title"], entry["statement"]
        goal.translations = {"fr": entry["fr"]} if entry.get("fr") else {}
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
        tf.translations = {"fr": entry["fr"]} if entry.get("fr") else {}
        db.session.add(tf)
    added_regions = 0
    if db.session.scalar(select(Region.id).limit(1)) is None:
        french = data.get("regions_fr") or []
        for position, name in enumerate(data["regions"]):
            region = Region(name=name, position=position)
            if position < len(french):
                region.translations = {"fr": {"name": french[position]}}
            db.session.add(region)
            added_regions += 1
    db.session.flush()
    return {"goals": len(data["goals"]), "task_forces": len(data["task_forces"]),
            "regions_added": added_regions}
