"""The member's own data, as a JSON download (``delphi.services.own_data``)."""
from __future__ import annotations

import json

from flask import Response
from flask_login import current_user, login_required

from delphi.services.own_data import own_data
from delphi.views.member import bp

__all__ = ["bp"]


@bp.get("/me/data.json")
@login_required
def own_data_download():
    body = json.dumps(own_data(current_user), ensure_ascii=False, indent=2, sort_keys=True)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": 'attachment; filename="my-delphi-data.json"',
        "Cache-Control": "no-store"})
