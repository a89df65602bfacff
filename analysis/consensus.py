"""Declarative consensus rules and the verdict each item gets under them."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from fractions import Fraction

import numpy as np
import pandas as pd

from .quantities import as_written, at_most
from .rankings import at_least

__all__ = ["VERDICTS", "ConsensusRule", "exact_quarter", "exact_share", "rand_ucla_verdicts"]

#: Largest distance of a float from its grid point still read as that point.
_GRID_SLACK = 1e-6


def exact_quarter(value) -> Fraction | None:
    """The exact rational behind a quartile, median or IQR of integer ratings.

    Every q1, median, q3 and IQR that :func:`analysis.summarize_items` gives
    (type 7, type 6 and hinges alike) is a multiple of 1/4, rounded once to
    the nearest float, so ``round(4 x) / 4`` recovers it exactly (a float is
    within 1e-15 of its quarter; the grid points are 0.25 apart). A value not
    within 1e-6 of a quarter (a summary built by hand) is taken as written
    (:func:`analysis.quantities.as_written`). NaN gives None.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    value = float(value)
    if math.isnan(value):
        return None
    k = round(value * 4)
    if abs(value * 4 - k) <= _GRID_SLACK:
        return Fraction(k, 4)
    return as_written(value)


def exact_share(value, n) -> Fraction | None:
    """The exact share ``count / n`` behind a float share of *n* ratings.

    ``round(share * n)`` recovers the count (an integer) from the correctly
    rounded float; a share off that grid is taken as written. NaN or n = 0
    gives None.
    """
    if value is None or n is None:
        return None
    value, n = float(value), int(n)
    if math.isnan(value) or n <= 0:
        return None
    count = round(value * n)
    if abs(value * n - count) <= _GRID_SLACK:
        return Fraction(count, n)
    return as_written(value)

#: The four verdicts, in the order the dashboard lists them.
VERDICTS = ("consensus_in", "consensus_out", "no_consensus", "insufficient_n")

_CONDITIONS = ("n_ok", "iqr_ok", "agreement_ok", "disagreement_ok", "median_ok")


def _number(value, name, *, low=None, high=None):
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a number or None, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a number or None, got {value!r}") from exc
    if math.isnan(number) or (low is not None and number < low) or (high is not None and number > high):
        raise ValueError(f"{name} must lie in [{low}, {high}], got {value!r}")
    return number


