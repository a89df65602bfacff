"""Feedback snapshots: what a carried item shows the panel in the next round."""
from __future__ import annotations

import random

from sqlalchemy import select

from delphi.core.database import db
from delphi.core.models import ItemComment, Response, Round
from delphi.core.policy import DEFAULT_POLICY
from rounds.kinds import NO_CRITERION, kind_of
from rounds.results import item_rows

FEEDBACK_FIELDS = ("n", "median", "q1", "q3", "iqr", "counts", "agreement")


def shuffled_comments(round_id: int, item_id: int, texts_by_id: list[tuple[int, str]]) -> list[str]:
    """Comment texts in an order that is random but reproducible (seeded by round
    and item), so the order says nothing about who wrote what or when."""
    texts = [text for _id, text in sorted(texts_by_id)]
    random.Random(f"delphi-feedback:{round_id}:{item_id}").shuffle(texts)
    return texts


def snapshot_feedback(source: Round, item_ids, *,
                      min_cell: int = DEFAULT_POLICY.min_cell) -> dict[int, dict]:
    """``{item_id: feedback}`` from the frozen statistics of the closed round
    ``source``: ``{"round", "round_id", "criteria": {c: {n, median, q1, q3, iqr,
    counts, agreement}}, "comments": [texts]}``; an item of another question
    kind has ``"kind"`` and its kind's ``"figures"`` (``rounds.kinds``:
    ``Kind.feedback``) instead of criteria. Never a name. Items that were
    not in ``source`` get no entry.

    A criterion with fewer than ``min_cell`` ratings (the policy's
    ``min_cell``, default 5) is fed back as ``{"n": n, "suppressed": True}``
    with every figure None: with so few answers the distribution would tell panellists what the
    others rated. The frozen statistics themselves are kept whole for the
    moderators, and no outside-IQR reason is asked for such an item.
    """
    item_ids = [int(i) for i in item_ids]
    if not item_ids:
        return {}
    wanted = set(item_ids)
    stats = [row for row in item_rows(source) if row.item_id in wanted]
    comments: dict[int, list[tuple[int, str]]] = {}
    for comment_id, item_id, text in db.session.execute(
        select(ItemComment.id, ItemComment.item_id, ItemComment.text)
        .join(Response, Response.id == ItemComment.response_id)
        .where(Response.round_id == source.id, Response.counted.is_(True),
               ItemComment.item_id.in_(item_ids))
    ):
        comments.setdefault(item_id, []).append((comment_id, text))
    out: dict[int, dict] = {}
    for row in stats:
        entry = out.setdefault(row.item_id, {
            "round": source.number, "round_id": source.id, "criteria": {},
            "comments": shuffled_comments(source.id, row.item_id, comments.get(row.item_id, [])),
        })
        if row.criterion == NO_CRITERION and row.kind != "rating":
            entry["kind"] = row.kind
            entry["figures"] = {"n": row.n, "suppressed": True} if row.n < min_cell \
                else kind_of(row.kind).feedback(row, params=row.params or {})
            continue
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
