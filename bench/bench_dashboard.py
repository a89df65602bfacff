"""Benchmark of the study dashboard of a large closed round (issue 5).

Builds, on a temporary SQLite file, a study of 2,000 panellists × 100 items ×
2 criteria (400,000 submitted ratings, inserted in bulk with Core inserts by
``bench/_world.py``), with varied stakeholder groups and regions (for the
subgroup tables), and closes the round with ``rounds.close_round`` so that the
frozen statistics are the real ones.

Then measures, through the Flask test client as the study's admin:

* **cold**: the first request of the dashboard page in a fresh process
  (frozen statistics, subgroups from the 400,000 ratings, templates compiled;
  no chart is drawn: the alt texts come from the charts' numbers through
  the chart specs' ``.alt``), then each of the six chart images it shows,
  one after the other ("charts": each is drawn once by its own request, in
  parallel in a browser);
* **warm**: the same requests again (charts and subgroups cached), median of
  ``--repeats`` runs. Target: under 1 s.

The load average is printed with the figures: other work on the machine
slows the cold figures most.

Run: ``python bench/bench_dashboard.py [--panellists N] [--items K] [--repeats R]
[--database FILE] [--profile]``. With ``--database`` the SQLite file is kept
and reused when it exists (building takes about a minute); ``--profile``
prints the cProfile of the cold page request.
"""
from __future__ import annotations

import argparse
import os
import pathlib
import re
import statistics
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))


def member(i: int, region_ids: list) -> dict:
    """Spread the panellists over stakeholder groups and regions. Uneven shares:
    "funder" has 5 panellists, so with "cannot rate" some of its cells fall under
    5 and are suppressed."""
    from delphi.core.models import STAKEHOLDER_GROUPS

    groups = STAKEHOLDER_GROUPS[:6]
    group = groups[0] if i % 100 < 40 else groups[1 + (i % 5)] if i % 400 else "funder"
    return {"stakeholder_group": group,
            "region_id": region_ids[i % len(region_ids)] if region_ids else None}


def timed(client, url: str) -> tuple[float, int, bytes]:
    t = time.perf_counter()
    response = client.get(url)
    return time.perf_counter() - t, response.status_code, response.data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--panellists", type=int, default=2_000)
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--database", help="keep the SQLite file here (reused when it exists)")
    parser.add_argument("--profile", action="store_true", help="cProfile the cold page request")
    args = parser.parse_args()
    criteria = ("importance", "feasibility")

    from _world import build_study, open_app
    from sqlalchemy import select

    from delphi.core.database import db
    from delphi.core.models import Round, User

    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(args.database) if args.database else pathlib.Path(tmp) / "bench.sqlite"
        app, reuse = open_app(path)
        if reuse:
            with app.app_context():
                rnd = db.session.scalar(select(Round).order_by(Round.id.desc()))
                study_id = rnd.study_id
                admin = db.session.scalar(select(User).where(User.is_admin.is_(True)))
                admin_identity = admin.get_id()
            print(f"reusing {path} (study {study_id})")
        else:
            t = time.perf_counter()
            study_id, (report,) = build_study(app, args.panellists, args.items, criteria,
                                              member=member)
            close_seconds = sum(report.timings.get(k, 0) for k in ("read", "statistics", "write"))
            with app.app_context():
                admin = db.session.scalar(select(User).where(User.is_admin.is_(True)))
                admin_identity = admin.get_id()
            print(f"built and closed {args.panellists} panellists x {args.items} items x "
                  f"{len(criteria)} criteria = {args.panellists * args.items * len(criteria):,} "
                  f"ratings in {time.perf_counter() - t:.1f} s (close_round {close_seconds:.2f} s)")

        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = admin_identity
            session["_fresh"] = True
        page_url = f"/studies/{study_id}/dashboard/rounds/1"

        def run(profile: bool = False) -> dict:
            if profile:
                import cProfile
                import pstats

                profiler = cProfile.Profile()
                profiler.enable()
            page_s, status, body = timed(client, page_url)
            if profile:
                profiler.disable()
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
            assert status == 200, body[:500]
            html = body.decode()
            images = [src.replace("&amp;", "&")
                      for src in re.findall(r'<img src="([^"]+)"', html)]
            chart_s = 0.0
            for src in images:
                seconds, status, data = timed(client, src)
                assert status == 200 and data[:4] == b"\x89PNG", src
                chart_s += seconds
            return {"page": page_s, "charts": chart_s, "total": page_s + chart_s,
                    "images": len(images), "html_kb": len(body) / 1024}

        cold = run(profile=args.profile)
        warm_runs = [run() for _ in range(args.repeats)]
        warm = {k: statistics.median(r[k] for r in warm_runs) for k in ("page", "charts", "total")}

        from delphi.chart_cache import cache_for

        cache = cache_for(app)
        print(f"\ndashboard of round 1 ({args.panellists} x {args.items} x {len(criteria)}, SQLite), "
              f"page of {cold['html_kb']:.0f} kB with {cold['images']} charts:")
        print(f"  cold   page {cold['page']:.3f} s   charts {cold['charts']:.3f} s   "
              f"total {cold['total']:.3f} s")
        print(f"  warm   page {warm['page']:.3f} s   charts {warm['charts']:.3f} s   "
              f"total {warm['total']:.3f} s   (median of {args.repeats})")
        print(f"  chart cache: {len(cache)} entries, {cache.hits} hits, {cache.misses} misses")
        print(f"  load average (1, 5, 15 min): {', '.join(f'{x:.2f}' for x in os.getloadavg())} "
              f"on {os.cpu_count()} CPUs")
        verdict = "OK" if warm["total"] < 1 else "OVER TARGET"
        print(f"target: warm (page + charts) < 1 s: {verdict}")


if __name__ == "__main__":
    main()
