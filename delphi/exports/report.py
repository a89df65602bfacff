"""The printable study report (HTML): protocol, panel, participation, results
with charts, final item list and the reporting checklists.

Everything shown is read from the database as frozen at each round's close;
nothing here computes a statistic. The charts of participation, concordance
and verdicts are the dashboard's (:mod:`delphi.charts.specs`, drawn and
cached by :mod:`delphi.charts.cache`); agreement across rounds, over every
item of every round, is drawn here by :mod:`analysis.charts` from the frozen
figures. Items of the other kinds (estimate, probability, year, ranking) get,
per round, each kind's table of frozen figures and each item's chart (the
gap-to-target chart for an estimate with a target), as on the dashboard
(:func:`delphi.charts.specs.kind_sections`). Panel composition is shown as separate counts per attribute, counts
below the policy's ``min_cell`` as "< min_cell" with complementary
suppression; no panellist is named.
"""
from __future__ import annotations

import base64
from collections import Counter
from pathlib import Path

import pandas as pd
from flask import render_template
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select

from analysis import charts, suppression_masks
from delphi.charts import cache as chart_cache
from delphi.charts import specs
from delphi.config import current_policy
from delphi.core.database import db
from delphi.core.models import Amendment, Item, Study
from delphi.exports.checklists import CHECKLISTS
from delphi.exports.codebook import QUANTILE_TEXT, agreement_bands, consensus_text
from delphi.exports.tiers import statistics_tables
from delphi.i18n import current_language
from rounds.kinds import kind_label
from rounds.panel_attributes import panel_attributes
from rounds.protocol import Protocol
from rounds.results import closed_rounds, item_rows
from rounds.vocabulary import VERDICT_LABELS

#: Above this many items a round's verdict chart counts items per verdict.
ITEM_BARS = 30
STYLESHEET = Path(__file__).resolve().parent.parent / "static" / "export_report.css"


def _data_uri(chart) -> str:
    return f"data:{chart.mimetype};base64," + base64.b64encode(chart.data).decode("ascii")


def _figure(chart) -> dict:
    return {"src": _data_uri(chart), "alt": chart.alt}


def _fmt(value, digits=2):
    if value is None or value != value:
        return "–"
    return f"{value:.{digits}f}"


def _composition(study: Study, min_cell: int) -> dict[str, list[tuple[str, str]]]:
    """The panel's composition as the report publishes it: cells under
    ``min_cell`` as "< min_cell", with complementary suppression (the total
    is printed, so a single small cell could be recovered by subtraction)."""
    attributes = list(panel_attributes(study).values())
    out: dict = {}
    for attribute in ("role", "region", "stakeholder_group"):
        counts = sorted(Counter(a[attribute] for a in attributes).items(),
                        key=lambda kv: (-kv[1], kv[0]))
        _primary, hidden = suppression_masks([n for _v, n in counts], min_cell) \
            if counts else ([], [])
        out[attribute] = [(value, f"< {min_cell}" if hide else str(n))
                          for (value, n), hide in zip(counts, hidden)]
    out["_total"] = len(attributes)
    return out


def _round_chart(study: Study, rnd, name: str, *, criterion: str | None = None) -> dict:
    """A chart of a closed round as the dashboard draws it (:mod:`delphi.charts.specs`),
    from the chart cache: a repeated export draws nothing."""
    return _figure(chart_cache.chart(study, rnd, name, "png", criterion=criterion,
                                     language=current_language()))


def _kind_blocks(study: Study, rnd) -> list[dict]:
    """The round's items of the other kinds, kind by kind: the dashboard's
    sections (:func:`delphi.charts.specs.kind_sections`), each item with its
    chart drawn from the chart cache."""
    language = current_language()
    sections = specs.kind_sections(rnd, item_rows(rnd, language=language), language=language)
    if not sections:
        return []
    ids = [entry.row.item_id for section in sections for entry in section.items]
    items = {i.id: i for i in db.session.scalars(select(Item).where(Item.id.in_(ids)))}
    return [{"section": section,
             "charts": [{"entry": entry, "figure": _figure(chart_cache.chart(
                 study, rnd, entry.chart, "png", item=items[entry.row.item_id],
                 language=language))} for entry in section.items]}
            for section in sections]


