"""Question kinds: the one registry of what an item asks and how its answers count.

Every kind is declared here once, with its parameters, the check of an
answer, its statistics (from :mod:`analysis`), its consensus rule, its
feedback, its chart and its export columns. The web form, the API, the CLI,
the exports and the report call these; none of them checks an answer or
words a figure of a kind itself.

=============  ===================================================  ==========================
kind           answer (as stored in ``Rating.answer``)              consensus (protocol default)
=============  ===================================================  ==========================
rating         a point of the scale per criterion (``Rating.value``) the study's rule
estimate       a number, or ``{"p10", "p50", "p90"}``                quartile dispersion ≤ 0.25
probability    a percentage, 0–100                                   IQR ≤ 20 points
year           a year within the bounds, or ``"later"``              IQR ≤ 5 years
ranking        option ids, best first (all, or the top k)            Kendall's W ≥ 0.7
=============  ===================================================  ==========================

Answers of the kinds other than ``rating`` have no criterion: they are kept
under the criterion ``""`` (:data:`NO_CRITERION`), in the draft as in the
``Rating`` rows. ``None`` is "cannot answer", as "cannot rate" is for a
rating.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from flask_babel import gettext as _

from analysis import (
    at_least,
    at_most,
    dispersion_exact,
    iqr_exact,
    kendall_w_exact,
    quantile_average,
    rank_matrix,
    summarize_quantity,
    summarize_ranking,
    summarize_years,
    target_reach,
)
from delphi.core.errors import InvalidInput
from delphi.core.text import UNSTORABLE

#: The criterion under which the answers of non-rating kinds are kept.
NO_CRITERION = ""
KIND_NAMES = ("rating", "estimate", "probability", "year", "ranking")
#: The answer "later than the last year offered" of a ``year`` item.
LATER = "later"
#: Limits of parameters.
UNIT_MAX = 40
OPTION_MAX = 500
MAX_OPTIONS = 30
NUMBER_LIMIT = 1e15
YEARS = (1900, 2300)
#: The consensus thresholds of each kind, as the protocol stores them
#: (``Study.kind_consensus``; a missing key takes its default here).
CONSENSUS_DEFAULTS = {
    "estimate": {"max_dispersion": 0.25},
    "probability": {"max_iqr": 20.0},
    "year": {"max_iqr": 5.0},
    "ranking": {"min_w": 0.7, "max_w_change": 0.05},
}
#: Each threshold's range (low, high) as the protocol checks it.
CONSENSUS_RANGES = {
    ("estimate", "max_dispersion"): (0.0, 1.0),
    ("probability", "max_iqr"): (0.0, 100.0),
    ("year", "max_iqr"): (0.0, 400.0),
    ("ranking", "min_w"): (0.0, 1.0),
    ("ranking", "max_w_change"): (0.0, 1.0),
}



class AnswerError(ValueError):
    """A wrong answer: ``message`` for the reader; ``part`` names the part of the
    value that is wrong (``"p50"``, ``"1"``...), or None for the whole value."""

    def __init__(self, message: str, part: str | None = None):
        super().__init__(message)
        self.message = message
        self.part = part


# -- small checks ------------------------------------------------------------------

def _is_number(value) -> bool:
    return (not isinstance(value, bool) and isinstance(value, (int, float))
            and math.isfinite(float(value)) and abs(float(value)) <= NUMBER_LIMIT)


def _is_whole(value) -> bool:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return not isinstance(value, bool) and isinstance(value, int)


def _text(errors: dict, name: str, value, *, limit: int, required: bool = True) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[name] = _("Enter text.")
        return ""
    if UNSTORABLE.search(value):
        errors[name] = _("Remove the control characters or broken characters from this text.")
        return ""
    value = " ".join(value.split())
    if len(value) > limit:
        errors[name] = _("Use at most %(n)d characters.", n=limit)
    elif required and not value:
        errors[name] = _("This field is required.")
    return value


def _number_param(errors: dict, name: str, value, *, required: bool = True) -> float | None:
    if value is None and not required:
        return None
    if not _is_number(value):
        errors[name] = _("Enter a number.")
        return None
    return float(value)


def _year_param(errors: dict, name: str, value, *, required: bool = True) -> int | None:
    if value is None and not required:
        return None
    if not _is_whole(value) or not YEARS[0] <= int(value) <= YEARS[1]:
        errors[name] = _("Enter a year from %(low)d to %(high)d.", low=YEARS[0], high=YEARS[1])
        return None
    return int(value)


def _point(errors: dict, name: str, value, *, with_year: bool = True) -> dict | None:
    """A ``{"value", "year"}`` pair (a baseline or a target), or None."""
    if value is None:
        return None
    if not isinstance(value, Mapping) or set(value) - {"value", "year"}:
        errors[name] = _('Give {"value": number, "year": year}.')
        return None
    number = _number_param(errors, f"{name}.value", value.get("value"))
    year = _year_param(errors, f"{name}.year", value.get("year"), required=False) \
        if with_year else None
    return {"value": number, "year": year}


def _float_or_none(value):
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def _fraction(value) -> Fraction:
    return Fraction(str(value)) if isinstance(value, float) else Fraction(value)


# -- the kinds -------------------------------------------------------------------------

@dataclass(frozen=True)
class Kind:
    """A question kind. The base holds what every non-rating kind shares."""

    name: str

    def chart_of(self, params: dict | None) -> str:
        """The name of the chart of a closed round's item of this kind with
        ``params`` (``delphi.charts.specs`` draws it): the distribution of its
        answers, unless the kind says otherwise."""
        return "distribution"

    # -- words ---------------------------------------------------------------
    def label(self) -> str:
        return kind_label(self.name)

    # -- parameters ----------------------------------------------------------
    def check_params(self, raw: Mapping, *, indicator_lookup=None, item_lookup=None,
                     target=None) -> dict:
        """The kind's parameters, checked and normalised (``InvalidInput`` naming
        each wrong one, as ``params.<name>``)."""
        raise NotImplementedError

    # -- answers ---------------------------------------------------------------
    def check_answer(self, params: dict, value):
        """The answer as stored, or ``AnswerError``. ``None``: cannot answer."""
        raise NotImplementedError

    def number_of(self, params: dict, answer) -> float | None:
        """The number the statistics use of one answer (None: none)."""
        return None

    def outside(self, answer, figures: dict | None, params: dict) -> bool:
        """Whether ``answer`` lies outside the fed-back interquartile range."""
        number = self.number_of(params, answer)
        if number is None or not figures or figures.get("suppressed"):
            return False
        q1, q3 = figures.get("q1"), figures.get("q3")
        if q1 is None or q3 is None:
            return False
        return number < q1 or number > q3

    # -- statistics --------------------------------------------------------------
    def summarize(self, params: dict, answers: list, *, min_n: int, consensus: dict,
                  quantiles: str, previous: dict | None = None) -> dict:
        """The ``ItemStatistics`` columns of one item (``answers``: one per counted
        response, None = cannot answer); ``previous``: the item's frozen
        ``details`` in the previous round, if it was there."""
        raise NotImplementedError

    def feedback(self, row, *, params: dict) -> dict:
        """The figures fed back next round (the frozen ``row``: an ``ItemRow``)."""
        return {"n": row.n, "median": row.median, "q1": row.q1, "q3": row.q3, "iqr": row.iqr}

    # -- exports ------------------------------------------------------------------
    def export_columns(self, params: dict) -> list[tuple[str, str]]:
        """``[(column, description)]`` of the answers file, for the codebook."""
        return [("answer", _("The answer (empty: cannot answer)."))]

    def export_values(self, params: dict, answer) -> dict:
        return {"answer": answer}


def _verdict(n: int, min_n: int, ok: bool | None) -> str:
    if n < min_n:
        return "insufficient_n"
    return "consensus_in" if ok else "no_consensus"


def _quantity_row(summary, *, verdict: str, details: dict, n_missing: int) -> dict:
    return {"n": summary.n, "n_missing": n_missing, "median": _float_or_none(summary.median),
            "q1": _float_or_none(summary.q1), "q3": _float_or_none(summary.q3),
            "iqr": _float_or_none(summary.iqr), "mean": None, "sd": None, "agreement": None,
            "disagreement": None, "counts": [], "verdict": verdict, "details": details}


class Rating(Kind):
    """Today's items: a point of the study's scale per criterion (see
    :mod:`rounds.compute`, which computes their statistics as matrices)."""

    def check_params(self, raw, *, indicator_lookup=None, item_lookup=None, target=None) -> dict:
        if raw:
            raise InvalidInput(_("Please correct the marked fields."),
                               fields={"params": _("A rating item takes no parameters.")})
        return {}


class Estimate(Kind):
    """A number with a unit and bounds: one value, or three quantiles (P10 ≤ P50 ≤
    P90) when ``quantiles`` is set. May be tied to an indicator of the plan,
    whose baseline and target it keeps as they stood when the item was made."""

    def chart_of(self, params: dict | None) -> str:
        """The gap-to-target chart when the estimate has a target or is tied to an
        indicator of the plan, else the distribution of its answers."""
        return "target" if has_target(params) else "distribution"

    def check_params(self, raw, *, indicator_lookup=None, item_lookup=None, target=None) -> dict:
        raw = dict(raw or {})
        errors: dict[str, str] = {}
        unknown = set(raw) - {"unit", "min", "max", "quantiles", "indicator", "baseline", "target"}
        for key in sorted(map(str, unknown))[:5]:
            errors[f"params.{key[:40]}"] = _("This is not a parameter of this kind of item.")
        unit = _text(errors, "params.unit", raw.get("unit"), limit=UNIT_MAX, required=False)
        low = _number_param(errors, "params.min", raw.get("min"))
        high = _number_param(errors, "params.max", raw.get("max"))
        if low is not None and high is not None and not low < high:
            errors["params.max"] = _("The highest value must be above the lowest.")
        quantiles = raw.get("quantiles", False)
        if not isinstance(quantiles, bool):
            errors["params.quantiles"] = _("Answer yes or no.")
            quantiles = False
        baseline = _point(errors, "params.baseline", raw.get("baseline"))
        goal = _point(errors, "params.target", raw.get("target"))
        indicator = raw.get("indicator")
        if indicator is not None:
            found = indicator_lookup(indicator) if indicator_lookup and _is_whole(indicator) else None
            if found is None:
                errors["params.indicator"] = _("No such indicator in the plan.")
            else:
                indicator = int(indicator)
                unit = unit or found.unit or ""
                if baseline is None and found.baseline_value is not None:
                    baseline = {"value": float(found.baseline_value), "year": found.baseline_year}
                year = int(target) if target else None
                if goal is None and year is not None and found.target_value(year) is not None:
                    goal = {"value": float(found.target_value(year)), "year": year}
                if goal is None and year is None:
                    for y in (2030, 2050):
                        if found.target_value(y) is not None:
                            goal = {"value": float(found.target_value(y)), "year": y}
                            break
        if low is not None and high is not None:
            for name, point in (("params.baseline", baseline), ("params.target", goal)):
                if point and point.get("value") is not None and not low <= point["value"] <= high:
                    errors[f"{name}.value"] = _("Keep it within the bounds (%(low)s to %(high)s).",
                                                low=_plain(low), high=_plain(high))
        if errors:
            raise InvalidInput(_("Please correct the marked fields."), fields=errors)
        return {"unit": unit, "min": low, "max": high, "quantiles": quantiles,
                "indicator": indicator, "baseline": baseline, "target": goal}

    def check_answer(self, params, value):
        if value is None:
            return None
        low, high = params["min"], params["max"]
        bounds = _("Enter a number from %(low)s to %(high)s.", low=_plain(low), high=_plain(high))
        if not params.get("quantiles"):
            if not _is_number(value) or not low <= float(value) <= high:
                raise AnswerError(bounds)
            return float(value)
        if not isinstance(value, Mapping) or set(value) != {"p10", "p50", "p90"}:
            raise AnswerError(_('Give three values: {"p10": ..., "p50": ..., "p90": ...}.'))
        out = {}
        for part in ("p10", "p50", "p90"):
            number = value[part]
            if not _is_number(number) or not low <= float(number) <= high:
                raise AnswerError(bounds, part)
            out[part] = float(number)
        if not out["p10"] <= out["p50"] <= out["p90"]:
            raise AnswerError(_("Put the values in order: low (P10) ≤ most likely (P50) ≤ "
                                "high (P90)."), "p50" if out["p10"] > out["p50"] else "p90")
        return out

    def number_of(self, params, answer):
        if answer is None:
            return None
        return float(answer["p50"]) if isinstance(answer, Mapping) else float(answer)

    def summarize(self, params, answers, *, min_n, consensus, quantiles, previous=None):
        given = [a for a in answers if a is not None]
        values = np.array([self.number_of(params, a) for a in given], dtype=float)
        summary = summarize_quantity(values, quantiles=quantiles)
        limit = consensus["max_dispersion"]
        basis = "quartile"
        exact = dispersion_exact(summary)
        if exact is None and summary.exact_q1 is not None:
            # An answer below 0 (or Q3 + Q1 = 0): the IQR relative to the item's range instead.
            basis = "range"
            exact = (summary.exact_q3 - summary.exact_q1) / (_fraction(params["max"])
                                                             - _fraction(params["min"]))
        ok = at_most(exact, limit)
        aggregate = None
        if params.get("quantiles") and given:
            p10, p50, p90 = quantile_average(*(np.array([a[p] for a in given], dtype=float)
                                               for p in ("p10", "p50", "p90")))
            aggregate = {"p10": p10, "p50": p50, "p90": p90}
        target = (params.get("target") or {}).get("value")
        baseline = (params.get("baseline") or {}).get("value")
        reach = target_reach(values, target, baseline=baseline) if target is not None else None
        details = {
            "kind": "estimate", "dispersion": _float_or_none(summary.dispersion),
            "dispersion_basis": basis,
            "relative_iqr": float(exact) if basis == "range" and exact is not None else None,
            "aggregate": aggregate, "values": sorted(float(v) for v in values),
            "target_share": reach.share if reach else None,
            "median_gap": reach.median_gap if reach else None,
            "direction": reach.direction if reach else None,
            "max_dispersion": limit, "dispersion_ok": ok, "n_ok": summary.n >= min_n,
        }
        return _quantity_row(summary, verdict=_verdict(summary.n, min_n, ok), details=details,
                             n_missing=len(answers) - len(given))

    def feedback(self, row, *, params):
        d = row.details
        return {**super().feedback(row, params=params), "values": list(d.get("values") or []),
                "aggregate": d.get("aggregate"), "dispersion": d.get("dispersion"),
                "unit": params.get("unit", ""), "baseline": params.get("baseline"),
                "target": params.get("target")}

    def export_columns(self, params):
        if params.get("quantiles"):
            return [("p10", _("The panellist's low value (10th percentile).")),
                    ("p50", _("The panellist's most likely value (median, 50th percentile).")),
                    ("p90", _("The panellist's high value (90th percentile)."))]
        return [("value", _("The panellist's estimate."))]

    def export_values(self, params, answer):
        if params.get("quantiles"):
            answer = answer or {}
            return {p: answer.get(p) for p in ("p10", "p50", "p90")}
        return {"value": answer}


class Probability(Kind):
    """A percentage, 0–100, that the event the item states happens by ``event_year``."""

    def check_params(self, raw, *, indicator_lookup=None, item_lookup=None, target=None) -> dict:
        raw = dict(raw or {})
        errors: dict[str, str] = {}
        for key in sorted(map(str, set(raw) - {"event_year"}))[:5]:
            errors[f"params.{key[:40]}"] = _("This is not a parameter of this kind of item.")
        year = _year_param(errors, "params.event_year", raw.get("event_year"))
        if errors:
            raise InvalidInput(_("Please correct the marked fields."), fields=errors)
        return {"event_year": year}

    def check_answer(self, params, value):
        if value is None:
            return None
        if not _is_number(value) or not 0 <= float(value) <= 100:
            raise AnswerError(_("Enter a percentage from 0 to 100."))
        return float(value)

    def number_of(self, params, answer):
        return None if answer is None else float(answer)

    def summarize(self, params, answers, *, min_n, consensus, quantiles, previous=None):
        given = [a for a in answers if a is not None]
        summary = summarize_quantity(np.array(given, dtype=float), quantiles=quantiles)
        ok = at_most(iqr_exact(summary), consensus["max_iqr"])
        details = {"kind": "probability", "values": sorted(float(v) for v in given),
                   "max_iqr": consensus["max_iqr"], "iqr_ok": ok, "n_ok": summary.n >= min_n}
        return _quantity_row(summary, verdict=_verdict(summary.n, min_n, ok), details=details,
                             n_missing=len(answers) - len(given))

    def feedback(self, row, *, params):
        return {**super().feedback(row, params=params),
                "values": list(row.details.get("values") or [])}

    def export_columns(self, params):
        return [("probability", _("The panellist's probability, in per cent, that the event "
                                  "happens by %(year)d.", year=params["event_year"]))]

    def export_values(self, params, answer):
        return {"probability": answer}


class Year(Kind):
    """The year by which the event the item states happens, from ``min`` to
    ``max``, or ``"later"`` (after ``max``; its own state, never a number)."""

    def check_params(self, raw, *, indicator_lookup=None, item_lookup=None, target=None) -> dict:
        raw = dict(raw or {})
        errors: dict[str, str] = {}
        for key in sorted(map(str, set(raw) - {"min", "max"}))[:5]:
            errors[f"params.{key[:40]}"] = _("This is not a parameter of this kind of item.")
        low = _year_param(errors, "params.min", raw.get("min"))
        high = _year_param(errors, "params.max", raw.get("max"))
        if low is not None and high is not None and not low < high:
            errors["params.max"] = _("The last year must come after the first.")
        if low is not None and high is not None and high - low > 200:
            errors["params.max"] = _("Offer at most 200 years.")
        if errors:
            raise InvalidInput(_("Please correct the marked fields."), fields=errors)
        return {"min": low, "max": high}

    def check_answer(self, params, value):
        if value is None:
            return None
        if value == LATER:
            return LATER
        if not _is_whole(value) or not params["min"] <= int(value) <= params["max"]:
            raise AnswerError(_('Choose a year from %(low)d to %(high)d, or "later".',
                                low=params["min"], high=params["max"]))
        return int(value)

    def number_of(self, params, answer):
        return None if answer is None or answer == LATER else float(answer)

    def outside(self, answer, figures, params):
        if answer == LATER and figures and not figures.get("suppressed"):
            return not figures.get("q3_later")
        if figures and figures.get("q1_later") and answer not in (None, LATER):
            return True
        return super().outside(answer, figures, params)

    def summarize(self, params, answers, *, min_n, consensus, quantiles, previous=None):
        given = [a for a in answers if a is not None]
        later = np.array([a == LATER for a in given], dtype=bool)
        years = np.array([np.nan if a == LATER else float(a) for a in given], dtype=float)
        summary = summarize_years(years, later, quantiles=quantiles)
        ok = at_most(summary.exact_iqr, consensus["max_iqr"])
        counts: dict[str, int] = {}
        for a in given:
            counts[str(a)] = counts.get(str(a), 0) + 1
        details = {"kind": "year", "later_share": summary.later_share, "n_later": summary.n_later,
                   "median_later": summary.median_later, "q1_later": summary.q1_later,
                   "q3_later": summary.q3_later,
                   "values": sorted(a for a in given if a != LATER) + [LATER] * summary.n_later,
                   "max_iqr": consensus["max_iqr"], "iqr_ok": ok, "n_ok": summary.n >= min_n}
        return _quantity_row(summary, verdict=_verdict(summary.n, min_n, ok), details=details,
                             n_missing=len(answers) - len(given))

    def feedback(self, row, *, params):
        d = row.details
        return {**super().feedback(row, params=params), "later_share": d.get("later_share"),
                "median_later": d.get("median_later"), "q1_later": d.get("q1_later"),
                "q3_later": d.get("q3_later"), "values": list(d.get("values") or [])}

    def export_columns(self, params):
        return [("year", _("The year the panellist expects (empty: later, or cannot answer).")),
                ("later", _("1 if the panellist answered later than %(year)d, else 0.",
                            year=params["max"]))]

    def export_values(self, params, answer):
        return {"year": None if answer in (None, LATER) else answer,
                "later": None if answer is None else int(answer == LATER)}


class Ranking(Kind):
    """Options the panellist orders, best first: all of them, or the top ``top_k``.
    Options are texts, or other items of the study (``{"item": id}``). Each has an
    id (1, 2, ...) that answers use. Unranked options share the mean of the
    remaining ranks (:func:`analysis.rank_matrix`)."""

    def chart_of(self, params: dict | None) -> str:
        return "ranking"

    def check_params(self, raw, *, indicator_lookup=None, item_lookup=None, target=None) -> dict:
        raw = dict(raw or {})
        errors: dict[str, str] = {}
        for key in sorted(map(str, set(raw) - {"options", "top_k"}))[:5]:
            errors[f"params.{key[:40]}"] = _("This is not a parameter of this kind of item.")
        given = raw.get("options")
        options = []
        if not isinstance(given, (list, tuple)) or not 2 <= len(given) <= MAX_OPTIONS:
            errors["params.options"] = _("Give from 2 to %(n)d options.", n=MAX_OPTIONS)
            given = []
        seen = set()
        for i, option in enumerate(given, start=1):
            name = f"params.options[{i - 1}]"
            if isinstance(option, Mapping) and set(option) == {"item"}:
                found = item_lookup(option["item"]) if item_lookup and _is_whole(option["item"]) \
                    else None
                if found is None:
                    errors[name] = _("Not an item of this study.")
                    continue
                key = ("item", found.id)
                options.append({"id": i, "item": found.id})
            else:
                text = _text(errors, name, option.get("text") if isinstance(option, Mapping)
                             else option, limit=OPTION_MAX)
                key = ("text", text.casefold())
                entry = {"id": i, "text": text}
                if isinstance(option, Mapping) and option.get("translations"):
                    entry["translations"] = _option_translations(errors, name, option["translations"])
                options.append(entry)
            if key in seen:
                errors[name] = _("Each option may appear only once.")
            seen.add(key)
        top_k = raw.get("top_k")
        if top_k is not None and (not _is_whole(top_k) or not 1 <= int(top_k) < max(len(given), 2)):
            errors["params.top_k"] = _("Enter a whole number from 1 to %(n)d, or nothing.",
                                       n=max(len(given) - 1, 1))
        if errors:
            raise InvalidInput(_("Please correct the marked fields."), fields=errors)
        return {"options": options, "top_k": None if top_k is None else int(top_k)}

    def wanted(self, params) -> int:
        """How many options a complete answer ranks."""
        m = len(params["options"])
        return min(params["top_k"], m) if params.get("top_k") else m

    def check_answer(self, params, value):
        if value is None:
            return None
        ids = [o["id"] for o in params["options"]]
        k = self.wanted(params)
        if not isinstance(value, (list, tuple)):
            raise AnswerError(_("Give the options' ids in order, best first."))
        for position, option in enumerate(value):
            if not _is_whole(option) or int(option) not in ids:
                raise AnswerError(_("This is not an option of this item."), str(position))
        value = [int(o) for o in value]
        if len(set(value)) != len(value):
            raise AnswerError(_("Each option may be ranked only once."))
        if len(value) != k:
            if k == len(ids):
                raise AnswerError(_("Rank all %(n)d options.", n=k))
            raise AnswerError(_("Rank your top %(n)d options.", n=k))
        return value

    def summarize(self, params, answers, *, min_n, consensus, quantiles, previous=None):
        ids = [o["id"] for o in params["options"]]
        given = [a for a in answers if a is not None]
        ranks = rank_matrix(given, ids)
        explicit = np.zeros(ranks.shape, dtype=bool)
        position = {option: j for j, option in enumerate(ids)}
        for row, answer in enumerate(given):
            for option in answer:
                explicit[row, position[option]] = True
        summary = summarize_ranking(ranks, ids, explicit=explicit)
        ok = at_least(kendall_w_exact(ranks), consensus["min_w"]) if summary.n else None
        w_previous = (previous or {}).get("w")
        change = None if summary.w is None or w_previous is None else summary.w - w_previous
        stable = None if change is None else at_most(abs(_fraction(summary.w)
                                                         - _fraction(w_previous)),
                                                     consensus["max_w_change"])
        details = {
            "kind": "ranking",
            "options": [{"option": option, "mean_rank": _float_or_none(summary.mean_rank[j]),
                         "rank_sum": _float_or_none(summary.rank_sum[j]),
                         "top3_share": _float_or_none(summary.top3_share[j])}
                        for j, option in enumerate(ids)],
            "w": _float_or_none(summary.w), "w_uncorrected": _float_or_none(summary.w_uncorrected),
            "chi2": _float_or_none(summary.chi2), "df": summary.df,
            "pvalue": _float_or_none(summary.pvalue), "min_w": consensus["min_w"], "w_ok": ok,
            "w_previous": w_previous, "w_change": change, "w_stable": stable,
            "max_w_change": consensus["max_w_change"], "n_ok": summary.n >= min_n,
        }
        return {"n": summary.n, "n_missing": len(answers) - len(given), "median": None, "q1": None,
                "q3": None, "iqr": None, "mean": None, "sd": None, "agreement": None,
                "disagreement": None, "counts": [],
                "verdict": _verdict(summary.n, min_n, ok), "details": details}

    def feedback(self, row, *, params):
        d = row.details
        return {"n": row.n, "w": d.get("w"),
                "options": [{"option": o["option"], "mean_rank": o["mean_rank"],
                             "top3_share": o["top3_share"]} for o in d.get("options") or []]}

    def export_columns(self, params):
        return [(f"rank_{o['id']}", _("The rank the panellist gave option %(id)d (1 = best; "
                                      "unranked options share the mean of the remaining ranks).",
                                      id=o["id"]))
                for o in params["options"]] + [
            ("ranking", _("The options' ids as the panellist ordered them, best first."))]

    def export_values(self, params, answer):
        ids = [o["id"] for o in params["options"]]
        out = {f"rank_{i}": None for i in ids}
        if answer is not None:
            ranks = rank_matrix([answer], ids)[0]
            out.update({f"rank_{i}": float(ranks[j]) for j, i in enumerate(ids)})
        out["ranking"] = None if answer is None else " ".join(str(o) for o in answer)
        return out


def _option_translations(errors, name, value) -> dict:
    if not isinstance(value, Mapping):
        errors[name] = _('Give translations as {"fr": "...", "es": "..."}.')
        return {}
    out = {}
    for language, text in value.items():
        if not isinstance(language, str) or len(language) > 8:
            errors[name] = _('Give translations as {"fr": "...", "es": "..."}.')
            continue
        text = _text(errors, name, text, limit=OPTION_MAX, required=False)
        if text:
            out[language] = text
    return out


def _plain(number: float) -> str:
    """A bound as written (``10`` rather than ``10.0``)."""
    return f"{number:g}" if abs(number) < 1e15 else repr(number)


#: The registry: every kind, by name.
KINDS: dict[str, Kind] = {
    "rating": Rating("rating"),
    "estimate": Estimate("estimate"),
    "probability": Probability("probability"),
    "year": Year("year"),
    "ranking": Ranking("ranking"),
}


def has_target(params: dict | None) -> bool:
    """Whether an estimate's parameters give it a target (or tie it to an indicator)."""
    params = params or {}
    return bool(params.get("target")) or params.get("indicator") is not None


def kind_of(name: str | None) -> Kind:
    """The kind called ``name`` (``rating`` when None)."""
    return KINDS[name or "rating"]


def kind_label(name: str) -> str:
    """The kind's name for a reader, in the current language."""
    return {"rating": _("Rating"), "estimate": _("Estimate"), "probability": _("Probability"),
            "year": _("Year"), "ranking": _("Ranking")}.get(name, name)


def consensus_settings(stored: Mapping | None) -> dict[str, dict]:
    """Every kind's consensus thresholds: the stored ones over the defaults."""
    stored = stored or {}
    return {kind: {**defaults, **(stored.get(kind) or {})}
            for kind, defaults in CONSENSUS_DEFAULTS.items()}


def option_text(option: dict, language: str | None, items: Mapping | None = None) -> str:
    """An option's text in ``language`` (an item option: that item's text)."""
    if "item" in option:
        item = (items or {}).get(option["item"])
        return item.text_in(language) if item is not None else str(option["item"])
    return (option.get("translations") or {}).get(language or "") or option["text"]
