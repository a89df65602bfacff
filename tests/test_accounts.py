"""Registration through the web form and the API (issue 2, "Accounts")."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD

REGISTRATION = {
    "email": "Ada@Example.org",
    "name": "Ada Lovelace",
    "password": PASSWORD,
    "organisation": "Soil Lab",
    "country": "France",
    "region": "Europe",
    "stakeholder_group": "research",
    "language": "en",
    "consent": "y",
}


def api_registration(**changes) -> dict:
    body = {**REGISTRATION, "consent": True, **changes}
    return {k: v for k, v in body.items() if v is not ...}


def stored_user(app, email):
    from delphi.core.database import db
    from delphi.core.models import User

    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        if user is not None:
            name = user.organisation.name if user.organisation_id else None
            db.session.expunge(user)
            user.organisation_name = name
        return user


def organisation(app, name):
    from delphi.core.database import db
    from delphi.core.models import Organisation

    with app.app_context():
        org = db.session.scalar(select(Organisation).where(Organisation.name == name))
        if org is not None:
            db.session.expunge(org)
        return org


def user_count(app) -> int:
    from delphi.core.database import db
    from delphi.core.models import User

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


# -- the web form ---------------------------------------------------------------

def test_register_page_shows_the_form_and_the_privacy_notice(client):
    response = client.get("/register")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for name in ("email", "name", "password", "organisation", "country", "region",
                 "stakeholder_group", "language", "consent"):
        assert f'name="{name}"' in html
    assert "Privacy notice" in html
    assert "Asia &amp; Pacific" in html  # the default regions are offered


def test_web_registration_creates_the_account_then_the_member_logs_in(app, client):
    response = client.post("/register", data=REGISTRATION)
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    user = stored_user(app, "ada@example.org")
    assert user is not None and user.name == "Ada Lovelace"
    assert user.country == "France" and user.stakeholder_group == "research"
    assert not user.is_admin
    assert "your account is ready" in client.get("/login").get_data(as_text=True)
    client.post("/login", data={"email": "ada@example.org", "password": PASSWORD})
    home = client.get("/me")
    assert home.status_code == 200
    assert "Ada Lovelace" in home.get_data(as_text=True)


def test_web_registration_records_consent_time_and_notice_version(app, client):
    from delphi.core.models import utcnow

    before = utcnow()
    client.post("/register", data=REGISTRATION)
    after = utcnow()
    user = stored_user(app, "ada@example.org")
    assert user.consent_version == app.config["PRIVACY_NOTICE_VERSION"]
    assert before - timedelta(seconds=1) <= user.consent_at <= after + timedelta(seconds=1)


def test_password_is_stored_as_an_argon2id_hash(app, client):
    client.post("/register", data=REGISTRATION)
    user = stored_user(app, "ada@example.org")
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_web_registration_without_consent_is_refused(app, client):
    data = {k: v for k, v in REGISTRATION.items() if k != "consent"}
    response = client.post("/register", data=data)
    assert response.status_code == 422
    assert "Please accept the privacy notice to register." in response.get_data(as_text=True)
    assert user_count(app) == 0


def _registration_notices(app) -> list[str]:
    from delphi.core.database import db
    from delphi.core.models import OutboxMessage

    with app.app_context():
        return [m.subject for m in db.session.scalars(select(OutboxMessage))]


def test_web_registration_with_a_taken_email_answers_as_for_a_new_one(app, client, make_user):
    """Nothing tells whether the address has an account: the same redirect and
    message; its owner is mailed instead, and nothing else changes."""
    new = app.test_client().post("/register", data={**REGISTRATION, "email": "new@example.org"})
    make_user("ada@example.org", name="The Real Ada")
    taken = client.post("/register", data=REGISTRATION)
    assert (taken.status_code, taken.headers["Location"]) == (new.status_code, new.headers["Location"])
    assert client.get("/login").get_data(as_text=True).count("your account is ready") == 1
    assert user_count(app) == 2
    assert stored_user(app, "ada@example.org").name == "The Real Ada"
    assert _registration_notices(app) == ["Somebody registered with your e-mail address"]


@pytest.mark.parametrize("field, value, message", [
    ("email", "not-an-email", "Invalid email address."),
    ("password", "short", "Field must be between 12 and 128 characters long."),
    ("region", "Atlantis", "Not a valid choice."),
    ("stakeholder_group", "aliens", "Not a valid choice."),
    ("name", "", "This field is required."),
])
def test_web_registration_shows_field_errors(app, client, field, value, message):
    response = client.post("/register", data={**REGISTRATION, field: value})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert user_count(app) == 0


def test_a_new_organisation_starts_with_status_none(app, client):
    client.post("/register", data={**REGISTRATION, "organisation": "  Brand   New  Org "})
    org = organisation(app, "Brand New Org")
    assert org is not None
    assert org.status.value == "none"


def test_an_existing_organisation_is_picked_case_insensitively(app, client, make_user):
    make_user(organisation="INRAE", status="member")
    client.post("/register", data={**REGISTRATION, "organisation": "inrae"})
    user = stored_user(app, "ada@example.org")
    assert user.organisation_name == "INRAE"
    assert organisation(app, "INRAE").status.value == "member"  # untouched
    assert organisation(app, "inrae") is None


# -- the API --------------------------------------------------------------------

def test_api_registration_returns_202_and_creates_the_account(app, client):
    response = client.post("/api/v1/users", json=api_registration())
    assert response.status_code == 202
    body = response.get_json()
    assert body["status"] == "accepted" and "your account is ready" in body["message"]
    with app.app_context():
        from delphi.core.database import db
        from delphi.core.models import User
        user = db.session.scalar(select(User).where(User.email == "ada@example.org"))
        assert user.organisation.name == "Soil Lab" and user.region.name == "Europe"
    assert user.password_hash.startswith("$argon2id$")
    assert user.consent_version == app.config["PRIVACY_NOTICE_VERSION"]
    assert user.consent_at is not None


@pytest.mark.parametrize("consent", [False, ..., "yes", 1, None])
def test_api_registration_without_consent_is_422(app, client, consent):
    response = client.post("/api/v1/users", json=api_registration(consent=consent))
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid"
    assert "consent" in error["fields"]
    assert user_count(app) == 0


def test_api_registration_with_a_taken_email_answers_as_for_a_new_one(app, client, make_user):
    new = client.post("/api/v1/users", json=api_registration(email="new@example.org"))
    make_user("ada@example.org")
    taken = client.post("/api/v1/users", json=api_registration(email="ADA@example.org"))
    assert (taken.status_code, taken.get_json()) == (new.status_code, new.get_json()) == (
        202, new.get_json())
    assert user_count(app) == 2
    assert _registration_notices(app) == ["Somebody registered with your e-mail address"]


@pytest.mark.parametrize("changes, field", [
    ({"email": "nope"}, "email"),
    ({"password": "short"}, "password"),
    ({"region": "Atlantis"}, "region"),
    ({"stakeholder_group": "aliens"}, "stakeholder_group"),
    ({"language": "de"}, "language"),
    ({"name": ...}, "name"),
    ({"organisation": 42}, "organisation"),
    ({"email": True}, "email"),
])
def test_api_registration_names_the_wrong_field(app, client, changes, field):
    response = client.post("/api/v1/users", json=api_registration(**changes))
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    assert user_count(app) == 0


def test_api_registration_picks_an_existing_organisation(app, client, make_user):
    make_user(organisation="Soil Lab", status="partner")
    response = client.post("/api/v1/users", json=api_registration(organisation="SOIL LAB"))
    assert response.status_code == 202
    assert organisation(app, "Soil Lab") is not None
    with app.app_context():
        from delphi.core.database import db
        from delphi.core.models import Organisation
        assert db.session.scalar(select(func.count()).select_from(Organisation)
                                 .where(func.lower(Organisation.name) == "soil lab")) == 1


def test_api_registration_creates_an_organisation_with_status_none(app, client):
    client.post("/api/v1/users", json=api_registration(organisation="Terra Nova"))
    assert organisation(app, "Terra Nova").status.value == "none"


def test_a_registered_user_can_get_a_token_and_read_their_profile(app, client, auth):
    client.post("/api/v1/users", json=api_registration())
    headers = auth.token("ada@example.org")
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 200
    assert response.get_json()["name"] == "Ada Lovelace"


@pytest.mark.parametrize("password", ["qwerty123456", "QWERTY123456", "1qaz2wsx3edc", "leavemealone"])
def test_a_common_breached_password_is_refused_in_any_case(password):
    from delphi.services.accounts import password_problem

    assert "most common" in password_problem(password)


def test_an_uncommon_long_password_is_accepted_and_the_list_is_large():
    from delphi.services.accounts import common_passwords, password_problem

    assert password_problem("correct horse battery staple") is None
    assert len(common_passwords()) > 85_000 and "password" in common_passwords()


def test_registration_with_a_common_password_names_the_field(client):
    response = client.post("/api/v1/users", json=api_registration(password="Password1234"))
    assert response.status_code == 422
    assert "most common" in response.get_json()["error"]["fields"]["password"]


@pytest.mark.parametrize("old", [{"time_cost": 3, "memory_cost": 16, "parallelism": 2},
                                 {"time_cost": 1, "memory_cost": 16, "parallelism": 1}])
def test_a_hash_made_with_other_parameters_is_rehashed_at_login(app, client, make_user, old):
    """Every existing hash is checked at login and rehashed when its argon2
    parameters differ from the application's (stronger or weaker alike)."""
    from argon2 import PasswordHasher
    from argon2 import extract_parameters

    from delphi.core.database import db
    from delphi.core.models import User
    from tests.conftest import FAST_ARGON2, PASSWORD

    user = make_user("old-hash@example.org")
    with app.app_context():
        db.session.get(User, user.id).password_hash = PasswordHasher(**old).hash(PASSWORD)
        db.session.commit()
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    with app.app_context():
        stored = extract_parameters(db.session.get(User, user.id).password_hash)
    assert (stored.time_cost, stored.memory_cost, stored.parallelism) == (
        FAST_ARGON2["time_cost"], FAST_ARGON2["memory_cost"], FAST_ARGON2["parallelism"])
    client.post("/logout")
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