def report_context(study: Study) -> dict:
    min_cell = current_policy().min_cell
    tables = statistics_tables(study)
    items_t, rounds_t = tables["item_statistics"], tables["round_statistics"]
    rounds = closed_rounds(study)
    by_number = {r.number: r for r in rounds}
    numbers = [r.number for r in rounds]
    criteria = list(study.criteria)
    agree, disagree = agreement_bands(study)

    participation = []
    seen = set()
    for row in rounds_t.itertuples(index=False):
        if row.round in seen:
            continue
        seen.add(row.round)
        participation.append({"round": int(row.round), "invited": int(row.invited),
                              "started": int(row.started), "submitted": int(row.submitted),
                              "response_rate": _fmt(row.response_rate * 100 if row.response_rate
                                                    == row.response_rate else None, 0)})
    figures = {}
    if participation:
        figures["participation"] = _round_chart(study, rounds[-1], "participation")
        figures["concordance"] = _round_chart(study, rounds[-1], "concordance")

    per_round = []
    for number in numbers:
        here = items_t[items_t["round"] == number]
        blocks = []
        for criterion in criteria:
            rows = here[here["criterion"] == criterion]
            if rows.empty:
                continue
            conc = rounds_t[(rounds_t["round"] == number) & (rounds_t["criterion"] == criterion)]
            w = conc["w"].iloc[0] if len(conc) else None
            # One bar per item up to ITEM_BARS items (the table lists them all);
            # beyond, one bar per verdict: a chart of 100 labelled bars takes
            # seconds to draw and cannot be read.
            chart = "verdicts" if len(rows) <= ITEM_BARS else "verdict_counts"
            blocks.append({
                "criterion": criterion, "w": _fmt(w),
                "chart": _round_chart(study, by_number[number], chart, criterion=criterion),
                "rows": [{"code": r.item_code, "text": r.item_text, "n": int(r.n),
                          "median": _fmt(r.median, 1), "iqr": _fmt(r.iqr, 1),
                          "agreement": _fmt(r.agreement * 100 if r.agreement == r.agreement
                                            else None, 0),
                          "verdict": r.verdict} for r in rows.itertuples(index=False)],
            })
        per_round.append({"number": number, "blocks": blocks,
                          "kinds": _kind_blocks(study, by_number[number])})

    if len(numbers) > 1:
        for criterion in criteria:
            sub = items_t[items_t["criterion"] == criterion]
            codes = sorted(sub["item_code"].unique().tolist())
            grid = sub.pivot_table(index="item_code", columns="round", values="agreement",
                                   aggfunc="first").reindex(index=codes, columns=numbers)
            spec = charts.ConvergenceChart.from_agreement(
                numbers, codes, grid.to_numpy(dtype=float),
                threshold=(study.consensus_rule or {}).get("agreement_min"),
                title=_("Agreement across rounds: %(criterion)s", criterion=criterion), _=_)
            figures[f"convergence_{criterion}"] = _figure(spec.render("png"))

    final = []
    # Rating rows per criterion, and one row per item of the other kinds (no criterion).
    decided = items_t[["round", "item_code", "criterion", "verdict"]]
    kind_t = tables.get("kind_statistics")
    if kind_t is not None and len(kind_t):
        decided = pd.concat([decided, kind_t[["round", "item_code", "verdict"]].assign(criterion="")],
                            ignore_index=True)
    last = decided.sort_values("round").groupby(["item_code", "criterion"], sort=True).tail(1)
    texts = dict(db.session.execute(select(Item.code, Item.text).where(Item.study_id == study.id)).all())
    kinds = dict(db.session.execute(select(Item.code, Item.kind).where(Item.study_id == study.id)).all())
    for code in sorted(last["item_code"].unique().tolist()):
        rows = last[last["item_code"] == code]
        kind = kinds.get(code) or "rating"
        final.append({"code": code, "text": texts.get(code, ""), "kind": kind,
                      "kind_label": kind_label(kind),
                      "round": int(rows["round"].max()),
                      "verdicts": {r.criterion: r.verdict for r in rows.itertuples(index=False)}})

    amendments = db.session.scalars(select(Amendment).where(Amendment.study_id == study.id)
                                    .order_by(Amendment.at)).all()
    composition = _composition(study, min_cell)
    verdict_counts = Counter(v for f in final for v in f["verdicts"].values())
    facts = _facts(study, numbers, participation, composition, amendments, final, verdict_counts)
    checklists = [(name, [{"section": str(section), "text": str(text),
                           "answer": facts.get(key) if key else None}
                          for section, text, key in items]) for name, items in CHECKLISTS]
    return {
        "study": study, "task_force": study.task_force,
        "scale_labels": list(enumerate(study.scale_labels or [], start=1)),
        "consensus": consensus_text(study), "quantile_text": QUANTILE_TEXT.get(study.quantile_method, ""),
        "agree": agree, "disagree": disagree,
        "amendments": amendments, "composition": composition,
        "participation": participation, "figures": figures, "per_round": per_round,
        "final": final, "criteria": criteria, "checklists": checklists,
        "min_cell": min_cell, "panel_cutoff": Protocol.from_study(study).cutoff_text(),
        "verdict_labels": {code: str(label) for code, label in VERDICT_LABELS.items()},
    }


