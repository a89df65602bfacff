"""The strategic plan's indicators (issue on question kinds, part 1): the data
transcribed from the seed, their loading, the secretariat's edits (service,
form, audit), the plan pages' tables and the API."""
from __future__ import annotations

import html
import json
import math
import re

import pytest
from sqlalchemy import func, select

from tests.conftest import REPO_ROOT, csrf_token_from

PLAN = json.loads((REPO_ROOT / "delphi" / "data" / "plan.json").read_text(encoding="utf-8"))
BY_CODE = {tf["code"]: tf for tf in PLAN["task_forces"]}
FIELDS = ("name", "unit", "baseline_value", "baseline_year", "baseline_text",
          "target_2030_value", "target_2030_text", "target_2050_value", "target_2050_text")
TEXTS = ("name", "unit", "baseline_text", "target_2030_text", "target_2050_text")
FR = {"Accept-Language": "fr-FR,fr;q=0.9"}
ES = {"Accept-Language": "es-ES,es;q=0.9"}
N_INDICATORS = sum(len(tf["indicators"]) for tf in PLAN["task_forces"])


def indicators(code: str) -> list[dict]:
    return BY_CODE[code]["indicators"]


def cells(code: str, position: int) -> tuple:
    """``(baseline value, year, 2030 value, 2050 value)`` of an indicator in plan.json."""
    i = indicators(code)[position - 1]
    return i["baseline_value"], i["baseline_year"], i["target_2030_value"], i["target_2050_value"]


# -- the data ------------------------------------------------------------------------

def test_every_objective_has_indicators_in_order_with_every_field():
    for tf in PLAN["task_forces"]:
        assert tf["indicators"], tf["code"]
        assert [i["position"] for i in tf["indicators"]] == list(range(1, len(tf["indicators"]) + 1))
        for i in tf["indicators"]:
            assert set(i) == {"position", *FIELDS, "fr", "es"}, tf["code"]
            assert i["name"].strip() and len(i["name"]) <= 300 and len(i["unit"]) <= 60
            for field in ("baseline_value", "target_2030_value", "target_2050_value"):
                value = i[field]
                assert value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)
                                         and math.isfinite(value)), (tf["code"], field)
            assert i["baseline_year"] is None or 2019 <= i["baseline_year"] <= 2021
            # A cell is a number, or words, or (where the seed says nothing) empty.
            for value, text in ((i["baseline_value"], i["baseline_text"]),
                                (i["target_2030_value"], i["target_2030_text"]),
                                (i["target_2050_value"], i["target_2050_text"])):
                assert value is None or not re.search(r"\b\d+ to \d+\b", text), tf["code"]


def test_every_text_is_translated_and_keeps_its_figures():
    for tf in PLAN["task_forces"]:
        for i in tf["indicators"]:
            for language in ("fr", "es"):
                translated = i[language]
                assert translated["name"].strip(), (tf["code"], language)
                assert "unit" in translated
                for field in TEXTS:
                    english = i[field]
                    assert bool(translated.get(field)) == bool(english), (tf["code"], language, field)
                    if english:
                        assert (sorted(re.findall(r"\d+", english))
                                == sorted(re.findall(r"\d+", translated[field]))), (tf["code"], field)
            assert "4 per 1000" not in json.dumps([i["fr"], i["es"]], ensure_ascii=False)


