"""The charts of a round: what each one draws, from the frozen figures.

:func:`chart_table` gathers the numbers of a chart from the read model of
frozen results (:mod:`rounds.results`); the page shows that table beside the
chart. :func:`chart_spec` turns the table into one :mod:`analysis.charts` spec,
whose ``.alt`` :func:`chart_alt` prints and whose ``.render()``
:func:`render_chart` draws, so a chart, its table and its alt text can never
disagree.

Charts of one item (:data:`ITEM_CHARTS`), by the item's kind
(:func:`item_chart`): a rating's ``distribution`` (one per criterion); an
estimate's ``target`` (the gap-to-target chart) when it has a target or an
indicator (:func:`has_target`), else the ``distribution`` of its estimates;
a probability's or a year's ``distribution`` (years with a "later" bar); a
ranking's ``ranking`` (mean rank and top-three share per option). All are
drawn from the frozen ``ItemStatistics`` row (its ``details``), never
recomputed; their alt texts write numbers in the reader's locale
(:mod:`delphi.charts.numbers`).
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from flask_babel import gettext as _
from sqlalchemy import select

from analysis import charts
from delphi.charts import numbers
from delphi.core.database import db
from delphi.core.errors import InvalidInput, NotFound, StateError
from delphi.core.models import Item, Round, RoundStatus, Study
from rounds import results
from rounds.kinds import (
    KIND_NAMES,
    NO_CRITERION,
    has_target,
    kind_label,
    kind_of,
    option_text,
)
from rounds.studies import consensus_rule

#: Charts of a round served by name (the item distribution is separate).
ROUND_CHARTS = ("verdicts", "convergence", "concordance", "participation")
CHART_FORMATS = ("png", "svg")
#: Charts of one item of a round.
ITEM_CHARTS = ("distribution", "target", "ranking")


def item_chart(kind: str, params: dict | None) -> str:
    """The name of the chart of an item of ``kind``, as its kind declares it
    (``rounds.kinds``: ``Kind.chart_of``)."""
    return kind_of(kind).chart_of(params)


def _gettext_identity(message: str) -> str:
    return message


def scale_labels(study: Study) -> list[str]:
    """The x labels of a distribution: each point with its label."""
    labels = list(study.scale_labels or [])
    return [f"{i} {labels[i - 1]}" if i - 1 < len(labels) and labels[i - 1] else str(i)
            for i in range(1, study.scale_points + 1)]


def _label(row) -> str:
    return f"{row.code} {row.text}"


def _check_criterion(study: Study, criterion: str | None) -> str:
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
    study = rnd.study
    if name == "participation":
        rows = [p for p in results.participation(study) if p["number"] <= rnd.number]
        return {"kind": name, "rows": rows}
    if name == "concordance":
        rounds = results.closed_rounds(rnd.study, upto=rnd.number)
        criteria = list(study.criteria or [])
        w = {c: [] for c in criteria}
        for r in rounds:
            conc = {row["criterion"]: row for row in results.concordance_rows(r, memo)}
            for c in criteria:
                w[c].append((conc.get(c) or {}).get("w"))
        return {"kind": name, "rounds": [r.number for r in rounds], "w": w}
    if rnd.status is not RoundStatus.closed or results.round_statistics(rnd, memo) is None:
        raise StateError(_("The statistics of a round are frozen when it closes; "
                           "this round is not closed yet."))
    if item is not None and (item.kind or "rating") != "rating":
        criterion = NO_CRITERION  # a non-rating item has no criterion
    else:
        criterion = _check_criterion(study, criterion)
    if name in ("verdicts", "verdict_counts"):
        # verdict_counts: the same rows drawn as one bar per verdict (the report's
        # chart for rounds of more than ``delphi.exports.report.ITEM_BARS`` items).
        rows = [r for r in results.item_rows(rnd, language=language, memo=memo)
                if r.criterion == criterion]
        return {"kind": name, "criterion": criterion, "rows": rows}
    if name == "convergence":
        rounds = results.closed_rounds(rnd.study, upto=rnd.number)
        current = [r for r in results.item_rows(rnd, language=language, memo=memo)
                   if r.criterion == criterion]
        matrix = []
        by_round = []
        for r in rounds:
            by_round.append({row.item_id: row.agreement
                             for row in results.item_rows(r, language=language, memo=memo)
                             if row.criterion == criterion})
        for row in current:
            matrix.append([b.get(row.item_id) for b in by_round])
        rule = consensus_rule(study)
        return {"kind": name, "criterion": criterion, "rounds": [r.number for r in rounds],
                "items": current, "agreement": matrix,
                "threshold": rule.agreement_min if rule is not None else None}
    if name in ITEM_CHARTS and item is not None and (item.kind or "rating") != "rating":
        return _kind_table(rnd, name, item, language=language, memo=memo)
    if name == "distribution":
        if item is None:
            raise NotFound(_("No such item."))
        row = next((r for r in results.item_rows(rnd, language=language, memo=memo)
                    if r.item_id == item.id and r.criterion == criterion), None)
        if row is None:
            raise NotFound(_("This item has no statistics in this round."))
        labels = scale_labels(study)
        counts = list(row.counts) + [0] * (len(labels) - len(row.counts))
        return {"kind": name, "criterion": criterion, "row": row, "labels": labels,
                "counts": counts[:len(labels)]}
    raise NotFound(_("No such chart."))


@dataclass(frozen=True)
class KindItem:
    """One item of another kind than rating, as the dashboard shows it."""

    row: results.ItemRow
    #: The kind's figures by their names in the results (``kind_figures``).
    figures: dict
    #: The name of its chart (:data:`ITEM_CHARTS`) and the
    #: chart's table (:func:`chart_table`).
    chart: str
    table: dict
    #: A ranking's options with their texts and figures; else empty.
    options: list

    @property
    def ranked(self) -> list:
        """A ranking's options, best mean rank first (not computed: last)."""
        return sorted(self.options, key=lambda o: (o["mean_rank"] is None,
                                                   o["mean_rank"] or 0, o["option"]))


