"""The questionnaires: a round as one panellist sees it (the read side of answering).

The page and the API both show :func:`questionnaire`; whether the answers
shown are the ones that count comes from :func:`rounds.answering.state_of`,
the one home of that rule.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from delphi.core.database import db
from delphi.core.errors import Forbidden, StateError
from delphi.core.models import (
    Item,
    ItemComment,
    Panellist,
    Proposal,
    Rating,
    Response,
    ResponseStatus,
    Round,
    RoundItem,
    RoundStatus,
)
from delphi.core.text import repaired
from rounds.answering import (
    _outside_iqr,
    draft_key,
    item_criteria,
    reasons_asked,
    state_of,
)
from rounds.kinds import NO_CRITERION, option_text
from rounds.studies import scale_labels_in


@dataclass(frozen=True)
class QuestionnaireItem:
    """An item as a panellist sees it.

    ``feedback`` is None in round 1, else ``{"round", "criteria": {c: {n, median,
    q1, q3, iqr, counts, agreement, own_previous}}, "comments": [...]}`` where
    the values the study does not show are None (``counts`` when
    ``show_distribution`` is off; ``median``/``q1``/``q3``/``iqr`` when
    ``show_median_iqr`` is off) and ``comments`` is ``[]`` when
    ``show_comments`` is off (so is ``reasons``, the outside-IQR reasons fed
    back like comments); ``own_previous`` is this panellist's own
    submitted value in that round (None: cannot rate or not answered).
    ``answers``: ``{criterion: {"value", "reason"}}`` from the draft (missing
    criterion: not answered yet), and once the round is closed the answers
    that counted (when submitted); ``submitted``: the counted values.
    """

    item_id: int
    code: str
    text: str
    background: str
    target: str | None
    position: int
    feedback: dict | None
    answers: dict[str, dict]
    comment: str
    submitted: dict[str, int | None]
    reason_required: dict[str, bool]
    #: The question kind (``rounds.kinds``) and its parameters; a ranking's
    #: ``options`` with their texts in the reader's language (``[{id, text}]``).
    #: For a kind other than ``rating``, ``answers``, ``submitted`` and
    #: ``reason_required`` are keyed by ``""`` (no criterion), and ``feedback``
    #: is ``{"round", "kind", <the kind's figures>, "own_previous", "comments"}``.
    kind: str = "rating"
    params: dict | None = None
    options: list[dict] | None = None
    #: The item's number in the round (1 to the number of items) and whether
    #: the draft answers it on every criterion (:func:`is_answered`).
    number: int = 0
    answered: bool = False


@dataclass(frozen=True)
class Progress:
    """How far a panellist is through a round: ``answered`` of ``total`` items,
    and the ids of the ``unanswered`` ones in the round's order."""

    answered: int
    total: int
    unanswered: tuple[int, ...]


def is_answered(draft_ratings: dict, item_id: int, kind: str | None, criteria) -> bool:
    """Whether a draft answers an item: a value (or "cannot rate" / "cannot
    answer") on every criterion of a rating item, the one answer of another kind.
    A missing outside-IQR reason does not make it unanswered (the error says so)."""
    return all(draft_key(item_id, c) in draft_ratings for c in item_criteria(kind, criteria))


def answer_progress(round: Round, panellist: Panellist) -> Progress:
    """The :class:`Progress` of ``panellist``'s draft in ``round`` (the autosave's figure)."""
    rows = db.session.execute(
        select(RoundItem.item_id, Item.kind).join(Item, Item.id == RoundItem.item_id)
        .where(RoundItem.round_id == round.id).order_by(RoundItem.position, RoundItem.id)).all()
    draft = db.session.scalar(select(Response.draft).where(
        Response.round_id == round.id, Response.panellist_id == panellist.id)) or {}
    ratings = (repaired(draft) or {}).get("ratings") or {}
    criteria = list(round.study.criteria or [])
    open_ids = tuple(i for i, kind in rows if not is_answered(ratings, i, kind, criteria))
    return Progress(answered=len(rows) - len(open_ids), total=len(rows), unanswered=open_ids)


