"""Benchmark of closing a round (issue 4).

Builds, on a temporary SQLite file, a study with 2,000 panellists × 100 items ×
2 criteria on a 5-point scale: 400,000 submitted ratings (seeded, 5 % "cannot
rate"), inserted in bulk with Core inserts and a fixed password hash. Then
times ``rounds.close_round`` (one transaction) and prints the split reported
by the service (read / statistics / write) and the total, as the median of
``REPEATS`` runs: each run closes the round and rolls back, so every run does
the same work on the same data. Targets: total < 5 s, statistics < 0.5 s.

The receivers of ``round_opened`` (the mail outbox: invitations with magic
links) are timed too: once when round 1 opens in the build, and with
``--open-next`` in every run, by opening the drafted round 2 (feedback
summaries with magic links) before the rollback.

With ``--mixed`` the 100 items are of every question kind (issue 11): 40
rating items (on both criteria) and 15 each of estimates (every other one
with P10/P50/P90 quantiles), probabilities, years (10 % "later") and
rankings of 8 options (every other one the top 3 only): 2,000 × (80 + 60) =
280,000 answers.

Run: ``python bench/bench_close.py [--panellists N] [--items K] [--repeats R] [--open-next] [--mixed]``.
"""
from __future__ import annotations

import argparse
import pathlib
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

#: Seconds spent in each timed signal's receivers, appended per send.
SIGNAL_SECONDS: dict[str, list[float]] = {}


def time_signal(signal, name: str) -> None:
    """Record how long ``signal.send`` (its receivers) takes, in ``SIGNAL_SECONDS[name]``."""
    send = signal.send

    def timed(*args, **kwargs):
        t = time.perf_counter()
        try:
            return send(*args, **kwargs)
        finally:
            SIGNAL_SECONDS.setdefault(name, []).append(time.perf_counter() - t)

    signal.send = timed


FIXED_HASH = "$argon2id$v=19$m=8,t=1,p=1$YmVuY2hzYWx0$YmVuY2hoYXNoYmVuY2hoYXNo"


