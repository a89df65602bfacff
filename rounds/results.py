"""The read model of frozen results: the one reader of a closed round's figures.

Closing a round freezes its ``ItemStatistics`` and ``RoundStatistics``
(:mod:`rounds.lifecycle`); everything that shows them (the study page, the
dashboard, the API, the exports and the report) reads them here, so they
show the same figures in the same order. Stopping reasons are stored as
codes with their details and put into words here, in the reader's language.

Functions only read; they never flush or commit. ``memo`` is a dict that
lives for one request (several readers of the same round share its rows).
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select

from analysis import interpret_w
from delphi.core.database import db
from delphi.core.errors import NotFound, StateError
from delphi.core.models import (
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
    translated,
)
from rounds.stopping import row_settled, stopping_reason_text

#: The figures of a rating row withheld below the study's minimum n ("too few answers").
WITHHELD_FIGURES = ("median", "q1", "q3", "iqr", "mean", "sd", "agreement", "disagreement")
#: RAND/UCLA figures in ``details`` withheld likewise.
WITHHELD_DETAILS = ("p30", "p70", "ipr", "iprcp", "asymmetry", "ipras", "di")

#: Verdicts in the order tables sort them.
VERDICT_ORDER = {"consensus_in": 0, "consensus_out": 1, "no_consensus": 2, "insufficient_n": 3}


# -- finding rounds ------------------------------------------------------------------

def get_round(study: Study, number: int) -> Round:
    """The study's round ``number`` (``NotFound`` otherwise)."""
    rnd = db.session.scalar(select(Round).where(Round.study_id == study.id, Round.number == number))
    if rnd is None:
        raise NotFound(_("No such round."))
    return rnd


def round_statistics(rnd: Round, memo: dict | None = None) -> RoundStatistics | None:
    """The round's frozen ``RoundStatistics`` (None before it closes)."""
    if memo is not None and ("stats", rnd.id) in memo:
        return memo[("stats", rnd.id)]
    stats = db.session.scalar(select(RoundStatistics).where(RoundStatistics.round_id == rnd.id))
    if memo is not None:
        memo[("stats", rnd.id)] = stats
    return stats


def is_frozen(rnd: Round, memo: dict | None = None) -> bool:
    """A closed round with frozen statistics: its figures and charts never change."""
    return rnd.status is RoundStatus.closed and round_statistics(rnd, memo) is not None


def freeze_stamp(rnd: Round, memo: dict | None = None) -> str | None:
    """A token that names this freezing of the round (for cache keys), or None."""
    stats = round_statistics(rnd, memo)
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


def closed_rounds(study: Study, *, upto: int | None = None) -> list[Round]:
    """The study's closed rounds in order (up to round ``upto`` when given)."""
    return [r for r in study.rounds if r.status is RoundStatus.closed
            and (upto is None or r.number <= upto)]


def previous_closed_round(rnd: Round) -> Round | None:
    earlier = [r for r in closed_rounds(rnd.study) if r.number < rnd.number]
    return earlier[-1] if earlier else None


# -- the item rows -------------------------------------------------------------------

@dataclass(frozen=True)
class ItemRow:
    """One item × criterion of a closed round, as frozen."""

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
    details: dict
    #: The question kind (``rounds.kinds``) and its parameters.
    kind: str = "rating"
    params: dict | None = None

    @property
    def consensus(self) -> bool:
        return self.verdict == "consensus_in"

    @property
    def settled(self) -> bool:
        return row_settled(self.verdict, self.details)

    @property
    def too_few(self) -> bool:
        """Fewer ratings than the study's minimum n: its figures are shown as
        "too few answers", not as numbers (:meth:`figure`)."""
        return bool(self.details.get("too_few"))

    def figure(self, name: str):
        """The statistic ``name`` as results show it: None when :attr:`too_few`."""
        return None if self.too_few else getattr(self, name)

    def shown_details(self) -> dict:
        """``details`` as results show them (RAND/UCLA figures None when too few)."""
        if not self.too_few:
            return dict(self.details)
        return {k: (None if k in WITHHELD_DETAILS else v) for k, v in self.details.items()}


