"""Researchers' exports end to end (both databases): what leaves, and who gets it.

The study exported (three closed rounds, varied quasi-identifiers, comments
with contact details) is built once per module and each test gets its own
copy of that database (SQLite: a file copy; PostgreSQL: ``CREATE DATABASE
... TEMPLATE``), so no test sees another's writes. Exports leave the report
(and so its charts) out unless the test checks the report.
"""
from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from tests.conftest import TEST_DATABASE_URL, _truncate, base_config
from tests.factories import build_study, run_rounds, user_by_email

FORMATS = ("csv", "xlsx", "json")
CONTACT = "reach me at {email} or +33 6 12 34 56 78, https://my-lab.example.net/{n}"


def _vary_quasi_identifiers(app, world):
    """Give the panel varied roles, regions and stakeholder groups: 7 alike, 5 odd ones."""
    from delphi.core.database import db
    from delphi.core.models import Membership, Region, TaskForceRole

    odd = [("Africa", "farmers", TaskForceRole.team_member),
           ("Africa", "ngo", TaskForceRole.team_member),
           ("Asia & Pacific", "farmers", TaskForceRole.team_member),
           ("Africa", "funder", TaskForceRole.global_leader),
           ("North America", "government", TaskForceRole.team_member)]
    with app.app_context():
        regions = {r.name: r for r in db.session.scalars(select(Region))}
        for email, (region, group, role) in zip(world.panellists[7:], odd):
            user = user_by_email(email)
            user.region_id = regions[region].id
            user.stakeholder_group = group
            membership = db.session.scalar(select(Membership).where(Membership.user_id == user.id))
            membership.role = role
        db.session.commit()


def _pg_admin(statement: str) -> None:
    import psycopg

    plain = make_url(TEST_DATABASE_URL).set(drivername="postgresql")
    with psycopg.connect(plain.set(database="postgres").render_as_string(hide_password=False),
                         autocommit=True, connect_timeout=5) as conn:
        conn.execute(statement)


def _pg_url(name: str) -> str:
    return make_url(TEST_DATABASE_URL).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def _exported_study(_template_database, tmp_path_factory):
    """``(database, World)``: the study every test of this module exports, built once."""
    from delphi import create_app
    from delphi.core.database import db

    instance = tmp_path_factory.mktemp("exports-instance")
    if TEST_DATABASE_URL:
        name = f"{make_url(TEST_DATABASE_URL).database}_exports"
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}"')
        _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{make_url(TEST_DATABASE_URL).database}"')
        database = name
        url = _pg_url(name)
    else:
        database = tmp_path_factory.mktemp("exports") / "study.sqlite"
        shutil.copyfile(_template_database, database)
        url = f"sqlite:///{database}"
    os.environ["DELPHI_INSTANCE_PATH"] = str(instance)
    app = create_app(base_config(url))
    if TEST_DATABASE_URL:
        _truncate(app)  # the template may hold the rows of the worker's last test
    world = build_study(app, n_panellists=12, n_items=5, criteria=("importance", "feasibility"),
                        title="Soil carbon strategies")
    _vary_quasi_identifiers(app, world)
    run_rounds(app, world, 3, comments=lambda email, item_id: CONTACT.format(email=email, n=item_id))
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    os.environ.pop("DELPHI_INSTANCE_PATH", None)
    return database, world


@pytest.fixture
def database_url(_exported_study, tmp_path):
    """This test's own copy of the exported study's database."""
    source, _world = _exported_study
    if TEST_DATABASE_URL:
        name = f"{source}_copy"
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}"')
        _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
        return _pg_url(name)
    target = tmp_path / "delphi.sqlite"
    shutil.copyfile(source, target)
    return f"sqlite:///{target}"


@pytest.fixture
def world(_exported_study, app):
    return _exported_study[1]


