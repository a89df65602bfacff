"""Study pages: a study's rounds (moderators; researchers read the results).

Draft the next round, choose its items, open it, see who has answered (by
name, moderators only), close it.
"""
from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

import rounds
from delphi.access import can_moderate, can_view_results, get_study, require
from delphi.config import current_policy
from delphi.core.database import db
from delphi.core.errors import DomainError
from delphi.core.models import (
    Item,
    Panellist,
    Proposal,
    Response,
    RoundKind,
    RoundStatus,
    User,
)
from delphi.forms import EmptyForm
from delphi.forms_studies import DraftRoundForm, OpenRoundForm
from delphi.i18n import current_language, reader_moment, reader_zone
from delphi.unit_of_work import unit_of_work
from delphi.views.confirm import confirm_page, confirmed
from delphi.views.study_helpers import (
    bp,
    done,
    failed,
    flash_form_errors,
    moderated,
    round_of,
)
from rounds import safeguards

__all__ = ["bp"]


@bp.post("/<int:study_id>/rounds")
@login_required
@unit_of_work
def draft_round(study_id: int):
    study = moderated(study_id)
    form = DraftRoundForm()
    if not form.validate_on_submit():
        abort(400)
    warnings = safeguards.draft_warnings(study)
    if warnings and not confirmed():
        return confirm_page(
            title=_("Draft another round?"), question=_("Draft the next round of this study?"),
            safeguard=safeguards.Safeguard(warnings=warnings), button=_("Draft it anyway"),
            cancel=url_for("studies.show", study_id=study.id), fields={"kind": form.kind.data},
            danger=False)
    try:
        round_ = rounds.draft_round(study, actor=current_user, kind=RoundKind(form.kind.data),
                                    policy=current_policy())
    except DomainError as error:
        return failed(error, "studies.show", study_id=study.id)
    return done(_("Round %(n)d is drafted: choose its items, then open it.", n=round_.number),
                 "studies.round_page", study_id=study.id, number=round_.number)


@bp.route("/<int:study_id>/rounds/<int:number>", methods=["GET", "POST"])
@login_required
@unit_of_work
def round_page(study_id: int, number: int):
    study = get_study(study_id)
    require(can_view_results(current_user, study))
    round_ = round_of(study, number)
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
            return failed(error, "studies.round_page", study_id=study.id, number=number)
        return done(_("The round's items are saved."), "studies.round_page",
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
        proposals_count=proposals_count, open_form=OpenRoundForm(zone=reader_zone()), empty=EmptyForm(),
        lang=current_language(),
        safeguard_warnings=(safeguards.open_safeguard(round_).warnings
                            if moderator and round_.status is RoundStatus.draft else []),
        missing_translations=rounds.missing_translations(study, round_, policy=current_policy())
        if moderator and round_.status is RoundStatus.draft else [])


@bp.post("/<int:study_id>/rounds/<int:number>/open")
@login_required
@unit_of_work
def open_round(study_id: int, number: int):
    study = moderated(study_id)
    round_ = round_of(study, number)
    form = OpenRoundForm(zone=reader_zone())
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for("studies.round_page", study_id=study.id, number=number), 303)
    closes_at = reader_moment(form.closes_at.data, form.zone)
    check = safeguards.open_safeguard(round_, closes_at=closes_at)
    if check.needs_confirmation and not confirmed():
        return confirm_page(
            title=_("Open round %(n)d?", n=number), question=_("Open round %(n)d despite the "
                                                                "warnings below?", n=number),
            safeguard=check, button=_("Open round %(n)d", n=number),
            cancel=url_for("studies.round_page", study_id=study.id, number=number),
            fields={"closes_at": request.form.get("closes_at", "")}, danger=False)
    try:
        rounds.open_round(round_, actor=current_user, closes_at=closes_at)
    except DomainError as error:
        return failed(error, "studies.round_page", study_id=study.id, number=number)
    return done(_("Round %(n)d is open.", n=number), "studies.round_page", study_id=study.id, number=number)


@bp.route("/<int:study_id>/rounds/<int:number>/close", methods=["GET", "POST"])
@login_required
@unit_of_work
def close_round(study_id: int, number: int):
    """GET, or a POST without ``confirm``: the confirmation page (response
    share, time left); the confirmed POST closes the round."""
    study = moderated(study_id)
    round_ = round_of(study, number)
    if request.method == "POST" and not EmptyForm().validate_on_submit():
        abort(400)
    if not confirmed():
        return confirm_page(
            title=_("Close round %(n)d?", n=number),
            question=_("Close round %(n)d now? This cannot be undone.", n=number),
            safeguard=safeguards.close_safeguard(round_), button=_("Close round %(n)d", n=number),
            cancel=url_for("studies.round_page", study_id=study.id, number=number))
    try:
        report = rounds.close_round(round_, actor=current_user, policy=current_policy())
    except DomainError as error:
        return failed(error, "studies.round_page", study_id=study.id, number=number)
    if report.next_round is not None:
        message = _("Round %(n)d is closed; round %(next)d is drafted from it.", n=number,
                    next=report.next_round.number)
    else:
        message = _("Round %(n)d is closed; the stopping rule says the study may end.", n=number)
    return done(message, "studies.round_page", study_id=study.id, number=number)
