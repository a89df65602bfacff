"""Study pages for the secretariat and the study staff.

Admin: create a study for a task force, assign moderators and researchers.
Moderator: edit the protocol (an amendment with its reason once locked),
items (translations, merging open-ended proposals with lineage), draft,
open and close rounds, end the study, add or withdraw panellists, and see
who has answered. Researchers see the aggregate pages only, never names.

Every view: load or 404, check access with :mod:`delphi.access`, validate a
form, call a :mod:`rounds` service, flash, redirect 303.
"""
from __future__ import annotations

from datetime import datetime, time, timezone

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

import rounds
from delphi.access import (
    can_moderate,
    can_research,
    can_view_results,
    get_study,
    require,
)
from delphi.config import current_policy
from delphi.core.database import db
from delphi.core.errors import DomainError
from delphi.core.models import (
    Amendment,
    Item,
    Panellist,
    Proposal,
    Response,
    Round,
    RoundKind,
    RoundStatus,
    StaffRole,
    Study,
    StudyStaff,
    TaskForce,
    User,
)
from delphi.forms import EmptyForm
from delphi.forms_studies import (
    DraftRoundForm,
    EndStudyForm,
    ItemForm,
    MergeForm,
    NewStudyForm,
    OpenRoundForm,
    PanellistForm,
    ProtocolForm,
    StaffForm,
    parse_criteria,
)
from delphi.i18n import current_language
from delphi.services.accounts import member_by_email
from delphi.unit_of_work import unit_of_work
from delphi.views.guards import admin_required
from rounds.stopping import stopping_reason_text
from rounds.vocabulary import status_label, verdict_label

bp = Blueprint("studies", __name__, url_prefix="/studies")


# -- Helpers -------------------------------------------------------------------

def _round(study: Study, number: int) -> Round:
    row = db.session.scalar(select(Round).where(Round.study_id == study.id, Round.number == number))
    if row is None:
        abort(404)
    return row


def _item(study: Study, item_id: int) -> Item:
    item = db.session.get(Item, item_id)
    if item is None or item.study_id != study.id:
        abort(404)
    return item


def _moderated(study_id: int) -> Study:
    study = get_study(study_id)
    require(can_moderate(current_user, study))
    return study


def _done(message: str, endpoint: str, **values):
    flash(message, "success")
    return redirect(url_for(endpoint, **values), 303)


def _failed(error: DomainError, endpoint: str, **values):
    db.session.rollback()
    flash(error.message, "error")
    for name, message in (error.fields or {}).items():
        flash(f"{name}: {message}", "error")
    return redirect(url_for(endpoint, **values), 303)


def _form_errors(form) -> None:
    for name, messages in form.errors.items():
        label = getattr(getattr(form, name, None), "label", None)
        for message in messages:
            flash(f"{label.text if label else name}: {message}", "error")


def _with_member(study: Study, form, act):
    """The panel and staff forms: validate ``form``, find the member by its email,
    then ``act(user)`` (a service call that returns the success message); flash
    and redirect (303) to the study page."""
    if not form.validate_on_submit():
        _form_errors(form)
        return redirect(url_for("studies.show", study_id=study.id), 303)
    user = member_by_email(form.email.data)
    if user is None:
        flash(_("No member has this email address."), "error")
        return redirect(url_for("studies.show", study_id=study.id), 303)
    try:
        message = act(user)
    except DomainError as error:
        return _failed(error, "studies.show", study_id=study.id)
    return _done(message, "studies.show", study_id=study.id)


def _cutoff(value) -> datetime | None:
    return datetime.combine(value, time.min, tzinfo=timezone.utc) if value else None


