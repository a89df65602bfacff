"""Exports of the question kinds end to end (both databases): the answers tables,
the kinds' frozen statistics, the items' parameters, the codebook and the
reproduction script.

The study (two closed rounds; two rating items and one item of every other
kind from ``tests.factories.add_mixed_items``, plus an estimate with negative
answers and a target below its baseline, a year item answered mostly "later"
and a top-2 ranking with an item of the study as an option; varied
quasi-identifiers) is built once per module; each test gets its own copy of
its database, as in ``tests/test_exports.py``.
"""
from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
import zipfile

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from tests.conftest import TEST_DATABASE_URL, _truncate, base_config
from tests.factories import (
    add_mixed_items,
    answer_round,
    build_study,
    close,
    get_round,
    random_answer,
    user_by_email,
)
from tests.test_exports import _all_text, _pg_admin, _pg_url, _vary_quasi_identifiers

FORMATS = ("csv", "xlsx", "json")
LEAD = ["pseudonym", "role", "region", "stakeholder_group", "round", "item_code", "item_text"]
TABLES = {"estimate": "estimates", "probability": "probabilities", "year": "years",
          "ranking": "rankings"}
NAMES = ("estimate_q", "estimate", "probability", "year", "ranking", "signed", "late", "top2")


def _add_extra_items(app, world) -> list[int]:
    """The three items that reach the corners of the conventions, added to round 1."""
    import rounds
    from delphi.core.database import db
    from delphi.core.models import Study

    with app.app_context():
        study = db.session.get(Study, world.study_id)
        admin = user_by_email(world.admin)
        new = [
            rounds.add_item(study, "Change of the soil-carbon stock by 2030 (t/ha)", kind="estimate",
                            params={"unit": "t/ha", "min": -50, "max": 50, "quantiles": False,
                                    "baseline": {"value": 5, "year": 2020},
                                    "target": {"value": -10, "year": 2030}}, actor=admin),
            rounds.add_item(study, "Year by which every partner reports soil carbon", kind="year",
                            params={"min": 2025, "max": 2030}, actor=admin),
            rounds.add_item(study, "Your two most effective levers", kind="ranking",
                            params={"options": [{"item": world.item_ids[0]}, "Extension services",
                                                "Carbon markets", "=Soil testing"], "top_k": 2},
                            actor=admin),
        ]
        rounds.set_round_items(get_round(world, 1), [*world.item_ids, *(i.id for i in new)],
                               actor=admin)
        db.session.commit()
        ids = [i.id for i in new]
    world.item_ids = [*world.item_ids, *ids]
    return ids


def _answers(app, world, ids, seed):
    """``callable(email, item_id, criterion)``: random answers, the "late" year
    item mostly "later", one panellist unable to answer the top-2 ranking."""
    from delphi.core.database import db
    from delphi.core.models import Item

    with app.app_context():
        kinds = {i: (db.session.get(Item, i).kind, dict(db.session.get(Item, i).params or {}))
                 for i in world.item_ids}
    rng = np.random.default_rng(seed)

    def value(email, item_id, criterion):
        position = world.panellists.index(email)
        kind, params = kinds[item_id]
        if item_id == ids["late"]:
            return 2026 + position % 4 if position % 3 == 0 else "later"
        if item_id == ids["top2"] and position == 4:
            return None
        if kind == "rating":
            return int(rng.integers(1, world.scale_points + 1))
        answer = random_answer(kind, params, rng)
        if answer is None and position == 0:  # keep every kind answered by panellist 0
            answer = random_answer(kind, params, np.random.default_rng(position + seed))
        return answer

    return value


