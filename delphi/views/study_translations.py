"""Study pages: a study's texts in the other languages (moderators).

The title, description, criteria names and scale labels of a study in
French and Spanish (``rounds.set_study_translations`` judges and audits
them); items are translated on their own page. The page lists what a
reader would still see in English (``rounds.missing_translations``).
"""
from __future__ import annotations

from flask import abort, flash, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

import rounds
import rounds.translations
from delphi.config import current_policy
from delphi.core.database import db
from delphi.core.errors import InvalidInput
from delphi.forms import LANGUAGE_LABELS
from delphi.forms_studies import StudyTranslationForm
from delphi.unit_of_work import unit_of_work
from delphi.views.study_helpers import bp, done, moderated

__all__ = ["bp"]


@bp.route("/<int:study_id>/translations/<language>", methods=["GET", "POST"])
@login_required
@unit_of_work
def translations(study_id: int, language: str):
    study = moderated(study_id)
    policy = current_policy()
    if language not in policy.languages or language == "en":
        abort(404)
    given = (study.translations or {}).get(language) or {}
    custom_scale = not rounds.translations.uses_default_scale_labels(study)
    form = StudyTranslationForm()
    criteria = {c: (given.get("criteria") or {}).get(c, "") for c in study.criteria or []}
    if request.method == "GET":
        form.title.data = given.get("title", "")
        form.description.data = given.get("description", "")
        form.scale_labels.data = "\n".join(given.get("scale_labels") or [])
    else:
        criteria = form.criteria_input(study, request.form)
    status, errors = 200, {}
    if form.validate_on_submit():
        try:
            rounds.set_study_translations(study, language, form.as_input(study, request.form),
                                          actor=current_user, policy=policy)
        except InvalidInput as error:
            db.session.rollback()
            errors = dict(error.fields or {})
            flash(error.message, "error")
            for name in ("title", "description", "scale_labels"):
                if name in errors:
                    getattr(form, name).errors.append(errors[name])
                    if name == "scale_labels" and not custom_scale:  # no box shown: say it here
                        flash(errors[name], "error")
            status = error.status
        else:
            return done(_("The translations are saved."), "studies.translations",
                        study_id=study.id, language=language)
    elif form.errors:
        status = 422
    missing = [m for m in rounds.missing_translations(study, _latest_draft(study), policy=policy)
               if m.language == language]
    return render_template("studies/translations.html", study=study, form=form, language=language,
                           language_name=LANGUAGE_LABELS.get(language, language),
                           criteria=criteria, errors=errors, missing=missing,
                           custom_scale=custom_scale,
                           languages=[x for x in policy.languages if x != "en"],
                           language_names=LANGUAGE_LABELS), status


def _latest_draft(study):
    drafts = [r for r in study.rounds if r.status.value == "draft"]
    return max(drafts, key=lambda r: r.number) if drafts else None
