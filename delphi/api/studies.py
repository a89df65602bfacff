"""``/api/v1/studies``: studies, panels, rounds, answering and results (issue 4 §8).

Every route checks access with :mod:`delphi.access` on the object it serves
and calls a :mod:`rounds` service; domain errors become JSON errors with
their status (an illegal round move 409, a wrong field 422 naming it).
No answer of this module shows a panellist's name, email or organisation.
"""
from __future__ import annotations

from datetime import datetime, timezone

from flask import request
from flask_babel import gettext as _
from sqlalchemy import or_, select

import rounds
from delphi.access import (
    can_moderate,
    can_view_results,
    get_study,
    panellist_of,
    require,
)
from delphi.api.common import (
    ApiError,
    bp,
    current_api_user,
    field,
    json_body,
    token_required,
)
from delphi.api.spec import errors, json_request, obj, ok
from delphi.config import current_policy
from delphi.core.database import db
from delphi.core.errors import NotFound
from delphi.core.models import (
    Item,
    Panellist,
    PanellistStatus,
    Round,
    RoundKind,
    RoundStatus,
    StaffRole,
    Study,
    StudyStaff,
    TaskForce,
    User,
)
from delphi.i18n import current_language
from delphi.services.accounts import member_by_email
from delphi.unit_of_work import unit_of_work

# -- Helpers -------------------------------------------------------------------

def _invalid(name: str, message: str) -> ApiError:
    return ApiError(422, "invalid", _("Invalid input."), {name: message})


