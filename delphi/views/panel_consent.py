"""The panel's consent page: the study's information sheet and consent text,
in the reader's language, with what withdrawing does to one's answers.

A panellist accepts the current version before their first answer (the
questionnaire sends them here) and again after the moderator publishes a new
version (``rounds.consent``). The page works for a logged-in panellist and
for one who came by a magic link. After consenting, it sends them back to
where they were going (a path on this site only).
"""
from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

import rounds
from delphi.access import get_study, panellist_of
from delphi.core.database import db
from delphi.core.errors import DomainError
from delphi.forms_studies import ConsentAcceptForm
from delphi.i18n import current_language
from delphi.mail.links import granted_in_study
from delphi.unit_of_work import unit_of_work
from delphi.views.guards import local_path
from delphi.views.panel import _refuse, bp

__all__ = ["bp", "consent_url"]


def consent_url(study, next_path: str | None = None) -> str:
    """The consent page of ``study``, coming back to ``next_path`` afterwards."""
    return url_for("panel.consent", study_id=study.id, next=local_path(next_path))


@bp.route("/studies/<int:study_id>/consent", methods=["GET", "POST"])
@unit_of_work
def consent(study_id: int):
    study = get_study(study_id)
    panellist = panellist_of(current_user, study) or granted_in_study(study)
    if panellist is None:
        _refuse()
    version = rounds.current_version(study)
    language = current_language()
    form = ConsentAcceptForm()
    asked = local_path(request.values.get("next"))  # where the reader was going, if anywhere
    target = asked or (url_for("panel.study", study_id=study.id)
                       if current_user.is_authenticated else None)
    status, message = 200, None
    if form.validate_on_submit():
        raw = form.version.data or ""
        try:
            rounds.accept_consent(panellist, int(raw) if raw.isdigit() and len(raw) < 10 else -1,
                                  language=language)
        except DomainError as error:
            db.session.rollback()
            message, status = error.message, error.status
        else:
            return redirect(target or url_for("panel.consent", study_id=study.id), 303)
    elif form.is_submitted():
        status = 422
    if version is not None:
        form.version.data = str(version.version)
    records = rounds.consent_records(panellist)
    current_record = next((r for r in records if version is not None
                           and r.version_id == version.id), None)
    return render_template(
        "panel/consent.html", study=study, panellist=panellist, version=version,
        sheet=version.text_in("information_sheet", language) if version else "",
        consent_text=version.text_in("consent_text", language) if version else "",
        record=current_record, earlier=[r for r in records if r is not current_record],
        form=form, message=message, next_path=asked, lang=language,
        title=_("Information sheet and consent")), status
