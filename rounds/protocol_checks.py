"""The checks of a protocol's input: one pass, an error per field.

:class:`rounds.protocol.Protocol` is built from what :func:`check_protocol`
returns; this module holds the limits, the defaults and the checker, so the
value and its validation stay one piece each (see ``rounds/protocol.py``).
Texts are refused when they hold control characters or lone surrogates
(neither SQLite's nor PostgreSQL's text columns can keep them all) or pass
their limit; numbers must be finite and within their range.
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import fields
from datetime import UTC, date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask_babel import force_locale, format_decimal
from flask_babel import gettext as _

from analysis import QUANTILE_METHODS, ConsensusRule
from delphi.core import clock
from delphi.core.errors import InvalidInput
from delphi.core.models import CarryForward
from delphi.core.text import UNSTORABLE
from rounds.kinds import CONSENSUS_RANGES, consensus_settings

SCALES = (5, 7, 9)
MAX_CRITERIA = 3
TITLE_MAX = 300
DESCRIPTION_MAX = 10_000
LABEL_MAX = 100
REASON_MAX = 2_000
MIN_N_MAX = 10_000
MAX_ROUNDS_MAX = 20
CONSENSUS_KINDS = ("rule", "rand_ucla")
COMBINE = ("all", "any")
CARRY_FORWARD = tuple(c.value for c in CarryForward)
#: How the feedback of a rating item may also be split (a panellist attribute
#: of ``delphi.core.attributes``), or ``"none"``; see ``rounds.feedback``.
FEEDBACK_STRATA = ("none", "stakeholder_group", "role", "region")

#: What withdrawing does to a panellist's answers (``rounds.panel.withdraw_panellist``):
#: ``keep`` the answers of closed rounds, pseudonymised, or ``delete`` every answer
#: (the closed rounds' frozen figures and the feedback already given stay).
WITHDRAWAL = ("keep", "delete")

#: What ``create_study`` and ``update_protocol`` accept (``consensus`` is the
#: ``Study.consensus_rule`` column).
INPUT_FIELDS = (
    "title", "description", "scale_points", "scale_labels", "criteria", "consensus",
    "quantile_method", "min_n", "max_rounds", "stop_when_settled", "stop_w_threshold",
    "panel_cutoff", "time_zone", "show_distribution", "show_median_iqr", "show_comments",
    "require_reason_outside_iqr", "carry_forward", "kind_consensus", "feedback_strata",
    "moderate_comments", "withdrawal",
)
#: The keys of the ``consensus`` dict (``min_n`` is also accepted and ignored:
#: the study's ``min_n`` applies).
CONSENSUS_KEYS = ("kind", "iqr_max", "agreement_min", "disagreement_min", "median_range", "combine")

#: The inputs' defaults (``consensus=None``: the default rule of the scale).
DEFAULTS = {
    "description": "", "scale_points": 5, "scale_labels": None, "criteria": ("importance",),
    "consensus": None, "quantile_method": "type7", "min_n": 5, "max_rounds": 3,
    "stop_when_settled": True, "stop_w_threshold": None, "panel_cutoff": None,
    "time_zone": "UTC", "show_distribution": True, "show_median_iqr": True,
    "show_comments": True, "require_reason_outside_iqr": False, "carry_forward": "no_consensus",
    "kind_consensus": None, "feedback_strata": "none", "moderate_comments": False,
    "withdrawal": "keep",
}

_CRITERION = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
RULE_DEFAULTS = {f.name: f.default for f in fields(ConsensusRule)}


@lru_cache(maxsize=1)
def time_zones() -> frozenset[str]:
    """The IANA time zone names this installation knows (:func:`delphi.core.clock.time_zones`)."""
    return clock.time_zones()


def default_scale_labels(points: int, language: str = "en") -> list[str]:
    """One label per scale point, lowest first, in ``language``."""
    if points not in SCALES:
        raise InvalidInput(_("Invalid input."),
                           fields={"scale_points": _("Choose 5, 7 or 9 points.")})
    with force_locale(language or "en"):
        if points == 5:
            return [_("Very low"), _("Low"), _("Medium"), _("High"), _("Very high")]
        if points == 7:
            return [_("Very low"), _("Low"), _("Rather low"), _("Medium"), _("Rather high"),
                    _("High"), _("Very high")]
        labels = [str(v) for v in range(1, 10)]
        labels[0] = _("1 (very low)")
        labels[4] = _("5 (uncertain)")
        labels[8] = _("9 (very high)")
        return labels


def default_consensus(points: int) -> dict:
    """The default consensus definition of a scale: RAND/UCLA on 9 points;
    otherwise IQR ≤ 1 and ≥ 70 % in the top band (in), IQR ≤ 1 and ≥ 70 % in
    the bottom band (out)."""
    if points == 9:
        return {"kind": "rand_ucla"}
    return {"kind": "rule", "iqr_max": 1.0, "agreement_min": 0.7, "disagreement_min": 0.7,
            "median_range": None, "combine": "all"}


def day_start(day: date, zone: str) -> datetime:
    """The first moment of ``day`` in ``zone``, in UTC."""
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(zone)).astimezone(UTC)


# --- the value ---------------------------------------------------------------

def reader_percent(share: float) -> str:
    return reader_number(round(share * 100, 1))


def reader_number(value: float) -> str:
    """A number for a reader, in the current language (1.5, or 1,5 in French)."""
    return format_decimal(value, format="0.###")


def multiline_text(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")




def check_reason(reason) -> str | None:
    """An amendment's reason, stripped (None when empty); ``InvalidInput`` on ``reason``."""
    if reason is None:
        return None
    checker = _Checker({})
    text = checker.text("reason", reason, limit=REASON_MAX, multiline=True)
    if checker.errors:
        raise InvalidInput(_("Please correct the marked fields."), fields=checker.errors)
    return text or None


