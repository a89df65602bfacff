"""Registration, login, logout and password change."""
from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from wtforms import SelectChoice

from delphi import two_factor
from delphi.config import current_policy
from delphi.core.database import db
from delphi.core.errors import DomainError
from delphi.core.models import Organisation, Region, utcnow
from delphi.forms import CodeForm, LoginForm, PasswordChangeForm, RegistrationForm
from delphi.i18n import SESSION_LANGUAGE, region_label
from delphi.security import authenticate, client_address, load_user, record_failed_login
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
                language=form.language.data, consent=bool(form.consent.data),
                time_zone=form.time_zone.data or None), policy=current_policy())
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
        if user is not None and two_factor.enabled(user):
            target = safe_next(url_for("member.home"))
            session.clear()  # a fresh session at login (no fixation)
            session["two_factor"] = {"user": user.get_id(), "at": int(utcnow().timestamp()),
                                     "next": target, "failures": 0}
            return redirect(url_for("auth.login_code"), 303)
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


#: How long the code step of a login waits after the password (seconds).
CODE_STEP_SECONDS = 300
#: Wrong codes before the login starts again from the password.
CODE_FAILURES = 5


@bp.route("/login/code", methods=["GET", "POST"])
@unit_of_work
def login_code():
    """The second step of an admin's login with two-factor login on: the code."""
    pending = session.get("two_factor") or {}
    user = load_user(str(pending.get("user", "")))
    if user is None or int(utcnow().timestamp()) - int(pending.get("at", 0)) > CODE_STEP_SECONDS:
        session.pop("two_factor", None)
        flash(_("Please log in again."), "error")
        return redirect(url_for("auth.login"), 303)
    form = CodeForm()
    status = 200
    if form.validate_on_submit():
        if two_factor.check_code(user, form.code.data):
            target = pending.get("next") or url_for("member.home")
            session.clear()
            login_user(user)
            return redirect(safe_next(target), 303)
        record_failed_login(user.email, client_address())
        keep_changes()
        pending["failures"] = int(pending.get("failures", 0)) + 1
        if pending["failures"] >= CODE_FAILURES:
            session.pop("two_factor", None)
            flash(_("Too many wrong codes: please log in again."), "error")
            return redirect(url_for("auth.login"), 303)
        session["two_factor"] = pending
        form.code.errors.append(_("This code is not right, or was used already. Enter the code "
                                  "your app shows now."))
        status = 401
    elif form.errors:
        status = 422
    return render_template("auth/login_code.html", form=form), status


@bp.route("/account/two-factor", methods=["GET", "POST"])
@login_required
@unit_of_work
def two_factor_setup():
    """Admins turn two-factor login on (with a code from their app) or off."""
    user = current_user._get_current_object()
    if not user.is_admin:
        abort(403)
    form = CodeForm()
    status = 200
    if not two_factor.enabled(user):
        secret = session.get("two_factor_secret") or two_factor.new_secret()
        session["two_factor_secret"] = secret
        if form.validate_on_submit():
            if two_factor.turn_on(user, secret, form.code.data):
                session.pop("two_factor_secret", None)
                flash(_("Two-factor login is on: from now on you log in with your password "
                        "and a code from your app."), "success")
                return redirect(url_for("auth.two_factor_setup"), 303)
            form.code.errors.append(_("This code is not right. Enter the code your app shows now."))
            status = 422
        elif form.errors:
            status = 422
        return render_template("auth/two_factor.html", form=form, secret=secret,
                               uri=two_factor.provisioning_uri(user, secret), on=False,
                               required=two_factor.required(user)), status
    if form.validate_on_submit():
        if current_app.config.get("ADMIN_TOTP_REQUIRED"):
            flash(_("Two-factor login is required for admins here: it cannot be turned off."),
                  "error")
            return redirect(url_for("auth.two_factor_setup"), 303)
        if two_factor.turn_off(user, form.code.data):
            flash(_("Two-factor login is off."), "success")
            return redirect(url_for("auth.two_factor_setup"), 303)
        form.code.errors.append(_("This code is not right. Enter the code your app shows now."))
        status = 422
    elif form.errors:
        status = 422
    return render_template("auth/two_factor.html", form=form, on=True, required=False), status


#: Pages an admin who must set up two-factor login may still open.
_SETUP_ENDPOINTS = frozenset({"auth.two_factor_setup", "auth.logout", "auth.login_code", "static"})


@bp.before_app_request
def _two_factor_first():
    """With ``ADMIN_TOTP_REQUIRED``, an admin without two-factor login sets it up first."""
    if request.path.startswith("/api/") or request.endpoint in _SETUP_ENDPOINTS:
        return None
    if current_user.is_authenticated and two_factor.required(current_user):
        flash(_("Admins must set up two-factor login before anything else."), "error")
        return redirect(url_for("auth.two_factor_setup"), 303)
    return None


@bp.post("/logout")
@login_required
@unit_of_work
def logout():
    """Log out: every session of the user ends, and so do their API tokens."""
    sign_out_everywhere(current_user)
    logout_user()
    language = session.get(SESSION_LANGUAGE)
    session.clear()
    if language:  # the language chosen stays with the browser
        session[SESSION_LANGUAGE] = language
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
