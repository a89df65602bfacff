"""A closed round's inference and subgroup tables are computed once, after the
close, stored in the database (``round_computation``) and read by every worker
with one query (:mod:`rounds.computations`); the dashboard's first view on a
fresh worker computes nothing."""
from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import delete, select, update

from tests.conftest import PASSWORD
from tests.factories import build_study, get_round, open_round_of, run_rounds

SUBGROUPS = "subgroups:min_cell=5"
INFERENCE = "inference:min_cell=5:translation=1"


@pytest.fixture
def counters():
    from rounds import computations

    computations.COUNTERS.reset()
    return computations.COUNTERS


def _world(app):
    """Rounds 1 and 2 answered and closed (round 2 reads round 1: attrition,
    opinion change); round 3 drafted."""
    world = build_study(app, n_panellists=10, n_items=3, criteria=("importance", "feasibility"))
    run_rounds(app, world, 2, seed=4)
    return world


def _rows(app, world, number):
    from delphi.core.database import db
    from delphi.core.models import RoundComputation

    with app.app_context():
        rnd = get_round(world, number)
        return {r.key: (r.stamp, r.data is not None) for r in db.session.scalars(
            select(RoundComputation).where(RoundComputation.round_id == rnd.id))}


def _dashboard(app, world, number, query=""):
    client = app.test_client()
    client.post("/login", data={"email": world.moderator, "password": PASSWORD})
    response = client.get(f"/studies/{world.study_id}/dashboard/rounds/{number}{query}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    # What differs from one request to the next whatever the figures.
    return re.sub(r'(name="csrf_token"[^>]*value=|nonce=)"[^"]*"', r'\1""', page)


def _sections(page: str) -> dict[str, str]:
    """The inference section and the subgroup tables of a dashboard page."""
    inference = re.search(r'<section id="inference".*?</section>', page, re.DOTALL)
    subgroups = re.search(r'<section id="subgroups".*?</section>', page, re.DOTALL)
    assert inference and subgroups, "the page has no inference or subgroup section"
    return {"inference": inference.group(0), "subgroups": subgroups.group(0)}


def _forget(app):
    """Nothing stored, nothing in this process's memory."""
    from delphi.core.database import db
    from delphi.core.models import RoundComputation
    from rounds import computations

    computations.forget_memory()
    with app.app_context():
        db.session.execute(delete(RoundComputation))
        db.session.commit()


def test_the_render_command_stores_them_and_a_fresh_worker_shows_the_same_figures_computing_nothing(
        app, make_app, runner, counters):
    world = _world(app)
    assert _rows(app, world, 2) == {}  # CHART_PRERENDER is "off" in the tests
    with app.app_context():
        rnd_id = get_round(world, 2).id
    app.config["CHART_PRERENDER_LANGUAGES"] = ["en"]
    first = runner.invoke(args=["charts", "render", "--round", str(rnd_id)])
    assert first.exit_code == 0, first.output
    assert "and 2 results computed" in first.output
    rows = _rows(app, world, 2)
    assert set(rows) == {SUBGROUPS, INFERENCE} and all(done for _s, done in rows.values())
    again = runner.invoke(args=["charts", "render", "--round", str(rnd_id)])
    assert "and 0 results computed" in again.output  # idempotent

    counters.reset()
    fresh = make_app()  # another worker: its own engine, nothing in its memory
    stored_page = _dashboard(fresh, world, 2, "?by=language")
    assert counters.computed == 0 and counters.hits == 2
    _dashboard(fresh, world, 2, "?by=region")  # the same worker again: from its memory
    assert counters.computed == 0 and counters.hits == 2

    # A fresh computation (nothing stored, nothing remembered) shows the same figures.
    _forget(app)
    computed_page = _dashboard(make_app(), world, 2, "?by=language")
    assert counters.computed == 2
    assert _sections(computed_page) == _sections(stored_page)
    assert all("<table" in section for section in _sections(stored_page).values())


def test_round_inference_and_subgroup_tables_read_back_equal_a_fresh_computation(
        app, make_app, counters):
    import rounds
    from delphi.core import database
    from rounds.inference import round_inference

    world = _world(app)

    def read(each):
        with each.test_request_context():
            token = database.sqlite_begin_mode.set("DEFERRED")  # as a GET request reads
            try:
                rnd = get_round(world, 2)
                tables = rounds.subgroup_tables(rnd, language="fr")
                return tables, round_inference(rnd, language="fr", subgroup_tables=tables)
            finally:
                database.sqlite_begin_mode.reset(token)

    computed_tables, computed = read(app)  # computes both, stores them
    assert counters.computed == 2
    stored_tables, stored = read(make_app())  # another worker: reads both
    assert counters.computed == 2 and counters.hits == 2
    assert stored == computed
    assert stored_tables == computed_tables
    assert stored.previous_round == 1 and stored.items
    assert any(i.attrition for i in stored.items) and any(i.opinion for i in stored.items)
    cells = [c for t in stored_tables["region"] for r in t.rows for c in r["cells"].values()]
    assert cells and all(isinstance(c.get("n"), int) for c in cells)


def test_two_workers_needing_the_same_missing_result_compute_it_once(app, make_app, counters,
                                                                     monkeypatch):
    """A deterministic race: worker A wins the claim and computes until B has lost
    its insert and begun waiting (re-reading); B then gets A's result."""
    import rounds
    from delphi.core import database
    from rounds import computations

    world = _world(app)
    other = make_app()
    a_computing, b_waiting = threading.Event(), threading.Event()
    pause = computations._pause

    def b_pauses(seconds):
        b_waiting.set()  # only a worker that lost the insert waits
        pause(seconds)

    monkeypatch.setattr(computations, "_pause", b_pauses)
    monkeypatch.setattr(computations.SETTINGS, "poll", 0.01)
    tables, errors = {}, []

    def worker(name, each):
        token = database.sqlite_begin_mode.set("DEFERRED")
        try:
            with each.test_request_context():
                rnd = get_round(world, 1)
                if name == "B":
                    assert a_computing.wait(10)
                    tables[name] = rounds.subgroup_tables(rnd)
                    return
                real = rounds.subgroups._tables_data

                def slow(*args):
                    a_computing.set()
                    assert b_waiting.wait(10)
                    return real(*args)

                monkeypatch.setattr(rounds.subgroups, "_tables_data", slow)
                tables[name] = rounds.subgroup_tables(rnd)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
            a_computing.set()
            b_waiting.set()
        finally:
            database.sqlite_begin_mode.reset(token)

    threads = [threading.Thread(target=worker, args=("A", app)),
               threading.Thread(target=worker, args=("B", other))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert (counters.computed, counters.waits, counters.hits) == (1, 1, 1)
    assert tables["A"] == tables["B"] and tables["A"]["region"]
    assert set(_rows(app, world, 1)) == {SUBGROUPS}


def test_a_new_freezing_or_another_min_cell_gives_a_new_result(app, make_app, counters):
    from delphi.core.database import db
    from delphi.core.models import RoundStatistics, utcnow

    world = _world(app)
    _dashboard(app, world, 2)
    assert counters.computed == 2
    before = _rows(app, world, 2)

    # The round frozen anew (its statistics rewritten): the old rows are never served.
    with app.app_context():
        rnd = get_round(world, 2)
        db.session.execute(update(RoundStatistics).where(RoundStatistics.round_id == rnd.id)
                           .values(computed_at=utcnow()))
        db.session.commit()
    _dashboard(make_app(), world, 2)
    assert counters.computed == 4
    after = _rows(app, world, 2)
    assert set(after) == set(before) == {SUBGROUPS, INFERENCE}
    assert all(after[key][0] != before[key][0] for key in after)

    # An earlier round frozen anew changes round 2's inference (it reads round 1),
    # not its subgroup tables.
    with app.app_context():
        rnd = get_round(world, 1)
        db.session.execute(update(RoundStatistics).where(RoundStatistics.round_id == rnd.id)
                           .values(computed_at=utcnow()))
        db.session.commit()
    _dashboard(make_app(), world, 2)
    assert counters.computed == 5
    assert _rows(app, world, 2)[SUBGROUPS] == after[SUBGROUPS]
    assert _rows(app, world, 2)[INFERENCE] != after[INFERENCE]

    # Another policy: its own rows beside the others.
    _dashboard(make_app(MIN_CELL=3), world, 2)
    assert counters.computed == 7
    assert set(_rows(app, world, 2)) == {SUBGROUPS, INFERENCE, "subgroups:min_cell=3",
                                         "inference:min_cell=3:translation=1"}


def test_an_open_round_is_never_stored(app, counters):
    world = _world(app)
    open_round_of(app, world, 3)
    page = _dashboard(app, world, 3)
    assert 'id="inference"' not in page
    assert _rows(app, world, 3) == {}
    assert counters.computed == 0


def test_a_failed_computation_leaves_no_claim_behind(app, counters):
    from delphi.core import database
    from rounds import computations

    world = _world(app)

    def broken():
        raise RuntimeError("computation failed")

    with app.test_request_context():
        token = database.sqlite_begin_mode.set("DEFERRED")
        try:
            rnd = get_round(world, 1)
            stamp = computations.stamp_of([rnd], rnd.study)
            with pytest.raises(RuntimeError):
                computations.stored(rnd, "test:x", stamp, broken)
            assert _rows(app, world, 1) == {}
            assert computations.stored(rnd, "test:x", stamp, lambda: {"ok": 1}) == {"ok": 1}
        finally:
            database.sqlite_begin_mode.reset(token)
    assert _rows(app, world, 1) == {"test:x": (stamp, True)}


def test_a_fresh_worker_loads_the_compiled_templates_instead_of_compiling_them(app, make_app,
                                                                              tmp_path):
    """The first view on a fresh worker also spent its time compiling templates:
    they are kept compiled in the instance folder (Jinja's bytecode cache)."""
    world = _world(app)
    folder = tmp_path / "templates-compiled"
    first = make_app(TEMPLATE_CACHE_DIR=str(folder))
    page = _dashboard(first, world, 2)
    assert len(list(folder.iterdir())) >= 3  # round.html, base.html, the macros...
    stamps = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    assert _dashboard(make_app(TEMPLATE_CACHE_DIR=str(folder)), world, 2) == page
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == stamps  # none recompiled
