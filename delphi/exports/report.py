"""The study report: protocol and amendments, panel, the participation flow
and the round dates, results with charts, final item list, the lineage of
every item, the reporting checklists (CREDES, DELPHISTAR, ACCORD; filled from
the study or by its authors), the software and the citations.

:func:`report_context` gathers everything once; :func:`render_report` writes
it as HTML, :mod:`delphi.exports.report_pdf` as PDF (WeasyPrint, from the same
HTML) and :mod:`delphi.exports.report_docx` as DOCX (python-docx, from the same
context). Numbers are formatted in the reader's locale (Flask-Babel).

Further analyses (bootstrap intervals, attrition, opinion change, stopping
advice...) join the report by registering a provider in
:data:`ANALYSIS_SECTIONS`: a callable ``(study) -> ReportSection | None``; each
section is printed, in every format, under "Further analyses".

Everything shown is read from the database as frozen at each round's close;
nothing here computes a statistic. The charts of participation, concordance
and verdicts are the dashboard's (:mod:`delphi.charts.specs`, drawn once
into the chart store, :mod:`delphi.charts.store`); agreement across rounds,
over every item of every round, is drawn here by :mod:`analysis.charts` from
the frozen figures and kept in the same store under the last closed round. Items of the other kinds (estimate, probability, year, ranking) get,
per round, each kind's table of frozen figures and each item's chart (the
gap-to-target chart for an estimate with a target), as on the dashboard
(:func:`delphi.charts.specs.kind_sections`). Panel composition is shown as separate counts per attribute, counts
below the policy's ``min_cell`` as "< min_cell" with complementary
suppression; no panellist is named.
"""
from __future__ import annotations

import base64
import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import pandas as pd
from flask import render_template
from flask_babel import format_date, format_decimal, ngettext
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select

from analysis import charts, suppression_masks
from delphi.charts import cache as chart_cache
from delphi.charts import specs
from delphi.charts import store as chart_store
from delphi.config import current_policy
from delphi.core.database import db
from delphi.core.models import Item, Round, RoundStatus, Study
from delphi.exports.checklists import CHECKLISTS, author_answers
from delphi.exports.codebook import QUANTILE_TEXT, agreement_bands
from delphi.exports.lineage import amendments as study_amendments
from delphi.exports.lineage import lineage_records
from delphi.exports.tiers import statistics_tables
from delphi.i18n import current_language, region_name
from rounds.kinds import kind_label
from rounds.panel_attributes import panel_attributes
from rounds.protocol import Protocol, protocol_value_text
from rounds.results import closed_rounds, freeze_stamp, item_rows, participation
from rounds.studies import scale_labels_in
from rounds.translations import study_text
from rounds.vocabulary import (
    VERDICT_LABELS,
    attribute_value_label,
    criterion_label,
    protocol_field_label,
    round_kind_label,
    status_label,
)

#: Above this many items a round's verdict chart counts items per verdict.
ITEM_BARS = 30
STYLESHEET = Path(__file__).resolve().parent.parent / "static" / "export_report.css"


def _data_uri(chart) -> str:
    return f"data:{chart.mimetype};base64," + base64.b64encode(chart.data).decode("ascii")


def _figure(chart) -> dict:
    return {"src": _data_uri(chart), "alt": chart.alt}


#: The distribution name of the engine (its version comes from the package metadata).
SOFTWARE = "delphi-engine"
SOFTWARE_URL = "https://github.com/4p1000/delphi-engine"


@dataclass
class ReportTable:
    caption: str
    header: list[str]
    rows: list[list[str]]


@dataclass
class ReportSection:
    """A section another part of the engine adds to the report (see
    :data:`ANALYSIS_SECTIONS`): plain texts only (escaped in HTML), so the same
    section prints in HTML, PDF and DOCX."""

    id: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[ReportTable] = field(default_factory=list)


#: Providers of further sections: ``(study) -> ReportSection | None``, called in
#: order, in the reader's language. Register with ``ANALYSIS_SECTIONS.append(f)``.
ANALYSIS_SECTIONS: list[Callable[[Study], ReportSection | None]] = []


def software_version() -> str:
    """The installed version of the engine (package metadata), or "unknown"."""
    try:
        return metadata.version(SOFTWARE)
    except metadata.PackageNotFoundError:  # pragma: no cover - a source tree not installed
        return "unknown"


def _fmt(value, digits=2):
    """A number in the reader's locale (``1,5`` in French), "–" when missing."""
    if value is None or pd.isna(value):
        return "–"
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern)


