"""The charts of a round: what each one draws, from the frozen figures.

:func:`chart_table` gathers the numbers of a chart from the read model of
frozen results (:mod:`rounds.results`); the page shows that table beside the
chart. :func:`chart_spec` turns the table into one :mod:`analysis.charts` spec,
whose ``.alt`` :func:`chart_alt` prints and whose ``.render()``
:func:`render_chart` draws, so a chart, its table and its alt text can never
disagree.
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np
from flask_babel import gettext as _

from analysis import charts
from delphi.core.errors import InvalidInput, NotFound, StateError
from delphi.core.models import Item, Round, RoundStatus, Study
from rounds import results
from rounds.studies import consensus_rule

#: Charts of a round served by name (the item distribution is separate).
ROUND_CHARTS = ("verdicts", "convergence", "concordance", "participation")
CHART_FORMATS = ("png", "svg")


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


def _nan(value):
    return math.nan if value is None else value


def chart_spec(table: dict, _: Callable[[str], str] = _gettext_identity) -> charts.ChartSpec:
    """The :mod:`analysis.charts` spec of a :func:`chart_table`, built (and validated)
    once: its ``.alt`` describes the chart without drawing, ``.render(fmt)`` draws it."""
    kind = table["kind"]
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
