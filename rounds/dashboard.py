"""The moderator's dashboard: a read model over a study's rounds.

Everything the dashboard page and the chart endpoints show is gathered here,
so the views only load, check access and render:

* the frozen statistics of a closed round (``ItemStatistics``,
  ``RoundStatistics``) as table rows, sorted and filtered on request;
* participation per round (invited, started, submitted) and attrition
  between rounds (stayers, dropouts, newcomers);
* the non-responders of a round (with names only when asked for: the view
  asks only for moderators);
* panel composition against the task force's membership;
* round comparison (how each item's distribution moved, with the frozen
  stability verdicts);
* subgroup tables, computed by :func:`analysis.subgroups` from the arrays of
  the adapter ``rounds.adapter.round_matrices``;
* the inputs of every chart of :mod:`analysis.charts`, and the rendered chart.

Nothing here computes a consensus statistic: the frozen rows are read as they
are, and subgroup statistics are :mod:`analysis`'s. Functions only read; they
never flush or commit.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from sqlalchemy import func, select

from delphi.domain import InvalidInput, NotFound, StateError
from delphi.extensions import db
from delphi.models import (
    ApprovalStatus,
    Item,
    ItemStatistics,
    Membership,
    Organisation,
    Panellist,
    PanellistStatus,
    Region,
    Response,
    ResponseStatus,
    Round,
    RoundItem,
    RoundStatistics,
    RoundStatus,
    Study,
    User,
)

#: Charts of a round served by name (the item distribution is separate).
ROUND_CHARTS = ("verdicts", "convergence", "concordance", "participation")
CHART_FORMATS = ("png", "svg")
#: Columns the item table may be sorted on.
SORT_KEYS = ("position", "code", "criterion", "n", "median", "iqr", "agreement",
             "disagreement", "verdict")
#: Dimensions of the subgroup tables (panellist attributes).
SUBGROUP_DIMENSIONS = ("stakeholder_group", "region", "role")
#: Composition dimensions.
COMPOSITION_DIMENSIONS = ("role", "region", "stakeholder_group", "organisation_status")
MIN_CELL = 5

_VERDICT_ORDER = {"consensus_in": 0, "consensus_out": 1, "no_consensus": 2, "insufficient_n": 3}


def _gettext_identity(message: str) -> str:
    return message


# --------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------


def get_round(study: Study, number: int) -> Round:
    rnd = db.session.scalar(select(Round).where(Round.study_id == study.id, Round.number == number))
    if rnd is None:
        from flask_babel import gettext as _

        raise NotFound(_("No such round."))
    return rnd


def round_statistics(rnd: Round, memo: dict | None = None) -> RoundStatistics | None:
    """The round's frozen ``RoundStatistics`` (``memo``: a dict that lives for one request)."""
    if memo is not None and ("stats", rnd.id) in memo:
        return memo[("stats", rnd.id)]
    stats = db.session.scalar(select(RoundStatistics).where(RoundStatistics.round_id == rnd.id))
    if memo is not None:
        memo[("stats", rnd.id)] = stats
    return stats


def is_frozen(rnd: Round) -> bool:
    """A closed round with frozen statistics: its figures and charts never change."""
    return rnd.status is RoundStatus.closed and round_statistics(rnd) is not None


def freeze_stamp(rnd: Round) -> str | None:
    """A token that identifies this freezing of the round (for cache keys)."""
    stats = round_statistics(rnd)
    if rnd.status is not RoundStatus.closed or stats is None:
        return None
    return f"{rnd.id}:{stats.id}:{stats.computed_at.isoformat()}"


def default_round(study: Study) -> Round | None:
    """The round a dashboard opens on: the open round, else the last closed one."""
    rounds = [r for r in study.rounds if r.status is not RoundStatus.draft]
    if not rounds:
        return None
    open_rounds = [r for r in rounds if r.status is RoundStatus.open]
    return open_rounds[-1] if open_rounds else rounds[-1]


# --------------------------------------------------------------------------
# Protocol helpers (the rounds.studies functions when present)
# --------------------------------------------------------------------------


def _consensus_rule(study: Study):
    from rounds.studies import consensus_rule

    return consensus_rule(study)


def _agree_band(study: Study) -> tuple[int, int]:
    from rounds.studies import agree_band

    return tuple(agree_band(study))