def test_the_numbers_are_the_seeds():
    """The examples of the issue, against the seed's text (plan.json's task forces)."""
    # A1: 28 of 196 NDCs in 2019; then all members and partners, then all Parties (words).
    assert cells("A1", 1) == (28, 2019, None, None)
    assert "196" in indicators("A1")[0]["baseline_text"]
    assert "All UNFCCC Parties" in indicators("A1")[0]["target_2050_text"]
    # A2: 5 to 10 projects evaluated (a range: words), then at least 30 projects a year.
    assert cells("A2", 1) == (None, 2020, 30, None)
    assert indicators("A2")[0]["baseline_text"].startswith("5 to 10 ")
    assert indicators("A2")[0]["target_2030_text"].startswith("At least")
    # A3: 5 then 10 thematic events a year; a virtual fair with 50 % of the partners, then all.
    assert cells("A3", 1)[2:] == (5, 10)
    assert cells("A3", 2)[2:] == (50, None) and indicators("A3")[1]["target_2050_text"] == "All partners"
    # C1: sporadic events in 2020, then at least 10 and at least 50 events a year.
    c1 = indicators("C1")[0]
    assert cells("C1", 1) == (None, 2020, 10, 50)
    assert c1["unit"] == "events a year" and c1["baseline_text"] == "Sporadic events target the public"
    assert "at least 10 awareness-raising events per year" in BY_CODE["C1"]["target_2030"]
    assert "at least 50 awareness-raising events" in BY_CODE["C1"]["target_2050"]
    # C3: the top 20 funders contacted (end of 2020), then the top 80, then all.
    assert cells("C3", 1) == (20, 2020, 80, None)
    assert indicators("C3")[0]["target_2050_text"] == "All policymakers and funders"
    # E1: the 5 major operators, then 20, then a catalogue of all monitoring systems.
    assert cells("E1", 1) == (5, 2020, 20, None)
    assert "all monitoring systems" in indicators("E1")[0]["target_2050_text"]
    # F2: 961 k€ of budget, 450 k€ available; resources up 10 % a year; investments doubled.
    assert cells("F2", 1)[:2] == (961, 2020) and indicators("F2")[0]["unit"] == "k€"
    assert "721 k€" in indicators("F2")[0]["baseline_text"]
    assert cells("F2", 2)[:2] == (450, 2020)
    assert cells("F2", 3)[2] == 10 and indicators("F2")[2]["unit"] == "% a year"
    assert indicators("F2")[3]["target_2050_text"] == "Doubled compared with 2030"
    # B3: one region as of 2021, then 5; C2 and D4: 50 % then 100 %.
    assert cells("B3", 1) == (1, 2021, 5, None)
    assert cells("C2", 1)[2:] == (50, 100) and cells("D4", 1)[2:] == (50, 100)


def test_a_range_or_all_stays_in_words():
    """The convention of docs/plan.md: "3 to 5", "1-2" and "all" are words, no value."""
    assert cells("A4", 1)[3] is None and indicators("A4")[0]["target_2050_text"].startswith("3 to 5")
    assert cells("A5", 1)[2] is None and indicators("A5")[0]["target_2030_text"].startswith("3 to 5")
    assert cells("D2", 1)[0] is None and indicators("D2")[0]["baseline_text"].startswith("1 to 2")


# -- loading ---------------------------------------------------------------------------

def _indicator(code: str, position: int = 1):
    from delphi.core.database import db
    from delphi.core.models import Indicator, TaskForce

    return db.session.scalar(select(Indicator).join(TaskForce).where(
        TaskForce.code == code, Indicator.position == position))


def _audit_rows(action="indicator.updated"):
    from delphi.core.database import db
    from delphi.core.models import AuditEvent

    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                              .order_by(AuditEvent.id)).all()


def test_the_loaded_indicators(app):
    from delphi.core.database import db
    from delphi.core.models import Indicator
    from delphi.services.membership import task_force_by_code

    with app.app_context():
        assert db.session.scalar(select(func.count(Indicator.id))) == N_INDICATORS
        c1 = task_force_by_code("C1")
        events = c1.indicators[0]
        assert (events.name, events.unit) == ("Awareness-raising events", "events a year")
        assert events.baseline_value is None and events.baseline_text == "Sporadic events target the public"
        assert events.target_value(2030) == 10 and events.target_value("2050") == 50
        assert events.target_value(2040) is None
        assert events.text("name", "fr") == "Événements de sensibilisation"
        assert events.text("unit", "es") == "eventos al año"
        assert [i.position for i in task_force_by_code("F2").indicators] == [1, 2, 3, 4]
        a1 = task_force_by_code("A1").indicators[0]
        assert (a1.baseline_value, a1.baseline_year) == (28, 2019)


