"""Provenance tables of a study for the report and the export package: the
lineage of every item (new, reworded, merged from proposals or items, carried
across rounds) and the protocol's amendments.

Read from the models as the process wrote them (``Item.lineage``, written by
:mod:`rounds.items`; the ``RoundItem`` rows of each opened round; ``Amendment``
rows, written by :func:`rounds.update_protocol`); nothing is decided here but
the name of each relation, from the rule of :mod:`rounds.items`:
``reword_item`` names one item and no proposal; ``item_from_proposals`` names
proposals and/or several items.
"""
from __future__ import annotations

import json

import pandas as pd
from sqlalchemy import select

from delphi.core.database import db
from delphi.core.models import Amendment, Item, Round, RoundItem, RoundStatus, Study

LINEAGE_COLUMNS = ["item_code", "kind", "origin", "from_items", "from_proposals", "rounds",
                   "first_round", "last_round", "replaced_by"]
AMENDMENT_COLUMNS = ["date", "field", "old_value", "new_value", "reason"]


def origin_of(lineage: dict | None) -> str:
    """``new``, ``reworded`` (from one item) or ``merged`` (from proposals, or from
    several items), from an item's stored lineage."""
    lineage = lineage or {}
    items, proposals = lineage.get("items") or [], lineage.get("proposals") or []
    if proposals or len(items) > 1:
        return "merged"
    if items:
        return "reworded"
    return "new"


def lineage_records(study: Study) -> list[dict]:
    """One record per item of the study, in code order: its origin, the codes it
    came from, how many proposals were merged into it, the rounds (opened or
    closed) that held it, and the codes of the items that replaced it."""
    items = list(db.session.scalars(select(Item).where(Item.study_id == study.id)
                                    .order_by(Item.code)))
    code = {i.id: i.code for i in items}
    held: dict[int, list[int]] = {}
    for item_id, number in db.session.execute(
            select(RoundItem.item_id, Round.number).join(Round, Round.id == RoundItem.round_id)
            .where(Round.study_id == study.id, Round.status != RoundStatus.draft)
            .order_by(Round.number)):
        held.setdefault(item_id, []).append(int(number))
    replaced: dict[int, list[str]] = {}
    for item in items:
        for source in (item.lineage or {}).get("items") or []:
            replaced.setdefault(source, []).append(item.code)
    out = []
    for item in items:
        lineage = item.lineage or {}
        numbers = sorted(set(held.get(item.id, [])))
        out.append({
            "item_code": item.code, "kind": item.kind or "rating", "origin": origin_of(lineage),
            "from_items": [code.get(i, str(i)) for i in lineage.get("items") or []],
            "from_proposals": len(lineage.get("proposals") or []),
            "rounds": numbers, "first_round": numbers[0] if numbers else None,
            "last_round": numbers[-1] if numbers else None,
            "replaced_by": sorted(replaced.get(item.id, [])),
        })
    return out


def lineage_table(study: Study) -> pd.DataFrame:
    """:func:`lineage_records` as a table (lists joined with spaces)."""
    rows = [{**r, "from_items": " ".join(r["from_items"]), "rounds": " ".join(map(str, r["rounds"])),
             "replaced_by": " ".join(r["replaced_by"])} for r in lineage_records(study)]
    frame = pd.DataFrame(rows, columns=LINEAGE_COLUMNS)
    frame["from_proposals"] = frame["from_proposals"].astype("int64")
    for column in ("first_round", "last_round"):
        frame[column] = pd.array(pd.to_numeric(frame[column]), dtype="Int64")
    for column in ("item_code", "kind", "origin", "from_items", "rounds", "replaced_by"):
        frame[column] = frame[column].astype(object)
    return frame


def amendments(study: Study) -> list[Amendment]:
    return list(db.session.scalars(select(Amendment).where(Amendment.study_id == study.id)
                                   .order_by(Amendment.at, Amendment.id)))


def _value_text(value) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False,
                                                          sort_keys=True)


def amendments_table(study: Study) -> pd.DataFrame:
    """The protocol's amendments: date (UTC), field, old and new value (JSON text
    unless a plain text), reason. The moderator who made it is not exported."""
    rows = [{"date": a.at.date().isoformat(), "field": a.field,
             "old_value": _value_text(a.old_value), "new_value": _value_text(a.new_value),
             "reason": a.reason or ""} for a in amendments(study)]
    return pd.DataFrame(rows, columns=AMENDMENT_COLUMNS).astype(object)
