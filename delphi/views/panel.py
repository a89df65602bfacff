"""The panellist's pages: their studies, the questionnaire, withdrawing.

The questionnaire is one plain HTML form that works without JavaScript
(Save keeps a draft, Submit makes the answers count); ``questionnaire.js``
autosaves it every 30 seconds and on change through :func:`autosave`.

Its CSRF token is checked here rather than by ``CSRFProtect``: when the token
has expired (a long session, a re-login in another tab) the page comes back
with everything that was typed still in it and a clear message, so no answer
is ever lost to an expired form.

No page of this blueprint shows another panellist's name, email or
organisation: the feedback is aggregates and anonymised comments.
"""
from __future__ import annotations

import uuid

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

import rounds
from delphi.access import get_study, panellist_of, require
from delphi.core.database import db
from delphi.core.errors import DomainError, InvalidInput, StateError
from delphi.core.models import (
    Panellist,
    PanellistStatus,
    Response,
    Round,
    RoundKind,
    RoundStatus,
    Study,
)
from delphi.extensions import csrf, login_manager
from delphi.forms import EmptyForm
from delphi.forms_studies import (
    CANNOT_RATE,
    ProposalsForm,
    QuestionnaireForm,
    answers_from_form,
    comment_name,
    rating_name,
    reason_name,
)
from delphi.i18n import current_language
from delphi.mail.links import granted_in_study, granted_panellist
from delphi.unit_of_work import keep_changes, unit_of_work

bp = Blueprint("panel", __name__, url_prefix="/panel")


# -- Helpers -------------------------------------------------------------------

def _panellist(study_id: int) -> tuple[Study, Panellist]:
    study = get_study(study_id)
    panellist = panellist_of(current_user, study)
    require(panellist is not None)
    return study, panellist


def _answering(study_id: int, number: int) -> tuple[Study, Round, Panellist]:
    """The study, round and panellist of a questionnaire request.

    The panellist is the logged-in member's, or the one a magic link granted
    this session for exactly this open round (``delphi.mail.links``). Who may
    not answer is told so before anything about the round is revealed: a
    visitor is sent to the login page, a member gets 403.
    """
    study = get_study(study_id)
    panellist = panellist_of(current_user, study)
    if panellist is None and granted_in_study(study) is None:
        _refuse()
    round_ = _round(study, number)
    if panellist is None:
        panellist = granted_panellist(study, round_)
        if panellist is None:
            _refuse()
    return study, round_, panellist


def _refuse():
    if not current_user.is_authenticated:
        raise _LoginNeeded()
    require(False)


class _LoginNeeded(Exception):
    """Raised to send an anonymous visitor without a grant to the login page."""


@bp.errorhandler(_LoginNeeded)
def _login_needed(_error):
    return login_manager.unauthorized()


def _round(study: Study, number: int) -> Round:
    row = db.session.scalar(select(Round).where(Round.study_id == study.id, Round.number == number))
    if row is None or row.status is RoundStatus.draft:  # a draft is the moderator's
        abort(404)
    return row


def _get(obj, name, default=None):
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _raw(value) -> str | None:
    """A stored rating as the radio value it checks ("3", "na" or None)."""
    if isinstance(value, dict):
        if "value" not in value:
            return None
        value = value["value"]
        return CANNOT_RATE if value is None else str(value)
    return None if value is None else str(value)


def page_items(q, criteria: list[str]) -> list[dict]:
    """The questionnaire's items as plain dicts for the template:
    ``{id, code, text, background, target, feedback, own_previous: {c: v},
    values: {field name: raw}, comment}``."""
    out = []
    for view in _get(q, "items") or []:
        item_id = _get(view, "item_id", _get(view, "id"))
        feedback = _get(view, "feedback")
        answers = _get(view, "answers") or _get(view, "current") or {}
        own = {c: stats.get("own_previous")
               for c, stats in ((feedback or {}).get("criteria") or {}).items()}
        values = {}
        for criterion in criteria:
            entry = answers.get(criterion) if isinstance(answers, dict) else None
            values[rating_name(item_id, criterion)] = _raw(entry)
            values[reason_name(item_id, criterion)] = (_get(entry, "reason") or "") if entry else ""
        values[comment_name(item_id)] = _get(view, "comment") or ""
        out.append({
            "id": item_id, "code": _get(view, "code"), "text": _get(view, "text"),
            "background": _get(view, "background") or "", "target": _get(view, "target"),
            "feedback": feedback, "own_previous": own,
            "reason_required": _get(view, "reason_required") or {},
            "values": values,
        })
    return out


