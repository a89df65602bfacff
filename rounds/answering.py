"""Answering a round: autosaved drafts, idempotent submission, the questionnaire."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from delphi.core.clock import now_or
from delphi.core.database import db
from delphi.core.errors import Forbidden, InvalidInput, StateError
from delphi.core.models import (
    Item,
    ItemComment,
    Panellist,
    PanellistStatus,
    Proposal,
    Rating,
    Response,
    ResponseStatus,
    Round,
    RoundItem,
    RoundKind,
    RoundStatus,
)
from rounds import signals
from rounds.lifecycle import _lock_round
from rounds.studies import scale_labels_in

MAX_COMMENT = 4000
MAX_REASON = 2000
MAX_PROPOSAL = 2000
MAX_PROPOSALS = 20


@dataclass(frozen=True)
class RatingInput:
    """One answer: ``value`` an integer on the scale, or None for "cannot rate"."""

    item_id: int
    criterion: str
    value: int | None
    reason: str | None = None


@dataclass(frozen=True)
class AnswerSet:
    """Answers to merge into a panellist's draft. ``comments``: ``{item_id: text}``
    (an empty text removes the comment)."""

    ratings: list[RatingInput] = field(default_factory=list)
    comments: dict[int, str] = field(default_factory=dict)


class IncompleteSubmission(InvalidInput):
    """A submission with answers or reasons missing. The draft (with the answers
    just given) has been merged and flushed before this is raised: the unit of
    work of the request commits it (``keep_changes`` is True), so the answers
    given are never lost."""

    keep_changes = True


def draft_key(item_id: int, criterion: str) -> str:
    """The key of an answer in ``Response.draft["ratings"]`` and of completeness /
    reason errors in ``InvalidInput.fields`` (``"<item_id>:<criterion>.value"``)."""
    return f"{int(item_id)}:{criterion}"


def _round_items(round: Round) -> list[tuple[int, dict | None]]:
    return db.session.execute(
        select(RoundItem.item_id, RoundItem.feedback).where(RoundItem.round_id == round.id)
        .order_by(RoundItem.position, RoundItem.id)).all()


def _check_open(round: Round, now: datetime) -> None:
    if round.status is not RoundStatus.open:
        raise StateError(_("Round %(n)d is not open: your answers cannot be saved.", n=round.number))
    if round.closes_at is not None and round.closes_at <= now:
        raise StateError(_("The deadline of round %(n)d has passed: your answers cannot be saved.",
                           n=round.number))


def _check_panellist(round: Round, panellist: Panellist) -> None:
    if panellist.study_id != round.study_id:
        raise Forbidden(_("You are not on the panel of this study."))
    if panellist.status is not PanellistStatus.active:
        raise Forbidden(_("You have withdrawn from this study."))


def _validate(answers: AnswerSet, item_ids: set[int], criteria: list[str], points: int) -> None:
    errors: dict[str, str] = {}
    for i, r in enumerate(answers.ratings):
        prefix = f"ratings[{i}]"
        if isinstance(r.item_id, bool) or not isinstance(r.item_id, int) or r.item_id not in item_ids:
            errors[f"{prefix}.item"] = _("This item is not in this round.")
        if r.criterion not in criteria:
            errors[f"{prefix}.criterion"] = _("Unknown criterion; this study uses: %(c)s.",
                                              c=", ".join(criteria))
        if r.value is not None and (isinstance(r.value, bool) or not isinstance(r.value, int)
                                    or not 1 <= r.value <= points):
            errors[f"{prefix}.value"] = _("Choose a whole number from 1 to %(n)d, or \"cannot rate\".",
                                          n=points)
        if r.reason is not None and (not isinstance(r.reason, str) or len(r.reason) > MAX_REASON):
            errors[f"{prefix}.reason"] = _("Use at most %(n)d characters.", n=MAX_REASON)
    for item_id, text in (answers.comments or {}).items():
        if isinstance(item_id, bool) or not isinstance(item_id, int) or item_id not in item_ids:
            errors[f"comments[{item_id}]"] = _("This item is not in this round.")
        elif text is not None and (not isinstance(text, str) or len(text) > MAX_COMMENT):
            errors[f"comments[{item_id}]"] = _("Use at most %(n)d characters.", n=MAX_COMMENT)
    if errors:
        raise InvalidInput(_("Please correct the marked fields."), fields=errors)


def _get_response(round: Round, panellist: Panellist, now: datetime) -> Response:
    """The panellist's response to the round, created if need be (robust to two
    concurrent first saves: the loser of the unique-constraint race re-reads)."""
    query = (select(Response).where(Response.round_id == round.id,
                                    Response.panellist_id == panellist.id)
             .with_for_update().execution_options(populate_existing=True))
    response = db.session.execute(query).scalar_one_or_none()
    if response is not None:
        return response
    try:
        with db.session.begin_nested():
            response = Response(round_id=round.id, panellist_id=panellist.id,
                                status=ResponseStatus.draft, draft={"ratings": {}, "comments": {}},
                                started_at=now, updated_at=now)
            db.session.add(response)
            db.session.flush()
    except IntegrityError:
        response = db.session.execute(query).scalar_one()
    return response


def _outside_iqr(value: int | None, feedback: dict | None, criterion: str) -> bool:
    if value is None or not feedback:
        return False
    stats = (feedback.get("criteria") or {}).get(criterion) or {}
    q1, q3 = stats.get("q1"), stats.get("q3")
    if q1 is None or q3 is None:
        return False
    return value < q1 or value > q3


def save_answers(round: Round, panellist: Panellist, answers: AnswerSet, *, submit: bool,
                 submit_key: str | None = None, now=None) -> Response:
    """Merge ``answers`` into the panellist's draft; with ``submit=True`` also make
    the draft count (``Rating`` / ``ItemComment`` rows).

    The round row is re-read under a shared lock (PostgreSQL ``FOR SHARE``;
    SQLite: the ``BEGIN IMMEDIATE`` transaction) and must be open (else
    ``StateError``). Errors: ``InvalidInput`` with ``fields`` such as
    ``ratings[3].value`` (position in ``answers.ratings``) for bad input, and
    ``"<item_id>:<criterion>.value"`` / ``.reason`` for a missing answer or a
    missing outside-IQR reason at submission (then :class:`IncompleteSubmission`,
    raised after the merged draft is flushed: commit before reporting it to keep
    the draft); ``Forbidden`` for someone not
    (or no longer) on the panel. Submitting is idempotent: the same answers (or
    the same ``submit_key``) give one response and unchanged rows. Nothing is
    written when another error is raised. Sends ``response_submitted`` on submit.
    """
    now = now_or(now)
    round = _lock_round(round, share=True)
    _check_open(round, now)
    _check_panellist(round, panellist)
    if round.kind is not RoundKind.rating:
        raise StateError(_("This round collects proposals, not ratings."))
    study = round.study
    criteria = list(study.criteria)
    items = _round_items(round)
    item_ids = [i for i, _f in items]
    _validate(answers, set(item_ids), criteria, study.scale_points)

    response = _get_response(round, panellist, now)
    if submit and submit_key and response.submit_key == submit_key \
            and response.status is ResponseStatus.submitted:
        return response  # a replayed submission: already counted

    draft = {"ratings": dict((response.draft or {}).get("ratings") or {}),
             "comments": dict((response.draft or {}).get("comments") or {})}
    for r in answers.ratings:
        entry = {"value": r.value}
        reason = (r.reason or "").strip()
        old = draft["ratings"].get(draft_key(r.item_id, r.criterion)) or {}
        if reason:
            entry["reason"] = reason
        elif r.reason is None and old.get("reason"):
            entry["reason"] = old["reason"]  # keep a reason given earlier
        draft["ratings"][draft_key(r.item_id, r.criterion)] = entry
    for item_id, text in (answers.comments or {}).items():
        text = (text or "").strip()
        if text:
            draft["comments"][str(item_id)] = text
        else:
            draft["comments"].pop(str(item_id), None)

    if submit:
        errors: dict[str, str] = {}
        require_reason = study.require_reason_outside_iqr
        for item_id, feedback in items:
            for criterion in criteria:
                key = draft_key(item_id, criterion)
                entry = draft["ratings"].get(key)
                if entry is None:
                    errors[f"{key}.value"] = _("Rate this item, or answer \"cannot rate\".")
                elif require_reason and _outside_iqr(entry.get("value"), feedback, criterion) \
                        and not (entry.get("reason") or "").strip():
                    errors[f"{key}.reason"] = _(
                        "Your rating lies outside the group's interquartile range: please give a reason.")
        if errors:
            # Keep the draft: the answers given so far are never lost.
            response.draft = draft
            response.updated_at = now
            db.session.flush()
            raise IncompleteSubmission(_("Please complete your answers before submitting."),
                                       fields=errors)

    response.draft = draft
    response.updated_at = now
    if submit:
        _write_counted(response, draft, items, criteria)
        response.status = ResponseStatus.submitted
        response.submitted_at = now
        response.submit_key = submit_key
    db.session.flush()
    if submit:
        signals.response_submitted.send(response)
    return response


def _write_counted(response: Response, draft: dict, items, criteria) -> None:
    """Replace the response's Rating / ItemComment rows by the draft's, unless
    they are equal already (idempotent: a resubmission keeps the same rows)."""
    wanted_ratings = {}
    for item_id, _f in items:
        for criterion in criteria:
            entry = draft["ratings"][draft_key(item_id, criterion)]
            wanted_ratings[(item_id, criterion)] = (entry.get("value"), entry.get("reason") or None)
    item_set = {i for i, _f in items}
    wanted_comments = {int(k): v for k, v in draft["comments"].items() if int(k) in item_set}
    have_ratings = {(i, c): (v, r) for i, c, v, r in db.session.execute(
        select(Rating.item_id, Rating.criterion, Rating.value, Rating.reason)
        .where(Rating.response_id == response.id))}
    have_comments = dict(db.session.execute(
        select(ItemComment.item_id, ItemComment.text).where(ItemComment.response_id == response.id)).all())
    if have_ratings != wanted_ratings:
        db.session.execute(delete(Rating).where(Rating.response_id == response.id))
        db.session.execute(insert(Rating), [
            {"response_id": response.id, "item_id": i, "criterion": c, "value": v, "reason": r}
            for (i, c), (v, r) in wanted_ratings.items()])
    if have_comments != wanted_comments:
        db.session.execute(delete(ItemComment).where(ItemComment.response_id == response.id))
        if wanted_comments:
            db.session.execute(insert(ItemComment), [
                {"response_id": response.id, "item_id": i, "text": t} for i, t in wanted_comments.items()])
    db.session.expire(response, ["ratings", "comments"])


# --- the questionnaire ---------------------------------------------------------

@dataclass(frozen=True)
class QuestionnaireItem:
    """An item as a panellist sees it.

    ``feedback`` is None in round 1, else ``{"round", "criteria": {c: {n, median,
    q1, q3, iqr, counts, agreement, own_previous}}, "comments": [...]}`` where
    the values the study does not show are None (``counts`` when
    ``show_distribution`` is off; ``median``/``q1``/``q3``/``iqr`` when
    ``show_median_iqr`` is off) and ``comments`` is ``[]`` when
    ``show_comments`` is off; ``own_previous`` is this panellist's own
    submitted value in that round (None: cannot rate or not answered).
    ``answers``: ``{criterion: {"value", "reason"}}`` from the draft (missing
    criterion: not answered yet); ``submitted``: the counted values.
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