def item_rows(rnd: Round, *, language: str | None = None, memo: dict | None = None) -> list[ItemRow]:
    """The frozen item × criterion statistics of a round, in questionnaire
    order, then criteria in the study's order (texts in ``language``; None:
    as written). Empty before the round closes."""
    key = ("rows", rnd.id, language)
    if memo is not None and key in memo:
        return memo[key]
    s = ItemStatistics
    query = (select(s.item_id, s.criterion, s.n, s.n_missing, s.median, s.q1, s.q3, s.iqr, s.mean,
                    s.sd, s.agreement, s.disagreement, s.verdict, s.counts, s.details, Item.code,
                    Item.text, Item.translations, RoundItem.position, Item.kind, Item.params)
             .join(Item, s.item_id == Item.id)
             .outerjoin(RoundItem, (RoundItem.round_id == s.round_id) & (RoundItem.item_id == s.item_id))
             .where(s.round_id == rnd.id))
    order = {c: i for i, c in enumerate(rnd.study.criteria or [])}
    rows = []
    for r in db.session.execute(query):
        text = translated(r.translations, language, "text", r.text)
        params = dict(r.params or {})
        if params.get("unit"):
            params["unit"] = translated(r.translations, language, "unit", params["unit"])
        rows.append(ItemRow(
            item_id=r.item_id, code=r.code, text=text, position=r.position or 0,
            criterion=r.criterion, n=r.n, n_missing=r.n_missing, median=r.median, q1=r.q1,
            q3=r.q3, iqr=r.iqr, mean=r.mean, sd=r.sd, agreement=r.agreement,
            disagreement=r.disagreement, verdict=r.verdict, counts=list(r.counts or []),
            details=dict(r.details or {}), kind=r.kind or "rating", params=params,
        ))
    rows.sort(key=lambda r: (r.position, r.item_id, order.get(r.criterion, 99), r.criterion))
    if memo is not None:
        memo[key] = rows
    return rows


def kind_figures(row: ItemRow) -> dict:
    """The figures of a non-rating item by their names in the results (``{}`` for
    a rating): estimates ``dispersion``, ``aggregate`` ``{p10, p50, p90}``,
    ``target_share``, ``median_gap``; years ``later_share`` (and whether the
    quartiles are "later"); rankings ``options`` ``[{option, mean_rank,
    rank_sum, top3_share}]``, ``w``, ``chi2``, ``df``, ``pvalue``."""
    d = row.details
    if row.kind == "estimate":
        return {"dispersion": d.get("dispersion"), "aggregate": d.get("aggregate"),
                "target_share": d.get("target_share"), "median_gap": d.get("median_gap")}
    if row.kind == "year":
        return {"later_share": d.get("later_share"), "median_later": d.get("median_later"),
                "q1_later": d.get("q1_later"), "q3_later": d.get("q3_later")}
    if row.kind == "ranking":
        return {"options": [dict(o) for o in d.get("options") or []], "w": d.get("w"),
                "chi2": d.get("chi2"), "df": d.get("df"), "pvalue": d.get("pvalue")}
    return {}


# -- round figures ----------------------------------------------------------------

def concordance_rows(rnd: Round, memo: dict | None = None) -> list[dict]:
    """Kendall's W per criterion as frozen, with Schmidt's interpretation: the
    listwise W (``w``, ``n_raters``, ``too_few``), the Skillings-Mack W for
    incomplete rankings (``sm_*``) and ``w_default``, the one shown first."""
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
            "too_few": bool(data.get("too_few")),
            "sm_w": data.get("sm_w"), "sm_statistic": data.get("sm_statistic"),
            "sm_df": data.get("sm_df"), "sm_pvalue": data.get("sm_pvalue"),
            "sm_n_raters": data.get("sm_n_raters"), "sm_too_few": bool(data.get("sm_too_few")),
            "sm_interpretation": data.get("sm_interpretation"),
            "w_default": data.get("w_default") or "listwise",
        })
    return rows


def stopping_in_words(stopping: dict | None) -> dict:
    """A frozen stopping verdict with each reason's ``message`` in the current
    language (reasons are stored as codes and details)."""
    frozen = dict(stopping or {})
    reasons = []
    for reason in frozen.get("reasons") or []:
        if isinstance(reason, dict):
            reasons.append({**reason, "message": stopping_reason_text(reason)})
        else:  # pragma: no cover - a stored sentence of an old close
            reasons.append({"code": None, "details": {}, "message": str(reason)})
    frozen["reasons"] = reasons
    frozen.setdefault("stop", False)
    return frozen


def stopping_summary(rnd: Round, rows: list[ItemRow], memo: dict | None = None) -> dict:
    """The frozen stopping verdict with its reasons as sentences, and, when the
    rule says continue, why: how many item × criterion rows are unsettled and
    how many rounds remain."""
    stats = round_statistics(rnd, memo)
    frozen = stopping_in_words(stats.stopping if stats else None)
    return {"stop": bool(frozen.get("stop")), "reasons": [r["message"] for r in frozen["reasons"]],
            "unsettled": sum(1 for r in rows if not r.settled), "rows": len(rows),
            "round": rnd.number, "max_rounds": rnd.study.max_rounds,
            "study_ended": rnd.study.status.value == "ended"}


