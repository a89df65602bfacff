"""Rounds: draft → open → closed, and no other way; closing freezes the statistics."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, insert, select

from delphi.core import audit
from delphi.core.clock import now_or
from delphi.core.database import db
from delphi.core.errors import InvalidInput, StateError
from delphi.core.models import (
    Item,
    ItemStatistics,
    Panellist,
    PanellistStatus,
    Proposal,
    Response,
    ResponseStatus,
    Round,
    RoundItem,
    RoundKind,
    RoundStatistics,
    RoundStatus,
    Study,
    StudyStatus,
)
from delphi.core.policy import DEFAULT_POLICY, Policy
from rounds import signals
from rounds.adapter import load_rounds, mark_counted, read_answers, round_item_kinds
from rounds.compute import (
    concordance,
    item_statistics,
    kind_statistics,
    round_stability,
)
from rounds.feedback import snapshot_feedback
from rounds.kinds import NO_CRITERION
from rounds.moderation import check_reviewed, refresh_released
from rounds.panel import enrol_panel
from rounds.results import stopping_in_words
from rounds.stopping import carried_items, stopping_verdict
from rounds.studies import lock_protocol


@dataclass(frozen=True)
class CloseReport:
    """What ``close_round`` did: the closed round, the drafted next round (None when
    the stopping rule says stop), the stopping verdict, and the time spent in
    seconds: ``read``, ``statistics``, ``write`` (ours), ``signals`` (the
    ``round_closed`` receivers, e.g. the mail outbox) and ``total``."""

    round: Round
    next_round: Round | None
    stopping: dict
    timings: dict[str, float] = field(default_factory=dict)


def _lock_round(round: Round, *, share: bool = False) -> Round:
    """Re-read the round row under a row lock (PostgreSQL ``FOR UPDATE`` /
    ``FOR SHARE``; SQLite: the transaction is ``BEGIN IMMEDIATE`` already)."""
    query = (select(Round).where(Round.id == round.id).with_for_update(read=share)
             .execution_options(populate_existing=True))
    return db.session.execute(query).scalar_one()


def last_closed_round(study: Study, *, before: int | None = None) -> Round | None:
    query = select(Round).where(Round.study_id == study.id, Round.status == RoundStatus.closed,
                                Round.kind == RoundKind.rating)
    if before is not None:
        query = query.where(Round.number < before)
    return db.session.scalar(query.order_by(Round.number.desc()).limit(1))


def _check_items(study: Study, items) -> list[Item]:
    items = list(items or ())
    ids = [getattr(i, "id", i) for i in items]
    if len(set(ids)) != len(ids):
        raise InvalidInput(_("Invalid input."), fields={"items": _("An item may appear only once.")})
    found = {i.id: i for i in db.session.scalars(select(Item).where(Item.study_id == study.id,
                                                                    Item.id.in_(ids)))} if ids else {}
    missing = [i for i in ids if i not in found]
    if missing:
        raise InvalidInput(_("Invalid input."),
                           fields={"items": _("Not items of this study: %(ids)s",
                                              ids=", ".join(map(str, missing)))})
    return [found[i] for i in ids]


def _set_items(round: Round, items: list[Item], feedback: dict[int, dict] | None = None, *,
               min_cell: int) -> None:
    if feedback is None:
        source = last_closed_round(round.study, before=round.number)
        feedback = snapshot_feedback(source, [i.id for i in items], min_cell=min_cell) \
            if source is not None else {}
    kept = {ri.item_id: ri for ri in round.round_items}
    wanted = {i.id for i in items}
    for ri in list(round.round_items):
        if ri.item_id not in wanted:
            round.round_items.remove(ri)
    for position, item in enumerate(items, start=1):
        ri = kept.get(item.id)
        if ri is None:
            ri = RoundItem(item_id=item.id, position=position, feedback=feedback.get(item.id))
            round.round_items.append(ri)
        else:
            ri.position = position
    db.session.flush()


def draft_round(study: Study, *, actor, items=None, kind=RoundKind.rating, closes_at=None,
                policy: Policy = DEFAULT_POLICY, now=None) -> Round:
    """Draft the study's next round (``items``: Item objects or ids, in order; each
    gets its feedback from the last closed round, cells under ``policy.min_cell``
    suppressed). ``StateError`` if a draft or open round exists or the study has
    ended. Audited (``round.drafted``)."""
    now = now_or(now)
    if study.status is StudyStatus.ended:
        raise StateError(_("This study has ended."))
    busy = db.session.scalar(select(Round.number).where(
        Round.study_id == study.id, Round.status.in_([RoundStatus.draft, RoundStatus.open])))
    if busy is not None:
        raise StateError(_("Round %(n)d is not closed yet.", n=busy))
    kind = RoundKind(getattr(kind, "value", kind))
    number = (db.session.scalar(select(func.max(Round.number)).where(Round.study_id == study.id)) or 0) + 1
    item_list = _check_items(study, items)
    round = Round(study_id=study.id, number=number, kind=kind, status=RoundStatus.draft,
                  closes_at=now_or(closes_at) if closes_at else None, reminder_days=[])
    round.study = study
    db.session.add(round)
    db.session.flush()
    _set_items(round, item_list, min_cell=policy.min_cell)
    audit.record(actor, "round.drafted", round,
                 details={"study_id": study.id, "number": number, "kind": kind.value,
                          "items": [i.id for i in item_list]}, now=now)
    return round


def set_round_items(round: Round, items, *, actor, policy: Policy = DEFAULT_POLICY,
                    now=None) -> Round:
    """Replace a draft round's items (Item objects or ids, in order). Audited
    (``round.items_set``)."""
    if round.status is not RoundStatus.draft:
        raise StateError(_("Only a draft round can be edited."))
    item_list = _check_items(round.study, items)
    _set_items(round, item_list, min_cell=policy.min_cell)
    audit.record(actor, "round.items_set", round,
                 details={"study_id": round.study_id, "number": round.number,
                          "items": [i.id for i in item_list]}, now=now_or(now))
    return round


def open_round(round: Round, *, actor, closes_at: datetime | None = None, now=None) -> Round:
    """draft → open. A rating round needs an item; when the study moderates
    comments, every comment and reason of the round before must be reviewed
    (``rounds.moderation``). Round 1 locks the protocol and enrols the panel.
    Audited; sends ``round_opened``."""
    now = now_or(now)
    round = _lock_round(round)
    if round.status is not RoundStatus.draft:
        raise StateError(_("Round %(n)d is %(status)s; only a draft round can open.",
                           n=round.number, status=_status_label(round.status)))
    study = round.study
    if study.status is StudyStatus.ended:
        raise StateError(_("This study has ended."))
    if closes_at is not None:
        closes_at = now_or(closes_at)
        if closes_at <= now:
            raise InvalidInput(_("Please correct the marked fields."),
                               fields={"closes_at": _("The deadline must lie in the future.")})
        round.closes_at = closes_at
    elif round.closes_at is not None and round.closes_at <= now:
        raise InvalidInput(_("Please correct the marked fields."),
                           fields={"closes_at": _("The deadline must lie in the future.")})
    if round.kind is RoundKind.rating and not round.round_items:
        raise StateError(_("Add at least one item before opening the round."))
    check_reviewed(study, round.number)
    if study.moderate_comments:
        source = last_closed_round(study, before=round.number)
        if source is not None:
            refresh_released(source)
    if study.locked_at is None or round.number == 1:
        lock_protocol(study, now=now)
        enrol_panel(study, now=now)
    round.status = RoundStatus.open
    round.opened_at = now
    db.session.flush()
    audit.record(actor, "round.open", round, details={"study_id": study.id, "number": round.number},
                 now=now)
    signals.round_opened.send(round)
    return round


def _status_label(status: RoundStatus) -> str:
    return {RoundStatus.draft: _("a draft"), RoundStatus.open: _("open"),
            RoundStatus.closed: _("closed")}[status]


def _participation_counts(round: Round) -> tuple[int, int, int]:
    invited = db.session.scalar(select(func.count(Panellist.id)).where(
        Panellist.study_id == round.study_id, Panellist.status == PanellistStatus.active)) or 0
    rows = db.session.execute(
        select(Response.status, func.count(Response.id))
        .join(Panellist, Panellist.id == Response.panellist_id)
        .where(Response.round_id == round.id, Panellist.status == PanellistStatus.active)
        .group_by(Response.status)).all()
    by_status = {status: count for status, count in rows}
    started = sum(by_status.values())
    submitted = by_status.get(ResponseStatus.submitted, 0)
    return invited, started, submitted


def close_round(round: Round, *, actor=None, policy: Policy = DEFAULT_POLICY, now=None) -> CloseReport:
    """open → closed, in the caller's one transaction.

    Takes the round row ``FOR UPDATE`` first (PostgreSQL; on SQLite the write
    transaction is ``BEGIN IMMEDIATE``), re-checks the round is open, marks
    the responses that count (submitted, by panellists on the panel now:
    ``Response.counted``, which every later reader of the round uses), reads
    the counted ratings (this round and the previous one, one query), freezes ``ItemStatistics`` for every item × criterion
    and the ``RoundStatistics``, and drafts the next round with each carried
    item's feedback unless the stopping rule says stop. Audited (actor None =
    the deadline); sends ``round_closed``.
    """
    now = now_or(now)
    t0 = time.perf_counter()
    round = _lock_round(round)
    if round.status is not RoundStatus.open:
        raise StateError(_("Round %(n)d is %(status)s; only an open round can close.",
                           n=round.number, status=_status_label(round.status)))
    study = round.study
    if round.kind is RoundKind.open_ended:
        return _close_open_ended(round, actor=actor, now=now, t0=t0)

    # -- read -------------------------------------------------------------
    mark_counted(round)
    kinds = round_item_kinds(round.id)
    item_ids = [item_id for item_id, _kind, _params in kinds]
    specs = {round.id: [item_id for item_id, kind, _p in kinds if kind == "rating"]}
    previous = last_closed_round(study, before=round.number)
    previous_details: dict[int, dict] = {}
    if previous is not None:
        specs[previous.id] = [item_id for item_id, kind, _p in round_item_kinds(previous.id)
                              if kind == "rating"]
        previous_details = dict(db.session.execute(
            select(ItemStatistics.item_id, ItemStatistics.details)
            .where(ItemStatistics.round_id == previous.id,
                   ItemStatistics.criterion == NO_CRITERION)).all())
    data = load_rounds(specs, list(study.criteria))
    answers = read_answers(round.id, [i for i, kind, _p in kinds if kind != "rating"])
    invited, started, submitted = _participation_counts(round)
    t1 = time.perf_counter()

    # -- statistics -------------------------------------------------------
    current = data[round.id]
    rows = item_statistics(study, current) if current.item_ids else []
    rows += kind_statistics(study, kinds, answers, previous_details)
    concordance_map = concordance(current, study.min_n) if current.item_ids else {}
    stability_map = round_stability(study, data[previous.id], current) if previous is not None else {}
    carry = carried_items(study, item_ids, rows)
    stopping = stopping_verdict(study, round, rows, concordance_map, stability_map, carry)
    t2 = time.perf_counter()

    # -- write ------------------------------------------------------------
    round.status = RoundStatus.closed
    round.closed_at = now
    if rows:
        db.session.execute(insert(ItemStatistics), [{"round_id": round.id, **row} for row in rows])
    db.session.add(RoundStatistics(
        round_id=round.id, invited=invited, started=started, submitted=submitted,
        response_rate=(submitted / invited) if invited else None, concordance=concordance_map,
        stability=stability_map, stopping=stopping, computed_at=now))
    db.session.flush()
    next_round = None
    if not stopping["stop"]:
        next_round = Round(study_id=study.id, number=round.number + 1, kind=RoundKind.rating,
                           status=RoundStatus.draft, reminder_days=list(round.reminder_days or []))
        next_round.study = study
        db.session.add(next_round)
        db.session.flush()
        items = _check_items(study, carry)
        _set_items(next_round, items, snapshot_feedback(round, carry, min_cell=policy.min_cell),
                   min_cell=policy.min_cell)
    audit.record(actor, "round.close", round,
                 details={"study_id": study.id, "number": round.number, "submitted": submitted,
                          "invited": invited, "stop": stopping["stop"],
                          "next_round": next_round.number if next_round else None,
                          "by": "moderator" if actor is not None else "deadline"}, now=now)
    t3 = time.perf_counter()
    signals.round_closed.send(round, next_round=next_round)
    t4 = time.perf_counter()
    timings = {"read": t1 - t0, "statistics": t2 - t1, "write": t3 - t2, "signals": t4 - t3,
               "total": t4 - t0}
    return CloseReport(round=round, next_round=next_round, stopping=stopping_in_words(stopping),
                       timings=timings)


def _close_open_ended(round: Round, *, actor, now, t0) -> CloseReport:
    """Close an open-ended round: count who proposed; the moderator then turns
    the proposals into items and drafts the next round."""
    mark_counted(round)
    invited = db.session.scalar(select(func.count(Panellist.id)).where(
        Panellist.study_id == round.study_id, Panellist.status == PanellistStatus.active)) or 0
    proposers = db.session.scalar(
        select(func.count(func.distinct(Proposal.panellist_id)))
        .join(Panellist, Panellist.id == Proposal.panellist_id)
        .where(Proposal.round_id == round.id, Panellist.status == PanellistStatus.active)) or 0
    t1 = time.perf_counter()
    round.status = RoundStatus.closed
    round.closed_at = now
    stopping = {"stop": False, "reasons": [], "checks": {"round": round.number}}
    db.session.add(RoundStatistics(round_id=round.id, invited=invited, started=proposers,
                                   submitted=proposers,
                                   response_rate=(proposers / invited) if invited else None,
                                   concordance={}, stability={}, stopping=stopping, computed_at=now))
    db.session.flush()
    audit.record(actor, "round.close", round,
                 details={"study_id": round.study_id, "number": round.number, "submitted": proposers,
                          "invited": invited, "by": "moderator" if actor is not None else "deadline"},
                 now=now)
    signals.round_closed.send(round, next_round=None)
    t2 = time.perf_counter()
    return CloseReport(round=round, next_round=None, stopping=stopping,
                       timings={"read": t1 - t0, "statistics": 0.0, "write": t2 - t1, "signals": 0.0,
                                "total": t2 - t0})


def close_due_rounds(*, policy: Policy = DEFAULT_POLICY, now=None) -> list[Round]:
    """Close every open round whose deadline has passed (``closes_at <= now``).
    Idempotent: a second call finds nothing to close."""
    now = now_or(now)
    due = list(db.session.scalars(
        select(Round).where(Round.status == RoundStatus.open, Round.closes_at.is_not(None),
                            Round.closes_at <= now).order_by(Round.id)))
    closed = []
    for round in due:
        try:
            close_round(round, actor=None, policy=policy, now=now)
        except StateError:  # closed meanwhile by a moderator
            continue
        closed.append(round)
    return closed