def _date(value) -> str:
    return format_date(value, format="medium") if value is not None else "–"


def _amendment_rows(study: Study, amendments) -> list[dict]:
    """The amendments in the reader's words: the day, the field by its label and
    its values as the study page words them (the data tables keep the codes)."""
    return [{"date": _date(a.at), "field": protocol_field_label(a.field),
             "before": protocol_value_text(study, a.field, a.old_value),
             "after": protocol_value_text(study, a.field, a.new_value), "reason": a.reason or ""}
            for a in amendments]


def _rounds_flow(study: Study) -> list[dict]:
    """Per opened round: its dates and the participation flow (invited, answered,
    did not answer, dropped since the last round, newcomers), from
    :func:`rounds.results.participation` (frozen at close)."""
    rounds = {r.number: r for r in db.session.scalars(
        select(Round).where(Round.study_id == study.id, Round.status != RoundStatus.draft))}
    out = []
    for p in participation(study):
        r = rounds[p["number"]]
        invited, submitted = int(p["invited"] or 0), int(p["submitted"] or 0)
        out.append({
            "round": p["number"], "status": p["status"], "status_label": status_label(p["status"]),
            "kind": r.kind.value, "kind_label": round_kind_label(r.kind.value),
            "open": p["status"] != RoundStatus.closed.value,
            "opened": _date(r.opened_at), "closed": _date(r.closed_at),
            "deadline": _date(r.closes_at),
            "days": (r.closed_at - r.opened_at).days if r.closed_at and r.opened_at else None,
            "invited": invited, "answered": submitted, "not_answered": max(invited - submitted, 0),
            "dropouts": p["dropouts"], "newcomers": p["newcomers"],
            "response_rate": _fmt(p["response_rate"] * 100 if p["response_rate"] is not None
                                  else None, 0),
        })
    return out


def _lineage(study: Study, final: list[dict], language: str) -> list[dict]:
    """Every item's lineage with its text (in the reader's language) and last verdict."""
    items = {i.code: i for i in db.session.scalars(select(Item).where(Item.study_id == study.id))}
    verdicts = {f["code"]: f["verdicts"] for f in final}
    words = {"new": _("new"), "reworded": _("reworded"), "merged": _("merged")}
    out = []
    for r in lineage_records(study):
        item = items[r["item_code"]]
        source = ", ".join(r["from_items"])
        if r["origin"] == "reworded":
            how = _("reworded from %(items)s", items=source)
        elif r["origin"] == "merged":
            parts = []
            if r["from_proposals"]:
                parts.append(ngettext("%(num)d proposal", "%(num)d proposals",
                                      r["from_proposals"]))
            if source:
                parts.append(source)
            how = _("merged from %(sources)s", sources=", ".join(parts))
        else:
            how = words["new"]
        out.append({**r, "text": item.text_in(language), "how": how,
                    "rounds_text": ", ".join(str(n) for n in r["rounds"]) or "–",
                    "replaced_text": ", ".join(r["replaced_by"]),
                    "verdicts": verdicts.get(r["item_code"], {})})
    return out


def citations() -> list[dict]:
    """The works the report and its methods cite, with their DOIs."""
    works = [(c.name, c.citation, c.doi) for c in CHECKLISTS]
    works += [
        ("RAND/UCLA", ("Fitch K, Bernstein SJ, Aguilar MD, Burnand B, LaCalle JR, Lázaro P, et al. "
                       "The RAND/UCLA Appropriateness Method User's Manual. Santa Monica, CA: "
                       "RAND; 2001."), None),
        ("Hyndman-Fan", ("Hyndman RJ, Fan Y. Sample quantiles in statistical packages. Am Stat. "
                         "1996;50(4):361-365."), "10.1080/00031305.1996.10473566"),
        ("Kendall W", ("Kendall MG, Babington Smith B. The problem of m rankings. Ann Math Stat. "
                       "1939;10(3):275-287."), "10.1214/aoms/1177732186"),
        ("Scheibe", ("Scheibe M, Skutsch M, Schofer J. Experiments in Delphi methodology. In: "
                     "Linstone HA, Turoff M, eds. The Delphi Method: Techniques and Applications. "
                     "Reading, MA: Addison-Wesley; 1975:262-287."), None),
        (SOFTWARE, f"{SOFTWARE} {software_version()}. {SOFTWARE_URL}", None),
    ]
    return [{"key": key, "text": text, "doi": doi} for key, text, doi in works]


