"""``flask --app delphi export STUDY_ID --tier ... --format ... -o FILE.zip``."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from delphi.core.database import db
from delphi.core.models import Study
from delphi.exports import build_and_record
from delphi.exports.formats import FORMATS
from delphi.exports.tiers import TIERS


@click.command("export")
@click.argument("study_id", type=int)
@click.option("--tier", type=click.Choice(TIERS), default="deidentified", show_default=True)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="csv", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), required=True,
              help="The ZIP file to write.")
@click.option("--no-report", is_flag=True, help="Leave the HTML report out (faster).")
@with_appcontext
def export_command(study_id, tier, fmt, output, no_report):
    """Export a study (recorded in the audit log as done from the command line)."""
    study = db.session.get(Study, study_id)
    if study is None:
        raise click.ClickException(f"No study {study_id}.")
    package = build_and_record(study, tier, fmt, actor=None, channel="cli",
                               with_report=not no_report)
    with open(output, "wb") as handle:
        handle.write(package.data)
    rows = ", ".join(f"{name} {n}" for name, n in package.rows.items())
    timings = ", ".join(f"{k} {v:.2f} s" for k, v in package.timings.items())
    click.echo(f"Wrote {output} ({len(package.data)} bytes): {rows}. {timings}.")