def scale_labels(study: Study) -> list[str]:
    labels = list(study.scale_labels or [])
    return [f"{i} {labels[i - 1]}" if i - 1 < len(labels) and labels[i - 1] else str(i)
            for i in range(1, study.scale_points + 1)]


# --------------------------------------------------------------------------
# The item table
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemRow:
    item_id: int
    code: str
    text: str
    position: int
    criterion: str
    n: int
    n_missing: int
    median: float | None
    q1: float | None
    q3: float | None
    iqr: float | None
    mean: float | None
    sd: float | None
    agreement: float | None
    disagreement: float | None
    verdict: str
    counts: list


def item_rows(rnd: Round, *, language: str | None = None,
              memo: dict | None = None) -> list[ItemRow]:
    """The frozen item × criterion statistics of a round, in questionnaire order."""
    key = ("rows", rnd.id, language)
    if memo is not None and key in memo:
        return memo[key]
    positions = dict(db.session.execute(
        select(RoundItem.item_id, RoundItem.position).where(RoundItem.round_id == rnd.id)).all())
    s = ItemStatistics
    query = (select(s.item_id, s.criterion, s.n, s.n_missing, s.median, s.q1, s.q3, s.iqr, s.mean,
                    s.sd, s.agreement, s.disagreement, s.verdict, s.counts, Item.code, Item.text,
                    Item.translations)
             .join(Item, s.item_id == Item.id)
             .where(s.round_id == rnd.id))
    criteria = list(rnd.study.criteria or [])
    rows = []
    for r in db.session.execute(query):
        text = ((r.translations or {}).get(language or "", {}) or {}).get("text") or r.text
        rows.append(ItemRow(
            item_id=r.item_id, code=r.code, text=text, position=positions.get(r.item_id, 0),
            criterion=r.criterion, n=r.n, n_missing=r.n_missing, median=r.median, q1=r.q1,
            q3=r.q3, iqr=r.iqr, mean=r.mean, sd=r.sd, agreement=r.agreement,
            disagreement=r.disagreement, verdict=r.verdict, counts=list(r.counts or []),
        ))
    order = {c: i for i, c in enumerate(criteria)}
    rows.sort(key=lambda r: (r.position, r.code, order.get(r.criterion, 99), r.criterion))
    if memo is not None:
        memo[key] = rows
    return rows


@dataclass(frozen=True)
class TableQuery:
    """How the item table is sorted and filtered (from the page's query string)."""

    sort: str = "position"
    descending: bool = False
    criterion: str | None = None
    verdict: str | None = None
    text: str = ""
    diverging_only: bool = False


def parse_table_query(args, study: Study) -> TableQuery:
    """A :class:`TableQuery` from request args; unknown values fall back to defaults."""
    sort = args.get("sort", "position")
    if sort not in SORT_KEYS:
        sort = "position"
    criterion = args.get("criterion") or None
    if criterion not in (study.criteria or []):
        criterion = None
    verdict = args.get("verdict") or None
    if verdict not in _VERDICT_ORDER:
        verdict = None
    return TableQuery(sort=sort, descending=args.get("dir") == "desc", criterion=criterion,
                      verdict=verdict, text=(args.get("q") or "").strip()[:200],
                      diverging_only=args.get("diverging") == "1")


def sort_and_filter(rows: list[ItemRow], query: TableQuery,
                    diverging: set[tuple[int, str]] | None = None) -> list[ItemRow]:
    """Apply a :class:`TableQuery`; missing values always sort last."""
    out = rows
    if query.criterion:
        out = [r for r in out if r.criterion == query.criterion]
    if query.verdict:
        out = [r for r in out if r.verdict == query.verdict]
    if query.text:
        needle = query.text.casefold()
        out = [r for r in out if needle in r.text.casefold() or needle in r.code.casefold()]
    if query.diverging_only:
        out = [r for r in out if (r.item_id, r.criterion) in (diverging or set())]
    if query.sort == "position":
        return sorted(out, key=lambda r: (r.position, r.code), reverse=query.descending)
    if query.sort in ("code", "criterion"):
        return sorted(out, key=lambda r: (getattr(r, query.sort), r.position),
                      reverse=query.descending)
    if query.sort == "verdict":
        return sorted(out, key=lambda r: (_VERDICT_ORDER.get(r.verdict, 9), r.position),
                      reverse=query.descending)
    present = [r for r in out if getattr(r, query.sort) is not None]
    missing = [r for r in out if getattr(r, query.sort) is None]
    present.sort(key=lambda r: (getattr(r, query.sort), -r.position if query.descending
                                else r.position), reverse=query.descending)
    return present + missing