def test_reloading_adds_what_is_missing_and_keeps_the_secretariats_edit(app, make_user):
    from delphi.core.database import db
    from delphi.services.plan import load_plan, update_indicator

    admin = make_user(admin=True)
    with app.app_context():
        assert load_plan()["indicators_added"] == 0
        db.session.commit()
        update_indicator(_indicator("C1"), {"target_2030_value": 12, "name": "Awareness events"},
                         actor=db.session.merge(admin))
        # An indicator nobody edited, as an older transcription left it, and one deleted.
        stale = _indicator("E1")
        stale.target_2030_value, stale.translations = 21, {}
        db.session.delete(_indicator("F2", 4))
        db.session.commit()

        assert load_plan()["indicators_added"] == 1
        db.session.commit()
        assert load_plan()["indicators_added"] == 0  # idempotent
        db.session.commit()
        edited = _indicator("C1")
        assert (edited.name, edited.target_2030_value) == ("Awareness events", 12)
        refreshed = _indicator("E1")
        assert refreshed.target_2030_value == 20 and refreshed.text("name", "fr").startswith("Principaux")
        assert _indicator("F2", 4).target_2050_text == "Doubled compared with 2030"
        assert len(_audit_rows()) == 1  # loading writes no audit row


# -- the service -------------------------------------------------------------------------

def test_an_edit_is_applied_and_audited_with_old_and_new_values(app, make_user):
    from delphi.core.database import db
    from delphi.services.plan import update_indicator

    admin = make_user(admin=True)
    with app.app_context():
        indicator = _indicator("A3", 2)
        changed = update_indicator(indicator, {
            "target_2050_value": 100, "target_2050_text": "  All partners  ", "unit": "% of partners",
            "name_es": "Socios en una feria virtual", "baseline_text_fr": ""},
            actor=db.session.merge(admin))
        db.session.commit()
        # What already held (the unit, the text once stripped, an empty translation) is no change.
        assert changed == {"target_2050_value": {"old": None, "new": 100.0},
                           "name_es": {"old": "Socios que participan en una feria virtual",
                                       "new": "Socios en una feria virtual"}}
        [row] = _audit_rows()
        assert (row.actor_id, row.object_type, row.object_id) == (admin.id, "Indicator", str(indicator.id))
        assert row.details == {"task_force": "A3", "position": 2, "changes": {
            "target_2050_value": {"old": None, "new": 100.0},
            "name_es": {"old": "Socios que participan en una feria virtual",
                        "new": "Socios en una feria virtual"}}}
        indicator = _indicator("A3", 2)
        assert indicator.target_value(2050) == 100
        assert indicator.text("name", "es") == "Socios en una feria virtual"
        assert indicator.text("name", "fr") == "Partenaires participant à une foire virtuelle"

        # Clearing a translation falls back to English; a value can be cleared too.
        update_indicator(indicator, {"name_es": "", "target_2050_value": None},
                         actor=db.session.merge(admin))
        db.session.commit()
        indicator = _indicator("A3", 2)
        assert indicator.text("name", "es") == indicator.name and indicator.target_2050_value is None
        # Saving what is there writes no row.
        assert update_indicator(indicator, {"name": indicator.name, "baseline_year": None},
                                actor=db.session.merge(admin)) == {}
        assert len(_audit_rows()) == 2


BAD = {
    "name": ["", "   ", "x" * 301, None, 12, "a\x00b"],
    "unit": ["u" * 61, ["k€"], "\ud800"],
    "baseline_value": [math.nan, math.inf, -math.inf, 1e13, "12", True],
    "target_2030_value": [10 ** 13, "ten", False],
    "baseline_year": [1899, 2101, 2020.5, "2020", True],
    "baseline_text": ["x" * 1_000_000, "bad \x00 text", "lone \udc80 surrogate", 3],
    "target_2050_text_fr": ["\x07"],
    "nonsense": ["anything"],
}


