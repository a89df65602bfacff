"""The researchers' export page: tiers and formats to download, and the report.

Researchers of the study and admins only (moderators are not researchers).
Downloads are POST forms (each one appends an audit event); the report is a
plain GET page, also as PDF (``report.pdf``) and DOCX (``report.docx``), in the
reader's language or the one asked for with ``?lang=en|fr|es``.

The reporting checklists' page (``/exports/checklists``) lets the study's
researchers and moderators (and admins) complete the checklist items the
engine cannot fill; each save is audited by the service.
"""
from __future__ import annotations

import io
from contextlib import nullcontext

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import SelectField

from delphi.access import can_moderate, can_research, get_study, require
from delphi.core.errors import InvalidInput
from delphi.exports import FORMATS, TIERS, build_and_record
from delphi.exports.checklists import (
    ANSWER_MAX,
    CHECKLISTS,
    author_answers,
    save_answers,
)
from delphi.exports.report import render_report, report_context
from delphi.exports.report_docx import DOCX_MIMETYPE, render_docx
from delphi.exports.report_pdf import render_pdf
from delphi.forms import options
from delphi.unit_of_work import unit_of_work

bp = Blueprint("exports", __name__, url_prefix="/studies")

TIER_LABELS = {
    "deidentified": _l("De-identified ratings"),
    "comments": _l("De-identified ratings with scrubbed comments"),
    "statistics": _l("Statistics only"),
}
TIER_HELP = {
    "deidentified": _l("One row per panellist, round, item and criterion: pseudonym, rating, and "
                       "role, region and stakeholder group generalised to k-anonymity. No names, "
                       "emails, organisations or timestamps; rows shuffled."),
    "comments": _l("The de-identified ratings plus comments and reasons, with email addresses, "
                   "phone numbers and URLs removed. Free text may still identify someone: read it "
                   "before you publish it."),
    "statistics": _l("The frozen per-item and per-round statistics of every closed round."),
}
FORMAT_LABELS = {"csv": _l("CSV (UTF-8)"), "xlsx": _l("Excel workbook (XLSX)"), "json": _l("JSON")}


class ExportForm(FlaskForm):
    tier = SelectField(_l("Tier"), choices=options({t: TIER_LABELS[t] for t in TIERS}))
    format = SelectField(_l("Format"), choices=options({f: FORMAT_LABELS[f] for f in FORMATS}))


def _researched(study_id: int):
    study = get_study(study_id)
    require(can_research(current_user, study))
    return study


@bp.get("/<int:study_id>/exports")
@login_required
def index(study_id: int):
    study = _researched(study_id)
    forms = {t: ExportForm(prefix=t, tier=t) for t in TIERS}
    return render_template("exports/index.html", study=study, forms=forms, tiers=TIERS,
                           formats=FORMATS, tier_labels=TIER_LABELS, tier_help=TIER_HELP,
                           format_labels=FORMAT_LABELS)


@bp.post("/<int:study_id>/exports/<tier>")
@login_required
def download(study_id: int, tier: str):
    study = _researched(study_id)
    form = ExportForm(prefix=tier if tier in TIERS else "x")
    if not form.validate_on_submit() or form.tier.data != tier:
        forms = {t: ExportForm(prefix=t, tier=t) for t in TIERS}
        if tier in forms:
            forms[tier] = form
        return render_template("exports/index.html", study=study, forms=forms, tiers=TIERS,
                               formats=FORMATS, tier_labels=TIER_LABELS, tier_help=TIER_HELP,
                               format_labels=FORMAT_LABELS), 422
    package = build_and_record(study, form.tier.data, form.format.data, actor=current_user,
                               channel="web")
    return send_file(io.BytesIO(package.data), mimetype="application/zip", as_attachment=True,
                     download_name=package.filename, max_age=0)


def _report_language():
    """``?lang=`` when it names one of the interface languages (else the reader's);
    a wrong one is a 422 page, not a silent fallback."""
    lang = request.args.get("lang")
    if lang is None:
        return nullcontext()
    if lang not in current_app.config["LANGUAGES"]:
        raise InvalidInput(_("Invalid input."), fields={"lang": _(
            "Choose one of: %(choices)s.", choices=", ".join(current_app.config["LANGUAGES"]))})
    return force_locale(lang)


@bp.get("/<int:study_id>/report")
@login_required
def report(study_id: int):
    study = _researched(study_id)
    with _report_language():
        return render_report(study, standalone=False)


@bp.get("/<int:study_id>/report.pdf")
@login_required
def report_pdf(study_id: int):
    study = _researched(study_id)
    with _report_language():
        data = render_pdf(study)
    return send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=False,
                     download_name=f"study-{study.id}-report.pdf", max_age=0)


@bp.get("/<int:study_id>/report.docx")
@login_required
def report_docx(study_id: int):
    study = _researched(study_id)
    with _report_language():
        data = render_docx(study)
    return send_file(io.BytesIO(data), mimetype=DOCX_MIMETYPE, as_attachment=True,
                     download_name=f"study-{study.id}-report.docx", max_age=0)


class ChecklistForm(FlaskForm):
    """CSRF only: the answers are the ``answer-<checklist>-<number>`` fields."""


def _authors(study_id: int):
    study = get_study(study_id)
    require(can_research(current_user, study) or can_moderate(current_user, study))
    return study


def _checklist_page(study, form, values: dict[str, str], errors: dict[str, str], status=200):
    context = report_context(study)
    facts = {item["key"]: item["answer"] for c in context["checklists"] for item in c["items"]}
    return render_template("exports/checklists.html", study=study, form=form,
                           checklists=CHECKLISTS, facts=facts, values=values, errors=errors,
                           answer_max=ANSWER_MAX,
                           can_research=can_research(current_user, study)), status


@bp.get("/<int:study_id>/exports/checklists")
@login_required
def checklists(study_id: int):
    study = _authors(study_id)
    return _checklist_page(study, ChecklistForm(), author_answers(study), {})


@bp.post("/<int:study_id>/exports/checklists")
@login_required
@unit_of_work
def save_checklists(study_id: int):
    study = _authors(study_id)
    form = ChecklistForm()
    values = {item.key: request.form.get(f"answer-{item.checklist}-{item.number}")
              for c in CHECKLISTS for item in c.items}
    values = {key: value for key, value in values.items() if value is not None}
    if not form.validate_on_submit():
        return _checklist_page(study, form, values,
                               {"csrf": _("The form expired; please try again.")}, 400)
    if not values:
        return _checklist_page(study, form, author_answers(study),
                               {"form": _("Nothing to save: no answer was sent.")}, 422)
    try:
        changed = save_answers(study, values, actor=current_user)
    except InvalidInput as error:
        return _checklist_page(study, form, values, dict(error.fields or {}), 422)
    flash(ngettext("%(num)d checklist answer saved.", "%(num)d checklist answers saved.",
                   len(changed)) if changed
          else _("Nothing changed."))
    return redirect(url_for("exports.checklists", study_id=study.id), 303)