# --------------------------------------------------------------------------
# Round figures: concordance, stopping, participation, non-responders
# --------------------------------------------------------------------------


def concordance_rows(rnd: Round, memo: dict | None = None) -> list[dict]:
    """Kendall's W per criterion as frozen, with Schmidt's interpretation."""
    from analysis import interpret_w

    stats = round_statistics(rnd, memo)
    if stats is None:
        return []
    rows = []
    for criterion in rnd.study.criteria or []:
        data = (stats.concordance or {}).get(criterion) or {}
        w = data.get("w")
        rows.append({
            "criterion": criterion, "w": w, "chi2": data.get("chi2"), "df": data.get("df"),
            "pvalue": data.get("pvalue"), "n_raters": data.get("n_raters"),
            "n_items": data.get("n_items"),
            "interpretation": data.get("interpretation") or interpret_w(w),
        })
    return rows


def stopping(rnd: Round, rows: list[ItemRow], memo: dict | None = None) -> dict:
    """The frozen stopping verdict with its reasons as sentences, and, when the
    rule says continue, why: how many item × criterion rows are unsettled and
    how many rounds remain."""
    from rounds.feedback import stopping_reason_text

    stats = round_statistics(rnd, memo)
    frozen = dict((stats.stopping or {}) if stats else {})
    reasons = []
    for reason in frozen.get("reasons") or []:
        if isinstance(reason, dict):
            reasons.append(reason.get("message") or stopping_reason_text(reason))
        else:
            reasons.append(str(reason))
    unsettled = sum(1 for r in rows if r.verdict not in ("consensus_in", "consensus_out"))
    return {"stop": bool(frozen.get("stop")), "reasons": reasons, "unsettled": unsettled,
            "rows": len(rows), "round": rnd.number, "max_rounds": rnd.study.max_rounds,
            "study_ended": rnd.study.status.value == "ended"}


def participation(study: Study) -> list[dict]:
    """Per opened round: invited, started, submitted, response rate, stayers,
    dropouts and newcomers (``rounds.results.participation``)."""
    from rounds.results import participation as study_participation

    return study_participation(study)


@dataclass(frozen=True)
class NonResponder:
    panellist_id: int
    pseudonym: str
    name: str | None
    started: bool


def non_responders(rnd: Round, *, with_names: bool) -> list[NonResponder]:
    """Active panellists who have not submitted this round.

    ``with_names`` only for moderators: researchers get the list without
    names (the view shows them a count).
    """
    responses = dict(db.session.execute(
        select(Response.panellist_id, Response.status).where(Response.round_id == rnd.id)).all())
    query = (select(Panellist.id, Panellist.pseudonym, User.name)
             .join(User, Panellist.user_id == User.id)
             .where(Panellist.study_id == rnd.study_id,
                    Panellist.status == PanellistStatus.active)
             .order_by(User.name, Panellist.id))
    out = []
    for pid, pseudonym, name in db.session.execute(query):
        status = responses.get(pid)
        if status is ResponseStatus.submitted:
            continue
        out.append(NonResponder(pid, pseudonym, name if with_names else None,
                                started=status is not None))
    return out


def panellists_by_ids(study: Study, ids: list[int]) -> list[Panellist]:
    """Active panellists of ``study`` among ``ids`` (for the Remind action)."""
    if not ids:
        return []
    return list(db.session.scalars(select(Panellist).where(
        Panellist.study_id == study.id, Panellist.id.in_(ids),
        Panellist.status == PanellistStatus.active)))


# --------------------------------------------------------------------------
# Panel attributes: composition and subgroup labels
# --------------------------------------------------------------------------


def _panel_attributes(study: Study) -> dict[int, dict[str, str]]:
    """Per active panellist id: role, region, stakeholder group, organisation status."""
    query = (
        select(Panellist.id, Membership.role, Region.name, User.stakeholder_group,
               Organisation.status)
        .join(User, Panellist.user_id == User.id)
        .outerjoin(Membership, (Membership.user_id == User.id)
                   & (Membership.task_force_id == study.task_force_id))
        .outerjoin(Region, User.region_id == Region.id)
        .outerjoin(Organisation, User.organisation_id == Organisation.id)
        .where(Panellist.study_id == study.id)
    )
    out = {}
    for pid, role, region, group, org_status in db.session.execute(query):
        out[pid] = {
            "role": role.value if role is not None else "none",
            "region": region or "unknown",
            "stakeholder_group": group or "other",
            "organisation_status": org_status.value if org_status is not None else "none",
        }
    return out


