"""What every chart shares: the result, the spec protocol, the style, the
input checks, and matplotlib imported on the first drawing.

Nothing here imports matplotlib at import time: :func:`mpl` imports it the
first time a chart is drawn, so building a spec and reading its ``alt``
never loads it.

References
----------
.. [1] Okabe, M. and Ito, K. (2008). *Color Universal Design (CUD): how to
   make figures and presentations that are friendly to colorblind people.*
   https://jfly.uni-koeln.de/color/
"""

from __future__ import annotations

import io
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# --------------------------------------------------------------------------
# Style
# --------------------------------------------------------------------------

#: Okabe--Ito palette [1]_ (black first, as in the original).
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
GREY = "#999999"  # the grey that usually accompanies the Okabe--Ito set
LIGHT = "#DDDDDD"
#: Order used for series (lines per item or criterion); yellow is last because
#: it is hard to see on white.
SERIES_COLOURS = (
    OKABE_ITO["blue"],
    OKABE_ITO["vermillion"],
    OKABE_ITO["bluish_green"],
    OKABE_ITO["orange"],
    OKABE_ITO["reddish_purple"],
    OKABE_ITO["sky_blue"],
    OKABE_ITO["black"],
    OKABE_ITO["yellow"],
)
SERIES_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")

FONT = "DejaVu Sans"  # ships with matplotlib, so always available
TITLE_SIZE = 11
LABEL_SIZE = 9
TICK_SIZE = 8

WIDTH_IN = 6.4
DPI = 100
ROW_IN = 0.2  # height of one item row in item-list charts
MAX_HEIGHT_IN = 20.0  # 2000 px; beyond that rows get thinner, not taller
LABEL_CHARS = 40  # item labels longer than this are cut with an ellipsis

#: Items listed one by one in an alt text up to this many; beyond, only a
#: summary (the web app shows the full table next to the chart).
ALT_ITEM_LIMIT = 12

MIMETYPES = {"png": "image/png", "svg": "image/svg+xml"}

# Only the SVG renderer reads rcParams we care about at draw time (the salt
# of its clip-path and marker ids, and the text mode).  rc_context changes the
# global rcParams for the duration of the block, so SVG renders are serialised
# by this lock; everything else is set as explicit artist properties.
# Text stays text in SVG ("none": no glyph paths embedded; the viewer's
# DejaVu Sans or its fallback draws it): smaller files, drawn faster.
_SVG_RC = {"svg.hashsalt": "delphi-charts", "svg.fonttype": "none"}
_SVG_LOCK = threading.Lock()


def identity(message: str) -> str:
    """The default translation: none."""
    return message


_MPL: SimpleNamespace | None = None


