"""Crash benchmark (issue 13): ``kill -9`` of gunicorn during a submission storm,
``--trials`` times, then an integrity and no-loss check after every restart.

Seeds a study (``bench._server``: round 2 open, one API token per panellist),
then, in each trial: starts ``gunicorn -w WORKERS``, lets ``--clients`` threads
storm it through ``PUT /api/v1/studies/{id}/rounds/{n}/response`` (each thread
owns its panellists, so a panellist's requests are sequential; every request
carries all the panellist's ratings with fresh random values, a draft two times
out of three and a submission otherwise, as the autosave and the Submit button
do), kills the master and every worker with SIGKILL at a random moment, and
restarts the server.

Every answer the server acknowledged (a 2xx) is recorded. After the restart,
for every panellist, the stored draft must equal the values of their last
acknowledged save, and the counted ratings those of their last save
acknowledged as ``submitted``, unless a later request was cut by the crash
without an answer (then its values are allowed too: it may have committed).
Anything else is a lost answer. Integrity: the database opens, SQLite's
``PRAGMA integrity_check`` and ``foreign_key_check`` pass (on PostgreSQL,
``amcheck``'s ``bt_index_check`` on every index when the extension is
available), and the counts hold: every submitted response has exactly one
counted rating per item and criterion, and no draft response has any.

This is a process crash: what the server wrote survives in the operating
system's cache. A power cut is not tested (SQLite in WAL mode with
``synchronous=NORMAL``, as ``delphi.core.database`` sets it, may then lose the
last commits; PostgreSQL with ``fsync`` on does not).

Prints the trials, the requests, the acknowledged saves and submissions, the
lost answers, the 5xx answers, the integrity result and the time.

Run: ``python bench/bench_crash.py [--database sqlite|postgresql] [--trials N]
[--workers W] [--clients C] [--panellists N] [--items K] [--storm-min S]
[--storm-max S] [--pg-database NAME] [--seed S]``.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import pathlib
import random
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from bench._server import (
    Gunicorn,
    database_url,
    loadavg,
    make_app,
    seed,
    stop_on_signals,
)

Values = tuple  # ((item_id, criterion, value), ...) in a fixed order


def arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--trials", type=int, default=12)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=16, help="concurrent client threads")
    parser.add_argument("--panellists", type=int, default=64)
    parser.add_argument("--items", type=int, default=10)
    parser.add_argument("--storm-min", type=float, default=1.0, help="seconds before the kill, at least")
    parser.add_argument("--storm-max", type=float, default=4.0, help="seconds before the kill, at most")
    parser.add_argument("--pg-database", default="bench_crash")
    parser.add_argument("--seed", type=int, default=2026)
    return parser.parse_args(argv)


@dataclass
class Panellist:
    """What the client knows of one panellist's answers on the server."""

    email: str
    token: str
    #: The drafts and counted answers the server may hold: the last acknowledged
    #: values, plus those of any later request that got no answer.
    drafts: set = field(default_factory=lambda: {None})
    counted: set = field(default_factory=lambda: {None})


@dataclass
class Tally:
    requests: int = 0
    acknowledged: int = 0
    submissions: int = 0
    cut: int = 0
    refused: int = 0
    errors_5xx: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, **counts):
        with self.lock:
            for name, n in counts.items():
                setattr(self, name, getattr(self, name) + n)


