"""The verdict of every item of a round: a bar per item, or per verdict."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from .common import (
    ALT_ITEM_LIMIT,
    FONT,
    GREY,
    OKABE_ITO,
    TICK_SIZE,
    WIDTH_IN,
    ChartSpec,
    as_float_1d,
    as_labels,
    axis_label,
    check_length,
    check_unit_interval,
    figure,
    frozen,
    identity,
    item_height,
    mpl,
    pct,
    set_title,
    style_axes,
    text_width_in,
    truncate,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Verdict codes accepted by :meth:`VerdictsChart.from_verdicts`, in legend order.
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
    "insufficient_n": (GREY, "...."),
}


@dataclass(frozen=True, slots=True, eq=False)
class VerdictsChart(ChartSpec):
    """The verdict of every item of a round.

    With ``agreement``, one horizontal bar per item (in the given order, top
    to bottom) whose length is the item's agreement and whose colour and
    hatch give its verdict.  Without it, one bar per verdict giving the
    number of items that reached it.

    Build it with :meth:`from_verdicts`, which validates the inputs.
    """

    title: str
    labels: tuple[str, ...]
    verdicts: tuple[str, ...]
    agreement: np.ndarray | None = None
    translate: Callable[[str], str] = field(default=identity, repr=False)

    @classmethod
    def from_verdicts(
        cls,
        item_labels: Sequence[str],
        verdicts: Sequence[str],
        *,
        agreement: Sequence[float] | None = None,
        title: str | None = None,
        _: Callable[[str], str] = identity,
    ) -> VerdictsChart:
        """The chart of the *verdicts* of the items *item_labels*.

        Parameters
        ----------
        item_labels : sequence of str
            Item labels; those longer than 40 characters are shortened with
            an ellipsis on the chart (the alt text keeps them whole).
        verdicts : sequence of str
            One of ``"consensus_in"``, ``"consensus_out"``,
            ``"no_consensus"``, ``"insufficient_n"`` per item.
        agreement : sequence of float, optional
            Agreement per item, between 0 and 1; NaN (or ``None``) where it
            is undefined, e.g. too few responses.
        title : str, optional
            Chart title; defaults to ``_("Verdicts by item")``.
        _ : callable, optional
            gettext-like translation function; identity by default.

        Returns
        -------
        VerdictsChart
            Its ``alt`` gives the number of items per verdict and, for up to
            12 items, each item's agreement and verdict.

        Raises
        ------
        ValueError
            If a verdict is unknown, the lengths differ, or an agreement
            lies outside 0..1.

        Notes
        -----
        The figure is 640 px wide and grows 20 px per item up to 2000 px;
        past that (about 90 items) rows get thinner and so does their text.
        """
        labels = as_labels(item_labels, "item_labels")
        verdict_list = as_labels(verdicts, "verdicts")
        check_length("verdicts", len(verdict_list), "item_labels", len(labels))
        unknown = sorted({v for v in verdict_list if v not in VERDICTS})
        if unknown:
            raise ValueError(
                f"verdicts contains unknown values {unknown}; allowed: {', '.join(VERDICTS)}"
            )
        agree = None
        if agreement is not None:
            agree = as_float_1d(agreement, "agreement", allow_none=True)
            check_length("agreement", len(agree), "item_labels", len(labels))
            check_unit_interval(agree, "agreement")
            agree = frozen(agree)

        title = _("Verdicts by item") if title is None else title
        return cls(title=title, labels=labels, verdicts=verdict_list, agreement=agree,
                   translate=_)

    @property
    def tally(self) -> dict[str, int]:
        """The number of items of each verdict, in :data:`VERDICTS` order."""
        return {code: self.verdicts.count(code) for code in VERDICTS}

    def _names(self) -> dict[str, str]:
        return {code: self.translate(name) for code, name in _VERDICT_NAMES.items()}

    @property
    def has_data(self) -> bool:
        return len(self.labels) > 0

    def _describe(self) -> str:
        _ = self.translate
        names, tally, n = self._names(), self.tally, len(self.labels)
        parts = [
            _("{title}: {n} items.").format(title=self.title, n=n),
            "; ".join(f"{names[c]}: {tally[c]}" for c in VERDICTS) + ".",
        ]
        if self.agreement is not None and n <= ALT_ITEM_LIMIT:
            for lab, a, v in zip(self.labels, self.agreement, self.verdicts):
                if np.isnan(a):
                    parts.append(_("{item}: agreement not computed, {verdict}.").format(
                        item=lab, verdict=names[v].lower()))
                else:
                    parts.append(_("{item}: {agreement} agreement, {verdict}.").format(
                        item=lab, agreement=pct(a), verdict=names[v].lower()))
        return " ".join(parts)

    def _draw(self) -> Figure:
        if self.agreement is None:
            return self._draw_counts()
        return self._draw_items()

    def _draw_counts(self) -> Figure:
        """One bar per verdict: how many items reached it."""
        _ = self.translate
        names, tally = self._names(), self.tally
        fig = figure(3.0)
        ax = fig.add_subplot()
        style_axes(ax, grid_axis="x")
        set_title(ax, self.title)
        y = np.arange(len(VERDICTS))
        for yi, code in zip(y, VERDICTS):
            colour, hatch = _VERDICT_STYLE[code]
            ax.barh(yi, tally[code], height=0.6, color=colour, hatch=hatch,
                    edgecolor="white" if hatch is None else "#333333", linewidth=0.5)
            ax.text(tally[code], yi, f" {tally[code]}", va="center", ha="left",
                    fontsize=TICK_SIZE, fontfamily=FONT, color="#333333")
        ax.yaxis.set_major_locator(mpl().FixedLocator(y.astype(float)))
        ax.set_yticklabels([names[c] for c in VERDICTS])
        ax.invert_yaxis()
        ax.set_xlim(0, max(tally.values()) * 1.15 + 0.5)
        ax.xaxis.set_major_locator(mpl().MaxNLocator(integer=True))
        axis_label(ax, x=_("Number of items"))
        return fig

    def _draw_items(self) -> Figure:
        """One bar per item: its agreement, coloured and hatched by verdict.

        Drawn for speed (a round of 100 items): the item labels are plain
        text artists, not 100 axis ticks (each tick is four artists that the
        layout measures again and again), and the margins are computed once
        from the widest label instead of by the constrained layout.
        """
        _ = self.translate
        names, tally = self._names(), self.tally
        labels, verdict_list, agree = self.labels, self.verdicts, self.agreement
        n = len(labels)
        present = [c for c in VERDICTS if tally[c]]
        ncols = min(len(present), 2)
        legend_rows = -(-len(present) // ncols)
        top_in, bottom_in = 0.72, 0.22 + 0.22 * legend_rows
        height = item_height(n, extra_in=top_in + bottom_in + 0.1)
        fig = figure(height, layout=None)
        # Shrink the label text when the cap squeezes rows below ~12 pt.
        row_pt = (height - top_in - bottom_in) * 72 / n
        label_size = min(TICK_SIZE, max(4.0, row_pt * 0.7))
        shown = [truncate(lab) for lab in labels]
        left_in = 0.15 + max((text_width_in(s, label_size) for s in set(shown)), default=0.0)
        fig.subplots_adjust(left=min(left_in / WIDTH_IN, 0.6), right=1 - 0.25 / WIDTH_IN,
                            top=1 - top_in / height, bottom=bottom_in / height)
        ax = fig.add_subplot()
        style_axes(ax, grid_axis="x")
        set_title(ax, self.title, top_in=0.06)
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
                    fontsize=label_size, fontfamily=FONT, color="#555555")
        ax.set_yticks([])
        row_labels = ax.get_yaxis_transform()  # x in axes fraction, y in data
        for yi, text in zip(y, shown):
            ax.text(-0.012, yi, text, transform=row_labels, ha="right", va="center",
                    fontsize=label_size, fontfamily=FONT, color="#333333")
        ax.set_ylim(n - 0.5, -0.5)  # first item at the top
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter(mpl().PercentFormatter(xmax=1.0))
        axis_label(ax, x=_("Agreement"))
        ax.xaxis.set_label_position("top")
        ax.xaxis.tick_top()
        handles = [
            mpl().Patch(facecolor=_VERDICT_STYLE[c][0], hatch=_VERDICT_STYLE[c][1],
                        edgecolor="#333333" if _VERDICT_STYLE[c][1] else "white")
            for c in present
        ]
        fig.legend(handles, [names[c] for c in present], loc="lower left",
                   bbox_to_anchor=(0.01, 0.05 / height), frameon=False, ncols=ncols,
                   prop={"family": FONT, "size": TICK_SIZE}, handlelength=1.6,
                   columnspacing=1.2)
        return fig