def _export(client, auth, world, tier="deidentified", fmt="csv", who=None, report=False):
    headers = auth.token(who or world.researcher)
    response = client.get(f"/api/v1/studies/{world.study_id}/export?tier={tier}&format={fmt}"
                          f"&report={'true' if report else 'false'}", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/zip"
    return zipfile.ZipFile(io.BytesIO(response.data))


def _all_text(archive: zipfile.ZipFile) -> str:
    """Every file of the ZIP as text, XLSX workbooks unpacked (their XML parts)."""
    parts = []
    for name in archive.namelist():
        body = archive.read(name)
        if name.endswith(".xlsx"):
            inner = zipfile.ZipFile(io.BytesIO(body))
            parts += [inner.read(n).decode("utf-8", "replace") for n in inner.namelist()]
        else:
            parts.append(body.decode("utf-8", "replace"))
    # Embedded chart images are base64: random letters, not data; leave them out.
    return re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "data:image/png", "\n".join(parts))


def _csv_rows(archive, name):
    return list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8"))))


def _people(world):
    values = set(world.names.values()) | set(world.organisations.values()) | set(world.names)
    return {v for v in values if v}


# -- what leaves -----------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_deidentified_export_carries_no_name_email_or_organisation(app, client, auth, world, fmt):
    archive = _export(client, auth, world, "deidentified", fmt, report=True)
    text = _all_text(archive).lower()
    leaked = [v for v in _people(world) if v.lower() in text]
    assert leaked == []
    assert "@example.org" not in text and "zyx" not in text
    with app.app_context():
        from delphi.core.database import db
        from delphi.core.models import Panellist

        in_app = db.session.scalars(select(Panellist.pseudonym).where(
            Panellist.study_id == world.study_id)).all()
    assert not [p for p in in_app if p.lower() in text]


def _rated_items(app, world) -> int:
    """Items summed over the study's closed rounds (they carry fewer as consensus is reached)."""
    from delphi.core.database import db
    from delphi.core.models import Round, RoundItem, RoundStatus

    with app.app_context():
        return db.session.scalar(select(db.func.count()).select_from(RoundItem).join(Round).where(
            Round.study_id == world.study_id, Round.status == RoundStatus.closed))


def test_deidentified_ratings_columns_and_no_timestamps(app, client, auth, world):
    archive = _export(client, auth, world)
    rows = _csv_rows(archive, "ratings.csv")
    assert list(rows[0]) == ["pseudonym", "role", "region", "stakeholder_group", "round",
                             "item_code", "item_text", "criterion", "rating", "cannot_rate"]
    assert len(rows) == 12 * _rated_items(app, world) * 2
    data = archive.read("ratings.csv").decode()
    assert not re.search(r"\d{4}-\d{2}-\d{2}|\d{2}:\d{2}:\d{2}", data)
    assert "comments.csv" not in archive.namelist()
    for row in rows:
        assert row["cannot_rate"] in ("true", "false")
        assert (row["rating"] == "") == (row["cannot_rate"] == "true")


def test_rows_are_shuffled(client, auth, world):
    orders = []
    for _ in range(2):
        rows = _csv_rows(_export(client, auth, world), "ratings.csv")
        orders.append([(r["pseudonym"], r["round"], r["item_code"], r["criterion"]) for r in rows])
    assert sorted(orders[0]) == sorted(orders[1])
    assert orders[0] != orders[1]
    assert orders[0] != sorted(orders[0])


def test_every_quasi_identifier_combination_is_shared_by_k_panellists(app, client, auth, world):
    rows = _csv_rows(_export(client, auth, world), "ratings.csv")
    groups: dict[tuple, set] = {}
    for row in rows:
        groups.setdefault((row["role"], row["region"], row["stakeholder_group"]), set()).add(
            row["pseudonym"])
    k = app.config["EXPORT_K_ANONYMITY"]
    assert min(len(p) for p in groups.values()) >= k
    # The seven alike panellists keep their attributes; the five odd ones do not show.
    assert ("team_member", "Europe", "research") in groups
    assert not {"farmers", "funder", "government", "global_leader"} & {v for key in groups for v in key}
    # One combination per pseudonym.
    per_person = {}
    for row in rows:
        per_person.setdefault(row["pseudonym"], set()).add((row["role"], row["region"],
                                                             row["stakeholder_group"]))
    assert all(len(v) == 1 for v in per_person.values())


