"""The study report (issue 14, part 9): every item of CREDES, DELPHISTAR and ACCORD,
filled from the study or by its authors in the app; the participation flow, the
round dates, the software, the lineage and the citations; as HTML, PDF and DOCX,
in English, French and Spanish. The study is the demo (three closed rounds and
an open one, five question kinds)."""
from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from html import unescape
from importlib import metadata

from markupsafe import escape
from sqlalchemy import select

from delphi.core.database import db
from delphi.core.models import AuditEvent, Item, Study


def _demo(app, runner) -> tuple[int, dict[str, str], str]:
    """Load the demo: (study id, {role: email}, the password)."""
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    password = result.output.split("password for all: ")[1].split(")")[0]
    emails = {line.split()[0]: line.split()[1] for line in result.output.splitlines()
              if line.strip().split()[:1] and line.strip().split()[0] in
              ("admin", "moderator", "panellist", "researcher")}
    with app.app_context():
        return db.session.scalar(select(Study.id)), emails, password


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def test_the_checklists_list_every_published_item(app):
    from delphi.exports.checklists import ACCORD, CHECKLISTS, CREDES, DELPHISTAR

    with app.test_request_context():
        assert [len(c.items) for c in CHECKLISTS] == [16, 38, 35]
        for checklist in CHECKLISTS:
            assert [i.number for i in checklist.items] == [str(n) for n in
                                                           range(1, len(checklist.items) + 1)]
            assert all(str(i.text) and str(i.section) for i in checklist.items)
        assert "PLoS One. 2024;19(8):e0304651" in DELPHISTAR.citation
        assert DELPHISTAR.doi == "10.1371/journal.pone.0304651"
        assert "PLoS Med. 2024;21(1):e1004326" in ACCORD.citation
        assert "Palliat Med. 2017;31(8):684-706" in CREDES.citation


def test_the_demo_report_fills_the_checklists_and_shows_flow_dates_software_lineage(
        app, runner, client, auth):
    study_id, who, password = _demo(app, runner)
    auth.login(who["researcher"], password)
    page = client.get(f"/studies/{study_id}/report")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    text = _text(html)
    from rounds.results import participation

    with app.app_context():
        study = db.session.get(Study, study_id)
        flow = participation(study)
        codes = db.session.scalars(select(Item.code).where(Item.study_id == study_id)).all()
    # The flow: one column per opened round, invited -> answered -> did not answer.
    boxes = re.findall(r'<li class="flow-round">(.*?)</li>', html, re.DOTALL)
    assert len(boxes) == len(flow) == 4
    for box, p in zip(boxes, flow):
        numbers = [int(n) for n in re.findall(r'<span class="flow-n">(\d+)</span>', box)]
        assert numbers == [p["invited"], p["submitted"], p["invited"] - p["submitted"]]
    # Round dates, the software's version, every item's lineage, the citations.
    dates = re.search(r'<table id="round-dates"[^>]*>(.*?)</table>', html, re.DOTALL).group(1)
    assert dates.count("<tr>") == 1 + 4
    version = metadata.version("delphi-engine")
    assert f"delphi-engine {version}" in text
    lineage = re.search(r'<table id="lineage-table"[^>]*>(.*?)</table>', html, re.DOTALL).group(1)
    assert sorted(re.findall(r"<tr><td>(I\d+)</td>", lineage)) == sorted(codes)
    assert "PLoS One. 2024;19(8):e0304651" in text and "BMC Medical" not in text
    # Every checklist item is listed, answered or "authors to complete".
    for name, total in (("CREDES", 16), ("DELPHISTAR", 38), ("ACCORD", 35)):
        table = re.search(rf'<table class="checklist" id="checklist-{name}"[^>]*>(.*?)</table>',
                          html, re.DOTALL).group(1)
        rows = re.findall(r'<tr id="item-[A-Z]+-(\d+)">(.*?)</tr>', table, re.DOTALL)
        assert [int(n) for n, _row in rows] == list(range(1, total + 1))
        todo = sum("authors to complete" in row for _n, row in rows)
        assert 0 < todo < total
        assert f"{name}: {total - todo} of {total} items filled" in text
    # DELPHISTAR 23 (round dates) and 22 (software) come from the study.
    row23 = re.search(r'<tr id="item-DELPHISTAR-23">(.*?)</tr>', html, re.DOTALL).group(1)
    assert "authors to complete" not in row23 and "round 1:" in _text(row23)
    assert version in _text(re.search(r'<tr id="item-DELPHISTAR-22">(.*?)</tr>', html,
                                      re.DOTALL).group(1))


