"""The study report as a Word document (python-docx), from the same context as
the HTML report (:func:`delphi.exports.report.report_context`), in the current
language: the same sections, tables and charts (PNG), so authors can paste it
into a manuscript. The participation flow is a table, one row per round.
"""
from __future__ import annotations

import base64
import io

from flask_babel import gettext as _

from delphi.core.models import Study
from delphi.exports.report import report_context
from rounds.translations import study_text

DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _png(figure: dict | None) -> bytes | None:
    src = (figure or {}).get("src") or ""
    if not src.startswith("data:image/png;base64,"):
        return None
    return base64.b64decode(src.split(",", 1)[1])


def _table(doc, header: list[str], rows: list[list], *, caption: str | None = None):
    if caption:
        doc.add_paragraph(caption, style="Caption")
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Light Grid Accent 1"
    for cell, text in zip(table.rows[0].cells, header):
        cell.text = str(text)
    texts = [["" if value is None else str(value) for value in row] for row in rows]
    for row in texts:
        cells = table.add_row().cells
        for cell, text in zip(cells, row):
            cell.text = text
    _column_widths(table, [list(map(str, header))] + texts)
    doc.add_paragraph()
    return table


def _column_widths(table, texts: list[list[str]], *, total_cm: float = 16.0) -> None:
    """Columns as wide as their text asks, within the page: no column narrower than
    its longest word, and the room left shared by the columns of running text (a
    statement), so a count or a code is never split and a statement never wraps a
    word per line (Word and LibreOffice otherwise make every column equal)."""
    from docx.shared import Cm

    def cm(chars: int, bold: bool = False) -> float:  # 10 pt text, with the cell's padding
        return 0.5 + (0.23 if bold else 0.2) * chars

    columns = list(zip(*texts))
    least = [max(cm(max((len(w) for w in column[0].split()), default=0), bold=True),
                 cm(max(len(word) for t in column[1:] for word in (t.split() or [""])) if column[1:] else 0))
             for column in columns]
    want = [max(low, cm(min(60, max(len(t) for t in column)))) for low, column in zip(least, columns)]
    if sum(want) <= total_cm:
        widths = [w * total_cm / sum(want) for w in want]
    elif sum(least) < total_cm:
        room, flexible = total_cm - sum(least), sum(w - low for w, low in zip(want, least))
        widths = [low + (w - low) * room / flexible for w, low in zip(want, least)]
    else:
        widths = [low * total_cm / sum(least) for low in least]
    table.autofit = False
    for index, width_cm in enumerate(widths):
        width = Cm(width_cm)
        table.columns[index].width = width
        for cell in table.columns[index].cells:
            cell.width = width


def _picture(doc, figure: dict | None, width) -> None:
    data = _png(figure)
    if data is None:
        return
    doc.add_picture(io.BytesIO(data), width=width)
    alt = figure.get("alt") or ""
    if alt:
        # The picture carries the whole text alternative; the caption is its title.
        doc.inline_shapes[-1]._inline.docPr.set("descr", alt)
        doc.add_paragraph(alt.split(": ", 1)[0], style="Caption")