def _protocol_values(form: ProtocolForm) -> dict:
    """The protocol fields of a valid form, named as the study's columns."""
    points = int(form.scale_points.data)
    labels = [line.strip() for line in (form.scale_labels.data or "").splitlines() if line.strip()]
    values = {
        "title": form.title.data.strip(), "description": (form.description.data or "").strip(),
        "scale_points": points, "scale_labels": labels or None,
        "criteria": parse_criteria(form.criteria.data),
        "min_n": form.min_n.data, "max_rounds": form.max_rounds.data,
        "stop_w_threshold": form.stop_w_threshold.data,
        "panel_cutoff": _cutoff(form.panel_cutoff.data),
        "show_distribution": form.show_distribution.data, "show_median_iqr": form.show_median_iqr.data,
        "show_comments": form.show_comments.data,
        "require_reason_outside_iqr": form.require_reason_outside_iqr.data,
        "carry_forward": form.carry_forward.data,
    }
    if points != 9:  # on 9 points the study keeps RAND/UCLA (the default)
        values["consensus"] = {
            "kind": "rule",
            "iqr_max": form.iqr_max.data if form.iqr_max.data is not None else 1,
            "agreement_min": form.agreement_min.data if form.agreement_min.data is not None else 0.7}
    return values


def _fill_protocol(form: ProtocolForm, study: Study) -> None:
    form.title.data = study.title
    form.description.data = study.description
    form.scale_points.data = str(study.scale_points)
    form.scale_labels.data = "\n".join(study.scale_labels or [])
    form.criteria.data = ", ".join(study.criteria or [])
    rule = study.consensus_rule or {}
    form.iqr_max.data = rule.get("iqr_max")
    form.agreement_min.data = rule.get("agreement_min")
    form.min_n.data = study.min_n
    form.max_rounds.data = study.max_rounds
    form.stop_w_threshold.data = study.stop_w_threshold
    form.panel_cutoff.data = study.panel_cutoff.date() if study.panel_cutoff else None
    form.show_distribution.data = study.show_distribution
    form.show_median_iqr.data = study.show_median_iqr
    form.show_comments.data = study.show_comments
    form.require_reason_outside_iqr.data = study.require_reason_outside_iqr
    form.carry_forward.data = study.carry_forward.value


# -- Studies -------------------------------------------------------------------

@bp.get("/")
@login_required
def index():
    query = select(Study).order_by(Study.id)
    if not current_user.is_admin:
        query = query.where(Study.id.in_(select(StudyStaff.study_id).where(
            StudyStaff.user_id == current_user.id)))
    return render_template("studies/index.html", studies=db.session.scalars(query).all(),
                           lang=current_language())


@bp.route("/new", methods=["GET", "POST"])
@admin_required
@unit_of_work
def new():
    form = NewStudyForm()
    form.task_force.choices = [(tf.code, f"{tf.code} · {tf.text('label', current_language())}")
                               for tf in db.session.scalars(select(TaskForce).order_by(TaskForce.code))]
    if form.validate_on_submit():
        values = _protocol_values(form)
        task_force = db.session.scalar(select(TaskForce).where(TaskForce.code == form.task_force.data))
        try:
            study = rounds.create_study(task_force, values.pop("title"), actor=current_user, **values)
            db.session.flush()
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            return _done(_("The study is created. Now assign its moderators."), "studies.show",
                         study_id=study.id)
    return render_template("studies/new.html", form=form), 422 if form.errors else 200


@bp.get("/<int:study_id>")
@login_required
def show(study_id: int):
    study = get_study(study_id)
    require(can_view_results(current_user, study))
    moderator = can_moderate(current_user, study)
    items = db.session.scalars(select(Item).where(Item.study_id == study.id).order_by(Item.id)).all()
    panel = []
    if moderator:
        panel = db.session.scalars(select(Panellist).where(Panellist.study_id == study.id)
                                   .order_by(Panellist.enrolled_at, Panellist.id)).all()
    amendments = db.session.scalars(select(Amendment).where(Amendment.study_id == study.id)
                                    .order_by(Amendment.at)).all()
    staff = db.session.scalars(select(StudyStaff).where(StudyStaff.study_id == study.id)).all()
    return render_template(
        "studies/show.html", study=study, items=items, panel=panel, staff=staff,
        amendments=amendments, moderator=moderator, researcher=can_research(current_user, study),
        participation=rounds.participation(study),
        scale_labels=rounds.scale_labels_in(study, current_language()),
        staff_form=StaffForm(), panellist_form=PanellistForm(), draft_form=DraftRoundForm(),
        end_form=EndStudyForm(), empty=EmptyForm(), lang=current_language())