@dataclass(frozen=True)
class ConsensusRule:
    """A consensus definition fixed a priori, evaluated on an item summary.

    Parameters
    ----------
    iqr_max : float or None, default 1.0
        Condition ``iqr <= iqr_max``.
    agreement_min : float or None, default 0.70
        Condition ``agreement >= agreement_min`` (a share 0..1, not a percentage).
    disagreement_min : float or None, default None
        Condition ``disagreement >= disagreement_min``; enables the
        ``consensus_out`` verdict.
    median_range : (float, float) or None, default None
        Condition ``median_range[0] <= median <= median_range[1]`` (part of
        ``consensus_in`` only).
    min_n : int or None, default None
        Items with ``n < min_n`` get ``insufficient_n``. An item nobody rated
        always gets ``insufficient_n``.
    combine : {"all", "any"}, default "all"
        How the enabled conditions of a verdict are combined.

    Notes
    -----
    Thresholds are decided **exactly**: each statistic is the rational it
    comes from (:func:`exact_quarter` for the IQR and median, :func:`exact_share`
    for the shares, recovered from the summary's correctly rounded floats),
    and each threshold is taken as written (``Fraction(str(x))``: 0.7 is
    7/10), so an agreement of exactly 7 in 10 reaches ``agreement_min=0.7``
    and an IQR of exactly 1 reaches ``iqr_max=1``, with no float epsilon.
    Thresholds compare the unrounded statistics, with ``<=`` for IQR and
    ``>=`` for the shares and the median range (Diamond et al. 2014: state
    the operator; D01 item 2 at exactly 75 % reaches consensus under
    ``agreement_min=0.75``). A condition set to None is disabled.

    * ``consensus_in``: the *in* conditions (IQR, agreement, median range,
      whichever are enabled) combined with ``combine``;
    * ``consensus_out``: the *out* conditions (IQR and disagreement) combined
      with ``combine``; only when ``disagreement_min`` is set;
    * ``no_consensus``: neither, **or both** (a contradictory result, possible
      with ``combine="any"``, is not reported as consensus);
    * ``insufficient_n``: n below ``min_n`` (or n = 0), checked first.

    References
    ----------
    Diamond, I. R. et al. (2014). Defining consensus: a systematic review
    recommends methodologic criteria for reporting of Delphi studies.
    Journal of Clinical Epidemiology 67, 401-409.
    von der Gracht, H. A. (2012). Consensus measurement in Delphi studies.
    Technological Forecasting & Social Change 79, 1525-1536.
    """

    iqr_max: float | None = 1.0
    agreement_min: float | None = 0.70
    disagreement_min: float | None = None
    median_range: tuple[float, float] | None = None
    min_n: int | None = None
    combine: str = "all"

    def __post_init__(self):
        object.__setattr__(self, "iqr_max", _number(self.iqr_max, "iqr_max", low=0))
        object.__setattr__(self, "agreement_min", _number(self.agreement_min, "agreement_min", low=0, high=1))
        object.__setattr__(
            self, "disagreement_min", _number(self.disagreement_min, "disagreement_min", low=0, high=1)
        )
        if self.median_range is not None:
            try:
                lo, hi = (float(v) for v in self.median_range)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"median_range must be a pair (low, high) or None, got {self.median_range!r}") from exc
            if lo > hi:
                raise ValueError(f"median_range must have low <= high, got {self.median_range!r}")
            object.__setattr__(self, "median_range", (lo, hi))
        if self.min_n is not None:
            if isinstance(self.min_n, bool) or not float(self.min_n).is_integer() or self.min_n < 1:
                raise ValueError(f"min_n must be a positive integer or None, got {self.min_n!r}")
            object.__setattr__(self, "min_n", int(self.min_n))
        if self.combine not in ("all", "any"):
            raise ValueError(f"combine must be 'all' or 'any', got {self.combine!r}")
        if self.iqr_max is None and self.agreement_min is None and self.median_range is None:
            raise ValueError("a ConsensusRule needs at least one of iqr_max, agreement_min, median_range")

    # -- serialisation -------------------------------------------------
    def to_dict(self) -> dict:
        """Return a JSON-ready dict (the form a study stores)."""
        d = asdict(self)
        if d["median_range"] is not None:
            d["median_range"] = list(d["median_range"])
        return d

    @classmethod
    def from_dict(cls, data) -> ConsensusRule:
        """Build a rule from :meth:`to_dict` output; unknown keys raise ValueError."""
        if not isinstance(data, dict):
            raise ValueError(f"data must be a dict, got {type(data).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"data has unknown keys {sorted(unknown)}; allowed: {sorted(known)}")
        kwargs = dict(data)
        if kwargs.get("median_range") is not None:
            kwargs["median_range"] = tuple(kwargs["median_range"])
        return cls(**kwargs)

    def describe(self) -> str:
        """A one-paragraph description for a codebook or a report."""
        join = " and " if self.combine == "all" else " or "
        parts_in = []
        if self.iqr_max is not None:
            parts_in.append(f"IQR <= {self.iqr_max:g}")
        if self.agreement_min is not None:
            parts_in.append(f"at least {self.agreement_min:.0%} of ratings in the agreement band")
        if self.median_range is not None:
            parts_in.append(f"median between {self.median_range[0]:g} and {self.median_range[1]:g} (inclusive)")
        text = "Consensus in: " + join.join(parts_in) + "."
        if self.disagreement_min is not None:
            parts_out = []
            if self.iqr_max is not None:
                parts_out.append(f"IQR <= {self.iqr_max:g}")
            parts_out.append(f"at least {self.disagreement_min:.0%} of ratings in the disagreement band")
            text += " Consensus out: " + join.join(parts_out) + "."
        if self.min_n is not None:
            text += f" Items with fewer than {self.min_n} ratings: insufficient n."
        text += " Thresholds compare unrounded values; shares are over non-missing ratings."
        return text

    # -- evaluation -----------------------------------------------------
    def evaluate(self, summary: pd.DataFrame) -> pd.DataFrame:
        """Give every item of *summary* a verdict.

        Parameters
        ----------
        summary : pandas.DataFrame
            The output of :func:`analysis.summarize_items` (needs the columns
            ``n`` and those of the enabled conditions).

        Returns
        -------
        pandas.DataFrame
            Same index as *summary*; columns ``verdict`` (one of
            :data:`VERDICTS`) then the nullable booleans ``n_ok``, ``iqr_ok``,
            ``agreement_ok``, ``disagreement_ok``, ``median_ok``: whether each
            condition held (``<NA>`` when the rule does not use it). A
            missing statistic (n = 0) fails its condition.
        """
        if not isinstance(summary, pd.DataFrame):
            raise ValueError("summary must be the DataFrame returned by summarize_items")
        needed = {"n"}
        if self.iqr_max is not None:
            needed.add("iqr")
        if self.agreement_min is not None:
            needed.add("agreement")
        if self.disagreement_min is not None:
            needed.add("disagreement")
        if self.median_range is not None:
            needed.add("median")
        missing = needed - set(summary.columns)
        if missing:
            raise ValueError(f"summary lacks the column(s) {sorted(missing)} this rule needs")

        k = len(summary)
        n = summary["n"].to_numpy(dtype=float)
        n_ok = n >= (self.min_n if self.min_n is not None else 1)
        n_ok &= n > 0

        n_int = summary["n"].to_numpy()

        def cond(column, decide, exact):
            if column is None:
                return None
            values = summary[column].to_numpy(dtype=float)
            out = np.zeros(k, dtype=bool)
            for j in range(k):
                x = exact(values[j], n_int[j])
                out[j] = bool(decide(x)) if x is not None else False
            return out

        def quarter(v, _n):
            return exact_quarter(v)
        iqr_ok = cond("iqr" if self.iqr_max is not None else None,
                      lambda x: at_most(x, self.iqr_max), quarter)
        agr_ok = cond("agreement" if self.agreement_min is not None else None,
                      lambda x: at_least(x, self.agreement_min), exact_share)
        dis_ok = cond("disagreement" if self.disagreement_min is not None else None,
                      lambda x: at_least(x, self.disagreement_min), exact_share)
        med_ok = cond("median" if self.median_range is not None else None,
                      lambda x: at_least(x, self.median_range[0]) and at_most(x, self.median_range[1]),
                      quarter)

        combiner = np.logical_and.reduce if self.combine == "all" else np.logical_or.reduce
        in_parts = [c for c in (iqr_ok, agr_ok, med_ok) if c is not None]
        c_in = combiner(in_parts) if in_parts else np.zeros(k, bool)
        if dis_ok is not None:
            out_parts = [c for c in (iqr_ok, dis_ok) if c is not None]
            c_out = combiner(out_parts)
        else:
            c_out = np.zeros(k, bool)

        verdict = np.full(k, "no_consensus", dtype=object)
        verdict[c_in & ~c_out] = "consensus_in"
        verdict[c_out & ~c_in] = "consensus_out"
        verdict[~n_ok] = "insufficient_n"

        def col(values):
            if values is None:
                return pd.array([pd.NA] * k, dtype="boolean")
            return pd.array(values, dtype="boolean")

        return pd.DataFrame(
            {
                "verdict": verdict,
                "n_ok": col(n_ok),
                "iqr_ok": col(iqr_ok),
                "agreement_ok": col(agr_ok),
                "disagreement_ok": col(dis_ok),
                "median_ok": col(med_ok),
            },
            index=summary.index,
        )


_RAND_TO_VERDICT = {
    "appropriate": "consensus_in",
    "inappropriate": "consensus_out",
    "uncertain": "no_consensus",
}


def rand_ucla_verdicts(table: pd.DataFrame, *, min_n: int | None = None) -> pd.DataFrame:
    """Map a :func:`analysis.rand_ucla` table onto the consensus verdicts.

    ``appropriate`` -> ``consensus_in``, ``inappropriate`` -> ``consensus_out``,
    ``uncertain`` -> ``no_consensus``; items with no rating (or ``n < min_n``)
    -> ``insufficient_n``. Lets the app treat a RAND/UCLA study like one with a
    :class:`ConsensusRule`.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`analysis.rand_ucla` (columns ``n``, ``classification``,
        ``disagreement``).
    min_n : int, optional
        Minimum number of ratings for a verdict other than ``insufficient_n``.

    Returns
    -------
    pandas.DataFrame
        Columns ``verdict``, ``n_ok``, ``disagreement`` (the RAND/UCLA IPRAS
        disagreement flag), same index as *table*.

    References
    ----------
    Fitch, K. et al. (2001). The RAND/UCLA Appropriateness Method User's
    Manual. RAND MR-1269.
    """
    if not isinstance(table, pd.DataFrame) or not {"n", "classification"} <= set(table.columns):
        raise ValueError("table must be the DataFrame returned by rand_ucla")
    if min_n is not None and (isinstance(min_n, bool) or int(min_n) != min_n or min_n < 1):
        raise ValueError(f"min_n must be a positive integer or None, got {min_n!r}")
    n = table["n"].to_numpy(dtype=float)
    n_ok = (n >= (min_n or 1)) & (n > 0)
    verdict = np.array([_RAND_TO_VERDICT.get(c, "insufficient_n") for c in table["classification"]], dtype=object)
    verdict[~n_ok] = "insufficient_n"
    return pd.DataFrame(
        {
            "verdict": verdict,
            "n_ok": pd.array(n_ok, dtype="boolean"),
            "disagreement": table["disagreement"].astype("boolean") if "disagreement" in table else pd.NA,
        },
        index=table.index,
    )