def composition(study: Study) -> dict[str, list[dict]]:
    """Panel against task-force membership, per dimension.

    ``{dimension: [{"value", "panel", "task_force", "panel_share", "task_force_share"}]}``
    where the panel is the active panellists and the task force its approved
    members.
    """
    panel_ids = set(db.session.scalars(select(Panellist.id).where(
        Panellist.study_id == study.id, Panellist.status == PanellistStatus.active)))
    attrs = _panel_attributes(study)
    panel = {d: Counter(a[d] for pid, a in attrs.items() if pid in panel_ids)
             for d in COMPOSITION_DIMENSIONS}
    members = db.session.execute(
        select(Membership.role, Region.name, User.stakeholder_group, Organisation.status)
        .join(User, Membership.user_id == User.id)
        .outerjoin(Region, User.region_id == Region.id)
        .outerjoin(Organisation, User.organisation_id == Organisation.id)
        .where(Membership.task_force_id == study.task_force_id,
               Membership.status == ApprovalStatus.approved)).all()
    task_force = {d: Counter() for d in COMPOSITION_DIMENSIONS}
    for role, region, group, org_status in members:
        task_force["role"][role.value] += 1
        task_force["region"][region or "unknown"] += 1
        task_force["stakeholder_group"][group or "other"] += 1
        task_force["organisation_status"][org_status.value if org_status else "none"] += 1
    n_panel, n_tf = len(panel_ids), len(members)
    out = {}
    for d in COMPOSITION_DIMENSIONS:
        values = sorted(set(panel[d]) | set(task_force[d]))
        out[d] = [{
            "value": v, "panel": panel[d][v], "task_force": task_force[d][v],
            "panel_share": panel[d][v] / n_panel if n_panel else None,
            "task_force_share": task_force[d][v] / n_tf if n_tf else None,
        } for v in values]
    out["totals"] = [{"value": "total", "panel": n_panel, "task_force": n_tf}]
    return out


# --------------------------------------------------------------------------
# Subgroups
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class RoundArrays:
    ratings: dict  # criterion -> ndarray (panellists x items)
    panellist_ids: list
    item_ids: list


def round_arrays(rnd: Round) -> RoundArrays:
    """The submitted ratings as arrays: the adapter's matrices
    (``rounds.adapter.round_matrices``, withdrawn panellists left out)."""
    from rounds.adapter import round_matrices

    data = round_matrices(rnd)
    return RoundArrays(dict(data.matrices), [int(p) for p in data.panellist_ids],
                       list(data.item_ids))


@dataclass(frozen=True)
class SubgroupTable:
    dimension: str
    criterion: str
    groups: list
    #: per item id: {"code", "text", "cells": {group: cell dict}, "test": dict}
    rows: list = field(default_factory=list)


