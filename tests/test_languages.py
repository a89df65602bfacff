"""Languages and time zones (issue 12, part 1): the language menu of every
page, the profile page, and times in the reader's zone."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.conftest import csrf_token_from
from tests.factories import build_study, open_round_of


def _user(app, email):
    from delphi.core.database import db
    from delphi.core.models import User

    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        return user.language, user.time_zone


def html_lang(html: str) -> str:
    return re.search(r'<html lang="([^"]+)"', html).group(1)


def menu(html: str) -> str:
    return re.search(r'<form class="languages".*?</form>', html, re.DOTALL).group(0)


# The language menu -------------------------------------------------------------

def test_every_page_has_the_language_menu_with_the_current_language_marked(client):
    html = client.get("/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    form = menu(html)
    assert 'action="/language"' in form and 'method="post"' in form
    assert re.findall(r'value="(en|fr|es)" lang="\1"', form) == ["en", "fr", "es"]
    assert re.search(r'value="fr" lang="fr" aria-current="true">Français<', form)
    assert 'name="csrf_token"' in form and 'name="next" value="/"' in form
    assert menu(client.get("/login").get_data(as_text=True))
    assert menu(client.get("/no-such-page").get_data(as_text=True))  # error pages too


def test_choosing_a_language_sets_it_for_the_session_and_goes_back(client):
    response = client.post("/language", data={"language": "es", "next": "/task-forces/A5"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/task-forces/A5"
    # The session's choice beats the browser's.
    html = client.get("/task-forces/A5", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert html_lang(html) == "es"
    assert "Idioma cambiado." in html or "Language changed." in html  # catalogue filled by the lead
    assert re.search(r'value="es" lang="es" aria-current="true"', menu(html))
    client.post("/language", data={"language": "fr", "next": "/"})
    assert html_lang(client.get("/").get_data(as_text=True)) == "fr"


def test_a_logged_in_user_s_choice_is_kept_in_the_profile(app, client, auth, make_user):
    user = make_user(language="en")
    auth.login(user.email)
    response = client.post("/language", data={"language": "fr", "next": "/me"})
    assert response.status_code == 303 and response.headers["Location"] == "/me"
    assert _user(app, user.email)[0] == "fr"
    # A new session (another browser) gets it from the profile.
    other = app.test_client()
    other.post("/login", data={"email": user.email, "password": "correct horse battery staple"})
    assert html_lang(other.get("/", headers={"Accept-Language": "es"}).get_data(as_text=True)) == "fr"


def test_the_session_choice_survives_logout(client, auth, make_user):
    user = make_user(language="en")
    auth.login(user.email)
    client.post("/language", data={"language": "es"})
    auth.logout()
    assert html_lang(client.get("/").get_data(as_text=True)) == "es"


@pytest.mark.parametrize("value", ["de", "", "FR", "fr\x00", "../en", "x" * 5000])
def test_an_unknown_language_is_refused_with_400_and_changes_nothing(app, client, auth, make_user,
                                                                    value):
    user = make_user(language="en")
    auth.login(user.email)
    response = client.post("/language", data={"language": value, "next": "/"},
                           headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert "Unsupported language: choose one of en, fr, es." in response.get_data(as_text=True)
    assert _user(app, user.email)[0] == "en"
    assert html_lang(client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)) == "en"


def test_no_language_at_all_is_refused(client):
    assert client.post("/language", data={}).status_code == 400


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example",
                                    "/\tevil.example", "javascript:alert(1)"])
def test_the_language_menu_never_redirects_off_the_site(client, target):
    response = client.post("/language", data={"language": "fr", "next": target},
                           headers={"Referer": "https://evil.example/page"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_without_next_it_goes_back_to_a_referring_page_of_this_site(client):
    response = client.post("/language", data={"language": "fr"},
                           headers={"Referer": "http://localhost/task-forces/B2?x=1"})
    assert response.headers["Location"] == "/task-forces/B2?x=1"
    response = client.post("/language", data={"language": "fr", "next": "/task-forces/B2"},
                           headers={"Referer": "http://localhost/task-forces/B2?x=1"})
    assert response.headers["Location"] == "/task-forces/B2?x=1"  # the same page, with its query


def test_the_language_menu_is_only_a_post(client):
    assert client.get("/language?language=fr").status_code == 405


@pytest.mark.csrf
def test_the_language_menu_refuses_a_post_without_its_csrf_token(app, client, auth, make_user):
    user = make_user(language="en")
    html = client.get("/login").get_data(as_text=True)
    client.post("/login", data={"email": user.email, "password": "correct horse battery staple",
                                "csrf_token": csrf_token_from(html)})
    response = client.post("/language", data={"language": "fr", "next": "/"})
    assert response.status_code == 400
    assert _user(app, user.email)[0] == "en"
    page = client.get("/").get_data(as_text=True)
    assert html_lang(page) == "en"
    token = re.search(r'<form class="languages".*?name="csrf_token" value="([^"]+)"', page,
                      re.DOTALL).group(1)
    response = client.post("/language", data={"language": "fr", "next": "/", "csrf_token": token})
    assert response.status_code == 303
    assert _user(app, user.email)[0] == "fr"


# The profile page ----------------------------------------------------------------

def test_the_profile_page_needs_a_login(client):
    response = client.get("/account/profile")
    assert response.status_code in (302, 303, 401)


def test_the_profile_changes_language_and_time_zone(app, client, auth, make_user):
    user = make_user(language="en")
    auth.login(user.email)
    html = client.get("/account/profile").get_data(as_text=True)
    assert "Times are shown in UTC." in html and "You have not chosen a time zone yet." in html
    assert 'data-browser-time-zone="suggest"' in html and "data-chosen" not in html
    assert '<option value="Europe/Paris">Europe/Paris</option>' in html
    assert 'src="/static/time_zone.js"' in html
    response = client.post("/account/profile", data={"language": "es",
                                                     "time_zone": "America/Sao_Paulo"})
    assert response.status_code == 303 and response.headers["Location"] == "/account/profile"
    assert _user(app, user.email) == ("es", "America/Sao_Paulo")
    html = client.get("/account/profile").get_data(as_text=True)
    assert html_lang(html) == "es"
    assert '<option selected value="America/Sao_Paulo">America/Sao Paulo</option>' in html
    assert "data-chosen" in html


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "../../etc/passwd", "", "Europe/Paris\x00",
                                  "x" * 10_000])
def test_the_profile_refuses_an_unknown_time_zone(app, client, auth, make_user, zone):
    user = make_user(language="en")
    auth.login(user.email)
    response = client.post("/account/profile", data={"language": "fr", "time_zone": zone})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Unknown time zone: choose one from the list (an IANA name such as Europe/Paris)." in html
    assert _user(app, user.email) == ("en", None)  # nothing changed, the language neither


def test_the_profile_refuses_an_unknown_language(app, client, auth, make_user):
    user = make_user(language="en")
    auth.login(user.email)
    response = client.post("/account/profile", data={"language": "de", "time_zone": "UTC"})
    assert response.status_code == 422
    assert "Unsupported language" in response.get_data(as_text=True)
    assert _user(app, user.email) == ("en", None)


@pytest.mark.csrf
def test_the_profile_form_has_a_csrf_token(app, client, make_user):
    user = make_user(language="en")
    html = client.get("/login").get_data(as_text=True)
    client.post("/login", data={"email": user.email, "password": "correct horse battery staple",
                                "csrf_token": csrf_token_from(html)})
    assert client.post("/account/profile", data={"language": "fr", "time_zone": "UTC"}).status_code == 400
    assert _user(app, user.email) == ("en", None)
    token = csrf_token_from(client.get("/account/profile").get_data(as_text=True))
    response = client.post("/account/profile", data={"language": "fr", "time_zone": "Asia/Tokyo",
                                                     "csrf_token": token})
    assert response.status_code == 303
    assert _user(app, user.email) == ("fr", "Asia/Tokyo")


def test_registration_keeps_the_browser_s_time_zone(app, client):
    html = client.get("/register").get_data(as_text=True)
    assert re.search(r'<input data-browser-time-zone="fill" id="time_zone" name="time_zone" '
                     r'type="hidden" value="">', html)
    assert 'src="/static/time_zone.js"' in html
    base = {"email": "tz@example.org", "name": "Zoe Zone", "password": "a long enough passphrase 7",
            "organisation": "Independent", "country": "Chile", "region": "Europe",
            "stakeholder_group": "research", "language": "en", "consent": "y"}
    assert client.post("/register", data={**base, "time_zone": "America/Santiago"}).status_code == 303
    assert _user(app, "tz@example.org") == ("en", "America/Santiago")
    # A zone the installation does not know is dropped (UTC), never stored.
    assert client.post("/register", data={**base, "email": "tz2@example.org",
                                          "time_zone": "Mars/Base"}).status_code == 303
    assert _user(app, "tz2@example.org") == ("en", None)


# Times in the reader's zone --------------------------------------------------------

def test_the_deadline_is_shown_in_the_panellist_s_zone_named(app, client, auth):
    world = build_study(app, n_panellists=2, n_items=1)
    closes = datetime(2099, 1, 15, 16, 0, tzinfo=UTC)
    open_round_of(app, world, 1, closes_at=closes)
    auth.login(world.panellists[0])
    url = f"/panel/studies/{world.study_id}/rounds/1"
    html = client.get(url).get_data(as_text=True)
    assert "January 15, 2099, 16:00 (UTC)" in html
    client.post("/account/profile", data={"language": "en", "time_zone": "Asia/Tokyo"})
    html = client.get(url).get_data(as_text=True)
    assert '<time datetime="2099-01-15T16:00:00+00:00">January 16, 2099, 01:00 (Asia/Tokyo)</time>' in html
    client.post("/account/profile", data={"language": "fr", "time_zone": "Europe/Paris"})
    html = client.get(url).get_data(as_text=True)
    assert "15 janvier 2099" in html and "17:00" in html and "(Europe/Paris)" in html


def test_the_moderator_sees_the_deadline_in_their_own_zone(app, client, auth):
    world = build_study(app, n_panellists=2, n_items=1)
    closes = datetime.now(UTC).replace(microsecond=0, second=0) + timedelta(days=3)
    open_round_of(app, world, 1, closes_at=closes)
    auth.login(world.moderator)
    client.post("/account/profile", data={"language": "en", "time_zone": "America/New_York"})
    from zoneinfo import ZoneInfo
    local = closes.astimezone(ZoneInfo("America/New_York"))
    html = client.get(f"/studies/{world.study_id}/rounds/1").get_data(as_text=True)
    assert f"{local:%B} {local.day}, {local.year}, {local:%H:%M} (America/New_York)" in html
    assert "UTC</p>" not in html


# Labels, not codes; numbers by locale ------------------------------------------------

def _closed_first_round(app):
    """A study whose round 1 closed with ratings 1, 2, 2, 4, 5, 5 (median 3,
    Q1 2, Q3 4.75 by type 7), and round 2 open."""
    from tests.factories import answer_round, close, get_round

    world = build_study(app, n_panellists=6, n_items=1)
    points = dict(zip(world.panellists, (1, 2, 2, 4, 5, 5)))
    answer_round(app, world, 1, lambda email, item, criterion: points[email])
    report = close(app, world, 1)
    assert report.next_round is not None
    open_round_of(app, world, 2)
    with app.app_context():
        assert get_round(world, 2).status.value == "open"
    return world


def test_a_french_page_shows_decimal_commas_and_labels(app, client, auth):
    world = _closed_first_round(app)
    auth.login(world.panellists[0])
    client.post("/language", data={"language": "fr"})
    html = client.get(f"/panel/studies/{world.study_id}/rounds/2").get_data(as_text=True)
    assert html_lang(html) == "fr"
    assert "Médiane 3, EIQ 2 – 4,75." in html
    assert "4.75" not in re.sub(r"<svg.*?</svg>|data-q[13]=\"[^\"]*\"", "", html, flags=re.DOTALL)
    # The same page in English keeps its decimal point.
    client.post("/language", data={"language": "en"})
    html = client.get(f"/panel/studies/{world.study_id}/rounds/2").get_data(as_text=True)
    assert "Median 3, IQR 2 – 4.75." in html


def test_the_moderator_s_round_page_in_french_formats_its_figures(app, client, auth):
    world = _closed_first_round(app)
    auth.login(world.moderator)
    client.post("/language", data={"language": "fr"})
    html = client.get(f"/studies/{world.study_id}/rounds/1").get_data(as_text=True)
    row = re.search(r"<tr><td>I01</td>.*?</tr>", html, re.DOTALL).group(0)
    assert '<td class="num">4,75</td>' in row and '<td class="num">2,75</td>' in row
    assert "Pas de consensus" in row and "no_consensus<" not in row
    assert "Taux de réponse : 100\u00a0%" in html or "Taux de réponse: 100\u00a0%" in html


def test_the_french_report_names_roles_and_groups_not_their_codes(app, client, auth):
    world = _closed_first_round(app)
    auth.login(world.researcher)
    client.post("/language", data={"language": "fr"})
    response = client.get(f"/studies/{world.study_id}/report")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    panel = re.search(r'<section id="panel">.*?</section>', html, re.DOTALL).group(0)
    assert "<td>Membre de l&#39;équipe</td>" in panel
    assert "<td>Recherche et milieu universitaire</td>" in panel
    assert "team_member" not in panel and "<td>research</td>" not in panel
    protocol = re.search(r'<section id="protocol">.*?</section>', html, re.DOTALL).group(0)
    assert "Très faible" in protocol and "Very low" not in protocol


def test_labels_live_in_one_place():
    """The forms, the pages and the report take their labels from rounds.vocabulary."""
    from delphi import forms
    from rounds import vocabulary

    assert forms.ROLE_LABELS is vocabulary.ROLE_LABELS
    assert forms.STAKEHOLDER_LABELS is vocabulary.STAKEHOLDER_LABELS
    assert set(vocabulary.STAKEHOLDER_LABELS) == set(__import__(
        "delphi.core.models", fromlist=["STAKEHOLDER_GROUPS"]).STAKEHOLDER_GROUPS)


def test_the_number_filters_follow_the_language(app):
    from flask import render_template_string
    from flask_babel import force_locale

    template = "{{ 4.75|number }} {{ 2030|number }} {{ 12345.5|number(1) }} {{ 0.7|percent }} " \
               "{{ 0.705|percent(1) }} {{ none|number }}"
    with app.test_request_context():
        with force_locale("fr"):
            assert render_template_string(template) == "4,75 2030 12\u202f345,5 70\u00a0% 70,5\u00a0% —"
        with force_locale("en"):
            assert render_template_string(template) == "4.75 2030 12,345.5 70% 70.5% —"
        with force_locale("es"):
            assert render_template_string(template).startswith("4,75 2030 ")


def test_the_report_words_its_consensus_rule_in_the_reader_s_language(app, client, auth):
    world = _closed_first_round(app)
    auth.login(world.researcher)
    client.post("/language", data={"language": "fr"})
    html = client.get(f"/studies/{world.study_id}/report").get_data(as_text=True)
    rule = re.search(r"<dt>Règle de consensus</dt><dd>(.*?)</dd>", html, re.DOTALL).group(1)
    assert "Consensus in:" not in rule and "IQR" not in rule
    assert "70\u00a0%" in rule or "70 %" in rule