def test_k_is_configurable(app, client, auth, world):
    app.config["EXPORT_K_ANONYMITY"] = 8
    rows = _csv_rows(_export(client, auth, world), "ratings.csv")
    groups = {}
    for row in rows:
        groups.setdefault((row["role"], row["region"], row["stakeholder_group"]), set()).add(
            row["pseudonym"])
    assert min(len(p) for p in groups.values()) >= 8


def test_pseudonyms_stable_within_a_study_and_different_across_studies(app, client, auth, world):
    from delphi.core.database import db
    from delphi.core.models import Round

    other = build_study(app, n_panellists=6, n_items=3, title="Second study")
    shared = world.panellists[0]
    with app.app_context():
        import rounds

        study = db.session.get(__import__("delphi.core.models", fromlist=["Study"]).Study, other.study_id)
        rounds.add_panellist(study, user_by_email(shared), actor=user_by_email(other.admin))
        db.session.commit()
    other.panellists.append(shared)
    run_rounds(app, other, 2)

    first = _csv_rows(_export(client, auth, world), "ratings.csv")
    again = _csv_rows(_export(client, auth, world), "ratings.csv")
    by_round = {}
    for row in first:
        by_round.setdefault(row["round"], set()).add(row["pseudonym"])
    assert by_round["1"] == by_round["2"] == by_round["3"] and len(by_round["1"]) == 12
    assert {r["pseudonym"] for r in first} == {r["pseudonym"] for r in again}

    second = _csv_rows(_export(client, auth, other, who=other.researcher), "ratings.csv")
    assert len({r["pseudonym"] for r in second}) == 7
    assert not {r["pseudonym"] for r in first} & {r["pseudonym"] for r in second}
    with app.app_context():
        assert db.session.scalar(select(Round.id).where(Round.study_id == other.study_id)) is not None


def test_comments_tier_scrubs_contacts(app, client, auth, world):
    archive = _export(client, auth, world, "comments", "csv")
    rows = _csv_rows(archive, "comments.csv")
    assert len(rows) == 12 * _rated_items(app, world)
    text = archive.read("comments.csv").decode()
    assert "@" not in text and "my-lab" not in text and "12 34 56 78" not in text
    assert all("[email removed]" in r["text"] and "[phone removed]" in r["text"]
               and "[URL removed]" in r["text"] for r in rows if r["kind"] == "comment")
    assert not [v for v in _people(world) if v.lower() in _all_text(archive).lower()]


@pytest.mark.parametrize("fmt", ("csv", "xlsx"))
def test_formula_cells_are_escaped(app, client, auth, world, fmt):
    from delphi.core.database import db
    from delphi.core.models import Item

    texts = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1:A2)", "Plain item"]
    with app.app_context():
        for item_id, text in zip(world.item_ids, texts):
            db.session.get(Item, item_id).text = text
        db.session.commit()
    archive = _export(client, auth, world, "deidentified", fmt)
    if fmt == "csv":
        cells = {r["item_text"] for r in _csv_rows(archive, "ratings.csv")}
        ratings = {r["rating"] for r in _csv_rows(archive, "ratings.csv")}
        assert ratings <= {"", "1", "2", "3", "4", "5"}
    else:
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(archive.read("data.xlsx")))
        sheet = book["ratings"]
        header = [c.value for c in next(sheet.iter_rows(max_row=1))]
        column = header.index("item_text")
        cells = set()
        for row in sheet.iter_rows(min_row=2):
            cell = row[column]
            assert cell.data_type == "s"
            cells.add(cell.value)
            rating = row[header.index("rating")]
            assert rating.value is None or rating.data_type == "n"
    assert cells == {"'" + t for t in texts[:4]} | {"Plain item"}


# -- the package ------------------------------------------------------------------

