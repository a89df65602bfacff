"""Comments and reasons: what the panel is fed back, and the moderator's review.

The free texts of a closed round are its counted responses' comments
(:class:`ItemComment`) and the reasons given for a rating outside the
previous round's IQR (``Rating.reason``). Both are fed back to the panel in
the next round, grouped by item (``rounds.feedback``).

When the study moderates comments (``Protocol.moderate_comments``), a text
is fed back only once a moderator has approved it (as written), edited it
(the panel sees the edit; the audit row keeps the original) or hidden it
(:func:`review_feedback`: one audit row per action). The next round cannot
open while a text of the round before is unreviewed
(:func:`check_reviewed`, called by ``rounds.open_round``). Each text is
screened for e-mail addresses, phone numbers, web addresses and the panel's
members' names (``rounds.screening``) on the moderation page.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from delphi.core import audit
from delphi.core.clock import now_or
from delphi.core.database import db
from delphi.core.errors import InvalidInput, NotFound, StateError
from delphi.core.models import (
    FeedbackReview,
    Item,
    ItemComment,
    Panellist,
    Rating,
    Response,
    ReviewSource,
    ReviewStatus,
    Round,
    RoundItem,
    RoundKind,
    RoundStatus,
    User,
)
from rounds.screening import Flag, screen_text

#: The moderator's actions and the status each one leaves.
ACTIONS = {"approve": ReviewStatus.approved, "edit": ReviewStatus.edited,
           "hide": ReviewStatus.hidden}
#: The longest edited text (a comment's own limit is the form's).
EDIT_MAX = 4000


@dataclass(frozen=True)
class FreeText:
    """One comment or reason of a closed round, with its review."""

    source: str  # "comment" or "reason"
    source_id: int
    item_id: int
    criterion: str  # the reason's criterion; "" for a comment
    original: str
    status: str | None  # None: unreviewed; else a ReviewStatus value
    shown: str | None  # what the panel is (or would be) shown; None when hidden
    flags: tuple[Flag, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.source}-{self.source_id}"


def _texts(round: Round, item_ids=None) -> list[tuple[str, int, int, str, str]]:
    """``(source, id, item_id, criterion, text)`` of the round's counted
    responses, comments then reasons, each in id order."""
    comments = (select(ItemComment.id, ItemComment.item_id, ItemComment.text)
                .join(Response, Response.id == ItemComment.response_id)
                .where(Response.round_id == round.id, Response.counted.is_(True)))
    reasons = (select(Rating.id, Rating.item_id, Rating.criterion, Rating.reason)
               .join(Response, Response.id == Rating.response_id)
               .where(Response.round_id == round.id, Response.counted.is_(True),
                      Rating.reason.is_not(None), Rating.reason != ""))
    if item_ids is not None:
        comments = comments.where(ItemComment.item_id.in_(list(item_ids)))
        reasons = reasons.where(Rating.item_id.in_(list(item_ids)))
    out = [("comment", cid, item_id, "", text)
           for cid, item_id, text in db.session.execute(comments.order_by(ItemComment.id))
           if (text or "").strip()]
    out += [("reason", rid, item_id, criterion, text)
            for rid, item_id, criterion, text in db.session.execute(reasons.order_by(Rating.id))
            if (text or "").strip()]
    return out


def _reviews(round: Round) -> dict[tuple[str, int], FeedbackReview]:
    return {(r.source.value, r.source_id): r for r in db.session.scalars(
        select(FeedbackReview).where(FeedbackReview.round_id == round.id))}


def panel_names(study) -> list[str]:
    """The registered names of the study's panellists (whatever their status)."""
    return [name for name in db.session.scalars(
        select(User.name).join(Panellist, Panellist.user_id == User.id)
        .where(Panellist.study_id == study.id)) if name]


def free_texts(round: Round, *, screen: bool = True) -> list[FreeText]:
    """Every comment and reason of the closed round ``round``, with its review
    and (``screen``) its flags. Names are never part of the result."""
    reviews = _reviews(round)
    names = panel_names(round.study) if screen else []
    out = []
    for source, sid, item_id, criterion, text in _texts(round):
        review = reviews.get((source, sid))
        status = review.status.value if review else None
        shown = None if status == "hidden" else (review.text if status == "edited" else text)
        out.append(FreeText(source, sid, item_id, criterion, text, status, shown,
                            tuple(screen_text(text, names)) if screen else ()))
    return out


def released_texts(round: Round, item_ids) -> dict[int, dict[str, list[tuple[int, str]]]]:
    """``{item_id: {"comments": [(id, text)], "reasons": [(id, text)]}}``: what
    the panel is fed back from the closed round ``round``: everything when
    the study does not moderate, else only what a moderator approved or edited
    (the edit)."""
    moderated = bool(round.study.moderate_comments)
    reviews = _reviews(round) if moderated else {}
    out: dict[int, dict[str, list[tuple[int, str]]]] = {}
    for source, sid, item_id, _criterion, text in _texts(round, item_ids):
        if moderated:
            review = reviews.get((source, sid))
            if review is None or review.status is ReviewStatus.hidden:
                continue
            if review.status is ReviewStatus.edited:
                text = review.text
        entry = out.setdefault(item_id, {"comments": [], "reasons": []})
        entry["comments" if source == "comment" else "reasons"].append((sid, text))
    return out


def unreviewed_count(round: Round) -> int:
    """How many comments and reasons of ``round`` no moderator has reviewed
    (0 when the study does not moderate)."""
    if not round.study.moderate_comments or round.status is not RoundStatus.closed:
        return 0
    reviews = _reviews(round)
    return sum(1 for source, sid, *_rest in _texts(round) if (source, sid) not in reviews)


