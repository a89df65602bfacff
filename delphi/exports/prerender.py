"""Draw a closed round's charts into the chart store once the close has committed,
and store what the dashboard computes from its frozen data.

``rounds`` sends ``round_closed`` inside the closing transaction; its
receiver here (:func:`on_round_closed`) only notes the round in the session's
``info``. When that session commits (SQLAlchemy's ``after_commit``), the
noted rounds are drawn, as ``CHART_PRERENDER`` says:

* ``"subprocess"`` (the default): ``flask --app delphi charts render
  --round <id>`` is started as a separate process, so the close answers at
  once and no worker spends its time drawing. The command uses the same
  configuration (``DELPHI_*`` environment, instance folder) as the server.
* ``"inline"``: drawn in the process that closed, after the commit: in a
  request, after the view (the close's response waits for it); elsewhere
  (the ``close-due-rounds`` command), when the command calls
  :func:`run_pending` after committing.
* ``"off"``: nothing is drawn at the close; the first request of each chart
  draws it (once, under the store's lock: :mod:`delphi.charts.store`).

:func:`render_round` first computes and stores the round's subgroup tables and
inference (:func:`store_computations`, :mod:`rounds.computations`: the
dashboard's first view on any worker reads them with one query), then draws,
for each language of ``CHART_PRERENDER_LANGUAGES``
(default: every language of the application), the dashboard's round charts
(PNG and SVG), each item's chart (PNG and SVG; off with
``CHART_PRERENDER_ITEMS = False``) and the report's figures (PNG). A chart that
is already stored is not drawn again, so the command is idempotent.
"""
from __future__ import annotations

import os
import subprocess
import sys

from flask import after_this_request, current_app, has_app_context, has_request_context
from flask_babel import force_locale
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from delphi.charts import cache as chart_cache
from delphi.charts import specs, store
from delphi.config import current_policy
from delphi.core import database
from delphi.core.database import db
from delphi.core.errors import DomainError
from delphi.core.models import Item, Round, RoundItem, RoundStatus
from rounds import computations, results, signals
from rounds.inference import round_inference
from rounds.subgroups import subgroup_tables

PENDING = "delphi_charts_pending"


def on_round_closed(round: Round, **_extra) -> None:
    """Note the closed round in its session (drawn after the commit)."""
    if not has_app_context():
        return
    session = db.session()
    session.info.setdefault(PENDING, set()).add(round.id)


def _after_commit(session: Session) -> None:
    ids = session.info.pop(PENDING, None)
    if not ids or not has_app_context():
        return
    app = current_app._get_current_object()
    mode = app.config.get("CHART_PRERENDER", "subprocess")
    if mode == "subprocess":
        for round_id in sorted(ids):
            _spawn(round_id)
    elif mode == "inline":
        pending = app.extensions.setdefault(PENDING, set())
        pending.update(ids)
        if has_request_context():
            @after_this_request
            def _draw(response):
                run_pending()
                return response


def _after_rollback(session: Session) -> None:
    session.info.pop(PENDING, None)


def _spawn(round_id: int) -> None:
    """Start ``flask charts render --round <id>`` detached (its output to the
    instance folder's ``charts-render.log``)."""
    log_path = os.path.join(current_app.instance_path, "charts-render.log")
    with open(log_path, "ab") as log:
        subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "delphi", "charts", "render",
             "--round", str(round_id)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, env=_child_env())


def _child_env() -> dict:
    """This process's environment, with the database and instance folder it
    uses (they may come from ``create_app``'s arguments, not the environment)."""
    env = {**os.environ, "DELPHI_INSTANCE_PATH": current_app.instance_path}
    if isinstance(current_app.config.get("DATABASE_URL"), str):
        env["DELPHI_DATABASE_URL"] = current_app.config["DATABASE_URL"]
    return env


def run_pending() -> int:
    """Draw the rounds noted in ``inline`` mode; the number of charts drawn."""
    pending = current_app.extensions.get(PENDING)
    drawn = 0
    while pending:
        round_id = pending.pop()
        rnd = db.session.get(Round, round_id)
        if rnd is not None:
            drawn += render_round(rnd)
    return drawn


def _languages() -> list[str]:
    configured = current_app.config.get("CHART_PRERENDER_LANGUAGES")
    return list(configured or current_app.config.get("LANGUAGES") or ["en"])


def _jobs(rnd: Round) -> list[tuple[str, str | None, Item | None, tuple[str, ...]]]:
    """(chart, criterion, item, formats) of every chart of the round."""
    study = rnd.study
    formats = specs.CHART_FORMATS
    jobs: list = [("participation", None, None, formats), ("concordance", None, None, formats)]
    items = list(db.session.scalars(
        select(Item).join(RoundItem, RoundItem.item_id == Item.id)
        .where(RoundItem.round_id == rnd.id).order_by(RoundItem.position, Item.id)))
    ratings = [i for i in items if (i.kind or "rating") == "rating"]
    if ratings:
        for criterion in study.criteria or []:
            jobs.append(("verdicts", criterion, None, formats))
            jobs.append(("convergence", criterion, None, formats))
    if current_app.config.get("CHART_PRERENDER_ITEMS", True):
        for item in items:
            if (item.kind or "rating") == "rating":
                jobs += [("distribution", c, item, formats) for c in study.criteria or []]
            else:
                jobs.append((specs.item_chart(item.kind, item.params), None, item, formats))
    return jobs


def render_round(rnd: Round) -> int:
    """Store the round's computed results (:func:`store_computations`) and draw
    every chart of a closed round (and the report's figures) into the store, in
    every prerender language; the number of charts drawn now."""
    if rnd.status is not RoundStatus.closed:
        return 0
    from delphi.exports import report  # the report's figures (same floor)

    counters = store.stats_for()
    before = counters.draws
    # Only reads here: end the caller's transaction (it has committed) and read
    # in DEFERRED ones on SQLite, so the store's own connections may write.
    db.session.commit()
    token = database.sqlite_begin_mode.set("DEFERRED")
    try:
        store_computations(rnd)
        study = rnd.study
        for language in _languages():
            with force_locale(language):
                for name, criterion, item, formats in _jobs(rnd):
                    for fmt in formats:
                        try:
                            chart_cache.chart(study, rnd, name, fmt, criterion=criterion,
                                              item=item, language=language)
                        except DomainError:
                            continue  # a chart this round has not (e.g. no statistics)
                try:
                    report.report_figures(study)
                except DomainError:
                    pass
        db.session.rollback()
    finally:
        database.sqlite_begin_mode.reset(token)
    return counters.draws - before


def store_computations(rnd: Round) -> int:
    """Compute and store what the dashboard computes from a closed round's
    frozen data (its subgroup tables, then its inference, under the
    application's policy: :mod:`rounds.computations`), unless already stored;
    the number computed now."""
    if not results.is_frozen(rnd):
        return 0
    before = computations.COUNTERS.computed
    policy = current_policy()
    tables = subgroup_tables(rnd, policy=policy)
    if any(r.kind == "rating" for r in results.item_rows(rnd)):
        round_inference(rnd, policy=policy, subgroup_tables=tables)
    return computations.COUNTERS.computed - before


_CONNECTED = False


def connect() -> None:
    """Connect the receiver and the session hooks (once per process)."""
    global _CONNECTED
    if _CONNECTED:
        return
    signals.round_closed.connect(on_round_closed)
    event.listen(Session, "after_commit", _after_commit)
    event.listen(Session, "after_rollback", _after_rollback)
    _CONNECTED = True
