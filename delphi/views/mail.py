"""Magic-link landing, new links, opting out of reminders, the moderator's reminders.

``GET /q/<token>`` does not use the link: it shows what the link opens and a
button that POSTs back. Mail security scanners and link previews fetch every
URL in a message with GET; if GET used the link, a scanner would burn it
before the panellist ever clicked. Only the POST (a person pressing the
button, CSRF-protected) uses it and stores the grant in the session, then
redirects to the questionnaire (``panel.questionnaire``).
"""
from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from delphi import access
from delphi.core.database import db
from delphi.core.errors import DomainError
from delphi.core.models import Round, RoundStatus, utcnow
from delphi.extensions import login_manager
from delphi.i18n import when
from delphi.mail import links, reminders
from delphi.mail.forms import NewLinkForm, OptOutForm, RemindForm
from delphi.mail.signals import connect as connect_mail
from delphi.unit_of_work import unit_of_work
from delphi.views.confirm import confirm_page, confirmed
from rounds import safeguards

bp = Blueprint("mail", __name__)


@bp.record_once
def _connect_signals(_state) -> None:
    connect_mail()


def _no_referrer(response):
    """The token is in the URL: never send it on as a Referer, never cache the page."""
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


def _refused(error: links.LinkRefused):
    """A used or expired link (410) or an unknown one (404), with the form for a new link."""
    page = render_template("mail/link_refused.html", message=error.message, form=NewLinkForm())
    return _no_referrer(_response(page, 404 if error.reason == "unknown" else 410))


def _response(body, status):
    return make_response(body, status)


@bp.get("/q/<token>")
def landing(token: str):
    try:
        target = links.check(token)
    except links.LinkRefused as error:
        return _refused(error)
    page = render_template("mail/link_landing.html", study=target.round.study, round=target.round,
                           form=RemindForm())
    return _no_referrer(_response(page, 200))


@bp.post("/q/<token>")
@unit_of_work
def use_link(token: str):
    if not RemindForm().validate_on_submit():   # the CSRF token only
        abort(400)
    try:
        target = links.redeem(token)
    except links.LinkRefused as error:
        db.session.rollback()
        return _refused(error)
    study_id, number = target.round.study_id, target.round.number
    links.grant(target)
    return _no_referrer(redirect(
        url_for("panel.questionnaire", study_id=study_id, number=number), 303))


@bp.route("/q/new", methods=["GET", "POST"])
@unit_of_work
def new_link():
    form = NewLinkForm()
    status = 200
    if form.validate_on_submit():
        links.request_new_links(form.email.data)
        flash(_("If this address belongs to a panellist of a round that is open, a new link "
                "is on its way. Please check your mailbox in a few minutes."), "success")
        return redirect(url_for("mail.new_link"), 303)
    if form.errors:
        status = 422
    return render_template("mail/new_link.html", form=form), status


# -- Opting out of reminders ---------------------------------------------------

def _own_panellist(study):
    """The panellist the visitor is in ``study``: logged in, or through a magic-link grant."""
    panellist = access.panellist_of(current_user, study) or links.granted_in_study(study)
    if panellist is None:
        if not current_user.is_authenticated:
            return None
        access.require(False)
    return panellist


@bp.get("/studies/<int:study_id>/reminders")
def opt_out_page(study_id: int):
    study = access.get_study(study_id)
    panellist = _own_panellist(study)
    if panellist is None:
        return login_manager.unauthorized()
    return render_template("mail/opt_out.html", study=study, panellist=panellist, form=OptOutForm())


@bp.post("/studies/<int:study_id>/reminders/opt-out")
@unit_of_work
def opt_out(study_id: int):
    study = access.get_study(study_id)
    panellist = _own_panellist(study)
    if panellist is None:
        return login_manager.unauthorized()
    form = OptOutForm()
    if not form.validate_on_submit():
        flash(_("Choose whether to receive reminders."), "error")
        return render_template("mail/opt_out.html", study=study, panellist=panellist, form=form), 422
    reminders.set_opt_out(panellist, form.opt_out.data == "1")
    if panellist.reminders_opt_out:
        flash(_("You will receive no more reminders for this study."), "success")
    else:
        flash(_("You will receive reminders for this study again."), "success")
    return redirect(url_for("mail.opt_out_page", study_id=study.id), 303)


# -- The moderator's reminders -------------------------------------------------

def _moderated_round(study_id: int, number: int) -> Round:
    study = access.get_study(study_id)
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    access.require(access.can_moderate(current_user, study))
    round = db.session.scalar(select(Round).where(Round.study_id == study.id, Round.number == number))
    if round is None:
        abort(404)
    return round


@bp.get("/studies/<int:study_id>/rounds/<int:number>/reminders")
def round_reminders(study_id: int, number: int):
    round = _moderated_round(study_id, number)
    return render_template("mail/round_reminders.html", round=round, study=round.study,
                           rows=reminders.reminder_overview(round), form=RemindForm(),
                           is_open=round.status == RoundStatus.open,
                           quiet_until=reminders.quiet_until(utcnow()))


@bp.post("/studies/<int:study_id>/rounds/<int:number>/reminders")
@unit_of_work
def send_reminders(study_id: int, number: int):
    round = _moderated_round(study_id, number)
    if not RemindForm().validate_on_submit():
        abort(400)
    check = safeguards.remind_safeguard(round, None)
    if check.blocked:
        flash(check.blocked, "error")
        return redirect(url_for("mail.round_reminders", study_id=study_id, number=number), 303)
    if not confirmed():  # this page reminds everybody waiting: say how many first
        return confirm_page(
            title=_("Remind everybody?"),
            question=_("Remind the panellists who have not answered?"), safeguard=check,
            button=ngettext("Remind the %(num)d panellist", "Remind all %(num)d panellists",
                            check.figures["targets"]),
            cancel=url_for("mail.round_reminders", study_id=study_id, number=number), danger=False)
    try:
        report = reminders.remind(round, actor=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("mail.round_reminders", study_id=study_id, number=number), 303)
    flash(_("Reminders queued: %(n)s. Skipped: %(submitted)s already submitted, %(opted)s opted "
            "out, %(cap)s at the limit of reminders.", n=len(report.queued),
            submitted=report.skipped.get("submitted", 0), opted=report.skipped.get("opted_out", 0),
            cap=report.skipped.get("cap", 0)), "success")
    if report.send_after:
        flash(_("It is quiet hours: they will be sent after %(time)s.",
                time=when(report.send_after)), "success")
    return redirect(url_for("mail.round_reminders", study_id=study_id, number=number), 303)
