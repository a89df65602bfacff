"""Cache of rendered charts of closed rounds, and the HTTP response that serves them.

A closed round's statistics are frozen, so its charts never change: they are
rendered once and kept. Only the image requests draw (one chart each, so a
browser's parallel requests share the work); the dashboard pages print the
alt texts computed from the same numbers without drawing
(:func:`delphi.charts.specs.chart_alt`), which equal the
``alt`` of the rendered chart and its ``X-Chart-Alt`` header.

Design (chosen over a database table):

* **In-process LRU**, one per application (``app.extensions["chart_cache"]``),
  bounded by entries (``CHART_CACHE_ENTRIES``, default 512) and by bytes
  (``CHART_CACHE_BYTES``, default 64 MiB). A chart costs 50 ms (up to 2 s
  for the verdicts of 100 items) to draw and 20–200 kB to keep; a few hundred
  of them fit easily. Each worker fills its own cache on first use; nothing needs invalidating because the key
  names the freezing itself.
* **Key**: ``(study id, round number, freeze stamp, chart, criterion, item,
  format, language)``; the charts of an item of another kind than rating
  (gap to target, ranking, distribution of answers) have the criterion ``""``. The freeze stamp is the round's id, the id of its
  ``RoundStatistics`` row and that row's ``computed_at``, so a database that
  is wiped and refilled (ids reused) never serves a stale image.
* **HTTP**: a strong ``ETag`` (SHA-256 of the bytes; the renderer is
  deterministic, so the same figures give the same bytes in every worker)
  and ``Cache-Control: private, max-age=86400`` for frozen charts (private:
  only staff of the study may see them); ``If-None-Match`` gets a 304.
  Charts of a round that is not closed are drawn on every request and sent
  with ``Cache-Control: no-store``.

``hits`` and ``misses`` count lookups (the tests and the benchmark read them).
"""
from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass

from flask import Response, current_app, request
from flask_babel import gettext

from delphi.charts import specs
from delphi.config import current_policy
from rounds import results
from rounds.kinds import NO_CRITERION
from rounds.subgroups import subgroup_tables

MAX_AGE = 86_400


@dataclass(frozen=True)
class CachedChart:
    data: bytes
    mimetype: str
    alt: str
    etag: str
    frozen: bool


class ChartCache:
    """A thread-safe LRU of :class:`CachedChart`, bounded by count and bytes."""

    def __init__(self, max_entries: int = 512, max_bytes: int = 64 * 1024 * 1024):
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._items: OrderedDict[tuple, CachedChart] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple) -> CachedChart | None:
        with self._lock:
            entry = self._items.get(key)
            if entry is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return entry

    def put(self, key: tuple, entry: CachedChart) -> None:
        size = len(entry.data)
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= len(old.data)
            self._items[key] = entry
            self._bytes += size
            while self._items and (len(self._items) > self.max_entries
                                   or self._bytes > self.max_bytes):
                _key, evicted = self._items.popitem(last=False)
                self._bytes -= len(evicted.data)

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0


def cache_for(app=None) -> ChartCache:
    app = app or current_app
    cache = app.extensions.get("chart_cache")
    if cache is None:
        cache = app.extensions["chart_cache"] = ChartCache(
            app.config.get("CHART_CACHE_ENTRIES", 512),
            app.config.get("CHART_CACHE_BYTES", 64 * 1024 * 1024))
    return cache


def _etag(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]


def chart(study, rnd, name: str, fmt: str, *, criterion: str | None = None, item=None,
          language: str = "en") -> CachedChart:
    """The rendered chart, from the cache when the round is frozen."""
    stamp = results.freeze_stamp(rnd)
    criterion_key = criterion
    if item is not None and (getattr(item, "kind", None) or "rating") != "rating":
        criterion_key = NO_CRITERION  # the charts of the other kinds have no criterion
    elif criterion is None and name in ("verdicts", "verdict_counts", "convergence",
                                        "distribution"):
        criterion_key = (study.criteria or [None])[0]
    key = (study.id, rnd.number, stamp, name, criterion_key,
           getattr(item, "id", None), fmt, language)
    cache = cache_for()
    if stamp is not None:
        hit = cache.get(key)
        if hit is not None:
            return hit
    table = specs.chart_table(rnd, name, criterion=criterion, item=item, language=language)
    rendered = specs.render_chart(table, fmt, _=gettext)
    entry = CachedChart(rendered.data, rendered.mimetype, rendered.alt, _etag(rendered.data),
                        stamp is not None)
    if stamp is not None:
        cache.put(key, entry)
    return entry


_FROZEN_LOCK = threading.Lock()


def subgroups(rnd, *, language: str = "en"):
    """The subgroup tables of a frozen round, computed once per worker.

    Subgroups are computed from the submitted ratings (400,000 of them in a
    large round), so a closed round's result is kept beside its charts, in
    a small LRU (``SUBGROUP_CACHE_ENTRIES``, default 16) keyed like them.
    """
    stamp = results.freeze_stamp(rnd)
    if stamp is None:
        return subgroup_tables(rnd, language=language, policy=current_policy())
    app = current_app
    with _FROZEN_LOCK:
        store = app.extensions.setdefault("subgroup_cache", OrderedDict())
    key = (rnd.study_id, rnd.number, stamp, language)
    with _FROZEN_LOCK:
        if key in store:
            store.move_to_end(key)
            return store[key]
    value = subgroup_tables(rnd, language=language, policy=current_policy())
    with _FROZEN_LOCK:
        store[key] = value
        while len(store) > app.config.get("SUBGROUP_CACHE_ENTRIES", 16):
            store.popitem(last=False)
    return value


def send(entry: CachedChart, *, download_name: str | None = None) -> Response:
    """The HTTP response: the image with its ETag, or 304 when the client has it."""
    if entry.frozen and request.if_none_match.contains(entry.etag):
        response = Response(status=304)
    else:
        response = Response(entry.data, mimetype=entry.mimetype)
    response.set_etag(entry.etag)
    if entry.frozen:
        response.headers["Cache-Control"] = f"private, max-age={MAX_AGE}"
    else:
        response.headers["Cache-Control"] = "no-store"
    # The alt text travels with the image for API callers (ASCII-safe).
    alt = " ".join(entry.alt.split())
    response.headers["X-Chart-Alt"] = alt.encode("ascii", "backslashreplace").decode()[:2000]
    if download_name:
        response.headers["Content-Disposition"] = f'inline; filename="{download_name}"'
    return response