@dataclass(frozen=True)
class Questionnaire:
    """Everything a panellist's page or API answer shows for one round. Holds
    the panellist's own pseudonym only, never anybody's identity."""

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


def _filtered_feedback(study, feedback: dict | None, own: dict[str, int | None]) -> dict | None:
    if not feedback:
        return None
    criteria = {}
    for criterion, stats in (feedback.get("criteria") or {}).items():
        entry = dict(stats)
        if not study.show_median_iqr:
            for name in ("median", "q1", "q3", "iqr"):
                entry[name] = None
        if not study.show_distribution:
            entry["counts"] = None
        entry["own_previous"] = own.get(criterion)
        criteria[criterion] = entry
    return {"round": feedback.get("round"), "criteria": criteria,
            "comments": list(feedback.get("comments") or []) if study.show_comments else []}


def questionnaire(round: Round, panellist: Panellist, *, language: str = "en") -> Questionnaire:
    """The round as ``panellist`` sees it (see :class:`Questionnaire`)."""
    _check_panellist_membership(round, panellist)
    study = round.study
    criteria = list(study.criteria)
    rows = db.session.execute(
        select(RoundItem.item_id, RoundItem.position, RoundItem.feedback, Item)
        .join(Item, Item.id == RoundItem.item_id)
        .where(RoundItem.round_id == round.id).order_by(RoundItem.position, RoundItem.id)).all()
    response = db.session.scalar(select(Response).where(
        Response.round_id == round.id, Response.panellist_id == panellist.id))
    draft = (response.draft or {}) if response is not None else {}
    submitted: dict[tuple[int, str], int | None] = {}
    submitted_comments: dict[int, str] = {}
    if response is not None and response.status is ResponseStatus.submitted:
        submitted = {(i, c): v for i, c, v in db.session.execute(
            select(Rating.item_id, Rating.criterion, Rating.value).where(Rating.response_id == response.id))}
        submitted_comments = dict(db.session.execute(
            select(ItemComment.item_id, ItemComment.text).where(ItemComment.response_id == response.id)).all())
    # The panellist's own answers in the rounds the feedback comes from.
    source_ids = {fb.get("round_id") for _i, _p, fb, _item in rows if fb and fb.get("round_id")}
    own: dict[tuple[int, int, str], int | None] = {}
    if source_ids:
        for round_id, item_id, criterion, value in db.session.execute(
            select(Response.round_id, Rating.item_id, Rating.criterion, Rating.value)
            .join(Rating, Rating.response_id == Response.id)
            .where(Response.round_id.in_(source_ids), Response.panellist_id == panellist.id,
                   Response.status == ResponseStatus.submitted)):
            own[(round_id, item_id, criterion)] = value
    items = []
    dirty = False
    draft_ratings = draft.get("ratings") or {}
    draft_comments = draft.get("comments") or {}
    for item_id, position, feedback, item in rows:
        answers = {c: dict(draft_ratings[draft_key(item_id, c)]) for c in criteria
                   if draft_key(item_id, c) in draft_ratings}
        own_here = {c: own.get(((feedback or {}).get("round_id"), item_id, c)) for c in criteria}
        counted = {c: submitted[(item_id, c)] for c in criteria if (item_id, c) in submitted}
        if response is not None and response.status is ResponseStatus.submitted:
            if {c: a.get("value") for c, a in answers.items()} != counted or \
                    (draft_comments.get(str(item_id)) or "") != submitted_comments.get(item_id, ""):
                dirty = True
        items.append(QuestionnaireItem(
            item_id=item_id, code=item.code, text=item.text_in(language),
            background=item.background_in(language), target=item.target, position=position,
            feedback=_filtered_feedback(study, feedback, own_here), answers=answers,
            comment=draft_comments.get(str(item_id), ""), submitted=counted,
            reason_required={c: bool(study.require_reason_outside_iqr)
                             and _outside_iqr(answers.get(c, {}).get("value"), feedback, c)
                             for c in criteria},
        ))
    proposals = list(db.session.scalars(select(Proposal.text).where(
        Proposal.round_id == round.id, Proposal.panellist_id == panellist.id).order_by(Proposal.id)))
    return Questionnaire(
        study_id=study.id, study_title=study.title, round_id=round.id, number=round.number,
        kind=round.kind.value, status=round.status.value, closes_at=round.closes_at,
        scale_points=study.scale_points, scale_labels=scale_labels_in(study, language),
        criteria=criteria,
        require_reason_outside_iqr=bool(study.require_reason_outside_iqr),
        pseudonym=panellist.pseudonym,
        response_status=response.status.value if response is not None else None,
        submitted_at=response.submitted_at if response is not None else None,
        has_unsubmitted_changes=dirty, items=items, proposals=proposals,
    )


