"""Study pages for the secretariat and the study staff: studies, protocol, staff, panel.

Admin: create a study for a task force, assign moderators and researchers.
Moderator: edit the protocol (an amendment with its reason once locked),
end the study, add or withdraw panellists. Researchers see the aggregate
pages only, never names. Items are :mod:`delphi.views.items`, rounds
:mod:`delphi.views.study_rounds`; all share the ``studies`` blueprint
(:mod:`delphi.views.study_helpers`).

Every view: load or 404, check access with :mod:`delphi.access`, validate a
form, call a :mod:`rounds` service, flash, redirect 303.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
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
from delphi.core.errors import DomainError, InvalidInput
from delphi.core.models import (
    Amendment,
    Item,
    Panellist,
    StaffRole,
    Study,
    StudyStaff,
    TaskForce,
    User,
)
from delphi.forms import EmptyForm
from delphi.forms_studies import (
    QUANTILE_LABELS,
    DraftRoundForm,
    EndStudyForm,
    NewStudyForm,
    PanellistForm,
    ProtocolForm,
    SelectChoice,
    StaffForm,
)
from delphi.i18n import current_language
from delphi.services.accounts import member_by_email
from delphi.unit_of_work import unit_of_work
from delphi.views import feedback_svg
from delphi.views.confirm import confirm_page, confirmed
from delphi.views.guards import admin_required
from delphi.views.study_helpers import bp, done, failed, flash_form_errors, moderated
from rounds import safeguards
from rounds.kinds import kind_label
from rounds.stopping import stopping_reason_text
from rounds.vocabulary import status_label, verdict_label

__all__ = ["bp", "home_section"]


# -- Helpers -------------------------------------------------------------------

def _with_member(study: Study, form, act, check=None):
    """The panel and staff forms: validate ``form``, find the member by its email,
    then ``act(user)`` (a service call that returns the success message); flash
    and redirect (303) to the study page. ``check(user)``: a confirmation page
    to show first (when the action has warnings and is not confirmed), or None."""
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for("studies.show", study_id=study.id), 303)
    user = member_by_email(form.email.data)
    if user is None:
        flash(_("No member has this email address."), "error")
        return redirect(url_for("studies.show", study_id=study.id), 303)
    page = check(user) if check is not None else None
    if page is not None:
        return page
    try:
        message = act(user)
    except DomainError as error:
        return failed(error, "studies.show", study_id=study.id)
    return done(message, "studies.show", study_id=study.id)


def _refused(form: ProtocolForm, error: DomainError) -> int:
    """Show a refused protocol: the validator's messages beside their fields,
    the rest flashed; returns the status of the page."""
    db.session.rollback()
    flash(error.message, "error")
    for name, message in form.show_errors(error.fields).items():
        flash(f"{name}: {message}", "error")
    return error.status


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
    form.task_force.choices = [
        SelectChoice(tf.code, f"{tf.code} · {tf.text('label', current_language())}")
        for tf in db.session.scalars(select(TaskForce).order_by(TaskForce.code))]
    status = 200
    if request.method == "GET":
        form.fill(rounds.Protocol.default())
    elif form.validate_on_submit():
        values = form.protocol_input()
        try:
            study = rounds.create_study(form.task_force.data, values.pop("title"),
                                        actor=current_user, policy=current_policy(), **values)
        except InvalidInput as error:
            status = _refused(form, error)
        else:
            return done(_("The study is created. Now assign its moderators."), "studies.show",
                        study_id=study.id)
    return render_template("studies/new.html", form=form), 422 if form.errors else status


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
        amendments=amendments, protocol=rounds.Protocol.from_study(study), moderator=moderator,
        researcher=can_research(current_user, study),
        participation=rounds.participation(study),
        scale_labels=rounds.scale_labels_in(study, current_language()),
        staff_form=StaffForm(), panellist_form=PanellistForm(), draft_form=DraftRoundForm(),
        end_form=EndStudyForm(), empty=EmptyForm(), lang=current_language(),
        kind_label=kind_label,
        outside_panel=safeguards.outside_task_force(study) if moderator else set(),
        safeguard_warnings=(safeguards.draft_warnings(study) if moderator and study.status.value
                            != "ended" and all(r.status.value == "closed" for r in study.rounds)
                            else []))


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
        return failed(error, "studies.show", study_id=study.id)
    return done(_("Removed from the study's staff."), "studies.show", study_id=study.id)


@bp.route("/<int:study_id>/protocol", methods=["GET", "POST"])
@login_required
@unit_of_work
def protocol(study_id: int):
    study = moderated(study_id)
    form = ProtocolForm(time_zone=study.time_zone)
    locked = study.locked_at is not None
    status = 200
    if request.method == "GET":
        form.fill(rounds.Protocol.from_study(study))
    elif form.validate_on_submit():
        before = rounds.Protocol.from_study(study)
        try:
            rounds.update_protocol(study, form.protocol_input(), actor=current_user,
                                   reason=form.reason.data)
        except DomainError as error:
            status = _refused(form, error)
        else:
            if rounds.Protocol.from_study(study) == before:
                message = _("Nothing has changed.")
            elif locked:
                message = _("The protocol is saved; every change is recorded as an amendment "
                            "with its reason.")
            else:
                message = _("The protocol is saved.")
            return done(message, "studies.show", study_id=study.id)
    return render_template("studies/protocol.html", study=study, form=form, locked=locked), (
        422 if form.errors and status == 200 else status)


@bp.route("/<int:study_id>/end", methods=["GET", "POST"])
@login_required
@unit_of_work
def end(study_id: int):
    """GET, or a POST without ``confirm``: the confirmation page (what stays,
    what can no longer happen); the confirmed POST ends the study."""
    study = moderated(study_id)
    form = EndStudyForm()
    if request.method == "POST" and not form.validate_on_submit():
        abort(400)
    if not confirmed():
        return confirm_page(
            title=_("End the study?"),
            question=_("End “%(title)s”? This cannot be undone.", title=study.title),
            safeguard=safeguards.end_safeguard(study), button=_("End the study"),
            cancel=url_for("studies.show", study_id=study.id) + "#end",
            fields={"reason": (form.reason.data or "").strip()})
    try:
        rounds.end_study(study, actor=current_user, reason=(form.reason.data or "").strip())
    except DomainError as error:
        return failed(error, "studies.show", study_id=study.id)
    return done(_("The study has ended."), "studies.show", study_id=study.id)


# -- Panel ---------------------------------------------------------------------

@bp.post("/<int:study_id>/panellists")
@login_required
@unit_of_work
def add_panellist(study_id: int):
    study = moderated(study_id)

    def add(user: User) -> str:
        panellist = rounds.add_panellist(study, user, actor=current_user)
        db.session.flush()
        return _("%(name)s is on the panel as %(pseudonym)s.", name=user.name,
                 pseudonym=panellist.pseudonym)

    def check(user: User):
        found = safeguards.panel_add_safeguard(study, user)
        if found.blocked or not found.needs_confirmation or confirmed():  # the service refuses
            return None
        return confirm_page(
            title=_("Add to the panel?"), question=_("Add %(name)s to the panel?", name=user.name),
            safeguard=found, button=_("Add to the panel anyway"),
            cancel=url_for("studies.show", study_id=study.id), fields={"email": user.email},
            danger=False)

    return _with_member(study, PanellistForm(), add, check)


@bp.route("/<int:study_id>/panellists/<pseudonym>/withdraw", methods=["GET", "POST"])
@login_required
@unit_of_work
def withdraw_panellist(study_id: int, pseudonym: str):
    """GET, or a POST without ``confirm``: the confirmation page (what happens
    to their answers); the confirmed POST withdraws the panellist."""
    study = moderated(study_id)
    panellist = db.session.scalar(select(Panellist).where(
        Panellist.study_id == study.id, Panellist.pseudonym == pseudonym))
    if panellist is None:
        abort(404)
    if request.method == "POST" and not EmptyForm().validate_on_submit():
        abort(400)
    if not confirmed():
        return confirm_page(
            title=_("Withdraw %(pseudonym)s?", pseudonym=pseudonym),
            question=_("Withdraw %(name)s (%(pseudonym)s) from the panel?",
                       name=panellist.user.name, pseudonym=pseudonym),
            safeguard=safeguards.withdraw_safeguard(panellist, by_self=False),
            button=_("Withdraw %(pseudonym)s", pseudonym=pseudonym),
            cancel=url_for("studies.show", study_id=study.id))
    try:
        rounds.withdraw_panellist(panellist, actor=current_user)
    except DomainError as error:
        return failed(error, "studies.show", study_id=study.id)
    return done(_("%(pseudonym)s is withdrawn from the panel.", pseudonym=pseudonym),
                 "studies.show", study_id=study.id)


def home_section(user) -> list[tuple[str, dict]]:
    """The member home page's "Studies I run" section (staff and admins)."""
    studies = db.session.scalars(select(Study).where(Study.id.in_(select(StudyStaff.study_id).where(
        StudyStaff.user_id == user.id))).order_by(Study.id)).all()
    if not studies and not user.is_admin:
        return []
    return [("studies/_home.html", {"staff_studies": studies})]


@bp.app_context_processor
def _study_labels():
    def fmt(value):  # a figure in the reader's language, "–" for none
        return feedback_svg.fmt(value)

    def stopping_reason(reason):
        return stopping_reason_text(reason) if isinstance(reason, dict) else str(reason)

    return {"study_status_label": status_label, "round_status_label": status_label,
            "response_status_label": status_label, "verdict_label": verdict_label, "fmt": fmt,
            "stopping_reason": stopping_reason, "kind_label": kind_label,
            "quantile_label": lambda method: QUANTILE_LABELS.get(method, method)}