def mixed_kinds(n_items: int) -> list[tuple[str, dict]]:
    """``(kind, params)`` of the items of a mixed study: 40 % ratings, the rest in
    equal parts estimates, probabilities, years and rankings."""
    options = [f"Strategy {k}" for k in range(1, 9)]
    others = [
        lambda j: ("estimate", {"unit": "%", "min": 0, "max": 100, "quantiles": j % 2 == 0,
                                "baseline": {"value": 10, "year": 2020},
                                "target": {"value": 60, "year": 2030}}),
        lambda j: ("probability", {"event_year": 2030}),
        lambda j: ("year", {"min": 2025, "max": 2060}),
        lambda j: ("ranking", {"options": options, "top_k": 3 if j % 2 else None}),
    ]
    n_rating = round(0.4 * n_items)
    kinds = [("rating", {})] * n_rating
    for j in range(n_items - n_rating):
        kinds.append(others[j % 4](j // 4))
    return kinds


def answer(kind: str, params: dict, rng):
    """A random answer to an item of ``kind`` (5 % cannot answer)."""
    if rng.random() < 0.05:
        return None
    if kind == "estimate":
        values = sorted(float(round(x, 1)) for x in rng.normal(40, 12, 3).clip(0, 100))
        return {"p10": values[0], "p50": values[1], "p90": values[2]} if params["quantiles"] \
            else values[1]
    if kind == "probability":
        return float(rng.integers(0, 101))
    if kind == "year":
        return "later" if rng.random() < 0.1 else int(rng.integers(2025, 2061))
    order = [int(o) for o in rng.permutation(8) + 1]
    return order[:params["top_k"]] if params["top_k"] else order


def build(app, n_panellists: int, n_items: int, criteria: tuple[str, ...], seed: int = 0,
          mixed: bool = False) -> int:
    """Insert the study and its answers; return the id of the open round 1."""
    from sqlalchemy import insert, select

    import rounds
    from delphi.core.database import db
    from delphi.core.models import (
        ApprovalStatus,
        Membership,
        Organisation,
        Panellist,
        Rating,
        Response,
        TaskForce,
        User,
    )

    now = datetime.now(timezone.utc)
    joined = now - timedelta(days=30)
    with app.app_context():
        tf = db.session.scalar(select(TaskForce).where(TaskForce.code == "A5"))
        org_id = db.session.execute(insert(Organisation).values(name="Bench organisation")
                                    .returning(Organisation.id)).scalar_one()
        db.session.execute(insert(User), [
            {"email": "admin@bench.example.org", "name": "Admin", "password_hash": FIXED_HASH,
             "organisation_id": org_id, "is_admin": True}])
        admin = db.session.scalar(select(User).where(User.email == "admin@bench.example.org"))
        db.session.execute(insert(User), [
            {"email": f"p{i}@bench.example.org", "name": f"Panellist {i}", "password_hash": FIXED_HASH,
             "organisation_id": org_id} for i in range(n_panellists)])
        user_ids = list(db.session.scalars(select(User.id).where(User.is_admin.is_(False)).order_by(User.id)))
        db.session.execute(insert(Membership), [
            {"user_id": u, "task_force_id": tf.id, "role": "team_member",
             "status": ApprovalStatus.approved, "joined_at": joined} for u in user_ids])
        study = rounds.create_study(tf, "Bench study", actor=admin, criteria=criteria)
        kinds = mixed_kinds(n_items) if mixed else [("rating", {})] * n_items
        items = [rounds.add_item(study, f"Item {j}", kind=kind, params=params, actor=admin)
                 for j, (kind, params) in enumerate(kinds)]
        rnd = rounds.draft_round(study, items=items, actor=admin)
        rounds.open_round(rnd, actor=admin)  # enrols the 2,000 members
        panellist_ids = list(db.session.scalars(select(Panellist.id).where(Panellist.study_id == study.id)
                                                .order_by(Panellist.id)))
        db.session.execute(insert(Response), [
            {"round_id": rnd.id, "panellist_id": p, "status": "submitted", "draft": {},
             "started_at": now, "updated_at": now, "submitted_at": now} for p in panellist_ids])
        response_ids = list(db.session.scalars(select(Response.id).where(Response.round_id == rnd.id)
                                               .order_by(Response.id)))
        rng = np.random.default_rng(seed)
        item_ids = [i.id for i in items if i.kind == "rating"]
        other_items = [i for i in items if i.kind != "rating"]
        batch = []
        for r in response_ids:
            values = rng.integers(1, 6, size=(len(criteria), len(item_ids)))
            missing = rng.random((len(criteria), len(item_ids))) < 0.05
            for c, criterion in enumerate(criteria):
                for j, item_id in enumerate(item_ids):
                    batch.append({"response_id": r, "item_id": item_id, "criterion": criterion,
                                  "value": None if missing[c, j] else int(values[c, j]),
                                  "answer": None, "reason": None})
            for item in other_items:
                batch.append({"response_id": r, "item_id": item.id, "criterion": "", "value": None,
                              "answer": answer(item.kind, item.params, rng), "reason": None})
            if len(batch) >= 50_000:
                db.session.execute(insert(Rating), batch)
                batch = []
        if batch:
            db.session.execute(insert(Rating), batch)
        db.session.commit()
        return rnd.id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--panellists", type=int, default=2_000)
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-signals", action="store_true",
                        help="disconnect the receivers of round_opened/round_closed (mail outbox)")
    parser.add_argument("--mixed", action="store_true",
                        help="items of every question kind (40 %% ratings; estimates, probabilities, "
                             "years and rankings)")
    parser.add_argument("--open-next", action="store_true",
                        help="in each run, also open the drafted round 2 and time its round_opened receivers")
    args = parser.parse_args()
    criteria = ("importance", "feasibility")

    from flask_migrate import upgrade

    from delphi import create_app
    from delphi.core.database import db
    from delphi.core.models import Round
    from delphi.services.plan import load_plan

    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / "bench.sqlite"
        app = create_app({"DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": "bench",
                          "ARGON2_PARAMETERS": {"time_cost": 1, "memory_cost": 8, "parallelism": 1}})
        if args.no_signals:
            from rounds import signals

            for signal in (signals.round_opened, signals.round_closed, signals.response_submitted):
                signal.send = lambda *args, **kwargs: []
        from rounds import signals as round_signals

        time_signal(round_signals.round_opened, "opened")
        with app.app_context():
            upgrade()
            load_plan()
            db.session.commit()
        t = time.perf_counter()
        round_id = build(app, args.panellists, args.items, criteria, mixed=args.mixed)
        if args.mixed:
            counts = {}
            for kind, _params in mixed_kinds(args.items):
                counts[kind] = counts.get(kind, 0) + 1
            answers = args.panellists * (counts["rating"] * len(criteria) + args.items - counts["rating"])
            print(f"built a mixed study: {args.panellists} panellists x {args.items} items "
                  f"({', '.join(f'{n} {k}' for k, n in counts.items())}) = {answers:,} answers "
                  f"in {time.perf_counter() - t:.1f} s ({path.stat().st_size / 1e6:.0f} MB SQLite file)")
        else:
            print(f"built {args.panellists} panellists x {args.items} items x {len(criteria)} criteria "
                  f"= {args.panellists * args.items * len(criteria):,} ratings in "
                  f"{time.perf_counter() - t:.1f} s ({path.stat().st_size / 1e6:.0f} MB SQLite file)")
        print(f"round 1 opened: round_opened receivers {SIGNAL_SECONDS['opened'][-1]:.3f} s "
              f"({args.panellists} invitations with magic links)")

        import rounds

        runs = []
        for run in range(args.repeats):
            with app.app_context():
                rnd = db.session.get(Round, round_id)
                t = time.perf_counter()
                report = rounds.close_round(rnd, actor=None)
                db.session.flush()
                wall = time.perf_counter() - t
                assert report.round.status.value == "closed"
                runs.append({**report.timings, "wall": wall})
                if args.open_next:
                    assert report.next_round is not None, "the stopping rule drafted no round 2"
                    rounds.open_round(report.next_round, actor=None)
                    db.session.flush()
                    runs[-1]["open-next signals"] = SIGNAL_SECONDS["opened"][-1]
                db.session.rollback()  # the next run closes the same round again
                db.engine.dispose()
            print(f"run {run + 1}: " + "  ".join(f"{k} {v:.3f}s" for k, v in runs[-1].items()))
        median = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        shape = "mixed kinds" if args.mixed else f"{len(criteria)} criteria"
        print(f"\nclose_round, median of {len(runs)} runs "
              f"({args.panellists} x {args.items}, {shape}, SQLite):")
        for key in ("read", "statistics", "write", "signals", "total"):
            print(f"  {key:<10} {median[key]:.3f} s")
        if args.open_next:
            print(f"  opening round 2: round_opened receivers {median['open-next signals']:.3f} s "
                  f"(feedback summaries with magic links)")
        ours = median["read"] + median["statistics"] + median["write"]
        print(f"  {'ours':<10} {ours:.3f} s  (read + statistics + write, without the signal receivers)")
        verdict = "OK" if median["total"] < 5 and median["statistics"] < 0.5 else "OVER TARGET"
        print(f"targets: total < 5 s, statistics < 0.5 s: {verdict}")
        if args.no_signals:
            print("(signal receivers disconnected: --no-signals)")


if __name__ == "__main__":
    main()
