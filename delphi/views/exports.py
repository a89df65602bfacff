"""The researchers' export page: tiers and formats to download, and the report.

Researchers of the study and admins only (moderators are not researchers).
Downloads are POST forms (each one appends an audit event); the report is a
plain GET page.
"""
from __future__ import annotations

import io

from flask import Blueprint, render_template, send_file
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import SelectField

from delphi.access import can_research, get_study, require
from delphi.exports import FORMATS, TIERS, build_and_record
from delphi.exports.report import render_report
from delphi.forms import options

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


@bp.get("/<int:study_id>/report")
@login_required
def report(study_id: int):
    study = _researched(study_id)
    return render_report(study, standalone=False)