def test_manifest_lists_every_file_with_its_sha256(client, auth, world):
    import hashlib

    archive = _export(client, auth, world, "comments", "json", report=True)
    manifest = json.loads(archive.read("manifest.json"))
    listed = {f["name"]: f["sha256"] for f in manifest["files"]}
    assert set(listed) == set(archive.namelist()) - {"manifest.json"}
    for name, digest in listed.items():
        assert hashlib.sha256(archive.read(name)).hexdigest() == digest
    assert {"codebook.md", "codebook.json", "reproduce.py", "report.html", "ratings.json",
            "comments.json", "item_statistics.json", "round_statistics.json"} <= set(listed)


def test_codebook_documents_every_column_and_the_protocol(client, auth, world):
    archive = _export(client, auth, world)
    codebook = json.loads(archive.read("codebook.json"))
    for name in ("ratings", "item_statistics", "round_statistics"):
        header = next(csv.reader(io.StringIO(archive.read(f"{name}.csv").decode())))
        documented = [c["name"] for c in codebook["tables"][name]["columns"]]
        assert documented == header
        assert all(c["meaning"] for c in codebook["tables"][name]["columns"])
    protocol = codebook["protocol"]
    assert protocol["scale_labels"]["1"] and len(protocol["scale_labels"]) == 5
    assert "IQR <= 1" in protocol["consensus_rule"]
    assert protocol["quantile_method"] == "type7" and "Hyndman" in protocol["quantile_method_definition"]
    markdown = archive.read("codebook.md").decode()
    assert "## Tables" in markdown and "| pseudonym |" in markdown


def _run_reproduction(archive, tmp_path):
    folder = tmp_path / "export"
    archive.extractall(folder)
    result = subprocess.run([sys.executable, str(folder / "reproduce.py"), str(folder)],
                            capture_output=True, text=True, timeout=120)
    return folder, result


@pytest.mark.parametrize("fmt", FORMATS)
def test_reproduction_script_reproduces_the_exported_statistics(client, auth, world, tmp_path, fmt):
    archive = _export(client, auth, world, "deidentified", fmt)
    _folder, result = _run_reproduction(archive, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith(("match", "MISMATCH"))]
    # 3 rounds; the rounds carry fewer items as consensus is reached: count from the export.
    codebook = json.loads(archive.read("codebook.json"))
    expected = codebook["tables"]["item_statistics"]["rows"] + codebook["tables"]["round_statistics"]["rows"]
    assert len(lines) == expected
    assert all(line.startswith("match") for line in lines)


