"""The gap to a target of one estimate item: baseline, target, the panel's
aggregate distribution and every panellist's estimate, on one axis."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from .common import (
    FONT,
    GREY,
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

#: A pair (value, year); the year may be None.
Point = tuple[float, "int | None"]


def _point(value, name: str) -> tuple[float, int | None] | None:
    if value is None:
        return None
    try:
        number, year = value
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a (value, year) pair") from None
    try:
        number = float(number)
    except (TypeError, ValueError):
        raise ValueError(f"{name} value must be a number") from None
    if not math.isfinite(number):
        raise ValueError(f"{name} value must be finite")
    if year is not None:
        if isinstance(year, bool) or float(year) != int(year):
            raise ValueError(f"{name} year must be a whole number")
        year = int(year)
    return number, year


def _optional(value, name: str) -> float | None:
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
class TargetChart(ChartSpec):
    """Where the panel expects an indicator to stand, against its baseline and target.

    One horizontal value axis carries

    * the baseline (value and year), a dashed grey line;
    * the target (value and year), a solid vermillion line;
    * the panel's band: the aggregate P10--P50--P90 (quantile averaging of the
      panellists' quantiles) for a three-quantile item, else the median and
      quartiles of the single values;
    * every panellist's estimate (their P50, or their value) as a dot, dots of
      equal value stacked;
    * the median gap to the target, as an arrow from the median to the target.

    Build it with :meth:`from_estimates`, which validates the inputs.
    """

    title: str
    unit: str
    values: np.ndarray
    band: tuple[float, float, float] | None
    band_kind: str  # "aggregate" (P10/P50/P90) or "quartiles" (Q1/median/Q3)
    median: float | None
    baseline: tuple[float, int | None] | None
    target: tuple[float, int | None] | None
    target_share: float | None
    median_gap: float | None
    bounds: tuple[float, float] | None
    number: Callable[[float], str] = field(default=num, repr=False)
    percent: Callable[[float], str] = field(default=pct, repr=False)
    translate: Callable[[str], str] = field(default=identity, repr=False)

    @classmethod
    def from_estimates(
        cls,
        values: Sequence[float],
        *,
        unit: str = "",
        aggregate: Sequence[float] | None = None,
        median: float | None = None,
        q1: float | None = None,
        q3: float | None = None,
        baseline: Point | None = None,
        target: Point | None = None,
        target_share: float | None = None,
        median_gap: float | None = None,
        bounds: tuple[float, float] | None = None,
        title: str | None = None,
        number: Callable[[float], str] = num,
        percent: Callable[[float], str] = pct,
        _: Callable[[str], str] = identity,
    ) -> TargetChart:
        """The chart of an estimate item's frozen figures.

        Parameters
        ----------
        values : sequence of float
            Each panellist's estimate: their P50 for a three-quantile item,
            else their value (the frozen ``details["values"]``).
        unit : str, optional
            The item's unit, shown in the axis label and the alt text.
        aggregate : (p10, p50, p90), optional
            The panel's aggregate quantiles (quantile averaging); given, the
            band is P10--P90 with P50 marked. Without it the band is
            *q1*--*q3* with *median* marked.
        median, q1, q3 : float, optional
            Median and quartiles of *values*.
        baseline, target : (value, year), optional
            The indicator's baseline and target; the year may be None.
        target_share : float, optional
            Share (0..1) of panellists whose estimate reaches the target.
        median_gap : float, optional
            The median minus the target (negative: the panel expects less
            than the target).
        bounds : (low, high), optional
            The item's bounds; the axis spans them unless the data occupy
            less than a third of them.
        title : str, optional
            Defaults to ``_("Gap to target")``.
        number, percent : callable, optional
            How the alt text writes a number and a share (the web app passes
            the reader's locale's formats); ``num`` and ``pct`` by default.
        _ : callable, optional
            gettext-like translation function; identity by default.

        Raises
        ------
        ValueError
            If a value is not a finite number, the aggregate is not three
            ordered numbers, the quartiles are given without each other or
            disordered, the share lies outside 0..1, or the bounds are not
            increasing.

        Examples
        --------
        >>> spec = TargetChart.from_estimates(
        ...     [30, 40, 45, 60], unit="%", aggregate=(25, 44, 70),
        ...     baseline=(14.3, 2019), target=(100, 2030), target_share=0.0,
        ...     median_gap=-57.5)
        >>> "target 100" in spec.alt.lower()
        True
        """
        arr = as_float_1d(values, "values")
        if not np.all(np.isfinite(arr)):
            raise ValueError("values must be finite")
        arr = np.sort(arr)
        band = None
        band_kind = "quartiles"
        if aggregate is not None:
            try:
                band = tuple(float(v) for v in aggregate)
            except (TypeError, ValueError):
                raise ValueError("aggregate must be three numbers (p10, p50, p90)") from None
            if len(band) != 3 or not all(math.isfinite(v) for v in band):
                raise ValueError("aggregate must be three finite numbers (p10, p50, p90)")
            if not band[0] <= band[1] <= band[2]:
                raise ValueError("aggregate must be ordered: p10 <= p50 <= p90")
            band_kind = "aggregate"
        median = _optional(median, "median")
        q1, q3 = _optional(q1, "q1"), _optional(q3, "q3")
        if (q1 is None) != (q3 is None):
            raise ValueError("q1 and q3 must be given together")
        if q1 is not None and q1 > q3:
            raise ValueError("q1 must not exceed q3")
        if band is None and q1 is not None:
            middle = median if median is not None else (q1 + q3) / 2
            if not q1 <= middle <= q3:
                raise ValueError("median must lie between q1 and q3")
            band = (q1, middle, q3)
        share = _optional(target_share, "target_share")
        if share is not None and not 0 <= share <= 1:
            raise ValueError("target_share must lie between 0 and 1")
        if bounds is not None:
            try:
                low, high = (float(b) for b in bounds)
            except (TypeError, ValueError):
                raise ValueError("bounds must be two numbers (low, high)") from None
            if not (math.isfinite(low) and math.isfinite(high) and low < high):
                raise ValueError("bounds must be finite with low < high")
            bounds = (low, high)
        title = _("Gap to target") if title is None else title
        return cls(title=title, unit=str(unit or ""), values=frozen(arr), band=band,
                   band_kind=band_kind, median=median, baseline=_point(baseline, "baseline"),
                   target=_point(target, "target"), target_share=share,
                   median_gap=_optional(median_gap, "median_gap"), bounds=bounds,
                   number=number, percent=percent, translate=_)

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def has_data(self) -> bool:
        return self.n > 0

    # -- words ----------------------------------------------------------------

    def _value(self, x: float) -> str:
        """A value with its unit: ``47.3 %``, ``12 events``."""
        text = self.number(x)
        if not self.unit:
            return text
        return f"{text}\u00a0{self.unit}" if self.unit != "%" else f"{text}\u00a0%"

    def _gap(self, x: float) -> str:
        """A difference with its unit; a difference of percentages is in points."""
        _ = self.translate
        if self.unit == "%":
            return _("{value} points").format(value=self.number(x))
        return self._value(x)

    def _describe(self) -> str:
        _ = self.translate
        parts = [_("{title}: estimates of {n} panellists on one axis.").format(
            title=self.title, n=self.n)]
        if self.baseline is not None:
            value, year = self.baseline
            parts.append(_("Baseline {value}.").format(value=self._value(value)) if year is None
                         else _("Baseline {value} in {year}.").format(value=self._value(value),
                                                                     year=year))
        if self.target is not None:
            value, year = self.target
            parts.append(_("Target {value}.").format(value=self._value(value)) if year is None
                         else _("Target {value} by {year}.").format(value=self._value(value),
                                                                   year=year))
        if self.band is not None:
            lo, mid, hi = (self._value(v) for v in self.band)
            if self.band_kind == "aggregate":
                parts.append(_("The panel's aggregate distribution: P10 {p10}, P50 {p50}, "
                               "P90 {p90}.").format(p10=lo, p50=mid, p90=hi))
            else:
                parts.append(_("Median {median}, quartiles {q1} to {q3}.").format(
                    median=mid, q1=lo, q3=hi))
        if self.band_kind == "aggregate" and self.median is not None:
            parts.append(_("Median of the panellists' P50s {median}.").format(
                median=self._value(self.median)))
        parts.append(_("Individual estimates from {low} to {high}.").format(
            low=self._value(self.values[0]), high=self._value(self.values[-1])))
        if self.target_share is not None:
            parts.append(_("{share} of the panellists reach the target.").format(
                share=self.percent(self.target_share)))
        if self.median_gap is not None:
            gap = self.median_gap
            if gap < 0:
                parts.append(_("The median falls short of the target by {gap}.").format(
                    gap=self._gap(-gap)))
            elif gap > 0:
                parts.append(_("The median exceeds the target by {gap}.").format(
                    gap=self._gap(gap)))
            else:
                parts.append(_("The median equals the target."))
        return " ".join(parts)

    # -- drawing -------------------------------------------------------------

    def _limits(self) -> tuple[float, float]:
        points = [*self.values.tolist(), *(self.band or ())]
        for point in (self.baseline, self.target):
            if point is not None:
                points.append(point[0])
        lo, hi = min(points), max(points)
        span = hi - lo
        if self.bounds is not None:
            b_lo, b_hi = self.bounds
            if span * 3 >= b_hi - b_lo:
                # a little room, so a target on a bound stays visible
                pad = (b_hi - b_lo) * 0.02
                return b_lo - pad, b_hi + pad
        pad = span * 0.08 if span > 0 else max(abs(hi) * 0.1, 1.0)
        return lo - pad, hi + pad

    def _stack(self, lo: float, hi: float) -> np.ndarray:
        """A stacking level per dot: dots closer than 1/80 of the axis pile up."""
        width = (hi - lo) / 80 or 1.0
        levels = np.zeros(self.n, dtype=int)
        placed: list[tuple[float, int]] = []
        for i, v in enumerate(self.values):
            used = {level for x, level in placed if abs(x - v) < width}
            level = 0
            while level in used:
                level += 1
            levels[i] = level
            placed.append((float(v), level))
        return levels

    def _draw(self) -> Figure:
        _ = self.translate
        m = mpl()
        fig = figure(3.4)
        ax = fig.add_subplot()
        style_axes(ax, grid_axis="x")
        set_title(ax, self.title)
        lo, hi = self._limits()
        handles, names = [], []

        # Row 0 (bottom): the panellists' estimates, stacked dots.
        levels = self._stack(lo, hi)
        top = max(int(levels.max()) + 1, 1)
        step = min(0.12, 0.7 / top)
        y_dots = -0.2 + levels * step
        dots = ax.scatter(self.values, y_dots, s=22, color=OKABE_ITO["blue"],
                          edgecolors="white", linewidths=0.5, zorder=3)
        handles.append(dots)
        names.append(_("Panellists' P50s") if self.band_kind == "aggregate"
                     else _("Panellists' estimates"))
        if self.median is not None:
            ax.plot([self.median, self.median], [-0.45, 0.45], color=OKABE_ITO["black"],
                    linewidth=1.6, zorder=4)
            handles.append(m.Line2D([], [], color=OKABE_ITO["black"], linewidth=1.6))
            names.append(_("Median") + f" {self.number(self.median)}")

        # Row 1 (top): the panel's band.
        if self.band is not None:
            b_lo, b_mid, b_hi = self.band
            ax.plot([b_lo, b_hi], [1, 1], color=OKABE_ITO["sky_blue"], linewidth=9,
                    solid_capstyle="butt", zorder=2)
            ax.plot([b_mid], [1], marker="D", markersize=8, color=OKABE_ITO["blue"],
                    markeredgecolor="white", zorder=3)
            for x in (b_lo, b_hi):
                ax.plot([x, x], [0.82, 1.18], color=OKABE_ITO["blue"], linewidth=1.2, zorder=3)
            if self.band_kind == "aggregate":
                label = _("Aggregate P10–P90, P50")
            else:
                label = _("Quartiles Q1–Q3, median")
            handles.append(m.Line2D([], [], color=OKABE_ITO["sky_blue"], linewidth=6,
                                    marker="D", markersize=6, markerfacecolor=OKABE_ITO["blue"],
                                    markeredgecolor="white"))
            names.append(label)

        # Baseline and target: vertical lines across both rows.
        if self.baseline is not None:
            value, year = self.baseline
            ax.axvline(value, color=GREY, linestyle="--", linewidth=1.4, zorder=1)
            handles.append(m.Line2D([], [], color=GREY, linestyle="--", linewidth=1.4))
            label = _("Baseline {year}").format(year=year) if year is not None else _("Baseline")
            names.append(_("{label}: {value}").format(label=label, value=self.number(value)))
        if self.target is not None:
            value, year = self.target
            ax.axvline(value, color=OKABE_ITO["vermillion"], linewidth=1.8, zorder=1)
            handles.append(m.Line2D([], [], color=OKABE_ITO["vermillion"], linewidth=1.8))
            label = _("Target {year}").format(year=year) if year is not None else _("Target")
            names.append(_("{label}: {value}").format(label=label, value=self.number(value)))
            if self.median is not None and self.median != value:
                ax.annotate("", xy=(value, 0.55), xytext=(self.median, 0.55),
                            arrowprops={"arrowstyle": "->", "color": OKABE_ITO["vermillion"],
                                        "linewidth": 1.2}, zorder=4)
                gap = self.median_gap if self.median_gap is not None else self.median - value
                sign = "+" if gap > 0 else "−"
                ax.text((value + self.median) / 2, 0.62,
                        _("median gap {gap}").format(gap=sign + self.number(abs(gap))),
                        ha="center", va="bottom", fontsize=TICK_SIZE, fontfamily=FONT,
                        color=OKABE_ITO["vermillion"], zorder=5,
                        bbox={"boxstyle": "square,pad=0.1", "facecolor": "white",
                              "edgecolor": "none"})

        ax.set_xlim(lo, hi)
        ax.set_ylim(-0.6, 1.45)
        ax.yaxis.set_major_locator(m.FixedLocator([0.0, 1.0]))
        ax.set_yticklabels([
            _("Panellists"),
            _("Aggregate") if self.band_kind == "aggregate" else _("Quartiles"),
        ])
        ax.tick_params(axis="y", length=0)
        unit = self.unit
        axis_label(ax, x=_("Value ({unit})").format(unit=unit) if unit else _("Value"))
        legend(ax, handles, names, ncols=3)
        return fig