def subgroup_tables(rnd: Round, arrays: RoundArrays | None = None, *,
                    language: str | None = None) -> dict[str, list[SubgroupTable]]:
    """``{dimension: [SubgroupTable per criterion]}`` from :func:`analysis.subgroups`.

    Cells with fewer than 5 answers are suppressed by ``analysis.subgroups``
    (with complementary suppression), and no group totals are given: the
    whole panel's n is the only total, so no suppressed cell can be
    recovered by subtraction.
    """
    import analysis

    if rnd.status is not RoundStatus.closed:
        raise StateError("The round is not closed.")
    study = rnd.study
    arrays = arrays or round_arrays(rnd)
    attrs = _panel_attributes(study)
    items = {i.id: i for i in db.session.scalars(select(Item).where(Item.id.in_(arrays.item_ids)))} \
        if arrays.item_ids else {}
    rule = _consensus_rule(study)
    scale = (1, study.scale_points)
    agree = _agree_band(study)
    out: dict[str, list[SubgroupTable]] = {}
    for dimension in SUBGROUP_DIMENSIONS:
        labels = [attrs.get(pid, {}).get(dimension, "unknown") for pid in arrays.panellist_ids]
        tables = []
        for criterion in study.criteria or []:
            matrix = arrays.ratings.get(criterion)
            if matrix is None or matrix.shape[0] == 0 or not arrays.item_ids:
                tables.append(SubgroupTable(dimension, criterion, [], []))
                continue
            result = analysis.subgroups(
                matrix, labels, min_cell=MIN_CELL, scale=scale, agree=agree,
                rule=rule, items=list(arrays.item_ids))
            groups = sorted(set(labels))
            cells: dict[int, dict] = {}
            for rec in result.cells.to_dict("records"):
                cells.setdefault(rec["item"], {})[rec["group"]] = rec
            tests = {rec["item"]: rec for rec in result.tests.to_dict("records")}
            rows = []
            for item_id in arrays.item_ids:
                item = items.get(item_id)
                rows.append({"item_id": item_id, "code": item.code if item else str(item_id),
                             "text": item.text_in(language) if item else "",
                             "cells": cells.get(item_id, {}), "test": tests.get(item_id, {})})
            tables.append(SubgroupTable(dimension, criterion, groups, rows))
        out[dimension] = tables
    return out


def diverging_pairs(tables: dict[str, list[SubgroupTable]]) -> dict[tuple[int, str], list[str]]:
    """``{(item_id, criterion): [dimensions where groups diverge]}``."""
    out: dict[tuple[int, str], list[str]] = {}
    for dimension, per_criterion in tables.items():
        for table in per_criterion:
            for row in table.rows:
                if row["test"].get("diverges"):
                    out.setdefault((row["item_id"], table.criterion), []).append(dimension)
    return out


# --------------------------------------------------------------------------
# Round comparison
# --------------------------------------------------------------------------


def previous_closed_round(rnd: Round) -> Round | None:
    earlier = [r for r in rnd.study.rounds
               if r.number < rnd.number and r.status is RoundStatus.closed]
    return earlier[-1] if earlier else None


def comparison(rnd: Round, rows: list[ItemRow] | None = None, *,
               language: str | None = None, memo: dict | None = None) -> list[dict]:
    """Per item × criterion of ``rnd``: the previous round's figures beside this
    round's, the shift of the median and agreement, and the frozen stability."""
    previous = previous_closed_round(rnd)
    if previous is None:
        return []
    rows = rows if rows is not None else item_rows(rnd, language=language, memo=memo)
    before = {(r.item_id, r.criterion): r
              for r in item_rows(previous, language=language, memo=memo)}
    stats = round_statistics(rnd, memo)
    stability = (stats.stability or {}) if stats else {}
    out = []
    for row in rows:
        prev = before.get((row.item_id, row.criterion))
        stab = stability.get(f"{row.item_id}:{row.criterion}") or {}
        out.append({
            "row": row, "previous": prev,
            "median_shift": (row.median - prev.median)
            if prev and row.median is not None and prev.median is not None else None,
            "agreement_shift": (row.agreement - prev.agreement)
            if prev and row.agreement is not None and prev.agreement is not None else None,
            "iqr_shift": (row.iqr - prev.iqr)
            if prev and row.iqr is not None and prev.iqr is not None else None,
            "verdict_changed": bool(prev and prev.verdict != row.verdict),
            "stable": stab.get("stable"), "pct_change": stab.get("pct_change"),
            "n_pairs": stab.get("n_pairs"),
        })
    return out


# --------------------------------------------------------------------------
# Charts
# --------------------------------------------------------------------------


def _closed_rounds_upto(rnd: Round) -> list[Round]:
    return [r for r in rnd.study.rounds
            if r.number <= rnd.number and r.status is RoundStatus.closed]


def _label(row: ItemRow) -> str:
    return f"{row.code} {row.text}"


def _check_criterion(study: Study, criterion: str | None) -> str:
    from flask_babel import gettext as _

    criteria = list(study.criteria or [])
    if criterion is None:
        return criteria[0]
    if criterion not in criteria:
        raise InvalidInput(_("Unknown criterion."),
                           fields={"criterion": _("One of: %(list)s.", list=", ".join(criteria))})
    return criterion