def test_reproduction_script_reports_a_tampered_statistic(client, auth, world, tmp_path):
    archive = _export(client, auth, world, "deidentified", "csv")
    folder, _ = _run_reproduction(archive, tmp_path)
    path = folder / "item_statistics.csv"
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    rows[0]["median"] = str(float(rows[0]["median"]) + 0.5)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    result = subprocess.run([sys.executable, str(folder / "reproduce.py"), str(folder)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "MISMATCH" in result.stdout and "median" in result.stdout


def test_statistics_tier_has_only_aggregates(client, auth, world):
    archive = _export(client, auth, world, "statistics", "csv")
    names = set(archive.namelist())
    assert "ratings.csv" not in names and "comments.csv" not in names
    rows = _csv_rows(archive, "item_statistics.csv")
    assert {r["round"] for r in rows} == {"1", "2", "3"}
    assert {"n", "median", "q1", "q3", "iqr", "mean", "sd", "agreement", "disagreement",
            "verdict", "count_1", "count_5"} <= set(rows[0])
    rounds_rows = _csv_rows(archive, "round_statistics.csv")
    assert len(rounds_rows) == 3 * 2 and all(r["w"] != "" for r in rounds_rows)


# -- the report ---------------------------------------------------------------------

def test_report_page_for_researchers(client, auth, world):
    auth.login(world.researcher)
    response = client.get(f"/studies/{world.study_id}/report")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for text in ("Protocol", "Panel composition", "Participation flow", "Round 3",
                 "Final item list", "CREDES", "DELPHISTAR", "ACCORD", "authors to complete",
                 "Soil carbon strategies", "IQR at most 1"):
        assert text in html, text
    assert html.count('src="data:image/png;base64,') >= 3
    assert "<style" not in html and "style=" not in html and "<script" not in html
    assert not [v for v in _people(world) if v in html]


def test_report_in_the_zip_is_standalone(client, auth, world):
    html = _export(client, auth, world, "statistics", "json", report=True).read("report.html").decode()
    assert "<style>" in html and "stylesheet" not in html
    assert "data:image/png;base64," in html


def test_report_shows_the_dashboards_charts_and_draws_them_once(app, client, auth, world):
    """The report's verdict and participation charts are the dashboard's (same alt
    text); a second report draws nothing: the charts of closed rounds are cached."""
    import html as html_module

    from delphi.charts import specs
    from delphi.charts.cache import cache_for
    from delphi.core.database import db
    from delphi.core.models import Round, Study

    auth.login(world.researcher)
    html = client.get(f"/studies/{world.study_id}/report").get_data(as_text=True)
    alts = {html_module.unescape(a) for a in re.findall(r'<img[^>]* alt="([^"]*)"', html)}
    with app.app_context():
        study = db.session.get(Study, world.study_id)
        rnd = db.session.scalar(select(Round).where(Round.study_id == study.id,
                                                    Round.number == 2))
        for name, criterion in (("verdicts", "feasibility"), ("participation", None)):
            table = specs.chart_table(rnd if name == "verdicts" else study.rounds[2], name,
                                           criterion=criterion)
            assert specs.chart_alt(table) in alts, name
        misses = cache_for(app).misses
    assert client.get(f"/studies/{world.study_id}/report").get_data(as_text=True) == html
    assert cache_for(app).misses == misses


# -- who gets it ------------------------------------------------------------------------

def test_api_gives_the_zip_to_researchers_and_admins_only(app, world, make_user):
    from tests.conftest import Auth

    member = make_user().email
    emails = {"member": member, "panellist": world.panellists[0], "moderator": world.moderator,
              "researcher": world.researcher, "admin": world.admin}
    path = f"/api/v1/studies/{world.study_id}/export?tier=deidentified&format=csv&report=false"
    assert app.test_client().get(path).status_code == 401
    for role, email in emails.items():
        client = app.test_client()
        response = client.get(path, headers=Auth(client).token(email))
        expected = 200 if role in ("researcher", "admin") else 403
        assert response.status_code == expected, role
        if expected == 200:
            assert response.mimetype == "application/zip"
            assert "ratings.csv" in zipfile.ZipFile(io.BytesIO(response.data)).namelist()
        else:
            assert response.get_json()["error"]["code"] == "forbidden"


def test_api_validates_tier_and_format(client, auth, world):
    headers = auth.token(world.researcher)
    base = f"/api/v1/studies/{world.study_id}/export"
    bad = client.get(base + "?tier=everything&format=csv", headers=headers)
    assert bad.status_code == 422 and "tier" in bad.get_json()["error"]["fields"]
    bad = client.get(base + "?tier=statistics&format=pdf", headers=headers)
    assert bad.status_code == 422 and "format" in bad.get_json()["error"]["fields"]
    bad = client.get(base + "?report=maybe", headers=headers)
    assert bad.status_code == 422 and "report" in bad.get_json()["error"]["fields"]
    assert client.get("/api/v1/studies/999999/export", headers=headers).status_code == 404
    default = client.get(base, headers=headers)  # deidentified, csv, with the report
    assert default.status_code == 200
    assert {"ratings.csv", "report.html"} <= set(zipfile.ZipFile(io.BytesIO(default.data)).namelist())
    lean = client.get(base + "?report=false", headers=headers)
    assert "report.html" not in zipfile.ZipFile(io.BytesIO(lean.data)).namelist()


def test_web_page_lists_tiers_and_downloads_with_a_form(client, auth, world):
    auth.login(world.researcher)
    page = client.get(f"/studies/{world.study_id}/exports").get_data(as_text=True)
    for tier in ("deidentified", "comments", "statistics"):
        assert f"/exports/{tier}" in page
    response = client.post(f"/studies/{world.study_id}/exports/comments",
                           data={"comments-tier": "comments", "comments-format": "xlsx"})
    assert response.status_code == 200
    assert "data.xlsx" in zipfile.ZipFile(io.BytesIO(response.data)).namelist()
    bad = client.post(f"/studies/{world.study_id}/exports/comments",
                      data={"comments-tier": "comments", "comments-format": "pdf"})
    assert bad.status_code == 422 and "Not a valid choice" in bad.get_data(as_text=True)


def test_every_export_is_audited(app, client, auth, world):
    from delphi.core.database import db
    from delphi.core.models import AuditEvent

    _export(client, auth, world, "statistics", "json")
    auth.login(world.admin)
    client.post(f"/studies/{world.study_id}/exports/deidentified",
                data={"deidentified-tier": "deidentified", "deidentified-format": "csv"})
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "study.export")
                                    .order_by(AuditEvent.id)).all()
        researcher, admin = user_by_email(world.researcher), user_by_email(world.admin)
        assert [(e.actor_id, e.details["tier"], e.details["format"], e.details["channel"])
                for e in events] == [(researcher.id, "statistics", "json", "api"),
                                     (admin.id, "deidentified", "csv", "web")]
        assert all(e.object_id == str(world.study_id) and e.at is not None for e in events)


