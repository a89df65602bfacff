"""The geometry of the feedback charts a panellist sees (inline SVG, drawn on the server).

Every chart of the questionnaire's feedback is computed here, as plain
numbers (SVG user units) that the templates put into ``<svg>`` elements
with classes and presentation attributes only: the Content-Security-Policy
(``delphi.security``) forbids inline styles and scripts, so there are none.
The marks are the same on every chart:

* the **IQR band** (``.iqr``: Q1 to Q3, the middle half of the panel);
* the **median** (``.median``: a thick vertical line);
* **your previous answer** (``.own``: a triangle pointing down at it);
* the panel's answers: bars per scale point (a rating), ticks (the other
  kinds), or one band and median per group (:func:`strata_chart`).

What the numbers mean (medians, quartiles, suppression) is decided in
``rounds``; this module only places them. Each chart also has a sentence
(:func:`rating_summary`) for its ``<title>``, and the page repeats the
figures in a table.
"""
from __future__ import annotations

import math

from flask_babel import gettext as _

from delphi.charts import numbers
from rounds.kinds import KINDS, LATER
from rounds.vocabulary import criterion_label

#: The drawing box of every chart: the axis runs from LEFT to RIGHT (of WIDTH).
WIDTH, LEFT, RIGHT = 400.0, 12.0, 388.0
#: A year item's "later" sits at LATER_X, right of its last year at YEAR_RIGHT.
LATER_X, YEAR_RIGHT = 388.0, 350.0

#: The rating chart's rows (user units, top to bottom): the own-answer marker,
#: the bars (their top at BAR_TOP when tallest, their foot on the axis), the
#: point labels.
RATING_HEIGHT = 124.0
OWN_TOP, OWN_TIP = 2.0, 16.0
BAR_TOP, AXIS_Y, LABEL_Y = 38.0, 94.0, 118.0
#: The IQR band's top: above the tallest bar's count (its baseline 4 above BAR_TOP),
#: below the own-answer marker's tip, so no line crosses a figure.
IQR_TOP = 20.0
#: A strata row (one group): its height and the band's height.
STRATA_HEIGHT, STRATA_BAND = 24.0, 14.0


def fmt(value) -> str:
    """A figure for the reader, in their language (:func:`delphi.charts.numbers.figure`):
    at most two decimals ("3,5" in French), "–" for none."""
    if value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)):
        return numbers.figure(value, 2, missing="–")
    return str(value)


def _r(value: float) -> float:
    return round(float(value), 2)


# -- rating items ---------------------------------------------------------------

def point_x(value: float, points: int) -> float:
    """The x of a rating ``value`` (1..points; halves for medians between two
    points) on a chart of ``points`` equal bins."""
    width = (RIGHT - LEFT) / points
    return _r(LEFT + (float(value) - 0.5) * width)


def own_marker(x: float) -> str:
    """The ``points`` of the own-answer triangle above ``x``."""
    return f"{_r(x - 7)},{OWN_TOP} {_r(x + 7)},{OWN_TOP} {_r(x)},{OWN_TIP}"


def rating_summary(criterion: str, fb: dict, own) -> str:
    """The chart's sentence: "Importance: median 4, IQR 3–5, your previous answer 2."."""
    parts = []
    if fb.get("median") is not None:
        parts.append(_("median %(m)s", m=fmt(fb["median"])))
    if fb.get("q1") is not None and fb.get("q3") is not None:
        parts.append(_("IQR %(q1)s–%(q3)s", q1=fmt(fb["q1"]), q3=fmt(fb["q3"])))
    if fb.get("n") is not None:
        parts.append(_("%(n)s ratings", n=fb["n"]))
    parts.append(_("your previous answer %(own)s", own=fmt(own)) if own is not None
                 else _("no previous answer of yours"))
    return _("%(criterion)s: %(figures)s.", criterion=criterion_label(criterion),
             figures=", ".join(parts))


def rating_chart(fb: dict, own, points: int) -> dict | None:
    """The geometry of a rating criterion's chart, or None when nothing can be
    drawn (suppressed, or neither counts nor a median shown).

    ``{"height", "bars": [{"point", "count", "x", "y", "width", "height",
    "label_y", "own"}], "axis_y", "label_y", "median", "iqr": {x, width},
    "own": x, "own_points"}``: bars for the distribution (when shown), the
    band from Q1's bin to Q3's, the median's x, the own answer's triangle."""
    if not fb or fb.get("suppressed"):
        return None
    counts = fb.get("counts")
    median, q1, q3 = fb.get("median"), fb.get("q1"), fb.get("q3")
    if not counts and median is None:
        return None
    width = (RIGHT - LEFT) / points
    bars = []
    if counts:
        top = max(counts) or 1
        for point, count in enumerate(counts, start=1):
            height = (AXIS_Y - BAR_TOP) * count / top
            bars.append({"point": point, "count": count,
                         "x": _r(point_x(point, points) - width * 0.3), "width": _r(width * 0.6),
                         "y": _r(AXIS_Y - height), "height": _r(height),
                         "label_y": _r(AXIS_Y - height - 4), "own": own == point})
    ticks = [{"point": p, "x": point_x(p, points)} for p in range(1, points + 1)]
    chart = {"height": RATING_HEIGHT, "width": WIDTH, "bars": bars, "ticks": ticks,
             "axis_y": AXIS_Y, "label_y": LABEL_Y, "left": LEFT, "right": RIGHT,
             "median": None if median is None else point_x(median, points),
             "iqr": None, "own": None, "own_points": None}
    if q1 is not None and q3 is not None:
        left = point_x(q1, points) - width / 2
        chart["iqr"] = {"x": _r(left), "width": _r(point_x(q3, points) + width / 2 - left),
                        "y": IQR_TOP, "height": _r(AXIS_Y - IQR_TOP)}
    if isinstance(own, (int, float)) and not isinstance(own, bool) and 1 <= own <= points:
        chart["own"] = point_x(own, points)
        chart["own_points"] = own_marker(chart["own"])
    return chart


