"""``/api/v1/studies/{study_id}/rounds``: drafting, showing, opening, closing a round, and
its results.

Items of a new round are added with :func:`rounds.add_item` and the round drafted
with :func:`rounds.draft_round`; both write their own audit rows with the actor.
An item's question kind and its parameters (``rounds.kinds``) are given at the
item's top level (``{"kind": "year", "min": 2025, "max": 2050}``) and passed to
:func:`rounds.add_item` as ``params``, which checks them: its errors
``params.<name>`` are named at their place in the body (``items[2].min``,
``items[0].options[1]``).
"""
from __future__ import annotations

from flask_babel import gettext as _
from pydantic import BaseModel

import rounds
from delphi.access import (
    can_moderate,
    can_view_results,
    get_study,
    panellist_of,
    require,
)
from delphi.api.common import ApiError, current_api_user
from delphi.api.operations import ok, operation, request_body
from delphi.api.schemas.rounds import (
    PARAMETERS,
    ClosedRound,
    Feedback,
    PanellistRound,
    Results,
    RoundDraft,
    RoundItem,
    RoundOpening,
    StaffRound,
)
from delphi.api.studies import iso
from delphi.config import current_policy
from delphi.core.database import db
from delphi.core.errors import InvalidInput, NotFound
from delphi.core.models import Item, Panellist, Round, RoundKind, RoundStatus, Study
from delphi.i18n import current_language
from delphi.unit_of_work import unit_of_work
from rounds.kinds import NO_CRITERION, option_text

#: The figures of a non-rating item's feedback, by their names in the answer.
FIGURES = tuple(name for name in Feedback.model_fields
                if name not in ("criteria", "comments", "kind", "own_previous"))


def kind_feedback(kind: str, figures: dict, comments) -> dict:
    """A non-rating item's feedback in the API's shape: its figures by name."""
    return {"criteria": {}, "comments": list(comments or []), "kind": kind,
            **{name: figures[name] for name in FIGURES if name in figures}}


def item_parameters(kind: str | None, params: dict | None, options: list[dict] | None) -> dict:
    """An item's ``kind`` and its parameters as the API shows them (a ranking's
    options as ``[{id, text}]``, ``options`` given in the reader's language)."""
    kind = kind or "rating"
    shown = {name: value for name, value in (params or {}).items()
             if name in PARAMETERS and name != "options"}
    if kind == "ranking":
        shown["options"] = [{"id": o["id"], "text": o["text"]} for o in options or []]
    return {"kind": kind, **shown}


def _staff_options(item: Item, language: str) -> list[dict] | None:
    """A ranking item's options with their texts in ``language``."""
    if item.kind != "ranking":
        return None
    options = (item.params or {}).get("options") or []
    named = {o["item"]: db.session.get(Item, o["item"]) for o in options if "item" in o}
    return [{"id": o["id"], "text": option_text(o, language, named)} for o in options]


def staff_feedback(round_item) -> dict | None:
    """The frozen feedback of a round item as a moderator sees it (no own answer)."""
    feedback = round_item.feedback
    if not feedback:
        return None
    if feedback.get("kind"):
        return kind_feedback(feedback["kind"], feedback.get("figures") or {},
                             feedback.get("comments"))
    criteria = {
        name: {key: stats.get(key) for key in ("median", "q1", "q3", "iqr", "counts", "n")}
        for name, stats in (feedback.get("criteria") or {}).items()
    }
    return {"criteria": criteria, "comments": list(feedback.get("comments") or [])}


def round_json_for_staff(round_: Round) -> dict:
    language = current_language()
    return {
        "number": round_.number,
        "kind": round_.kind.value,
        "status": round_.status.value,
        "closes_at": iso(round_.closes_at),
        "opened_at": iso(round_.opened_at),
        "closed_at": iso(round_.closed_at),
        "items": [{"id": ri.item.id, "code": ri.item.code, "text": ri.item.text_in(language),
                   **item_parameters(ri.item.kind, ri.item.params,
                                     _staff_options(ri.item, language)),
                   "feedback": staff_feedback(ri)} for ri in round_.round_items],
    }


def _get(obj_, name, default=None):
    if isinstance(obj_, dict):
        return obj_.get(name, default)
    return getattr(obj_, name, default)


def panellist_feedback(item_view) -> dict | None:
    """A questionnaire item's feedback in the API's shape."""
    feedback = _get(item_view, "feedback")
    if not feedback:
        return None
    if _get(feedback, "kind"):
        return {**kind_feedback(feedback["kind"], feedback, feedback.get("comments")),
                "own_previous": feedback.get("own_previous")}
    criteria = {}
    for name, stats in (_get(feedback, "criteria") or {}).items():
        criteria[name] = {key: _get(stats, key)
                          for key in ("median", "q1", "q3", "iqr", "counts", "n", "own_previous")}
    return {"criteria": criteria, "comments": list(_get(feedback, "comments") or [])}


def round_json_for_panellist(round_: Round, panellist: Panellist) -> dict:
    q = rounds.questionnaire(round_, panellist, language=current_language())
    views = _get(q, "items") or []
    return {
        "number": round_.number,
        "kind": round_.kind.value,
        "status": round_.status.value,
        "closes_at": iso(round_.closes_at),
        "items": [{
            "id": _get(view, "item_id"),
            "code": _get(view, "code"),
            "text": _get(view, "text"),
            "background": _get(view, "background") or "",
            **item_parameters(_get(view, "kind"), _get(view, "params"), _get(view, "options")),
            "feedback": panellist_feedback(view) if round_.number > 1 else None,
        } for view in views],
        "response": {"status": _get(q, "response_status"),
                     "answers": {str(_get(v, "item_id")): _own_answers(v) for v in views}},
    }