@dataclass(frozen=True)
class Questionnaire:
    """Everything a panellist's page or API answer shows for one round. Holds
    the panellist's own pseudonym only, never anybody's identity.

    ``response_status`` (None, ``"draft"``, ``"submitted"``), ``submitted_at``,
    ``has_unsubmitted_changes``, ``missing`` and ``status_message`` are the
    response's :class:`rounds.answering.AnswerState`: whether the answers
    shown are the ones that count and, when not, why (``status_message``, in
    the reader's language) and what is missing (``missing``, keyed
    ``"<item_id>:<criterion>.value|reason"``).
    """

    study_id: int
    study_title: str
    round_id: int
    number: int
    kind: str
    status: str
    closes_at: datetime | None
    scale_points: int
    scale_labels: list[str]
    criteria: list[str]
    require_reason_outside_iqr: bool
    pseudonym: str
    response_status: str | None
    submitted_at: datetime | None
    has_unsubmitted_changes: bool
    items: list[QuestionnaireItem]
    proposals: list[str]
    missing: dict[str, str]
    status_message: str | None

    @property
    def progress(self) -> Progress:
        """How many items the answers shown answer (:func:`is_answered`)."""
        unanswered = tuple(i.item_id for i in self.items if not i.answered)
        return Progress(answered=len(self.items) - len(unanswered), total=len(self.items),
                        unanswered=unanswered)


def _filtered_feedback(study, feedback: dict | None, own: dict[str, int | None]) -> dict | None:
    if not feedback:
        return None
    if feedback.get("kind"):
        figures = dict(feedback.get("figures") or {})
        if not study.show_median_iqr:
            for name in ("median", "q1", "q3", "iqr", "aggregate"):
                if name in figures:
                    figures[name] = None
        if not study.show_distribution:
            for name in ("values", "options"):
                if name in figures:
                    figures[name] = None
        return {"round": feedback.get("round"), "kind": feedback["kind"], **figures,
                "own_previous": own.get(NO_CRITERION),
                "comments": list(feedback.get("comments") or []) if study.show_comments else [],
            "reasons": list(feedback.get("reasons") or []) if study.show_comments else []}
    criteria = {}
    for criterion, stats in (feedback.get("criteria") or {}).items():
        entry = dict(stats)
        if not study.show_median_iqr:
            for name in ("median", "q1", "q3", "iqr"):
                entry[name] = None
        if not study.show_distribution:
            entry["counts"] = None
        if not study.show_median_iqr:
            entry.pop("strata", None)  # the groups' figures are medians and IQRs
        entry["own_previous"] = own.get(criterion)
        criteria[criterion] = entry
    return {"round": feedback.get("round"), "criteria": criteria,
            "comments": list(feedback.get("comments") or []) if study.show_comments else [],
            "reasons": list(feedback.get("reasons") or []) if study.show_comments else []}


def _own_previous(rows, panellist: Panellist) -> dict[tuple[int, int, str], int | None]:
    """The panellist's own answers in the rounds the feedback comes from."""
    source_ids = {fb.get("round_id") for _i, _p, fb, _item in rows if fb and fb.get("round_id")}
    if not source_ids:
        return {}
    return {(round_id, item_id, criterion): value if criterion != NO_CRITERION else answer
            for round_id, item_id, criterion, value, answer in db.session.execute(
                select(Response.round_id, Rating.item_id, Rating.criterion, Rating.value,
                       Rating.answer)
                .join(Rating, Rating.response_id == Response.id)
                .where(Response.round_id.in_(source_ids), Response.panellist_id == panellist.id,
                       Response.status == ResponseStatus.submitted))}


def _localised(item, language: str) -> dict:
    """The item's parameters as the reader sees them: an estimate's unit translated."""
    params = dict(item.params or {})
    if params.get("unit"):
        params["unit"] = item.unit_in(language)
    return params