def _facts(study, numbers, participation, composition, amendments, final, verdict_counts) -> dict:
    rates = "; ".join(_("round %(n)s: %(s)s of %(i)s (%(r)s %%)", n=p["round"], s=p["submitted"],
                        i=p["invited"], r=p["response_rate"]) for p in participation)
    flags = [label for flag, label in ((study.show_distribution, _("the distribution")),
                                      (study.show_median_iqr, _("the median and IQR")),
                                      (study.show_comments, _("the anonymised comments"))) if flag]
    stop = _("at most %(n)s rounds", n=study.max_rounds)
    if study.stop_when_settled:
        stop += _("; stop early when every item has a settled verdict")
    if study.stop_w_threshold is not None:
        stop += _("; stop when Kendall's W >= %(w)s and the last round was stable",
                  w=study.stop_w_threshold)
    return {
        "title": study.title,
        "purpose": study.description or None,
        "rounds": _("%(n)s closed rounds, online, with the items frozen when each round opened.",
                    n=len(numbers)) if numbers else None,
        "consensus": consensus_text(study),
        "attainment": ", ".join(f"{k}: {v}" for k, v in sorted(verdict_counts.items())) or None,
        "feedback": (_("From round 2 each panellist saw, per item: %(what)s and their own "
                       "previous answer.", what=", ".join(flags)) if flags else
                     _("Panellists saw their own previous answer only.")),
        "anonymity": _("Online survey; panellists never saw who gave which answer; exports carry "
                       "per-study pseudonyms only."),
        "carry_forward": _("Carried to the next round: %(which)s.",
                           which=_("items without consensus") if study.carry_forward.value ==
                           "no_consensus" else _("all items")),
        "panel": _("%(n)s panellists enrolled: members of the task force.",
                   n=composition["_total"]),
        "panel_cutoff": (_("Members who joined the task force before %(d)s.",
                           d=Protocol.from_study(study).cutoff_text()) if study.panel_cutoff else
                         _("All approved members of the task force.")),
        "composition": _("See \"Panel composition\" (role, region, stakeholder group)."),
        "methods": _("Per item and criterion: n, median, quartiles (%(q)s), IQR, mean, SD, "
                     "agreement; Kendall's W per round and criterion.", q=study.quantile_method),
        "participation": rates or None,
        "results": _("See \"Results by round\" and \"Final item list\".") if numbers else None,
        "no_consensus": str(verdict_counts.get("no_consensus", 0)) + " " + _("items")
        if final else None,
        "amendments": (_("%(n)s amendments, listed under \"Protocol\".", n=len(amendments))
                       if amendments else _("No amendment after the protocol was locked.")),
        "items": _("%(n)s items rated.", n=len(final)) if final else None,
        "scale": _("%(p)s-point scale; criteria: %(c)s.", p=study.scale_points,
                   c=", ".join(study.criteria)),
        "stopping": stop,
        "data": _("De-identified data, codebook and reproduction script exported with this report."),
    }


def render_report(study: Study, *, standalone: bool = False) -> str:
    """The report as HTML. ``standalone`` inlines the stylesheet (for the ZIP);
    served by the app it links to it (the CSP forbids inline styles)."""
    context = report_context(study)
    css = Markup(STYLESHEET.read_text(encoding="utf-8")) if standalone else None
    return render_template("exports/report.html", standalone=standalone, inline_css=css, **context)
