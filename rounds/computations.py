"""Results computed from a closed round's frozen data, stored once in the
database and read by every worker: its inference (:mod:`rounds.inference`)
and its subgroup tables (:mod:`rounds.subgroups`).

A closed round's ratings and statistics never change, so neither does what is
computed from them (under the same policy settings and study settings). The
results are computed once, right after the close commits (``flask charts
render``, :mod:`delphi.exports.prerender`, in the same step that draws the
charts), kept in the ``round_computation`` table
(:class:`delphi.core.models.RoundComputation`) as JSON, and read with one
query by any worker, on any host that shares the database. Open rounds are
never stored (they change): their callers compute.

**A missing result is computed once, under a lock made of the unique
constraint (insert-or-lose: :mod:`delphi.core.claims`, which the chart store
``delphi.charts.store`` uses too)**: the worker that needs a missing result inserts a
*claim* (``data`` NULL) in its own short transaction; its insert wins: it
computes, writes the result into its claim and returns it (on failure it
deletes its claim); its insert loses: it re-reads every ``SETTINGS.poll``
seconds until the result is there, for at most ``SETTINGS.wait_seconds``,
then computes it itself without storing it (a request never fails because
another one is slow). A claim older than ``SETTINGS.claim_seconds`` (its
worker died) is deleted and claimed again.

The store reads and writes through its own connections, never the caller's
session (whose SQLite read snapshot might not see another worker's row). A
caller that holds the SQLite write lock itself only reads: a missing result is
then computed and returned without being stored.

A stored row carries a ``stamp`` (:func:`stamp_of`: the freeze stamps of the
rounds it read and the study settings it used); a row of another stamp (the
round frozen anew, a database refilled, a setting amended) is deleted and
computed again.

In front of the store, each process keeps the results it has read or
computed in a small LRU, per database engine (``SETTINGS.memory_entries``),
under the same key and stamp. :data:`COUNTERS` counts, per process,
``computed`` (results computed here, stored or not), ``hits`` (read from the
store), ``memory_hits`` and ``waits``; the tests assert on them.
"""
from __future__ import annotations

import hashlib
import json
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import select

from delphi.core import claims
from delphi.core.database import db
from delphi.core.jsonable import jsonable
from delphi.core.models import Round, RoundComputation, Study
from rounds import results

__all__ = ["COUNTERS", "SETTINGS", "forget_memory", "normal", "remembered", "stamp_of", "stored", "stored_keys"]

TABLE = RoundComputation.__table__


@dataclass
class Settings:
    #: How long a worker waits for another's computation before computing itself.
    wait_seconds: float = 60.0
    #: How often it re-reads the claim meanwhile.
    poll: float = 0.05
    #: A claim older than this is taken over (its worker died while computing).
    claim_seconds: float = 600.0
    #: Results kept in each process's memory, per database engine.
    memory_entries: int = 32


SETTINGS = Settings()


@dataclass
class Counters:
    computed: int = 0
    hits: int = 0
    memory_hits: int = 0
    waits: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, name: str) -> None:
        with self.lock:
            setattr(self, name, getattr(self, name) + 1)

    def reset(self) -> None:
        with self.lock:
            self.computed = self.hits = self.memory_hits = self.waits = 0


COUNTERS = Counters()

_MEMORY: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_MEMORY_LOCK = threading.Lock()

#: The study settings a round's computed results depend on.
_STUDY_SETTINGS = ("scale_points", "criteria", "consensus_rule", "quantile_method", "min_n",
                   "max_rounds", "stop_when_settled", "stop_w_threshold")


def stamp_of(rounds: Iterable[Round], study: Study) -> str | None:
    """The stamp of a result computed from ``rounds`` (closed and frozen) under
    ``study``'s settings: a digest of their freeze stamps
    (:func:`rounds.results.freeze_stamp`) and of the settings; None when one
    of them is not frozen (nothing is stored then)."""
    stamps = [results.freeze_stamp(r) for r in rounds]
    if not stamps or any(s is None for s in stamps):
        return None
    settings = {name: getattr(study, name, None) for name in _STUDY_SETTINGS}
    text = json.dumps([stamps, jsonable(settings)], sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:64]


def normal(value):
    """The value as every reader of the store gets it: :func:`jsonable`, then a
    JSON round trip (string keys, lists for tuples, no NaN)."""
    return json.loads(json.dumps(jsonable(value), allow_nan=False))


# -- the process's memory -------------------------------------------------------------

def _memory() -> OrderedDict:
    engine = db.engine
    with _MEMORY_LOCK:
        found = _MEMORY.get(engine)
        if found is None:
            found = _MEMORY[engine] = OrderedDict()
        return found


def _remember(key: tuple, value: dict) -> None:
    memory = _memory()
    with _MEMORY_LOCK:
        memory[key] = value
        memory.move_to_end(key)
        while len(memory) > SETTINGS.memory_entries:
            memory.popitem(last=False)


def _recall(key: tuple) -> dict | None:
    memory = _memory()
    with _MEMORY_LOCK:
        value = memory.get(key)
        if value is not None:
            memory.move_to_end(key)
        return value


def remembered(key: tuple, make: Callable[[], object]):
    """``make()``, kept in this process's memory under ``key`` (for what is
    derived from a stored result, e.g. the tables with the items' texts in one
    language); ``key`` must name the result's stamp."""
    value = _recall(("derived", *key))
    if value is None:
        value = make()
        _remember(("derived", *key), value)
    else:
        COUNTERS.count("memory_hits")
    return value


def forget_memory() -> None:
    """Empty this process's memory of results (as a fresh worker starts)."""
    with _MEMORY_LOCK:
        _MEMORY.clear()


# -- the store ------------------------------------------------------------------------

def _pause(seconds: float) -> None:
    """The wait between two re-reads of a claim (a seam for the tests)."""
    time.sleep(seconds)


#: The claims' events (``delphi.core.claims``) as :data:`COUNTERS` names them.
EVENTS = {"hit": "hits", "make": "computed", "wait": "waits"}


def stored(rnd: Round, key: str, stamp: str, compute: Callable[[], object]) -> dict:
    """The result ``key`` of the frozen round ``rnd`` computed under ``stamp``:
    from this process's memory, else from the store (one query), else
    ``compute()``'d once (insert-or-lose, see the module) and stored. The value
    is JSON (``compute()``'s result through :func:`delphi.core.jsonable.jsonable`):
    every worker gets the same one."""
    memory_key = (rnd.id, key, stamp)
    value = _recall(memory_key)
    if value is not None:
        COUNTERS.count("memory_hits")
        return value
    value = _from_store(rnd.id, key, stamp, compute)
    _remember(memory_key, value)
    return value


def _from_store(round_id: int, key: str, stamp: str, compute: Callable[[], object]) -> dict:
    row = claims.stored(
        TABLE, {"round_id": round_id, "key": key}, stamp, lambda: {"data": normal(compute())},
        wait_seconds=SETTINGS.wait_seconds, poll=SETTINGS.poll,
        claim_seconds=SETTINGS.claim_seconds,
        count=lambda event: EVENTS.get(event) and COUNTERS.count(EVENTS[event]),
        pause=lambda seconds: _pause(seconds))  # late-bound: the tests' seam
    return row["data"]


def stored_keys(round_id: int) -> dict[str, str]:
    """``{key: stamp}`` of the results of the round that are stored (claims not counted)."""
    with claims.connection(write=False) as conn:
        return {row.key: row.stamp for row in conn.execute(
            select(TABLE.c.key, TABLE.c.stamp).where(TABLE.c.round_id == round_id,
                                                     TABLE.c.data.is_not(None)))}
