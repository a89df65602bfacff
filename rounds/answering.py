"""Answering a round: autosaved drafts, idempotent submission, amendments, proposals.

The rule of amendments lives here once (:func:`save_answers`,
:func:`answer_state`): once submitted, a response's counted answers follow
every later save whenever they can count, and when they cannot, the state
says so. The read side (what the page and the API show) is
:mod:`rounds.questionnaires`."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import delete, insert, select, update
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
from delphi.core.text import repaired, text_problem
from rounds import signals
from rounds.consent import require_consent
from rounds.kinds import NO_CRITERION, AnswerError, kind_of
from rounds.lifecycle import _lock_round

MAX_COMMENT = 4000
MAX_REASON = 2000
MAX_PROPOSAL = 2000
MAX_PROPOSALS = 20


@dataclass(frozen=True)
class RatingInput:
    """One answer: for a rating item, ``value`` an integer on the scale of
    ``criterion``, or None for "cannot rate"; for an item of another question
    kind, ``criterion`` None (or ``""``) and ``value`` shaped by the kind
    (``rounds.kinds``: a number, ``{"p10", "p50", "p90"}``, a year or
    ``"later"``, option ids best first), or None for "cannot answer"."""

    item_id: int
    criterion: str | None
    value: object
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


def _round_items(round: Round) -> list[tuple[int, dict | None, str, dict]]:
    """The round's items in order: ``(item_id, feedback, kind, params)``."""
    return [tuple(row) for row in db.session.execute(
        select(RoundItem.item_id, RoundItem.feedback, Item.kind, Item.params)
        .join(Item, Item.id == RoundItem.item_id).where(RoundItem.round_id == round.id)
        .order_by(RoundItem.position, RoundItem.id))]


def item_criteria(kind: str, criteria) -> list[str]:
    """The criteria an item is answered on: the study's for a rating, else ``""``."""
    return list(criteria) if kind == "rating" else [NO_CRITERION]


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
    require_consent(panellist)


def _validate(answers: AnswerSet, items: dict[int, tuple], criteria: list[str],
              points: int) -> list[RatingInput]:
    """The answers checked, each item by its kind (``rounds.kinds``), as they are
    kept (``InvalidInput`` naming every wrong field, e.g. ``ratings[3].value``)."""
    errors: dict[str, str] = {}
    checked: list[RatingInput] = []
    for i, r in enumerate(answers.ratings):
        prefix = f"ratings[{i}]"
        if isinstance(r.item_id, bool) or not isinstance(r.item_id, int) or r.item_id not in items:
            errors[f"{prefix}.item"] = _("This item is not in this round.")
            continue
        kind, params = items[r.item_id]
        if r.reason is not None and (not isinstance(r.reason, str) or len(r.reason) > MAX_REASON):
            errors[f"{prefix}.reason"] = _("Use at most %(n)d characters.", n=MAX_REASON)
        elif isinstance(r.reason, str) and text_problem(r.reason):
            errors[f"{prefix}.reason"] = text_problem(r.reason)
        if kind != "rating":
            if r.criterion not in (None, NO_CRITERION):
                errors[f"{prefix}.criterion"] = _("This question has no criterion: leave it out.")
                continue
            try:
                value = kind_of(kind).check_answer(params, r.value)
            except AnswerError as error:
                name = f"{prefix}.value" + (f".{error.part}" if error.part is not None else "")
                errors[name] = error.message
                continue
            checked.append(RatingInput(r.item_id, NO_CRITERION, value, r.reason))
            continue
        if r.criterion not in criteria:
            errors[f"{prefix}.criterion"] = _("Unknown criterion; this study uses: %(c)s.",
                                              c=", ".join(criteria))
        if r.value is not None and (isinstance(r.value, bool) or not isinstance(r.value, int)
                                    or not 1 <= r.value <= points):
            errors[f"{prefix}.value"] = _("Choose a whole number from 1 to %(n)d, or \"cannot rate\".",
                                          n=points)
        checked.append(r)
    if errors:
        raise InvalidInput(_("Please correct the marked fields."), fields=errors)
    return checked


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


