"""Kendall's W across rounds: a line per criterion."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from .common import (
    SERIES_COLOURS,
    SERIES_MARKERS,
    ChartSpec,
    as_float_1d,
    as_rounds,
    axis_label,
    check_length,
    check_unit_interval,
    figure,
    frozen,
    identity,
    legend,
    round_axis,
    round_list,
    set_title,
    style_axes,
    truncate,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@dataclass(frozen=True, slots=True, eq=False)
class ConcordanceChart(ChartSpec):
    """Kendall's coefficient of concordance W across rounds, per criterion.

    Build it with :meth:`from_w`, which validates the inputs; ``series``
    holds ``(criterion, W per round)`` pairs in the order given.

    Notes
    -----
    W runs from 0 (no agreement on the ranking) to 1 (complete agreement);
    Schmidt (1997) reads 0.5 as moderate and 0.7 as strong agreement.
    """

    title: str
    rounds: np.ndarray
    series: tuple[tuple[str, np.ndarray], ...]
    translate: Callable[[str], str] = field(default=identity, repr=False)

    @classmethod
    def from_w(
        cls,
        round_numbers: Sequence[int],
        w_by_criterion: Mapping[str, Sequence[float | None]],
        *,
        title: str | None = None,
        _: Callable[[str], str] = identity,
    ) -> ConcordanceChart:
        """The chart of W per round of each criterion of *w_by_criterion*.

        Parameters
        ----------
        round_numbers : sequence of int
            Round numbers, strictly increasing; the x axis.
        w_by_criterion : mapping of str to sequence of float
            Kendall's W (0..1) per round for each criterion, aligned with
            *round_numbers*; ``None`` or NaN where W is undefined, drawn as
            a gap.  Criteria are drawn in the mapping's order.
        title : str, optional
            Chart title; defaults to ``_("Kendall's W across rounds")``.
        _ : callable, optional
            gettext-like translation function; identity by default.

        Returns
        -------
        ConcordanceChart
            Its ``alt`` gives W per round per criterion (two decimals).

        Raises
        ------
        ValueError
            If a sequence's length differs from *round_numbers*, a W lies
            outside 0..1, or *round_numbers* is not strictly increasing.
        """
        rounds = as_rounds(round_numbers)
        if not isinstance(w_by_criterion, Mapping):
            raise ValueError("w_by_criterion must be a mapping of criterion to sequence of W")
        series = []
        for criterion, values in w_by_criterion.items():
            arr = as_float_1d(values, f"w_by_criterion[{criterion!r}]", allow_none=True)
            check_length(f"w_by_criterion[{criterion!r}]", len(arr), "round_numbers",
                         len(rounds))
            check_unit_interval(arr, f"w_by_criterion[{criterion!r}]")
            series.append((str(criterion), frozen(arr)))

        title = _("Kendall's W across rounds") if title is None else title
        return cls(title=title, rounds=frozen(rounds), series=tuple(series), translate=_)

    @property
    def has_data(self) -> bool:
        return (bool(self.series) and len(self.rounds) > 0
                and not all(np.all(np.isnan(a)) for _c, a in self.series))

    def _describe(self) -> str:
        _ = self.translate
        parts = [
            _("{title}: Kendall's W for {n} criteria in rounds {rounds}.").format(
                title=self.title, n=len(self.series), rounds=round_list(self.rounds))
        ]
        for criterion, arr in self.series:
            cells = [
                (_("round {round} not computed") if np.isnan(w) else
                 _("round {round} {w}")).format(round=r, w=f"{w:.2f}")
                for r, w in zip(self.rounds, arr)
            ]
            parts.append(f"{criterion}: " + ", ".join(cells) + ".")
        return " ".join(parts)

    def _draw(self) -> Figure:
        _ = self.translate
        legend_rows = math.ceil(len(self.series) / 3)
        fig = figure(3.6 + 0.22 * legend_rows)
        ax = fig.add_subplot()
        style_axes(ax, grid_axis="y")
        set_title(ax, self.title)
        x = self.rounds.astype(float)
        for i, (criterion, arr) in enumerate(self.series):
            ax.plot(x, arr, color=SERIES_COLOURS[i % len(SERIES_COLOURS)],
                    marker=SERIES_MARKERS[i % len(SERIES_MARKERS)], markersize=5,
                    linewidth=1.6, label=truncate(criterion, 30))
        round_axis(ax, self.rounds, _("Round"))
        ax.set_ylim(0, 1.02)
        axis_label(ax, y=_("Kendall's W"))
        handles, names = ax.get_legend_handles_labels()
        legend(ax, handles, names, ncols=min(3, len(handles)))
        return fig