def test_cli_writes_the_zip(app, runner, world, tmp_path):
    from delphi.core.database import db
    from delphi.core.models import AuditEvent

    target = tmp_path / "out.zip"
    result = runner.invoke(args=["export", str(world.study_id), "--tier", "comments", "--format",
                                 "json", "-o", str(target)])
    assert result.exit_code == 0, result.output
    names = zipfile.ZipFile(target).namelist()
    assert {"ratings.json", "comments.json", "manifest.json", "reproduce.py"} <= set(names)
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "study.export"))
        assert event.details["channel"] == "cli" and event.actor_id is None
    bad = runner.invoke(args=["export", str(world.study_id), "--tier", "all", "-o", str(target)])
    assert bad.exit_code != 0 and "tier" in bad.output
    missing = runner.invoke(args=["export", "999999", "-o", str(target)])
    assert missing.exit_code != 0 and "No study" in missing.output


def test_openapi_documents_the_export(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "/studies/{study_id}/export" in paths


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_item_texts_that_escape_alike_export_as_two_items(app, runner, tmp_path, fmt):
    """``=1+1`` is escaped as ``'=1+1`` against spreadsheet formulas: an item
    written ``'=1+1`` must stay a second item (once a 500), and reproduce.py holds."""
    import rounds
    from delphi.core.models import Study
    from tests.factories import answer_round, build_study, close, user_by_email

    world = build_study(app, n_panellists=6, n_items=0)
    with app.app_context():
        from delphi.core.database import db
        study = db.session.get(Study, world.study_id)
        admin = user_by_email(world.admin)
        items = [rounds.add_item(study, text, actor=admin) for text in ("=1+1", "'=1+1")]
        from tests.factories import get_round
        rounds.set_round_items(get_round(world, 1), items, actor=admin)
        db.session.commit()
        world.item_ids = [i.id for i in items]
    answer_round(app, world, 1, seed=3)
    close(app, world, 1)
    target = tmp_path / f"out.{fmt}.zip"
    result = runner.invoke(args=["export", str(world.study_id), "--tier", "deidentified", "--format",
                                 fmt, "-o", str(target), "--no-report"])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(target) as archive:
        names = archive.namelist()
        assert any(n.startswith("ratings") or n.endswith(".xlsx") for n in names), names
        archive.extractall(tmp_path / fmt)
    check = subprocess.run([sys.executable, "reproduce.py"], cwd=tmp_path / fmt,
                           capture_output=True, text=True, timeout=300)
    assert check.returncode == 0, check.stdout[-2000:] + check.stderr[-2000:]
