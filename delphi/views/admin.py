"""The secretariat's pages: organisations' status, applications, composition, the
plan's indicators."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from delphi.core.database import db
from delphi.core.errors import DomainError
from delphi.core.models import (
    ApprovalStatus,
    Indicator,
    Membership,
    MembershipStatus,
    Organisation,
    TaskForce,
)
from delphi.forms import (
    INDICATOR_LANGUAGES,
    DecisionForm,
    IndicatorForm,
    OrganisationStatusForm,
)
from delphi.i18n import current_language
from delphi.services.accounts import set_organisation_status
from delphi.services.membership import (
    composition,
    decide,
    member_regions,
    task_force_by_code,
)
from delphi.services.plan import update_indicator
from delphi.unit_of_work import unit_of_work
from delphi.views.confirm import confirm_page, confirmed
from delphi.views.guards import admin_required
from rounds import safeguards

bp = Blueprint("admin", __name__, url_prefix="/admin")

#: The secretariat's menu beyond its own pages: ``(endpoint, label)`` pairs.
ADMIN_LINKS = (("studies.index", _l("Delphi studies")),)


@bp.app_context_processor
def _admin_links():
    return {"admin_links": lambda: ADMIN_LINKS}


@bp.get("/")
@admin_required
def index():
    return redirect(url_for("admin.applications"))


@bp.get("/organisations")
@admin_required
def organisations():
    rows = db.session.scalars(select(Organisation).order_by(Organisation.name)).all()
    forms = {}
    for org in rows:
        form = OrganisationStatusForm(prefix=f"o{org.id}")
        form.status.data = org.status.value
        forms[org.id] = form
    return render_template("admin/organisations.html", organisations=rows, forms=forms)


@bp.post("/organisations/<int:org_id>/status")
@admin_required
@unit_of_work
def organisation_status(org_id: int):
    org = db.session.get(Organisation, org_id) or abort(404)
    form = OrganisationStatusForm(prefix=f"o{org.id}")
    if not form.validate_on_submit():
        flash(_("Choose member, partner or none."), "error")
        return redirect(url_for("admin.organisations")), 303
    set_organisation_status(current_user, org, MembershipStatus(form.status.data))
    flash(_("%(name)s is now: %(status)s.", name=org.name, status=form.status.data), "success")
    return redirect(url_for("admin.organisations"), 303)


@bp.get("/applications")
@admin_required
def applications():
    pending = db.session.scalars(
        select(Membership).where(Membership.status == ApprovalStatus.pending)
        .order_by(Membership.joined_at)).all()
    task_forces = db.session.scalars(select(TaskForce).order_by(TaskForce.code)).all()
    warnings = {m.id: safeguards.approval_safeguard(m).warnings for m in pending}
    return render_template("admin/applications.html", pending=pending, task_forces=task_forces,
                           form=DecisionForm(), lang=current_language(), warnings=warnings)


@bp.post("/applications/<int:membership_id>")
@admin_required
@unit_of_work
def decide_application(membership_id: int):
    membership = db.session.get(Membership, membership_id) or abort(404)
    form = DecisionForm()
    if not form.validate_on_submit():
        flash(_("Choose approve or decline."), "error")
        return redirect(url_for("admin.applications"), 303)
    approve = form.decision.data == "approve"
    check = safeguards.approval_safeguard(membership) if approve else None
    if check is not None and check.needs_confirmation and not confirmed():
        return confirm_page(
            title=_("Approve a second Global Leader?"),
            question=_("Approve %(name)s as Global Leader of %(code)s?", name=membership.user.name,
                       code=membership.task_force.code),
            safeguard=check, button=_("Approve anyway"), cancel=url_for("admin.applications"),
            fields={"decision": "approve"}, danger=False)
    try:
        decide(current_user, membership, approve)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("admin.applications"), 303)
    flash(_("Application decided."), "success")
    return redirect(url_for("admin.applications"), 303)


@bp.get("/task-forces/<code>")
@admin_required
def task_force(code: str):
    tf = task_force_by_code(code)
    members = db.session.scalars(
        select(Membership).where(Membership.task_force_id == tf.id).order_by(Membership.joined_at)).all()
    return render_template("admin/task_force.html", tf=tf, members=members,
                           regions=member_regions(tf), composition=composition(tf),
                           lang=current_language())


@bp.route("/indicators/<int:indicator_id>", methods=["GET", "POST"])
@admin_required
@unit_of_work
def indicator(indicator_id: int):
    """Edit an indicator of the plan: the service checks every field; errors
    are shown beside them (422), a save flashes and goes back to the plan (303)."""
    row = db.session.get(Indicator, indicator_id) or abort(404)
    form = IndicatorForm()
    if not form.is_submitted():
        form.fill(row)
    status = 200
    if form.validate_on_submit():
        try:
            changed = update_indicator(row, form.changes(), actor=current_user)
        except DomainError as error:
            db.session.rollback()
            form.show_errors(error.fields)
            flash(error.message, "error")
            status = error.status
        else:
            flash(_("The indicator is saved.") if changed else _("Nothing has changed."), "success")
            return redirect(url_for("plan.task_force", code=row.task_force.code,
                                    _anchor=f"indicator-{row.id}"), 303)
    elif form.errors:
        flash(_("Please correct the fields shown."), "error")
        status = 422
    return render_template("admin/indicator.html", indicator=row, tf=row.task_force, form=form,
                           languages=INDICATOR_LANGUAGES, lang=current_language()), status