def strata_chart(groups: list[dict], points: int) -> list[dict]:
    """One small band per group of split feedback (``rounds.feedback.strata_feedback``):
    ``[{..group, "band": {x, width} | None, "median_x": x | None}]`` on the same
    axis as :func:`rating_chart`, each drawn in a box ``STRATA_HEIGHT`` high.
    A suppressed group gets no marks."""
    out = []
    width = (RIGHT - LEFT) / points
    for group in groups:
        row = dict(group, band=None, median_x=None, height=STRATA_HEIGHT,
                   band_height=STRATA_BAND, band_y=(STRATA_HEIGHT - STRATA_BAND) / 2)
        if not group.get("suppressed") and group.get("median") is not None:
            row["median_x"] = point_x(group["median"], points)
            if group.get("q1") is not None and group.get("q3") is not None:
                left = point_x(group["q1"], points) - width / 2
                row["band"] = {"x": _r(left),
                               "width": _r(point_x(group["q3"], points) + width / 2 - left)}
        out.append(row)
    return out


# -- the other kinds: one strip ---------------------------------------------------

def scaler(low: float, high: float, right: float = RIGHT):
    """``x(value)`` on an axis from ``low`` (at LEFT) to ``high`` (at ``right``)."""
    span = (high - low) or 1.0

    def x(value: float) -> float:
        return _r(LEFT + (right - LEFT) * (float(value) - low) / span)
    return x


def nice_bounds(low: float, high: float, floor=None, ceiling=None) -> tuple[float, float]:
    """The strip's axis: ``low``..``high`` widened to round numbers (a step of 1, 2
    or 5 × 10ⁿ, about a tenth of the span), kept within the item's bounds."""
    span = (high - low) or max(abs(high), 1.0)
    raw = span / 10
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    low, high = math.floor(low / step) * step, math.ceil(high / step) * step
    if low == high:
        low, high = low - step, high + step
    if floor is not None:
        low = max(low, floor)
    if ceiling is not None:
        high = min(high, ceiling)
    return float(low), float(high)


def kind_strip(kind: str, params: dict, feedback: dict, own) -> dict | None:
    """The positions (SVG x) of what an estimate's, probability's or year's strip
    shows, or None when there is nothing to draw: the panel's answers as
    ticks, the IQR band, the median, the baseline and target, the combined
    P10–P90 of an estimate and the own previous answer (``own_points``: its
    triangle, as on the rating chart)."""
    values = list(feedback.get("values") or [])
    median, q1, q3 = feedback.get("median"), feedback.get("q1"), feedback.get("q3")
    baseline = (feedback.get("baseline") or {}).get("value")
    target = (feedback.get("target") or {}).get("value")
    own_number = KINDS[kind].number_of(params, own) if own is not None else None
    if kind == "year":
        low, high = float(params["min"]), float(params["max"])
        scale = scaler(low, high, YEAR_RIGHT)

        def x(value, later=False):
            if later or value == LATER:
                return LATER_X
            return None if value is None else scale(value)
        strip = {"low": str(params["min"]), "high": f"{params['max']} | " + _("later"),
                 "divider": _r((YEAR_RIGHT + LATER_X) / 2)}
        median_x = x(median, feedback.get("median_later"))
        q1_x, q3_x = x(q1, feedback.get("q1_later")), x(q3, feedback.get("q3_later"))
        own_x = x(own) if own is not None else None
    else:
        if kind == "probability":
            low, high = 0.0, 100.0
        else:
            seen = [v for v in [*values, median, q1, q3, baseline, target, own_number]
                    if v is not None]
            aggregate = feedback.get("aggregate") or {}
            seen += [aggregate[p] for p in ("p10", "p90") if aggregate.get(p) is not None]
            if not seen:
                return None
            low, high = nice_bounds(min(seen), max(seen), params.get("min"), params.get("max"))
        x = scaler(low, high)
        unit = "\u00a0%" if kind == "probability" else (
            f"\u00a0{params.get('unit')}" if params.get("unit") else "")
        strip = {"low": fmt(low) + unit, "high": fmt(high) + unit}
        median_x = None if median is None else x(median)
        q1_x, q3_x = (None, None) if q1 is None or q3 is None else (x(q1), x(q3))
        own_x = None if own_number is None else x(own_number)
    ticks, stacked = [], {}
    for value in values:
        position = x(value)
        if position is None:
            continue
        level = stacked[position] = stacked.get(position, -1) + 1
        ticks.append({"x": _r(position - 1), "y": 42 - 7 * min(level, 4)})
    aggregate = feedback.get("aggregate") or {}
    strip.update({
        "ticks": ticks, "median": median_x,
        "iqr": None if q1_x is None or q3_x is None else {"x": q1_x, "width": max(q3_x - q1_x, 1.0)},
        "baseline": None if kind == "year" or baseline is None else x(baseline),
        "target": None if kind == "year" or target is None else x(target),
        "own": own_x,
        "own_points": None if own_x is None else own_marker(own_x),
        "aggregate": ({"x": x(aggregate["p10"]),
                       "width": max(x(aggregate["p90"]) - x(aggregate["p10"]), 1.0)}
                      if kind == "estimate" and aggregate.get("p10") is not None else None),
    })
    return strip
