"""``flask --app delphi charts render [--round ID | --study ID]``: draw closed
rounds' charts into the chart store, and store their computed results
(subgroup tables, inference: :mod:`rounds.computations`), as the close does
(:mod:`delphi.exports.prerender`)."""
from __future__ import annotations

import time

import click
from flask.cli import AppGroup
from sqlalchemy import select

from delphi.core.database import db
from delphi.core.models import Round, RoundStatus
from delphi.exports import prerender
from rounds import computations

charts = AppGroup("charts", help="The chart store of closed rounds.")


@charts.command("render")
@click.option("--round", "round_id", type=int, default=None, help="A round's id.")
@click.option("--study", "study_id", type=int, default=None,
              help="Every closed round of this study.")
def render(round_id: int | None, study_id: int | None):
    """Store the computed results and draw the charts of closed rounds that are
    not stored yet (idempotent)."""
    query = select(Round).where(Round.status == RoundStatus.closed).order_by(Round.id)
    if round_id is not None:
        query = query.where(Round.id == round_id)
    if study_id is not None:
        query = query.where(Round.study_id == study_id)
    rounds = list(db.session.scalars(query))
    if round_id is not None and not rounds:
        raise click.ClickException(f"No closed round {round_id}.")
    for rnd in rounds:
        t0 = time.perf_counter()
        computed = computations.COUNTERS.computed
        drawn = prerender.render_round(rnd)
        computed = computations.COUNTERS.computed - computed
        click.echo(f"Round {rnd.number} of study {rnd.study_id}: {drawn} charts drawn and "
                   f"{computed} results computed in {time.perf_counter() - t0:.1f} s.")
    db.session.rollback()