@bp.post("/<int:study_id>/staff")
@admin_required
@unit_of_work
def assign_staff(study_id: int):
    study = get_study(study_id)
    form = StaffForm()

    def assign(user: User) -> str:
        rounds.assign_staff(study, user, StaffRole(form.role.data), actor=current_user)
        return _("%(name)s is now %(role)s of this study.", name=user.name, role=form.role.data)

    return _with_member(study, form, assign)


@bp.post("/<int:study_id>/staff/<int:staff_id>/remove")
@admin_required
@unit_of_work
def remove_staff(study_id: int, staff_id: int):
    study = get_study(study_id)
    row = db.session.get(StudyStaff, staff_id)
    if row is None or row.study_id != study.id:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        rounds.remove_staff(study, row.user, row.role, actor=current_user)
    except DomainError as error:
        return _failed(error, "studies.show", study_id=study.id)
    return _done(_("Removed from the study's staff."), "studies.show", study_id=study.id)


@bp.route("/<int:study_id>/protocol", methods=["GET", "POST"])
@login_required
@unit_of_work
def protocol(study_id: int):
    study = _moderated(study_id)
    form = ProtocolForm()
    locked = study.locked_at is not None
    if request.method == "GET":
        _fill_protocol(form, study)
    elif form.validate_on_submit():
        values = _protocol_values(form)
        if values["scale_labels"] is None:
            values.pop("scale_labels")  # keep the study's labels
        try:
            rounds.update_protocol(study, values, actor=current_user,
                                   reason=(form.reason.data or "").strip() or None)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
            for name, message in (error.fields or {}).items():
                target = getattr(form, name if name != "consensus" else "iqr_max", None)
                if target is not None and hasattr(target, "errors"):
                    target.errors = list(target.errors) + [message]
                else:
                    flash(f"{name}: {message}", "error")
            return render_template("studies/protocol.html", study=study, form=form,
                                   locked=locked), error.status
        return _done(_("The protocol is saved.") if not locked else
                     _("The protocol is saved; every change is recorded as an amendment with its reason."),
                     "studies.show", study_id=study.id)
    return render_template("studies/protocol.html", study=study, form=form, locked=locked), (
        422 if form.errors else 200)


@bp.post("/<int:study_id>/end")
@login_required
@unit_of_work
def end(study_id: int):
    study = _moderated(study_id)
    form = EndStudyForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        rounds.end_study(study, actor=current_user, reason=(form.reason.data or "").strip())
    except DomainError as error:
        return _failed(error, "studies.show", study_id=study.id)
    return _done(_("The study has ended."), "studies.show", study_id=study.id)


# -- Panel ---------------------------------------------------------------------

@bp.post("/<int:study_id>/panellists")
@login_required
@unit_of_work
def add_panellist(study_id: int):
    study = _moderated(study_id)

    def add(user: User) -> str:
        panellist = rounds.add_panellist(study, user, actor=current_user)
        db.session.flush()
        return _("%(name)s is on the panel as %(pseudonym)s.", name=user.name,
                 pseudonym=panellist.pseudonym)

    return _with_member(study, PanellistForm(), add)


@bp.post("/<int:study_id>/panellists/<pseudonym>/withdraw")
@login_required
@unit_of_work
def withdraw_panellist(study_id: int, pseudonym: str):
    study = _moderated(study_id)
    panellist = db.session.scalar(select(Panellist).where(
        Panellist.study_id == study.id, Panellist.pseudonym == pseudonym))
    if panellist is None:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        rounds.withdraw_panellist(panellist, actor=current_user)
    except DomainError as error:
        return _failed(error, "studies.show", study_id=study.id)
    return _done(_("%(pseudonym)s is withdrawn from the panel.", pseudonym=pseudonym),
                 "studies.show", study_id=study.id)


# -- Items -----------------------------------------------------------------------