def mpl() -> SimpleNamespace:
    """matplotlib, imported on the first drawing.

    Reading a spec's ``alt`` never draws, so a page that only shows alt texts
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
# The result, and what every spec does
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


class ChartSpec:
    """A chart's validated inputs: its alt text and its drawing, from one value.

    Each chart is a frozen dataclass deriving from this class, built by a
    classmethod that validates the inputs (``ValueError`` naming the
    argument). It gives

    * :attr:`alt`, computed from the inputs alone, without matplotlib;
    * :meth:`render`, which draws the chart and returns a :class:`Chart`
      whose ``alt`` is that same :attr:`alt`.

    A subclass has the fields ``title`` and ``translate`` (the gettext-like
    callable) and implements :attr:`has_data`, :meth:`_describe` (the alt
    text of a chart with data) and :meth:`_draw` (its figure); a spec
    without data gives the shared "No data" text and image.
    """

    __slots__ = ()

    title: str
    translate: Callable[[str], str]

    @property
    def has_data(self) -> bool:
        raise NotImplementedError

    def _describe(self) -> str:
        raise NotImplementedError

    def _draw(self) -> Figure:
        raise NotImplementedError

    @property
    def alt(self) -> str:
        """What the chart shows, with its key numbers; nothing is drawn."""
        if not self.has_data:
            return no_data_alt(self.title, self.translate)
        return self._describe()

    def render(self, fmt: str = "png") -> Chart:
        """Draw the chart as ``"png"`` or ``"svg"``; the same spec gives the same bytes."""
        fmt = check_fmt(fmt)
        fig = self._draw() if self.has_data else _no_data_figure(self.title, self.translate)
        return _encode(fig, fmt, self.alt)


# --------------------------------------------------------------------------
# Input checks (each ValueError names the argument)
# --------------------------------------------------------------------------


def check_fmt(fmt: object) -> str:
    if fmt not in MIMETYPES:
        raise ValueError(f"fmt must be 'png' or 'svg', got {fmt!r}")
    return fmt  # type: ignore[return-value]


def frozen(arr: np.ndarray) -> np.ndarray:
    """*arr*, made read-only (specs are values: their arrays never change)."""
    arr.setflags(write=False)
    return arr


def as_float_1d(values: object, name: str, *, allow_none: bool = False) -> np.ndarray:
    """A new 1-D float array; ``None`` becomes NaN if *allow_none*."""
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


def as_counts(values: object, name: str) -> np.ndarray:
    arr = as_float_1d(values, name)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite")
    if np.any(arr < 0):
        raise ValueError(f"{name} must not be negative")
    if np.any(arr != np.round(arr)):
        raise ValueError(f"{name} must be whole numbers")
    return arr.astype(np.int64)


def check_unit_interval(arr: np.ndarray, name: str) -> None:
    """Values must lie in [0, 1]; NaN (undefined) is allowed."""
    finite = arr[~np.isnan(arr)]
    if np.any(np.isinf(finite)) or np.any((finite < 0) | (finite > 1)):
        raise ValueError(f"{name} must lie between 0 and 1 (NaN where undefined)")


def as_rounds(round_numbers: object) -> np.ndarray:
    arr = as_float_1d(round_numbers, "round_numbers")
    if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
        raise ValueError("round_numbers must be whole numbers")
    if np.any(np.diff(arr) <= 0):
        raise ValueError("round_numbers must be strictly increasing")
    return arr.astype(np.int64)


def as_labels(labels: object, name: str) -> tuple[str, ...]:
    if isinstance(labels, (str, bytes)):
        raise ValueError(f"{name} must be a sequence of strings, got a string")
    return tuple(str(label) for label in labels)  # type: ignore[union-attr]


def check_length(name: str, n: int, expected_name: str, expected: int) -> None:
    if n != expected:
        raise ValueError(
            f"{name} has {n} entries but {expected_name} has {expected}; "
            "they must have the same length"
        )


# --------------------------------------------------------------------------
# Text
# --------------------------------------------------------------------------


def truncate(label: str, width: int = LABEL_CHARS) -> str:
    """Cut *label* to at most *width* characters, ending with an ellipsis."""
    label = " ".join(label.split())
    if len(label) <= width:
        return label
    return label[: width - 1].rstrip() + "\u2026"


def num(x: float) -> str:
    """Format a number for reading: ``4`` not ``4.0``, at most 2 decimals."""
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def pct(x: float) -> str:
    return f"{x * 100:.0f}%"


def round_list(rounds) -> str:
    return ", ".join(str(r) for r in rounds)


def no_data_alt(title: str, _: Callable[[str], str]) -> str:
    return _("{title}: no data to show yet.").format(title=title)


# --------------------------------------------------------------------------
# Figures (these import matplotlib, through mpl())
# --------------------------------------------------------------------------


def figure(height_in: float, *, layout: str | None = "constrained") -> Figure:
    return mpl().Figure(
        figsize=(WIDTH_IN, height_in),
        dpi=DPI,
        facecolor="white",
        layout=layout,
    )


_WIDTHS: dict[tuple[str, float], float] = {}


def text_width_in(text: str, size: float) -> float:
    """The width of ``text`` in :data:`FONT` at ``size`` points, in inches,
    from the font's metrics (no renderer, no figure): for margins computed
    once instead of by the constrained layout."""
    key = (text, size)
    width = _WIDTHS.get(key)
    if width is None:
        from matplotlib.font_manager import FontProperties
        from matplotlib.textpath import text_to_path

        w, _h, _d = text_to_path.get_text_width_height_descent(
            text, FontProperties(family=FONT, size=size), ismath=False)
        width = _WIDTHS[key] = w / 72
        if len(_WIDTHS) > 4096:
            _WIDTHS.clear()
    return width


def item_height(n_rows: int, extra_in: float = 1.2) -> float:
    """Figure height for a chart with one row per item, capped."""
    return float(min(max(extra_in + ROW_IN * n_rows, 2.4), MAX_HEIGHT_IN))


def style_axes(ax, *, grid_axis: str = "y") -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color("#555555")
    ax.tick_params(
        labelsize=TICK_SIZE,
        labelfontfamily=FONT,
        colors="#333333",
        length=3,
    )
    ax.grid(axis=grid_axis, color=LIGHT, linewidth=0.6)
    ax.set_axisbelow(True)


def set_title(ax, title: str, *, top_in: float | None = None) -> None:
    """The figure's title, left; ``top_in``: inches from the top (a figure
    laid out by hand), else where the constrained layout puts it."""
    kwargs = {} if top_in is None else {"y": 1 - top_in / ax.figure.get_figheight(),
                                        "va": "top"}
    ax.figure.suptitle(title, x=0.01, ha="left", fontsize=TITLE_SIZE, fontfamily=FONT,
                       **kwargs)


def axis_label(ax, *, x: str | None = None, y: str | None = None) -> None:
    if x is not None:
        ax.set_xlabel(x, fontsize=LABEL_SIZE, fontfamily=FONT)
    if y is not None:
        ax.set_ylabel(y, fontsize=LABEL_SIZE, fontfamily=FONT)


def legend(ax, handles, labels, *, ncols: int, where: str = "below") -> None:
    kwargs = dict(
        frameon=False,
        ncols=ncols,
        prop={"family": FONT, "size": TICK_SIZE},
        handlelength=1.6,
        columnspacing=1.2,
    )
    if where == "below":
        ax.figure.legend(handles, labels, loc="outside lower left", **kwargs)
    elif where == "above":
        ax.figure.legend(handles, labels, loc="outside upper left", **kwargs)
    else:
        ax.legend(handles, labels, loc="best", **kwargs)


def round_axis(ax, rounds: np.ndarray, label: str) -> None:
    ax.xaxis.set_major_locator(mpl().FixedLocator(rounds.astype(float)))
    ax.set_xticklabels([str(r) for r in rounds])
    pad = 0.3 if len(rounds) > 1 else 0.7
    ax.set_xlim(rounds[0] - pad, rounds[-1] + pad)
    axis_label(ax, x=label)


def _encode(fig: Figure, fmt: str, alt: str) -> Chart:
    buffer = io.BytesIO()
    if fmt == "svg":
        with _SVG_LOCK, mpl().matplotlib.rc_context(_SVG_RC):
            fig.savefig(buffer, format="svg", dpi=DPI, metadata={"Date": None})
    else:
        fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return Chart(data=buffer.getvalue(), mimetype=MIMETYPES[fmt], alt=alt, fmt=fmt)


def _no_data_figure(title: str, _: Callable[[str], str]) -> Figure:
    fig = figure(2.0)
    ax = fig.add_subplot()
    ax.set_axis_off()
    set_title(ax, title)
    ax.text(
        0.5,
        0.5,
        _("No data"),
        ha="center",
        va="center",
        fontsize=TITLE_SIZE,
        fontfamily=FONT,
        color="#555555",
        transform=ax.transAxes,
    )
    return fig