def _own_answers(view) -> dict:
    """The panellist's answers to one item: a rating's per criterion, another
    kind's as ``answer`` (``{value, reason?}``, None: not answered yet)."""
    answers = _get(view, "answers") or {}
    if (_get(view, "kind") or "rating") == "rating":
        return {"ratings": answers, "comment": _get(view, "comment")}
    return {"ratings": {}, "comment": _get(view, "comment"),
            "answer": answers.get(NO_CRITERION)}


def _parameters(entry: RoundItem) -> dict:
    """The kind's parameters given at an item's top level, as ``rounds`` takes them."""
    given = {name: getattr(entry, name) for name in PARAMETERS
             if name in entry.model_fields_set and getattr(entry, name) is not None}
    return {name: value.model_dump(exclude_unset=True) if isinstance(value, BaseModel) else value
            for name, value in given.items()}


def _item_field(name: str, key: str, params: dict) -> str:
    """A field ``rounds`` named for a new item (``params.min``, ``kind``), named at
    its place in the body (``items[2].min``, ``items[2].kind``). A parameter that the
    kind does not take at all (``params``) is named by the first one given."""
    if key.startswith("params."):
        return f"{name}.{key.removeprefix('params.')}"
    if key == "params":
        return f"{name}.{next(iter(params))}" if params else name
    return f"{name}.{key}"


def _round_items(study: Study, body: RoundDraft, user) -> list[Item]:
    """The round's items in order: existing ones by id, new ones added (audited by the
    service); a service's error on a new item is named by the entry's position."""
    items: list[Item] = []
    for index, entry in enumerate(body.items or []):
        name = f"items[{index}]"
        if entry.id is not None:
            item = db.session.get(Item, entry.id)
            if item is None or item.study_id != study.id:
                raise ApiError(422, "invalid", _("Invalid input."),
                               {f"{name}.id": _("This study has no such item.")})
        elif entry.text is None:
            raise ApiError(422, "invalid", _("Invalid input."),
                           {f"{name}.text": _("This field is required.")})
        else:
            params = _parameters(entry)
            try:
                item = rounds.add_item(study, entry.text, actor=user,
                                       background=entry.background or "",
                                       kind=entry.kind, params=params)
            except InvalidInput as error:
                raise InvalidInput(error.message, fields={
                    _item_field(name, key, params): message
                    for key, message in (error.fields or {}).items()
                }) from None
        items.append(item)
    return items


@operation("POST", "/studies/{study_id}/rounds", summary="Draft the next round (moderator)",
           tag="studies", body=RoundDraft, answers={201: ok("Drafted", StaffRound)},
           errors=(403, 404, 409))
@unit_of_work
def draft_round(study_id: int):
    study = get_study(study_id)
    user = current_api_user()
    require(can_moderate(user, study))
    body = request_body()
    items = _round_items(study, body, user)
    round_ = rounds.draft_round(study, actor=user, items=items or None,
                                kind=RoundKind(body.kind or RoundKind.rating.value),
                                closes_at=body.closes_at, policy=current_policy())
    db.session.flush()
    return round_json_for_staff(round_), 201


@operation("GET", "/studies/{study_id}/rounds/{number}",
           summary="A round: its items and, from round 2, their feedback", tag="studies",
           answers={200: ok("The round as staff (with drafts) or as a panellist (with the own "
                            "answers) see it", StaffRound, PanellistRound)},
           errors=(403, 404))
def show_round(study_id: int, number: int):
    study = get_study(study_id)
    user = current_api_user()
    round_ = rounds.get_round(study, number)
    if can_view_results(user, study):
        return round_json_for_staff(round_)
    panellist = panellist_of(user, study)
    require(panellist is not None)
    if round_.status is RoundStatus.draft:
        raise NotFound(_("No such round."))
    return round_json_for_panellist(round_, panellist)


@operation("POST", "/studies/{study_id}/rounds/{number}/open",
           summary="Open a draft round (moderator)", tag="studies", body=RoundOpening,
           body_required=False, answers={200: ok("Opened", StaffRound)}, errors=(403, 404, 409))
@unit_of_work
def open_round(study_id: int, number: int):
    study = get_study(study_id)
    user = current_api_user()
    require(can_moderate(user, study))
    round_ = rounds.get_round(study, number)
    body = request_body()
    rounds.open_round(round_, actor=user, closes_at=body.closes_at)
    db.session.flush()
    return round_json_for_staff(round_)


@operation("POST", "/studies/{study_id}/rounds/{number}/close",
           summary="Close an open round and freeze its statistics (moderator)", tag="studies",
           answers={200: ok("Closed", ClosedRound)}, errors=(403, 404, 409))
@unit_of_work
def close_round(study_id: int, number: int):
    study = get_study(study_id)
    user = current_api_user()
    require(can_moderate(user, study))
    round_ = rounds.get_round(study, number)
    report = rounds.close_round(round_, actor=user, policy=current_policy())
    db.session.flush()
    next_round = report.next_round
    return {**round_json_for_staff(round_),
            "next_round": next_round.number if next_round is not None else None,
            "stopping": report.stopping}


@operation("GET", "/studies/{study_id}/rounds/{number}/results",
           summary="A closed round's frozen statistics (moderator, researcher, admin)",
           tag="studies", answers={200: ok("Results", Results)}, errors=(403, 404, 409))
def round_results(study_id: int, number: int):
    study = get_study(study_id)
    require(can_view_results(current_api_user(), study))
    return rounds.round_results(rounds.get_round(study, number))