@pytest.mark.parametrize("field,value", [(f, v) for f, values in BAD.items() for v in values])
def test_bad_input_is_refused_by_field_and_changes_nothing(app, make_user, field, value):
    from delphi.core.database import db
    from delphi.core.errors import InvalidInput
    from delphi.services.plan import update_indicator

    admin = make_user(admin=True)
    with app.app_context():
        before = {f: getattr(_indicator("C1"), f) for f in FIELDS}
        with pytest.raises(InvalidInput) as caught:
            update_indicator(_indicator("C1"), {"target_2030_value": 99, field: value},
                             actor=db.session.merge(admin))
        assert set(caught.value.fields) == {field}
        assert caught.value.status == 422
        db.session.commit()  # even a commit keeps nothing of a refused edit
        db.session.expire_all()
        assert {f: getattr(_indicator("C1"), f) for f in FIELDS} == before
        assert _audit_rows() == []


def test_every_bad_field_is_named_at_once(app, make_user):
    from delphi.core.database import db
    from delphi.core.errors import InvalidInput
    from delphi.services.plan import update_indicator

    admin = make_user(admin=True)
    with app.app_context():
        with pytest.raises(InvalidInput) as caught:
            update_indicator(_indicator("E1"), {"name": "", "unit": "u" * 61, "baseline_year": 1800,
                                                "target_2050_value": math.nan, "baseline_text": "\x00"},
                             actor=db.session.merge(admin))
        assert set(caught.value.fields) == {"name", "unit", "baseline_year", "target_2050_value",
                                            "baseline_text"}
        assert caught.value.fields["baseline_year"] == \
            "Enter a year from 1900 to 2100, or leave the field empty."


# -- the edit page ---------------------------------------------------------------------

def _posted(app, code, position, **changes) -> tuple[int, dict]:
    """The indicator's id and the whole form, as the page would post it, with ``changes``."""
    from delphi.services.plan import INDICATOR_FIELDS, INDICATOR_INPUTS

    with app.app_context():
        indicator = _indicator(code, position)
        data = {}
        for name in INDICATOR_INPUTS:
            if name in INDICATOR_FIELDS:
                value = getattr(indicator, name)
                data[name] = "" if value is None else (
                    str(int(value)) if isinstance(value, float) and value.is_integer() else str(value))
            else:
                field, language = name.rsplit("_", 1)
                data[name] = (indicator.translations.get(language) or {}).get(field, "")
        return indicator.id, {**data, **changes}


