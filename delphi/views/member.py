"""The member's own pages: their task forces, joining one."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from delphi.core.database import db
from delphi.core.errors import DomainError
from delphi.core.models import Membership, TaskForceRole
from delphi.forms import JoinForm
from delphi.i18n import current_language
from delphi.services.accounts import find_region
from delphi.services.membership import join, task_force_by_code
from delphi.unit_of_work import unit_of_work
from delphi.views import dashboard, panel, studies
from delphi.views.auth import region_choices

bp = Blueprint("member", __name__)


def home_sections(user) -> list[tuple[str, dict]]:
    """The sections of the member's home page: ``(template, context)`` pairs."""
    return panel.home_section(user) + studies.home_section(user) + dashboard.home_section(user)


@bp.get("/me")
@login_required
def home():
    memberships = db.session.scalars(
        select(Membership).where(Membership.user_id == current_user.id).order_by(Membership.joined_at)
    ).all()
    return render_template("member/home.html", memberships=memberships, lang=current_language(),
                           sections=home_sections(current_user))


@bp.route("/task-forces/<code>/join", methods=["GET", "POST"])
@login_required
@unit_of_work
def join_view(code: str):
    tf = task_force_by_code(code)
    form = JoinForm()
    form.region.choices = region_choices()
    if not form.is_submitted() and current_user.region:
        form.region.data = current_user.region.name
    status = 200
    if form.validate_on_submit():
        try:
            membership = join(current_user, tf, TaskForceRole(form.role.data), find_region(form.region.data))
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
            status = error.status
        else:
            if membership.status.value == "pending":
                flash(_("Thank you! Your application to task force %(code)s waits for the "
                        "secretariat's approval.", code=tf.code), "success")
            else:
                flash(_("Welcome to task force %(code)s!", code=tf.code), "success")
            return redirect(url_for("member.home"))
    elif form.errors:
        status = 422
    may_lead = bool(current_user.organisation and current_user.organisation.may_lead)
    return render_template("member/join.html", tf=tf, form=form, may_lead=may_lead,
                           lang=current_language()), status
