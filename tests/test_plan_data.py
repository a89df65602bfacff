"""Checks on the strategic plan transcribed into ``delphi/data/plan.json``."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

PLAN_PATH = Path(__file__).resolve().parents[1] / "delphi" / "data" / "plan.json"
FIELDS = ("label", "objective", "baseline_2020", "target_2030", "target_2050")
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
            assert goal["fr"][key].strip(), (goal["code"], "fr", key)
    titles = {g["code"]: g["title"] for g in PLAN["goals"]}
    assert titles["A"] == "Inception & Conceptualization"
    assert titles["E"] == "Follow-up"
    assert titles["F"] == "Cross-cutting Actions"


def test_task_force_codes_and_goals():
    assert [tf["code"] for tf in PLAN["task_forces"]] == EXPECTED_CODES
    for tf in PLAN["task_forces"]:
        assert tf["goal"] == tf["code"][0]


@pytest.mark.parametrize("code", EXPECTED_CODES)
def test_every_field_filled_in_both_languages(code):
    tf = BY_CODE[code]
    assert tf["facility"] in {"Core", "Global", None}
    for field in FIELDS:
        assert isinstance(tf[field], str) and tf[field].strip(), (code, field)
        assert isinstance(tf["fr"][field], str) and tf["fr"][field].strip(), (code, "fr", field)
        assert tf[field] == tf[field].strip()
        assert tf["fr"][field] == tf["fr"][field].strip()


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


def test_regions():
    assert PLAN["regions"] == [
        "Africa", "Asia & Pacific", "Europe", "Latin America & the Caribbean", "North America",
    ]
    assert len(PLAN["regions_fr"]) == len(PLAN["regions"])
    assert PLAN["regions_fr"][3] == "Amérique latine et Caraïbes"


def test_file_format():
    raw = PLAN_PATH.read_text(encoding="utf-8")
    assert raw == json.dumps(PLAN, indent=2, ensure_ascii=False) + "\n"