@bp.route("/<int:study_id>/items/new", methods=["GET", "POST"])
@login_required
@unit_of_work
def new_item(study_id: int):
    study = _moderated(study_id)
    form = ItemForm()
    if form.validate_on_submit():
        try:
            item = rounds.add_item(study, form.text.data.strip(), actor=current_user,
                                   background=(form.background.data or "").strip(),
                                   target=form.target.data or None, translations=form.translations())
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            return _done(_("Item %(code)s is added.", code=item.code), "studies.show", study_id=study.id)
    return render_template("studies/item.html", study=study, form=form, item=None), (
        422 if form.errors else 200)


@bp.route("/<int:study_id>/items/<int:item_id>", methods=["GET", "POST"])
@login_required
@unit_of_work
def edit_item(study_id: int, item_id: int):
    study = _moderated(study_id)
    item = _item(study, item_id)
    form = ItemForm()
    if request.method == "GET":
        form.text.data, form.background.data = item.text, item.background
        form.target.data = item.target or ""
        fr = (item.translations or {}).get("fr") or {}
        form.text_fr.data, form.background_fr.data = fr.get("text", ""), fr.get("background", "")
    elif form.validate_on_submit():
        try:
            if request.form.get("as_new"):
                new_item_ = rounds.reword_item(item, form.text.data.strip(), actor=current_user)
                message = _("Item %(code)s is a rewording of %(old)s.", code=new_item_.code, old=item.code)
            else:
                rounds.update_item(item, actor=current_user, text=form.text.data.strip(),
                                   background=(form.background.data or "").strip(),
                                   target=form.target.data or None, translations=form.translations())
                message = _("Item %(code)s is updated.", code=item.code)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
            return render_template("studies/item.html", study=study, form=form, item=item), error.status
        return _done(message, "studies.show", study_id=study.id)
    return render_template("studies/item.html", study=study, form=form, item=item), (
        422 if form.errors else 200)


@bp.route("/<int:study_id>/rounds/<int:number>/merge", methods=["GET", "POST"])
@login_required
@unit_of_work
def merge(study_id: int, number: int):
    """Turn an open-ended round's proposals into an item, keeping their ids (lineage)."""
    study = _moderated(study_id)
    round_ = _round(study, number)
    proposals = db.session.scalars(select(Proposal).where(Proposal.round_id == round_.id)
                                   .order_by(Proposal.id)).all()
    items = db.session.scalars(select(Item).where(Item.study_id == study.id).order_by(Item.id)).all()
    form = MergeForm()
    if form.validate_on_submit():
        known = {p.id for p in proposals}
        chosen = [int(v) for v in request.form.getlist("proposal") if v.isdigit() and int(v) in known]
        from_items = [i for i in items if str(i.id) in request.form.getlist("from_item")]
        if not chosen and not from_items:
            flash(_("Tick the proposals (or items) the new item comes from."), "error")
        else:
            try:
                item = rounds.item_from_proposals(study, form.text.data.strip(), chosen,
                                                  actor=current_user, from_items=from_items)
            except DomainError as error:
                db.session.rollback()
                flash(error.message, "error")
            else:
                return _done(_("Item %(code)s is made from %(n)d proposals.", code=item.code,
                               n=len(chosen)), "studies.merge", study_id=study.id, number=number)
    return render_template("studies/merge.html", study=study, round=round_, proposals=proposals,
                           items=items, form=form), 422 if form.errors else 200


# -- Rounds ----------------------------------------------------------------------

@bp.post("/<int:study_id>/rounds")
@login_required
@unit_of_work
def draft_round(study_id: int):
    study = _moderated(study_id)
    form = DraftRoundForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        round_ = rounds.draft_round(study, actor=current_user, kind=RoundKind(form.kind.data),
                                    policy=current_policy())
    except DomainError as error:
        return _failed(error, "studies.show", study_id=study.id)
    return _done(_("Round %(n)d is drafted: choose its items, then open it.", n=round_.number),
                 "studies.round_page", study_id=study.id, number=round_.number)


