"""A user's own settings: the language menu of every page and the profile page."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from delphi.config import current_policy
from delphi.core.database import db
from delphi.core.errors import InvalidInput
from delphi.core.passwords import check_password
from delphi.forms import EraseAccountForm, ProfileForm
from delphi.i18n import SESSION_LANGUAGE
from delphi.services.accounts import language_problem, set_language, update_profile
from delphi.unit_of_work import unit_of_work
from delphi.views.deadlines import reader_zone
from delphi.views.guards import local_path
from rounds.erasure import erase_account, erasure_plan

bp = Blueprint("account", __name__)


def back_target() -> str:
    """Where the language menu sends the reader back to: the page it was on
    (the form's ``next``, a path; with the query of the referring page when
    that is the same page of this site), else the referring page of this
    site, else the home page. Only ever a path on this site: never an open
    redirect."""
    referrer = urlsplit(request.referrer or "")
    same_site = referrer.scheme in ("http", "https") and referrer.netloc == request.host
    came_from = local_path(referrer.path + (f"?{referrer.query}" if referrer.query else "")) \
        if same_site else None
    target = local_path(request.form.get("next"))
    if target:
        if came_from and urlsplit(came_from).path == target:
            return came_from
        return target
    return came_from or url_for("plan.index")


@bp.post("/language")
@unit_of_work
def language():
    """Set the language of this session (and of the profile when logged in),
    then go back with 303. An unknown language: 400, nothing changed."""
    code = request.form.get("language")  # the CSRF token is checked first, by CSRFProtect
    problem = language_problem(code, current_policy())
    if problem:
        return render_template("errors/error.html", status=400, title=_("Bad request"),
                               message=problem), 400
    if current_user.is_authenticated:
        set_language(current_user, code, current_policy())
    session[SESSION_LANGUAGE] = code
    with force_locale(code):
        flash(_("Language changed."), "success")
    return redirect(back_target(), 303)


@bp.route("/account/profile", methods=["GET", "POST"])
@login_required
@unit_of_work
def profile():
    """The user's language and time zone."""
    user = current_user._get_current_object()
    form = ProfileForm(time_zone=user.time_zone)
    if request.method == "GET":
        form.language.data = user.language or str(session.get(SESSION_LANGUAGE) or "en")
        form.time_zone.data = user.time_zone or "UTC"
    if user.time_zone or request.method == "POST":  # the browser's zone is only a suggestion
        form.time_zone.render_kw = {**(form.time_zone.render_kw or {}), "data-chosen": ""}
    status = 200
    if form.validate_on_submit():
        try:
            update_profile(user, language=form.language.data, time_zone=form.time_zone.data,
                           policy=current_policy())
        except InvalidInput as error:
            db.session.rollback()
            for name, message in (error.fields or {}).items():
                getattr(form, name).errors.append(message)
            status = error.status
        else:
            session[SESSION_LANGUAGE] = user.language
            with force_locale(user.language):
                flash(_("Your profile has been saved."), "success")
            return redirect(url_for("account.profile"), 303)
    elif form.errors:
        status = 422
    return render_template("account/profile.html", form=form, zone=reader_zone(user),
                           zone_chosen=bool(user.time_zone)), status


@bp.route("/account/erase", methods=["GET", "POST"])
@login_required
@unit_of_work
def erase():
    """Erase one's own account (``rounds.erasure``): the page says what
    happens to the answers in each study; the password is asked again."""
    user = current_user._get_current_object()
    plan = erasure_plan(user)
    form = EraseAccountForm()
    status = 200
    if form.validate_on_submit():
        if plan.blocked:
            flash(plan.blocked, "error")
            status = 409
        elif not check_password(user, form.password.data or ""):
            form.password.errors.append(_("This password is not right."))
            status = 422
        else:
            language = user.language or str(session.get(SESSION_LANGUAGE) or "en")
            erase_account(user, actor=user)
            logout_user()
            session.clear()
            session[SESSION_LANGUAGE] = language
            with force_locale(language):
                flash(_("Your account is erased. Thank you for your contributions."), "success")
            return redirect(url_for("plan.index"), 303)
    elif form.is_submitted():
        status = 422
    return render_template("account/erase.html", form=form, plan=plan), status