def test_authors_complete_an_item_in_the_app_and_the_report_prints_it(app, runner, client, auth):
    study_id, who, password = _demo(app, runner)
    url = f"/studies/{study_id}/exports/checklists"
    auth.login(who["panellist"], password)
    assert client.get(url).status_code == 403
    assert client.post(url, data={"answer-DELPHISTAR-10": "x"}).status_code == 403
    auth.logout()
    auth.login(who["moderator"], password)
    page = client.get(url)
    assert page.status_code == 200
    assert page.get_data(as_text=True).count("<textarea") == 16 + 38 + 35
    bad = client.post(url, data={"answer-DELPHISTAR-10": "bad \x07 bell"})
    assert bad.status_code == 422 and 'id="answer-DELPHISTAR-10-error"' in bad.get_data(as_text=True)
    answer = "Approved by the INRAE ethics committee (CER-2020-14); consent online."
    saved = client.post(url, data={"answer-DELPHISTAR-10": answer, "answer-ACCORD-31": ""})
    assert saved.status_code == 303
    assert answer in client.get(url).get_data(as_text=True)
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "study.checklist_answered")).all()
        assert [e.details["items"] for e in events] == [["DELPHISTAR:10"]]
        assert answer not in str(events[0].details)
    # The same again changes nothing and writes no audit row.
    assert client.post(url, data={"answer-DELPHISTAR-10": answer}).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(AuditEvent.id).where(
            AuditEvent.action == "study.checklist_answered").offset(1)) is None
    auth.logout()
    auth.login(who["researcher"], password)
    html = client.get(f"/studies/{study_id}/report").get_data(as_text=True)
    row = re.search(r'<tr id="item-DELPHISTAR-10">(.*?)</tr>', html, re.DOTALL).group(1)
    assert answer in unescape(row) and "authors to complete" not in row


def test_the_report_as_pdf_and_docx_and_in_the_zip(app, runner, client, auth, tmp_path):
    from docx import Document

    study_id, who, password = _demo(app, runner)
    auth.login(who["researcher"], password)
    pdf = client.get(f"/studies/{study_id}/report.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF-")
    # The text as a reader sees it (poppler-utils' pdftotext; one form feed per page).
    assert shutil.which("pdftotext"), "install poppler-utils"
    (tmp_path / "r.pdf").write_bytes(pdf.data)
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "r.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert text.count("\f") >= 10
    assert "Participation flow" in text and "DELPHISTAR: 26 of 38 items filled" in text
    assert "authors to complete" in text and "Produced with delphi-engine" in text
    docx = client.get(f"/studies/{study_id}/report.docx")
    assert docx.status_code == 200 and docx.mimetype.endswith("wordprocessingml.document")
    document = Document(io.BytesIO(docx.data))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    for title in ("Protocol", "Participation flow", "Results by round", "Item lineage",
                  "Reporting checklists", "CREDES", "DELPHISTAR", "ACCORD",
                  "Software and citations"):
        assert title in headings
    cells = {cell.text for table in document.tables for row in table.rows for cell in row.cells}
    assert "authors to complete" in cells
    assert len(document.inline_shapes) >= 5  # the charts
    with app.app_context():
        from delphi.exports.checklists import DELPHISTAR

        with app.test_request_context():
            assert all(str(item.text) in cells for item in DELPHISTAR.items)
    headers = auth.token(who["researcher"], password)
    zipped = client.get(f"/api/v1/studies/{study_id}/export?tier=statistics&format=csv",
                        headers=headers)
    names = zipfile.ZipFile(io.BytesIO(zipped.data)).namelist()
    assert {"report.html", "report.pdf", "report.docx"} <= set(names)


