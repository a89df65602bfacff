"""Checks on the strategic plan transcribed into ``delphi/data/plan.json``."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

PLAN_PATH = Path(__file__).resolve().parents[1] / "delphi" / "data" / "plan.json"
FIELDS = ("label", "objective", "baseline_2020", "target_2030", "target_2050")
LANGUAGES = ("fr", "es")
EXPECTED_CODES = (
    [f"A{i}" for i in range(1, 7)]
    + [f"B{i}" for i in range(1, 5)]
    + [f"C{i}" for i in range(1, 5)]
    + [f"D{i}" for i in range(1, 5)]
    + [f"E{i}" for i in range(1, 4)]
    + [f"F{i}" for i in range(1, 4)]
)
TYPOS = (
    "Stakholder", "alliiances", "scientifictechnical", "sciencebased", "UNlanguages",
    "ecosystembased", "4 by 1000", "  ", 'alliances."', "INCEPTION", "FOLLOW UP",
    "CROSSCUTTING",
)


def _load() -> dict:
    return json.loads(PLAN_PATH.read_text(encoding="utf-8"))


PLAN = _load()
BY_CODE = {tf["code"]: tf for tf in PLAN["task_forces"]}


def _english_texts():
    for goal in PLAN["goals"]:
        yield goal["code"], goal["title"]
        yield goal["code"], goal["statement"]
    for tf in PLAN["task_forces"]:
        for field in FIELDS:
            yield tf["code"], tf[field]


def test_source():
    assert PLAN["source"] == (
        'Creation of Task Forces to advance the implementation of the "4 per 1000" Strategic Plan'
    )


def test_six_goals():
    assert [g["code"] for g in PLAN["goals"]] == list("ABCDEF")
    for goal in PLAN["goals"]:
        for key in ("title", "statement"):
            assert goal[key].strip(), (goal["code"], key)
            for language in LANGUAGES:
                assert goal[language][key].strip(), (goal["code"], language, key)
    titles = {g["code"]: g["title"] for g in PLAN["goals"]}
    assert titles["A"] == "Inception & Conceptualization"
    assert titles["E"] == "Follow-up"
    assert titles["F"] == "Cross-cutting Actions"


def test_task_force_codes_and_goals():
    assert [tf["code"] for tf in PLAN["task_forces"]] == EXPECTED_CODES
    for tf in PLAN["task_forces"]:
        assert tf["goal"] == tf["code"][0]


@pytest.mark.parametrize("code", EXPECTED_CODES)
def test_every_field_filled_in_every_language(code):
    tf = BY_CODE[code]
    assert tf["facility"] in {"Core", "Global", None}
    for field in FIELDS:
        assert isinstance(tf[field], str) and tf[field].strip(), (code, field)
        assert tf[field] == tf[field].strip()
        for language in LANGUAGES:
            text = tf[language][field]
            assert isinstance(text, str) and text.strip(), (code, language, field)
            assert text == text.strip(), (code, language, field)
    for language in LANGUAGES:
        assert set(tf[language]) == set(FIELDS), (code, language)


@pytest.mark.parametrize("code", EXPECTED_CODES)
def test_spanish_keeps_the_numbers_and_the_lines_of_the_english(code):
    """A translation neither loses a figure (a year, a count, a share) nor merges two lines."""
    tf = BY_CODE[code]
    for field in FIELDS:
        english, spanish = tf[field], tf["es"][field]
        assert sorted(re.findall(r"\d+", english)) == sorted(re.findall(r"\d+", spanish)), (code, field)
        assert english.count("\n") == spanish.count("\n"), (code, field)


def test_facilities():
    assert BY_CODE["F3"]["facility"] is None
    assert BY_CODE["A1"]["facility"] == "Core"
    assert BY_CODE["A2"]["facility"] == "Global"
    assert BY_CODE["E1"]["facility"] == "Global"
    assert sum(tf["facility"] is None for tf in PLAN["task_forces"]) == 1


def test_spot_checks_against_seed():
    assert BY_CODE["A1"]["label"] == "NDCs"
    assert "out of 196" in BY_CODE["A1"]["baseline_2020"]
    assert BY_CODE["A2"]["label"] == "Project Development"
    assert BY_CODE["A4"]["label"] == "Stakeholder interaction"
    assert BY_CODE["A5"]["label"] == "Carbon Markets"
    assert BY_CODE["A5"]["target_2030"].startswith("3 to 5 compensation schemes")
    assert BY_CODE["B2"]["baseline_2020"].startswith("Presently,")
    assert BY_CODE["B2"]["target_2050"].endswith("is delivered globally")
    c3 = BY_CODE["C3"]
    assert "* Referring to the 2018 study about potential funders" in c3["baseline_2020"]
    assert "** Referring to the Funders' overview study" in c3["target_2030"]
    assert c3["target_2050"] == "In 2050, all policymakers and funders have been contacted."
    assert BY_CODE["D4"]["label"] == "Partnerships & alliances"
    assert BY_CODE["F3"]["label"] == "Dashboard"
    assert BY_CODE["F3"]["target_2030"].split("\n") == [
        "By the end of 2022, Key Performance Indicators (KPIs) are established.",
        "By the end of 2023, the dashboard will be operational and regularly updated",
    ]
    assert "961 K Euros" in BY_CODE["F2"]["baseline_2020"]


def test_no_typos_left_in_english():
    for code, text in _english_texts():
        for typo in TYPOS:
            assert typo not in text, (code, typo)
        assert "\xa0" not in text, code
        assert not text.endswith('"') or text.count('"') % 2 == 0, code


def test_french_uses_initiative_vocabulary():
    fr_text = json.dumps([tf["fr"] for tf in PLAN["task_forces"]], ensure_ascii=False)
    assert "« 4 pour 1000 »" in fr_text
    assert "4 per 1000" not in fr_text
    assert BY_CODE["A1"]["fr"]["label"] == "CDN"
    assert "carbone organique du sol (COS)" in BY_CODE["A1"]["fr"]["objective"]
    assert "santé des sols (SS)" in BY_CODE["A1"]["fr"]["objective"]
    assert "*" in BY_CODE["C3"]["fr"]["baseline_2020"]
    assert "**" in BY_CODE["C3"]["fr"]["target_2030"]


def test_spanish_uses_initiative_vocabulary():
    es_text = json.dumps([tf["es"] for tf in PLAN["task_forces"]] + [g["es"] for g in PLAN["goals"]],
                         ensure_ascii=False)
    assert "«4 por 1000»" in es_text
    assert "4 per 1000" not in es_text and "« 4" not in es_text
    assert '\\"' not in es_text  # Spanish quotes are «…», never straight ones
    assert BY_CODE["A1"]["es"]["label"] == "CDN"
    assert "carbono orgánico del suelo (COS)" in BY_CODE["A1"]["es"]["objective"]
    assert "salud del suelo (SS)" in BY_CODE["A1"]["es"]["objective"]
    assert "CMNUCC" in BY_CODE["A1"]["es"]["objective"]
    assert "*" in BY_CODE["C3"]["es"]["baseline_2020"]
    assert "**" in BY_CODE["C3"]["es"]["target_2030"]
    assert "961 k€" in BY_CODE["F2"]["es"]["baseline_2020"]
    assert [g["es"]["title"] for g in PLAN["goals"]] == [
        "Iniciación y conceptualización", "Implementación", "Promoción", "Colaboración",
        "Seguimiento", "Acciones transversales"]


def test_regions():
    assert PLAN["regions"] == [
        "Africa", "Asia & Pacific", "Europe", "Latin America & the Caribbean", "North America",
    ]
    assert len(PLAN["regions_fr"]) == len(PLAN["regions"])
    assert PLAN["regions_fr"][3] == "Amérique latine et Caraïbes"
    assert PLAN["regions_es"] == [
        "África", "Asia y el Pacífico", "Europa", "América Latina y el Caribe", "América del Norte",
    ]


def test_file_format():
    raw = PLAN_PATH.read_text(encoding="utf-8")
    assert raw == json.dumps(PLAN, indent=2, ensure_ascii=False) + "\n"


def test_loading_the_plan_gives_goals_task_forces_and_regions_their_spanish(app):
    from sqlalchemy import select

    from delphi.core.database import db
    from delphi.core.models import Goal, Region, TaskForce
    from delphi.services.plan import load_plan

    with app.app_context():
        b3 = db.session.scalar(select(TaskForce).where(TaskForce.code == "B3"))
        assert b3.text("label", "es") == BY_CODE["B3"]["es"]["label"]
        assert b3.text("target_2050", "es") == BY_CODE["B3"]["es"]["target_2050"]
        assert b3.text("label", "fr") == BY_CODE["B3"]["fr"]["label"]
        goal = db.session.scalar(select(Goal).where(Goal.code == "E"))
        assert goal.text("title", "es") == "Seguimiento"
        names = {r.name: r.translations for r in db.session.scalars(select(Region))}
        assert names["Latin America & the Caribbean"]["es"] == {"name": "América Latina y el Caribe"}

        # An installation made before Spanish: its regions gain their Spanish names, and
        # what the secretariat wrote in another language stays as it is.
        europe = db.session.scalar(select(Region).where(Region.name == "Europe"))
        europe.translations = {"fr": {"name": "Europe (UE et hors UE)"}}
        db.session.commit()
        assert load_plan()["regions_added"] == 0
        db.session.commit()
        db.session.refresh(europe)
        assert europe.translations == {"fr": {"name": "Europe (UE et hors UE)"},
                                       "es": {"name": "Europa"}}
