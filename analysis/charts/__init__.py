"""Accessible, cacheable charts of Delphi-round results.

Each chart is one frozen spec, built once from validated inputs, that gives
both its alt text and its drawing::

    spec = ParticipationChart.from_counts([1, 2], [40, 38], [36, 33], [34, 30])
    spec.alt            # the text a screen reader reads out; nothing is drawn
    spec.render("png")  # a Chart: the image bytes, their mimetype, and spec.alt

A page prints the alt texts at once and lets each ``<img>`` request draw its
image (drawing a 100-item chart costs a second or more); since both come
from the same spec, ``spec.render(fmt).alt == spec.alt`` always.

=========================  ===================================================
:mod:`.distribution`       :class:`DistributionChart`: the ratings of one item
:mod:`.verdicts`           :class:`VerdictsChart`: the verdict of each item
:mod:`.convergence`        :class:`ConvergenceChart`: agreement across rounds
:mod:`.concordance`        :class:`ConcordanceChart`: Kendall's W across rounds
:mod:`.participation`      :class:`ParticipationChart`: invited, started,
                           submitted per round
:mod:`.target`             :class:`TargetChart`: an estimate against its
                           baseline and target (the gap-to-target chart)
:mod:`.answers`            :class:`AnswersChart`: the answers of a
                           probability, year or estimate item, binned
                           (years with a "later" bar)
:mod:`.ranking`            :class:`RankingChart`: mean rank and top-three
                           share per option of a ranking item
:mod:`.common`             the :class:`Chart` result, the :class:`ChartSpec`
                           base, palette, fonts, input checks, lazy matplotlib
=========================  ===================================================

Every spec is pure: it takes plain numbers, sequences or numpy arrays (never
ORM objects, never a request).

Drawing uses matplotlib's object API only (:class:`matplotlib.figure.Figure`
rendered with ``Figure.savefig``); :mod:`matplotlib.pyplot` is never imported,
so no global figure manager or GUI backend is involved and figures can be
built in several server threads at once. matplotlib itself is imported on the
first :meth:`~ChartSpec.render`, not with this package, so building specs and
reading their ``alt`` never loads it.

Conventions shared by all charts:

* ``render(fmt)`` takes ``"png"`` or ``"svg"``; the output is 640 px wide
  (6.4 in at 100 dpi), item lists grow taller with the number of items up to
  a cap.
* Colours come from the Okabe--Ito palette (:data:`OKABE_ITO`), which stays
  distinguishable under the common forms of colour-vision deficiency; where
  colour carries meaning it is doubled by a hatch, a marker or a text label.
* ``_`` is a gettext-like callable applied to every user-visible string
  (titles, axis labels, legend entries and the alt-text templates) before it
  is formatted, so the web app can pass ``flask_babel.gettext``; the spec
  keeps it (as ``translate``) for drawing.  The charts of the question kinds
  (:class:`TargetChart`, :class:`AnswersChart`, :class:`RankingChart`) also
  take ``number`` and ``percent`` callables, so their alt texts write
  numbers as the reader's locale does.  Templates use :meth:`str.format`
  fields such as ``{n}``; translations must keep them.  Data (item labels,
  criterion names, scale labels) is never translated.
* Empty inputs (no items, no rounds, no ratings) give a valid chart that says
  "No data"; malformed inputs raise :class:`ValueError` naming the argument,
  when the spec is built (an unknown ``fmt`` when it is rendered).
* Output is deterministic: the same spec gives the same bytes, so the web
  app can cache the image and derive an ETag from it.
"""

from .answers import AnswersChart
from .common import OKABE_ITO, Chart, ChartSpec
from .concordance import ConcordanceChart
from .convergence import ConvergenceChart
from .distribution import DistributionChart
from .participation import ParticipationChart
from .ranking import RankingChart
from .target import TargetChart
from .verdicts import VERDICTS, VerdictsChart

__all__ = [
    "OKABE_ITO",
    "VERDICTS",
    "AnswersChart",
    "Chart",
    "ChartSpec",
    "ConcordanceChart",
    "ConvergenceChart",
    "DistributionChart",
    "ParticipationChart",
    "RankingChart",
    "TargetChart",
    "VerdictsChart",
]