def _attribute_label(attribute: str, value: str) -> str:
    """A panel attribute's value in the reader's words: the pages' labels, never a code
    (the HTML, PDF and DOCX reports all print these)."""
    return region_name(value) if attribute == "region" else attribute_value_label(attribute, value)


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
        out[attribute] = [(_attribute_label(attribute, value), f"< {min_cell}" if hide else str(n))
                          for (value, n), hide in zip(counts, hidden)]
    out["_total"] = len(attributes)
    return out


def _round_chart(study: Study, rnd, name: str, *, criterion: str | None = None) -> dict:
    """A chart of a closed round as the dashboard draws it (:mod:`delphi.charts.specs`),
    from the chart cache: a repeated export draws nothing."""
    return _figure(chart_cache.chart(study, rnd, name, "png", criterion=criterion,
                                     language=current_language()))


def _kept(rnd, key: str, fmt: str, make: Callable[[], tuple[bytes, str, str]]) -> chart_store.CachedChart:
    """``make()`` (bytes, mimetype, alt text) kept in the chart store under the
    closed round ``rnd`` in the reader's language; made each time when there is
    no frozen round to file it under."""
    def draw():
        data, mimetype, alt = make()
        return chart_store.CachedChart(data, mimetype, alt, chart_store.etag_of(data), True)
    stamp = freeze_stamp(rnd) if rnd is not None else None
    if stamp is None:
        return draw()
    return chart_store.stored(rnd.id, stamp, key, current_language(), fmt, draw)


def _stored_figure(rnd, key: str, spec) -> chart_store.CachedChart:
    """A figure of the report only (no dashboard chart draws it), kept in the
    chart store under the last closed round like the dashboard's charts."""
    def make():
        rendered = spec.render("png")
        return rendered.data, rendered.mimetype, rendered.alt
    return _kept(rnd, key, "png", make)


def stored_document(study: Study, name: str, fmt: str, source: str, make: Callable[[], bytes], *,
                    mimetype: str) -> bytes:
    """A document (``fmt``) laid out from ``source`` (the standalone report's
    HTML) by ``make()``, kept in the chart store under the study's last closed
    round.

    Its key is ``name`` and the SHA-256 of ``source``, so the same report is laid
    out once, by whichever worker asks first, and any change to what the report
    says (a round closed, a translation edited) is a new key: nothing stale is
    ever served. Without a closed round (nothing frozen to file it under) it is
    made each time."""
    closed = closed_rounds(study)
    digest = hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()
    return _kept(closed[-1] if closed else None, f"{name}:{digest}", fmt,
                 lambda: (make(), mimetype, "")).data


