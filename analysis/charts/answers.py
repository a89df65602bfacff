"""The distribution of the answers of a probability, year or estimate item:
a bar per bin, and for years a separate "later" bar."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from .common import (
    FONT,
    OKABE_ITO,
    TICK_SIZE,
    ChartSpec,
    as_float_1d,
    axis_label,
    figure,
    frozen,
    identity,
    legend,
    mpl,
    num,
    pct,
    set_title,
    style_axes,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: At most this many bins of single years; wider ranges group years by 5, 10...
MAX_YEAR_BINS = 30
YEAR_WIDTHS = (1, 2, 5, 10, 20, 25, 50)


def year_width(low: int, high: int) -> int:
    """The width of a year bin so that ``low..high`` takes at most
    :data:`MAX_YEAR_BINS` bins."""
    span = high - low + 1
    for width in YEAR_WIDTHS:
        if math.ceil(span / width) <= MAX_YEAR_BINS:
            return width
    return YEAR_WIDTHS[-1]


def _optional(value, name):
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number") from None
    if not math.isfinite(number):
        raise ValueError(f"{name} must be finite")
    return number


@dataclass(frozen=True, slots=True, eq=False)
class AnswersChart(ChartSpec):
    """Bar chart of how many panellists gave answers in each bin of a range.

    ``scale`` is ``"percent"`` (a probability: bins of 10 points from 0 to
    100), ``"year"`` (bins of whole years, grouped when the range is long,
    and a "later" bar for the answers after the last year) or ``"value"``
    (ten equal bins between the item's bounds). The median and the
    quartiles are drawn over the bars; a quartile that is "later" is drawn
    on the "later" bar.

    Build it with :meth:`from_values`, which validates the inputs.
    """

    title: str
    scale: str
    edges: np.ndarray
    counts: np.ndarray
    n_later: int
    last_year: int | None
    median: float | None
    q1: float | None
    q3: float | None
    later: tuple[bool, bool, bool]  # median, q1, q3 are "later"
    unit: str
    number: Callable[[float], str] = field(default=num, repr=False)
    percent: Callable[[float], str] = field(default=pct, repr=False)
    year: Callable[[float], str] = field(default=num, repr=False)
    translate: Callable[[str], str] = field(default=identity, repr=False)

    @classmethod
    def from_values(
        cls,
        values: Sequence[float],
        *,
        scale: str,
        low: float,
        high: float,
        n_later: int = 0,
        median: float | None = None,
        q1: float | None = None,
        q3: float | None = None,
        median_later: bool = False,
        q1_later: bool = False,
        q3_later: bool = False,
        unit: str = "",
        title: str | None = None,
        number: Callable[[float], str] = num,
        percent: Callable[[float], str] = pct,
        year: Callable[[float], str] = num,
        _: Callable[[str], str] = identity,
    ) -> AnswersChart:
        """The chart of *values* between *low* and *high*.

        Parameters
        ----------
        values : sequence of float
            The answers given as numbers (for a year item, without the
            "later" answers).
        scale : {"percent", "year", "value"}
            How to bin: 10-point bins of 0..100; whole years of
            *low*..*high* (grouped beyond 30 years); ten equal bins.
        low, high : float
            The item's range (0 and 100 for a probability).
        n_later : int, optional
            Answers "later than *high*" (year items only).
        median, q1, q3 : float, optional
            The frozen median and quartiles (None where "later").
        median_later, q1_later, q3_later : bool, optional
            Whether the median or a quartile is "later".
        unit : str, optional
            The unit of an estimate, for the axis label.
        title : str, optional
            Defaults to ``_("Distribution of answers")``.
        number, percent : callable, optional
            How the alt text writes a number and a share.
        year : callable, optional
            How it writes a year or a quartile between two years (never
            grouped: ``2032.75``, not ``2,032.75``).
        _ : callable, optional
            gettext-like translation function; identity by default.

        Raises
        ------
        ValueError
            If *scale* is unknown, the range is not increasing, a value lies
            outside it, *n_later* is negative or given for another scale than
            years, or the quartiles are disordered.

        Examples
        --------
        >>> spec = AnswersChart.from_values([2030, 2031, 2035], scale="year",
        ...     low=2025, high=2050, n_later=1, median=2033, q1=2030.5,
        ...     q3_later=True)
        >>> "later than 2050: 1" in spec.alt.lower()
        True
        """
        if scale not in ("percent", "year", "value"):
            raise ValueError("scale must be 'percent', 'year' or 'value'")
        low, high = _optional(low, "low"), _optional(high, "high")
        if low is None or high is None or not low < high:
            raise ValueError("low and high must be numbers with low < high")
        arr = as_float_1d(values, "values")
        if not np.all(np.isfinite(arr)):
            raise ValueError("values must be finite")
        if np.any((arr < low) | (arr > high)):
            raise ValueError("values must lie between low and high")
        if isinstance(n_later, bool) or int(n_later) != n_later or n_later < 0:
            raise ValueError("n_later must be a whole number >= 0")
        n_later = int(n_later)
        if n_later and scale != "year":
            raise ValueError("n_later is for year items only")
        if scale == "year":
            if low != int(low) or high != int(high):
                raise ValueError("low and high must be whole years")
            width = year_width(int(low), int(high))
            edges = np.arange(int(low), int(high) + width + 1, width, dtype=float)
            edges = edges[: int(np.searchsorted(edges, high + 1)) + 1]
            # bin i holds the years edges[i] .. edges[i+1] - 1
            idx = np.searchsorted(edges, arr, side="right") - 1
        else:
            edges = (np.linspace(0, 100, 11) if scale == "percent"
                     else np.linspace(low, high, 11))
            if scale == "percent":
                low, high = 0.0, 100.0
            idx = np.clip(np.searchsorted(edges, arr, side="right") - 1, 0, len(edges) - 2)
        counts = np.bincount(idx.astype(int), minlength=len(edges) - 1)[: len(edges) - 1]
        median, q1, q3 = (_optional(median, "median"), _optional(q1, "q1"),
                          _optional(q3, "q3"))
        known = [v for v in (q1, median, q3) if v is not None]
        if known != sorted(known):
            raise ValueError("q1 <= median <= q3 is required")
        title = _("Distribution of answers") if title is None else title
        return cls(title=title, scale=scale, edges=frozen(edges),
                   counts=frozen(counts.astype(np.int64)), n_later=n_later,
                   last_year=int(high) if scale == "year" else None,
                   median=median, q1=q1, q3=q3,
                   later=(bool(median_later), bool(q1_later), bool(q3_later)),
                   unit=str(unit or ""), number=number, percent=percent, year=year,
                   translate=_)

    @property
    def n(self) -> int:
        return int(self.counts.sum()) + self.n_later

    @property
    def has_data(self) -> bool:
        return self.n > 0

    # -- words ----------------------------------------------------------------

    def bin_labels(self) -> list[str]:
        """The label of each bin, as the axis and the alt text write it."""
        e = self.edges
        if self.scale == "year":
            out = []
            for a, b in itertools.pairwise(e):
                first, last = int(a), min(int(b) - 1, int(self.last_year))
                out.append(str(first) if first == last else f"{first}–{last}")
            return out
        return [f"{self.number(a)}–{self.number(b)}" for a, b in itertools.pairwise(e)]

    def _value(self, x: float) -> str:
        if self.scale == "year":
            return str(round(x)) if x == int(x) else self.year(x)
        if self.scale == "percent":
            _ = self.translate
            return _("{value} %").format(value=self.number(x))
        return f"{self.number(x)}\u00a0{self.unit}" if self.unit else self.number(x)

    def _later_label(self) -> str:
        _ = self.translate
        return _("Later than {year}").format(year=self.last_year)

    def _describe(self) -> str:
        _ = self.translate
        kind = {"percent": _("{title}: bar chart of {n} probabilities, in bins of 10 points."),
                "year": _("{title}: bar chart of {n} years."),
                "value": _("{title}: bar chart of {n} estimates.")}[self.scale]
        parts = [kind.format(title=self.title, n=self.n)]
        cells = [f"{label}: {c}" for label, c in zip(self.bin_labels(), self.counts) if c]
        if self.scale == "year":
            cells.append(f"{self._later_label()}: {self.n_later}")
        parts.append("; ".join(cells) + ".")
        words = []
        for value, later in zip((self.median, self.q1, self.q3), self.later):
            words.append(self._later_label().lower() if later else
                         (self._value(value) if value is not None else None))
        median, q1, q3 = words
        if median is not None:
            parts.append(_("Median {median}.").format(median=median))
        if q1 is not None and q3 is not None:
            parts.append(_("Quartiles {q1} to {q3}.").format(q1=q1, q3=q3))
        if self.scale == "year" and self.n:
            parts.append(_("{share} answered later than {year}.").format(
                share=self.percent(self.n_later / self.n), year=self.last_year))
        return " ".join(parts)

    # -- drawing -------------------------------------------------------------

    def _position(self, value: float | None, later: bool) -> float | None:
        """The x position of a value on the bar axis (bin i centred on i)."""
        k = len(self.counts)
        if later:
            return k + 0.5
        if value is None:
            return None
        e = self.edges
        if self.scale == "year":
            value = value + 0.5  # a year fills [y, y + 1)
        i = int(np.clip(np.searchsorted(e, value, side="right") - 1, 0, k - 1))
        return i - 0.5 + (value - e[i]) / (e[i + 1] - e[i])

    def _draw(self) -> Figure:
        _ = self.translate
        m = mpl()
        k = len(self.counts)
        fig = figure(3.6)
        ax = fig.add_subplot()
        style_axes(ax, grid_axis="y")
        set_title(ax, self.title)
        x = np.arange(k, dtype=float)
        ax.bar(x, self.counts, width=0.8 if k <= 12 else 0.9, color=OKABE_ITO["blue"],
               edgecolor="white", zorder=2)
        labels = self.bin_labels()
        positions = list(x)
        heights = list(self.counts)
        if self.scale == "year":
            later_x = k + 0.5
            ax.bar([later_x], [self.n_later], width=0.9, color=OKABE_ITO["orange"],
                   hatch="//", edgecolor=OKABE_ITO["black"], linewidth=0.6, zorder=2)
            positions.append(later_x)
            heights.append(self.n_later)
            labels.append(self._later_label())
        top = max(int(max(heights)), 1)
        if k + (self.scale == "year") <= 16:
            for xi, v in zip(positions, heights):
                ax.text(xi, v + top * 0.02, str(int(v)), ha="center", va="bottom",
                        fontsize=TICK_SIZE, fontfamily=FONT, color="#333333", zorder=4)
        handles, names = [], []
        q1 = self._position(self.q1, self.later[1])
        q3 = self._position(self.q3, self.later[2])
        if q1 is not None and q3 is not None:
            lo, hi = (q1, q3) if q3 > q1 else (q1 - 0.05, q3 + 0.05)
            ax.axvspan(lo, hi, color=OKABE_ITO["sky_blue"], alpha=0.25, linewidth=0, zorder=0)
            handles.append(m.Patch(color=OKABE_ITO["sky_blue"], alpha=0.4))
            names.append(_("Interquartile range"))
        median = self._position(self.median, self.later[0])
        if median is not None:
            ax.axvline(median, color=OKABE_ITO["black"], linewidth=1.6, zorder=3)
            handles.append(m.Line2D([], [], color=OKABE_ITO["black"], linewidth=1.6))
            names.append(_("Median"))
        ax.set_xlim(-0.6, positions[-1] + 0.6)
        ax.set_ylim(0, top * 1.2 + 0.5)
        ax.yaxis.set_major_locator(m.MaxNLocator(integer=True, nbins=5))
        # At most ~12 tick labels: beyond, every other (or third...) bin is named.
        every = max(1, math.ceil(len(positions) / 12))
        shown = [i for i in range(len(positions)) if i % every == 0 or i == len(positions) - 1]
        ax.xaxis.set_major_locator(m.FixedLocator([positions[i] for i in shown]))
        rotate = self.scale != "year" or any(len(labels[i]) > 5 for i in shown)
        ax.set_xticklabels([labels[i] for i in shown], rotation=30 if rotate else 0,
                           ha="right" if rotate else "center")
        if self.scale == "percent":
            axis_label(ax, x=_("Probability (%)"), y=_("Number of panellists"))
        elif self.scale == "year":
            axis_label(ax, x=_("Year"), y=_("Number of panellists"))
        else:
            axis_label(ax, x=_("Value ({unit})").format(unit=self.unit) if self.unit
                       else _("Value"), y=_("Number of panellists"))
        if handles:
            legend(ax, handles, names, ncols=len(handles), where="inside")
        return fig
