"""The submit path against its floor (issue 15): a submit of 20 ratings through
the API, and a bare Flask app writing the same 20 rows to the same database in
one transaction, both under gunicorn on 127.0.0.1, requests alternating.

Seeds a study (``bench._server``: 200 panellists × 10 items × 2 criteria, round
1 closed, round 2 open, one API token per panellist), starts two gunicorns with
the same workers and threads (the application, and ``bench/bare_submit.py``),
has every panellist submit once (so each has a response), then alternates:
``PUT /api/v1/studies/{id}/rounds/{n}/response`` with the 20 ratings and
``"submit": true`` for one panellist, and the bare write of the same 20 rows
for another panellist's response, one request at a time on keep-alive
connections, ``--requests`` of each after ``--warmup``. Prints the median and
p95 of each (ms, client side), their ratios, and the load average.

Target: the API's median at most 2.5x the floor's, on SQLite and PostgreSQL.

Run: ``python bench/bench_submit.py [--database sqlite|postgresql|both]
[--workers N] [--threads T] [--requests N] [--warmup N] [--pg-database NAME]``.
"""
from __future__ import annotations

import argparse
import http.client
import json
import pathlib
import statistics
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from bench._server import (
    Gunicorn,
    database_url,
    loadavg,
    make_app,
    seed,
    stop_on_signals,
)

N_ITEMS = 10  # x 2 criteria = 20 ratings


def arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--requests", type=int, default=400, help="of each kind, measured")
    parser.add_argument("--warmup", type=int, default=40, help="of each kind, not measured")
    parser.add_argument("--panellists", type=int, default=200)
    parser.add_argument("--pg-database", default="bench_submit")
    return parser.parse_args(argv)


def percentile(values: list[float], q: float) -> float:
    """The q-quantile, type 7 (linear between order statistics, as R's default)."""
    ordered = sorted(values)
    h = (len(ordered) - 1) * q
    low = int(h)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (h - low) * (ordered[high] - ordered[low])


class Client:
    """One keep-alive connection; :meth:`send` returns (status, milliseconds)."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def send(self, method: str, path: str, body: dict, headers: dict | None = None):
        data = json.dumps(body).encode()
        start = time.perf_counter()
        self.conn.request(method, path, body=data,
                          headers={"Content-Type": "application/json", **(headers or {})})
        response = self.conn.getresponse()
        payload = response.read()
        elapsed = (time.perf_counter() - start) * 1000
        if response.status >= 400:
            raise RuntimeError(f"{method} {path}: {response.status} {payload[:300]!r}")
        return response.status, elapsed


def run(kind: str, args, workdir: pathlib.Path) -> dict:
    from sqlalchemy import select

    from delphi.core.database import db
    from delphi.core.models import Panellist, Response, User

    url = database_url(kind, workdir, args.pg_database)
    app = make_app(url, workdir / "instance")
    seeded = seed(app, args.panellists, N_ITEMS, tokens=True)
    assert len(seeded.item_ids) * len(seeded.criteria) == 20, "a submit is 20 ratings"
    path = f"/api/v1/studies/{seeded.study_id}/rounds/{seeded.round_number}/response"

    def ratings(step: int) -> list[dict]:
        return [{"item": item, "criterion": criterion, "value": 1 + (step + i + j) % 5}
                for i, item in enumerate(seeded.item_ids) for j, criterion in enumerate(seeded.criteria)]

    log = workdir / "gunicorn.log"
    with Gunicorn(url, workdir / "instance", log, workers=args.workers, threads=args.threads) as api, \
            Gunicorn(url, workdir / "instance", log, workers=args.workers, threads=args.threads,
                     app="bench.bare_submit:create_app()", probe="/ping") as bare:
        api_client, bare_client = Client(api.port), Client(bare.port)
        tokens = [seeded.tokens[email] for email in seeded.panellists]
        for token in tokens:  # every panellist submits once: each has a response
            api_client.send("PUT", path, {"ratings": ratings(0), "submit": True},
                            {"Authorization": f"Bearer {token}"})
        with app.app_context():
            response_ids = list(db.session.scalars(
                select(Response.id).join(Panellist, Response.panellist_id == Panellist.id)
                .join(User, Panellist.user_id == User.id)
                .where(User.email.in_(seeded.panellists)).order_by(Response.id)))
            db.session.remove()
            db.engine.dispose()
        timings = {"api": [], "bare": []}
        load_start = loadavg()
        for step in range(args.warmup + args.requests):
            token = tokens[step % len(tokens)]
            body = ratings(step)
            _, api_ms = api_client.send("PUT", path, {"ratings": body, "submit": True},
                                        {"Authorization": f"Bearer {token}"})
            response_id = response_ids[(step + len(tokens) // 2) % len(response_ids)]
            _, bare_ms = bare_client.send("POST", f"/responses/{response_id}", {"ratings": body})
            if step >= args.warmup:
                timings["api"].append(api_ms)
                timings["bare"].append(bare_ms)
        load_end = loadavg()
    figures = {name: {"median": statistics.median(values), "p95": percentile(values, 0.95)}
               for name, values in timings.items()}
    return {"figures": figures, "load": (load_start, load_end)}


def main(argv=None) -> int:
    args = arguments(argv)
    kinds = ("sqlite", "postgresql") if args.database == "both" else (args.database,)
    results = {}
    with stop_on_signals(), tempfile.TemporaryDirectory() as tmp:
        for kind in kinds:
            workdir = pathlib.Path(tmp) / kind
            workdir.mkdir()
            results[kind] = run(kind, args, workdir)
    print(f"\nsubmit of 20 ratings: API vs the bare floor, {args.requests} of each after "
          f"{args.warmup} warm-up, alternating, gunicorn -w {args.workers} --threads {args.threads}")
    ok = True
    for kind, result in results.items():
        api, bare = result["figures"]["api"], result["figures"]["bare"]
        ratio = api["median"] / bare["median"]
        ok &= ratio <= 2.5
        print(f"  {kind:<10} API median {api['median']:6.2f} ms  p95 {api['p95']:6.2f} ms | "
              f"bare median {bare['median']:6.2f} ms  p95 {bare['p95']:6.2f} ms | "
              f"ratio median {ratio:.2f}x  p95 {api['p95'] / bare['p95']:.2f}x")
        print(f"             load average at start {result['load'][0]}, at end {result['load'][1]}")
    print(f"target: API median at most 2.5x the floor: {'OK' if ok else 'OVER TARGET'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
