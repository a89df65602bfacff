"""Feedback snapshots: what a carried item shows the panel in the next round."""
from __future__ import annotations

import random

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from delphi.extensions import db
from delphi.models import (
    ItemComment,
    ItemStatistics,
    Panellist,
    PanellistStatus,
    Response,
    ResponseStatus,
    Round,
)

FEEDBACK_FIELDS = ("n", "median", "q1", "q3", "iqr", "counts", "agreement")


def shuffled_comments(round_id: int, item_id: int, texts_by_id: list[tuple[int, str]]) -> list[str]:
    """Comment texts in an order that is random but reproducible (seeded by round
    and item), so the order says nothing about who wrote what or when."""
    texts = [text for _id, text in sorted(texts_by_id)]
    random.Random(f"delphi-feedback:{round_id}:{item_id}").shuffle(texts)
    return texts


def snapshot_feedback(source: Round, item_ids) -> dict[int, dict]:
    """``{item_id: feedback}`` from the frozen statistics of the closed round
    ``source``: ``{"round", "round_id", "criteria": {c: {n, median, q1, q3, iqr,
    counts, agreement}}, "comments": [texts]}``. Never a name. Items that were
    not in ``source`` get no entry.

    A criterion with fewer than ``MIN_CELL`` ratings (app config, default 5)
    is fed back as ``{"n": n, "suppressed": True}`` with every figure None:
    with so few answers the distribution would tell panellists what the
    others rated. The frozen statistics themselves are kept whole for the
    moderators, and no outside-IQR reason is asked for such an item.
    """
    min_cell = int(current_app.config.get("MIN_CELL", 5))
    item_ids = [int(i) for i in item_ids]
    if not item_ids:
        return {}
    stats = db.session.execute(
        select(ItemStatistics.item_id, ItemStatistics.criterion, ItemStatistics.n,
               ItemStatistics.median, ItemStatistics.q1, ItemStatistics.q3, ItemStatistics.iqr,
               ItemStatistics.counts, ItemStatistics.agreement)
        .where(ItemStatistics.round_id == source.id, ItemStatistics.item_id.in_(item_ids))
    ).all()
    comments: dict[int, list[tuple[int, str]]] = {}
    for comment_id, item_id, text in db.session.execute(
        select(ItemComment.id, ItemComment.item_id, ItemComment.text)
        .join(Response, Response.id == ItemComment.response_id)
        .join(Panellist, Panellist.id == Response.panellist_id)
        .where(Response.round_id == source.id, Response.status == ResponseStatus.submitted,
               Panellist.status == PanellistStatus.active, ItemComment.item_id.in_(item_ids))
    ):
        comments.setdefault(item_id, []).append((comment_id, text))
    out: dict[int, dict] = {}
    for row in stats:
        entry = out.setdefault(row.item_id, {
            "round": source.number, "round_id": source.id, "criteria": {},
            "comments": shuffled_comments(source.id, row.item_id, comments.get(row.item_id, [])),
        })
        if row.n < min_cell:
            entry["criteria"][row.criterion] = {
                "n": row.n, "median": None, "q1": None, "q3": None, "iqr": None,
                "counts": None, "agreement": None, "suppressed": True,
            }
            continue
        entry["criteria"][row.criterion] = {
            "n": row.n, "median": row.median, "q1": row.q1, "q3": row.q3, "iqr": row.iqr,
            "counts": list(row.counts), "agreement": row.agreement,
        }
    return out


STOPPING_CODES = ("max_rounds", "all_settled", "w_and_stable", "nothing_to_carry")


def stopping_reason_text(reason: dict) -> str:
    """The reason of a stopping verdict in the current language (by its ``code``)."""
    code = reason.get("code")
    d = reason.get("details") or {}
    if code == "max_rounds":
        return _("The study has reached its maximum of %(n)d rounds.", n=d.get("max_rounds", 0))
    if code == "all_settled":
        return _("Every item has a settled verdict (consensus in or out).")
    if code == "w_and_stable":
        return _("Kendall's W is at or above %(t)s on every criterion and the round was stable "
                 "(%(share)d%% of items stable).", t=d.get("threshold"),
                 share=round(100 * (d.get("stable_share") or 0)))
    if code == "nothing_to_carry":
        return _("No item is left to carry into another round.")
    return str(code)
