"""The result of a ranking item: each option's mean rank and top-three share."""

from __future__ import annotations

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
    as_labels,
    axis_label,
    check_length,
    check_unit_interval,
    figure,
    frozen,
    identity,
    item_height,
    mpl,
    num,
    pct,
    set_title,
    style_axes,
    truncate,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@dataclass(frozen=True, slots=True, eq=False)
class RankingChart(ChartSpec):
    """Two panels side by side, one row per option, best mean rank at the top:
    the mean rank (1 = best; shorter is better) and the share of panellists
    who placed the option in their top three.

    Build it with :meth:`from_options`, which validates the inputs; the rows
    are kept in the order of the mean rank (ties: the order given).
    """

    title: str
    labels: tuple[str, ...]
    mean_rank: np.ndarray
    top3_share: np.ndarray
    n: int
    w: float | None
    number: Callable[[float], str] = field(default=num, repr=False)
    percent: Callable[[float], str] = field(default=pct, repr=False)
    translate: Callable[[str], str] = field(default=identity, repr=False)

    @classmethod
    def from_options(
        cls,
        labels: Sequence[str],
        mean_rank: Sequence[float | None],
        top3_share: Sequence[float | None],
        *,
        n: int,
        w: float | None = None,
        title: str | None = None,
        number: Callable[[float], str] = num,
        percent: Callable[[float], str] = pct,
        _: Callable[[str], str] = identity,
    ) -> RankingChart:
        """The chart of the frozen ranking figures.

        Parameters
        ----------
        labels : sequence of str
            The options' texts.
        mean_rank : sequence of float
            Each option's mean rank, 1..len(labels) (None or NaN: not
            computed).
        top3_share : sequence of float
            Each option's share (0..1) of panellists ranking it in the top three.
        n : int
            The number of rankings.
        w : float, optional
            Kendall's W over the rankings (0..1), stated in the alt text.
        title : str, optional
            Defaults to ``_("Mean rank per option")``.
        number, percent : callable, optional
            How the alt text writes a number and a share.
        _ : callable, optional
            gettext-like translation function; identity by default.

        Raises
        ------
        ValueError
            If the lengths differ, a mean rank lies outside 1..len(labels),
            a share outside 0..1, *n* is negative or W outside 0..1.

        Examples
        --------
        >>> spec = RankingChart.from_options(["A", "B"], [1.25, 1.75], [1, 1], n=4, w=0.25)
        >>> spec.alt.split(". ")[1]
        'A: mean rank 1.25, top three 100%'
        """
        labels = as_labels(labels, "labels")
        ranks = as_float_1d(mean_rank, "mean_rank", allow_none=True)
        shares = as_float_1d(top3_share, "top3_share", allow_none=True)
        check_length("mean_rank", len(ranks), "labels", len(labels))
        check_length("top3_share", len(shares), "labels", len(labels))
        finite = ranks[~np.isnan(ranks)]
        if np.any(np.isinf(finite)) or np.any((finite < 1) | (finite > max(len(labels), 1))):
            raise ValueError("mean_rank must lie between 1 and the number of options")
        check_unit_interval(shares, "top3_share")
        if isinstance(n, bool) or int(n) != n or n < 0:
            raise ValueError("n must be a whole number >= 0")
        if w is not None:
            w = float(w)
            if not math.isfinite(w) or not 0 <= w <= 1:
                raise ValueError("w must lie between 0 and 1")
        order = sorted(range(len(labels)),
                       key=lambda j: (math.inf if np.isnan(ranks[j]) else ranks[j], j))
        title = _("Mean rank per option") if title is None else title
        return cls(title=title, labels=tuple(labels[j] for j in order),
                   mean_rank=frozen(ranks[order].copy()), top3_share=frozen(shares[order].copy()),
                   n=int(n), w=w, number=number, percent=percent, translate=_)

    @property
    def has_data(self) -> bool:
        return self.n > 0 and len(self.labels) > 0 and not np.all(np.isnan(self.mean_rank))

    def _describe(self) -> str:
        _ = self.translate
        head = _("{title}: {m} options ranked by {n} panellists, best mean rank first").format(
            title=self.title, m=len(self.labels), n=self.n)
        if self.w is not None:
            head += _("; Kendall's W = {w}").format(w=self.number(self.w))
        parts = [head]
        for label, rank, share in zip(self.labels, self.mean_rank, self.top3_share):
            if np.isnan(rank):
                parts.append(_("{option}: not computed").format(option=label))
                continue
            text = _("{option}: mean rank {rank}").format(option=label, rank=self.number(rank))
            if not np.isnan(share):
                text += _(", top three {share}").format(share=self.percent(share))
            parts.append(text)
        return ". ".join(parts) + "."

    def _draw(self) -> Figure:
        _ = self.translate
        m = mpl()
        k = len(self.labels)
        fig = figure(item_height(k, extra_in=1.4) + 0.3)
        left, right = fig.subplots(1, 2, sharey=True, width_ratios=(3, 2))
        for ax in (left, right):
            style_axes(ax, grid_axis="x")
        set_title(left, self.title)
        y = np.arange(k)
        ranks = np.nan_to_num(self.mean_rank, nan=0.0)
        left.barh(y, ranks, height=0.6, color=OKABE_ITO["blue"], zorder=2)
        shares = np.nan_to_num(self.top3_share, nan=0.0)
        right.barh(y, shares, height=0.6, color=OKABE_ITO["bluish_green"], hatch="..",
                   edgecolor="white", zorder=2)
        for yi, r, s, raw in zip(y, ranks, shares, self.mean_rank):
            if not np.isnan(raw):
                left.text(r, yi, " " + self.number(r), va="center", ha="left", fontsize=TICK_SIZE,
                          fontfamily=FONT, color="#333333")
            right.text(s, yi, " " + self.percent(s), va="center", ha="left", fontsize=TICK_SIZE,
                       fontfamily=FONT, color="#333333")
        left.yaxis.set_major_locator(m.FixedLocator(y.astype(float)))
        left.set_yticklabels([truncate(label, 32) for label in self.labels])
        left.set_ylim(k - 0.5, -0.5)
        left.tick_params(axis="y", length=0)
        left.set_xlim(0, k + 0.6)
        left.xaxis.set_major_locator(m.FixedLocator([float(i) for i in range(1, k + 1)]))
        right.set_xlim(0, 1.25)
        right.xaxis.set_major_locator(m.FixedLocator([0.0, 0.5, 1.0]))
        right.xaxis.set_major_formatter(m.PercentFormatter(1.0, decimals=0))
        axis_label(left, x=_("Mean rank (1 = best)"))
        axis_label(right, x=_("Ranked in the top three"))
        return fig