def questionnaire(round: Round, panellist: Panellist, *, language: str = "en") -> Questionnaire:
    """The round as ``panellist`` sees it (see :class:`Questionnaire`)."""
    _check_panellist_membership(round, panellist)
    study = round.study
    criteria = list(study.criteria)
    require_reason = reasons_asked(study)
    rows = db.session.execute(
        select(RoundItem.item_id, RoundItem.position, RoundItem.feedback, Item)
        .join(Item, Item.id == RoundItem.item_id)
        .where(RoundItem.round_id == round.id).order_by(RoundItem.position, RoundItem.id)).all()
    response = db.session.scalar(select(Response).where(
        Response.round_id == round.id, Response.panellist_id == panellist.id))
    draft = repaired(response.draft or {}) if response is not None else {}
    counted_ratings: dict[tuple[int, str], tuple[int | None, str | None]] = {}
    counted_comments: dict[int, str] = {}
    if response is not None and response.status is ResponseStatus.submitted:
        counted_ratings = {(i, c): (v, a, r) for i, c, v, a, r in db.session.execute(
            select(Rating.item_id, Rating.criterion, Rating.value, Rating.answer, Rating.reason)
            .where(Rating.response_id == response.id))}
        counted_comments = dict(db.session.execute(
            select(ItemComment.item_id, ItemComment.text)
            .where(ItemComment.response_id == response.id)).all())
    is_open = round.status is RoundStatus.open
    state = state_of(response, [(i, fb, item.kind, item.params) for i, _p, fb, item in rows],
                     criteria, require_reason,
                     open=is_open, counted=(counted_ratings, counted_comments))
    own = _own_previous(rows, panellist)
    draft_ratings = draft.get("ratings") or {}
    draft_comments = draft.get("comments") or {}
    if not is_open and state.status == "submitted":  # closed: show what counted
        draft_ratings = {draft_key(i, c): {"value": v if c != NO_CRITERION else a,
                                           **({"reason": r} if r else {})}
                         for (i, c), (v, a, r) in counted_ratings.items()}
        draft_comments = {str(i): t for i, t in counted_comments.items()}
    items = []
    option_items = _option_items(rows)
    for number, (item_id, position, feedback, item) in enumerate(rows, start=1):
        keys = item_criteria(item.kind, criteria)
        answers = {c: dict(draft_ratings[draft_key(item_id, c)]) for c in keys
                   if draft_key(item_id, c) in draft_ratings}
        own_here = {c: own.get(((feedback or {}).get("round_id"), item_id, c)) for c in keys}
        items.append(QuestionnaireItem(
            item_id=item_id, code=item.code, text=item.text_in(language),
            background=item.background_in(language), target=item.target, position=position,
            feedback=_filtered_feedback(study, feedback, own_here), answers=answers,
            comment=draft_comments.get(str(item_id), ""),
            submitted={c: counted_ratings[(item_id, c)][0 if c != NO_CRITERION else 1]
                       for c in keys if (item_id, c) in counted_ratings},
            reason_required={c: require_reason
                             and _outside_iqr(answers.get(c, {}).get("value"), feedback, c,
                                              item.kind, item.params)
                             for c in keys},
            kind=item.kind or "rating", params=_localised(item, language),
            options=([{"id": o["id"], "text": option_text(o, language, option_items)}
                      for o in item.params.get("options") or []]
                     if item.kind == "ranking" else None),
            number=number, answered=is_answered(draft_ratings, item_id, item.kind, criteria),
        ))
    proposals = list(db.session.scalars(select(Proposal.text).where(
        Proposal.round_id == round.id, Proposal.panellist_id == panellist.id).order_by(Proposal.id)))
    return Questionnaire(
        study_id=study.id, study_title=study.title, round_id=round.id, number=round.number,
        kind=round.kind.value, status=round.status.value, closes_at=round.closes_at,
        scale_points=study.scale_points, scale_labels=scale_labels_in(study, language),
        criteria=criteria, require_reason_outside_iqr=require_reason,
        pseudonym=panellist.pseudonym,
        response_status=state.status, submitted_at=state.submitted_at,
        has_unsubmitted_changes=state.has_unsubmitted_changes, items=items, proposals=proposals,
        missing=state.missing, status_message=state.message,
    )


def _option_items(rows) -> dict[int, Item]:
    """The items that ranking options of these rows name (their texts are the options')."""
    ids = {o["item"] for _i, _p, _f, item in rows if item.kind == "ranking"
           for o in (item.params or {}).get("options") or [] if "item" in o}
    if not ids:
        return {}
    return {i.id: i for i in db.session.scalars(select(Item).where(Item.id.in_(ids)))}


def _check_panellist_membership(round: Round, panellist: Panellist) -> None:
    if panellist.study_id != round.study_id:
        raise Forbidden(_("You are not on the panel of this study."))
    if round.status is RoundStatus.draft:
        raise StateError(_("This round has not opened yet."))
