"""Cold and warm first views of a closed round's pages, each on a fresh worker (issue 15).

Seeds (``bench._server.seed``: bulk inserts, round 1 answered and closed
through ``rounds``) a study of ``--panellists`` × ``--items`` × 2 criteria
(default 2,000 × 100 × 2: 400,000 ratings) on a fresh SQLite file or
PostgreSQL database, then, for each page (the dashboard of round 1, the page
of its first item, the HTML report) and each state of the chart store:

* ``stored``: the close's prerender has drawn the round's charts and stored
  its computed results (inference, subgroup tables) into the database (timed
  here: ``flask charts render`` does the same);
* ``empty``: both stores are emptied first, so the first view computes and
  draws (once, under the stores' locks) and stores them;

starts a fresh ``gunicorn -w 1 --threads 4`` (a new worker process, nothing
in its memory), logs in, and times the **cold** view: the page, then every
``<img>`` it shows, fetched 4 at a time as a browser would; then the **warm**
view: the same again on the same worker (median of 3). Each (page, state)
runs ``--repeats`` times, each on its own fresh server; the medians and the
cold/warm ratio are printed, with the load average.

Run: ``python bench/bench_pages.py [--database sqlite|postgresql]
[--panellists N] [--items K] [--repeats R] [--language en] [--pg-database NAME]``.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import html
import http.cookiejar
import pathlib
import re
import shutil
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from bench._server import (
    PASSWORD,
    Gunicorn,
    database_url,
    loadavg,
    make_app,
    seed,
    stop_on_signals,
)

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
IMG = re.compile(r'<img src="([^"]+)"')


class Browser:
    """A cookie-keeping client of the server (urllib, standard library only)."""

    def __init__(self, base: str, language: str):
        self.base, self.language = base, language
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> tuple[int, bytes]:
        request = urllib.request.Request(self.base + path,
                                         headers={"Accept-Language": self.language})
        with self.opener.open(request, timeout=300) as response:
            return response.status, response.read()

    def login(self, email: str) -> None:
        _status, page = self.get("/login")
        match = CSRF.search(page.decode())
        data = urllib.parse.urlencode({"csrf_token": match.group(1) or match.group(2),
                                       "email": email, "password": PASSWORD}).encode()
        request = urllib.request.Request(self.base + "/login", data=data,
                                         headers={"Accept-Language": self.language})
        with self.opener.open(request, timeout=120) as response:
            response.read()
            if "/login" in response.url:
                raise SystemExit(f"login of {email} failed")

    def view(self, path: str) -> tuple[float, int]:
        """The page and every image it shows (4 at a time); seconds, images."""
        t0 = time.perf_counter()
        status, body = self.get(path)
        if status != 200:
            raise SystemExit(f"{path}: HTTP {status}")
        images = [html.unescape(src) for src in IMG.findall(body.decode())
                  if not src.startswith("data:")]
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            for status, _data in pool.map(self.get, images):
                if status != 200:
                    raise SystemExit(f"an image of {path}: HTTP {status}")
        return time.perf_counter() - t0, len(images)


def empty_store(app) -> None:
    from delphi.core.database import db
    from delphi.core.models import ChartImage, RoundComputation

    with app.app_context():
        db.session.query(ChartImage).delete()
        db.session.query(RoundComputation).delete()
        db.session.commit()


def prerender(app, study_id: int, language: str) -> tuple[float, int]:
    from sqlalchemy import select

    from delphi.core.database import db
    from delphi.core.models import Round
    from delphi.exports.prerender import render_round

    app.config["CHART_PRERENDER_LANGUAGES"] = [language]
    with app.app_context():
        rnd = db.session.scalar(select(Round).where(Round.study_id == study_id,
                                                    Round.number == 1))
        t0 = time.perf_counter()
        drawn = render_round(rnd)
        return time.perf_counter() - t0, drawn


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--panellists", type=int, default=2000)
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--language", default="en")
    parser.add_argument("--pg-database", default="bench_pages")
    args = parser.parse_args(argv)

    import os

    os.environ["DELPHI_CHART_PRERENDER"] = "off"  # this script decides when to draw
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="bench-pages-"))
    print(f"bench_pages: {args.panellists} panellists x {args.items} items x 2 criteria, "
          f"{args.database}, language {args.language}, {args.repeats} repeats")
    print(f"load average at start: {loadavg()}")
    try:
        with stop_on_signals():
            url = database_url(args.database, workdir, args.pg_database)
            app = make_app(url, workdir / "instance")
            t0 = time.perf_counter()
            seeded = seed(app, args.panellists, args.items)
            print(f"seeded in {time.perf_counter() - t0:.1f} s")
            sid, item = seeded.study_id, seeded.item_ids[0]
            pages = {"dashboard": (seeded.moderator, f"/studies/{sid}/dashboard/rounds/1"),
                     "item page": (seeded.moderator,
                                   f"/studies/{sid}/dashboard/rounds/1/items/{item}"),
                     "report": (seeded.researcher, f"/studies/{sid}/report")}
            results = []
            for state in ("stored", "empty"):
                if state == "stored":
                    seconds, drawn = prerender(app, sid, args.language)
                    print(f"prerender (flask charts render) of round 1: {drawn} charts "
                          f"in {seconds:.1f} s, load average {loadavg()}")
                for name, (email, path) in pages.items():
                    colds, warms, images = [], [], 0
                    for _repeat in range(args.repeats):
                        if state == "empty":
                            empty_store(app)
                        with Gunicorn(url, workdir / "instance", workdir / "gunicorn.log",
                                      workers=1, threads=4) as server:
                            browser = Browser(server.base, args.language)
                            browser.login(email)
                            cold, images = browser.view(path)
                            warm = statistics.median(browser.view(path)[0] for _ in range(3))
                        colds.append(cold)
                        warms.append(warm)
                    results.append((name, state, images, statistics.median(colds),
                                    statistics.median(warms)))
            print()
            print(f"{'page':<12} {'store':<7} {'images':>6} {'cold ms':>9} {'warm ms':>9} "
                  f"{'cold/warm':>9}")
            for name, state, images, cold, warm in results:
                print(f"{name:<12} {state:<7} {images:>6} {cold * 1000:9.0f} {warm * 1000:9.0f} "
                      f"{cold / warm:9.2f}")
            print(f"load average at end: {loadavg()}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        if args.database == "postgresql":
            import sqlalchemy

            from bench._server import PG_SERVER

            engine = sqlalchemy.create_engine(f"{PG_SERVER}/postgres",
                                              isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                conn.execute(sqlalchemy.text(
                    f'DROP DATABASE IF EXISTS "{args.pg_database}" WITH (FORCE)'))
            engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