def reasons_asked(study) -> bool:
    """Whether the study asks a reason for an answer outside the interquartile
    range fed back: only when it asks for one and shows the panel the range
    (``show_median_iqr``); a panellist is never asked to explain a position
    against a range they cannot see."""
    return bool(study.require_reason_outside_iqr and study.show_median_iqr)


def _outside_iqr(value, feedback: dict | None, criterion: str, kind: str = "rating",
                 params: dict | None = None) -> bool:
    """Whether an answer lies outside the interquartile range fed back to it."""
    if value is None or not feedback:
        return False
    if kind != "rating":
        return kind_of(kind).outside(value, feedback.get("figures"), params or {})
    stats = (feedback.get("criteria") or {}).get(criterion) or {}
    q1, q3 = stats.get("q1"), stats.get("q3")
    if q1 is None or q3 is None:
        return False
    return value < q1 or value > q3


def save_answers(round: Round, panellist: Panellist, answers: AnswerSet, *, submit: bool,
                 submit_key: str | None = None, now=None) -> Response:
    """Merge ``answers`` into the panellist's draft; with ``submit=True`` also make
    the draft count (``Rating`` / ``ItemComment`` rows).

    **What a panellist sees is what counts.** Once the response is submitted,
    every later save (``submit=False``: the autosave, the Save button, the API's
    PUT without ``submit``) re-submits it when the merged answers are complete
    and valid: the counted rows follow the draft (unchanged answers keep their
    rows) and ``submitted_at`` moves on when they changed. When the merged
    answers cannot count (an outside-IQR reason the study requires is missing),
    the change stays a draft, the counted answers stay as they were, and
    :func:`answer_state` says so (``has_unsubmitted_changes``, ``missing``,
    ``message``). Only ``submit=True`` raises for what is missing.

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
    written when another error is raised. Sends ``response_submitted`` when the
    response is first submitted, not for an amendment (one thank-you).
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
    answers = AnswerSet(_validate(answers, {i: (kind, params) for i, _f, kind, params in items},
                                  criteria, study.scale_points), answers.comments)
    _validate_comments(answers, {i for i, *_rest in items})

    response = _get_response(round, panellist, now)
    was_submitted = response.status is ResponseStatus.submitted
    if submit and submit_key and response.submit_key == submit_key and was_submitted:
        return response  # a replayed submission: already counted

    draft = _merged(response.draft, answers)
    response.draft = draft
    response.updated_at = now
    missing = _missing(draft, items, criteria, reasons_asked(study))
    if submit and missing:
        db.session.flush()  # keep the draft: the answers given so far are never lost
        raise IncompleteSubmission(_("Please complete your answers before submitting."),
                                   fields=missing)
    if submit or (was_submitted and not missing):
        changed = _write_counted(response, draft, items, criteria)
        response.status = ResponseStatus.submitted
        if submit or changed or response.submitted_at is None:
            response.submitted_at = now
        if submit:
            response.submit_key = submit_key
    db.session.flush()
    if submit and not was_submitted:
        signals.response_submitted.send(response)
    return response


def _validate_comments(answers: AnswerSet, item_ids: set[int]) -> None:
    errors: dict[str, str] = {}
    for item_id, text in (answers.comments or {}).items():
        if isinstance(item_id, bool) or not isinstance(item_id, int) or item_id not in item_ids:
            errors[f"comments[{item_id}]"] = _("This item is not in this round.")
        elif text is not None and (not isinstance(text, str) or len(text) > MAX_COMMENT):
            errors[f"comments[{item_id}]"] = _("Use at most %(n)d characters.", n=MAX_COMMENT)
        elif isinstance(text, str) and text_problem(text):
            errors[f"comments[{item_id}]"] = text_problem(text)
    if errors:
        raise InvalidInput(_("Please correct the marked fields."), fields=errors)


def _merged(stored: dict | None, answers: AnswerSet) -> dict:
    """The draft with ``answers`` merged in (a new dict; ``stored`` is not changed;
    a fault saved before texts were checked is repaired: ``delphi.core.text.repaired``)."""
    stored = repaired(stored or {})
    draft = {"ratings": dict((stored or {}).get("ratings") or {}),
             "comments": dict((stored or {}).get("comments") or {})}
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
    return draft


def _missing(draft: dict, items, criteria, require_reason: bool) -> dict[str, str]:
    """What a submission of ``draft`` lacks, keyed like ``IncompleteSubmission.fields``."""
    errors: dict[str, str] = {}
    ratings = (draft or {}).get("ratings") or {}
    for item_id, feedback, kind, params in items:
        for criterion in item_criteria(kind, criteria):
            key = draft_key(item_id, criterion)
            entry = ratings.get(key)
            if entry is None:
                errors[f"{key}.value"] = (_("Rate this item, or answer \"cannot rate\".")
                                          if kind == "rating" else
                                          _("Answer this question, or answer \"cannot answer\"."))
            elif require_reason and _outside_iqr(entry.get("value"), feedback, criterion, kind,
                                                 params) \
                    and not (entry.get("reason") or "").strip():
                errors[f"{key}.reason"] = (_(
                    "Your rating lies outside the group's interquartile range: please give a reason.")
                    if kind == "rating" else _(
                    "Your answer lies outside the group's interquartile range: please give a reason."))
    return errors


def _wanted(draft: dict, items, criteria) -> tuple[dict, dict]:
    """The counted rows a submission of ``draft`` gives: ``({(item_id, criterion):
    (value, answer, reason)}, {item_id: comment})`` (unanswered pairs left out; a
    rating's value is ``value``, another kind's ``answer``)."""
    ratings = (draft or {}).get("ratings") or {}
    wanted_ratings = {}
    for item_id, _f, kind, _params in items:
        for criterion in item_criteria(kind, criteria):
            entry = ratings.get(draft_key(item_id, criterion))
            if entry is None:
                continue
            reason = entry.get("reason") or None
            wanted_ratings[(item_id, criterion)] = ((entry.get("value"), None, reason)
                                                    if kind == "rating" else
                                                    (None, entry.get("value"), reason))
    item_set = {i for i, *_rest in items}
    wanted_comments = {int(k): v for k, v in ((draft or {}).get("comments") or {}).items()
                       if int(k) in item_set}
    return wanted_ratings, wanted_comments


def _counted(response_id: int) -> tuple[dict, dict]:
    """The response's counted rows, in the shape of :func:`_wanted`."""
    ratings = {(i, c): (v, a, r) for i, c, v, a, r in db.session.execute(
        select(Rating.item_id, Rating.criterion, Rating.value, Rating.answer, Rating.reason)
        .where(Rating.response_id == response_id))}
    comments = dict(db.session.execute(
        select(ItemComment.item_id, ItemComment.text).where(ItemComment.response_id == response_id)).all())
    return ratings, comments


