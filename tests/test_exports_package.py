"""The FAIR package (issue 14, part 10): every export ZIP is a Frictionless Data
Package that ``frictionless`` validates, an RO-Crate 1.1 and a Zenodo deposit,
and carries the protocol, its amendments, the items' lineage and the feedback
each round showed; the demo's reproduce.py re-derives every figure."""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import zipfile
from importlib import metadata

import pytest
from sqlalchemy import select

from delphi.core.database import db
from delphi.core.models import Item, Panellist, Study, User
from tests.test_exports_report import _demo


def _export(client, headers, study_id, tier="deidentified", fmt="csv", report="false"):
    response = client.get(f"/api/v1/studies/{study_id}/export?tier={tier}&format={fmt}"
                          f"&report={report}", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return zipfile.ZipFile(io.BytesIO(response.data))


def _validate(folder, fmt):
    from frictionless import Checklist, Package

    package = Package(str(folder / "datapackage.json"))
    # An XLSX row ends at its last filled cell (openpyxl's write-only rows, no sheet
    # dimension), which frictionless reports as missing cells: not an error here.
    checklist = Checklist(skip_errors=["missing-cell"]) if fmt == "xlsx" else None
    if fmt == "xlsx":
        import openpyxl

        book = openpyxl.load_workbook(folder / "data.xlsx", read_only=True)
        for resource in package.resources:
            sheet = book[resource.dialect.to_descriptor()["excel"]["sheet"]]
            header = next(sheet.iter_rows(values_only=True))
            assert list(header) == [f.name for f in resource.schema.fields]
    return package.validate(checklist)


def test_the_demo_export_validates_in_every_format_and_reproduces(app, runner, client, auth,
                                                                   tmp_path):
    study_id, who, password = _demo(app, runner)
    headers = auth.token(who["researcher"], password)
    for fmt in ("csv", "json", "xlsx"):
        archive = _export(client, headers, study_id, "comments", fmt)
        folder = tmp_path / fmt
        archive.extractall(folder)
        report = _validate(folder, fmt)
        assert report.valid, report.flatten(["title", "type", "note"])[:5]
        descriptor = json.loads(archive.read("datapackage.json"))
        names = {r["name"] for r in descriptor["resources"]}
        assert {"ratings", "items", "item_statistics", "round_statistics", "lineage",
                "estimates", "rankings", "comments"} <= names
        result = subprocess.run([sys.executable, str(folder / "reproduce.py"), str(folder)],
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
        lines = [line for line in result.stdout.splitlines()
                 if line.startswith(("match", "MISMATCH"))]
        assert lines and all(line.startswith("match") for line in lines)


def test_each_csv_has_a_table_schema_from_the_codebook(app, runner, client, auth):
    study_id, who, password = _demo(app, runner)
    archive = _export(client, auth.token(who["researcher"], password), study_id)
    descriptor = json.loads(archive.read("datapackage.json"))
    codebook = json.loads(archive.read("codebook.json"))
    csvs = sorted(n for n in archive.namelist() if n.endswith(".csv"))
    assert sorted(r["path"] for r in descriptor["resources"]) == csvs
    for resource in descriptor["resources"]:
        header = next(csv.reader(io.StringIO(archive.read(resource["path"]).decode())))
        fields = resource["schema"]["fields"]
        assert [f["name"] for f in fields] == header
        assert all(f.get("description") for f in fields)
        assert resource["schema"]["missingValues"] == [""]
        documented = codebook["tables"][resource["name"]]["columns"]
        assert [c["name"] for c in documented] == header
    by_name = {r["name"]: r for r in descriptor["resources"]}
    ratings = by_name["ratings"]["schema"]
    assert ratings["primaryKey"] == ["pseudonym", "round", "item_code", "criterion"]
    assert ratings["foreignKeys"][0]["reference"] == {"resource": "items", "fields": "item_code"}
    rating = next(f for f in ratings["fields"] if f["name"] == "rating")
    assert rating["type"] == "integer" and rating["constraints"] == {"minimum": 1, "maximum": 5}
    assert by_name["items"]["schema"]["primaryKey"] == ["item_code"]
    assert descriptor["licenses"][0]["name"] == "CC-BY-4.0"


def test_the_ro_crate_and_zenodo_metadata_name_the_organisation_never_a_person(
        app, runner, client, auth):
    study_id, who, password = _demo(app, runner)
    archive = _export(client, auth.token(who["researcher"], password), study_id, report="true")
    crate = json.loads(archive.read("ro-crate-metadata.json"))
    assert crate["@context"] == "https://w3id.org/ro/crate/1.1/context"
    graph = {e["@id"]: e for e in crate["@graph"]}
    assert graph["ro-crate-metadata.json"]["conformsTo"] == {"@id": "https://w3id.org/ro/crate/1.1"}
    root = graph["./"]
    assert root["@type"] == "Dataset" and root["license"]["@id"].startswith("https://creativecommons")
    creator = graph[root["creator"]["@id"]]
    assert creator["@type"] == "Organization" and "Task Force A5" in creator["name"]
    listed = {p["@id"] for p in root["hasPart"]}
    for name in archive.namelist():
        if name == "ro-crate-metadata.json":
            continue
        top = name.split("/")[0] + "/" if "/" in name else name
        assert top in listed
        assert graph[name]["@type"] in ("File", ["File", "SoftwareSourceCode"])
    software = next(e for e in crate["@graph"] if e["@type"] == "SoftwareApplication")
    assert software["version"] == metadata.version("delphi-engine")
    zenodo = json.loads(archive.read(".zenodo.json"))
    assert zenodo["upload_type"] == "dataset" and zenodo["license"] == "cc-by-4.0"
    assert [c["name"] for c in zenodo["creators"]] == [creator["name"]]
    assert {"identifier": "10.1371/journal.pone.0304651", "relation": "references",
            "scheme": "doi", "resource_type": "publication-article"} in zenodo["related_identifiers"]
    with app.app_context():
        people = [(u.name, u.email) for u in db.session.scalars(
            select(User).join(Panellist, Panellist.user_id == User.id))]
        staff = [(u.name, u.email) for u in db.session.scalars(select(User))]
    metadata_text = archive.read("ro-crate-metadata.json").decode() + \
        archive.read(".zenodo.json").decode() + archive.read("datapackage.json").decode()
    for name, email in people + staff:
        assert email not in metadata_text and name not in metadata_text


def test_the_feedback_snapshots_are_what_panellists_saw(app, runner, client, auth):
    study_id, who, password = _demo(app, runner)
    headers = auth.token(who["researcher"], password)
    plain = _export(client, headers, study_id, "deidentified")
    with_comments = _export(client, headers, study_id, "comments")
    assert sorted(n for n in plain.namelist() if n.startswith("feedback/")) == [
        "feedback/round-2.json", "feedback/round-3.json", "feedback/round-4.json"]
    second = json.loads(plain.read("feedback/round-2.json"))
    assert second["round"] == 2 and second["from_round"] == 1
    entry = next(i for i in second["items"] if "criteria" in i["feedback"])
    figures = entry["feedback"]["criteria"]["importance"]
    assert {"n", "median", "q1", "q3", "iqr", "counts", "agreement"} <= set(figures)
    assert "own_previous" not in json.dumps(second)
    # Comments: their number in the de-identified tier, the scrubbed texts in the comments tier.
    assert all("comments" not in i["feedback"] for i in second["items"])
    shown = json.loads(with_comments.read("feedback/round-2.json"))
    texts = [t for i in shown["items"] for t in i["feedback"]["comments"]]
    assert texts and sum(i["feedback"]["n_comments"] for i in second["items"]) == len(texts)


def test_amendments_and_lineage_travel_in_the_package(app, runner, client, auth):
    import rounds

    study_id, who, password = _demo(app, runner)
    with app.app_context():
        study = db.session.get(Study, study_id)
        moderator = db.session.scalar(select(User).where(User.email == who["moderator"]))
        rounds.update_protocol(study, {"max_rounds": 5}, actor=moderator,
                               reason="A fifth round for the estimates.")
        first = db.session.scalar(select(Item).where(Item.study_id == study_id,
                                                     Item.code == "I01"))
        new = rounds.reword_item(first, "Publish a screening grid for soil-carbon markets.",
                                 actor=moderator)
        new_code = new.code
        db.session.commit()
    archive = _export(client, auth.token(who["researcher"], password), study_id)
    amendments = list(csv.DictReader(io.StringIO(archive.read("amendments.csv").decode())))
    assert [(a["field"], a["old_value"], a["new_value"], a["reason"]) for a in amendments] == [
        ("max_rounds", "4", "5", "A fifth round for the estimates.")]
    lineage = {r["item_code"]: r for r in csv.DictReader(
        io.StringIO(archive.read("lineage.csv").decode()))}
    assert lineage[new_code]["origin"] == "reworded" and lineage[new_code]["from_items"] == "I01"
    assert lineage["I01"]["replaced_by"] == new_code and lineage["I01"]["rounds"] == "1 2"
    protocol = json.loads(archive.read("protocol.json"))
    assert protocol["protocol"]["max_rounds"] == 5
    descriptor = json.loads(archive.read("datapackage.json"))
    assert any(r["name"] == "amendments" for r in descriptor["resources"])


@pytest.mark.parametrize("tier", ["statistics"])
def test_the_statistics_tier_is_a_package_too(app, runner, client, auth, tmp_path, tier):
    study_id, who, password = _demo(app, runner)
    archive = _export(client, auth.token(who["researcher"], password), study_id, tier)
    archive.extractall(tmp_path)
    report = _validate(tmp_path, "csv")
    assert report.valid, report.flatten(["title", "note"])[:5]
    assert "ratings.csv" not in archive.namelist()