def build_mixed_world(app, *, quantile_method="type7"):
    """``(world, ids, given)``: the mixed study after two closed rounds; ``given``
    maps round number -> ``{email: {item_id: {criterion: value}}}``."""
    world = build_study(app, n_panellists=12, n_items=2, criteria=("importance",),
                        title="Mixed kinds study", quantile_method=quantile_method)
    ids = dict(zip(NAMES, [*add_mixed_items(app, world), *_add_extra_items(app, world)]))
    _vary_quasi_identifiers(app, world)
    given = {1: answer_round(app, world, 1, _answers(app, world, ids, 1))}
    report = close(app, world, 1)
    assert report.next_round is not None
    given[2] = answer_round(app, world, 2, _answers(app, world, ids, 2), who=world.panellists[:10])
    close(app, world, 2)
    return world, ids, given


@pytest.fixture(scope="module")
def _mixed_study(_template_database, tmp_path_factory):
    """``(database, world, ids, given)``: the study every test of this module exports."""
    from delphi import create_app
    from delphi.core.database import db

    instance = tmp_path_factory.mktemp("exports-kinds-instance")
    if TEST_DATABASE_URL:
        name = f"{make_url(TEST_DATABASE_URL).database}_kinds"
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}"')
        _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{make_url(TEST_DATABASE_URL).database}"')
        database, url = name, _pg_url(name)
    else:
        database = tmp_path_factory.mktemp("exports-kinds") / "study.sqlite"
        shutil.copyfile(_template_database, database)
        url = f"sqlite:///{database}"
    os.environ["DELPHI_INSTANCE_PATH"] = str(instance)
    app = create_app(base_config(url))
    if TEST_DATABASE_URL:
        _truncate(app)
    world, ids, given = build_mixed_world(app)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    os.environ.pop("DELPHI_INSTANCE_PATH", None)
    return database, world, ids, given


@pytest.fixture
def database_url(_mixed_study, tmp_path):
    """This test's own copy of the mixed study's database."""
    source = _mixed_study[0]
    if TEST_DATABASE_URL:
        name = f"{source}_copy"
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}"')
        _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
        return _pg_url(name)
    target = tmp_path / "delphi.sqlite"
    shutil.copyfile(source, target)
    return f"sqlite:///{target}"


@pytest.fixture
def mixed(_mixed_study, app):
    return _mixed_study[1:]


def _export(client, auth, world, tier="deidentified", fmt="csv", headers=None):
    response = client.get(f"/api/v1/studies/{world.study_id}/export?tier={tier}&format={fmt}"
                          "&report=false", headers={**auth.token(world.researcher),
                                                     **(headers or {})})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return zipfile.ZipFile(io.BytesIO(response.data))


def _rows(archive, name):
    return list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8"))))


def _reproduce(folder):
    return subprocess.run([sys.executable, str(folder / "reproduce.py"), str(folder)],
                          capture_output=True, text=True, timeout=120, check=False)


def _pseudonyms(app, world) -> dict[str, str]:
    """email -> export pseudonym (the export's own definition, from the secret)."""
    from delphi.core.database import db
    from delphi.core.models import Study
    from delphi.exports.anonymity import pseudonym
    from tests.factories import panellist_of

    with app.app_context():
        secret = db.session.get(Study, world.study_id).pseudonym_secret
        return {email: pseudonym(secret, panellist_of(world, email).id) for email in world.panellists}


def _items(app, world) -> dict[int, tuple[str, str, dict]]:
    """item id -> (code, kind, params)."""
    from delphi.core.database import db
    from delphi.core.models import Item

    with app.app_context():
        return {i.id: (i.code, i.kind, dict(i.params or {})) for i in db.session.scalars(
            select(Item).where(Item.study_id == world.study_id))}