def _check_panellist_membership(round: Round, panellist: Panellist) -> None:
    if panellist.study_id != round.study_id:
        raise Forbidden(_("You are not on the panel of this study."))
    if round.status is RoundStatus.draft:
        raise StateError(_("This round has not opened yet."))


def submit_proposals(round: Round, panellist: Panellist, texts: list[str], *, now=None) -> list[Proposal]:
    """Record a panellist's free-text proposals in an open-ended round (replacing
    their earlier ones, so resubmitting is idempotent)."""
    now = now_or(now)
    round = _lock_round(round, share=True)
    _check_open(round, now)
    _check_panellist(round, panellist)
    if round.kind is not RoundKind.open_ended:
        raise StateError(_("This round asks for ratings, not proposals."))
    cleaned = [" ".join(str(t or "").split()) for t in texts or ()]
    cleaned = [t for t in cleaned if t]
    errors = {f"texts[{i}]": _("Use at most %(n)d characters.", n=MAX_PROPOSAL)
              for i, t in enumerate(cleaned) if len(t) > MAX_PROPOSAL}
    if len(cleaned) > MAX_PROPOSALS:
        errors["texts"] = _("Give at most %(n)d proposals.", n=MAX_PROPOSALS)
    if not cleaned:
        errors["texts"] = _("Write at least one proposal.")
    if errors:
        raise InvalidInput(_("Please correct the marked fields."), fields=errors)
    db.session.execute(delete(Proposal).where(Proposal.round_id == round.id,
                                              Proposal.panellist_id == panellist.id))
    proposals = [Proposal(round_id=round.id, panellist_id=panellist.id, text=t, created_at=now)
                 for t in cleaned]
    db.session.add_all(proposals)
    db.session.flush()
    return proposals
