"""``flask --app delphi init-db | create-user | import-users`` (issue 2, item 11)."""
from __future__ import annotations

import stat

import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD, base_config

HEADER = "email,password,name,organisation,country,region,stakeholder_group,language\n"
GOOD_ROWS = [
    f"ana@example.org,{PASSWORD},Ana Silva,Embrapa,Brazil,Latin America & the Caribbean,research,en\n",
    f"li@example.org,{PASSWORD},Li Wei,CAAS,China,Asia & Pacific,government,\n",
    f"marie@example.org,{PASSWORD},Marie Curie,INRAE,France,Europe,research,fr\n",
]


def count(app, model) -> int:
    from delphi.core.database import db

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def user(app, email):
    from delphi.core.database import db
    from delphi.core.models import User

    with app.app_context():
        row = db.session.scalar(select(User).where(User.email == email))
        if row is None:
            return None
        return {"name": row.name, "is_admin": row.is_admin, "language": row.language,
                "organisation": row.organisation.name, "status": row.organisation.status.value,
                "region": row.region.name if row.region else None, "hash": row.password_hash,
                "consent_version": row.consent_version}


# -- init-db --------------------------------------------------------------------

def test_init_db_is_idempotent(app, runner):
    from delphi.core.models import Goal, Region, TaskForce

    for _ in range(2):
        result = runner.invoke(args=["init-db"])
        assert result.exit_code == 0, result.output
        assert "Database ready: 6 goals, 24 task forces." in result.output
    assert (count(app, Goal), count(app, TaskForce), count(app, Region)) == (6, 24, 5)


def test_init_db_keeps_the_secretariat_edits_of_regions(app, runner):
    from delphi.core.database import db
    from delphi.core.models import Region

    with app.app_context():
        db.session.scalar(select(Region).where(Region.name == "Europe")).name = "Europe & Central Asia"
        db.session.commit()
    assert runner.invoke(args=["init-db"]).exit_code == 0
    with app.app_context():
        names = db.session.scalars(select(Region.name).order_by(Region.position)).all()
    assert "Europe & Central Asia" in names and "Europe" not in names and len(names) == 5


def test_init_db_creates_a_fresh_database_and_a_secret_key(tmp_path, monkeypatch):
    from delphi import create_app
    from delphi.core.models import TaskForce

    instance = tmp_path / "instance"
    monkeypatch.setenv("DELPHI_INSTANCE_PATH", str(instance))
    config = {**base_config(f"sqlite:///{tmp_path / 'fresh.sqlite'}"), "SECRET_KEY": None}
    app = create_app(config)
    assert app.config.get("SECRET_KEY_EPHEMERAL") is True
    key_file = instance / "secret_key"
    assert not key_file.exists()
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "Generated a secret key" in result.output
    key = key_file.read_text().strip()
    assert len(key) >= 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert count(app, TaskForce) == 24
    # The next start reads it; a second init-db neither regenerates it nor fails.
    again = create_app(config)
    assert again.config["SECRET_KEY"] == key
    assert not again.config.get("SECRET_KEY_EPHEMERAL")
    result = again.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "Generated a secret key" not in result.output
    assert key_file.read_text().strip() == key
    for each in (app, again):
        with each.app_context():
            from delphi.core.database import db

            db.engine.dispose()


def test_a_configured_secret_key_is_never_overwritten(tmp_path, monkeypatch):
    from delphi import create_app

    monkeypatch.setenv("DELPHI_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("DELPHI_SECRET_KEY", "from-the-environment")
    config = base_config(f"sqlite:///{tmp_path / 'fresh.sqlite'}")
    del config["SECRET_KEY"]
    app = create_app(config)
    assert app.config["SECRET_KEY"] == "from-the-environment"
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "instance" / "secret_key").exists()
    with app.app_context():
        from delphi.core.database import db

        db.engine.dispose()


# -- create-user ----------------------------------------------------------------

def test_create_user_makes_a_member_who_can_log_in(app, runner):
    result = runner.invoke(args=["create-user", "Ada@Example.org", "--password", PASSWORD,
                                 "--name", "Ada Lovelace"])
    assert result.exit_code == 0, result.output
    assert "Created ada@example.org." in result.output
    created = user(app, "ada@example.org")
    assert created["name"] == "Ada Lovelace" and not created["is_admin"]
    assert created["hash"].startswith("$argon2id$")
    assert created["organisation"] == "Independent" and created["status"] == "none"
    client = app.test_client()
    assert client.post("/login", data={"email": "ada@example.org", "password": PASSWORD}).status_code == 302


def test_create_user_admin_reaches_the_secretariat_pages(app, runner):
    result = runner.invoke(args=["create-user", "sam@example.org", "--password", PASSWORD, "--admin"])
    assert result.exit_code == 0, result.output
    assert "(admin)" in result.output
    assert user(app, "sam@example.org")["is_admin"]
    client = app.test_client()
    client.post("/login", data={"email": "sam@example.org", "password": PASSWORD})
    assert client.get("/admin/applications").status_code == 200


@pytest.mark.parametrize("status", ["member", "partner", "none"])
def test_create_user_with_an_organisation_and_its_status(app, runner, status):
    result = runner.invoke(args=["create-user", "ada@example.org", "--password", PASSWORD,
                                 "--organisation", "Soil Lab", "--membership", status])
    assert result.exit_code == 0, result.output
    created = user(app, "ada@example.org")
    assert (created["organisation"], created["status"]) == ("Soil Lab", status)


def test_create_user_joins_an_existing_organisation(app, runner, make_user):
    make_user(organisation="Soil Lab", status="partner")
    result = runner.invoke(args=["create-user", "ada@example.org", "--password", PASSWORD,
                                 "--organisation", "soil lab"])
    assert result.exit_code == 0, result.output
    created = user(app, "ada@example.org")
    assert (created["organisation"], created["status"]) == ("Soil Lab", "partner")


