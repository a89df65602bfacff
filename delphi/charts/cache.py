"""The rendered charts a request serves, and the HTTP response that serves them.

* **Closed rounds**: their charts are frozen; they come from the database
  store shared by every worker (:mod:`delphi.charts.store`), where the close
  put them (:mod:`delphi.charts.prerender`); a missing one is drawn once,
  under the store's insert-or-lose lock. Nothing is kept in a worker's memory.
* **Open rounds** (their live participation and concordance charts): drawn,
  then kept in a small in-process cache for ``CHART_LIVE_SECONDS`` (default
  30 s; bounded by ``CHART_LIVE_ENTRIES``, default 256), so a dashboard
  reloaded by several staff at once draws each chart once per worker and
  period, and shows the new figures within that period.

Only the image requests draw (one chart each, so a browser's parallel
requests share the work); the dashboard pages print the alt texts computed
from the same numbers without drawing (:func:`delphi.charts.specs.chart_alt`),
which equal the ``alt`` of the rendered chart and its ``X-Chart-Alt`` header.

**HTTP**: a strong ``ETag`` (SHA-256 of the bytes; the renderer is
deterministic, so the same figures give the same bytes in every worker) and
``Cache-Control: private, max-age=86400`` for frozen charts (private: only
staff of the study may see them); ``If-None-Match`` gets a 304. Live charts
are sent with ``Cache-Control: no-store``.

:func:`cache_for` gives the application's counters (``hits``, ``misses``,
``draws``, ``waits`` of the store, ``live_hits`` and ``live_draws`` of the
live cache, ``len()`` = live entries); the tests and benchmarks read them.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict

from flask import Response, current_app, request
from flask_babel import gettext

from delphi.charts import specs, store
from delphi.charts.store import CachedChart, etag_of
from delphi.config import current_policy
from rounds import results
from rounds.kinds import NO_CRITERION
from rounds.subgroups import subgroup_tables

MAX_AGE = 86_400

__all__ = ["CachedChart", "LiveCache", "cache_for", "chart", "send", "subgroups"]


class LiveCache:
    """A thread-safe LRU of the live charts of open rounds, each kept ``ttl`` seconds."""

    def __init__(self, ttl: float = 30.0, max_entries: int = 256):
        self.ttl = ttl
        self.max_entries = max_entries
        #: key -> (when it was drawn, the chart)
        self._items: OrderedDict[tuple, tuple[float, CachedChart]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple) -> CachedChart | None:
        now = time.monotonic()
        with self._lock:
            found = self._items.get(key)
            if found is None or now - found[0] >= self.ttl:
                self._items.pop(key, None)
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return found[1]

    def put(self, key: tuple, entry: CachedChart) -> None:
        with self._lock:
            self._items[key] = (time.monotonic(), entry)
            self._items.move_to_end(key)
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


class ChartCounters:
    """The counters of the store (shared per application) and of the live cache."""

    def __init__(self, app):
        self._app = app

    @property
    def _store(self):
        return store.stats_for(self._app)

    @property
    def live(self) -> LiveCache:
        return live_cache(self._app)

    hits = property(lambda self: self._store.hits)
    misses = property(lambda self: self._store.misses)
    draws = property(lambda self: self._store.draws)
    waits = property(lambda self: self._store.waits)
    live_hits = property(lambda self: self.live.hits)
    live_draws = property(lambda self: self.live.misses)

    def __len__(self) -> int:
        return len(self.live)

    def clear(self) -> None:
        self.live.clear()


def live_cache(app=None) -> LiveCache:
    app = app or current_app
    cache = app.extensions.get("chart_live_cache")
    if cache is None:
        cache = app.extensions.setdefault("chart_live_cache", LiveCache(
            float(app.config.get("CHART_LIVE_SECONDS", 30)),
            int(app.config.get("CHART_LIVE_ENTRIES", 256))))
    return cache


def cache_for(app=None) -> ChartCounters:
    return ChartCounters(app or current_app._get_current_object())


def _criterion_key(study, name: str, criterion: str | None, item) -> str | None:
    if item is not None and (getattr(item, "kind", None) or "rating") != "rating":
        return NO_CRITERION  # the charts of the other kinds have no criterion
    if criterion is None and name in ("verdicts", "verdict_counts", "convergence",
                                      "distribution"):
        return (study.criteria or [None])[0]
    return criterion


def draw(rnd, name: str, fmt: str, *, criterion: str | None = None, item=None,
         language: str = "en", frozen: bool = True) -> CachedChart:
    """Draw one chart now (in the current locale), without any cache."""
    table = specs.chart_table(rnd, name, criterion=criterion, item=item, language=language)
    rendered = specs.render_chart(table, fmt, _=gettext)
    return CachedChart(rendered.data, rendered.mimetype, rendered.alt, etag_of(rendered.data),
                       frozen)


def chart(study, rnd, name: str, fmt: str, *, criterion: str | None = None, item=None,
          language: str = "en") -> CachedChart:
    """The rendered chart: from the store when the round is frozen, else live."""
    stamp = results.freeze_stamp(rnd)
    criterion_key = _criterion_key(study, name, criterion, item)
    if stamp is None:
        key = (study.id, rnd.id, name, criterion_key, getattr(item, "id", None), fmt, language)
        cache = live_cache()
        hit = cache.get(key)
        if hit is not None:
            return hit
        entry = draw(rnd, name, fmt, criterion=criterion, item=item, language=language,
                     frozen=False)
        cache.put(key, entry)
        return entry
    if (criterion is not None and criterion_key == criterion
            and criterion not in (study.criteria or [])):
        # A wrong criterion: the table says so (a 4xx), before anything is claimed.
        specs.chart_table(rnd, name, criterion=criterion, item=item, language=language)
    return store.stored(
        rnd.id, stamp, store.chart_key(name, criterion_key, getattr(item, "id", None)),
        language, fmt,
        lambda: draw(rnd, name, fmt, criterion=criterion, item=item, language=language))


def subgroups(rnd, *, language: str = "en"):
    """The subgroup tables of a closed round under the application's policy:
    computed once and stored in the database with the round
    (:func:`rounds.subgroups.subgroup_tables`, :mod:`rounds.computations`)."""
    return subgroup_tables(rnd, language=language, policy=current_policy())


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
