"""French pages and the health of the catalogs (issue 2, item 12)."""
from __future__ import annotations

import html
import io
import json
import re

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from tests.conftest import PASSWORD, REPO_ROOT

TRANSLATIONS = REPO_ROOT / "delphi" / "translations"
LANGUAGES = ("fr",)
PLAN = json.loads((REPO_ROOT / "delphi" / "data" / "plan.json").read_text(encoding="utf-8"))
FR = {"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}
EN = {"Accept-Language": "en-GB,en;q=0.9"}


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return html.unescape(response.get_data(as_text=True))


# -- pages in French ---------------------------------------------------------------

def test_the_plan_page_in_french_from_the_browser(client):
    text = page(client.get("/", headers=FR))
    assert '<html lang="fr">' in text
    assert "Le plan stratégique de l'Initiative « 4 pour 1000 »" in text
    for goal in PLAN["goals"]:
        assert goal["fr"]["title"] in text
    a1 = next(tf for tf in PLAN["task_forces"] if tf["code"] == "A1")
    assert a1["fr"]["label"] in text
    assert "Strategic plan" not in text and "Log in" not in text


def test_the_plan_page_in_english_by_default(client):
    text = page(client.get("/"))
    assert '<html lang="en">' in text
    assert "The \"4 per 1000\" strategic plan" in text
    assert PLAN["goals"][0]["title"] in text


def test_a_task_force_page_in_french(client):
    text = page(client.get("/task-forces/B3", headers=FR))
    b3 = next(tf for tf in PLAN["task_forces"] if tf["code"] == "B3")
    assert "Groupe de travail B3" in text
    assert "Cible 2030" in text and "Cible 2050" in text and "Situation de référence 2020" in text
    assert b3["fr"]["objective"] in text
    assert "Rejoindre le groupe de travail B3" in text


def test_the_login_page_in_french(client):
    text = page(client.get("/login", headers=FR))
    assert "<h1>Se connecter</h1>" in text
    assert "Adresse électronique" in text and "Mot de passe" in text
    assert "Pas encore de compte ?" in text


def test_the_register_page_in_french(client):
    text = page(client.get("/register", headers=FR))
    assert "<h1>S'inscrire</h1>" in text
    for label in ("Nom complet", "Mot de passe (au moins 12 caractères)", "Organisation", "Pays",
                  "Région", "Groupe de parties prenantes", "Langue préférée",
                  "Notice de confidentialité", "Recherche et milieu universitaire"):
        assert label in text, label
    assert "Europe" in text  # region names are data


def test_form_errors_in_french(app, client):
    response = client.post("/register", headers=FR, data={
        "email": "pas-une-adresse", "name": "Ada", "password": PASSWORD, "organisation": "Lab",
        "country": "France", "region": "Europe", "stakeholder_group": "research", "language": "fr"})
    assert response.status_code == 422
    text = html.unescape(response.get_data(as_text=True))
    assert "Veuillez accepter la notice de confidentialité pour vous inscrire." in text
    assert "Adresse électronique non valide." in text  # WTForms' own French catalog


def test_the_wrong_password_message_in_french(client, make_user):
    make_user("ada@example.org")
    response = client.post("/login", headers=FR, data={"email": "ada@example.org", "password": "faux mot de passe"})
    assert response.status_code == 401
    assert "Adresse électronique ou mot de passe incorrect." in html.unescape(response.get_data(as_text=True))


def test_a_user_who_prefers_french_gets_french_whatever_the_browser(client, make_user):
    make_user("marie@example.org", language="fr")
    client.post("/login", data={"email": "marie@example.org", "password": PASSWORD}, headers=EN)
    text = page(client.get("/", headers=EN))
    assert '<html lang="fr">' in text and "Plan stratégique" in text
    assert "Mes groupes de travail" in page(client.get("/me", headers=EN))


def test_a_user_who_prefers_english_gets_english_in_a_french_browser(client, make_user):
    make_user("john@example.org", language="en")
    client.post("/login", data={"email": "john@example.org", "password": PASSWORD}, headers=FR)
    text = page(client.get("/me", headers=FR))
    assert "My task forces" in text and "Mes groupes de travail" not in text


def test_error_pages_and_api_errors_in_french(client):
    response = client.get("/no-such-page", headers=FR)
    assert response.status_code == 404
    assert "Page introuvable" in html.unescape(response.get_data(as_text=True))
    error = client.get("/api/v1/task-forces/Z9", headers=FR).get_json()["error"]
    assert error["message"] == "Il n'existe pas de groupe de travail Z9."


# -- the catalogs -------------------------------------------------------------------

def _po(language):
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=language)


def _mapping(catalog):
    return {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalog_matches_the_po_file(language):
    """The committed .mo is what compiling the .po gives (run scripts/update_translations.sh)."""
    po = _po(language)
    buffer = io.BytesIO()
    write_mo(buffer, po)
    buffer.seek(0)
    fresh = _mapping(read_mo(buffer))
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo").open("rb") as handle:
        committed = _mapping(read_mo(handle))
    assert committed == fresh, "messages.mo is stale: run scripts/update_translations.sh compile"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated(language):
    untranslated = [m.id for m in _po(language)
                    if m.id and (m.fuzzy or not (m.string if isinstance(m.string, str) else all(m.string)))]
    assert not untranslated, (
        f"{len(untranslated)} message(s) without a {language} translation (or fuzzy) in "
        f"delphi/translations/{language}/LC_MESSAGES/messages.po:\n"
        + "\n".join(repr(m) for m in untranslated[:40]))


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_the_placeholders(language):
    def placeholders(text):
        return sorted(re.findall(r"%\([a-z_]+\)[sd]", text))

    wrong = [m.id for m in _po(language) if m.id and isinstance(m.id, str) and m.string
             and placeholders(m.id) != placeholders(m.string)]
    assert not wrong, wrong


def test_the_catalog_holds_every_string_of_the_code():
    """A string added to the code but not extracted into the .po fails here."""
    with (REPO_ROOT / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    found = {message if isinstance(message, str) else message[0]
             for _file, _line, message, _comments, _context
             in extract_from_dir(str(REPO_ROOT), method_map, options_map, keywords=keywords)}
    found.discard("")
    known = {m.id if isinstance(m.id, str) else m.id[0] for m in _po("fr") if m.id}
    missing = sorted(found - known)
    assert not missing, (f"{len(missing)} string(s) not in the catalog: run "
                         "scripts/update_translations.sh, then translate them:\n"
                         + "\n".join(map(repr, missing[:40])))