def parse_datetime(value, name: str) -> datetime | None:
    """An ISO 8601 date or date-time (UTC when no offset is given), or None."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise _invalid(name, _("Give a date as YYYY-MM-DD or an ISO 8601 date-time."))
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _invalid(name, _("Give a date as YYYY-MM-DD or an ISO 8601 date-time.")) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def get_round(study: Study, number: int) -> Round:
    row = db.session.scalar(select(Round).where(Round.study_id == study.id, Round.number == number))
    if row is None:
        raise NotFound(_("No such round."))
    return row


def study_json(study: Study) -> dict:
    return {
        "id": study.id,
        "task_force": study.task_force.code,
        "title": study.title,
        "description": study.description,
        "status": study.status.value,
        "scale_points": study.scale_points,
        "scale_labels": list(study.scale_labels or []),
        "criteria": list(study.criteria or []),
        "consensus": dict(study.consensus_rule or {}),
        "max_rounds": study.max_rounds,
        "min_n": study.min_n,
        "panel_cutoff": _iso(study.panel_cutoff),
        "require_reason_outside_iqr": study.require_reason_outside_iqr,
        "carry_forward": study.carry_forward.value,
        "rounds": [{"number": r.number, "status": r.status.value} for r in study.rounds],
    }


def staff_feedback(round_item) -> dict | None:
    """The frozen feedback of a round item as a moderator sees it (no own answer)."""
    feedback = round_item.feedback
    if not feedback:
        return None
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
        "closes_at": _iso(round_.closes_at),
        "opened_at": _iso(round_.opened_at),
        "closed_at": _iso(round_.closed_at),
        "items": [{"id": ri.item.id, "code": ri.item.code, "text": ri.item.text_in(language),
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
    criteria = {}
    for name, stats in (_get(feedback, "criteria") or {}).items():
        criteria[name] = {key: _get(stats, key)
                          for key in ("median", "q1", "q3", "iqr", "counts", "n", "own_previous")}
    return {"criteria": criteria, "comments": list(_get(feedback, "comments") or [])}


def round_json_for_panellist(round_: Round, panellist: Panellist) -> dict:
    q = rounds.questionnaire(round_, panellist, language=current_language())
    items = []
    for view in _get(q, "items") or []:
        items.append({
            "id": _get(view, "item_id"),
            "code": _get(view, "code"),
            "text": _get(view, "text"),
            "background": _get(view, "background") or "",
            "feedback": panellist_feedback(view) if round_.number > 1 else None,
        })
    return {
        "number": round_.number,
        "kind": round_.kind.value,
        "status": round_.status.value,
        "closes_at": _iso(round_.closes_at),
        "items": items,
        "response": {"status": _get(q, "response_status"),
                     "answers": {str(_get(v, "item_id")): {"ratings": _get(v, "answers"),
                                                          "comment": _get(v, "comment")}
                                 for v in _get(q, "items") or []}},
    }


def _user() -> User:
    return current_api_user()


def visible_studies(user: User) -> list[Study]:
    query = select(Study).order_by(Study.id)
    if not user.is_admin:
        staff = select(StudyStaff.study_id).where(StudyStaff.user_id == user.id)
        panel = select(Panellist.study_id).where(Panellist.user_id == user.id,
                                                 Panellist.status == PanellistStatus.active)
        query = query.where(or_(Study.id.in_(staff), Study.id.in_(panel)))
    return list(db.session.scalars(query))


def _may_see(user: User, study: Study) -> bool:
    return can_view_results(user, study) or panellist_of(user, study) is not None


# -- Studies -------------------------------------------------------------------

@bp.post("/studies")
@token_required
@unit_of_work
def create_study():
    user = _user()
    require(user.is_admin)
    data = json_body()
    code = field(data, "task_force", str)
    task_force = db.session.scalar(select(TaskForce).where(TaskForce.code == code.strip().upper()))
    if task_force is None:
        raise _invalid("task_force", _("There is no task force %(code)s.", code=code))
    title = field(data, "title", str).strip()
    if not title:
        raise _invalid("title", _("This field is required."))
    scale_points = field(data, "scale_points", int, required=False, default=5)
    if scale_points not in (5, 7, 9):
        raise _invalid("scale_points", _("Choose 5, 7 or 9 points."))
    criteria = field(data, "criteria", list, required=False, default=["importance"])
    if not (1 <= len(criteria) <= 3) or not all(isinstance(c, str) and c.strip() for c in criteria) \
            or len({c.strip() for c in criteria}) != len(criteria):
        raise _invalid("criteria", _("Give one to three different criteria."))
    consensus = field(data, "consensus", dict, required=False)
    if consensus is not None:
        for key in ("iqr_max", "agreement_min"):
            value = consensus.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
                raise _invalid(f"consensus.{key}", _("Wrong type."))
        agreement = consensus.get("agreement_min")
        if agreement is not None and not 0 <= agreement <= 1:
            raise _invalid("consensus.agreement_min", _("Give a share between 0 and 1."))
    max_rounds = field(data, "max_rounds", int, required=False, default=3)
    if not 1 <= max_rounds <= 20:
        raise _invalid("max_rounds", _("Give a number of rounds between 1 and 20."))
    options = {}
    for name in ("show_distribution", "show_median_iqr", "show_comments", "require_reason_outside_iqr"):
        value = field(data, name, bool, required=False)
        if value is not None:
            options[name] = value
    carry = field(data, "carry_forward", str, required=False)
    if carry is not None:
        if carry not in ("no_consensus", "all"):
            raise _invalid("carry_forward", _("Choose no_consensus or all."))
        options["carry_forward"] = carry
    min_n = field(data, "min_n", int, required=False)
    if min_n is not None:
        if min_n < 1:
            raise _invalid("min_n", _("Give a positive number."))
        options["min_n"] = min_n
    study = rounds.create_study(
        task_force, title, actor=user,
        description=field(data, "description", str, required=False, default=""),
        scale_points=scale_points, criteria=tuple(c.strip() for c in criteria),
        consensus=consensus, max_rounds=max_rounds,
        panel_cutoff=parse_datetime(data.get("panel_cutoff"), "panel_cutoff"), **options)
    db.session.flush()
    return study_json(study), 201


@bp.get("/studies")
@token_required
def list_studies():
    return [study_json(s) for s in visible_studies(_user())]


@bp.get("/studies/<int:study_id>")
@token_required
def show_study(study_id: int):
    study = get_study(study_id)
    require(_may_see(_user(), study))
    return study_json(study)


def _member(email: str) -> User:
    member = member_by_email(email)
    if member is None:
        raise _invalid("email", _("No member has this email address."))
    return member


@bp.post("/studies/<int:study_id>/staff")
@token_required
@unit_of_work
def assign_staff(study_id: int):
    study = get_study(study_id)
    user = _user()
    require(user.is_admin)
    data = json_body()
    email = field(data, "email", str)
    role_name = field(data, "role", str)
    try:
        role = StaffRole(role_name)
    except ValueError:
        raise _invalid("role", _("Choose moderator or researcher.")) from None
    member = _member(email)
    rounds.assign_staff(study, member, role, actor=user)
    return {"email": member.email, "role": role.value}, 201


# -- Panel -------------------------------------------------------------------

@bp.post("/studies/<int:study_id>/panellists")
@token_required
@unit_of_work
def add_panellist(study_id: int):
    study = get_study(study_id)
    user = _user()
    require(can_moderate(user, study))
    data = json_body()
    member = _member(field(data, "email", str))
    panellist = rounds.add_panellist(study, member, actor=user)
    db.session.flush()
    return {"pseudonym": panellist.pseudonym, "status": panellist.status.value}, 201


@bp.delete("/studies/<int:study_id>/panellists/<pseudonym>")
@token_required
@unit_of_work
def withdraw_panellist(study_id: int, pseudonym: str):
    study = get_study(study_id)
    user = _user()
    panellist = db.session.scalar(select(Panellist).where(
        Panellist.study_id == study.id, Panellist.pseudonym == pseudonym))
    is_self = panellist is not None and panellist.user_id == user.id
    require(can_moderate(user, study) or is_self)
    if panellist is None:
        raise NotFound(_("No such panellist."))
    rounds.withdraw_panellist(panellist, actor=user)
    db.session.flush()
    return {"pseudonym": panellist.pseudonym, "status": panellist.status.value}


# -- Rounds ------------------------------------------------------------------

@bp.post("/studies/<int:study_id>/rounds")
@token_required
@unit_of_work
def draft_round(study_id: int):
    study = get_study(study_id)
    user = _user()
    require(can_moderate(user, study))
    data = json_body()
    entries = field(data, "items", list, required=False, default=[])
    kind_name = field(data, "kind", str, required=False, default="rating")
    try:
        kind = RoundKind(kind_name)
    except ValueError:
        raise _invalid("kind", _("Choose rating or open_ended.")) from None
    closes_at = parse_datetime(data.get("closes_at"), "closes_at")
    items: list[Item] = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise _invalid(f"items[{index}]", _("Each item is an object with a text or an id."))
        if entry.get("id") is not None:
            item = db.session.get(Item, entry["id"]) if isinstance(entry["id"], int) and not isinstance(entry["id"], bool) else None
            if item is None or item.study_id != study.id:
                raise _invalid(f"items[{index}].id", _("This study has no such item."))
        else:
            text = entry.get("text")
            if not isinstance(text, str) or not text.strip():
                raise _invalid(f"items[{index}].text", _("This field is required."))
            background = entry.get("background", "")
            if not isinstance(background, str):
                raise _invalid(f"items[{index}].background", _("Wrong type."))
            item = rounds.add_item(study, text.strip(), actor=user, background=background)
        items.append(item)
    round_ = rounds.draft_round(study, actor=user, items=items or None, kind=kind,
                                closes_at=closes_at, policy=current_policy())
    db.session.flush()
    return {**round_json_for_staff(round_), "status": round_.status.value}, 201


@bp.get("/studies/<int:study_id>/rounds/<int:number>")
@token_required
def show_round(study_id: int, number: int):
    study = get_study(study_id)
    user = _user()
    round_ = get_round(study, number)
    if can_view_results(user, study):
        return round_json_for_staff(round_)
    panellist = panellist_of(user, study)
    require(panellist is not None)
    if round_.status is RoundStatus.draft:
        raise NotFound(_("No such round."))
    return round_json_for_panellist(round_, panellist)


@bp.post("/studies/<int:study_id>/rounds/<int:number>/open")
@token_required
@unit_of_work
def open_round(study_id: int, number: int):
    study = get_study(study_id)
    user = _user()
    require(can_moderate(user, study))
    round_ = get_round(study, number)
    data = json_body() if _has_body() else {}
    closes_at = parse_datetime(data.get("closes_at"), "closes_at")
    rounds.open_round(round_, actor=user, closes_at=closes_at)
    db.session.flush()
    return round_json_for_staff(round_)


@bp.post("/studies/<int:study_id>/rounds/<int:number>/close")
@token_required
@unit_of_work
def close_round(study_id: int, number: int):
    study = get_study(study_id)
    user = _user()
    require(can_moderate(user, study))
    round_ = get_round(study, number)
    report = rounds.close_round(round_, actor=user, policy=current_policy())
    db.session.flush()
    next_round = getattr(report, "next_round", None)
    return {**round_json_for_staff(round_),
            "next_round": next_round.number if next_round is not None else None,
            "stopping": getattr(report, "stopping", None)}


def _has_body() -> bool:
    return bool(request.get_data(cache=True))


@bp.put("/studies/<int:study_id>/rounds/<int:number>/response")
@token_required
@unit_of_work
def put_response(study_id: int, number: int):
    study = get_study(study_id)
    panellist = panellist_of(_user(), study)
    require(panellist is not None)
    round_ = get_round(study, number)
    data = json_body()
    answers = parse_answers(data)
    submit = field(data, "submit", bool, required=False, default=False)
    submit_key = field(data, "submit_key", str, required=False)
    # An incomplete submission keeps the answers given as a draft (the unit of
    # work commits them) and the 422 names what is missing.
    response = rounds.save_answers(round_, panellist, answers, submit=submit, submit_key=submit_key)
    return {"status": response.status.value}


def parse_answers(data: dict):
    """The body's ``ratings`` as a :class:`rounds.AnswerSet` (types only; the service
    checks the items, the criteria and the scale)."""
    entries = field(data, "ratings", list)
    ratings, comments = [], {}
    for index, entry in enumerate(entries):
        name = f"ratings[{index}]"
        if not isinstance(entry, dict):
            raise _invalid(name, _("Each rating is an object."))
        item = entry.get("item")
        if isinstance(item, bool) or not isinstance(item, int):
            raise _invalid(f"{name}.item", _("Give the item's id."))
        criterion = entry.get("criterion")
        if not isinstance(criterion, str):
            raise _invalid(f"{name}.criterion", _("Give the criterion's name."))
        if "value" not in entry:
            raise _invalid(f"{name}.value", _("Give a point of the scale, or null for \"cannot rate\"."))
        value = entry["value"]
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise _invalid(f"{name}.value", _("Give a point of the scale, or null for \"cannot rate\"."))
        reason = entry.get("reason")
        if reason is not None and not isinstance(reason, str):
            raise _invalid(f"{name}.reason", _("Wrong type."))
        comment = entry.get("comment")
        if comment is not None:
            if not isinstance(comment, str):
                raise _invalid(f"{name}.comment", _("Wrong type."))
            comments[item] = comment
        ratings.append(rounds.RatingInput(item_id=item, criterion=criterion, value=value,
                                          reason=reason or None))
    return rounds.AnswerSet(ratings=ratings, comments=comments)


@bp.get("/studies/<int:study_id>/rounds/<int:number>/results")
@token_required
def round_results(study_id: int, number: int):
    study = get_study(study_id)
    require(can_view_results(_user(), study))
    return rounds.round_results(get_round(study, number))


# -- OpenAPI -----------------------------------------------------------------

S, I, N, B = {"type": "string"}, {"type": "integer"}, {"type": "number"}, {"type": "boolean"}
NS, NN, NI = ({"type": t, "nullable": True} for t in ("string", "number", "integer"))
ROUND_REF = obj(number=I, status={"type": "string", "enum": ["draft", "open", "closed"]})
STUDY = obj(id=I, task_force=S, title=S, description=S, status=S, scale_points=I,
            scale_labels={"type": "array", "items": S}, criteria={"type": "array", "items": S},
            consensus={"type": "object"}, max_rounds=I, min_n=I, panel_cutoff=NS,
            require_reason_outside_iqr=B, carry_forward=S,
            rounds={"type": "array", "items": ROUND_REF})
CRITERION_FEEDBACK = obj(median=NN, q1=NN, q3=NN, iqr=NN, counts={"type": "array", "items": I},
                         own_previous=NI)
FEEDBACK = {"type": "object", "nullable": True, "properties": {
    "criteria": {"type": "object", "additionalProperties": CRITERION_FEEDBACK},
    "comments": {"type": "array", "items": S}}}
ROUND = obj(number=I, kind=S, status=S, closes_at=NS, items={"type": "array", "items": obj(
    id=I, code=S, text=S, feedback=FEEDBACK)})
RESULT_ITEM = obj(item=I, code=S, text=S, criterion=S, n=I, median=NN, q1=NN, q3=NN, iqr=NN,
                  mean=NN, sd=NN, agreement=NN, disagreement=NN, consensus=B, verdict=S)
RESULTS = obj(response_rate=NN, items={"type": "array", "items": RESULT_ITEM},
              concordance={"type": "object", "additionalProperties": obj(
                  w=NN, chi2=NN, df=NI, pvalue=NN, n_raters=I)},
              stability={"type": "object"}, stopping={"type": "object"})
SECURE = {"security": [{"bearer": []}], "tags": ["studies"]}


def _params(*names: str) -> list:
    kinds = {"study_id": I, "number": I, "pseudonym": S}
    return [{"name": n, "in": "path", "required": True, "schema": kinds[n]} for n in names]


OPENAPI_PATHS = {
    "/studies": {
        "post": {**SECURE, "summary": "Create a study (admin)",
                 "requestBody": json_request(obj(
                     ["task_force", "title"], task_force=S, title=S, description=S,
                     scale_points={"type": "integer", "enum": [5, 7, 9]},
                     criteria={"type": "array", "items": S, "minItems": 1, "maxItems": 3},
                     consensus=obj(iqr_max=N, agreement_min=N), max_rounds=I, min_n=I,
                     panel_cutoff=S, show_distribution=B, show_median_iqr=B, show_comments=B,
                     require_reason_outside_iqr=B,
                     carry_forward={"type": "string", "enum": ["no_consensus", "all"]})),
                 "responses": {"201": ok("Created", STUDY), **errors("400", "401", "403", "422")}},
        "get": {**SECURE, "summary": "The studies the caller may see",
                "responses": {"200": ok("Studies", {"type": "array", "items": STUDY}),
                              **errors("401")}}},
    "/studies/{study_id}": {"get": {
        **SECURE, "summary": "One study", "parameters": _params("study_id"),
        "responses": {"200": ok("Study", STUDY), **errors("401", "403", "404")}}},
    "/studies/{study_id}/staff": {"post": {
        **SECURE, "summary": "Assign a moderator or researcher (admin)", "parameters": _params("study_id"),
        "requestBody": json_request(obj(["email", "role"], email=S, role={
            "type": "string", "enum": ["moderator", "researcher"]})),
        "responses": {"201": ok("Assigned", obj(email=S, role=S)),
                      **errors("400", "401", "403", "404", "409", "422")}}},
    "/studies/{study_id}/panellists": {"post": {
        **SECURE, "summary": "Add a panellist (moderator, admin)", "parameters": _params("study_id"),
        "requestBody": json_request(obj(["email"], email=S)),
        "responses": {"201": ok("Added", obj(pseudonym=S, status=S)),
                      **errors("400", "401", "403", "404", "409", "422")}}},
    "/studies/{study_id}/panellists/{pseudonym}": {"delete": {
        **SECURE, "summary": "Withdraw a panellist (moderator, admin, or the panellist)",
        "parameters": _params("study_id", "pseudonym"),
        "responses": {"200": ok("Withdrawn", obj(pseudonym=S, status=S)),
                      **errors("401", "403", "404", "409")}}},
    "/studies/{study_id}/rounds": {"post": {
        **SECURE, "summary": "Draft the next round (moderator)", "parameters": _params("study_id"),
        "requestBody": json_request(obj(
            items={"type": "array", "items": obj(text=S, background=S, id=I)},
            kind={"type": "string", "enum": ["rating", "open_ended"]}, closes_at=S)),
        "responses": {"201": ok("Drafted", ROUND), **errors("400", "401", "403", "404", "409", "422")}}},
    "/studies/{study_id}/rounds/{number}": {"get": {
        **SECURE, "summary": "A round: its items and, from round 2, their feedback",
        "parameters": _params("study_id", "number"),
        "responses": {"200": ok("Round", ROUND), **errors("401", "403", "404")}}},
    "/studies/{study_id}/rounds/{number}/open": {"post": {
        **SECURE, "summary": "Open a draft round (moderator)", "parameters": _params("study_id", "number"),
        "requestBody": {"required": False, "content": {"application/json": {"schema": obj(closes_at=S)}}},
        "responses": {"200": ok("Opened", ROUND), **errors("400", "401", "403", "404", "409", "422")}}},
    "/studies/{study_id}/rounds/{number}/close": {"post": {
        **SECURE, "summary": "Close an open round and freeze its statistics (moderator)",
        "parameters": _params("study_id", "number"),
        "responses": {"200": ok("Closed", ROUND), **errors("401", "403", "404", "409")}}},
    "/studies/{study_id}/rounds/{number}/response": {"put": {
        **SECURE, "summary": "Save or submit the caller's answers (panellist)",
        "parameters": _params("study_id", "number"),
        "requestBody": json_request(obj(
            ["ratings"], ratings={"type": "array", "items": obj(
                ["item", "criterion", "value"], item=I, criterion=S, value=NI, comment=S, reason=S)},
            submit=B, submit_key=S)),
        "responses": {"200": ok("Saved", obj(status={"type": "string", "enum": ["draft", "submitted"]})),
                      **errors("400", "401", "403", "404", "409", "422")}}},
    "/studies/{study_id}/rounds/{number}/results": {"get": {
        **SECURE, "summary": "A closed round's frozen statistics (moderator, researcher, admin)",
        "parameters": _params("study_id", "number"),
        "responses": {"200": ok("Results", RESULTS), **errors("401", "403", "404", "409")}}},
}