def test_create_user_status_change_is_audited(app, runner, make_user):
    from delphi.core.models import AuditEvent

    make_user(organisation="Soil Lab")
    result = runner.invoke(args=["create-user", "ada@example.org", "--password", PASSWORD,
                                 "--organisation", "Soil Lab", "--membership", "member"])
    assert result.exit_code == 0, result.output
    assert count(app, AuditEvent) == 1


@pytest.mark.parametrize("args, message", [
    (["create-user", "ada@example.org", "--password", "short"], "password"),
    (["create-user", "not-an-email", "--password", PASSWORD], "email"),
    (["create-user", "ada@example.org", "--password", PASSWORD, "--membership", "owner"], "owner"),
    (["create-user", "ada@example.org"], "--password"),
])
def test_create_user_refuses_bad_input(app, runner, args, message):
    from delphi.core.models import User

    result = runner.invoke(args=args)
    assert result.exit_code != 0
    assert message in result.output
    assert count(app, User) == 0


def test_create_user_refuses_a_taken_email(app, runner, make_user):
    from delphi.core.models import User

    make_user("ada@example.org")
    result = runner.invoke(args=["create-user", "ada@example.org", "--password", PASSWORD])
    assert result.exit_code == 1
    assert "exists already" in result.output
    assert count(app, User) == 1


# -- import-users ---------------------------------------------------------------

def write(tmp_path, rows, header=HEADER):
    path = tmp_path / "users.csv"
    path.write_text(header + "".join(rows), encoding="utf-8")
    return str(path)


def test_import_users_imports_a_good_file(app, runner, tmp_path):
    from delphi.core.models import User

    result = runner.invoke(args=["import-users", write(tmp_path, GOOD_ROWS)])
    assert result.exit_code == 0, result.output
    assert "Imported 3 user(s)." in result.output
    assert count(app, User) == 3
    marie = user(app, "marie@example.org")
    assert (marie["organisation"], marie["region"], marie["language"]) == ("INRAE", "Europe", "fr")
    assert marie["consent_version"] == app.config["PRIVACY_NOTICE_VERSION"]
    assert user(app, "li@example.org")["language"] is None
    client = app.test_client()
    assert client.post("/login", data={"email": "li@example.org", "password": PASSWORD}).status_code == 302


@pytest.mark.parametrize("bad_row, field", [
    (f"bad-email,{PASSWORD},Bad,Org,France,Europe,research,en\n", "email"),
    ("short@example.org,short,Short,Org,France,Europe,research,en\n", "password"),
    (f"region@example.org,{PASSWORD},R,Org,France,Atlantis,research,en\n", "region"),
    (f"group@example.org,{PASSWORD},G,Org,France,Europe,aliens,en\n", "stakeholder_group"),
    (f"lang@example.org,{PASSWORD},L,Org,France,Europe,research,de\n", "language"),
    (f"noname@example.org,{PASSWORD},,Org,France,Europe,research,en\n", "name"),
    (f"ana@example.org,{PASSWORD},Twice,Org,France,Europe,research,en\n", "email"),
])
def test_one_bad_row_imports_nothing_and_names_the_row(app, runner, tmp_path, bad_row, field):
    from delphi.core.models import Organisation, User

    organisations_before = count(app, Organisation)
    rows = [GOOD_ROWS[0], bad_row, GOOD_ROWS[1], GOOD_ROWS[2]]
    result = runner.invoke(args=["import-users", write(tmp_path, rows)])
    assert result.exit_code == 1
    assert f"row 3: {field}" in result.output  # the header is row 1
    assert "row 2" not in result.output and "row 4" not in result.output
    assert "nothing was imported" in result.output
    assert count(app, User) == 0
    assert count(app, Organisation) == organisations_before


def test_every_bad_row_is_reported(app, runner, tmp_path):
    from delphi.core.models import User

    rows = ["x,short,,Org,France,Europe,research,en\n", GOOD_ROWS[0],
            f"y@example.org,{PASSWORD},Y,Org,France,Nowhere,research,en\n"]
    result = runner.invoke(args=["import-users", write(tmp_path, rows)])
    assert result.exit_code == 1
    assert "row 2:" in result.output and "row 4: region" in result.output
    assert "2 row(s) with errors" in result.output
    assert count(app, User) == 0


def test_an_email_already_registered_fails_the_file(app, runner, tmp_path, make_user):
    from delphi.core.models import User

    make_user("li@example.org")
    result = runner.invoke(args=["import-users", write(tmp_path, GOOD_ROWS)])
    assert result.exit_code == 1
    assert "row 3: email" in result.output
    assert count(app, User) == 1


def test_a_file_without_the_required_columns_is_refused(app, runner, tmp_path):
    from delphi.core.models import User

    result = runner.invoke(args=["import-users", write(tmp_path, ["a@b.org,x\n"], header="email,name\n")])
    assert result.exit_code == 1
    assert "missing columns: password, organisation, country" in result.output
    assert count(app, User) == 0


def test_a_file_that_is_not_utf8_is_refused_cleanly(app, runner, tmp_path):
    from delphi.core.models import User

    path = tmp_path / "latin1.csv"
    path.write_bytes((HEADER + f"zoe@example.org,{PASSWORD},Zoé,Org,France,Europe,research,fr\n")
                     .encode("latin-1"))
    result = runner.invoke(args=["import-users", str(path)])
    assert result.exit_code == 1
    assert "UTF-8" in result.output
    assert "Traceback" not in result.output
    assert count(app, User) == 0
