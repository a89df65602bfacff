"""The chart store: a closed round's charts are drawn once, after the close
commits, stored in the database, and served by every worker without drawing;
a missing one is drawn once under the insert-or-lose claim."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD
from tests.factories import answer_round, build_study, close, get_round, open_round_of


def _closed_world(app, client, *, prerender="inline"):
    """Round 1 answered and closed through the moderator's close button."""
    world = build_study(app, n_panellists=6, n_items=2, criteria=("importance", "feasibility"))
    answer_round(app, world, 1)
    app.config.update(CHART_PRERENDER=prerender, CHART_PRERENDER_LANGUAGES=["en"])
    client.post("/login", data={"email": world.moderator, "password": PASSWORD})
    response = client.post(f"/studies/{world.study_id}/rounds/1/close", data={"confirm": "yes"})
    assert response.status_code == 303, response.get_data(as_text=True)
    return world


def _rows(app, world):
    from delphi.core.database import db
    from delphi.core.models import ChartImage

    with app.app_context():
        rnd = get_round(world, 1)
        return {(r.key, r.language, r.format): r for r in db.session.scalars(
            select(ChartImage).where(ChartImage.round_id == rnd.id))}


def test_closing_a_round_stores_its_charts_and_a_fresh_worker_serves_them_without_drawing(
        app, client, make_app):
    from delphi.charts.cache import cache_for

    world = _closed_world(app, client)
    rows = _rows(app, world)
    item = world.item_ids[0]
    for key in ("verdicts:importance:", "verdicts:feasibility:", "convergence:importance:",
                "participation::", "concordance::", f"distribution:feasibility:{item}"):
        for fmt in ("png", "svg"):
            assert rows[(key, "en", fmt)].data, key
    assert all(row.data and row.etag for row in rows.values())
    svg = rows[("verdicts:feasibility:", "en", "svg")]
    assert svg.mimetype.startswith("image/svg") and b"<svg" in svg.data

    fresh = make_app()  # another worker: nothing in its memory
    fresh_client = fresh.test_client()
    fresh_client.post("/login", data={"email": world.moderator, "password": PASSWORD})
    url = f"/studies/{world.study_id}/dashboard/rounds/1/charts/verdicts.svg?criterion=feasibility"
    response = fresh_client.get(url)
    assert response.status_code == 200
    assert response.data == svg.data and response.headers["ETag"] == f'"{svg.etag}"'
    item_png = fresh_client.get(f"/studies/{world.study_id}/dashboard/rounds/1/items/{item}"
                                "/distribution.png?criterion=importance")
    assert item_png.status_code == 200
    assert item_png.data == rows[(f"distribution:importance:{item}", "en", "png")].data
    counters = cache_for(fresh)
    assert (counters.draws, counters.hits) == (0, 2)
    # The same chart drawn anew gives the same bytes: the ETag holds across workers.
    from delphi.charts import cache as chart_cache

    with fresh.test_request_context():
        again = chart_cache.draw(get_round(world, 1), "verdicts", "svg",
                                 criterion="feasibility", language="en")
        assert again.etag == svg.etag


def test_the_close_in_subprocess_mode_starts_the_render_command(app, client, monkeypatch):
    from delphi.exports import prerender

    started = []
    monkeypatch.setattr(prerender.subprocess, "Popen",
                        lambda args, **kwargs: started.append(args))
    world = _closed_world(app, client, prerender="subprocess")
    rnd_id = next(iter(_round_ids(app, world)))
    assert started == [[prerender.sys.executable, "-m", "flask", "--app", "delphi", "charts",
                        "render", "--round", str(rnd_id)]]
    assert _rows(app, world) == {}  # drawn by that process, not by the close


def _round_ids(app, world):
    with app.app_context():
        return [get_round(world, 1).id]


def test_the_render_command_draws_what_is_missing_and_nothing_twice(app, runner):
    world = build_study(app, n_panellists=6, n_items=2, criteria=("importance",))
    answer_round(app, world, 1)
    close(app, world, 1)  # CHART_PRERENDER is "off" in the tests: nothing drawn
    assert _rows(app, world) == {}
    app.config["CHART_PRERENDER_LANGUAGES"] = ["en", "fr"]
    (rnd_id,) = _round_ids(app, world)
    first = runner.invoke(args=["charts", "render", "--round", str(rnd_id)])
    assert first.exit_code == 0, first.output
    rows = _rows(app, world)
    assert {lang for _k, lang, _f in rows} == {"en", "fr"}
    drawn = int(first.output.split(": ")[1].split()[0])
    assert drawn >= len(rows) > 0
    second = runner.invoke(args=["charts", "render", "--round", str(rnd_id)])
    assert ": 0 charts drawn" in second.output
    missing = runner.invoke(args=["charts", "render", "--round", "999999"])
    assert missing.exit_code != 0 and "No closed round 999999" in missing.output


def _claim_world(app):
    world = build_study(app, n_panellists=6, n_items=2, criteria=("importance",))
    answer_round(app, world, 1)
    close(app, world, 1)
    return world


def _entry(data: bytes):
    from delphi.charts.store import CachedChart, etag_of

    return CachedChart(data, "image/png", "alt", etag_of(data), True)


