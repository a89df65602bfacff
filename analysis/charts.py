"""Accessible, cacheable charts of Delphi-round results.

Every public function here is pure: it takes plain numbers, sequences or
numpy arrays (never ORM objects, never a request) and returns a
:class:`Chart`, the rendered image together with the alt text a screen reader
reads out instead of it.

Each ``<name>_chart`` has a ``<name>_alt`` twin with the same arguments that
validates them the same way and returns only the alt text, computed from the
inputs without drawing (drawing a 100-item chart costs a second or more): a
page can print the alt texts at once and let each ``<img>`` request draw its
image. ``<name>_alt(...) == <name>_chart(...).alt`` always.

Drawing uses matplotlib's object API only (:class:`matplotlib.figure.Figure`
rendered with ``Figure.savefig``); :mod:`matplotlib.pyplot` is never imported,
so no global figure manager or GUI backend is involved and figures can be
built in several server threads at once. matplotlib itself is imported on the
first drawing, not with this module, so the ``*_alt`` functions never load it.

Conventions shared by all charts:

* ``fmt`` is ``"png"`` or ``"svg"``; the output is 640 px wide (6.4 in at
  100 dpi), item lists grow taller with the number of items up to a cap.
* Colours come from the Okabe--Ito palette [1]_, which stays distinguishable
  under the common forms of colour-vision deficiency; where colour carries
  meaning it is doubled by a hatch, a marker or a text label.
* ``_`` is a gettext-like callable applied to every user-visible string
  (titles, axis labels, legend entries and the alt-text templates) before it
  is formatted, so the web app can pass ``flask_babel.gettext``.  Templates use
  :meth:`str.format` fields such as ``{n}``; translations must keep them.
  Data (item labels, criterion names, scale labels) is never translated.
* Empty inputs (no items, no rounds, no ratings) give a valid chart that says
  "No data"; malformed inputs raise :class:`ValueError` naming the argument.
* Output is deterministic: the same input gives the same bytes, so the web
  app can cache the image and derive an ETag from it.

References
----------
.. [1] Okabe, M. and Ito, K. (2008). *Color Universal Design (CUD): how to
   make figures and presentations that are friendly to colorblind people.*
   https://jfly.uni-koeln.de/color/
"""

from __future__ import annotations

import io
import math
import textwrap
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "Chart",
    "VERDICTS",
    "concordance_alt",
    "concordance_chart",
    "convergence_alt",
    "convergence_chart",
    "distribution_alt",
    "distribution_chart",
    "participation_alt",
    "participation_chart",
    "verdicts_alt",
    "verdicts_chart",
]

# --------------------------------------------------------------------------
# Style
# --------------------------------------------------------------------------

#: Okabe--Ito palette (black first, as in the original).
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
_GREY = "#999999"  # the grey that usually accompanies the Okabe--Ito set
_LIGHT = "#DDDDDD"
# Order used for series (lines per item or criterion); yellow is last because
# it is hard to see on white.
_SERIES_COLOURS = (
    OKABE_ITO["blue"],
    OKABE_ITO["vermillion"],
    OKABE_ITO["bluish_green"],
    OKABE_ITO["orange"],
    OKABE_ITO["reddish_purple"],
    OKABE_ITO["sky_blue"],
    OKABE_ITO["black"],
    OKABE_ITO["yellow"],
)
_SERIES_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")

_FONT = "DejaVu Sans"  # ships with matplotlib, so always available
_TITLE_SIZE = 11
_LABEL_SIZE = 9
_TICK_SIZE = 8

_WIDTH_IN = 6.4
_DPI = 100
_ROW_IN = 0.2  # height of one item row in item-list charts
_MAX_HEIGHT_IN = 20.0  # 2000 px; beyond that rows get thinner, not taller
_LABEL_CHARS = 40  # item labels longer than this are cut with an ellipsis

_MIMETYPES = {"png": "image/png", "svg": "image/svg+xml"}

#: Verdict codes accepted by :func:`verdicts_chart`, in legend order.
VERDICTS = ("consensus_in", "consensus_out", "no_consensus", "insufficient_n")
_VERDICT_NAMES = {  # passed through ``_`` at call time
    "consensus_in": "Consensus to include",
    "consensus_out": "Consensus to exclude",
    "no_consensus": "No consensus",
    "insufficient_n": "Too few responses",
}
_VERDICT_STYLE = {  # colour plus hatch, so colour is never the only cue
    "consensus_in": (OKABE_ITO["bluish_green"], None),
    "consensus_out": (OKABE_ITO["vermillion"], None),
    "no_consensus": (OKABE_ITO["orange"], "////"),
    "insufficient_n": (_GREY, "...."),
}

# Items listed one by one in the alt text up to this many; beyond, only a
# summary (the web app shows the full table next to the chart).
_ALT_ITEM_LIMIT = 12

# Only the SVG renderer reads rcParams we care about at draw time (the salt
# of its clip-path and marker ids, and the text mode).  rc_context changes the
# global rcParams for the duration of the block, so SVG renders are serialised
# by this lock; everything else is set as explicit artist properties.
_SVG_RC = {"svg.hashsalt": "delphi-charts", "svg.fonttype": "path"}
_SVG_LOCK = threading.Lock()


def _identity(message: str) -> str:
    return message


_MPL: SimpleNamespace | None = None


def _mpl() -> SimpleNamespace:
    """matplotlib, imported on the first drawing.

    The ``*_alt`` functions never draw, so a page that only shows alt texts
    does not pay for importing matplotlib (about a second on a cold worker).
    """
    global _MPL
    if _MPL is None:
        import matplotlib
        from matplotlib.figure import Figure
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch
        from matplotlib.ticker import FixedLocator, MaxNLocator, PercentFormatter

        _MPL = SimpleNamespace(
            matplotlib=matplotlib, Figure=Figure, Line2D=Line2D, Patch=Patch,
            FixedLocator=FixedLocator, MaxNLocator=MaxNLocator,
            PercentFormatter=PercentFormatter)
    return _MPL


