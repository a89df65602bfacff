"""A panellist's receipt: what they submitted to a round, as it counts.

Read from the submitted ``Rating`` and ``ItemComment`` rows (the answers
that count, ``rounds.answering``), never from the draft.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from delphi.core.database import db
from delphi.core.models import (
    Item,
    ItemComment,
    Panellist,
    Rating,
    Response,
    ResponseStatus,
    Round,
    RoundItem,
)


@dataclass(frozen=True)
class ReceiptItem:
    """One item: ``answers`` are ``(criterion, value, answer, reason)``
    (``value`` for a rating, None = cannot rate; ``answer`` for the other
    kinds, criterion ``""``)."""

    item_id: int
    code: str
    text: str
    kind: str
    params: dict
    answers: tuple[tuple[str, int | None, object, str | None], ...]
    comment: str | None


@dataclass(frozen=True)
class Receipt:
    response_id: int
    submitted_at: datetime
    items: tuple[ReceiptItem, ...]


def receipt(round: Round, panellist: Panellist, *, language: str | None = None) -> Receipt | None:
    """The panellist's submitted answers to ``round`` in questionnaire order,
    or None when they have submitted nothing."""
    response = db.session.scalar(select(Response).where(
        Response.round_id == round.id, Response.panellist_id == panellist.id))
    if response is None or response.status is not ResponseStatus.submitted:
        return None
    order = {c: i for i, c in enumerate(round.study.criteria or [])}
    ratings: dict[int, list] = {}
    for r in db.session.scalars(select(Rating).where(Rating.response_id == response.id)):
        ratings.setdefault(r.item_id, []).append((r.criterion, r.value, r.answer, r.reason))
    comments = dict(db.session.execute(select(ItemComment.item_id, ItemComment.text)
                                       .where(ItemComment.response_id == response.id)).all())
    items = []
    for item in db.session.scalars(select(Item).join(RoundItem, RoundItem.item_id == Item.id)
                                   .where(RoundItem.round_id == round.id)
                                   .order_by(RoundItem.position, RoundItem.id)):
        params = dict(item.params or {})
        if params.get("unit"):
            params["unit"] = item.unit_in(language)
        answers = sorted(ratings.get(item.id, []), key=lambda a: (order.get(a[0], 99), a[0]))
        items.append(ReceiptItem(item.id, item.code, item.text_in(language), item.kind or "rating",
                                 params, tuple(answers), comments.get(item.id)))
    return Receipt(response.id, response.submitted_at, tuple(items))