def test_two_workers_needing_the_same_missing_chart_draw_it_once(app, monkeypatch):
    """A deterministic race: worker A wins the insert and draws until B has
    lost its insert and begun waiting (re-reading); B then serves A's bytes.
    One draw in all."""
    from delphi.charts import store

    world = _claim_world(app)
    (rnd_id,) = _round_ids(app, world)
    stamp = _stamp(app, rnd_id)
    app.config["CHART_WAIT_POLL"] = 0.01
    a_drawing, b_waiting = threading.Event(), threading.Event()
    pause = store._pause

    def b_pauses(seconds):
        b_waiting.set()  # only a worker that lost the insert waits
        pause(seconds)

    monkeypatch.setattr(store, "_pause", b_pauses)
    drawn, served, errors = [], {}, []
    stats = store.stats_for(app)

    def a_draws():
        drawn.append("A")
        a_drawing.set()
        assert b_waiting.wait(10)
        return _entry(b"drawn by A")

    def b_draws():
        drawn.append("B")
        return _entry(b"drawn by B")

    def worker(name, draw):
        try:
            with app.app_context():
                if name == "B":
                    assert a_drawing.wait(10)
                served[name] = store.stored(rnd_id, stamp, "verdicts:importance:", "en", "png",
                                            draw)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
            a_drawing.set()
            b_waiting.set()

    threads = [threading.Thread(target=worker, args=("A", a_draws)),
               threading.Thread(target=worker, args=("B", b_draws))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    assert drawn == ["A"]
    assert served["A"].data == served["B"].data == b"drawn by A"
    assert (stats.waits, stats.draws) == (1, 1)
    assert _rows(app, world)[("verdicts:importance:", "en", "png")].data == b"drawn by A"


def _claim(app, rnd_id, stamp, key, *, age_seconds=0):
    from datetime import timedelta

    from delphi.core.database import db
    from delphi.core.models import ChartImage, utcnow

    with app.app_context():
        db.session.add(ChartImage(round_id=rnd_id, key=key, language="en", format="png",
                                  stamp=stamp, mimetype="", data=None, alt="", etag="",
                                  created_at=utcnow() - timedelta(seconds=age_seconds)))
        db.session.commit()


def _stamp(app, rnd_id):
    from delphi.core.database import db
    from delphi.core.models import Round
    from rounds.results import freeze_stamp

    with app.app_context():
        return freeze_stamp(db.session.get(Round, rnd_id))


def test_a_claim_that_never_finishes_costs_a_draw_not_an_error(app):
    from delphi.charts import store

    world = _claim_world(app)
    (rnd_id,) = _round_ids(app, world)
    stamp = _stamp(app, rnd_id)
    _claim(app, rnd_id, stamp, "verdicts:importance:")          # a worker still drawing
    _claim(app, rnd_id, stamp, "participation::", age_seconds=600)  # a worker that died
    app.config.update(CHART_WAIT_SECONDS=0, CHART_CLAIM_SECONDS=120)
    with app.app_context():
        slow = store.stored(rnd_id, stamp, "verdicts:importance:", "en", "png",
                            lambda: _entry(b"mine"))
        assert slow.data == b"mine"
        stale = store.stored(rnd_id, stamp, "participation::", "en", "png",
                             lambda: _entry(b"taken over"))
        assert stale.data == b"taken over"
    rows = _rows(app, world)
    assert rows[("verdicts:importance:", "en", "png")].data is None  # still the other's claim
    assert rows[("participation::", "en", "png")].data == b"taken over"


def test_a_failed_drawing_leaves_no_claim_behind(app):
    from delphi.charts import store

    world = _claim_world(app)
    (rnd_id,) = _round_ids(app, world)
    stamp = _stamp(app, rnd_id)

    def broken():
        raise RuntimeError("renderer failed")

    with app.app_context(), pytest.raises(RuntimeError):
        store.stored(rnd_id, stamp, "verdicts:importance:", "en", "png", broken)
    assert _rows(app, world) == {}
    with app.app_context():
        assert store.stored(rnd_id, stamp, "verdicts:importance:", "en", "png",
                            lambda: _entry(b"ok")).data == b"ok"


def test_an_image_of_another_freezing_is_never_served(app):
    from delphi.charts import store

    world = _claim_world(app)
    (rnd_id,) = _round_ids(app, world)
    stamp = _stamp(app, rnd_id)
    with app.app_context():
        store.stored(rnd_id, "old-stamp", "participation::", "en", "png", lambda: _entry(b"old"))
        assert store.stored(rnd_id, stamp, "participation::", "en", "png",
                            lambda: _entry(b"new")).data == b"new"


def test_an_open_rounds_live_chart_is_kept_briefly_then_drawn_again(app, client, auth):
    from delphi.charts.cache import cache_for

    world = _claim_world(app)
    open_round_of(app, world, 2)
    auth.login(world.moderator)
    url = f"/studies/{world.study_id}/dashboard/rounds/2/charts/participation.png"
    counters = cache_for(app)
    first = client.get(url)
    assert first.status_code == 200 and first.headers["Cache-Control"] == "no-store"
    draws = counters.live_draws
    assert client.get(url).data == first.data and counters.live_draws == draws
    app.extensions["chart_live_cache"].ttl = 0
    client.get(url)
    assert counters.live_draws == draws + 1
    with app.app_context():
        from delphi.charts import store
        assert store.stored_count(get_round(world, 2).id) == 0  # open rounds are never stored


def test_a_wrong_criterion_is_a_client_error_and_claims_nothing(app, client, auth):
    world = _claim_world(app)
    auth.login(world.moderator)
    response = client.get(f"/studies/{world.study_id}/dashboard/rounds/1/charts/"
                          "verdicts.png?criterion=nonsense")
    assert 400 <= response.status_code < 500
    assert _rows(app, world) == {}