def _write_counted(response: Response, draft: dict, items, criteria) -> bool:
    """Make the response's Rating / ItemComment rows the draft's; rows of
    unchanged answers are left as they are. Returns whether anything changed."""
    wanted_ratings, wanted_comments = _wanted(draft, items, criteria)
    have_ratings, have_comments = _counted(response.id)
    if have_ratings == wanted_ratings and have_comments == wanted_comments:
        return False
    _sync(Rating, response.id, ("item_id", "criterion"), ("value", "answer", "reason"), have_ratings,
          wanted_ratings)
    _sync(ItemComment, response.id, ("item_id",), ("text",),
          {(i,): (t,) for i, t in have_comments.items()}, {(i,): (t,) for i, t in wanted_comments.items()})
    db.session.expire(response, ["ratings", "comments"])
    return True


def _sync(model, response_id: int, keys, fields, have: dict, wanted: dict) -> None:
    """Make ``model``'s rows of a response ``wanted`` (``{keys: fields}`` tuples):
    delete the rows not wanted, update the changed ones, insert the new ones."""
    def where(key):
        return [model.response_id == response_id, *(getattr(model, k) == v for k, v in zip(keys, key))]
    for key in have.keys() - wanted.keys():
        db.session.execute(delete(model).where(*where(key)))
    for key, values in wanted.items():
        if key in have and have[key] != values:
            db.session.execute(update(model).where(*where(key)).values(dict(zip(fields, values))))
    new = [{"response_id": response_id, **dict(zip(keys, key)), **dict(zip(fields, values))}
           for key, values in wanted.items() if key not in have]
    if new:
        db.session.execute(insert(model), new)


