"""French and Spanish pages, and the health of the catalogs (issue 2, item 12)."""
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
LANGUAGES = ("fr", "es")
MAIL_TRANSLATIONS = REPO_ROOT / "delphi" / "mail" / "translations"
PLAN = json.loads((REPO_ROOT / "delphi" / "data" / "plan.json").read_text(encoding="utf-8"))
FR = {"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}
EN = {"Accept-Language": "en-GB,en;q=0.9"}
ES = {"Accept-Language": "es-ES,es;q=0.9,en;q=0.5"}


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


# -- pages in Spanish --------------------------------------------------------------

def test_the_plan_page_in_spanish_from_the_browser(client):
    text = page(client.get("/", headers=ES))
    assert '<html lang="es">' in text
    assert "El plan estratégico de la Iniciativa «4 por 1000»" in text
    assert "Seis objetivos generales y 24 objetivos específicos" in text
    for goal in PLAN["goals"]:
        assert goal["es"]["title"] in text
        assert goal["es"]["statement"] in text
    assert "Objetivo general A · Iniciación y conceptualización" in text
    for tf in PLAN["task_forces"]:
        assert tf["es"]["label"] in text, tf["code"]
    assert "Iniciar sesión" in text and "Registrarse" in text
    assert "Strategic plan" not in text and "Log in" not in text and "Plan stratégique" not in text


@pytest.mark.parametrize("header", ["es", "es-MX,es;q=0.9", "es-419,es;q=0.8,en;q=0.5"])
def test_any_spanish_browser_gets_spanish(client, header):
    text = page(client.get("/", headers={"Accept-Language": header}))
    assert '<html lang="es">' in text and "Plan estratégico" in text


def test_a_task_force_page_in_spanish(client):
    text = page(client.get("/task-forces/B3", headers=ES))
    b3 = next(tf for tf in PLAN["task_forces"] if tf["code"] == "B3")
    assert "Grupo de trabajo B3" in text
    assert "Meta 2030" in text and "Meta 2050" in text and "Línea de base 2020" in text
    for field in ("label", "objective", "baseline_2020", "target_2030", "target_2050"):
        assert b3["es"][field] in text, field
    assert "Objetivo general B · Implementación" in text
    assert "Unirse al grupo de trabajo B3" in text
    assert "Target 2030" not in text and "Join Task Force" not in text


def test_the_login_page_in_spanish(client):
    text = page(client.get("/login", headers=ES))
    assert "<h1>Iniciar sesión</h1>" in text
    assert "Correo electrónico" in text and "Contraseña" in text
    assert "¿Aún no tiene cuenta?" in text


def test_the_register_page_in_spanish(client):
    text = page(client.get("/register", headers=ES))
    assert "<h1>Registrarse</h1>" in text
    for label in ("Nombre completo", "Contraseña (al menos 12 caracteres)", "Organización", "País",
                  "Región", "Grupo de partes interesadas", "Idioma preferido",
                  "Aviso de privacidad", "Investigación y mundo académico", "Español"):
        assert label in text, label
    assert "América Latina y el Caribe" in text and "Asia y el Pacífico" in text  # region names are data


def test_form_errors_in_spanish(client):
    response = client.post("/register", headers=ES, data={
        "email": "no-es-una-direccion", "name": "Ada", "password": PASSWORD, "organisation": "Lab",
        "country": "España", "region": "Europe", "stakeholder_group": "research", "language": "es"})
    assert response.status_code == 422
    text = html.unescape(response.get_data(as_text=True))
    assert "Acepte el aviso de privacidad para registrarse." in text
    assert "Email inválido." in text  # WTForms' own Spanish catalog


def test_the_wrong_password_message_in_spanish(client, make_user):
    make_user("ada@example.org")
    response = client.post("/login", headers=ES, data={"email": "ada@example.org", "password": "contraseña falsa"})
    assert response.status_code == 401
    assert "Correo electrónico o contraseña incorrectos." in html.unescape(response.get_data(as_text=True))


def test_registering_in_spanish_then_the_site_stays_in_spanish(client):
    response = client.post("/register", headers=EN, data={
        "email": "lucia@example.org", "name": "Lucía", "password": PASSWORD, "organisation": "INTA",
        "country": "Argentina", "region": "Latin America & the Caribbean",
        "stakeholder_group": "research", "language": "es", "consent": "y"})
    assert response.status_code in (302, 303), response.status_code
    client.post("/login", headers=EN, data={"email": "lucia@example.org", "password": PASSWORD})
    text = page(client.get("/me", headers=EN))
    assert '<html lang="es">' in text and "Mis grupos de trabajo" in text
    assert "Aún no se ha unido a ningún grupo de trabajo." in text


def test_a_user_who_prefers_spanish_gets_spanish_whatever_the_browser(client, make_user):
    make_user("lucia@example.org", language="es")
    client.post("/login", data={"email": "lucia@example.org", "password": PASSWORD}, headers=FR)
    text = page(client.get("/", headers=FR))
    assert '<html lang="es">' in text and "Plan estratégico" in text and "Cerrar sesión" in text
    assert "Mis grupos de trabajo" in page(client.get("/me", headers=FR))
    joined = page(client.get("/task-forces/A1/join", headers=FR))
    assert "Unirse al grupo de trabajo A1" in joined and "Miembro del equipo" in joined


def test_error_pages_and_api_errors_in_spanish(client):
    response = client.get("/no-such-page", headers=ES)
    assert response.status_code == 404
    assert "Página no encontrada" in html.unescape(response.get_data(as_text=True))
    error = client.get("/api/v1/task-forces/Z9", headers=ES).get_json()["error"]
    assert error["message"] == "No existe el grupo de trabajo Z9."


# -- the catalogs -------------------------------------------------------------------

def _po(language):
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=language)


