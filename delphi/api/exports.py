"""``GET /api/v1/studies/{id}/export``: the researchers' export ZIP (issue 6).

Researchers of the study and admins; anyone else 403, no token 401, an unknown
study 404, a bad ``tier`` or ``format`` 422 naming it. Every export is
recorded in the audit log (the one write of this GET: a log, not a state
change).
"""
from __future__ import annotations

import io

from flask import request, send_file
from flask_babel import gettext as _

from delphi.access import can_research, get_study, require
from delphi.api.common import bp, current_api_user, token_required
from delphi.api.spec import errors
from delphi.core.errors import InvalidInput
from delphi.exports import FORMATS, TIERS, build_and_record, check_choice


@bp.get("/studies/<int:study_id>/export")
@token_required
def export_study(study_id: int):
    user = current_api_user()
    study = get_study(study_id)
    require(can_research(user, study))
    tier, fmt = check_choice(request.args.get("tier"), request.args.get("format"))
    report = request.args.get("report", "true").strip().lower()
    if report not in ("true", "false"):
        raise InvalidInput(_("Invalid input."), fields={"report": _("Give true or false.")})
    package = build_and_record(study, tier, fmt, actor=user, channel="api",
                               with_report=report == "true")
    return send_file(io.BytesIO(package.data), mimetype="application/zip", as_attachment=True,
                     download_name=package.filename, max_age=0)


OPENAPI_PATHS = {
    "/studies/{study_id}/export": {"get": {
        "summary": "Export a study's anonymised data, codebook, reproduction script and report "
                   "as a ZIP (researchers, admins)",
        "tags": ["exports"], "security": [{"bearer": []}],
        "parameters": [
            {"name": "study_id", "in": "path", "required": True, "schema": {"type": "integer"}},
            {"name": "tier", "in": "query", "required": False,
             "schema": {"type": "string", "enum": list(TIERS), "default": "deidentified"}},
            {"name": "format", "in": "query", "required": False,
             "schema": {"type": "string", "enum": list(FORMATS), "default": "csv"}},
            {"name": "report", "in": "query", "required": False,
             "description": "Include the HTML report (drawing its charts takes a while).",
             "schema": {"type": "string", "enum": ["true", "false"], "default": "true"}},
        ],
        "responses": {
            "200": {"description": "The ZIP", "content": {
                "application/zip": {"schema": {"type": "string", "format": "binary"}}}},
            **errors("401", "403", "404", "422")}}},
}