@bp.route("/<int:study_id>/rounds/<int:number>", methods=["GET", "POST"])
@login_required
@unit_of_work
def round_page(study_id: int, number: int):
    study = get_study(study_id)
    require(can_view_results(current_user, study))
    round_ = _round(study, number)
    moderator = can_moderate(current_user, study)
    if request.method == "POST":
        # Edit the draft's item list (moderators only).
        require(moderator)
        if not EmptyForm().validate_on_submit():
            abort(400)
        wanted = set(request.form.getlist("item"))
        items = [i for i in db.session.scalars(select(Item).where(Item.study_id == study.id)
                                               .order_by(Item.id)) if str(i.id) in wanted]
        try:
            rounds.set_round_items(round_, items, actor=current_user, policy=current_policy())
        except DomainError as error:
            return _failed(error, "studies.round_page", study_id=study.id, number=number)
        return _done(_("The round's items are saved."), "studies.round_page",
                     study_id=study.id, number=number)
    results = rounds.round_results(round_) if round_.status is RoundStatus.closed else None
    answered = []
    if moderator and round_.status is not RoundStatus.draft:
        # Moderators see who has answered, to remind them; researchers never do.
        answered = db.session.execute(
            select(User.name, Panellist.pseudonym, Response.status, Response.submitted_at)
            .join(Panellist, Panellist.user_id == User.id)
            .join(Response, Response.panellist_id == Panellist.id)
            .where(Response.round_id == round_.id).order_by(User.name)).all()
    all_items = db.session.scalars(select(Item).where(Item.study_id == study.id).order_by(Item.id)).all()
    proposals_count = db.session.scalar(
        select(db.func.count()).select_from(Proposal).where(Proposal.round_id == round_.id))
    return render_template(
        "studies/round.html", study=study, round=round_, moderator=moderator, results=results,
        answered=answered, all_items=all_items, in_round={ri.item_id for ri in round_.round_items},
        proposals_count=proposals_count, open_form=OpenRoundForm(), empty=EmptyForm(),
        lang=current_language())


@bp.post("/<int:study_id>/rounds/<int:number>/open")
@login_required
@unit_of_work
def open_round(study_id: int, number: int):
    study = _moderated(study_id)
    round_ = _round(study, number)
    form = OpenRoundForm()
    if not form.validate_on_submit():
        _form_errors(form)
        return redirect(url_for("studies.round_page", study_id=study.id, number=number), 303)
    closes_at = form.closes_at.data.replace(tzinfo=timezone.utc) if form.closes_at.data else None
    try:
        rounds.open_round(round_, actor=current_user, closes_at=closes_at)
    except DomainError as error:
        return _failed(error, "studies.round_page", study_id=study.id, number=number)
    return _done(_("Round %(n)d is open.", n=number), "studies.round_page", study_id=study.id, number=number)


@bp.post("/<int:study_id>/rounds/<int:number>/close")
@login_required
@unit_of_work
def close_round(study_id: int, number: int):
    study = _moderated(study_id)
    round_ = _round(study, number)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        report = rounds.close_round(round_, actor=current_user, policy=current_policy())
    except DomainError as error:
        return _failed(error, "studies.round_page", study_id=study.id, number=number)
    if report.next_round is not None:
        message = _("Round %(n)d is closed; round %(next)d is drafted from it.", n=number,
                    next=report.next_round.number)
    else:
        message = _("Round %(n)d is closed; the stopping rule says the study may end.", n=number)
    return _done(message, "studies.round_page", study_id=study.id, number=number)


def home_section(user) -> list[tuple[str, dict]]:
    """The member home page's "Studies I run" section (staff and admins)."""
    studies = db.session.scalars(select(Study).where(Study.id.in_(select(StudyStaff.study_id).where(
        StudyStaff.user_id == user.id))).order_by(Study.id)).all()
    if not studies and not user.is_admin:
        return []
    return [("studies/_home.html", {"staff_studies": studies})]



@bp.app_context_processor
def _study_labels():
    def fmt(value):
        if value is None:
            return "–"
        return f"{value:.2f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)

    def stopping_reason(reason):
        return stopping_reason_text(reason) if isinstance(reason, dict) else str(reason)

    return {"study_status_label": status_label, "round_status_label": status_label,
            "response_status_label": status_label, "verdict_label": verdict_label, "fmt": fmt,
            "stopping_reason": stopping_reason}
