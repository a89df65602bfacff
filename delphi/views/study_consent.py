"""Study pages: the information sheet and consent text (moderators).

``rounds.publish_consent`` judges, versions and audits them: while nobody
has accepted the current version it is rewritten; afterwards a change is a
new version, which every panellist accepts before their next answer. The
page says which version is current and how many panellists accepted it.
"""
from __future__ import annotations

from flask import flash, render_template
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

import rounds
from delphi.config import current_policy
from delphi.core.database import db
from delphi.core.errors import DomainError
from delphi.core.models import ConsentRecord, Panellist, PanellistStatus
from delphi.forms_studies import ConsentTextsForm
from delphi.unit_of_work import unit_of_work
from delphi.views.study_helpers import bp, done, moderated

__all__ = ["bp"]


@bp.route("/<int:study_id>/consent", methods=["GET", "POST"])
@login_required
@unit_of_work
def consent(study_id: int):
    study = moderated(study_id)
    version = rounds.current_version(study)
    form = ConsentTextsForm()
    status = 200
    if not form.is_submitted() and version is not None:
        form.fill(version)
    if form.validate_on_submit():
        english, other = form.as_input()
        try:
            saved = rounds.publish_consent(study, english, other, actor=current_user,
                                           policy=current_policy())
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
            for name, message in (error.fields or {}).items():
                box = form.field_of(name)
                if box is not None:
                    box.errors.append(message)
                else:
                    flash(message, "error")
            status = error.status
        else:
            return done(_("Version %(n)d of the information sheet and consent text is saved.",
                          n=saved.version), "studies.consent", study_id=study.id)
    elif form.errors:
        status = 422
    accepted = active = 0
    if version is not None:
        accepted = db.session.scalar(select(func.count()).select_from(ConsentRecord)
                                     .where(ConsentRecord.version_id == version.id))
        active = db.session.scalar(select(func.count()).select_from(Panellist).where(
            Panellist.study_id == study.id, Panellist.status == PanellistStatus.active))
    return render_template("studies/consent.html", study=study, form=form, version=version,
                           accepted=accepted, active=active), status