def storm(port, path, owned: list[Panellist], items, criteria, stop: threading.Event,
          rng: random.Random, tally: Tally) -> None:
    """Save and submit for ``owned`` in turn until the server goes away or ``stop``."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    k = 0
    try:
        while not stop.is_set():
            p = owned[k % len(owned)]
            k += 1
            values = tuple((item, c, rng.randint(1, 5)) for item in items for c in criteria)
            submit = rng.random() < 1 / 3
            body = json.dumps({"ratings": [{"item": i, "criterion": c, "value": v}
                                           for i, c, v in values], "submit": submit})
            try:
                conn.request("PUT", path, body=body, headers={
                    "Authorization": f"Bearer {p.token}", "Content-Type": "application/json"})
                response = conn.getresponse()
                raw = response.read()
            except (OSError, http.client.HTTPException):
                # Cut by the crash: it may or may not have committed.
                p.drafts.add(values)
                p.counted.add(values)
                tally.add(requests=1, cut=1)
                return
            tally.add(requests=1)
            if 200 <= response.status < 300:
                status = json.loads(raw)["status"]
                p.drafts = {values}
                if status == "submitted":
                    p.counted = {values}
                tally.add(acknowledged=1, submissions=int(submit))
            elif response.status >= 500:
                tally.add(errors_5xx=1)
            else:
                tally.add(refused=1)
    finally:
        conn.close()


def stored(app, round_number, study_id, emails) -> dict[str, tuple]:
    """Each panellist's stored ``(draft values, counted values)`` (None when absent)."""
    from sqlalchemy import select

    from delphi.core.database import db
    from delphi.core.models import Panellist as PanellistRow
    from delphi.core.models import Rating, Response, ResponseStatus, Round, User

    out = {}
    with app.app_context():
        rnd = db.session.scalar(select(Round).where(Round.study_id == study_id,
                                                    Round.number == round_number))
        order = {(ri.item_id, c): k for k, (ri, c) in enumerate(
            (ri, c) for ri in rnd.round_items for c in rnd.study.criteria)}
        rows = db.session.execute(
            select(User.email, Response.id, Response.status, Response.draft)
            .join(PanellistRow, PanellistRow.user_id == User.id)
            .join(Response, (Response.panellist_id == PanellistRow.id) & (Response.round_id == rnd.id))
            .where(User.email.in_(emails))).all()
        counted_rows: dict[int, list] = {}
        for r in db.session.execute(select(Rating.response_id, Rating.item_id, Rating.criterion,
                                           Rating.value).join(Response).where(
                                               Response.round_id == rnd.id)):
            counted_rows.setdefault(r.response_id, []).append((r.item_id, r.criterion, r.value))
        for email, response_id, status, draft in rows:
            entries = []
            for key, entry in ((draft or {}).get("ratings") or {}).items():
                item, _colon, criterion = key.partition(":")
                entries.append((int(item), criterion, entry.get("value")))
            draft_values = tuple(sorted(entries, key=lambda e: order[(e[0], e[1])])) or None
            counted = None
            if status is ResponseStatus.submitted:
                counted = tuple(sorted(counted_rows.get(response_id, []),
                                       key=lambda e: order[(e[0], e[1])]))
            out[email] = (draft_values, counted)
        db.session.remove()
    return out


def count_lost(app, seeded, panellists: list[Panellist]) -> int:
    """The panellists whose stored draft or counted answers are none the client may expect."""
    now = stored(app, seeded.round_number, seeded.study_id, seeded.panellists)
    lost = 0
    for p in panellists:
        draft, counted = now.get(p.email, (None, None))
        if draft not in p.drafts or counted not in p.counted:
            lost += 1
    return lost


def self_check(app, seeded, panellists: list[Panellist]) -> bool:
    """Whether :func:`count_lost` notices one counted rating changed behind its back
    (a check that cannot fail proves nothing). Changes the database: run it last."""
    from sqlalchemy import select

    from delphi.core.database import db
    from delphi.core.models import Panellist as PanellistRow
    from delphi.core.models import Rating, Response, Round, User

    known = [p for p in panellists if len(p.counted) == 1 and None not in p.counted]
    if not known:
        return False
    before = count_lost(app, seeded, panellists)
    with app.app_context():
        rating = db.session.scalars(
            select(Rating).join(Response).join(Round)
            .join(PanellistRow, PanellistRow.id == Response.panellist_id)
            .join(User, User.id == PanellistRow.user_id)
            .where(Round.study_id == seeded.study_id, Round.number == seeded.round_number,
                   User.email == known[0].email).limit(1)).one()
        rating.value = 1 + rating.value % 5
        db.session.commit()
        db.session.remove()
    return count_lost(app, seeded, panellists) == before + 1