@dataclass(frozen=True)
class KindSection:
    kind: str
    label: str
    items: list[KindItem]


def kind_sections(rnd: Round, rows: list[results.ItemRow], *, language: str | None = None,
                  memo: dict | None = None) -> list[KindSection]:
    """The items of each kind other than rating, kind by kind (in the registry's
    order), each item in questionnaire order, with its frozen figures and the
    table of its chart. Kinds without items are left out."""
    by_kind: dict[str, list[KindItem]] = {}
    for row in rows:
        if row.kind == "rating":
            continue
        chart = item_chart(row.kind, row.params)
        table = kind_chart_table(row, chart, language=language)
        by_kind.setdefault(row.kind, []).append(KindItem(
            row=row, figures=results.kind_figures(row), chart=chart, table=table,
            options=table.get("options") or []))
    return [KindSection(kind, kind_label(kind), by_kind[kind])
            for kind in KIND_NAMES if kind in by_kind]


def _kind_table(rnd: Round, name: str, item: Item, *, language: str | None,
                memo: dict | None) -> dict:
    """The table of the chart ``name`` of a non-rating item: its frozen row."""
    row = next((r for r in results.item_rows(rnd, language=language, memo=memo)
                if r.item_id == item.id and r.criterion == NO_CRITERION), None)
    if row is None:
        raise NotFound(_("This item has no statistics in this round."))
    return kind_chart_table(row, name, language=language)


def kind_chart_table(row, name: str, *, language: str | None = None) -> dict:
    """The table of the chart ``name`` of a non-rating item's frozen ``row``
    (a :class:`rounds.results.ItemRow`); ``NotFound`` if the item has no such chart."""
    params = row.params or {}
    if name == "target" and not (row.kind == "estimate" and has_target(params)):
        raise NotFound(_("This item is not an estimate with a target."))
    if name == "ranking" and row.kind != "ranking":
        raise NotFound(_("This item is not a ranking."))
    if name == "distribution" and row.kind == "ranking":
        raise NotFound(_("A ranking has no distribution chart: see its ranking chart."))
    table = {"kind": name, "item_kind": row.kind, "row": row, "params": params}
    if row.kind == "ranking":
        table["options"] = option_rows(row, language=language)
    return table


def option_rows(row, *, language: str | None) -> list[dict]:
    """The frozen figures of a ranking's options, each with its text in
    ``language``, in the order of the item's options: ``[{option, text,
    mean_rank, rank_sum, top3_share}]``."""
    figures = {o.get("option"): o for o in (row.details or {}).get("options") or []}
    options = (row.params or {}).get("options") or []
    wanted = [o["item"] for o in options if "item" in o]
    items = ({i.id: i for i in db.session.scalars(select(Item).where(Item.id.in_(wanted)))}
             if wanted else {})
    out = []
    for option in options:
        f = figures.get(option["id"]) or {}
        out.append({"option": option["id"], "text": option_text(option, language, items),
                    "mean_rank": f.get("mean_rank"), "rank_sum": f.get("rank_sum"),
                    "top3_share": f.get("top3_share")})
    return out


def _point(point: dict | None):
    if not point or point.get("value") is None:
        return None
    return (point["value"], point.get("year"))


