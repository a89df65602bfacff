"""``init-db`` (create or upgrade the schema, load the plan) and ``demo``."""
from __future__ import annotations

import secrets
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade

from delphi.core.database import db
from delphi.demo import existing_demo, load_demo, logins
from delphi.services.plan import load_plan


@click.command("init-db")
@with_appcontext
def init_db():
    """Create or upgrade the schema and load the strategic plan (idempotent)."""
    key_file = Path(current_app.instance_path) / "secret_key"
    no_key = not current_app.config.get("SECRET_KEY") or current_app.config.get("SECRET_KEY_EPHEMERAL")
    if no_key and not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
        click.echo(f"Generated a secret key in {key_file}")
    upgrade()
    counts = load_plan()
    db.session.commit()
    click.echo(f"Database ready: {counts['goals']} goals, {counts['task_forces']} task forces. "
               f"Indicators added: {counts['indicators_added']}.")


@click.command("demo")
@with_appcontext
def demo():
    """Load a living demo study on task force A5 and print its logins (idempotent)."""
    if existing_demo() is None:
        load_demo()
        db.session.commit()
        click.echo("Loaded the demo: task force A5, 3 closed rounds and round 4 open.")
    else:
        click.echo("The demo is loaded already.")
    who = logins()
    click.echo(f"Logins (password for all: {who.password}):")
    for role in ("admin", "moderator", "panellist", "researcher"):
        click.echo(f"  {role:<11} {getattr(who, role)}")