def check_reviewed(study, before: int) -> None:
    """``StateError`` when the study moderates and the last closed rating
    round before round ``before`` has unreviewed comments or reasons."""
    if not study.moderate_comments:
        return
    source = db.session.scalar(
        select(Round).where(Round.study_id == study.id, Round.status == RoundStatus.closed,
                            Round.kind == RoundKind.rating, Round.number < before)
        .order_by(Round.number.desc()).limit(1))
    if source is None:
        return
    left = unreviewed_count(source)
    if left:
        raise StateError(ngettext(
            "Round %(number)d has %(num)d comment or reason not yet reviewed: approve, edit or "
            "hide it on the moderation page before the next round opens.",
            "Round %(number)d has %(num)d comments or reasons not yet reviewed: approve, edit "
            "or hide each one on the moderation page before the next round opens.",
            left, number=source.number))


def refresh_released(source: Round) -> None:
    """Write what is released from the closed round ``source`` into the
    feedback of the next round's items, while that round is a draft (the
    feedback snapshot was taken when ``source`` closed, before any review)."""
    target = db.session.scalar(select(Round).where(
        Round.study_id == source.study_id, Round.number == source.number + 1,
        Round.status == RoundStatus.draft))
    if target is None:
        return
    rows = [ri for ri in target.round_items
            if ri.feedback and ri.feedback.get("round_id") == source.id]
    released = released_texts(source, [ri.item_id for ri in rows])
    for ri in rows:
        texts = released.get(ri.item_id, {})
        ri.feedback = {**ri.feedback,
                       "comments": shuffled(source.id, ri.item_id, texts.get("comments", [])),
                       "reasons": shuffled(source.id, ri.item_id, texts.get("reasons", []),
                                           salt="reasons")}
    db.session.flush()


def shuffled(round_id: int, item_id: int, texts_by_id, *, salt: str = "") -> list[str]:
    """Texts in an order that is random but reproducible (seeded by round and
    item), so the order says nothing about who wrote what or when."""
    texts = [text for _id, text in sorted(texts_by_id)]
    seed = f"delphi-feedback:{round_id}:{item_id}" + (f":{salt}" if salt else "")
    random.Random(seed).shuffle(texts)
    return texts


def review_feedback(round: Round, source: str, source_id: int, *, action: str, actor,
                    text: str | None = None, now: datetime | None = None) -> FeedbackReview:
    """Approve, edit (``text``: what the panel will see) or hide one comment or
    reason of the closed round ``round``. A later action replaces an earlier
    one. Writes exactly one audit row (``feedback.approve``, ``feedback.edit``
    with the original text, or ``feedback.hide``).

    ``InvalidInput`` for an unknown action or an empty or too long edit;
    ``NotFound`` for a text not of this round; ``StateError`` when the round
    is not closed, the study does not moderate, or the next round is already
    open."""
    now = now_or(now)
    if action not in ACTIONS:
        raise InvalidInput(_("Please correct the marked fields."),
                           fields={"action": _("Choose approve, edit or hide.")})
    if source not in ("comment", "reason"):
        raise NotFound(_("No such comment or reason in this round."))
    study = round.study
    if not study.moderate_comments:
        raise StateError(_("This study does not moderate comments."))
    if round.status is not RoundStatus.closed:
        raise StateError(_("Comments can be reviewed once their round has closed."))
    later = db.session.scalar(select(Round.number).where(
        Round.study_id == study.id, Round.number > round.number,
        Round.status != RoundStatus.draft).limit(1))
    if later is not None:
        raise StateError(_("Round %(n)d has opened: its feedback can no longer change.", n=later))
    found = {(s, sid): (item_id, original) for s, sid, item_id, _c, original in _texts(round)}
    try:
        sid = int(source_id)
    except (TypeError, ValueError):
        raise NotFound(_("No such comment or reason in this round.")) from None
    if (source, sid) not in found:
        raise NotFound(_("No such comment or reason in this round."))
    item_id, original = found[(source, sid)]
    edited = None
    if action == "edit":
        edited = " ".join((text or "").split()) if "\n" not in (text or "") else (text or "").strip()
        if not edited:
            raise InvalidInput(_("Please correct the marked fields."),
                               fields={"text": _("Write the text the panel will see, or hide it.")})
        if len(edited) > EDIT_MAX:
            raise InvalidInput(_("Please correct the marked fields."),
                               fields={"text": _("At most %(n)d characters.", n=EDIT_MAX)})
    review = db.session.scalar(select(FeedbackReview).where(
        FeedbackReview.source == ReviewSource(source), FeedbackReview.source_id == sid))
    before = review.status.value if review else None
    if review is None:
        review = FeedbackReview(round_id=round.id, item_id=item_id, source=ReviewSource(source),
                                source_id=sid)
        db.session.add(review)
    review.status = ACTIONS[action]
    review.text = edited
    review.reviewed_by = getattr(actor, "id", None)
    review.reviewed_at = now
    db.session.flush()
    details = {"study_id": study.id, "round": round.number, "item_id": item_id,
               "source": source, "source_id": sid, "before": before}
    if action == "edit":
        details["original_text"] = original
        details["edited_text"] = edited
    audit.record(actor, f"feedback.{action}", review, details=details, now=now)
    refresh_released(round)
    return review


def items_of(round: Round) -> dict[int, Item]:
    """The round's items by id (for the moderation page's headings)."""
    return {item.id: item for item in db.session.scalars(
        select(Item).join(RoundItem, RoundItem.item_id == Item.id)
        .where(RoundItem.round_id == round.id).order_by(RoundItem.position))}
