"""Frozen results of closed rounds, and participation across rounds."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from delphi.domain import StateError
from delphi.extensions import db
from delphi.models import (
    Item,
    ItemStatistics,
    Panellist,
    PanellistStatus,
    Response,
    ResponseStatus,
    Round,
    RoundItem,
    RoundStatistics,
    RoundStatus,
    Study,
)


def round_results(round: Round) -> dict:
    """The frozen statistics in the API's shape (``StateError`` unless closed):
    ``{response_rate, invited, started, submitted, items: [{item, code, text,
    criterion, n, n_missing, median, q1, q3, iqr, mean, sd, agreement,
    disagreement, counts, consensus, verdict, details}], concordance, stability,
    stopping}``. Items in round order, then criteria in the study's order."""
    if round.status is not RoundStatus.closed:
        raise StateError(_("Round %(n)d is not closed: it has no results yet.", n=round.number))
    stats = db.session.scalar(select(RoundStatistics).where(RoundStatistics.round_id == round.id))
    criteria = list(round.study.criteria)
    order = {c: i for i, c in enumerate(criteria)}
    rows = db.session.execute(
        select(ItemStatistics, Item.code, Item.text, RoundItem.position)
        .join(Item, Item.id == ItemStatistics.item_id)
        .outerjoin(RoundItem, (RoundItem.round_id == ItemStatistics.round_id)
                   & (RoundItem.item_id == ItemStatistics.item_id))
        .where(ItemStatistics.round_id == round.id)).all()
    rows.sort(key=lambda r: (r.position or 0, r.ItemStatistics.item_id,
                             order.get(r.ItemStatistics.criterion, 99)))
    items = []
    for row in rows:
        s = row.ItemStatistics
        items.append({
            "item": s.item_id, "code": row.code, "text": row.text, "criterion": s.criterion,
            "n": s.n, "n_missing": s.n_missing, "median": s.median, "q1": s.q1, "q3": s.q3,
            "iqr": s.iqr, "mean": s.mean, "sd": s.sd, "agreement": s.agreement,
            "disagreement": s.disagreement, "counts": list(s.counts or []),
            "consensus": s.verdict == "consensus_in", "verdict": s.verdict,
            "details": dict(s.details or {}),
        })
    return {
        "round": round.number,
        "response_rate": stats.response_rate if stats else None,
        "invited": stats.invited if stats else None,
        "started": stats.started if stats else None,
        "submitted": stats.submitted if stats else None,
        "items": items,
        "concordance": dict(stats.concordance or {}) if stats else {},
        "stability": dict(stats.stability or {}) if stats else {},
        "stopping": dict(stats.stopping or {}) if stats else {},
    }


def participation(study: Study) -> list[dict]:
    """Per round (draft rounds left out): ``{number, status, invited, started,
    submitted, response_rate, stayers, dropouts, newcomers}``. Stayers submitted
    in this round and the previous one, dropouts only in the previous one,
    newcomers only in this one. Closed rounds use the counts frozen at close;
    an open round counts now."""
    rounds = list(db.session.scalars(select(Round).where(
        Round.study_id == study.id, Round.status != RoundStatus.draft).order_by(Round.number)))
    if not rounds:
        return []
    submitters: dict[int, set[int]] = {r.id: set() for r in rounds}
    started: dict[int, int] = {r.id: 0 for r in rounds}
    for round_id, panellist_id, status in db.session.execute(
        select(Response.round_id, Response.panellist_id, Response.status)
        .join(Panellist, Panellist.id == Response.panellist_id)
        .where(Response.round_id.in_(list(submitters)), Panellist.status == PanellistStatus.active)):
        started[round_id] += 1
        if status is ResponseStatus.submitted:
            submitters[round_id].add(panellist_id)
    frozen = {s.round_id: s for s in db.session.scalars(
        select(RoundStatistics).where(RoundStatistics.round_id.in_(list(submitters))))}
    active = db.session.scalar(select(func.count(Panellist.id)).where(
        Panellist.study_id == study.id, Panellist.status == PanellistStatus.active)) or 0
    out = []
    previous: set[int] | None = None
    for r in rounds:
        now_set = submitters[r.id]
        stats = frozen.get(r.id)
        invited = stats.invited if stats else active
        submitted = stats.submitted if stats else len(now_set)
        out.append({
            "number": r.number, "status": r.status.value, "invited": invited,
            "started": stats.started if stats else started[r.id], "submitted": submitted,
            "response_rate": (submitted / invited) if invited else None,
            "stayers": len(now_set & previous) if previous is not None else None,
            "dropouts": len(previous - now_set) if previous is not None else None,
            "newcomers": len(now_set - previous) if previous is not None else None,
        })
        previous = now_set
    return out