def test_the_secretariat_edits_an_indicator_on_its_page(app, client, auth, make_user):
    admin = make_user(admin=True)
    auth.login(admin.email)
    indicator_id, data = _posted(app, "C1", 1, target_2030_value="15", target_2030_text_fr="Au moins")
    page = html.unescape(client.get(f"/admin/indicators/{indicator_id}").get_data(as_text=True))
    assert 'value="Awareness-raising events"' in page and 'name="target_2050_value"' in page
    assert 'value="50"' in page  # 50, not 50.0
    assert "Événements de sensibilisation" in page  # the French box

    response = client.post(f"/admin/indicators/{indicator_id}", data=data)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/task-forces/C1#indicator-{indicator_id}")
    shown = html.unescape(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "The indicator is saved." in shown
    with app.app_context():
        indicator = _indicator("C1")
        assert indicator.target_2030_value == 15 and indicator.text("target_2030_text", "fr") == "Au moins"
        [row] = _audit_rows()
        assert row.actor_id == admin.id
        assert row.details["changes"] == {
            "target_2030_value": {"old": 10.0, "new": 15.0},
            "target_2030_text_fr": {"old": "Au moins, à destination des décideurs et du grand public",
                                    "new": "Au moins"}}

    # The same form again changes nothing and writes no row.
    again = client.post(f"/admin/indicators/{indicator_id}", data=data, follow_redirects=True)
    assert "Nothing has changed." in html.unescape(again.get_data(as_text=True))
    with app.app_context():
        assert len(_audit_rows()) == 1


@pytest.mark.parametrize("field,value,message", [
    ("name", "", "This field is required."),
    ("baseline_year", "1850", "Enter a year from 1900 to 2100, or leave the field empty."),
    ("baseline_year", "20x0", "Not a valid integer value."),
    ("target_2050_value", "nan", "Enter a finite number between -10¹² and 10¹²."),
    ("target_2050_value", "1e400", "Enter a finite number between -10¹² and 10¹²."),
    ("target_2030_value", "ten", "Not a valid float value."),
    ("unit", "u" * 61, "Use at most 60 characters."),
    ("baseline_text", "x" * 1_000_000, "Use at most 2000 characters."),
    ("name_fr", "bad\x00", "Remove the control characters or broken characters from this text."),
])
def test_a_bad_field_is_shown_on_the_form_and_nothing_changes(app, client, auth, make_user,
                                                             field, value, message):
    auth.login(make_user(admin=True).email)
    indicator_id, data = _posted(app, "C1", 1, **{"target_2030_value": "11", field: value})
    response = client.post(f"/admin/indicators/{indicator_id}", data=data)
    assert response.status_code == 422
    page = html.unescape(response.get_data(as_text=True))
    errors = re.findall(r'<p class="error" id="([a-z0-9_]+)-error">([^<]*)</p>', page)
    assert errors == [(field, message)]
    with app.app_context():
        assert _indicator("C1").target_2030_value == 10
        assert _audit_rows() == []


def test_only_the_secretariat_may_edit(app, client, auth, make_user):
    indicator_id, data = _posted(app, "C1", 1, target_2030_value="99")
    assert client.get(f"/admin/indicators/{indicator_id}").status_code == 302  # to the login page
    auth.login(make_user(status="member").email)
    assert client.get(f"/admin/indicators/{indicator_id}").status_code == 403
    assert client.post(f"/admin/indicators/{indicator_id}", data=data).status_code == 403
    page = client.get("/task-forces/C1").get_data(as_text=True)
    assert f"/admin/indicators/{indicator_id}" not in page
    with app.app_context():
        assert _indicator("C1").target_2030_value == 10 and _audit_rows() == []


@pytest.mark.csrf
def test_the_edit_form_needs_its_csrf_token(app, client, make_user):
    admin = make_user(admin=True)
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"email": admin.email, "password": "correct horse battery staple",
                                "csrf_token": token})
    indicator_id, data = _posted(app, "C1", 1, target_2030_value="13")
    assert client.post(f"/admin/indicators/{indicator_id}", data=data).status_code == 400
    with app.app_context():
        assert _indicator("C1").target_2030_value == 10
    token = csrf_token_from(client.get(f"/admin/indicators/{indicator_id}").get_data(as_text=True))
    response = client.post(f"/admin/indicators/{indicator_id}", data={**data, "csrf_token": token})
    assert response.status_code == 303
    with app.app_context():
        assert _indicator("C1").target_2030_value == 13


# -- the plan pages ----------------------------------------------------------------------

def _rows(page: str) -> dict[str, list[str]]:
    """The indicator table's rows: name → its cells as text."""
    rows = {}
    for row in re.findall(r'<tr role="row" id="indicator-\d+">(.*?)</tr>', page, re.DOTALL):
        texts = [re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", cell)).strip()
                 for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.DOTALL)]
        rows[texts[0]] = texts[1:]
    return rows


def test_the_task_force_page_shows_its_indicators(client):
    page = html.unescape(client.get("/task-forces/C1").get_data(as_text=True))
    assert "<caption class=\"sr-only\">Indicators of objective C1</caption>" in page
    rows = _rows(page)
    assert rows["Awareness-raising events"] == [
        "events a year", "Sporadic events target the public",
        "10 At least, targeting decision-makers and the general public",
        "50 At least, targeting decision-makers and the general public"]
    a1 = _rows(html.unescape(client.get("/task-forces/A1").get_data(as_text=True)))
    baseline = a1["Countries whose NDCs specify soil carbon targets, policies or measures"][1]
    assert baseline.startswith("28 (2019) Out of 196")
    f2 = _rows(html.unescape(client.get("/task-forces/F2").get_data(as_text=True)))
    assert f2["Available annual budget"] == ["k€", "450 (2020)", "—", "—"]