def _frozen(value):
    """A message's id or string, hashable (read_mo gives a plural's forms as a list)."""
    return tuple(value) if isinstance(value, (list, tuple)) else value


def _mapping(catalog):
    return {_frozen(m.id): _frozen(m.string) for m in catalog if m.id and m.string and not m.fuzzy}


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


def _extracted(mapping_file, extra_keywords) -> set[str]:
    with (REPO_ROOT / mapping_file).open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    keywords = {**DEFAULT_KEYWORDS, **{k: None for k in extra_keywords}}
    found = {message if isinstance(message, str) else message[0]
             for _file, _line, message, _comments, _context
             in extract_from_dir(str(REPO_ROOT), method_map, options_map, keywords=keywords)}
    found.discard("")
    return found


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalog_holds_every_string_of_the_code(language):
    """A string added to the code but not extracted into the .po fails here."""
    found = _extracted("babel.cfg", ("_l", "lazy_gettext"))
    known = {m.id if isinstance(m.id, str) else m.id[0] for m in _po(language) if m.id}
    missing = sorted(found - known)
    assert not missing, (f"{len(missing)} string(s) not in the catalog: run "
                         "scripts/update_translations.sh, then translate them:\n"
                         + "\n".join(map(repr, missing[:40])))


def test_the_spanish_catalogs_have_two_plural_forms():
    """Spanish has one form for 1 and one for every other number (not CLDR's third, for millions)."""
    with (MAIL_TRANSLATIONS / "es" / "LC_MESSAGES" / "mail.po").open("rb") as handle:
        mail = read_po(handle, locale="es", domain="mail")
    for catalog in (_po("es"), mail):
        assert catalog.num_plurals == 2
        assert catalog.plural_expr.replace(" ", "") == "(n!=1)"


# -- the mail catalogs --------------------------------------------------------------

def _mail_po(language):
    with (MAIL_TRANSLATIONS / language / "LC_MESSAGES" / "mail.po").open("rb") as handle:
        return read_po(handle, locale=language, domain="mail")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_mail_catalog_translates_every_mail_string(language):
    catalog = _mail_po(language)
    known = {m.id if isinstance(m.id, str) else m.id[0]: m for m in catalog if m.id}
    found = _extracted("delphi/mail/babel.cfg", ("N_",))
    assert not sorted(found - set(known)), sorted(found - set(known))
    untranslated = [m.id for m in known.values()
                    if m.fuzzy or not (m.string if isinstance(m.string, str) else all(m.string))]
    assert not untranslated, untranslated


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_mail_translations_keep_the_placeholders(language):
    def placeholders(text):
        return sorted(re.findall(r"%\([a-z_]+\)[sd]|%%", text))

    wrong = []
    for m in _mail_po(language):
        if not m.id:
            continue
        ids = (m.id,) if isinstance(m.id, str) else m.id
        strings = (m.string,) if isinstance(m.string, str) else m.string
        for string in strings:
            if placeholders(ids[0]) != placeholders(string) and placeholders(ids[-1]) != placeholders(string):
                wrong.append((ids[0], string))
    assert not wrong, wrong