def chart_table(rnd: Round, name: str, *, criterion: str | None = None,
                item: Item | None = None, language: str | None = None,
                memo: dict | None = None) -> dict:
    """The numbers a chart draws, as ``{"columns": [...], "rows": [[...]], ...}``.

    The page shows this table beside each chart; :func:`render_chart` draws
    from the same dictionary, so chart and table can never disagree.
    """
    from flask_babel import gettext as _

    study = rnd.study
    if name == "participation":
        rows = [p for p in participation(study) if p["number"] <= rnd.number]
        return {"kind": name, "rows": rows}
    if name == "concordance":
        rounds = _closed_rounds_upto(rnd)
        criteria = list(study.criteria or [])
        w = {c: [] for c in criteria}
        for r in rounds:
            conc = {row["criterion"]: row for row in concordance_rows(r, memo)}
            for c in criteria:
                w[c].append((conc.get(c) or {}).get("w"))
        return {"kind": name, "rounds": [r.number for r in rounds], "w": w}
    if rnd.status is not RoundStatus.closed or round_statistics(rnd, memo) is None:
        raise StateError(_("The statistics of a round are frozen when it closes; "
                           "this round is not closed yet."))
    criterion = _check_criterion(study, criterion)
    if name in ("verdicts", "verdict_counts"):
        # verdict_counts: the same rows drawn as one bar per verdict (the report's
        # chart for rounds of more than ``delphi.exports.report.ITEM_BARS`` items).
        rows = [r for r in item_rows(rnd, language=language, memo=memo)
                if r.criterion == criterion]
        return {"kind": name, "criterion": criterion, "rows": rows}
    if name == "convergence":
        rounds = _closed_rounds_upto(rnd)
        current = [r for r in item_rows(rnd, language=language, memo=memo)
                   if r.criterion == criterion]
        matrix = []
        by_round = []
        for r in rounds:
            by_round.append({row.item_id: row.agreement
                             for row in item_rows(r, language=language, memo=memo)
                             if row.criterion == criterion})
        for row in current:
            matrix.append([b.get(row.item_id) for b in by_round])
        rule = _consensus_rule(study)
        return {"kind": name, "criterion": criterion, "rounds": [r.number for r in rounds],
                "items": current, "agreement": matrix,
                "threshold": rule.agreement_min if rule is not None else None}
    if name == "distribution":
        if item is None:
            raise NotFound(_("No such item."))
        row = next((r for r in item_rows(rnd, language=language, memo=memo)
                    if r.item_id == item.id and r.criterion == criterion), None)
        if row is None:
            raise NotFound(_("This item has no statistics in this round."))
        labels = scale_labels(study)
        counts = list(row.counts) + [0] * (len(labels) - len(row.counts))
        return {"kind": name, "criterion": criterion, "row": row, "labels": labels,
                "counts": counts[:len(labels)]}
    raise NotFound(_("No such chart."))


def _nan(value):
    return math.nan if value is None else value


def _chart_call(table: dict, _: Callable[[str], str]) -> tuple[str, tuple, dict]:
    """``(chart name, args, kwargs)`` of the :mod:`analysis.charts` call for a
    :func:`chart_table`: ``<name>_chart`` draws it, ``<name>_alt`` describes it."""
    kind = table["kind"]
    if kind == "participation":
        # The chart's bars must nest (submitted <= started <= invited); the
        # frozen counts do, and the report always capped them, so keep the cap.
        rows = table["rows"]
        invited = [r["invited"] for r in rows]
        started = [min(r["started"], i) for r, i in zip(rows, invited)]
        submitted = [min(r["submitted"], s) for r, s in zip(rows, started)]
        return "participation", ([r["number"] for r in rows], invited, started, submitted), {}
    if kind == "concordance":
        return "concordance", (
            table["rounds"], {c: [_nan(v) for v in ws] for c, ws in table["w"].items()}), {}
    if kind in ("verdicts", "verdict_counts"):
        rows = table["rows"]
        return "verdicts", ([_label(r) for r in rows], [r.verdict for r in rows]), {
            "agreement": [_nan(r.agreement) for r in rows] if kind == "verdicts" else None,
            "title": _("Verdicts by item") + f" ({table['criterion']})"}
    if kind == "convergence":
        agreement = (np.array([[_nan(v) for v in row] for row in table["agreement"]], dtype=float)
                     .reshape(len(table["items"]), len(table["rounds"])))
        return "convergence", (table["rounds"], [_label(r) for r in table["items"]], agreement), {
            "threshold": table["threshold"],
            "title": _("Agreement across rounds") + f" ({table['criterion']})"}
    if kind == "distribution":
        row = table["row"]
        return "distribution", (table["counts"],), {
            "labels": table["labels"], "median": row.median,
            "q1": row.q1 if row.q3 is not None else None,
            "q3": row.q3 if row.q1 is not None else None,
            "title": f"{row.code} ({row.criterion})"}
    raise NotFound("No such chart.")