# --- what counts ---------------------------------------------------------------

@dataclass(frozen=True)
class AnswerState:
    """Whether what a panellist sees is what counts.

    ``status``: None (nothing saved), ``"draft"`` (nothing counts yet) or
    ``"submitted"`` (the counted answers are the ``Rating`` / ``ItemComment``
    rows, as of ``submitted_at``). ``has_unsubmitted_changes``: submitted, but
    the answers shown (the draft) differ from the counted ones; this happens
    only when the changed answers cannot count yet (see :func:`save_answers`),
    and ``message`` then says so in the reader's language. ``missing``: what a
    submission of the shown answers would lack, keyed like
    ``IncompleteSubmission.fields`` (``"<item_id>:<criterion>.value|reason"``).
    """

    status: str | None
    submitted_at: datetime | None
    has_unsubmitted_changes: bool
    missing: dict[str, str]
    message: str | None


def answer_state(round: Round, panellist: Panellist) -> AnswerState:
    """The :class:`AnswerState` of ``panellist``'s response to ``round`` (read only)."""
    response = db.session.scalar(select(Response).where(
        Response.round_id == round.id, Response.panellist_id == panellist.id))
    study = round.study
    return state_of(response, _round_items(round), list(study.criteria),
                    reasons_asked(study), open=round.status is RoundStatus.open)


def state_of(response: Response | None, items, criteria, require_reason: bool, *,
             open: bool = True, counted: tuple[dict, dict] | None = None) -> AnswerState:
    """The :class:`AnswerState` of ``response`` given the round's ``items``
    (``[(item_id, feedback, kind, params)]``); ``open``: whether the round still takes
    answers (once closed, nothing is ``missing`` any more); ``counted``: the
    response's rows if already read."""
    if response is None:
        return AnswerState(None, None, False, {}, None)
    draft = response.draft or {}
    missing = _missing(draft, items, criteria, require_reason) if open else {}
    if response.status is not ResponseStatus.submitted:
        return AnswerState(response.status.value, response.submitted_at, False, missing, None)
    dirty = _wanted(draft, items, criteria) != (counted if counted is not None else _counted(response.id))
    message = None
    if dirty and not open:
        message = _("You changed answers after you submitted; the round closed before they could "
                    "count: the answers shown are the ones that counted.")
    elif dirty and missing and all(key.endswith(".reason") for key in missing):
        message = _("You changed answers since you submitted; they are not counted yet: "
                    "give the missing reason and press Submit.")
    elif dirty and missing:
        message = _("You changed answers since you submitted; they are not counted yet: "
                    "complete the marked answers and press Submit.")
    elif dirty:
        message = _("You changed answers since you submitted; they are not counted yet: "
                    "press Submit to count them.")
    return AnswerState(response.status.value, response.submitted_at, dirty, missing, message)


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
    errors.update({f"texts[{i}]": text_problem(t) for i, t in enumerate(cleaned)
                   if f"texts[{i}]" not in errors and text_problem(t)})
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
