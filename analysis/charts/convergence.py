"""The agreement of every item across rounds: a line per item."""

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
    SERIES_COLOURS,
    SERIES_MARKERS,
    TICK_SIZE,
    ChartSpec,
    as_labels,
    as_rounds,
    axis_label,
    check_unit_interval,
    figure,
    frozen,
    identity,
    legend,
    mpl,
    pct,
    round_axis,
    round_list,
    set_title,
    style_axes,
    truncate,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@dataclass(frozen=True, slots=True, eq=False)
class ConvergenceChart(ChartSpec):
    """Agreement of every item across rounds.

    Up to 8 items get one coloured line each (colour and marker) with a
    legend; more items are drawn as thin grey lines with the median across
    items in bold, since a legend of dozens of colours cannot be read.

    Build it with :meth:`from_agreement`, which validates the inputs.
    """

    title: str
    rounds: np.ndarray
    labels: tuple[str, ...]
    agreement: np.ndarray
    threshold: float | None = None
    translate: Callable[[str], str] = field(default=identity, repr=False)

    @classmethod
    def from_agreement(
        cls,
        round_numbers: Sequence[int],
        item_labels: Sequence[str],
        agreement: np.ndarray | Sequence[Sequence[float]],
        *,
        threshold: float | None = None,
        title: str | None = None,
        _: Callable[[str], str] = identity,
    ) -> ConvergenceChart:
        """The chart of *agreement*, items by rounds.

        Parameters
        ----------
        round_numbers : sequence of int
            Round numbers, strictly increasing; the x axis.
        item_labels : sequence of str
            One label per item (row of *agreement*).
        agreement : array_like, shape (n_items, n_rounds)
            Agreement between 0 and 1; NaN (or ``None``) where the item was
            not in the round (the line has a gap there).
        threshold : float, optional
            Consensus threshold between 0 and 1, drawn as a dashed line.
        title : str, optional
            Chart title; defaults to ``_("Agreement across rounds")``.
        _ : callable, optional
            gettext-like translation function; identity by default.

        Returns
        -------
        ConvergenceChart
            Its ``alt`` gives, per round, the number of items rated, their
            median agreement and, with *threshold*, how many reached it.

        Raises
        ------
        ValueError
            If the shape of *agreement* does not match the labels and
            rounds, an agreement or *threshold* lies outside 0..1, or
            *round_numbers* is not strictly increasing.
        """
        rounds = as_rounds(round_numbers)
        labels = as_labels(item_labels, "item_labels")
        try:
            agree = np.array(  # a copy: the spec's array is its own
                [[math.nan if v is None else v for v in row] for row in agreement]
                if not isinstance(agreement, np.ndarray) else agreement,
                dtype=float,
            )
        except (TypeError, ValueError):
            raise ValueError(
                "agreement must be a 2-D array of numbers (items x rounds)") from None
        if agree.size == 0:
            agree = agree.reshape(len(labels), len(rounds))
        if agree.ndim != 2:
            raise ValueError(f"agreement must be 2-D (items x rounds), got shape {agree.shape}")
        if agree.shape != (len(labels), len(rounds)):
            raise ValueError(
                f"agreement has shape {agree.shape} but item_labels and round_numbers "
                f"give ({len(labels)}, {len(rounds)})"
            )
        check_unit_interval(agree, "agreement")
        if threshold is not None:
            threshold = float(threshold)
            if not (0 <= threshold <= 1):
                raise ValueError(f"threshold must lie between 0 and 1, got {threshold!r}")

        title = _("Agreement across rounds") if title is None else title
        return cls(title=title, rounds=frozen(rounds), labels=labels,
                   agreement=frozen(agree), threshold=threshold, translate=_)

    @property
    def has_data(self) -> bool:
        n_items, n_rounds = self.agreement.shape
        return n_items > 0 and n_rounds > 0 and not np.all(np.isnan(self.agreement))

    def medians(self) -> np.ndarray:
        """The median agreement across the items rated in each round (NaN if none)."""
        agree = self.agreement
        rated = ~np.isnan(agree)
        with np.errstate(all="ignore"):
            return np.array([
                np.median(agree[rated[:, j], j]) if rated[:, j].any() else math.nan
                for j in range(agree.shape[1])
            ])

    def _describe(self) -> str:
        _ = self.translate
        agree, threshold = self.agreement, self.threshold
        rated = ~np.isnan(agree)
        medians = self.medians()
        parts = [
            _("{title}: agreement of {n} items in rounds {rounds}.").format(
                title=self.title, n=agree.shape[0], rounds=round_list(self.rounds))
        ]
        for j, r in enumerate(self.rounds):
            k = int(rated[:, j].sum())
            if k == 0:
                parts.append(_("Round {round}: no items rated.").format(round=r))
                continue
            text = _("Round {round}: {k} items rated, median agreement {median}").format(
                round=r, k=k, median=pct(medians[j]))
            if threshold is not None:
                reached = int(np.sum(agree[rated[:, j], j] >= threshold))
                text += _(", {reached} at or above the {threshold} threshold").format(
                    reached=reached, threshold=pct(threshold))
            parts.append(text + ".")
        return " ".join(parts)

    def _draw(self) -> Figure:
        _ = self.translate
        rounds, agree, threshold = self.rounds, self.agreement, self.threshold
        n_items = agree.shape[0]
        many = n_items > len(SERIES_COLOURS)
        legend_rows = 0 if many else math.ceil(n_items / 2)
        fig = figure(3.8 + 0.22 * legend_rows)
        ax = fig.add_subplot()
        style_axes(ax, grid_axis="y")
        set_title(ax, self.title)
        x = rounds.astype(float)

        if threshold is not None:
            ax.axhline(threshold, color=OKABE_ITO["black"], linestyle="--", linewidth=1,
                       zorder=1)
            ax.annotate(_("Threshold {value}").format(value=pct(threshold)),
                        xy=(1, threshold), xycoords=("axes fraction", "data"),
                        xytext=(0, 3), textcoords="offset points", ha="right",
                        va="bottom", fontsize=TICK_SIZE, fontfamily=FONT)
        if many:
            # NaNs break the lines; small markers keep isolated points visible.
            for row in agree:
                ax.plot(x, row, color=GREY, alpha=0.45, linewidth=0.8, marker="o",
                        markersize=2, zorder=2)
            ax.plot(x, self.medians(), color=OKABE_ITO["blue"], linewidth=2.4, marker="o",
                    markersize=5, zorder=3, label=_("Median across items"))
            handles, names = ax.get_legend_handles_labels()
            legend(ax, handles, names, ncols=1, where="inside")
        else:
            for i, (lab, row) in enumerate(zip(self.labels, agree)):
                ax.plot(x, row, color=SERIES_COLOURS[i], marker=SERIES_MARKERS[i],
                        markersize=5, linewidth=1.6, label=truncate(lab, 34), zorder=2)
            handles, names = ax.get_legend_handles_labels()
            # Two columns of labels of up to 34 characters fit in 640 px; more are cut off.
            legend(ax, handles, names, ncols=2)
        round_axis(ax, rounds, _("Round"))
        ax.set_ylim(0, 1.02)
        ax.yaxis.set_major_formatter(mpl().PercentFormatter(xmax=1.0))
        axis_label(ax, y=_("Agreement"))
        return fig