def render_chart(table: dict, fmt: str, *, _: Callable[[str], str] = _gettext_identity):
    """Draw a :func:`chart_table` with :mod:`analysis.charts`; returns a ``Chart``."""
    from analysis import charts

    name, args, kwargs = _chart_call(table, _)
    return getattr(charts, f"{name}_chart")(*args, fmt=fmt, _=_, **kwargs)


def chart_alt(table: dict, *, _: Callable[[str], str] = _gettext_identity) -> str:
    """The alt text of :func:`render_chart` of the same table, without drawing it."""
    from analysis import charts

    name, args, kwargs = _chart_call(table, _)
    return getattr(charts, f"{name}_alt")(*args, _=_, **kwargs)


def chart_alts(charts: dict, *, _: Callable[[str], str] = _gettext_identity) -> dict[str, str]:
    """The alt texts of a :class:`Dashboard`'s charts (``Dashboard.charts``), keyed as
    the page uses them: ``participation``, ``concordance``, ``verdicts:<criterion>``,
    ``convergence:<criterion>``. Nothing is drawn: the images come with their own
    requests (and the chart cache)."""
    alts = {}
    for name, value in charts.items():
        if value.get("kind") is not None:
            alts[name] = chart_alt(value, _=_)
        else:
            for criterion, table in value.items():
                alts[f"{name}:{criterion}"] = chart_alt(table, _=_)
    return alts


# --------------------------------------------------------------------------
# The whole page
# --------------------------------------------------------------------------


@dataclass
class Dashboard:
    study: Study
    round: Round
    rounds: list
    frozen: bool
    statistics: RoundStatistics | None
    participation: list
    rows: list
    table: list
    query: TableQuery
    concordance: list
    stopping: dict
    non_responders: list
    composition: dict
    comparison: list
    subgroups: dict
    diverging: dict
    charts: dict


def dashboard(study: Study, rnd: Round, *, with_names: bool, query: TableQuery | None = None,
              language: str | None = None,
              subgroups_of: Callable[[Round], dict] | None = None) -> Dashboard:
    """Everything the dashboard page shows for one round.

    ``subgroups_of(round)`` lets the caller supply (cached) subgroup tables;
    by default they are computed.
    """
    query = query or TableQuery()
    memo: dict = {}
    stats = round_statistics(rnd, memo) if rnd.status is RoundStatus.closed else None
    frozen = stats is not None
    rows = item_rows(rnd, language=language, memo=memo) if frozen else []
    subgroups = {}
    if frozen:
        subgroups = (subgroups_of or (lambda r: subgroup_tables(r, language=language)))(rnd)
    diverging = diverging_pairs(subgroups)
    table = sort_and_filter(rows, query, set(diverging))
    charts = {}
    if frozen:
        criteria = list(study.criteria or [])
        charts = {
            "verdicts": {c: chart_table(rnd, "verdicts", criterion=c, language=language, memo=memo)
                         for c in criteria},
            "convergence": {c: chart_table(rnd, "convergence", criterion=c, language=language,
                                           memo=memo) for c in criteria},
            "concordance": chart_table(rnd, "concordance", memo=memo),
        }
    participation_rows = participation(study)
    charts["participation"] = {"kind": "participation",
                               "rows": [p for p in participation_rows if p["number"] <= rnd.number]}
    return Dashboard(
        study=study, round=rnd,
        rounds=[r for r in study.rounds if r.status is not RoundStatus.draft],
        frozen=frozen, statistics=stats, participation=participation_rows, rows=rows,
        table=table, query=query, concordance=concordance_rows(rnd, memo) if frozen else [],
        stopping=stopping(rnd, rows, memo) if stats else {},
        non_responders=non_responders(rnd, with_names=with_names),
        composition=composition(study),
        comparison=comparison(rnd, rows, language=language, memo=memo) if frozen else [],
        subgroups=subgroups, diverging=diverging, charts=charts,
    )