def _cell(value) -> str:
    """A value as the CSV writes it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# -- the answers tables ------------------------------------------------------------

def test_each_kind_has_its_answers_table_with_the_registrys_columns(app, client, auth, mixed):
    from rounds.kinds import KINDS

    world, _ids, given = mixed
    archive = _export(client, auth, world)
    items = _items(app, world)
    names = _pseudonyms(app, world)
    for kind, table in TABLES.items():
        header = next(csv.reader(io.StringIO(archive.read(f"{table}.csv").decode())))
        own = []
        for item_id in world.item_ids:
            code, item_kind, params = items[item_id]
            if item_kind == kind:
                own += [c for c, _d in KINDS[kind].export_columns(params) if c not in own]
        assert header == [*LEAD, *own, "cannot_answer"]
        rows = _rows(archive, f"{table}.csv")
        expected = set()
        for number, per_email in given.items():
            for email, per_item in per_email.items():
                for item_id, answer in per_item.items():
                    code, item_kind, params = items[item_id]
                    if item_kind != kind:
                        continue
                    values = {c: None for c in own}
                    values.update(KINDS[kind].export_values(params, answer[""]))
                    expected.add((names[email], str(number), code,
                                  *(_cell(values[c]) for c in own), _cell(answer[""] is None)))
        got = {(r["pseudonym"], r["round"], r["item_code"], *(r[c] for c in own),
                r["cannot_answer"]) for r in rows}
        assert len(rows) == len(expected)
        if kind == "estimate":  # floats: compare as numbers
            got = {tuple(float(x) if i >= 3 and x not in ("", "true", "false") else x
                         for i, x in enumerate(row)) for row in got}
            expected = {tuple(float(x) if i >= 3 and x not in ("", "true", "false") else x
                              for i, x in enumerate(row)) for row in expected}
        assert got == expected, kind


def test_answers_of_the_other_kinds_stay_out_of_the_ratings_table(app, client, auth, mixed):
    world, _ids, _given = mixed
    archive = _export(client, auth, world)
    rows = _rows(archive, "ratings.csv")
    assert list(rows[0]) == ["pseudonym", "role", "region", "stakeholder_group", "round",
                             "item_code", "item_text", "criterion", "rating", "cannot_rate"]
    items = _items(app, world)
    rating_codes = {code for code, kind, _p in items.values() if kind == "rating"}
    assert {r["item_code"] for r in rows} == rating_codes
    assert len(rows) == 12 * 2 + 10 * len({r["item_code"] for r in rows if r["round"] == "2"})


def test_ranking_columns_hold_mid_ranks_for_a_partial_ranking(app, client, auth, mixed):
    world, ids, given = mixed
    archive = _export(client, auth, world)
    code = _items(app, world)[ids["top2"]][0]
    names = _pseudonyms(app, world)
    rows = {(r["pseudonym"], r["round"]): r for r in _rows(archive, "rankings.csv")
            if r["item_code"] == code}
    header = next(csv.reader(io.StringIO(archive.read("rankings.csv").decode())))
    assert {"rank_1", "rank_2", "rank_3", "rank_4", "ranking"} <= set(header)
    for email, per_item in given[1].items():
        answer = per_item[ids["top2"]][""]
        row = rows[(names[email], "1")]
        if answer is None:
            assert row["cannot_answer"] == "true" and row["ranking"] == "" and row["rank_1"] == ""
            continue
        first, second = answer
        assert row["ranking"] == f"{first} {second}"
        assert float(row[f"rank_{first}"]) == 1.0 and float(row[f"rank_{second}"]) == 2.0
        rest = [o for o in (1, 2, 3, 4) if o not in answer]
        assert [float(row[f"rank_{o}"]) for o in rest] == [3.5, 3.5]  # (2 + 1 + 4) / 2


def test_years_keep_later_as_its_own_state(app, client, auth, mixed):
    world, ids, _given = mixed
    archive = _export(client, auth, world)
    code = _items(app, world)[ids["late"]][0]
    rows = [r for r in _rows(archive, "years.csv") if r["item_code"] == code and r["round"] == "1"]
    later = [r for r in rows if r["later"] == "1"]
    assert len(later) == 8 and all(r["year"] == "" for r in later)
    assert sorted(r["year"] for r in rows if r["later"] == "0") == ["2026", "2027", "2028", "2029"]


# -- statistics and items ------------------------------------------------------------

def test_kind_statistics_are_the_frozen_figures(app, client, auth, mixed):
    from delphi.core.database import db
    from delphi.core.models import Study
    from rounds import results

    world, _ids, _given = mixed
    archive = _export(client, auth, world, "statistics")
    rows = {(r["round"], r["item_code"]): r for r in _rows(archive, "kind_statistics.csv")}
    options = {(r["round"], r["item_code"], r["option"]): r
               for r in _rows(archive, "ranking_option_statistics.csv")}
    frozen = []
    with app.app_context():
        study = db.session.get(Study, world.study_id)
        for rnd in results.closed_rounds(study):
            frozen += [(rnd.number, r, results.kind_figures(r)) for r in results.item_rows(rnd)
                       if r.kind != "rating"]
    assert len(rows) == len(frozen) and {k for _n, r, _f in frozen for k in [r.kind]} == set(TABLES)
    n_options = 0
    for number, r, figures in frozen:
        row = rows[(str(number), r.code)]
        assert row["kind"] == r.kind and row["verdict"] == r.verdict
        assert int(row["n"]) == r.n and int(row["n_missing"]) == r.n_missing
        for name in ("median", "q1", "q3", "iqr"):
            assert row[name] == ("" if getattr(r, name) is None else repr(getattr(r, name)))
        flat = dict(figures)
        aggregate = flat.pop("aggregate", None) or {}
        flat.update({f"aggregate_{p}": v for p, v in aggregate.items()})
        for option in flat.pop("options", []):
            n_options += 1
            exported = options[(str(number), r.code, str(option["option"]))]
            for name in ("mean_rank", "rank_sum", "top3_share"):
                assert float(exported[name]) == option[name]
        for name, value in flat.items():
            if isinstance(value, bool):
                assert row[name] == ("true" if value else "false"), (r.kind, name)
            elif value is None:
                assert row[name] == "", (r.kind, name)
            else:
                assert float(row[name]) == value, (r.kind, name)
    assert len(options) == n_options
    # The rating items' statistics stay where they were, unchanged.
    ratings = _rows(archive, "item_statistics.csv")
    assert {r["criterion"] for r in ratings} == {"importance"}
    assert "ratings.csv" not in archive.namelist() and "estimates.csv" not in archive.namelist()


def test_corner_cases_reach_the_statistics(app, client, auth, mixed):
    world, ids, _given = mixed
    archive = _export(client, auth, world, "statistics")
    items = _items(app, world)
    rows = {(r["round"], r["item_code"]): r for r in _rows(archive, "kind_statistics.csv")}
    signed = rows[("1", items[ids["signed"]][0])]
    assert signed["dispersion"] == "" and signed["dispersion_basis"] == "range"
    assert signed["direction"] == "down" and float(signed["relative_iqr"]) > 0
    late = rows[("1", items[ids["late"]][0])]
    assert late["q3_later"] == "true" and late["median_later"] == "true" and late["iqr"] == ""
    assert float(late["later_share"]) == 8 / 12
    quantiles = rows[("1", items[ids["estimate_q"]][0])]
    assert quantiles["aggregate_p10"] != "" and quantiles["target_share"] != ""
    ranking = rows[("2", items[ids["ranking"]][0])]
    assert ranking["w_previous"] == rows[("1", items[ids["ranking"]][0])]["w"]
    assert ranking["w_stable"] in ("true", "false")


def test_items_table_gives_every_kind_and_its_parameters(app, client, auth, mixed):
    world, ids, _given = mixed
    archive = _export(client, auth, world, "statistics")
    items = _items(app, world)
    rows = {r["item_code"]: r for r in _rows(archive, "items.csv")}
    assert set(rows) == {code for code, _k, _p in items.values()}
    estimate = rows[items[ids["estimate_q"]][0]]
    assert (estimate["kind"], estimate["unit"], estimate["min"], estimate["max"],
            estimate["quantiles"], estimate["baseline_value"], estimate["baseline_year"],
            estimate["target_value"], estimate["target_year"]) == (
        "estimate", "%", "0.0", "100.0", "true", "14.3", "2019", "100.0", "2030")
    assert rows[items[ids["probability"]][0]]["event_year"] == "2030"
    year = rows[items[ids["year"]][0]]
    assert (year["kind"], year["min"], year["max"], year["unit"]) == ("year", "2025", "2050", "")
    top2 = rows[items[ids["top2"]][0]]
    assert top2["top_k"] == "2"
    first_code = items[world.item_ids[0]][0]
    assert json.loads(top2["options"]) == [
        {"id": 1, "text": "Strategy 1: measure soil organic carbon, option 1", "item": first_code},
        {"id": 2, "text": "Extension services"}, {"id": 3, "text": "Carbon markets"},
        {"id": 4, "text": "=Soil testing"}]
    assert rows[first_code]["kind"] == "rating" and rows[first_code]["options"] == ""


# -- the codebook --------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_codebook_lists_every_column_of_every_table(app, client, auth, mixed, fmt):
    from rounds.kinds import KINDS

    world, _ids, _given = mixed
    archive = _export(client, auth, world, "comments", fmt)
    codebook = json.loads(archive.read("codebook.json"))
    if fmt == "xlsx":
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(archive.read("data.xlsx")), read_only=True)
        headers = {name: [c.value for c in next(book[name].iter_rows(max_row=1))]
                   for name in book.sheetnames}
    elif fmt == "csv":
        headers = {n[:-4]: next(csv.reader(io.StringIO(archive.read(n).decode())))
                   for n in archive.namelist() if n.endswith(".csv")}
    else:
        # The package's metadata (codebook, manifest, datapackage, RO-Crate, Zenodo,
        # protocol, feedback snapshots) are JSON too: not tables.
        metadata = {"codebook.json", "manifest.json", "datapackage.json", "protocol.json",
                    "ro-crate-metadata.json", ".zenodo.json"}
        records = {n[:-5]: json.loads(archive.read(n)) for n in archive.namelist()
                   if n.endswith(".json") and n not in metadata and "/" not in n}
        assert set(records) == set(codebook["tables"])
        headers = {name: list(rows[0]) for name, rows in records.items() if rows}
        assert all(list(row) == headers[name] for name, rows in records.items() for row in rows
                   if rows)
    assert set(headers) <= set(codebook["tables"])
    if fmt != "json":
        assert set(headers) == set(codebook["tables"])
    assert {*TABLES.values(), "items", "kind_statistics", "ranking_option_statistics"} <= set(headers)
    for name, header in headers.items():
        documented = codebook["tables"][name]["columns"]
        assert [c["name"] for c in documented] == header, name
        assert all(c["meaning"] and c["type"] for c in documented), name
        assert codebook["tables"][name]["description"], name
    meanings = {c["name"]: c["meaning"] for c in codebook["tables"]["probabilities"]["columns"]}
    assert meanings["probability"] == str(KINDS["probability"].export_columns(
        {"event_year": 2030})[0][1])
    years = {c["name"]: c["meaning"] for c in codebook["tables"]["years"]["columns"]}
    assert "2050" in years["later"] and "2030" in years["later"]  # one year item each
    kinds = codebook["protocol"]["kind_consensus"]
    assert kinds["thresholds"] == {"estimate": {"max_dispersion": 0.25},
                                   "probability": {"max_iqr": 20.0}, "year": {"max_iqr": 5.0},
                                   "ranking": {"min_w": 0.7, "max_w_change": 0.05}}
    assert "0.25" in kinds["rules"]["estimate"] and "0.7" in kinds["rules"]["ranking"]
    markdown = archive.read("codebook.md").decode()
    assert "### kind_statistics" in markdown and "| aggregate_p50 |" in markdown
    assert kinds["rules"]["year"] in markdown


def test_codebook_is_in_the_export_language(app, client, auth, mixed):
    world, _ids, _given = mixed
    archive = _export(client, auth, world, headers={"Accept-Language": "fr"})
    codebook = json.loads(archive.read("codebook.json"))
    assert codebook["language"] == "fr"
    table = codebook["tables"]["kind_statistics"]
    assert table["description"].startswith("Les statistiques")
    meanings = {c["name"]: c["meaning"] for c in codebook["tables"]["rankings"]["columns"]}
    assert "option 1" in meanings["rank_1"] and "rang" in meanings["rank_1"]
    assert "Estimations" in codebook["protocol"]["kind_consensus"]["rules"]["estimate"]
    # The rest of the codebook follows: the rating columns, the protocol, the anonymisation.
    ratings = {c["name"]: c["meaning"] for c in codebook["tables"]["ratings"]["columns"]}
    assert ratings["pseudonym"] == "Le pseudonyme d'export du panéliste."
    assert "HMAC-SHA256" in codebook["anonymisation"]["pseudonyms"]
    assert "clé" in codebook["anonymisation"]["pseudonyms"]
    assert "interpolation linéaire" in codebook["protocol"]["quantile_method_definition"]
    markdown = archive.read("codebook.md").decode()
    assert "## Protocole" in markdown and "| colonne | type | signification | codage |" in markdown
    assert "Échelle : 5 points" in markdown


# -- reproduce.py ----------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_reproduce_rederives_every_figure_of_every_kind(client, auth, mixed, tmp_path, fmt):
    world, _ids, _given = mixed
    archive = _export(client, auth, world, "deidentified", fmt)
    archive.extractall(tmp_path)
    result = _reproduce(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith(("match", "MISMATCH"))]
    codebook = json.loads(archive.read("codebook.json"))
    tables = codebook["tables"]
    assert len(lines) == (tables["item_statistics"]["rows"] + tables["round_statistics"]["rows"]
                          + tables["kind_statistics"]["rows"])
    assert all(line.startswith("match") for line in lines)
    for kind in TABLES:
        assert any(line.endswith(f" {kind}") and "round 2" in line for line in lines), kind


def _tamper(path, match, column, change):
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        if match(row):
            row[column] = change(row[column])
            break
    else:
        raise AssertionError(f"no row to tamper with in {path.name}")
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _bump(value: str) -> str:
    return str(float(value) + 0.01)


@pytest.mark.parametrize("table, kind, column, change", [
    ("kind_statistics", "estimate", "dispersion", _bump),
    ("kind_statistics", "estimate", "aggregate_p50", _bump),
    ("kind_statistics", "estimate", "median_gap", _bump),
    ("kind_statistics", "probability", "iqr", _bump),
    ("kind_statistics", "year", "later_share", _bump),
    ("kind_statistics", "year", "q1_later", lambda v: "true" if v == "false" else "false"),
    ("kind_statistics", "ranking", "w", _bump),
    ("kind_statistics", "ranking", "pvalue", _bump),
    ("kind_statistics", "ranking", "verdict", lambda v: "consensus_in" if v != "consensus_in"
     else "no_consensus"),
    ("ranking_option_statistics", "ranking", "top3_share", _bump),
    ("ranking_option_statistics", "ranking", "mean_rank", _bump),
    ("probabilities", "probability", "cannot_answer", lambda v: "true"),
    ("rankings", "ranking", "rank_1", _bump),
])
def test_reproduce_fails_when_a_figure_is_tampered_with(client, auth, mixed, tmp_path, table,
                                                         kind, column, change):
    world, _ids, _given = mixed
    _export(client, auth, world).extractall(tmp_path)

    def wanted(row):
        if table == "kind_statistics":
            return row["kind"] == kind and row[column] != ""
        return row[column] not in ("", "true")
    _tamper(tmp_path / f"{table}.csv", wanted, column, change)
    result = _reproduce(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    bad = [line for line in result.stdout.splitlines() if line.startswith("MISMATCH")]
    assert len(bad) == 1 and bad[0].split(": ")[0].endswith(kind)
    assert {"probabilities": "n_missing"}.get(table, column) in bad[0]


@pytest.mark.parametrize("method", ("type6", "hinges"))
def test_reproduce_follows_the_studys_quantile_method(app, client, auth, tmp_path, method):
    world, _ids, _given = build_mixed_world(app, quantile_method=method)
    archive = _export(client, auth, world, "deidentified", "csv")
    assert json.loads(archive.read("codebook.json"))["protocol"]["quantile_method"] == method
    archive.extractall(tmp_path)
    result = _reproduce(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "MISMATCH" not in result.stdout and " year" in result.stdout


# -- anonymity ---------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_no_panellist_identity_leaks(app, client, auth, mixed, fmt):
    from delphi.core.database import db
    from delphi.core.models import Panellist

    world, _ids, _given = mixed
    archive = _export(client, auth, world, "comments", fmt)
    text = _all_text(archive).lower()
    people = {v for v in (*world.names.values(), *world.organisations.values(), *world.names) if v}
    assert [v for v in people if v.lower() in text] == []
    assert "@example.org" not in text and "zyx" not in text
    with app.app_context():
        in_app = db.session.scalars(select(Panellist.pseudonym).where(
            Panellist.study_id == world.study_id)).all()
        ids = db.session.scalars(select(Panellist.id).where(
            Panellist.study_id == world.study_id)).all()
    assert not [p for p in in_app if p.lower() in text]
    if fmt == "csv":
        for table in TABLES.values():
            header = next(csv.reader(io.StringIO(archive.read(f"{table}.csv").decode())))
            assert not {"panellist_id", "user_id", "email", "name", "created_at",
                        "submitted_at"} & set(header)
        assert ids  # the export's pseudonyms are not the panellists' numbers
        assert not {str(i) for i in ids} & {r["pseudonym"] for r in _rows(archive, "years.csv")}


def test_answers_tables_share_the_ratings_pseudonyms_and_k_anonymity(app, client, auth, mixed):
    world, _ids, _given = mixed
    archive = _export(client, auth, world)
    k = app.config["EXPORT_K_ANONYMITY"]
    combination = {}
    groups: dict[tuple, set] = {}
    for table in ("ratings", *TABLES.values()):
        for row in _rows(archive, f"{table}.csv"):
            qi = (row["role"], row["region"], row["stakeholder_group"])
            assert combination.setdefault(row["pseudonym"], qi) == qi, table
            groups.setdefault(qi, set()).add(row["pseudonym"])
    assert len(combination) == 12 and min(len(p) for p in groups.values()) >= k
    assert not {"farmers", "funder", "government", "global_leader"} & {
        v for key in groups for v in key}
    orders = [[(r["pseudonym"], r["round"], r["item_code"])
               for r in _rows(_export(client, auth, world), "years.csv")] for _ in range(2)]
    assert sorted(orders[0]) == sorted(orders[1]) and orders[0] != orders[1]


def test_statistics_tier_has_no_answers(client, auth, mixed):
    world, _ids, _given = mixed
    names = set(_export(client, auth, world, "statistics").namelist())
    assert not {f"{t}.csv" for t in TABLES.values()} & names
    assert {"items.csv", "kind_statistics.csv", "ranking_option_statistics.csv"} <= names


def test_a_rating_only_study_has_no_kind_tables(app, client, auth, tmp_path):
    world = build_study(app, n_panellists=6, n_items=3)
    answer_round(app, world, 1)
    close(app, world, 1)
    archive = _export(client, auth, world)
    names = set(archive.namelist())
    assert not {"kind_statistics.csv", "ranking_option_statistics.csv",
                *(f"{t}.csv" for t in TABLES.values())} & names
    assert {r["kind"] for r in _rows(archive, "items.csv")} == {"rating"}
    archive.extractall(tmp_path)
    assert _reproduce(tmp_path).returncode == 0


def test_reproduce_imports_nothing_of_the_engine():
    import ast
    from pathlib import Path

    from delphi.exports.package import REPRODUCE_SCRIPT

    tree = ast.parse(Path(REPRODUCE_SCRIPT).read_text(encoding="utf-8"))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert imported == {"__future__", "json", "math", "sys", "fractions", "pathlib", "numpy",
                        "pandas", "scipy"}