def round_results(round: Round) -> dict:
    """The frozen statistics in the API's shape (``StateError`` unless closed):
    ``{round, response_rate, invited, started, submitted, items: [{item, code,
    text, criterion, n, n_missing, median, q1, q3, iqr, mean, sd, agreement,
    disagreement, counts, consensus, verdict, details}], concordance, stability,
    stopping}``. Below the study's minimum n (``details.too_few``) the figures
    are None ("too few answers"). Items in round order, then criteria in the study's order;
    stopping reasons carry their ``message`` in the reader's language."""
    if round.status is not RoundStatus.closed:
        raise StateError(_("Round %(n)d is not closed: it has no results yet.", n=round.number))
    stats = round_statistics(round)
    items = [{
        "item": r.item_id, "code": r.code, "text": r.text, "kind": r.kind,
        "criterion": r.criterion, "n": r.n,
        "n_missing": r.n_missing, **{name: r.figure(name) for name in WITHHELD_FIGURES},
        "counts": list(r.counts), "consensus": r.consensus, "verdict": r.verdict,
        "details": r.shown_details(), **kind_figures(r),
    } for r in item_rows(round)]
    return {
        "round": round.number,
        "response_rate": stats.response_rate if stats else None,
        "invited": stats.invited if stats else None,
        "started": stats.started if stats else None,
        "submitted": stats.submitted if stats else None,
        "items": items,
        "concordance": dict(stats.concordance or {}) if stats else {},
        "stability": dict(stats.stability or {}) if stats else {},
        "stopping": stopping_in_words(stats.stopping if stats else None),
    }


# -- participation ------------------------------------------------------------------

def participation(study: Study) -> list[dict]:
    """Per round (draft rounds left out): ``{number, status, invited, started,
    submitted, response_rate, stayers, dropouts, newcomers}``. Stayers submitted
    in this round and the previous one, newcomers only in this one; dropouts:
    see :func:`dropouts`. A closed round uses its counts frozen at close
    and the responses that counted then; an open round counts now (active
    panellists)."""
    rounds = list(db.session.scalars(select(Round).where(
        Round.study_id == study.id, Round.status != RoundStatus.draft).order_by(Round.number)))
    if not rounds:
        return []
    submitters: dict[int, set[int]] = {r.id: set() for r in rounds}
    started: dict[int, int] = {r.id: 0 for r in rounds}
    closed = {r.id for r in rounds if r.status is RoundStatus.closed}
    for round_id, panellist_id, status, counted, active in db.session.execute(
        select(Response.round_id, Response.panellist_id, Response.status, Response.counted,
               Panellist.status == PanellistStatus.active)
        .join(Panellist, Panellist.id == Response.panellist_id)
        .where(Response.round_id.in_(list(submitters)))):
        if round_id in closed:
            if counted:
                submitters[round_id].add(panellist_id)
            continue
        if not active:
            continue
        started[round_id] += 1
        if status is ResponseStatus.submitted:
            submitters[round_id].add(panellist_id)
    frozen = {s.round_id: s for s in db.session.scalars(
        select(RoundStatistics).where(RoundStatistics.round_id.in_(list(submitters))))}
    active = db.session.scalar(select(func.count(Panellist.id)).where(
        Panellist.study_id == study.id, Panellist.status == PanellistStatus.active)) or 0
    withdrawn = set(db.session.scalars(select(Panellist.id).where(
        Panellist.study_id == study.id, Panellist.status == PanellistStatus.withdrawn)))
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
            "dropouts": (len(dropouts(previous, now_set, closed=r.status is RoundStatus.closed,
                                      withdrawn=withdrawn)) if previous is not None else None),
            "newcomers": len(now_set - previous) if previous is not None else None,
        })
        previous = now_set
    return out


def dropouts(previous: set[int], answered: set[int], *, closed: bool,
             withdrawn: set[int]) -> set[int]:
    """The one definition of a round's **dropouts**: panellists who answered
    the previous round (``previous``) and, when this round is closed, did not
    count in it (``answered``: the responses that counted), or, while it is
    open, have withdrawn since. Someone who simply has not answered an open
    round yet is not a dropout: they may still answer."""
    if closed:
        return set(previous) - set(answered)
    return (set(previous) - set(answered)) & set(withdrawn)


# -- round comparison ---------------------------------------------------------------

def comparison(rnd: Round, rows: list[ItemRow] | None = None, *,
               language: str | None = None, memo: dict | None = None) -> list[dict]:
    """Per item × criterion of ``rnd``: the previous closed round's figures
    beside this round's, the shift of the median, IQR and agreement, and the
    frozen stability verdict."""
    previous = previous_closed_round(rnd)
    if previous is None:
        return []
    rows = rows if rows is not None else item_rows(rnd, language=language, memo=memo)
    before = {(r.item_id, r.criterion): r for r in item_rows(previous, language=language, memo=memo)}
    stats = round_statistics(rnd, memo)
    stability = (stats.stability or {}) if stats else {}

    def shift(row, prev, name):
        if prev is None or getattr(row, name) is None or getattr(prev, name) is None:
            return None
        return getattr(row, name) - getattr(prev, name)

    out = []
    for row in rows:
        prev = before.get((row.item_id, row.criterion))
        stab = stability.get(f"{row.item_id}:{row.criterion}") or {}
        out.append({
            "row": row, "previous": prev,
            "median_shift": shift(row, prev, "median"),
            "agreement_shift": shift(row, prev, "agreement"),
            "iqr_shift": shift(row, prev, "iqr"),
            "verdict_changed": bool(prev and prev.verdict != row.verdict),
            "stable": stab.get("stable"), "pct_change": stab.get("pct_change"),
            "n_pairs": stab.get("n_pairs"),
        })
    return out