def test_the_pages_are_in_the_readers_language_with_its_numbers(app, client, make_user):
    from delphi.core.database import db
    from delphi.services.plan import update_indicator

    admin = make_user(admin=True)
    with app.app_context():
        update_indicator(_indicator("F2"), {"baseline_value": 1234.5}, actor=db.session.merge(admin))
        db.session.commit()
    english = _rows(html.unescape(client.get("/task-forces/F2").get_data(as_text=True)))
    assert english["Total annual budget of the Initiative"][1].startswith("1,234.5 (2020)")
    french_page = html.unescape(client.get("/task-forces/F2", headers=FR).get_data(as_text=True))
    assert "<caption class=\"sr-only\">Indicateurs de l'objectif F2</caption>" in french_page
    french = _rows(french_page)
    assert french["Budget annuel total de l'Initiative"][:2] == [
        "k€", "1\u202f234,5 (2020) Dont un budget de base de 721 k€"]
    spanish = _rows(html.unescape(client.get("/task-forces/C1", headers=ES).get_data(as_text=True)))
    assert spanish["Eventos de sensibilización"][0] == "eventos al año"
    assert spanish["Eventos de sensibilización"][2].startswith("10 Como mínimo")


def test_the_plan_index_lists_each_objectives_indicators(client):
    page = html.unescape(client.get("/").get_data(as_text=True))
    assert page.count('<details class="indicator-list">') == 24
    assert "<summary>4 indicators</summary>" in page and "<summary>1 indicator</summary>" in page
    assert "Awareness-raising events" in page
    french = html.unescape(client.get("/", headers=FR).get_data(as_text=True))
    assert "<summary>4 indicateurs</summary>" in french and "Événements de sensibilisation" in french


def test_the_secretariat_sees_an_edit_link_beside_each_indicator(app, client, auth, make_user):
    auth.login(make_user(admin=True).email)
    page = client.get("/task-forces/F2").get_data(as_text=True)
    assert len(re.findall(r'href="/admin/indicators/\d+"', page)) == 4


# -- the API -----------------------------------------------------------------------------

def test_the_api_gives_each_task_force_its_indicators(app, client):
    from delphi.api.schemas.accounts import TaskForce

    body = client.get("/api/v1/task-forces/C1").get_json()
    TaskForce.model_validate(body)
    with app.app_context():
        first_id = _indicator("C1").id
    assert body["indicators"][0] == {
        "id": first_id, "name": "Awareness-raising events", "unit": "events a year",
        "baseline": {"value": None, "year": 2020, "text": "Sporadic events target the public"},
        "target_2030": {"value": 10, "text": "At least, targeting decision-makers and the general public"},
        "target_2050": {"value": 50, "text": "At least, targeting decision-makers and the general public"},
    }
    rows = client.get("/api/v1/task-forces").get_json()
    a1 = next(r for r in rows if r["code"] == "A1")
    assert a1["indicators"][0]["baseline"] == {
        "value": 28, "year": 2019, "text": indicators("A1")[0]["baseline_text"]}
    assert sum(len(r["indicators"]) for r in rows) == N_INDICATORS
    for row in rows:
        TaskForce.model_validate(row)


def test_the_openapi_document_describes_the_indicators(client):
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    assert schemas["TaskForce"]["properties"]["indicators"]["items"] == {
        "$ref": "#/components/schemas/Indicator"}
    assert set(schemas["Indicator"]["properties"]) == {
        "id", "name", "unit", "baseline", "target_2030", "target_2050"}
    assert set(schemas["IndicatorBaseline"]["properties"]) == {"value", "year", "text"}