def test_the_report_in_french_and_spanish(app, runner, client, auth):
    study_id, who, password = _demo(app, runner)
    auth.login(who["researcher"], password)
    english = client.get(f"/studies/{study_id}/report?lang=en").get_data(as_text=True)
    french = client.get(f"/studies/{study_id}/report?lang=fr").get_data(as_text=True)
    spanish = client.get(f"/studies/{study_id}/report?lang=es").get_data(as_text=True)
    assert '<html lang="fr">' in french and '<html lang="es">' in spanish
    # Numbers in the locale: a median of 4.0 is "4,0" in French and Spanish.
    assert re.search(r'<td class="num">4\.0</td>', english)
    assert re.search(r'<td class="num">4,0</td>', french)
    assert re.search(r'<td class="num">4,0</td>', spanish)
    assert "Flux de participation" in french and "Flujo de participación" in spanish
    # The panel's roles and groups, and the rounds' kinds, in the reader's words, never codes.
    for page in (english, french, spanish):
        cells = re.findall(r"<td>([^<]*)</td>", page)
        for code in ("team_member", "global_leader", "ngo", "private_sector", "rating"):
            assert code not in cells, code
    assert "Team Member" in english and "NGO and civil society" in english
    assert "Rating round" in english
    # The consensus rule in the reader's words.
    assert "Consensus in:" not in french and "Consensus in:" not in spanish
    # Statements in the reader's language wherever the study has them translated.
    with app.app_context():
        item = db.session.scalars(select(Item).where(Item.study_id == study_id,
                                                     Item.code == "I01")).one()
        english_text, french_text = item.text, item.text_in("fr")
    assert french_text != english_text
    assert french.count(f"<td>{escape(french_text)}</td>") >= 2  # a round's table and the final list
    assert f"<td>{escape(english_text)}</td>" not in french
    assert "à compléter par les auteurs" in french and "a completar por los autores" in spanish
    assert client.get(f"/studies/{study_id}/report?lang=de").status_code == 422
    docx = client.get(f"/studies/{study_id}/report.docx?lang=fr")
    assert docx.status_code == 200


def test_the_reports_amendments_are_worded_not_coded(app, runner, client, auth):
    from docx import Document

    import rounds
    from delphi.core.models import User

    study_id, who, password = _demo(app, runner)
    with app.app_context():
        moderator = db.session.scalar(select(User).where(User.email == who["moderator"]))
        rounds.update_protocol(db.session.get(Study, study_id),
                               {"show_comments": False, "carry_forward": "all"},
                               actor=moderator, reason="Every item again.")
        db.session.commit()
    auth.login(who["researcher"], password)
    html = client.get(f"/studies/{study_id}/report?lang=fr").get_data(as_text=True)
    section = _text(html[html.index("Amendements"):])
    assert "Montrer les commentaires anonymisés oui non Every item again." in section
    assert "Reporter au tour suivant Items sans consensus Tous les items" in section
    for code in ("show_comments", "carry_forward", "no_consensus", "True", "False"):
        assert code not in section.split("Every item again.")[0], code
    document = Document(io.BytesIO(client.get(f"/studies/{study_id}/report.docx").data))
    rows = [[cell.text for cell in row.cells] for table in document.tables for row in table.rows]
    assert any(r[1:4] == ["Carry forward", "Items without consensus", "All items"] for r in rows)


def test_the_pdf_is_laid_out_once_per_report_text(app, runner, client, auth, monkeypatch):
    """WeasyPrint takes seconds: an unchanged report's PDF is laid out once and
    then served from the store (downloads and exports alike); a change to what
    the report says lays it out anew."""
    import weasyprint

    layouts = []
    write_pdf = weasyprint.HTML.write_pdf

    def counted(self, *args, **kwargs):
        layouts.append(1)
        return write_pdf(self, *args, **kwargs)

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", counted)
    study_id, who, password = _demo(app, runner)
    auth.login(who["researcher"], password)
    first = client.get(f"/studies/{study_id}/report.pdf")
    again = client.get(f"/studies/{study_id}/report.pdf")
    assert first.status_code == again.status_code == 200
    assert again.data == first.data and len(layouts) == 1
    headers = auth.token(who["researcher"], password)
    zipped = client.get(f"/api/v1/studies/{study_id}/export?tier=statistics&format=csv",
                        headers=headers)
    assert zipfile.ZipFile(io.BytesIO(zipped.data)).read("report.pdf") == first.data
    assert len(layouts) == 1
    auth.logout()
    auth.login(who["moderator"], password)
    answer = "Approved by the ethics committee (CER-2026-03)."
    assert client.post(f"/studies/{study_id}/exports/checklists",
                       data={"answer-DELPHISTAR-10": answer}).status_code == 303
    auth.logout()
    auth.login(who["researcher"], password)
    changed = client.get(f"/studies/{study_id}/report.pdf")
    assert changed.status_code == 200 and changed.data != first.data and len(layouts) == 2
