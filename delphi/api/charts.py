"""Charts of a round as PNG or SVG:
``/api/v1/studies/{study_id}/rounds/{number}/charts/{chart}.{format}``,
``.../items/{item}/distribution.{format}`` and ``.../items/{item}/target.{format}``
(the gap-to-target chart of an estimate with a target or an indicator; 404
for any other item).

Moderators, researchers and admins of the study; a panellist (or any other
member) gets 403. An unknown chart or format is 404. Charts of closed rounds
come from the chart store shared by every worker (:mod:`delphi.charts.store`,
through :mod:`delphi.charts.cache`) with a strong ETag (``If-None-Match`` →
304); the alt text is in the ``X-Chart-Alt`` header.
"""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from delphi import access
from delphi.api.common import ApiError, current_api_user
from delphi.api.operations import operation, raw, request_query
from delphi.api.schemas.media import ChartQuery
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


_IMAGE = raw("The chart; alt text in the X-Chart-Alt header; a strong ETag",
             headers={"ETag": {"schema": {"type": "string"}},
                      "X-Chart-Alt": {"schema": {"type": "string"}}},
             content={"image/png": {"schema": {"type": "string", "contentMediaType": "image/png"}},
                      "image/svg+xml": {"schema": {"type": "string"}}})
_ANSWERS = {200: _IMAGE, 304: raw("Not modified (If-None-Match)")}
_FORMAT = {"type": "string", "enum": list(specs.CHART_FORMATS)}


@operation("GET", "/studies/{study_id}/rounds/{number}/charts/{chart}.{format}",
           summary="A chart of a round (verdicts, convergence, concordance, participation)",
           tag="dashboard", query=ChartQuery, answers=_ANSWERS, errors=(403, 404, 409),
           path_schemas={"chart": {"type": "string", "enum": list(specs.ROUND_CHARTS)},
                         "format": _FORMAT})
def round_chart(study_id: int, number: int, chart: str, format: str):
    study = _study_for_staff(study_id)
    name, fmt = _split(f"{chart}.{format}")
    if name not in specs.ROUND_CHARTS:
        raise ApiError(404, "not_found", _("No such chart: one of %(list)s.",
                                           list=", ".join(specs.ROUND_CHARTS)))
    query = request_query()
    rnd = results.get_round(study, number)
    entry = chart_cache.chart(study, rnd, name, fmt, criterion=query.criterion,
                              language=current_language())
    return chart_cache.send(entry)


@operation("GET", "/studies/{study_id}/rounds/{number}/items/{item}/distribution.{format}",
           summary="The distribution of an item's ratings, with median and IQR",
           tag="dashboard", query=ChartQuery, answers=_ANSWERS, errors=(403, 404, 409),
           path_schemas={"format": _FORMAT})
def item_distribution(study_id: int, number: int, item: str, format: str):
    study = _study_for_staff(study_id)
    _name, fmt = _split(f"distribution.{format}")
    query = request_query()
    rnd = results.get_round(study, number)
    found = _round_item(rnd, item)
    entry = chart_cache.chart(study, rnd, "distribution", fmt, criterion=query.criterion,
                              item=found, language=current_language())
    return chart_cache.send(entry)


def _round_item(rnd, item: str) -> Item:
    """The item of the round given by its id or its code, or a 404."""
    rows = select(Item).join(RoundItem, RoundItem.item_id == Item.id).where(
        RoundItem.round_id == rnd.id)
    if item.isascii() and item.isdigit():
        rows = rows.where(Item.id == int(item)) if len(item) < 10 else None
    else:
        rows = rows.where(Item.code == item)
    found = db.session.scalar(rows) if rows is not None else None
    if found is None:
        raise ApiError(404, "not_found", _("No such item in this round."))
    return found


@operation("GET", "/studies/{study_id}/rounds/{number}/items/{item}/target.{format}",
           summary="The gap-to-target chart of an estimate: baseline, target, the panel's "
                   "aggregate P10/P50/P90 (or median and quartiles) and each P50",
           tag="dashboard", answers=_ANSWERS, errors=(403, 404, 409),
           path_schemas={"format": _FORMAT})
def item_target(study_id: int, number: int, item: str, format: str):
    study = _study_for_staff(study_id)
    _name, fmt = _split(f"target.{format}")
    rnd = results.get_round(study, number)
    found = _round_item(rnd, item)
    if found.kind != "estimate" or not specs.has_target(found.params):
        raise ApiError(404, "not_found", _("This item is not an estimate with a target."))
    entry = chart_cache.chart(study, rnd, "target", fmt, item=found,
                              language=current_language())
    return chart_cache.send(entry)
