"""Participation across rounds: invited, started and submitted per round."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from .common import (
    FONT,
    LABEL_SIZE,
    OKABE_ITO,
    ChartSpec,
    as_counts,
    as_rounds,
    axis_label,
    check_length,
    figure,
    frozen,
    identity,
    legend,
    mpl,
    pct,
    round_list,
    set_title,
    style_axes,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@dataclass(frozen=True, slots=True, eq=False)
class ParticipationChart(ChartSpec):
    """Participation flow per round: invited, started and submitted.

    Grouped bars per round, with the response rate (submitted / invited)
    written above each group.  Build it with :meth:`from_counts`, which
    validates the inputs.
    """

    title: str
    rounds: np.ndarray
    invited: np.ndarray
    started: np.ndarray
    submitted: np.ndarray
    translate: Callable[[str], str] = field(default=identity, repr=False)

    @classmethod
    def from_counts(
        cls,
        round_numbers: Sequence[int],
        invited: Sequence[int],
        started: Sequence[int],
        submitted: Sequence[int],
        *,
        title: str | None = None,
        _: Callable[[str], str] = identity,
    ) -> ParticipationChart:
        """The chart of the panellists *invited*, *started* and *submitted* per round.

        Parameters
        ----------
        round_numbers : sequence of int
            Round numbers, strictly increasing.
        invited, started, submitted : sequence of int
            Panellists invited to, who opened, and who submitted each round;
            whole non-negative numbers aligned with *round_numbers*.  Each
            stage is a subset of the one before:
            ``submitted <= started <= invited``.
        title : str, optional
            Chart title; defaults to ``_("Participation across rounds")``.
        _ : callable, optional
            gettext-like translation function; identity by default.

        Returns
        -------
        ParticipationChart
            Its ``alt`` gives the three counts and the response rate of
            every round.

        Raises
        ------
        ValueError
            If lengths differ, a count is negative or fractional, or the
            stages are not nested.
        """
        rounds = as_rounds(round_numbers)
        inv = as_counts(invited, "invited")
        sta = as_counts(started, "started")
        sub = as_counts(submitted, "submitted")
        for name, arr in (("invited", inv), ("started", sta), ("submitted", sub)):
            check_length(name, len(arr), "round_numbers", len(rounds))
        if np.any(sta > inv):
            raise ValueError("started must not exceed invited in any round")
        if np.any(sub > sta):
            raise ValueError("submitted must not exceed started in any round")

        title = _("Participation across rounds") if title is None else title
        return cls(title=title, rounds=frozen(rounds), invited=frozen(inv),
                   started=frozen(sta), submitted=frozen(sub), translate=_)

    def rates(self) -> list[float]:
        """The response rate of each round, submitted / invited (NaN if none invited)."""
        inv, sub = self.invited, self.submitted
        return [sub[j] / inv[j] if inv[j] else math.nan for j in range(len(self.rounds))]

    @property
    def has_data(self) -> bool:
        return len(self.rounds) > 0

    def _describe(self) -> str:
        _ = self.translate
        parts = [
            _("{title}: participation in rounds {rounds}.").format(
                title=self.title, rounds=round_list(self.rounds))
        ]
        for r, i, s, b, rate in zip(self.rounds, self.invited, self.started,
                                    self.submitted, self.rates()):
            if np.isnan(rate):
                parts.append(_("Round {round}: {invited} invited, {started} started, "
                               "{submitted} submitted.").format(
                    round=r, invited=i, started=s, submitted=b))
            else:
                parts.append(_("Round {round}: {invited} invited, {started} started, "
                               "{submitted} submitted, response rate {rate}.").format(
                    round=r, invited=i, started=s, submitted=b, rate=pct(rate)))
        return " ".join(parts)

    def _draw(self) -> Figure:
        _ = self.translate
        rounds, inv = self.rounds, self.invited
        fig = figure(3.8)
        ax = fig.add_subplot()
        style_axes(ax, grid_axis="y")
        set_title(ax, self.title)
        stages = (
            (_("Invited"), inv, OKABE_ITO["sky_blue"], None),
            (_("Started"), self.started, OKABE_ITO["orange"], "//"),
            (_("Submitted"), self.submitted, OKABE_ITO["blue"], None),
        )
        positions = np.arange(len(rounds), dtype=float)
        width = 0.26
        for s, (name, arr, colour, hatch) in enumerate(stages):
            ax.bar(positions + (s - 1) * width, arr, width=width * 0.95, color=colour,
                   hatch=hatch, edgecolor="#333333" if hatch else "white", linewidth=0.5,
                   label=name, zorder=2)
        top = max(int(inv.max()), 1)
        for j, rate in enumerate(self.rates()):
            if not np.isnan(rate):
                ax.text(positions[j], inv[j] + top * 0.03, pct(rate), ha="center",
                        va="bottom", fontsize=LABEL_SIZE, fontfamily=FONT,
                        fontweight="bold", color="#333333")
        ax.xaxis.set_major_locator(mpl().FixedLocator(positions))
        ax.set_xticklabels([_("Round {round}").format(round=r) for r in rounds])
        ax.set_ylim(0, top * 1.2)
        ax.yaxis.set_major_locator(mpl().MaxNLocator(integer=True))
        axis_label(ax, y=_("Panellists"))
        handles, names = ax.get_legend_handles_labels()
        handles.append(mpl().Line2D([], [], linestyle="none"))
        names.append(_("% = response rate (submitted / invited)"))
        legend(ax, handles, names, ncols=4)
        return fig
