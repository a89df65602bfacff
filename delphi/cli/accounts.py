"""``create-user`` and ``import-users``."""
from __future__ import annotations

import csv
from pathlib import Path

import click
from flask.cli import with_appcontext

from delphi.config import current_policy
from delphi.core.database import db
from delphi.core.errors import DomainError
from delphi.core.models import MembershipStatus
from delphi.services.accounts import Registration, register, set_organisation_status


@click.command("create-user")
@with_appcontext
@click.argument("email")
@click.option("--password", required=True, help="At least 12 characters.")
@click.option("--name", default=None)
@click.option("--admin", is_flag=True, help="Make the user an admin (secretariat).")
@click.option("--organisation", default="Independent")
@click.option("--membership", type=click.Choice(["member", "partner", "none"]), default=None,
              help="Set the organisation's status towards the initiative.")
def create_user(email, password, name, admin, organisation, membership):
    """Create a user account (consent is recorded as given by the operator)."""
    try:
        user = register(Registration(email=email, password=password, name=name or email.split("@")[0],
                                     organisation=organisation, consent=True), is_admin=admin,
                        policy=current_policy())
        if membership:
            # Audited like the secretariat's page (no actor: the operator at the console).
            set_organisation_status(None, user.organisation, MembershipStatus(membership))
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(_describe(error))
    click.echo(f"Created {user.email}{' (admin)' if admin else ''}.")


IMPORT_COLUMNS = ("email", "password", "name", "organisation", "country", "region",
                  "stakeholder_group", "language")


@click.command("import-users")
@with_appcontext
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_users(file: Path):
    """Register users from a CSV file with a header row.

    Columns: email, password, name, organisation, country, region,
    stakeholder_group, language (optional). Errors are reported row by row
    and nothing is imported from a file with errors.
    """
    try:
        with file.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in IMPORT_COLUMNS[:5] if c not in (reader.fieldnames or [])]
            if missing:
                raise click.ClickException(f"missing columns: {', '.join(missing)}")
            rows = list(reader)
    except UnicodeDecodeError as error:
        raise click.ClickException(
            f"{file} is not UTF-8 text (byte {error.start}); save it as CSV UTF-8 and try again; "
            "nothing was imported.")
    except csv.Error as error:
        raise click.ClickException(f"{file} is not a readable CSV file ({error}); nothing was imported.")
    problems: list[str] = []
    seen: set[str] = set()
    for number, row in enumerate(rows, start=2):
        reg = Registration(
            email=(row.get("email") or "").strip(), password=row.get("password") or "",
            name=row.get("name") or "", organisation=row.get("organisation") or "",
            country=row.get("country") or "", region=row.get("region") or None,
            stakeholder_group=(row.get("stakeholder_group") or "other").strip(),
            language=(row.get("language") or "").strip() or None, consent=True,
        )
        key = reg.email.lower()
        if key in seen:
            problems.append(f"row {number}: email: appears twice in the file")
            continue
        seen.add(key)
        try:
            with db.session.begin_nested():
                register(reg, policy=current_policy())
        except DomainError as error:
            problems.append(f"row {number}: {_describe(error)}")
    if problems:
        db.session.rollback()
        for line in problems:
            click.echo(line, err=True)
        raise click.ClickException(f"{len(problems)} row(s) with errors; nothing was imported.")
    db.session.commit()
    click.echo(f"Imported {len(rows)} user(s).")


def _describe(error: DomainError) -> str:
    if error.fields:
        return "; ".join(f"{k}: {v}" for k, v in error.fields.items())
    return error.message


@click.command("erase-user")
@with_appcontext
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def erase_user(email, yes):
    """Erase a user's account, as its owner can on the account page
    (``rounds.erasure``: withdrawn from every panel by each study's protocol,
    the identity erased; audited, with no actor: the operator at the console)."""
    from sqlalchemy import func, select

    from delphi.core.models import User
    from rounds.erasure import erase_account, erasure_plan

    user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"No account has the address {email}.")
    plan = erasure_plan(user)
    if plan.blocked:
        raise click.ClickException(plan.blocked)
    if not yes:
        click.confirm(f"Erase {user.email}: withdrawn from {len(plan.delete_in) + len(plan.keep_in)}"
                      f" panel(s), answers deleted in {len(plan.delete_in)}?", abort=True)
    try:
        withdrawn = erase_account(user, actor=None)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(_describe(error))
    click.echo(f"Erased account {user.id} (withdrawn from {withdrawn} panel(s)).")