def _kind_spec(table: dict, _: Callable[[str], str]) -> charts.ChartSpec:
    """The spec of a non-rating item's chart, from its frozen row."""
    row, params, name = table["row"], table["params"], table["kind"]
    d = row.details or {}
    formats = {"number": numbers.decimal, "percent": numbers.percent, "_": _}
    if name == "ranking":
        options = table["options"]
        return charts.RankingChart.from_options(
            [o["text"] for o in options], [o["mean_rank"] for o in options],
            [o["top3_share"] for o in options], n=row.n, w=d.get("w"),
            title=f"{row.code} · {_('Mean rank per option')}", **formats)
    if name == "target":
        aggregate = d.get("aggregate")
        return charts.TargetChart.from_estimates(
            d.get("values") or [], unit=params.get("unit") or "",
            aggregate=(aggregate["p10"], aggregate["p50"], aggregate["p90"])
            if aggregate else None,
            median=row.median, q1=row.q1, q3=row.q3,
            baseline=_point(params.get("baseline")), target=_point(params.get("target")),
            target_share=d.get("target_share"), median_gap=d.get("median_gap"),
            bounds=(params["min"], params["max"])
            if params.get("min") is not None and params.get("max") is not None else None,
            title=f"{row.code} · {_('Gap to target')}", **formats)
    title = f"{row.code} · {_('Distribution of answers')}"
    if row.kind == "year":
        values = [v for v in d.get("values") or [] if not isinstance(v, str)]
        return charts.AnswersChart.from_values(
            values, scale="year", low=min([params["min"], *values]),
            high=max([params["max"], *values]),
            n_later=d.get("n_later") or 0, median=row.median, q1=row.q1, q3=row.q3,
            median_later=bool(d.get("median_later")), q1_later=bool(d.get("q1_later")),
            q3_later=bool(d.get("q3_later")), year=numbers.year, title=title, **formats)
    if row.kind == "probability":
        return charts.AnswersChart.from_values(
            d.get("values") or [], scale="percent", low=0, high=100, median=row.median,
            q1=row.q1, q3=row.q3, title=title, **formats)
    values = d.get("values") or []
    return charts.AnswersChart.from_values(
        values, scale="value", low=min([params["min"], *values]),
        high=max([params["max"], *values]),
        median=row.median, q1=row.q1, q3=row.q3, unit=params.get("unit") or "",
        title=title, **formats)


def _nan(value):
    return math.nan if value is None else value


def chart_spec(table: dict, _: Callable[[str], str] = _gettext_identity) -> charts.ChartSpec:
    """The :mod:`analysis.charts` spec of a :func:`chart_table`, built (and validated)
    once: its ``.alt`` describes the chart without drawing, ``.render(fmt)`` draws it."""
    kind = table["kind"]
    if table.get("item_kind", "rating") != "rating":
        return _kind_spec(table, _)
    if kind == "participation":
        # The chart's bars must nest (submitted <= started <= invited); the
        # frozen counts do, and the report always capped them, so keep the cap.
        rows = table["rows"]
        invited = [r["invited"] for r in rows]
        started = [min(r["started"], i) for r, i in zip(rows, invited)]
        submitted = [min(r["submitted"], s) for r, s in zip(rows, started)]
        return charts.ParticipationChart.from_counts(
            [r["number"] for r in rows], invited, started, submitted, _=_)
    if kind == "concordance":
        return charts.ConcordanceChart.from_w(
            table["rounds"], {c: [_nan(v) for v in ws] for c, ws in table["w"].items()}, _=_)
    if kind in ("verdicts", "verdict_counts"):
        rows = table["rows"]
        return charts.VerdictsChart.from_verdicts(
            [_label(r) for r in rows], [r.verdict for r in rows],
            agreement=[_nan(r.agreement) for r in rows] if kind == "verdicts" else None,
            title=_("Verdicts by item") + f" ({table['criterion']})", _=_)
    if kind == "convergence":
        agreement = (np.array([[_nan(v) for v in row] for row in table["agreement"]], dtype=float)
                     .reshape(len(table["items"]), len(table["rounds"])))
        return charts.ConvergenceChart.from_agreement(
            table["rounds"], [_label(r) for r in table["items"]], agreement,
            threshold=table["threshold"],
            title=_("Agreement across rounds") + f" ({table['criterion']})", _=_)
    if kind == "distribution":
        row = table["row"]
        return charts.DistributionChart.from_counts(
            table["counts"], labels=table["labels"], median=row.median,
            q1=row.q1 if row.q3 is not None else None,
            q3=row.q3 if row.q1 is not None else None,
            title=f"{row.code} ({row.criterion})", _=_)
    raise NotFound("No such chart.")


def render_chart(table: dict, fmt: str, *, _: Callable[[str], str] = _gettext_identity):
    """Draw a :func:`chart_table` with :mod:`analysis.charts`; returns a ``Chart``."""
    return chart_spec(table, _).render(fmt)


def chart_alt(table: dict, *, _: Callable[[str], str] = _gettext_identity) -> str:
    """The alt text of :func:`render_chart` of the same table, without drawing it."""
    return chart_spec(table, _).alt


def chart_alts(tables: dict, *, _: Callable[[str], str] = _gettext_identity) -> dict[str, str]:
    """The alt texts of a :class:`Dashboard`'s charts (``Dashboard.charts``), keyed as
    the page uses them: ``participation``, ``concordance``, ``verdicts:<criterion>``,
    ``convergence:<criterion>``. Nothing is drawn: the images come with their own
    requests (and the chart cache)."""
    alts = {}
    for name, value in tables.items():
        if value.get("kind") is not None:
            alts[name] = chart_alt(value, _=_)
        else:
            for criterion, table in value.items():
                alts[f"{name}:{criterion}"] = chart_alt(table, _=_)
    return alts