def render_docx(study: Study, *, context: dict | None = None) -> bytes:
    """The report as DOCX bytes."""
    from docx import Document
    from docx.shared import Cm, Pt

    c = context or report_context(study)
    doc = Document()
    doc.styles["Normal"].font.size = Pt(10)
    for section in doc.sections:
        section.left_margin = section.right_margin = Cm(2)
    width = Cm(16)
    title = study_text(study, "title", c["language"])
    doc.core_properties.title = _("%(label)s:", label=_("Study report")) + " " + title
    doc.core_properties.language = c["language"]
    doc.core_properties.author = c["software"]["name"]
    doc.core_properties.comments = _("Produced with %(name)s %(version)s.",
                                     name=c["software"]["name"], version=c["software"]["version"])

    doc.add_paragraph(_("Delphi study report") + (f" · {_('Task force')} {c['task_force'].code}"
                                                   if c["task_force"] else ""))
    doc.add_heading(title, level=0)
    if study.description:
        doc.add_paragraph(study_text(study, "description", c["language"]))
    doc.add_paragraph(_("Produced with %(name)s %(version)s.", name=c["software"]["name"],
                        version=c["software"]["version"]))

    doc.add_heading(_("Protocol"), level=1)
    agree, disagree = c["agree"], c["disagree"]
    scale = "; ".join(f"{v} = {label}" for v, label in c["scale_labels"])
    stop = [_("At most %(n)s rounds.", n=study.max_rounds)]
    if study.stop_when_settled:
        stop.append(_("Stop early when every item has a settled verdict."))
    if study.stop_w_threshold is not None:
        stop.append(_("Stop when Kendall's W is at least %(w)s and the last round was stable.",
                      w=study.stop_w_threshold))
    rows = [
        (_("Rating scale"), f"{study.scale_points} {_('points')}: {scale}"),
        (_("Criteria"), ", ".join(c["criteria"])),
        (_("Consensus rule"), " ".join([
            str(c["consensus"]),
            _("Agreement band: %(a)s–%(b)s; disagreement band: %(c)s–%(d)s.", a=agree[0],
              b=agree[1], c=disagree[0], d=disagree[1]),
            _("Minimum n: %(n)s.", n=study.min_n)])),
        (_("Quantile method"), f"{study.quantile_method}: {c['quantile_text']}"),
        (_("Stopping rule"), " ".join(stop)),
        (_("Panel cut-off"), c["panel_cutoff"] if study.panel_cutoff else
         _("none: every approved member of the task force")),
    ]
    _table(doc, [_("Field"), _("In this study")], [list(r) for r in rows])
    doc.add_heading(_("Amendments"), level=2)
    if c["amendment_rows"]:
        _table(doc, [_("Date"), _("Field"), _("Before"), _("After"), _("Reason")],
               [[a["date"], a["field"], a["before"], a["after"], a["reason"]]
                for a in c["amendment_rows"]])
    else:
        doc.add_paragraph(_("No amendment after the protocol was locked."))

    doc.add_heading(_("Panel composition"), level=1)
    composition = c["composition"]
    doc.add_paragraph(_("%(n)s panellists enrolled. Counts below %(m)s are shown as \"< %(m)s\".",
                        n=composition["_total"], m=c["min_cell"]))
    for attribute, title in (("role", _("Role in the task force")), ("region", _("Region")),
                             ("stakeholder_group", _("Stakeholder group"))):
        _table(doc, [title, "n"], [list(pair) for pair in composition[attribute]])

    doc.add_heading(_("Participation flow"), level=1)
    if c["flow"]:
        _table(doc, [_("Round"), _("Opened"), _("Closed"), _("Invited"), _("Answered"),
                     _("did not answer"), _("Dropped")],
               [[r["round"], r["opened"], r["status_label"] if r["open"] else r["closed"],
                 r["invited"], f"{r['answered']} ({r['response_rate']} %)", r["not_answered"],
                 "–" if r["dropouts"] is None else r["dropouts"]] for r in c["flow"]],
               caption=_("Round dates"))
    if c["participation"]:
        _picture(doc, c["figures"].get("participation"), width)
        _picture(doc, c["figures"].get("concordance"), width)
    else:
        doc.add_paragraph(_("No round has closed yet."))

    doc.add_heading(_("Results by round"), level=1)
    for criterion in c["criteria"]:
        _picture(doc, c["figures"].get(f"convergence_{criterion}"), width)
    verdicts = c["verdict_words"]
    for r in c["per_round"]:
        doc.add_heading(_("Round %(n)s", n=r["number"]), level=2)
        for b in r["blocks"]:
            w_label = _("Kendall's W")
            doc.add_heading(f"{b['criterion']} · {w_label} = {b['w']}", level=3)
            _picture(doc, b["chart"], width)
            _table(doc, [_("Item"), _("Statement"), "n", _("Median"), _("IQR"),
                         _("Agreement (%%)").replace("%%", "%"), _("Verdict")],
                   [[row["code"], row["text"], row["n"], row["median"], row["iqr"],
                     row["agreement"], verdicts.get(row["verdict"], row["verdict"])]
                    for row in b["rows"]])
        for k in r["kinds"]:
            doc.add_heading(str(k["section"].label), level=3)
            for chart in k["charts"]:
                _picture(doc, chart["figure"], width)
    if not c["per_round"]:
        doc.add_paragraph(_("No round has closed yet."))

    doc.add_heading(_("Final item list"), level=1)
    doc.add_paragraph(_("Each item with its verdict in the last round that rated it."))
    _table(doc, [_("Item"), _("Statement"), _("Kind"), _("Last round"), _("Verdict")],
           [[f["code"], f["text"], f["kind_label"], f["round"],
             "; ".join(f"{k}: {verdicts.get(v, v)}" if k else verdicts.get(v, v)
                       for k, v in f["verdicts"].items())] for f in c["final"]])

    doc.add_heading(_("Item lineage"), level=1)
    _table(doc, [_("Item"), _("Statement"), _("Origin"), _("Rounds"), _("Replaced by")],
           [[r["item_code"], r["text"], r["how"], r["rounds_text"], r["replaced_text"] or "–"]
            for r in c["lineage"]])

    if c["analyses"]:
        doc.add_heading(_("Further analyses"), level=1)
        for a in c["analyses"]:
            doc.add_heading(a.title, level=2)
            for p in a.paragraphs:
                doc.add_paragraph(p)
            for t in a.tables:
                _table(doc, t.header, t.rows, caption=t.caption)

    doc.add_heading(_("Reporting checklists"), level=1)
    for checklist in c["checklists"]:
        doc.add_heading(checklist["name"], level=2)
        doc.add_paragraph(_("%(filled)s of %(total)s items filled", filled=checklist["filled"],
                            total=checklist["total"]))
        _table(doc, ["#", _("Section"), _("Item"), _("In this study")],
               [[i["number"], i["section"], i["text"],
                 "\n".join(t for t in (i["answer"], i["author"]) if t) or
                 _("authors to complete")] for i in checklist["items"]])

    doc.add_heading(_("Software and citations"), level=1)
    doc.add_paragraph(_("This study was run and this report produced with %(name)s %(version)s.",
                        name=c["software"]["name"], version=c["software"]["version"]))
    for cite in c["citations"]:
        doc.add_paragraph(cite["text"] + (f" doi:{cite['doi']}" if cite["doi"] else ""),
                          style="List Number")
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
