"""The demo a newcomer sees: ``flask --app delphi demo``."""
from __future__ import annotations

import re
import subprocess
import sys
import zipfile

from sqlalchemy import func, select

from delphi.core.database import db
from delphi.core.models import (
    ItemStatistics,
    Membership,
    Round,
    RoundStatus,
    Study,
    User,
)


def test_demo_loads_a_living_study_and_prints_logins(app, runner, client, tmp_path):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    for role in ("admin", "moderator", "panellist", "researcher"):
        assert role in result.output
    with app.app_context():
        study = db.session.scalar(select(Study))
        assert study.task_force.code == "A5"
        statuses = [r.status for r in db.session.scalars(
            select(Round).where(Round.study_id == study.id).order_by(Round.number))]
        assert statuses == [RoundStatus.closed] * 3 + [RoundStatus.open]
        members = db.session.scalar(select(func.count()).select_from(Membership))
        assert 55 <= members <= 70
        # Three rounds of frozen statistics, and at least one item that never settles.
        last_closed = db.session.scalars(select(Round).where(
            Round.study_id == study.id, Round.number == 3)).one()
        verdicts = db.session.scalars(select(ItemStatistics.verdict).where(
            ItemStatistics.round_id == last_closed.id)).all()
        assert "no_consensus" in verdicts and "consensus_in" in verdicts
        assert db.session.scalar(select(func.count()).select_from(User)) >= 60

    # The printed logins work.
    password = result.output.split("password for all: ")[1].split(")")[0]
    email = next(line.split()[1] for line in result.output.splitlines()
                 if line.strip().startswith("panellist"))
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 302

    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0 and "already" in again.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Study)) == 1

    # A researcher's export of the demo: its reproduction script re-derives
    # every exported statistic exactly (issue: exports).
    archive_path = tmp_path / "demo.zip"
    with app.app_context():
        study_id = db.session.scalar(select(Study.id))
    exported = runner.invoke(args=["export", str(study_id), "--tier", "deidentified", "--format",
                                   "csv", "-o", str(archive_path), "--no-report"])
    assert exported.exit_code == 0, exported.output
    folder = tmp_path / "demo-export"
    with zipfile.ZipFile(archive_path) as archive:
        archive.extractall(folder)
    result = subprocess.run([sys.executable, str(folder / "reproduce.py"), str(folder)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    verdicts = [line for line in result.stdout.splitlines() if line.startswith(("match", "MISMATCH"))]
    assert verdicts and all(line.startswith("match") for line in verdicts)


def test_the_demo_questionnaire_speaks_french_and_spanish(app, runner, client):
    """The demo's study, items and backgrounds are translated: a panellist
    reading in French or Spanish sees the open round in that language, and
    the moderator's list of missing translations is empty."""
    from markupsafe import escape

    import rounds
    from delphi.demo import logins

    assert runner.invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        study = db.session.scalar(select(Study))
        open_round = db.session.scalar(select(Round).where(
            Round.study_id == study.id, Round.status == RoundStatus.open))
        assert rounds.missing_translations(study, open_round) == []
        items = [ri.item for ri in open_round.round_items]
        expected = {lang: ([i.text_in(lang) for i in items], [i.background_in(lang) for i in items
                                                              if i.background])
                    for lang in ("en", "fr", "es")}
        titles = {lang: (study.translations.get(lang) or {}).get("title", study.title)
                  for lang in ("en", "fr", "es")}
        study_id, number = study.id, open_round.number
    assert expected["fr"][0] != expected["en"][0] and expected["es"][0] != expected["en"][0]
    criteria = {"fr": ("importance", "faisabilité"), "es": ("importancia", "viabilidad")}

    assert client.post("/login", data={"email": logins().panellist,
                                       "password": logins().password}).status_code == 302
    for lang in ("fr", "es"):
        assert client.post("/language", data={"language": lang}).status_code == 303
        url = f"/panel/studies/{study_id}/rounds/{number}"
        html = client.get(url).get_data(as_text=True)
        assert f'<html lang="{lang}">' in html
        pages = {int(n) for n in re.findall(r"\?page=(\d+)", html)} | {1}
        html = "".join(client.get(f"{url}?page={n}").get_data(as_text=True) for n in sorted(pages))
        assert str(escape(titles[lang])) in html
        texts, backgrounds = expected[lang]
        for text in texts + backgrounds:
            assert str(escape(text)) in html, text
        for english in expected["en"][0] + expected["en"][1]:
            assert str(escape(english)) not in html, english
        assert all(name in html for name in criteria[lang])
