"""Benchmark of the researchers' CSV export (issue 6).

Builds, on a temporary SQLite file, a study of 2,000 panellists × 100 items ×
2 criteria × 3 rounds (1.2 M submitted ratings, seeded, 5 % "cannot rate"):
the ratings are inserted in bulk with Core inserts (``bench/_world.py``), and
each round is opened and closed through ``rounds`` (so the frozen statistics are real; carry-forward
"all" keeps the 100 items in every round). Then times the de-identified CSV
export (``delphi.exports.build_package``) and prints the split: read (the one
query of plain integer columns into one int64 array), build (pandas reshaping,
pseudonyms, k-anonymity, CSPRNG shuffle), write (CSV), codebook/report, ZIP.
Median of ``--repeats`` runs. Target: < 10 s (without the report; ``--with-report``
adds the HTML report and its charts).

Run: ``python bench/bench_export.py [--panellists N] [--items K] [--rounds R] [--repeats N]
[--with-report] [--database FILE]``.
"""
from __future__ import annotations

import argparse
import pathlib
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
    parser.add_argument("--with-report", action="store_true", help="also render report.html")
    parser.add_argument("--database", help="keep the SQLite file here (reused when it exists)")
    args = parser.parse_args()
    criteria = ("importance", "feasibility")

    from _world import open_app
    from sqlalchemy import select

    from delphi.core.database import db
    from delphi.core.models import Study
    from delphi.exports.package import build_package
    from delphi.exports.report import render_report

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
        runs = []
        for run in range(args.repeats):
            with app.test_request_context():
                study = db.session.get(Study, study_id)
                report = (lambda s: render_report(s, standalone=True)) if args.with_report else None
                t = time.perf_counter()
                package = build_package(study, "deidentified", "csv", k=5, report_html=report)
                wall = time.perf_counter() - t
                db.session.rollback()
                db.engine.dispose()
            runs.append({**package.timings, "wall": wall})
            print(f"run {run + 1}: " + "  ".join(f"{k} {v:.3f}s" for k, v in runs[-1].items())
                  + f"  ({package.rows['ratings']:,} rows, ZIP {len(package.data) / 1e6:.1f} MB)")
        median = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        print(f"\nde-identified CSV export, median of {len(runs)} runs (SQLite"
              f"{', with report' if args.with_report else ''}):")
        for key in ("read", "build", "write", "codebook_report", "zip", "total"):
            print(f"  {key:<16} {median[key]:.3f} s")
        print(f"target: total < 10 s: {'OK' if median['total'] < 10 else 'OVER TARGET'}")


if __name__ == "__main__":
    main()
