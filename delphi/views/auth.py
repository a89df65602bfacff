"""Registration, login, logout and password change."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from wtforms import SelectChoice

from delphi.config import current_policy
from delphi.core.database import db
from delphi.core.errors import DomainError
from delphi.core.models import Organisation, Region
from delphi.forms import LoginForm, PasswordChangeForm, RegistrationForm
from delphi.i18n import region_label
from delphi.security import authenticate
from delphi.services.accounts import (
    Registration,
    change_password,
    register_self,
    registration_answer,
    sign_out_everywhere,
)
from delphi.unit_of_work import keep_changes, unit_of_work
from delphi.views.guards import safe_next

bp = Blueprint("auth", __name__)


def region_choices() -> list[SelectChoice]:
    return [SelectChoice(r.name, region_label(r))
            for r in db.session.scalars(select(Region).order_by(Region.position))]


@bp.route("/register", methods=["GET", "POST"])
@unit_of_work
def register_view():
    """Register. The answer is the same whether or not the address has an account
    (``register_self`` mails its owner instead): the new member then logs in."""
    form = RegistrationForm()
    form.region.choices = region_choices()
    status = 200
    if form.validate_on_submit():
        try:
            register_self(Registration(
                email=form.email.data, password=form.password.data, name=form.name.data,
                organisation=form.organisation.data, country=form.country.data,
                region=form.region.data, stakeholder_group=form.stakeholder_group.data,
                language=form.language.data, consent=bool(form.consent.data)), policy=current_policy())
        except DomainError as error:
            db.session.rollback()
            for name, message in (error.fields or {}).items():
                getattr(form, name).errors.append(message) if hasattr(form, name) else None
            flash(error.message, "error")
            status = error.status
        else:
            flash(registration_answer(), "success")
            return redirect(url_for("auth.login"), 303)
    organisations = db.session.scalars(select(Organisation.name).order_by(Organisation.name)).all()
    if status == 200 and form.errors:
        status = 422
    return render_template("auth/register.html", form=form, organisations=organisations), status


@bp.route("/login", methods=["GET", "POST"])
@unit_of_work
def login():
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        user, reason = authenticate(form.email.data, form.password.data)
        keep_changes()  # a failed attempt is kept whatever the answer: it counts towards the throttle
        if user is not None:
            session.clear()  # a fresh session at login (no fixation)
            login_user(user)
            return redirect(safe_next(url_for("member.home")))
        if reason == "throttled":
            flash(_("Too many failed logins. Please wait a few minutes before trying again."), "error")
            status = 429
        else:
            flash(_("Wrong email or password."), "error")
            status = 401
    elif form.errors:
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
@unit_of_work
def logout():
    """Log out: every session of the user ends, and so do their API tokens."""
    sign_out_everywhere(current_user)
    logout_user()
    session.clear()
    flash(_("You have logged out."), "success")
    return redirect(url_for("plan.index"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@unit_of_work
def password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            change_password(current_user, form.current_password.data, form.new_password.data)
        except DomainError as error:
            db.session.rollback()
            for name, message in (error.fields or {}).items():
                getattr(form, name).errors.append(message)
        else:
            # This session continues (with the new session version); all others end.
            # Pass the user itself: a LocalProxy would make current_user recurse.
            login_user(current_user._get_current_object())
            flash(_("Your password has been changed. Other sessions have been logged out."), "success")
            return redirect(url_for("member.home"))
    return render_template("auth/password.html", form=form), (422 if form.errors else 200)
