"""Load benchmark (issues 13 and 15): Locust, headless, against a real gunicorn
on 127.0.0.1.

Seeds a study (``bench._server``: by default 200 panellists × 20 items × 2
criteria, round 1 closed with the group's statistics, round 2 open, every
password hashed with the real argon2 parameters) on a fresh SQLite file or
PostgreSQL database, starts ``gunicorn -w WORKERS --threads THREADS``, and runs
``bench/locustfile.py`` with ``locust --headless``: 50 users for 3 minutes by
default, on the mix that file describes (panellists on the web and on the API,
moderators on the dashboard, researchers exporting). The server is stopped at
the end whatever happens, and Locust is bounded by its own ``--run-time`` and
by a timeout.

Prints, per request type: count, failures, p50 and p95 (ms, Locust's
rounding: 2 significant digits above 100 ms), requests/s and error %; the
total; the most frequent failures; and the load average at the start and the
end (the machine is shared).

Run: ``python bench/bench_load.py [--database sqlite|postgresql] [--workers N]
[--threads T] [--users U] [--duration SECONDS] [--spawn-rate R]
[--panellists N] [--items K] [--pg-database NAME]``.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from bench._server import (
    REPO,
    Gunicorn,
    database_url,
    loadavg,
    make_app,
    seed,
    stop_on_signals,
)


def arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=int, default=180, help="seconds of load")
    parser.add_argument("--spawn-rate", type=float, default=5.0, help="users started per second")
    parser.add_argument("--panellists", type=int, default=200)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--pg-database", default="bench_load")
    return parser.parse_args(argv)


def read_stats(prefix: pathlib.Path) -> list[dict]:
    path = pathlib.Path(f"{prefix}_stats.csv")
    if not path.exists():
        return []
    with path.open() as f:
        return list(csv.DictReader(f))


def read_failures(prefix: pathlib.Path) -> list[dict]:
    path = pathlib.Path(f"{prefix}_failures.csv")
    if not path.exists():
        return []
    with path.open() as f:
        return sorted(csv.DictReader(f), key=lambda r: -int(r["Occurrences"]))


def table(rows: list[dict], duration: float) -> str:
    head = f"{'request':<42} {'count':>6} {'fail':>5} {'p50 ms':>7} {'p95 ms':>7} {'req/s':>6} {'err %':>6}"
    lines = [head, "-" * len(head)]
    for row in rows:
        count, failures = int(row["Request Count"]), int(row["Failure Count"])
        name = row["Name"] if row["Name"] == "Aggregated" else f"{row['Type']} {row['Name']}".replace(
            f"{row['Type']} {row['Type']} ", f"{row['Type']} ")
        rate = count / duration if duration else 0.0
        error = 100.0 * failures / count if count else 0.0
        lines.append(f"{name[:42]:<42} {count:>6} {failures:>5} {row['50%']:>7} {row['95%']:>7} "
                     f"{rate:>6.2f} {error:>6.2f}")
    return "\n".join(lines)


def main(argv=None) -> int:
    args = arguments(argv)
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="delphi-bench-load-"))
    server = None
    try:
        with stop_on_signals():
            url = database_url(args.database, workdir, args.pg_database)
            t = time.perf_counter()
            app = make_app(url, workdir / "instance")
            seeded = seed(app, args.panellists, args.items)
            seeded_path = workdir / "seeded.json"
            seeded_path.write_text(json.dumps(asdict(seeded)))
            print(f"seeded {args.database}: {len(seeded.panellists)} panellists × "
                  f"{len(seeded.item_ids)} items × {len(seeded.criteria)} criteria, round 1 closed, "
                  f"round {seeded.round_number} open ({time.perf_counter() - t:.1f} s)", flush=True)

            server = Gunicorn(url, workdir / "instance", workdir / "gunicorn.log",
                              workers=args.workers, threads=args.threads)
            server.start()
            prefix = workdir / "locust"
            command = [str(pathlib.Path(sys.executable).parent / "locust"), "-f",
                       str(REPO / "bench" / "locustfile.py"), "--headless", "--host", server.base,
                       "-u", str(args.users), "-r", str(args.spawn_rate),
                       "--run-time", f"{args.duration}s", "--stop-timeout", "10",
                       "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING",
                       "--exit-code-on-error", "0"]
            env = {**os.environ, "BENCH_SEEDED": str(seeded_path), "PYTHONPATH": str(REPO)}
            start_load = loadavg()
            print(f"load average at start: {start_load}", flush=True)
            t = time.perf_counter()
            with (workdir / "locust.log").open("w") as log:
                result = subprocess.run(command, check=False, env=env, cwd=REPO, stdout=log,
                                        stderr=subprocess.STDOUT, timeout=args.duration + 120)
            elapsed = time.perf_counter() - t
            end_load = loadavg()
            server.stop()
            server = None
            rows = read_stats(prefix)
            if result.returncode != 0 or not rows:
                print((workdir / "locust.log").read_text()[-4000:])
                print(f"locust exited with {result.returncode}")
                return 1
            measured = min(elapsed, float(args.duration))
            print(f"\n{args.database}, gunicorn {args.workers} workers × {args.threads} threads, "
                  f"{args.users} users for {args.duration} s (spawn {args.spawn_rate}/s)")
            print(table(rows, measured))
            failures = read_failures(prefix)
            if failures:
                print("failures (most frequent first):")
                for f in failures[:8]:
                    print(f"  {f['Occurrences']:>5} × {f['Name']}: {f['Error'][:100]}")
            print(f"load average at start: {start_load}")
            print(f"load average at end:   {end_load}")
            return 0
    finally:
        if server is not None:
            server.stop()
        if os.environ.get("BENCH_KEEP") != "1":
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"kept {workdir}")


if __name__ == "__main__":
    sys.exit(main())