def report_figures(study: Study) -> None:
    """Draw (into the chart store) the report's own figures of every language,
    as :func:`report_context` asks for them; the close's prerender calls this."""
    report_context(study)


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

    # Statements in the reader's language (the frozen tables hold the study's own).
    language = current_language()
    study_items = db.session.scalars(select(Item).where(Item.study_id == study.id)).all()
    texts = {item.code: item.text_in(language) for item in study_items}
    kinds = {item.code: item.kind for item in study_items}

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
                "rows": [{"code": r.item_code, "text": texts.get(r.item_code, r.item_text), "n": int(r.n),
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
            figures[f"convergence_{criterion}"] = _figure(
                _stored_figure(rounds[-1], f"report_convergence:{criterion}:", spec))

    final = []
    # Rating rows per criterion, and one row per item of the other kinds (no criterion).
    decided = items_t[["round", "item_code", "criterion", "verdict"]]
    kind_t = tables.get("kind_statistics")
    if kind_t is not None and len(kind_t):
        decided = pd.concat([decided, kind_t[["round", "item_code", "verdict"]].assign(criterion="")],
                            ignore_index=True)
    last = decided.sort_values("round").groupby(["item_code", "criterion"], sort=True).tail(1)
    for code in sorted(last["item_code"].unique().tolist()):
        rows = last[last["item_code"] == code]
        kind = kinds.get(code) or "rating"
        final.append({"code": code, "text": texts.get(code, ""), "kind": kind,
                      "kind_label": kind_label(kind),
                      "round": int(rows["round"].max()),
                      "verdicts": {r.criterion: r.verdict for r in rows.itertuples(index=False)}})

    amendments = study_amendments(study)
    composition = _composition(study, min_cell)
    verdict_counts = Counter(v for f in final for v in f["verdicts"].values())
    flow = _rounds_flow(study)
    lineage = _lineage(study, final, current_language())
    version = software_version()
    facts = _facts(study, numbers, participation, composition, amendments, final, verdict_counts)
    facts.update(_more_facts(study, flow, lineage, version))
    authors = author_answers(study)
    checklists = []
    for checklist in CHECKLISTS:
        rows = [{"key": item.key, "number": item.number, "section": str(item.section),
                 "text": str(item.text), "answer": facts.get(item.fact) if item.fact else None,
                 "author": authors.get(item.key)} for item in checklist.items]
        checklists.append({"name": checklist.name, "title": checklist.title,
                           "citation": checklist.citation, "doi": checklist.doi, "items": rows,
                           "filled": sum(1 for r in rows if r["answer"] or r["author"]),
                           "total": len(rows)})
    analyses = [section for section in (provider(study) for provider in ANALYSIS_SECTIONS)
                if section is not None]
    return {
        "flow": flow, "lineage": lineage, "software": {"name": SOFTWARE, "version": version,
                                                       "url": SOFTWARE_URL},
        "citations": citations(), "analyses": analyses, "language": current_language(),
        "verdict_words": {code: str(label) for code, label in VERDICT_LABELS.items()},
        "study": study, "task_force": study.task_force,
        "scale_labels": list(enumerate(scale_labels_in(study, current_language()), start=1)),
        # The rule in the reader's words (the codebook keeps the analysis's English text).
        "consensus": Protocol.from_study(study).consensus_text(),
        "quantile_text": QUANTILE_TEXT.get(study.quantile_method, ""),
        "agree": agree, "disagree": disagree,
        "amendments": amendments, "amendment_rows": _amendment_rows(study, amendments),
        "composition": composition,
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
        "title": study_text(study, "title", current_language()),
        "purpose": study_text(study, "description", current_language()) or None,
        "rounds": _("%(n)s closed rounds, online, with the items frozen when each round opened.",
                    n=len(numbers)) if numbers else None,
        "consensus": Protocol.from_study(study).consensus_text(),
        "attainment": ", ".join(f"{VERDICT_LABELS.get(k, k)}: {v}"
                                for k, v in sorted(verdict_counts.items())) or None,
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
                   c=", ".join(criterion_label(c) for c in study.criteria)),
        "stopping": stop,
        "data": _("De-identified data, codebook and reproduction script exported with this report."),
    }


def _more_facts(study: Study, flow: list[dict], lineage: list[dict], version: str) -> dict:
    """The facts of the checklists' further items: dates, software, lineage, variant."""
    dates = "; ".join(_("round %(n)s: %(a)s to %(b)s", n=r["round"], a=r["opened"],
                        b=r["closed"] if not r["open"] else _("open")) for r in flow)
    moved = [r for r in lineage if r["origin"] != "new" or len(r["rounds"]) > 1]
    invited = "; ".join(_("round %(n)s: %(i)s", n=r["round"], i=r["invited"]) for r in flow)
    rated_kinds = sorted({r["kind"] for r in lineage})
    return {
        "round_dates": dates or None,
        "invited": invited or None,
        "software": _("Online questionnaires in %(name)s %(version)s (a web application); "
                      "answers saved as drafts and counted once submitted.",
                      name=SOFTWARE, version=version),
        "lineage": (_("%(n)s items; %(m)s reworded, merged or carried across rounds: see "
                      "\"Item lineage\".", n=len(lineage), m=len(moved)) if lineage else None),
        "variant": _("A classical (ranked, online, anonymous) Delphi with controlled feedback "
                     "between rounds; question kinds: %(kinds)s.",
                     kinds=", ".join(str(kind_label(k)) for k in rated_kinds)) if rated_kinds
        else None,
        "protocol": _("The protocol is printed in this report (\"Protocol\") and exported as "
                      "protocol.json with its amendments."),
        "questionnaire": _("Every item's text, kind and parameters are in the export's items "
                           "table; the item list is in this report.") if lineage else None,
        "comments": (_("Panellists could comment on every item; the anonymised comments were "
                       "shown in the next round.") if study.show_comments else
                     _("Panellists could comment on every item; comments were not shown to the "
                       "panel.")),
    }


def render_report(study: Study, *, standalone: bool = False, context: dict | None = None,
                  printable: bool = False) -> str:
    """The report as HTML. ``standalone`` inlines the stylesheet (for the ZIP and
    the PDF); served by the app it links to it (the CSP forbids inline styles).
    ``printable``: without the links to the app (for the PDF)."""
    context = context or report_context(study)
    css = Markup(STYLESHEET.read_text(encoding="utf-8")) if standalone else None
    return render_template("exports/report.html", standalone=standalone, inline_css=css,
                           printable=printable, **context)
