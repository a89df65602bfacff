"""The moderator's dashboard page: everything it shows for one round.

Assembled from the read models of ``rounds`` (frozen results, participation,
the panel's composition and non-responders, subgroups) and the chart
specifications of :mod:`delphi.charts.specs`; the item table is sorted and
filtered as the page's query string asks (:class:`TableQuery`). Nothing
here computes a statistic.

The item table, the charts of verdicts and agreement, the round comparison
and the subgroups are those of the rating items. Items of the other kinds
(estimate, probability, year, ranking) are shown kind by kind
(:func:`delphi.charts.specs.kind_sections`): each item's frozen figures
(:func:`rounds.results.kind_figures`) and verdict, and its chart
(:func:`delphi.charts.specs.item_chart`).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from delphi.charts import specs
from delphi.core.models import Round, RoundStatistics, RoundStatus, Study
from rounds import results
from rounds.panel_attributes import composition, non_responders
from rounds.subgroups import diverging_pairs

#: Columns the item table may be sorted on.
SORT_KEYS = ("position", "code", "criterion", "n", "median", "iqr", "agreement",
             "disagreement", "verdict")


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
    if verdict not in results.VERDICT_ORDER:
        verdict = None
    return TableQuery(sort=sort, descending=args.get("dir") == "desc", criterion=criterion,
                      verdict=verdict, text=(args.get("q") or "").strip()[:200],
                      diverging_only=args.get("diverging") == "1")


def sort_and_filter(rows: list[results.ItemRow], query: TableQuery,
                    diverging: set[tuple[int, str]] | None = None) -> list[results.ItemRow]:
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
        return sorted(out, key=lambda r: (results.VERDICT_ORDER.get(r.verdict, 9), r.position),
                      reverse=query.descending)
    present = [r for r in out if getattr(r, query.sort) is not None]
    missing = [r for r in out if getattr(r, query.sort) is None]
    present.sort(key=lambda r: (getattr(r, query.sort), -r.position if query.descending
                                else r.position), reverse=query.descending)
    return present + missing


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
    #: The rating rows (the item table's, before filtering) and the other kinds.
    rating_rows: list
    kinds: list
    #: The inference section (``delphi.dashboard_inference``) of a frozen round, or None.
    inference: object = None


def dashboard(study: Study, rnd: Round, *, with_names: bool, subgroups_of: Callable[[Round], dict],
              query: TableQuery | None = None, language: str | None = None,
              inference_of: Callable[[Round, dict], object] | None = None) -> Dashboard:
    """Everything the dashboard page shows for one round; ``subgroups_of(round)``
    gives the (cached) subgroup tables of a frozen round, ``inference_of(round,
    subgroups)`` its inference section (:mod:`delphi.dashboard_inference`)."""
    query = query or TableQuery()
    memo: dict = {}
    frozen = results.is_frozen(rnd, memo)
    stats = results.round_statistics(rnd, memo) if frozen else None
    rows = results.item_rows(rnd, language=language, memo=memo) if frozen else []
    rating_rows = [r for r in rows if r.kind == "rating"]
    subgroups = subgroups_of(rnd) if frozen else {}
    diverging = diverging_pairs(subgroups)
    charts: dict = {}
    if frozen:
        criteria = list(study.criteria or [])
        charts = {
            "verdicts": {c: specs.chart_table(rnd, "verdicts", criterion=c, language=language,
                                              memo=memo) for c in criteria},
            "convergence": {c: specs.chart_table(rnd, "convergence", criterion=c,
                                                 language=language, memo=memo) for c in criteria},
            "concordance": specs.chart_table(rnd, "concordance", memo=memo),
        }
    participation = results.participation(study)
    charts["participation"] = {"kind": "participation",
                               "rows": [p for p in participation if p["number"] <= rnd.number]}
    return Dashboard(
        study=study, round=rnd,
        rounds=[r for r in study.rounds if r.status is not RoundStatus.draft],
        frozen=frozen, statistics=stats, participation=participation, rows=rows,
        table=sort_and_filter(rating_rows, query, set(diverging)), query=query,
        concordance=results.concordance_rows(rnd, memo) if frozen else [],
        stopping=results.stopping_summary(rnd, rows, memo) if frozen else {},
        non_responders=non_responders(rnd, with_names=with_names),
        composition=composition(study),
        comparison=results.comparison(rnd, rating_rows, language=language, memo=memo)
        if frozen else [],
        subgroups=subgroups, diverging=diverging, charts=charts, rating_rows=rating_rows,
        kinds=specs.kind_sections(rnd, rows, language=language, memo=memo) if frozen else [],
        inference=inference_of(rnd, subgroups) if frozen and inference_of and rating_rows else None,
    )
