"""Charts of a round as PNG or SVG: ``/api/v1/studies/{id}/rounds/{n}/charts/...``.

Moderators, researchers and admins of the study; a panellist (or any other
member) gets 403. An unknown chart or format is 404. Charts of closed rounds
come from :mod:`delphi.charts.cache` with a strong ETag (``If-None-Match`` →
304); the alt text is in the ``X-Chart-Alt`` header.
"""
from __future__ import annotations

from flask import request
from flask_babel import gettext as _
from sqlalchemy import select

from delphi import access
from delphi.api.common import ApiError, bp, current_api_user, token_required
from delphi.api.spec import errors
from delphi.charts import cache as chart_cache
from delphi.charts import specs
from delphi.core.database import db
from delphi.core.models import Item, RoundItem
from delphi.i18n import current_language
from rounds import results


def _study_for_staff(study_id: int):
    study = access.get_study(study_id)
    access.require(access.can_view_results(current_api_user(), study))
    return study


def _split(filename: str) -> tuple[str, str]:
    name, dot, fmt = filename.rpartition(".")
    if not dot or fmt not in specs.CHART_FORMATS:
        raise ApiError(404, "not_found", _("No such chart format: use .png or .svg."))
    return name, fmt


# Path parameters are named as in the OpenAPI document (id, n, format).
@bp.get("/studies/<int:id>/rounds/<int:n>/charts/<chart>.<format>")
@token_required
def round_chart(id: int, n: int, chart: str, format: str):  # noqa: A002
    study, number = _study_for_staff(id), n
    name, fmt = _split(f"{chart}.{format}")
    if name not in specs.ROUND_CHARTS:
        raise ApiError(404, "not_found", _("No such chart: one of %(list)s.",
                                           list=", ".join(specs.ROUND_CHARTS)))
    rnd = results.get_round(study, number)
    entry = chart_cache.chart(study, rnd, name, fmt, criterion=request.args.get("criterion"),
                              language=current_language())
    return chart_cache.send(entry)


@bp.get("/studies/<int:id>/rounds/<int:n>/items/<item>/distribution.<format>")
@token_required
def item_distribution(id: int, n: int, item: str, format: str):  # noqa: A002
    study, number = _study_for_staff(id), n
    _name, fmt = _split(f"distribution.{format}")
    rnd = results.get_round(study, number)
    query = select(Item).join(RoundItem, RoundItem.item_id == Item.id).where(
        RoundItem.round_id == rnd.id)
    if item.isdigit():
        query = query.where(Item.id == int(item))
    else:
        query = query.where(Item.code == item)
    found = db.session.scalar(query)
    if found is None:
        raise ApiError(404, "not_found", _("No such item in this round."))
    entry = chart_cache.chart(study, rnd, "distribution", fmt,
                              criterion=request.args.get("criterion"), item=found,
                              language=current_language())
    return chart_cache.send(entry)


_PATH = [
    {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}},
    {"name": "n", "in": "path", "required": True, "schema": {"type": "integer"}},
]
_FMT = {"name": "format", "in": "path", "required": True,
        "schema": {"type": "string", "enum": ["png", "svg"]}}
_CRITERION = {"name": "criterion", "in": "query", "required": False,
              "schema": {"type": "string"},
              "description": "Criterion of the study (default: the first)."}
_IMAGE = {"description": "The chart; alt text in the X-Chart-Alt header; a strong ETag",
          "headers": {"ETag": {"schema": {"type": "string"}},
                      "X-Chart-Alt": {"schema": {"type": "string"}}},
          "content": {"image/png": {"schema": {"type": "string", "format": "binary"}},
                      "image/svg+xml": {"schema": {"type": "string"}}}}

OPENAPI_PATHS = {
    "/studies/{id}/rounds/{n}/charts/{chart}.{format}": {"get": {
        "summary": "A chart of a round (verdicts, convergence, concordance, participation)",
        "tags": ["dashboard"], "security": [{"bearer": []}],
        "parameters": [*_PATH, {"name": "chart", "in": "path", "required": True, "schema": {
            "type": "string", "enum": list(specs.ROUND_CHARTS)}}, _FMT, _CRITERION],
        "responses": {"200": _IMAGE, "304": {"description": "Not modified (If-None-Match)"},
                      **errors("401", "403", "404", "409", "422")}}},
    "/studies/{id}/rounds/{n}/items/{item}/distribution.{format}": {"get": {
        "summary": "The distribution of an item's ratings, with median and IQR",
        "tags": ["dashboard"], "security": [{"bearer": []}],
        "parameters": [*_PATH, {"name": "item", "in": "path", "required": True,
                                "schema": {"type": "string"},
                                "description": "Item id or code (e.g. I03)"}, _FMT, _CRITERION],
        "responses": {"200": _IMAGE, "304": {"description": "Not modified (If-None-Match)"},
                      **errors("401", "403", "404", "409", "422")}}},
}
