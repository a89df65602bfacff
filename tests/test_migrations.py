"""The Alembic migrations build exactly the schema the models describe."""
from __future__ import annotations

import pytest
from sqlalchemy import inspect

from tests.conftest import base_config


def differences(app) -> list:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from delphi.core.database import db

    with app.app_context():
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={
                "compare_type": True, "compare_server_default": True})
            return compare_metadata(context, db.metadata)


def test_the_migrated_database_matches_the_models(app):
    """A freshly upgraded database (the test database) has nothing left to autogenerate."""
    diff = differences(app)
    assert diff == [], "models and migrations differ; run scripts/regenerate_initial_migration.py:\n" + \
        "\n".join(map(str, diff))


def test_the_migrations_are_at_head(app):
    from alembic.config import Config as AlembicConfig
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from delphi.app import MIGRATIONS_DIR
    from delphi.core.database import db

    config = AlembicConfig(str(MIGRATIONS_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    script = ScriptDirectory.from_config(config)
    assert len(script.get_heads()) == 1, "the migrations have more than one head"
    with app.app_context():
        with db.engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_heads()
    assert set(current) == set(script.get_heads())


def test_downgrade_and_upgrade_again_on_a_fresh_sqlite_database(tmp_path, monkeypatch):
    from flask_migrate import downgrade, upgrade

    from delphi import create_app
    from delphi.core.database import db
    from delphi.core.models import Base

    monkeypatch.setenv("DELPHI_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(base_config(f"sqlite:///{tmp_path / 'roundtrip.sqlite'}"))
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {t.name for t in Base.metadata.sorted_tables} <= tables
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert differences(app) == []
        db.engine.dispose()


@pytest.mark.parametrize("name", ["audit_event"])
def test_the_append_only_trigger_is_installed(app, name):
    from sqlalchemy import text

    from delphi.core.database import db

    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            found = db.session.scalar(text(
                "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'audit_event'::regclass "
                "AND NOT tgisinternal"))
        else:
            found = db.session.scalar(text(
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t"),
                {"t": name})
    assert found >= 1
