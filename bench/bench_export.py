"""Benchmark of the researchers' export: CSV, XLSX and JSON (issues 6 and 15).

Builds, on a temporary SQLite file, a study of 2,000 panellists × 100 items ×
2 criteria × 3 rounds (1.2 M submitted ratings, seeded, 5 % "cannot rate"):
the ratings are inserted in bulk with Core inserts (``bench/_world.py``), and
each round is opened and closed through ``rounds`` (so the frozen statistics are real; carry-forward
"all" keeps the 100 items in every round). Then times the de-identified
export (``delphi.exports.build_package``) in each of ``--formats`` and prints the
split: read (the one query of plain integer columns into one int64 array), build
(pandas reshaping, pseudonyms, k-anonymity, CSPRNG shuffle), write (CSV, XLSX or
JSON), codebook/report, ZIP; and the peak memory of the process that built it.
Each run is a fresh child process (forked after the database is built), so its
peak resident set (``ru_maxrss``) is that export's, the app's own baseline
included (printed beside it). Median of ``--repeats`` runs per format, and the
ratio of each format's total to CSV's.

Targets: CSV total < 10 s (without the report; ``--with-report`` adds the HTML
report and its charts); XLSX of the 1.2 M rows within 3x the CSV time, with a
peak under 1 GiB.

Run: ``python bench/bench_export.py [--panellists N] [--items K] [--rounds R] [--repeats N]
[--formats csv,xlsx,json] [--with-report] [--database FILE]``.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import pathlib
import resource
import statistics
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

GROUPS = ("research", "farmers", "ngo", "government", "private_sector", "other")


def build(app, n_panellists: int, n_items: int, n_rounds: int, criteria, seed: int = 0) -> int:
    """The study of ``bench/_world.py`` with varied regions and groups, one global
    leader, long item texts and carry-forward "all" (every item in every round)."""
    from _world import build_study

    study_id, _reports = build_study(
        app, n_panellists, n_items, criteria, n_rounds=n_rounds, seed=seed,
        member=lambda i, region_ids: {"region_id": region_ids[i % len(region_ids)],
                                      "stakeholder_group": GROUPS[(i * 7) % len(GROUPS)],
                                      "role": "global_leader" if i == 0 else "team_member"},
        item_text=lambda j: f"Item {j}: a strategy to raise soil organic carbon stocks in "
                            f"region {j % 5}",
        carry_forward="all", max_rounds=n_rounds)
    return study_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--panellists", type=int, default=2_000)
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--formats", default="csv,xlsx,json",
                        help="comma-separated, among csv, xlsx, json")
    parser.add_argument("--with-report", action="store_true", help="also render report.html")
    parser.add_argument("--database", help="keep the SQLite file here (reused when it exists)")
    args = parser.parse_args()
    criteria = ("importance", "feasibility")

    from _world import open_app
    from sqlalchemy import select

    from delphi.core.database import db
    from delphi.core.models import Study

    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(args.database) if args.database else pathlib.Path(tmp) / "bench.sqlite"
        app, reuse = open_app(path)
        if reuse:
            with app.app_context():
                study_id = db.session.scalar(select(Study.id).where(Study.title == "Bench study"))
            print(f"reusing {path} (study {study_id})")
        else:
            t = time.perf_counter()
            study_id = build(app, args.panellists, args.items, args.rounds, criteria)
            n = args.panellists * args.items * len(criteria) * args.rounds
            print(f"built {args.panellists} panellists x {args.items} items x {len(criteria)} "
                  f"criteria x {args.rounds} rounds = {n:,} ratings in {time.perf_counter() - t:.1f} s "
                  f"({path.stat().st_size / 1e6:.0f} MB SQLite file)")
        formats = [f.strip() for f in args.formats.split(",") if f.strip()]
        medians = {}
        baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        with app.app_context():
            db.engine.dispose()  # no connection crosses the fork
        context = multiprocessing.get_context("fork")
        for fmt in formats:
            runs = []
            for run in range(args.repeats):
                queue = context.Queue()
                child = context.Process(target=_one_export,
                                        args=(app, study_id, fmt, args.with_report, queue))
                child.start()
                result = queue.get(timeout=1800)
                child.join()
                runs.append(result)
                print(f"{fmt} run {run + 1}: " + "  ".join(
                    f"{k} {v:.3f}s" for k, v in result["timings"].items())
                    + f"  peak {result['peak_mib']:.0f} MiB  ({result['rows']:,} rows, "
                      f"ZIP {result['bytes'] / 1e6:.1f} MB)")
            medians[fmt] = {k: statistics.median(r["timings"][k] for r in runs)
                            for k in runs[0]["timings"]}
            medians[fmt]["peak_mib"] = statistics.median(r["peak_mib"] for r in runs)
        print(f"\nde-identified export, median of {args.repeats} run(s) per format (SQLite"
              f"{', with report' if args.with_report else ''}); parent process "
              f"{baseline:.0f} MiB before forking; load average {os.getloadavg()}")
        keys = ("read", "build", "write", "codebook_report", "zip", "total", "peak_mib")
        print("  " + f"{'':<16}" + "".join(f"{fmt:>10}" for fmt in formats))
        for key in keys:
            unit = " MiB" if key == "peak_mib" else " s"
            print(f"  {key:<16}" + "".join(f"{medians[f][key]:>10.3f}" if key != "peak_mib"
                                           else f"{medians[f][key]:>10.0f}" for f in formats)
                  + unit)
        if "csv" in medians:
            csv_total = medians["csv"]["total"]
            print(f"target: CSV total < 10 s: {'OK' if csv_total < 10 else 'OVER TARGET'}")
            for fmt in formats:
                if fmt != "csv":
                    ratio = medians[fmt]["total"] / csv_total
                    print(f"{fmt} / csv total: {ratio:.2f}x")
            if "xlsx" in medians:
                ok = medians["xlsx"]["total"] <= 3 * csv_total and medians["xlsx"]["peak_mib"] < 1024
                print(f"target: XLSX within 3x CSV and peak < 1 GiB: {'OK' if ok else 'OVER TARGET'}")


def _one_export(app, study_id: int, fmt: str, with_report: bool, queue) -> None:
    """One export in this (forked) process; puts its timings and peak memory."""
    from delphi.core.database import db
    from delphi.core.models import Study
    from delphi.exports.package import build_package
    from delphi.exports.report import render_report

    with app.test_request_context():
        study = db.session.get(Study, study_id)
        report = (lambda s: render_report(s, standalone=True)) if with_report else None
        t = time.perf_counter()
        package = build_package(study, "deidentified", fmt, k=5, report_html=report)
        wall = time.perf_counter() - t
        db.session.rollback()
        db.engine.dispose()
    queue.put({"timings": {**package.timings, "wall": wall}, "rows": package.rows["ratings"],
               "bytes": len(package.data),
               "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})


if __name__ == "__main__":
    main()