def _render(study, panellist, round_, *, posted=None, errors=None, message=None, status=200):
    q = rounds.questionnaire(round_, panellist, language=current_language())
    criteria = list(study.criteria or [])
    items = page_items(q, criteria)
    if posted is not None:  # show what was typed, not what is stored
        for item in items:
            for name in item["values"]:
                if name in posted:
                    item["values"][name] = posted[name]
    if errors is None and q.has_unsubmitted_changes and q.missing:
        errors = _form_names(q.missing)  # mark what keeps the changes from counting
    return render_template(
        "panel/questionnaire.html", study=study, round=round_, panellist=panellist, q=q,
        items=items, criteria=criteria, labels=rounds.scale_labels_in(study, current_language()),
        points=list(range(1, study.scale_points + 1)), form=QuestionnaireForm(),
        proposals_form=ProposalsForm(), submit_key=uuid.uuid4().hex,
        response_status=q.response_status,
        field_errors=errors or {}, message=message, CANNOT_RATE=CANNOT_RATE,
        rating_name=rating_name, reason_name=reason_name, comment_name=comment_name,
    ), status


def _status_html(state) -> str:
    """The page's status line (``panel/_answer_status.html``) for a
    :class:`rounds.AnswerState` of an open round."""
    return render_template("panel/_answer_status.html", status=state.status,
                           submitted_at=state.submitted_at, dirty=state.has_unsubmitted_changes,
                           message=state.message, round_open=True)


def _saved_text(state, changed: bool) -> str:
    """What the autosave (and the Save button) says it did, from ``state``."""
    if state.has_unsubmitted_changes:
        return state.message
    if state.status == "submitted":
        if changed:
            return _("Saved: your submitted answers are updated and count as shown.")
        return _("Saved: your submitted answers count as shown.")
    return _("Draft saved. It counts once you submit it.")


def _form_names(fields: dict[str, str]) -> dict[str, str]:
    """``"<item_id>:<criterion>.value|reason"`` keys as the form's field names."""
    out = {}
    for name, message in (fields or {}).items():
        target, _dot, part = name.rpartition(".")
        item_id, _colon, criterion = target.partition(":")
        if item_id.isdigit() and criterion:
            name = (reason_name if part == "reason" else rating_name)(int(item_id), criterion)
        out[name] = message
    return out


def _field_errors(error: DomainError, ratings) -> dict[str, str]:
    """Map the service's field names to the form's: ``ratings[i].value`` (the
    i-th posted rating) and ``"<item_id>:<criterion>.value"`` / ``.reason``
    (a missing answer or reason at submission)."""
    out = {}
    for name, message in (error.fields or {}).items():
        target, _dot, part = name.rpartition(".")
        form_name = reason_name if part == "reason" else rating_name
        if target.startswith("ratings[") and target.endswith("]"):
            index = target[len("ratings["):-1]
            if index.isdigit() and int(index) < len(ratings):
                rating = ratings[int(index)]
                name = form_name(rating.item_id, rating.criterion)
        elif ":" in target:
            item_id, _colon, criterion = target.partition(":")
            if item_id.isdigit():
                name = form_name(int(item_id), criterion)
        out[name] = message
    return out


# -- Pages -----------------------------------------------------------------------

def home_section(user) -> list[tuple[str, dict]]:
    """The member home page's "My Delphi studies" section (when on a panel)."""
    panellists = db.session.scalars(select(Panellist).where(
        Panellist.user_id == user.id, Panellist.status == PanellistStatus.active)
        .order_by(Panellist.enrolled_at)).all()
    if not panellists:
        return []
    rows = []
    for p in panellists:
        open_rounds = [r for r in p.study.rounds if r.status is RoundStatus.open]
        statuses = {}
        if open_rounds:
            statuses = dict(db.session.execute(select(Response.round_id, Response.status).where(
                Response.panellist_id == p.id,
                Response.round_id.in_([r.id for r in open_rounds]))).all())
        rows.append({"study": p.study, "rounds": [(r, statuses.get(r.id)) for r in open_rounds]})
    return [("panel/_home.html", {"panel_rows": rows})]


@bp.get("/studies/<int:study_id>")
@login_required
def study(study_id: int):
    study_, panellist = _panellist(study_id)
    visible = [r for r in study_.rounds if r.status is not RoundStatus.draft]
    statuses = dict(db.session.execute(select(Response.round_id, Response.status).where(
        Response.panellist_id == panellist.id)).all())
    return render_template("panel/study.html", study=study_, panellist=panellist, rounds=visible,
                           statuses=statuses, form=EmptyForm(), lang=current_language())


