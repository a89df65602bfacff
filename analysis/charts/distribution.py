"""The distribution of the ratings of one item: a bar per scale point."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from .common import (
    FONT,
    OKABE_ITO,
    TICK_SIZE,
    ChartSpec,
    as_counts,
    as_labels,
    axis_label,
    check_length,
    figure,
    frozen,
    identity,
    legend,
    mpl,
    num,
    set_title,
    style_axes,
    truncate,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@dataclass(frozen=True, slots=True, eq=False)
class DistributionChart(ChartSpec):
    """Bar chart of how many panellists chose each point of a rating scale.

    Build it with :meth:`from_counts`, which validates the inputs; the
    fields are those inputs, checked.
    """

    title: str
    labels: tuple[str, ...]
    counts: np.ndarray
    median: float | None = None
    q1: float | None = None
    q3: float | None = None
    own: int | None = None
    translate: Callable[[str], str] = field(default=identity, repr=False)

    @classmethod
    def from_counts(
        cls,
        counts: Sequence[float],
        *,
        labels: Sequence[str],
        median: float | None = None,
        q1: float | None = None,
        q3: float | None = None,
        own: int | None = None,
        title: str | None = None,
        _: Callable[[str], str] = identity,
    ) -> DistributionChart:
        """The chart of *counts* on a scale of *labels*.

        Parameters
        ----------
        counts : sequence of int
            Number of ratings at each scale point, aligned with *labels*;
            whole, non-negative numbers.
        labels : sequence of str
            Scale-point labels in scale order, e.g. ``"1 Strongly disagree"``.
            A scale of ``k`` labels runs from 1 to ``k``.
        median : float, optional
            Median rating, on the 1..k scale; drawn as a vertical line.
        q1, q3 : float, optional
            First and third quartiles, on the 1..k scale; given together,
            drawn as a shaded interquartile band.  ``q1 <= median <= q3`` is
            required.
        own : int, optional
            The panellist's own rating (1-based scale value); its bar is
            highlighted with a different colour, a hatch and a "Your answer"
            note.
        title : str, optional
            Chart title; defaults to ``_("Distribution of ratings")``.
        _ : callable, optional
            gettext-like translation function applied to every user-visible
            string; identity by default.

        Returns
        -------
        DistributionChart
            Its ``alt`` gives n, the count at every scale point, the median
            and IQR and the panellist's own answer.

        Raises
        ------
        ValueError
            If *counts* and *labels* differ in length, a count is negative
            or fractional, or *median*, *q1*, *q3* or *own* lie off the
            scale.

        Notes
        -----
        No ratings at all (empty *labels* or all counts zero) gives a
        "No data" chart rather than an error.

        Examples
        --------
        >>> spec = DistributionChart.from_counts(
        ...     [0, 1, 2, 5, 2],
        ...     labels=["1 Strongly disagree", "2 Disagree", "3 Neutral",
        ...             "4 Agree", "5 Strongly agree"],
        ...     median=4, q1=3, q3=4, own=2)
        >>> "n = 10" in spec.alt
        True
        >>> spec.render("png").mimetype
        'image/png'
        """
        labels = as_labels(labels, "labels")
        values = as_counts(counts, "counts")
        check_length("counts", len(values), "labels", len(labels))
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
        return cls(title=title, labels=labels, counts=frozen(values), median=median,
                   q1=q1, q3=q3, own=own, translate=_)

    @property
    def n(self) -> int:
        """The number of ratings."""
        return int(self.counts.sum())

    @property
    def has_data(self) -> bool:
        return len(self.labels) > 0 and self.n > 0

    def _describe(self) -> str:
        _ = self.translate
        median, q1, q3 = self.median, self.q1, self.q3
        parts = [
            _("{title}: bar chart of the ratings on a {k}-point scale, n = {n}.").format(
                title=self.title, k=len(self.labels), n=self.n
            ),
            "; ".join(f"{lab}: {v}" for lab, v in zip(self.labels, self.counts)) + ".",
        ]
        if median is not None and q1 is not None:
            parts.append(_("Median {median}, interquartile range {q1} to {q3}.").format(
                median=num(median), q1=num(q1), q3=num(q3)))
        elif median is not None:
            parts.append(_("Median {median}.").format(median=num(median)))
        elif q1 is not None:
            parts.append(_("Interquartile range {q1} to {q3}.").format(q1=num(q1), q3=num(q3)))
        if self.own is not None:
            parts.append(_("Your answer: {answer}.").format(answer=self.labels[self.own - 1]))
        return " ".join(parts)

    def _draw(self) -> Figure:
        _ = self.translate
        labels, values = self.labels, self.counts
        median, q1, q3, own = self.median, self.q1, self.q3, self.own
        k = len(labels)
        fig = figure(3.6)
        ax = fig.add_subplot()
        style_axes(ax, grid_axis="y")
        set_title(ax, self.title)
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
                    fontsize=TICK_SIZE, fontfamily=FONT, color="#333333", zorder=4,
                    bbox={"boxstyle": "square,pad=0.1", "facecolor": "white",
                          "edgecolor": "none"})
        if median is not None:
            ax.axvline(median, color=OKABE_ITO["black"], linewidth=1.6, linestyle="-",
                       label=_("Median"), zorder=3)
        if own is not None:
            ax.annotate(_("Your answer"), xy=(own, values[own - 1]),
                        xytext=(0, 14), textcoords="offset points", ha="center",
                        fontsize=TICK_SIZE, fontfamily=FONT,
                        color=OKABE_ITO["vermillion"], fontweight="bold")

        ax.set_xlim(0.4, k + 0.6)
        ax.set_ylim(0, top * 1.25 + 0.5)
        ax.yaxis.set_major_locator(mpl().MaxNLocator(integer=True, nbins=5))
        ax.xaxis.set_major_locator(mpl().FixedLocator(x.astype(float)))
        wrap = max(6, 84 // k)
        ax.set_xticklabels(
            ["\n".join(textwrap.wrap(truncate(lab, 2 * wrap), wrap) or [""]) for lab in labels]
        )
        axis_label(ax, y=_("Number of panellists"))
        handles, names = ax.get_legend_handles_labels()
        if handles:
            legend(ax, handles, names, ncols=len(handles), where="inside")
        return fig