# --- the validator -----------------------------------------------------------

class _Checker:
    """One pass over the input, gathering an error per field."""

    def __init__(self, values: Mapping):
        self.values = values
        self.errors: dict[str, str] = {}

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    # -- kinds of values -------------------------------------------------
    def text(self, name, value, *, limit, multiline=False, required=False) -> str:
        if value is None:
            value = ""
        if not isinstance(value, str):
            self.fail(name, _("Enter text."))
            return ""
        value = multiline_text(value)
        if len(value) > limit:
            self.fail(name, _("Use at most %(n)d characters.", n=limit))
            return ""
        if UNSTORABLE.search(value):
            self.fail(name, _("Remove the control characters or broken characters from this text."))
            return ""
        value = value.strip() if multiline else " ".join(value.split())
        if required and not value:
            self.fail(name, _("This field is required."))
        return value

    def number(self, name, value, *, low, high, message, optional=True) -> float | None:
        if value is None and optional:
            return None
        try:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(value)
            number = float(value)
        except (TypeError, OverflowError):
            number = math.nan
        if not math.isfinite(number) or not low <= number <= high:
            self.fail(name, message)
            return None
        return number

    def whole(self, name, value, *, low, high) -> int:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.fail(name, _("Enter a whole number from %(low)d to %(high)d.", low=low, high=high))
            return low
        return value

    def flag(self, name, value) -> bool:
        if not isinstance(value, bool):
            self.fail(name, _("Answer yes or no."))
            return False
        return value

    def choice(self, name, value, allowed, message) -> str:
        value = getattr(value, "value", value)
        if not isinstance(value, str) or value not in allowed:
            self.fail(name, message)
            return allowed[0]
        return value

    # -- the protocol ------------------------------------------------------
    def protocol(self) -> dict:
        v = self.values
        points = v.get("scale_points")
        if isinstance(points, bool) or points not in SCALES:
            self.fail("scale_points", _("Choose 5, 7 or 9 points."))
            points = None
        title = self.text("title", v.get("title"), limit=TITLE_MAX, required=True)
        description = self.text("description", v.get("description"), limit=DESCRIPTION_MAX,
                                multiline=True)
        labels = self.labels(v.get("scale_labels"), points)
        criteria = self.criteria(v.get("criteria"))
        rule = self.consensus(v.get("consensus"), points)
        quantile = self.choice("quantile_method", v.get("quantile_method"), QUANTILE_METHODS,
                               _("Choose type7, type6 or hinges."))
        if rule["consensus_kind"] == "rand_ucla" and quantile == "hinges":
            self.fail("quantile_method", _("RAND/UCLA uses type7 or type6."))
        zone = v.get("time_zone")
        if not isinstance(zone, str) or zone not in time_zones():
            self.fail("time_zone", _("Choose a time zone from the list, such as Europe/Paris or UTC."))
            zone = None
        protocol = dict(
            title=title, description=description, scale_points=points or 5, scale_labels=labels,
            criteria=criteria, **rule, quantile_method=quantile,
            min_n=self.whole("min_n", v.get("min_n"), low=1, high=MIN_N_MAX),
            max_rounds=self.whole("max_rounds", v.get("max_rounds"), low=1, high=MAX_ROUNDS_MAX),
            stop_when_settled=self.flag("stop_when_settled", v.get("stop_when_settled")),
            stop_w_threshold=self.number(
                "stop_w_threshold", v.get("stop_w_threshold"), low=0, high=1,
                message=_("Enter a number above 0 and at most 1, or nothing.")),
            panel_cutoff=self.cutoff(v.get("panel_cutoff"), zone),
            time_zone=zone or "UTC",
            carry_forward=self.choice("carry_forward", v.get("carry_forward"), CARRY_FORWARD,
                                      _("Choose no_consensus or all.")),
            withdrawal=self.choice("withdrawal", v.get("withdrawal"), WITHDRAWAL,
                                   _("Choose keep or delete.")),
            feedback_strata=self.choice(
                "feedback_strata", v.get("feedback_strata"), FEEDBACK_STRATA,
                _("Choose none, stakeholder_group, role or region.")),
        )
        if protocol["stop_w_threshold"] == 0:
            self.fail("stop_w_threshold", _("Enter a number above 0 and at most 1, or nothing."))
        for name in ("show_distribution", "show_median_iqr", "show_comments",
                     "require_reason_outside_iqr", "moderate_comments"):
            protocol[name] = self.flag(name, v.get(name))
        protocol["kind_consensus"] = self.kind_consensus(v.get("kind_consensus"))
        if self.errors:
            raise InvalidInput(_("Please correct the marked fields."), fields=dict(self.errors))
        return protocol

    def labels(self, labels, points) -> tuple[str, ...]:
        if labels is None:
            return tuple(default_scale_labels(points)) if points else ()
        message = _("Give one label for each scale point.")
        if not isinstance(labels, (list, tuple)) or (points and len(labels) != points):
            self.fail("scale_labels", message)
            return ()
        out = tuple(self.text("scale_labels", x, limit=LABEL_MAX) for x in labels)
        if not all(out):
            self.fail("scale_labels", message)
        return out

    def criteria(self, criteria) -> tuple[str, ...]:
        if isinstance(criteria, str):
            criteria = [criteria]
        if not isinstance(criteria, (list, tuple)) or not all(isinstance(c, str) for c in criteria):
            self.fail("criteria", _("A criterion is a short lower-case word, such as importance."))
            return ()
        criteria = tuple(c.strip().lower() for c in criteria)
        if not 1 <= len(criteria) <= MAX_CRITERIA:
            self.fail("criteria", _("Choose one to three criteria."))
        elif len(set(criteria)) != len(criteria):
            self.fail("criteria", _("Each criterion may appear only once."))
        elif not all(_CRITERION.match(c) for c in criteria):
            self.fail("criteria", _("A criterion is a short lower-case word, such as importance."))
        return criteria

    def consensus(self, spec, points) -> dict:
        off = {"iqr_max": None, "agreement_min": None, "disagreement_min": None,
               "median_range": None, "combine": "all"}
        if spec is None:
            spec = default_consensus(points or 5)
        if not isinstance(spec, Mapping):
            self.fail("consensus", _("Invalid consensus rule."))
            return {"consensus_kind": "rule", **off}
        for key in spec:
            if key not in CONSENSUS_KEYS and key != "min_n":
                self.fail(f"consensus.{key}" if isinstance(key, str) and len(key) < 40 else "consensus",
                          _("This is not a setting of the consensus rule."))
        kind = self.choice("consensus.kind", spec.get("kind", "rule"), CONSENSUS_KINDS,
                           _("Choose the rule or RAND/UCLA."))
        if kind == "rand_ucla":
            if points is not None and points != 9:
                self.fail("consensus.kind", _("RAND/UCLA needs a 9-point scale."))
            return {"consensus_kind": kind, **off}
        high = (points or 9) - 1
        iqr = self.number("consensus.iqr_max", spec.get("iqr_max", RULE_DEFAULTS["iqr_max"]),
                          low=0, high=high,
                          message=_("Enter a number from 0 to %(high)d, or nothing.", high=high))
        share = _("Enter a share from 0 to 1 (0.7 is 70 %), or nothing.")
        agreement = self.number("consensus.agreement_min",
                                spec.get("agreement_min", RULE_DEFAULTS["agreement_min"]),
                                low=0, high=1, message=share)
        disagreement = self.number("consensus.disagreement_min",
                                   spec.get("disagreement_min", agreement), low=0, high=1,
                                   message=share)
        median = self.median_range(spec.get("median_range"), points)
        combine = self.choice("consensus.combine", spec.get("combine", "all"), COMBINE,
                              _("Choose all or any."))
        if (iqr is None and agreement is None and median is None
                and not any(k.startswith("consensus.") for k in self.errors)):
            self.fail("consensus", _("Set at least one condition: the IQR, the agreement or "
                                     "the median range."))
        return {"consensus_kind": kind, "iqr_max": iqr, "agreement_min": agreement,
                "disagreement_min": disagreement, "median_range": median, "combine": combine}

    def kind_consensus(self, spec) -> dict:
        """The consensus thresholds of the other question kinds
        (``rounds.kinds.CONSENSUS_DEFAULTS`` for what is not given)."""
        settings = consensus_settings(None)
        if spec is None:
            return settings
        if not isinstance(spec, Mapping):
            self.fail("kind_consensus", _("Invalid consensus rule."))
            return settings
        for kind, values in spec.items():
            if kind not in settings:
                self.fail("kind_consensus", _("This is not a setting of the consensus rule."))
                continue
            if not isinstance(values, Mapping):
                self.fail(f"kind_consensus.{kind}", _("Invalid consensus rule."))
                continue
            for key, value in values.items():
                name = f"kind_consensus.{kind}.{str(key)[:40]}"
                if (kind, key) not in CONSENSUS_RANGES:
                    self.fail(name, _("This is not a setting of the consensus rule."))
                    continue
                low, high = CONSENSUS_RANGES[(kind, key)]
                number = self.number(name, value, low=low, high=high, optional=False,
                                     message=_("Enter a number from %(low)s to %(high)s.",
                                               low=reader_number(low), high=reader_number(high)))
                if number is not None:
                    settings[kind][key] = number
        return settings

    def median_range(self, value, points) -> tuple[float, float] | None:
        if value is None:
            return None
        top = points or 9
        message = _("Give the lowest and the highest median, from 1 to %(n)d, or neither.", n=top)
        if not isinstance(value, (list, tuple)) or len(value) != 2:
            self.fail("consensus.median_range", message)
            return None
        low, high = (self.number("consensus.median_range", x, low=1, high=top, message=message,
                                 optional=False) for x in value)
        if low is None or high is None:
            return None
        if low > high:
            self.fail("consensus.median_range", _("The lowest median comes first."))
            return None
        return (low, high)

    def cutoff(self, value, zone) -> datetime | None:
        if value is None:
            return None
        message = _("Enter a date (YYYY-MM-DD) or a date and time (YYYY-MM-DD HH:MM).")
        if isinstance(value, str):
            text = value.strip()
            try:
                if len(text) > 40:
                    raise ValueError(text)
                if _DATE_ONLY.match(text):
                    value = date.fromisoformat(text)
                else:
                    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                self.fail("panel_cutoff", message)
                return None
        if not isinstance(value, date):
            self.fail("panel_cutoff", message)
            return None
        if not 1900 <= value.year <= 9998:
            self.fail("panel_cutoff", _("Enter a date from 1900 to 9998."))
            return None
        if zone is None:  # the time zone's own error says why
            return None
        if not isinstance(value, datetime):
            return day_start(value, zone)
        if value.tzinfo is None:
            value = value.replace(tzinfo=ZoneInfo(zone))
        return value.astimezone(UTC)


def check_protocol(values: Mapping) -> dict:
    """The checked values of a protocol (the keyword arguments of
    :class:`rounds.protocol.Protocol`); ``InvalidInput`` naming every wrong field."""
    return _Checker(values).protocol()