@bp.post("/studies/<int:study_id>/withdraw")
@login_required
@unit_of_work
def withdraw(study_id: int):
    study_, panellist = _panellist(study_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        rounds.withdraw_panellist(panellist, actor=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("panel.study", study_id=study_.id), 303)
    flash(_("You have withdrawn from this study. Thank you for your contribution."), "success")
    return redirect(url_for("member.home"), 303)


@bp.route("/studies/<int:study_id>/rounds/<int:number>", methods=["GET", "POST"])
@csrf.exempt  # checked below, so that an expired token loses nothing
@unit_of_work
def questionnaire(study_id: int, number: int):
    study_, round_, panellist = _answering(study_id, number)
    if request.method == "GET":
        return _render(study_, panellist, round_)
    item_ids = [ri.item_id for ri in round_.round_items]
    answers, posted = answers_from_form(request.form, item_ids, list(study_.criteria or []))
    if not QuestionnaireForm().validate_on_submit():
        return _render(study_, panellist, round_, posted=posted, status=400, message=_(
            "Your session had expired; your answers are still here, please press Save again."))
    submit = request.form.get("action") == "submit"
    before = rounds.answer_state(round_, panellist)
    try:
        rounds.save_answers(round_, panellist, answers, submit=submit,
                            submit_key=(request.form.get("submit_key") or "")[:64] or None)
    except StateError as error:
        db.session.rollback()
        return render_template("panel/closed.html", study=study_, round=round_,
                               message=error.message), error.status
    except InvalidInput as error:
        if getattr(error, "keep_changes", False):
            keep_changes()  # an incomplete submission: the answers given are kept as a draft
        return _render(study_, panellist, round_, posted=posted, status=error.status,
                       errors=_field_errors(error, answers.ratings), message=error.message)
    state = rounds.answer_state(round_, panellist)
    if submit and before.status != "submitted":
        flash(_("Thank you: your answers are submitted. You may amend them until the round closes."),
              "success")
    elif submit:
        flash(_("Your amended answers are submitted: they count as shown."), "success")
    elif state.has_unsubmitted_changes:  # the status line says why
        flash(_("Your changes are saved, but they are not counted yet."), "error")
    else:
        flash(_saved_text(state, state.submitted_at != before.submitted_at), "success")
    return redirect(url_for("panel.questionnaire", study_id=study_.id, number=number), 303)


@bp.post("/studies/<int:study_id>/rounds/<int:number>/autosave")
@unit_of_work
def autosave(study_id: int, number: int):
    """Save the answers (``questionnaire.js``). JSON: ``status`` ("draft" or
    "submitted"), ``saved_at``, ``submitted_at``, ``has_unsubmitted_changes``
    (submitted, but the answers shown do not count yet), ``fields`` (form
    field name → what keeps them from counting), ``saved_text`` (what was
    done, in the reader's language) and ``status_html`` (the page's status
    line). After a submission a save re-submits when it can (see
    :func:`rounds.save_answers`)."""
    study_, round_, panellist = _answering(study_id, number)
    item_ids = [ri.item_id for ri in round_.round_items]
    answers, _posted = answers_from_form(request.form, item_ids, list(study_.criteria or []))
    try:
        before = rounds.answer_state(round_, panellist)
        response = rounds.save_answers(round_, panellist, answers, submit=False)
    except DomainError as error:
        db.session.rollback()
        body = {"code": error.code, "message": error.message}
        if error.fields:
            body["fields"] = _field_errors(error, answers.ratings)
        return jsonify({"error": body}), error.status
    state = rounds.answer_state(round_, panellist)
    return {"status": response.status.value,
            "saved_at": response.updated_at.isoformat() if response.updated_at else None,
            "submitted_at": state.submitted_at.isoformat() if state.submitted_at else None,
            "has_unsubmitted_changes": state.has_unsubmitted_changes,
            "fields": _form_names(state.missing) if state.has_unsubmitted_changes else {},
            "saved_text": _saved_text(state, state.submitted_at != before.submitted_at),
            "status_html": _status_html(state)}


@bp.post("/studies/<int:study_id>/rounds/<int:number>/proposals")
@unit_of_work
def proposals(study_id: int, number: int):
    """An open-ended round: the panellist's free-text proposals."""
    study_, round_, panellist = _answering(study_id, number)
    if round_.kind is not RoundKind.open_ended:
        abort(404)
    form = ProposalsForm()
    if not form.validate_on_submit():
        for message in form.proposals.errors:
            flash(message, "error")
        return redirect(url_for("panel.questionnaire", study_id=study_.id, number=number), 303)
    texts = [line.strip() for line in form.proposals.data.splitlines() if line.strip()]
    try:
        rounds.submit_proposals(round_, panellist, texts)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("panel.questionnaire", study_id=study_.id, number=number), 303)
    flash(_("Thank you: %(n)d proposals are sent to the moderators.", n=len(texts)), "success")
    return redirect(url_for("panel.questionnaire", study_id=study_.id, number=number), 303)