def integrity(app, url, n_answers) -> list[str]:
    """What is wrong with the database (empty when all holds); ``n_answers``:
    round id → counted ratings per submitted response."""
    from sqlalchemy import func, select, text
    from sqlalchemy.exc import SQLAlchemyError

    from delphi.core.database import db
    from delphi.core.models import Rating, Response, ResponseStatus

    problems = []
    with app.app_context():
        if url.startswith("sqlite"):
            result = [r[0] for r in db.session.execute(text("PRAGMA integrity_check"))]
            if result != ["ok"]:
                problems.append(f"integrity_check: {result[:5]}")
            fk = db.session.execute(text("PRAGMA foreign_key_check")).all()
            if fk:
                problems.append(f"foreign_key_check: {fk[:5]}")
        else:
            try:
                db.session.execute(text("CREATE EXTENSION IF NOT EXISTS amcheck"))
                indexes = db.session.scalars(text(
                    "SELECT c.oid::regclass::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                    "JOIN pg_am a ON a.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE a.amname = 'btree' AND n.nspname = 'public'")).all()
                for index in indexes:
                    db.session.execute(text("SELECT bt_index_check(CAST(:i AS regclass))"), {"i": index})
                db.session.commit()
            except SQLAlchemyError as error:  # amcheck missing, or a corrupt index
                db.session.rollback()
                problems.append(f"amcheck: {str(error).splitlines()[0]}")
        counts = db.session.execute(
            select(Response.id, Response.round_id, Response.status, func.count(Rating.id))
            .outerjoin(Rating, Rating.response_id == Response.id)
            .group_by(Response.id, Response.round_id, Response.status)).all()
        for response_id, round_id, status, n in counts:
            if status is ResponseStatus.submitted and n != n_answers[round_id]:
                problems.append(f"response {response_id}: submitted with {n} counted ratings")
            if status is not ResponseStatus.submitted and n:
                problems.append(f"response {response_id}: {status.value} with {n} counted ratings")
        db.session.remove()
    return problems


def expected_answers(app) -> dict[int, int]:
    """round id → the number of counted ratings a submitted response of it has."""
    from sqlalchemy import select

    from delphi.core.database import db
    from delphi.core.models import Round

    with app.app_context():
        out = {r.id: len(r.round_items) * len(r.study.criteria) for r in db.session.scalars(select(Round))}
        db.session.remove()
    return out


def main(argv=None) -> int:
    args = arguments(argv)
    rng = random.Random(args.seed)
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="delphi-bench-crash-"))
    server = None
    started = time.perf_counter()
    try:
        with stop_on_signals():
            url = database_url(args.database, workdir, args.pg_database)
            app = make_app(url, workdir / "instance")
            seeded = seed(app, args.panellists, args.items, tokens=True)
            print(f"seeded {args.database}: {len(seeded.panellists)} panellists × "
                  f"{len(seeded.item_ids)} items × {len(seeded.criteria)} criteria; "
                  f"load average {loadavg()}", flush=True)
            n_answers = expected_answers(app)
            panellists = [Panellist(e, seeded.tokens[e]) for e in seeded.panellists]
            path = f"/api/v1/studies/{seeded.study_id}/rounds/{seeded.round_number}/response"
            tally = Tally()
            server = Gunicorn(url, workdir / "instance", workdir / "gunicorn.log",
                              workers=args.workers)
            lost, problems, storm_seconds = 0, [], 0.0
            clients = min(args.clients, len(panellists))
            server.start()
            for trial in range(1, args.trials + 1):
                stop = threading.Event()
                threads = [threading.Thread(target=storm, args=(
                    server.port, path, panellists[c::clients], seeded.item_ids, seeded.criteria,
                    stop, random.Random(rng.random()), tally)) for c in range(clients)]
                for t in threads:
                    t.start()
                delay = rng.uniform(args.storm_min, args.storm_max)
                stop.wait(delay)  # the storm runs for a random time, then the crash
                server.kill9()
                storm_seconds += delay
                stop.set()
                for t in threads:
                    t.join(timeout=60)
                if any(t.is_alive() for t in threads):
                    problems.append(f"trial {trial}: a client did not stop")
                server.start()  # the restart, on the crashed database (next trial's server)
                trial_lost = count_lost(app, seeded, panellists)
                trial_problems = integrity(app, url, n_answers)
                problems += [f"trial {trial}: {x}" for x in trial_problems]
                lost += trial_lost
                print(f"trial {trial:>2}: killed after {delay:.2f} s; requests so far "
                      f"{tally.requests}, acknowledged {tally.acknowledged}, cut {tally.cut}; "
                      f"lost {trial_lost}; integrity {'ok' if not trial_problems else 'FAILED'}",
                      flush=True)
            server.stop()
            detected = self_check(app, seeded, panellists)
            elapsed = time.perf_counter() - started
            print(f"\n{args.database}, gunicorn {args.workers} workers × 4 threads, "
                  f"{clients} clients, {len(panellists)} panellists × {len(seeded.item_ids)} items "
                  f"× {len(seeded.criteria)} criteria")
            print(f"trials (kill -9 of master and workers): {args.trials}")
            print(f"requests sent:                  {tally.requests}")
            print(f"acknowledged (2xx):             {tally.acknowledged} "
                  f"({tally.submissions} submissions, the rest drafts)")
            print(f"cut by the crash (no answer):   {tally.cut}")
            print(f"refused (4xx):                  {tally.refused}")
            print(f"5xx answers:                    {tally.errors_5xx}")
            print(f"lost acknowledged answers:      {lost} (checked after each of the "
                  f"{args.trials} restarts, {len(panellists)} panellists each)")
            print(f"integrity:                      {'ok' if not problems else 'FAILED'}")
            print(f"self-check (one counted rating changed on purpose, then checked): "
                  f"{'found lost' if detected else 'NOT FOUND'}")
            for problem in problems[:10]:
                print(f"  {problem}")
            print(f"time: {elapsed:.1f} s ({storm_seconds:.1f} s of storm)")
            print(f"load average at end: {loadavg()}")
            return 0 if not problems and not lost and not tally.errors_5xx and detected else 1
    finally:
        if server is not None:
            server.stop()
        if os.environ.get("BENCH_KEEP") != "1":
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"kept {workdir}")


if __name__ == "__main__":
    sys.exit(main())