# --------------------------------------------------------------------------
# Result
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Chart:
    """A rendered chart.

    Attributes
    ----------
    data : bytes
        The encoded image (PNG or SVG document).
    mimetype : str
        ``"image/png"`` or ``"image/svg+xml"``.
    alt : str
        A description of what the chart shows, with its key numbers, in
        full sentences, for the ``alt`` attribute of the ``<img>``.
    fmt : str
        ``"png"`` or ``"svg"``.
    """

    data: bytes = field(repr=False)
    mimetype: str
    alt: str
    fmt: str


# --------------------------------------------------------------------------
# Validation helpers
# --------------------------------------------------------------------------


def _check_fmt(fmt: object) -> str:
    if fmt not in _MIMETYPES:
        raise ValueError(f"fmt must be 'png' or 'svg', got {fmt!r}")
    return fmt  # type: ignore[return-value]


def _as_float_1d(values: object, name: str, *, allow_none: bool = False) -> np.ndarray:
    """Convert to a 1-D float array; ``None`` becomes NaN if *allow_none*."""
    if isinstance(values, (str, bytes)):
        raise ValueError(f"{name} must be a sequence of numbers, got a string")
    seq = list(values)  # type: ignore[call-overload]
    if allow_none:
        seq = [math.nan if v is None else v for v in seq]
    try:
        arr = np.asarray(seq, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must contain only numbers") from None
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    return arr


def _as_counts(values: object, name: str) -> np.ndarray:
    arr = _as_float_1d(values, name)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite")
    if np.any(arr < 0):
        raise ValueError(f"{name} must not be negative")
    if np.any(arr != np.round(arr)):
        raise ValueError(f"{name} must be whole numbers")
    return arr.astype(np.int64)


def _check_unit_interval(arr: np.ndarray, name: str) -> None:
    """Values must lie in [0, 1]; NaN (undefined) is allowed."""
    finite = arr[~np.isnan(arr)]
    if np.any(np.isinf(finite)) or np.any((finite < 0) | (finite > 1)):
        raise ValueError(f"{name} must lie between 0 and 1 (NaN where undefined)")


def _as_rounds(round_numbers: object) -> np.ndarray:
    arr = _as_float_1d(round_numbers, "round_numbers")
    if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
        raise ValueError("round_numbers must be whole numbers")
    if np.any(np.diff(arr) <= 0):
        raise ValueError("round_numbers must be strictly increasing")
    return arr.astype(np.int64)


def _as_labels(labels: object, name: str) -> list[str]:
    if isinstance(labels, (str, bytes)):
        raise ValueError(f"{name} must be a sequence of strings, got a string")
    return [str(label) for label in labels]  # type: ignore[union-attr]


def _check_length(name: str, n: int, expected_name: str, expected: int) -> None:
    if n != expected:
        raise ValueError(
            f"{name} has {n} entries but {expected_name} has {expected}; "
            "they must have the same length"
        )


# --------------------------------------------------------------------------
# Formatting helpers
# --------------------------------------------------------------------------


def _truncate(label: str, width: int = _LABEL_CHARS) -> str:
    """Cut *label* to at most *width* characters, ending with an ellipsis."""
    label = " ".join(label.split())
    if len(label) <= width:
        return label
    return label[: width - 1].rstrip() + "\u2026"


def _num(x: float) -> str:
    """Format a number for reading: ``4`` not ``4.0``, at most 2 decimals."""
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _pct(x: float) -> str:
    return f"{x * 100:.0f}%"


def _round_list(rounds: Sequence[int]) -> str:
    return ", ".join(str(r) for r in rounds)


# --------------------------------------------------------------------------
# Figure helpers
# --------------------------------------------------------------------------


def _figure(height_in: float) -> Figure:
    return _mpl().Figure(
        figsize=(_WIDTH_IN, height_in),
        dpi=_DPI,
        facecolor="white",
        layout="constrained",
    )


def _item_height(n_rows: int, extra_in: float = 1.2) -> float:
    """Figure height for a chart with one row per item, capped."""
    return float(min(max(extra_in + _ROW_IN * n_rows, 2.4), _MAX_HEIGHT_IN))


def _style_axes(ax, *, grid_axis: str = "y") -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color("#555555")
    ax.tick_params(
        labelsize=_TICK_SIZE,
        labelfontfamily=_FONT,
        colors="#333333",
        length=3,
    )
    ax.grid(axis=grid_axis, color=_LIGHT, linewidth=0.6)
    ax.set_axisbelow(True)


def _set_title(ax, title: str) -> None:
    ax.figure.suptitle(title, x=0.01, ha="left", fontsize=_TITLE_SIZE, fontfamily=_FONT)


def _axis_label(ax, *, x: str | None = None, y: str | None = None) -> None:
    if x is not None:
        ax.set_xlabel(x, fontsize=_LABEL_SIZE, fontfamily=_FONT)
    if y is not None:
        ax.set_ylabel(y, fontsize=_LABEL_SIZE, fontfamily=_FONT)


def _legend(ax, handles, labels, *, ncols: int, where: str = "below") -> None:
    kwargs = dict(
        frameon=False,
        ncols=ncols,
        prop={"family": _FONT, "size": _TICK_SIZE},
        handlelength=1.6,
        columnspacing=1.2,
    )
    if where == "below":
        ax.figure.legend(handles, labels, loc="outside lower left", **kwargs)
    elif where == "above":
        ax.figure.legend(handles, labels, loc="outside upper left", **kwargs)
    else:
        ax.legend(handles, labels, loc="best", **kwargs)


def _round_axis(ax, rounds: np.ndarray, label: str) -> None:
    ax.xaxis.set_major_locator(_mpl().FixedLocator(rounds.astype(float)))
    ax.set_xticklabels([str(r) for r in rounds])
    pad = 0.3 if len(rounds) > 1 else 0.7
    ax.set_xlim(rounds[0] - pad, rounds[-1] + pad)
    _axis_label(ax, x=label)


def _render(fig: Figure, fmt: str, alt: str) -> Chart:
    buffer = io.BytesIO()
    if fmt == "svg":
        with _SVG_LOCK, _mpl().matplotlib.rc_context(_SVG_RC):
            fig.savefig(buffer, format="svg", dpi=_DPI, metadata={"Date": None})
    else:
        fig.savefig(buffer, format="png", dpi=_DPI, metadata={"Software": None})
    return Chart(data=buffer.getvalue(), mimetype=_MIMETYPES[fmt], alt=alt, fmt=fmt)


def _no_data_alt(title: str, _: Callable[[str], str]) -> str:
    return _("{title}: no data to show yet.").format(title=title)


def _no_data(title: str, fmt: str, _: Callable[[str], str]) -> Chart:
    fig = _figure(2.0)
    ax = fig.add_subplot()
    ax.set_axis_off()
    _set_title(ax, title)
    ax.text(
        0.5,
        0.5,
        _("No data"),
        ha="center",
        va="center",
        fontsize=_TITLE_SIZE,
        fontfamily=_FONT,
        color="#555555",
        transform=ax.transAxes,
    )
    return _render(fig, fmt, _no_data_alt(title, _))


@dataclass(frozen=True, slots=True)
class _Spec:
    """A chart's validated inputs and its alt text, before any drawing.

    ``data`` holds what the drawing function needs; None means "No data".
    Every chart computes its alt text here, from its inputs alone, so the
    ``*_alt`` functions give exactly the alt of the drawn chart without
    drawing it (drawing a 100-item chart takes a second or more).
    """

    title: str
    alt: str
    data: dict | None = None


def _draw(spec: _Spec, drawer: Callable[..., Figure], fmt: str,
          _: Callable[[str], str]) -> Chart:
    if spec.data is None:
        return _no_data(spec.title, fmt, _)
    return _render(drawer(spec.title, _, **spec.data), fmt, spec.alt)


# --------------------------------------------------------------------------
# 1. Distribution of ratings for one item
# --------------------------------------------------------------------------


def distribution_chart(
    counts: Sequence[float],
    *,
    labels: Sequence[str],
    median: float | None = None,
    q1: float | None = None,
    q3: float | None = None,
    own: int | None = None,
    title: str | None = None,
    fmt: str = "png",
    _: Callable[[str], str] = _identity,
) -> Chart:
    """Bar chart of how many panellists chose each point of a rating scale.

    Parameters
    ----------
    counts : sequence of int
        Number of ratings at each scale point, aligned with *labels*; whole,
        non-negative numbers.
    labels : sequence of str
        Scale-point labels in scale order, e.g. ``"1 Strongly disagree"``.
        A scale of ``k`` labels runs from 1 to ``k``.
    median : float, optional
        Median rating, on the 1..k scale; drawn as a vertical line.
    q1, q3 : float, optional
        First and third quartiles, on the 1..k scale; given together, drawn
        as a shaded interquartile band.  ``q1 <= median <= q3`` is required.
    own : int, optional
        The panellist's own rating (1-based scale value); its bar is
        highlighted with a different colour, a hatch and a "Your answer"
        note.
    title : str, optional
        Chart title; defaults to ``_("Distribution of ratings")``.
    fmt : {"png", "svg"}
        Output format.
    _ : callable, optional
        gettext-like translation function applied to every user-visible
        string; identity by default.

    Returns
    -------
    Chart
        The image and its alt text, which gives n, the count at every scale
        point, the median and IQR and the panellist's own answer.

    Raises
    ------
    ValueError
        If *fmt* is unknown, *counts* and *labels* differ in length, a count
        is negative or fractional, or *median*, *q1*, *q3* or *own* lie off
        the scale.

    Notes
    -----
    No ratings at all (empty *labels* or all counts zero) gives a "No data"
    chart rather than an error.

    Examples
    --------
    >>> chart = distribution_chart(
    ...     [0, 1, 2, 5, 2],
    ...     labels=["1 Strongly disagree", "2 Disagree", "3 Neutral",
    ...             "4 Agree", "5 Strongly agree"],
    ...     median=4, q1=3, q3=4, own=2)
    >>> chart.mimetype
    'image/png'
    >>> "n = 10" in chart.alt
    True
    """
    spec = _distribution_spec(counts, labels, median, q1, q3, own, title, fmt, _)
    return _draw(spec, _draw_distribution, fmt, _)


def distribution_alt(
    counts: Sequence[float],
    *,
    labels: Sequence[str],
    median: float | None = None,
    q1: float | None = None,
    q3: float | None = None,
    own: int | None = None,
    title: str | None = None,
    fmt: str = "png",
    _: Callable[[str], str] = _identity,
) -> str:
    """The alt text of :func:`distribution_chart` for the same arguments, without drawing.

    Validates the arguments exactly as :func:`distribution_chart` does (and raises
    the same :class:`ValueError`) and returns the string that chart's
    ``alt`` would be: cheap enough for a page to show the alt texts of
    charts whose images are drawn by separate requests.
    """
    return _distribution_spec(counts, labels, median, q1, q3, own, title, fmt, _).alt


def _distribution_spec(counts, labels, median, q1, q3, own, title, fmt, _) -> _Spec:
    fmt = _check_fmt(fmt)
    labels = _as_labels(labels, "labels")
    values = _as_counts(counts, "counts")
    _check_length("counts", len(values), "labels", len(labels))
    k = len(labels)

    def on_scale(value, name):
        if value is None:
            return None
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be a number on the 1..{k} scale") from None
        if not (1 <= v <= k):
            raise ValueError(f"{name} must lie on the scale 1..{k}, got {value!r}")
        return v

    median = on_scale(median, "median")
    q1 = on_scale(q1, "q1")
    q3 = on_scale(q3, "q3")
    if (q1 is None) != (q3 is None):
        raise ValueError("q1 and q3 must be given together")
    if q1 is not None and q1 > q3:
        raise ValueError("q1 must not exceed q3")
    if median is not None and q1 is not None and not (q1 <= median <= q3):
        raise ValueError("median must lie between q1 and q3")
    if own is not None:
        own_v = on_scale(own, "own")
        if own_v != round(own_v):
            raise ValueError(f"own must be a whole scale value 1..{k}, got {own!r}")
        own = int(own_v)

    title = _("Distribution of ratings") if title is None else title
    n = int(values.sum())
    if k == 0 or n == 0:
        return _Spec(title, _no_data_alt(title, _))

    parts = [
        _("{title}: bar chart of the ratings on a {k}-point scale, n = {n}.").format(
            title=title, k=k, n=n
        ),
        "; ".join(f"{lab}: {v}" for lab, v in zip(labels, values)) + ".",
    ]
    if median is not None and q1 is not None:
        parts.append(_("Median {median}, interquartile range {q1} to {q3}.").format(
            median=_num(median), q1=_num(q1), q3=_num(q3)))
    elif median is not None:
        parts.append(_("Median {median}.").format(median=_num(median)))
    elif q1 is not None:
        parts.append(_("Interquartile range {q1} to {q3}.").format(q1=_num(q1), q3=_num(q3)))
    if own is not None:
        parts.append(_("Your answer: {answer}.").format(answer=labels[own - 1]))
    return _Spec(title, " ".join(parts), dict(labels=labels, values=values, median=median,
                                              q1=q1, q3=q3, own=own))


def _draw_distribution(title, _, *, labels, values, median, q1, q3, own) -> Figure:
    k = len(labels)
    fig = _figure(3.6)
    ax = fig.add_subplot()
    _style_axes(ax, grid_axis="y")
    _set_title(ax, title)
    x = np.arange(1, k + 1)

    if q1 is not None:
        # a zero-width band would vanish; give it a hairline minimum
        lo, hi = (q1, q3) if q3 > q1 else (q1 - 0.03, q3 + 0.03)
        ax.axvspan(lo, hi, color=OKABE_ITO["sky_blue"], alpha=0.25, linewidth=0,
                   label=_("Interquartile range"), zorder=0)
    colours = [OKABE_ITO["blue"]] * k
    hatches = [None] * k
    if own is not None:
        colours[own - 1] = OKABE_ITO["orange"]
        hatches[own - 1] = "//"
    bars = ax.bar(x, values, width=0.7, color=colours, edgecolor="white", zorder=2)
    for bar, hatch in zip(bars, hatches):
        if hatch:
            bar.set_hatch(hatch)
            bar.set_edgecolor(OKABE_ITO["black"])
            bar.set_linewidth(0.6)
    top = int(values.max())
    for xi, v in zip(x, values):
        ax.text(xi, v + top * 0.02, str(v), ha="center", va="bottom",
                fontsize=_TICK_SIZE, fontfamily=_FONT, color="#333333", zorder=4,
                bbox={"boxstyle": "square,pad=0.1", "facecolor": "white",
                      "edgecolor": "none"})
    if median is not None:
        ax.axvline(median, color=OKABE_ITO["black"], linewidth=1.6, linestyle="-",
                   label=_("Median"), zorder=3)
    if own is not None:
        ax.annotate(_("Your answer"), xy=(own, values[own - 1]),
                    xytext=(0, 14), textcoords="offset points", ha="center",
                    fontsize=_TICK_SIZE, fontfamily=_FONT,
                    color=OKABE_ITO["vermillion"], fontweight="bold")

    ax.set_xlim(0.4, k + 0.6)
    ax.set_ylim(0, top * 1.25 + 0.5)
    ax.yaxis.set_major_locator(_mpl().MaxNLocator(integer=True, nbins=5))
    ax.xaxis.set_major_locator(_mpl().FixedLocator(x.astype(float)))
    wrap = max(6, 84 // k)
    ax.set_xticklabels(
        ["\n".join(textwrap.wrap(_truncate(lab, 2 * wrap), wrap) or [""]) for lab in labels]
    )
    _axis_label(ax, y=_("Number of panellists"))
    handles, names = ax.get_legend_handles_labels()
    if handles:
        _legend(ax, handles, names, ncols=len(handles), where="inside")
    return fig


# --------------------------------------------------------------------------
# 2. Verdicts of a round
# --------------------------------------------------------------------------


def verdicts_chart(
    item_labels: Sequence[str],
    verdicts: Sequence[str],
    *,
    agreement: Sequence[float] | None = None,
    fmt: str = "png",
    title: str | None = None,
    _: Callable[[str], str] = _identity,
) -> Chart:
    """The verdict of every item of a round.

    With *agreement*, one horizontal bar per item (in the given order, top
    to bottom) whose length is the item's agreement and whose colour and
    hatch give its verdict.  Without it, one bar per verdict giving the
    number of items that reached it.

    Parameters
    ----------
    item_labels : sequence of str
        Item labels; those longer than 40 characters are shortened with an
        ellipsis on the chart (the alt text keeps them whole).
    verdicts : sequence of str
        One of ``"consensus_in"``, ``"consensus_out"``, ``"no_consensus"``,
        ``"insufficient_n"`` per item.
    agreement : sequence of float, optional
        Agreement per item, between 0 and 1; NaN (or ``None``) where it is
        undefined, e.g. too few responses.
    fmt : {"png", "svg"}
        Output format.
    title : str, optional
        Chart title; defaults to ``_("Verdicts by item")``.
    _ : callable, optional
        gettext-like translation function; identity by default.

    Returns
    -------
    Chart
        The image and its alt text, which gives the number of items per
        verdict and, for up to 12 items, each item's agreement and verdict.

    Raises
    ------
    ValueError
        If *fmt* or a verdict is unknown, the lengths differ, or an agreement
        lies outside 0..1.

    Notes
    -----
    The figure is 640 px wide and grows 20 px per item up to 2000 px; past
    that (about 90 items) rows get thinner and so does their text.
    """
    spec = _verdicts_spec(item_labels, verdicts, agreement, title, fmt, _)
    return _draw(spec, _draw_verdicts, fmt, _)


def verdicts_alt(
    item_labels: Sequence[str],
    verdicts: Sequence[str],
    *,
    agreement: Sequence[float] | None = None,
    fmt: str = "png",
    title: str | None = None,
    _: Callable[[str], str] = _identity,
) -> str:
    """The alt text of :func:`verdicts_chart` for the same arguments, without drawing.

    Validates the arguments exactly as :func:`verdicts_chart` does (and raises
    the same :class:`ValueError`) and returns the string that chart's
    ``alt`` would be: cheap enough for a page to show the alt texts of
    charts whose images are drawn by separate requests.
    """
    return _verdicts_spec(item_labels, verdicts, agreement, title, fmt, _).alt


def _verdicts_spec(item_labels, verdicts, agreement, title, fmt, _) -> _Spec:
    fmt = _check_fmt(fmt)
    labels = _as_labels(item_labels, "item_labels")
    verdict_list = _as_labels(verdicts, "verdicts")
    _check_length("verdicts", len(verdict_list), "item_labels", len(labels))
    unknown = sorted({v for v in verdict_list if v not in VERDICTS})
    if unknown:
        raise ValueError(
            f"verdicts contains unknown values {unknown}; allowed: {', '.join(VERDICTS)}"
        )
    agree = None
    if agreement is not None:
        agree = _as_float_1d(agreement, "agreement", allow_none=True)
        _check_length("agreement", len(agree), "item_labels", len(labels))
        _check_unit_interval(agree, "agreement")

    title = _("Verdicts by item") if title is None else title
    n = len(labels)
    if n == 0:
        return _Spec(title, _no_data_alt(title, _))

    names = {code: _(name) for code, name in _VERDICT_NAMES.items()}
    tally = {code: verdict_list.count(code) for code in VERDICTS}

    parts = [
        _("{title}: {n} items.").format(title=title, n=n),
        "; ".join(f"{names[c]}: {tally[c]}" for c in VERDICTS) + ".",
    ]
    if agree is not None and n <= _ALT_ITEM_LIMIT:
        for lab, a, v in zip(labels, agree, verdict_list):
            if np.isnan(a):
                parts.append(_("{item}: agreement not computed, {verdict}.").format(
                    item=lab, verdict=names[v].lower()))
            else:
                parts.append(_("{item}: {agreement} agreement, {verdict}.").format(
                    item=lab, agreement=_pct(a), verdict=names[v].lower()))
    return _Spec(title, " ".join(parts), dict(labels=labels, verdict_list=verdict_list,
                                              agree=agree, names=names, tally=tally))


def _draw_verdicts(title, _, *, labels, verdict_list, agree, names, tally) -> Figure:
    n = len(labels)
    if agree is None:
        fig = _figure(3.0)
        ax = fig.add_subplot()
        _style_axes(ax, grid_axis="x")
        _set_title(ax, title)
        y = np.arange(len(VERDICTS))
        for yi, code in zip(y, VERDICTS):
            colour, hatch = _VERDICT_STYLE[code]
            ax.barh(yi, tally[code], height=0.6, color=colour, hatch=hatch,
                    edgecolor="white" if hatch is None else "#333333", linewidth=0.5)
            ax.text(tally[code], yi, f" {tally[code]}", va="center", ha="left",
                    fontsize=_TICK_SIZE, fontfamily=_FONT, color="#333333")
        ax.yaxis.set_major_locator(_mpl().FixedLocator(y.astype(float)))
        ax.set_yticklabels([names[c] for c in VERDICTS])
        ax.invert_yaxis()
        ax.set_xlim(0, max(tally.values()) * 1.15 + 0.5)
        ax.xaxis.set_major_locator(_mpl().MaxNLocator(integer=True))
        _axis_label(ax, x=_("Number of items"))
    else:
        height = _item_height(n, extra_in=1.5)
        fig = _figure(height)
        ax = fig.add_subplot()
        _style_axes(ax, grid_axis="x")
        _set_title(ax, title)
        # Shrink the label text when the cap squeezes rows below ~12 pt.
        row_pt = (height - 1.5) * 72 / n
        label_size = min(_TICK_SIZE, max(4.0, row_pt * 0.7))
        ax.tick_params(axis="y", labelsize=label_size, length=0)
        y = np.arange(n)
        values = np.nan_to_num(agree, nan=0.0)
        colours = [_VERDICT_STYLE[v][0] for v in verdict_list]
        bars = ax.barh(y, values, height=0.7, color=colours, edgecolor="white",
                       linewidth=0.3)
        for bar, v in zip(bars, verdict_list):
            hatch = _VERDICT_STYLE[v][1]
            if hatch:
                bar.set_hatch(hatch)
                bar.set_edgecolor("#333333")
        undefined = np.flatnonzero(np.isnan(agree))
        for i in undefined:
            ax.text(0.005, i, _("not computed"), va="center", ha="left",
                    fontsize=label_size, fontfamily=_FONT, color="#555555")
        ax.yaxis.set_major_locator(_mpl().FixedLocator(y.astype(float)))
        ax.set_yticklabels([_truncate(lab) for lab in labels])
        ax.set_ylim(n - 0.5, -0.5)  # first item at the top
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter(_mpl().PercentFormatter(xmax=1.0))
        _axis_label(ax, x=_("Agreement"))
        ax.xaxis.set_label_position("top")
        ax.xaxis.tick_top()
        present = [c for c in VERDICTS if tally[c]]
        handles = [
            _mpl().Patch(facecolor=_VERDICT_STYLE[c][0], hatch=_VERDICT_STYLE[c][1],
                  edgecolor="#333333" if _VERDICT_STYLE[c][1] else "white")
            for c in present
        ]
        _legend(ax, handles, [names[c] for c in present], ncols=min(len(present), 2))
    return fig


# --------------------------------------------------------------------------
# 3. Agreement per item across rounds
# --------------------------------------------------------------------------


def convergence_chart(
    round_numbers: Sequence[int],
    item_labels: Sequence[str],
    agreement: np.ndarray | Sequence[Sequence[float]],
    *,
    threshold: float | None = None,
    fmt: str = "png",
    title: str | None = None,
    _: Callable[[str], str] = _identity,
) -> Chart:
    """Agreement of every item across rounds.

    Up to 8 items get one coloured line each (colour and marker) with a
    legend; more items are drawn as thin grey lines with the median across
    items in bold, since a legend of dozens of colours cannot be read.

    Parameters
    ----------
    round_numbers : sequence of int
        Round numbers, strictly increasing; the x axis.
    item_labels : sequence of str
        One label per item (row of *agreement*).
    agreement : array_like, shape (n_items, n_rounds)
        Agreement between 0 and 1; NaN where the item was not in the round
        (the line has a gap there).
    threshold : float, optional
        Consensus threshold between 0 and 1, drawn as a dashed line.
    fmt : {"png", "svg"}
        Output format.
    title : str, optional
        Chart title; defaults to ``_("Agreement across rounds")``.
    _ : callable, optional
        gettext-like translation function; identity by default.

    Returns
    -------
    Chart
        The image and its alt text, which gives, per round, the number of
        items rated, their median agreement and, with *threshold*, how many
        reached it.

    Raises
    ------
    ValueError
        If *fmt* is unknown, the shape of *agreement* does not match the
        labels and rounds, an agreement or *threshold* lies outside 0..1, or
        *round_numbers* is not strictly increasing.
    """
    spec = _convergence_spec(round_numbers, item_labels, agreement, threshold, title, fmt, _)
    return _draw(spec, _draw_convergence, fmt, _)


def convergence_alt(
    round_numbers: Sequence[int],
    item_labels: Sequence[str],
    agreement: np.ndarray | Sequence[Sequence[float]],
    *,
    threshold: float | None = None,
    fmt: str = "png",
    title: str | None = None,
    _: Callable[[str], str] = _identity,
) -> str:
    """The alt text of :func:`convergence_chart` for the same arguments, without drawing.

    Validates the arguments exactly as :func:`convergence_chart` does (and raises
    the same :class:`ValueError`) and returns the string that chart's
    ``alt`` would be: cheap enough for a page to show the alt texts of
    charts whose images are drawn by separate requests.
    """
    return _convergence_spec(round_numbers, item_labels, agreement, threshold, title, fmt, _).alt


def _convergence_spec(round_numbers, item_labels, agreement, threshold, title, fmt, _) -> _Spec:
    fmt = _check_fmt(fmt)
    rounds = _as_rounds(round_numbers)
    labels = _as_labels(item_labels, "item_labels")
    try:
        agree = np.asarray(
            [[math.nan if v is None else v for v in row] for row in agreement]
            if not isinstance(agreement, np.ndarray) else agreement,
            dtype=float,
        )
    except (TypeError, ValueError):
        raise ValueError("agreement must be a 2-D array of numbers (items x rounds)") from None
    if agree.size == 0:
        agree = agree.reshape(len(labels), len(rounds))
    if agree.ndim != 2:
        raise ValueError(f"agreement must be 2-D (items x rounds), got shape {agree.shape}")
    if agree.shape != (len(labels), len(rounds)):
        raise ValueError(
            f"agreement has shape {agree.shape} but item_labels and round_numbers "
            f"give ({len(labels)}, {len(rounds)})"
        )
    _check_unit_interval(agree, "agreement")
    if threshold is not None:
        threshold = float(threshold)
        if not (0 <= threshold <= 1):
            raise ValueError(f"threshold must lie between 0 and 1, got {threshold!r}")

    title = _("Agreement across rounds") if title is None else title
    n_items, n_rounds = agree.shape
    if n_items == 0 or n_rounds == 0 or np.all(np.isnan(agree)):
        return _Spec(title, _no_data_alt(title, _))

    rated = ~np.isnan(agree)
    with np.errstate(all="ignore"):
        medians = np.array([
            np.median(agree[rated[:, j], j]) if rated[:, j].any() else math.nan
            for j in range(n_rounds)
        ])

    parts = [
        _("{title}: agreement of {n} items in rounds {rounds}.").format(
            title=title, n=n_items, rounds=_round_list(rounds))
    ]
    for j, r in enumerate(rounds):
        k = int(rated[:, j].sum())
        if k == 0:
            parts.append(_("Round {round}: no items rated.").format(round=r))
            continue
        text = _("Round {round}: {k} items rated, median agreement {median}").format(
            round=r, k=k, median=_pct(medians[j]))
        if threshold is not None:
            reached = int(np.sum(agree[rated[:, j], j] >= threshold))
            text += _(", {reached} at or above the {threshold} threshold").format(
                reached=reached, threshold=_pct(threshold))
        parts.append(text + ".")
    return _Spec(title, " ".join(parts), dict(rounds=rounds, labels=labels, agree=agree,
                                              threshold=threshold, medians=medians))


def _draw_convergence(title, _, *, rounds, labels, agree, threshold, medians) -> Figure:
    n_items = agree.shape[0]
    many = n_items > len(_SERIES_COLOURS)
    legend_rows = 0 if many else math.ceil(n_items / 2)
    fig = _figure(3.8 + 0.22 * legend_rows)
    ax = fig.add_subplot()
    _style_axes(ax, grid_axis="y")
    _set_title(ax, title)
    x = rounds.astype(float)

    if threshold is not None:
        ax.axhline(threshold, color=OKABE_ITO["black"], linestyle="--", linewidth=1,
                   zorder=1)
        ax.annotate(_("Threshold {value}").format(value=_pct(threshold)),
                    xy=(1, threshold), xycoords=("axes fraction", "data"),
                    xytext=(0, 3), textcoords="offset points", ha="right",
                    va="bottom", fontsize=_TICK_SIZE, fontfamily=_FONT)
    if many:
        # NaNs break the lines; small markers keep isolated points visible.
        for row in agree:
            ax.plot(x, row, color=_GREY, alpha=0.45, linewidth=0.8, marker="o",
                    markersize=2, zorder=2)
        ax.plot(x, medians, color=OKABE_ITO["blue"], linewidth=2.4, marker="o",
                markersize=5, zorder=3, label=_("Median across items"))
        handles, names = ax.get_legend_handles_labels()
        _legend(ax, handles, names, ncols=1, where="inside")
    else:
        for i, (lab, row) in enumerate(zip(labels, agree)):
            ax.plot(x, row, color=_SERIES_COLOURS[i], marker=_SERIES_MARKERS[i],
                    markersize=5, linewidth=1.6, label=_truncate(lab, 34), zorder=2)
        handles, names = ax.get_legend_handles_labels()
        # Two columns of labels of up to 34 characters fit in 640 px; more are cut off.
        _legend(ax, handles, names, ncols=2)
    _round_axis(ax, rounds, _("Round"))
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(_mpl().PercentFormatter(xmax=1.0))
    _axis_label(ax, y=_("Agreement"))
    return fig


# --------------------------------------------------------------------------
# 4. Kendall's W across rounds
# --------------------------------------------------------------------------


def concordance_chart(
    round_numbers: Sequence[int],
    w_by_criterion: Mapping[str, Sequence[float | None]],
    *,
    fmt: str = "png",
    title: str | None = None,
    _: Callable[[str], str] = _identity,
) -> Chart:
    """Kendall's coefficient of concordance W across rounds, per criterion.

    Parameters
    ----------
    round_numbers : sequence of int
        Round numbers, strictly increasing; the x axis.
    w_by_criterion : mapping of str to sequence of float
        Kendall's W (0..1) per round for each criterion, aligned with
        *round_numbers*; ``None`` or NaN where W is undefined, drawn as a
        gap.  Criteria are drawn in the mapping's order.
    fmt : {"png", "svg"}
        Output format.
    title : str, optional
        Chart title; defaults to ``_("Kendall's W across rounds")``.
    _ : callable, optional
        gettext-like translation function; identity by default.

    Returns
    -------
    Chart
        The image and its alt text, which gives W per round per criterion
        (two decimals).

    Raises
    ------
    ValueError
        If *fmt* is unknown, a sequence's length differs from
        *round_numbers*, a W lies outside 0..1, or *round_numbers* is not
        strictly increasing.

    Notes
    -----
    W runs from 0 (no agreement on the ranking) to 1 (complete agreement);
    Schmidt (1997) reads 0.5 as moderate and 0.7 as strong agreement.
    """
    spec = _concordance_spec(round_numbers, w_by_criterion, title, fmt, _)
    return _draw(spec, _draw_concordance, fmt, _)


def concordance_alt(
    round_numbers: Sequence[int],
    w_by_criterion: Mapping[str, Sequence[float | None]],
    *,
    fmt: str = "png",
    title: str | None = None,
    _: Callable[[str], str] = _identity,
) -> str:
    """The alt text of :func:`concordance_chart` for the same arguments, without drawing.

    Validates the arguments exactly as :func:`concordance_chart` does (and raises
    the same :class:`ValueError`) and returns the string that chart's
    ``alt`` would be: cheap enough for a page to show the alt texts of
    charts whose images are drawn by separate requests.
    """
    return _concordance_spec(round_numbers, w_by_criterion, title, fmt, _).alt


def _concordance_spec(round_numbers, w_by_criterion, title, fmt, _) -> _Spec:
    fmt = _check_fmt(fmt)
    rounds = _as_rounds(round_numbers)
    if not isinstance(w_by_criterion, Mapping):
        raise ValueError("w_by_criterion must be a mapping of criterion to sequence of W")
    series = {}
    for criterion, values in w_by_criterion.items():
        arr = _as_float_1d(values, f"w_by_criterion[{criterion!r}]", allow_none=True)
        _check_length(f"w_by_criterion[{criterion!r}]", len(arr), "round_numbers",
                      len(rounds))
        _check_unit_interval(arr, f"w_by_criterion[{criterion!r}]")
        series[str(criterion)] = arr

    title = _("Kendall's W across rounds") if title is None else title
    if not series or len(rounds) == 0 or all(np.all(np.isnan(a)) for a in series.values()):
        return _Spec(title, _no_data_alt(title, _))

    parts = [
        _("{title}: Kendall's W for {n} criteria in rounds {rounds}.").format(
            title=title, n=len(series), rounds=_round_list(rounds))
    ]
    for criterion, arr in series.items():
        cells = [
            (_("round {round} not computed") if np.isnan(w) else
             _("round {round} {w}")).format(round=r, w=f"{w:.2f}")
            for r, w in zip(rounds, arr)
        ]
        parts.append(f"{criterion}: " + ", ".join(cells) + ".")
    return _Spec(title, " ".join(parts), dict(rounds=rounds, series=series))


def _draw_concordance(title, _, *, rounds, series) -> Figure:
    legend_rows = math.ceil(len(series) / 3)
    fig = _figure(3.6 + 0.22 * legend_rows)
    ax = fig.add_subplot()
    _style_axes(ax, grid_axis="y")
    _set_title(ax, title)
    x = rounds.astype(float)
    for i, (criterion, arr) in enumerate(series.items()):
        ax.plot(x, arr, color=_SERIES_COLOURS[i % len(_SERIES_COLOURS)],
                marker=_SERIES_MARKERS[i % len(_SERIES_MARKERS)], markersize=5,
                linewidth=1.6, label=_truncate(criterion, 30))
    _round_axis(ax, rounds, _("Round"))
    ax.set_ylim(0, 1.02)
    _axis_label(ax, y=_("Kendall's W"))
    handles, names = ax.get_legend_handles_labels()
    _legend(ax, handles, names, ncols=min(3, len(handles)))
    return fig


# --------------------------------------------------------------------------
# 5. Participation across rounds
# --------------------------------------------------------------------------


def participation_chart(
    round_numbers: Sequence[int],
    invited: Sequence[int],
    started: Sequence[int],
    submitted: Sequence[int],
    *,
    fmt: str = "png",
    title: str | None = None,
    _: Callable[[str], str] = _identity,
) -> Chart:
    """Participation flow per round: invited, started and submitted.

    Grouped bars per round, with the response rate (submitted / invited)
    written above each group.

    Parameters
    ----------
    round_numbers : sequence of int
        Round numbers, strictly increasing.
    invited, started, submitted : sequence of int
        Panellists invited to, who opened, and who submitted each round;
        whole non-negative numbers aligned with *round_numbers*.  Each stage
        is a subset of the one before: ``submitted <= started <= invited``.
    fmt : {"png", "svg"}
        Output format.
    title : str, optional
        Chart title; defaults to ``_("Participation across rounds")``.
    _ : callable, optional
        gettext-like translation function; identity by default.

    Returns
    -------
    Chart
        The image and its alt text, which gives the three counts and the
        response rate of every round.

    Raises
    ------
    ValueError
        If *fmt* is unknown, lengths differ, a count is negative or
        fractional, or the stages are not nested.
    """
    spec = _participation_spec(round_numbers, invited, started, submitted, title, fmt, _)
    return _draw(spec, _draw_participation, fmt, _)


def participation_alt(
    round_numbers: Sequence[int],
    invited: Sequence[int],
    started: Sequence[int],
    submitted: Sequence[int],
    *,
    fmt: str = "png",
    title: str | None = None,
    _: Callable[[str], str] = _identity,
) -> str:
    """The alt text of :func:`participation_chart` for the same arguments, without drawing.

    Validates the arguments exactly as :func:`participation_chart` does (and raises
    the same :class:`ValueError`) and returns the string that chart's
    ``alt`` would be: cheap enough for a page to show the alt texts of
    charts whose images are drawn by separate requests.
    """
    return _participation_spec(round_numbers, invited, started, submitted, title, fmt, _).alt


def _participation_spec(round_numbers, invited, started, submitted, title, fmt, _) -> _Spec:
    fmt = _check_fmt(fmt)
    rounds = _as_rounds(round_numbers)
    inv = _as_counts(invited, "invited")
    sta = _as_counts(started, "started")
    sub = _as_counts(submitted, "submitted")
    for name, arr in (("invited", inv), ("started", sta), ("submitted", sub)):
        _check_length(name, len(arr), "round_numbers", len(rounds))
    if np.any(sta > inv):
        raise ValueError("started must not exceed invited in any round")
    if np.any(sub > sta):
        raise ValueError("submitted must not exceed started in any round")

    title = _("Participation across rounds") if title is None else title
    if len(rounds) == 0:
        return _Spec(title, _no_data_alt(title, _))
    rates = [sub[j] / inv[j] if inv[j] else math.nan for j in range(len(rounds))]

    parts = [
        _("{title}: participation in rounds {rounds}.").format(
            title=title, rounds=_round_list(rounds))
    ]
    for r, i, s, b, rate in zip(rounds, inv, sta, sub, rates):
        if np.isnan(rate):
            parts.append(_("Round {round}: {invited} invited, {started} started, "
                           "{submitted} submitted.").format(
                round=r, invited=i, started=s, submitted=b))
        else:
            parts.append(_("Round {round}: {invited} invited, {started} started, "
                           "{submitted} submitted, response rate {rate}.").format(
                round=r, invited=i, started=s, submitted=b, rate=_pct(rate)))
    return _Spec(title, " ".join(parts), dict(rounds=rounds, inv=inv, sta=sta, sub=sub,
                                              rates=rates))


def _draw_participation(title, _, *, rounds, inv, sta, sub, rates) -> Figure:
    fig = _figure(3.8)
    ax = fig.add_subplot()
    _style_axes(ax, grid_axis="y")
    _set_title(ax, title)
    stages = (
        (_("Invited"), inv, OKABE_ITO["sky_blue"], None),
        (_("Started"), sta, OKABE_ITO["orange"], "//"),
        (_("Submitted"), sub, OKABE_ITO["blue"], None),
    )
    positions = np.arange(len(rounds), dtype=float)
    width = 0.26
    for s, (name, arr, colour, hatch) in enumerate(stages):
        ax.bar(positions + (s - 1) * width, arr, width=width * 0.95, color=colour,
               hatch=hatch, edgecolor="#333333" if hatch else "white", linewidth=0.5,
               label=name, zorder=2)
    top = max(int(inv.max()), 1)
    for j, rate in enumerate(rates):
        if not np.isnan(rate):
            ax.text(positions[j], inv[j] + top * 0.03, _pct(rate), ha="center",
                    va="bottom", fontsize=_LABEL_SIZE, fontfamily=_FONT,
                    fontweight="bold", color="#333333")
    ax.xaxis.set_major_locator(_mpl().FixedLocator(positions))
    ax.set_xticklabels([_("Round {round}").format(round=r) for r in rounds])
    ax.set_ylim(0, top * 1.2)
    ax.yaxis.set_major_locator(_mpl().MaxNLocator(integer=True))
    _axis_label(ax, y=_("Panellists"))
    handles, names = ax.get_legend_handles_labels()
    handles.append(_mpl().Line2D([], [], linestyle="none"))
    names.append(_("% = response rate (submitted / invited)"))
    _legend(ax, handles, names, ncols=4)
    return fig
