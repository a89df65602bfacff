"""``GET /api/v1/studies/{study_id}/export``: the researchers' export ZIP (issue 6).

Researchers of the study and admins; anyone else 403, no token 401, an unknown
study 404, a bad ``tier`` or ``format`` 422 naming it. Every export is
recorded in the audit log (the one write of this GET: a log, not a state
change).
"""
from __future__ import annotations

import io

from flask import send_file

from delphi.access import can_research, get_study, require
from delphi.api.common import current_api_user
from delphi.api.operations import operation, raw, request_query
from delphi.api.schemas.media import ExportQuery
from delphi.exports import build_and_record, check_choice


@operation("GET", "/studies/{study_id}/export",
           summary="Export a study's anonymised data, codebook, reproduction script and report "
                   "as a ZIP (researchers, admins)",
           tag="exports", query=ExportQuery, errors=(403, 404),
           answers={200: raw("The ZIP", content={"application/zip": {"schema": {
               "type": "string", "contentMediaType": "application/zip"}}})})
def export_study(study_id: int):
    user = current_api_user()
    study = get_study(study_id)
    require(can_research(user, study))
    query = request_query()
    tier, fmt = check_choice(query.tier, query.format)
    package = build_and_record(study, tier, fmt, actor=user, channel="api",
                               with_report=query.report == "true")
    return send_file(io.BytesIO(package.data), mimetype="application/zip", as_attachment=True,
                     download_name=package.filename, max_age=0)
