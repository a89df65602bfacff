"""The protocol of a study: one frozen value, one validator.

Every setting of a study lives in :class:`Protocol`. Its validator,
:meth:`Protocol.validate`, is the only place a protocol is checked: the web
form, the JSON API and the CLI pass what they parsed (strings already turned
into numbers, dates and lists) to :func:`rounds.create_study` or
:func:`rounds.update_protocol`, which call it. It raises one
:class:`~delphi.core.errors.InvalidInput` naming every wrong field.

The input vocabulary (:data:`INPUT_FIELDS`) is the one of ``create_study``:
the consensus rule comes as one ``consensus`` dict with the keys of
:data:`CONSENSUS_KEYS`, and its errors are named ``consensus.<key>``
(``consensus`` alone for the rule as a whole).

Dates: ``panel_cutoff`` is a moment, stored in UTC. A date without a time
means the start of that day in the study's ``time_zone`` (an IANA name); a
date-time without an offset is a wall-clock time there.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from analysis import ConsensusRule
from delphi.core.errors import InvalidInput
from delphi.core.jsonable import jsonable
from delphi.core.models import CarryForward, Study
from rounds.kinds import consensus_settings
from rounds.protocol_checks import (
    DEFAULTS,
    INPUT_FIELDS,
    RULE_DEFAULTS,
    check_protocol,
    day_start,
    multiline_text,
    reader_number,
    reader_percent,
)
from rounds.vocabulary import PROTOCOL_VALUE_LABELS, criterion_label


@dataclass(frozen=True)
class Protocol:
    """Every setting of a study, valid and normalised.

    ``consensus_kind`` is ``"rule"`` (the fields ``iqr_max`` to ``combine``
    are those of :class:`analysis.ConsensusRule`) or ``"rand_ucla"`` (they
    are then None and ``"all"``). ``panel_cutoff`` is aware UTC or None.
    Build one with :meth:`validate` (input) or :meth:`from_study` (stored).
    """

    title: str
    description: str
    scale_points: int
    scale_labels: tuple[str, ...]
    criteria: tuple[str, ...]
    consensus_kind: str
    iqr_max: float | None
    agreement_min: float | None
    disagreement_min: float | None
    median_range: tuple[float, float] | None
    combine: str
    quantile_method: str
    min_n: int
    max_rounds: int
    stop_when_settled: bool
    stop_w_threshold: float | None
    panel_cutoff: datetime | None
    time_zone: str
    show_distribution: bool
    show_median_iqr: bool
    show_comments: bool
    require_reason_outside_iqr: bool
    carry_forward: str
    #: The consensus thresholds of the other question kinds:
    #: ``{"estimate": {"max_dispersion"}, "probability": {"max_iqr"}, "year":
    #: {"max_iqr"}, "ranking": {"min_w", "max_w_change"}}`` (``rounds.kinds``).
    kind_consensus: dict
    #: The panellist attribute the feedback is also split by (``"none"``,
    #: ``"stakeholder_group"``, ``"role"`` or ``"region"``; ``rounds.feedback``).
    feedback_strata: str = "none"
    #: Whether a moderator reviews each comment and outside-IQR reason before
    #: it is fed back (``rounds.moderation``).
    moderate_comments: bool = False
    #: What withdrawing does to a panellist's answers: ``keep`` (closed rounds'
    #: answers stay, pseudonymised) or ``delete`` (``rounds.panel``).
    withdrawal: str = "keep"

    # -- building ---------------------------------------------------------
    @classmethod
    def validate(cls, values: Mapping) -> Protocol:
        """The one validator: ``values`` in the input vocabulary
        (:data:`INPUT_FIELDS`; a missing key takes its :data:`DEFAULTS`
        value, a missing ``title`` is an error). Raises ``InvalidInput``
        with a message per wrong field."""
        return cls(**check_protocol({**DEFAULTS, **values}))

    @classmethod
    def default(cls, title: str = "") -> Protocol:
        """The protocol of a new study (unvalidated ``title``)."""
        return replace(cls.validate({"title": "-"}), title=title)

    @classmethod
    def from_study(cls, study: Study) -> Protocol:
        """The study's protocol as stored, normalised as :meth:`validate`
        would (a consensus key a stored rule lacks has the meaning
        :class:`analysis.ConsensusRule` gives it)."""
        spec = dict(study.consensus_rule or {})
        kind = spec.get("kind", "rule")
        rule = {name: None for name in ("iqr_max", "agreement_min", "disagreement_min",
                                        "median_range")}
        rule["combine"] = "all"
        if kind != "rand_ucla":
            kind = "rule"
            stored = {k: v for k, v in spec.items() if k in RULE_DEFAULTS and k != "min_n"}
            rule = {**{k: v for k, v in RULE_DEFAULTS.items() if k != "min_n"}, **stored}
            rule = {k: (float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v)
                    for k, v in rule.items()}
            if rule["median_range"] is not None:
                rule["median_range"] = tuple(float(v) for v in rule["median_range"])
        return cls(
            title=" ".join((study.title or "").split()),
            description=multiline_text(study.description or "").strip(),
            scale_points=study.scale_points,
            scale_labels=tuple(str(x).strip() for x in (study.scale_labels or ())),
            criteria=tuple(study.criteria or ()),
            consensus_kind=kind, **rule,
            quantile_method=study.quantile_method, min_n=study.min_n,
            max_rounds=study.max_rounds, stop_when_settled=bool(study.stop_when_settled),
            stop_w_threshold=(None if study.stop_w_threshold is None
                              else float(study.stop_w_threshold)),
            panel_cutoff=study.panel_cutoff, time_zone=study.time_zone or "UTC",
            show_distribution=bool(study.show_distribution),
            show_median_iqr=bool(study.show_median_iqr), show_comments=bool(study.show_comments),
            require_reason_outside_iqr=bool(study.require_reason_outside_iqr),
            carry_forward=getattr(study.carry_forward, "value", study.carry_forward),
            kind_consensus=consensus_settings(study.kind_consensus),
            feedback_strata=study.feedback_strata or "none",
            moderate_comments=bool(study.moderate_comments),
            withdrawal=study.withdrawal or "keep",
        )

    # -- reading ------------------------------------------------------------
    @property
    def uses_rand_ucla(self) -> bool:
        return self.consensus_kind == "rand_ucla"

    def consensus_spec(self) -> dict:
        """The ``Study.consensus_rule`` column."""
        if self.uses_rand_ucla:
            return {"kind": "rand_ucla"}
        return {"kind": "rule", "iqr_max": self.iqr_max, "agreement_min": self.agreement_min,
                "disagreement_min": self.disagreement_min,
                "median_range": list(self.median_range) if self.median_range else None,
                "combine": self.combine}

    def rule(self) -> ConsensusRule | None:
        """The :class:`analysis.ConsensusRule` (with ``min_n``), or None for RAND/UCLA."""
        if self.uses_rand_ucla:
            return None
        spec = self.consensus_spec()
        spec.pop("kind")
        return ConsensusRule.from_dict({**spec, "min_n": self.min_n})

    def as_input(self) -> dict:
        """This protocol in the input vocabulary: ``validate(p.as_input()) == p``."""
        values = {name: getattr(self, name) for name in INPUT_FIELDS if name != "consensus"}
        values["scale_labels"] = list(self.scale_labels)
        values["criteria"] = list(self.criteria)
        values["consensus"] = self.consensus_spec()
        return values

    def columns(self) -> dict:
        """The values of the study's columns."""
        values = self.as_input()
        values["consensus_rule"] = values.pop("consensus")
        values["carry_forward"] = CarryForward(self.carry_forward)
        return values

    def changes_from(self, other: Protocol | Study) -> dict[str, tuple]:
        """``{input name: (old, new)}`` (JSON values) of what differs from
        ``other`` (a protocol, or a study's stored one)."""
        if isinstance(other, Study):
            other = Protocol.from_study(other)
        before, after = other.as_input(), self.as_input()
        return {name: (jsonable(before[name]), jsonable(after[name])) for name in INPUT_FIELDS
                if jsonable(before[name]) != jsonable(after[name])}

    @property
    def local_cutoff(self) -> datetime | None:
        """The cut-off in the study's time zone."""
        if self.panel_cutoff is None:
            return None
        return self.panel_cutoff.astimezone(ZoneInfo(self.time_zone))

    @property
    def cutoff_is_day_start(self) -> bool:
        """Whether the cut-off is the start of a day in the study's time zone
        (so a date alone gives it)."""
        local = self.local_cutoff
        return local is not None and day_start(local.date(), self.time_zone) == self.panel_cutoff

    def cutoff_input(self) -> str:
        """The cut-off as text that :meth:`validate` reads back as the same
        moment: a date when it is the start of a day in the study's time zone,
        else the wall-clock date and time there (with the UTC offset only when
        the wall-clock time is ambiguous, as in the hour a clock goes back)."""
        local = self.local_cutoff
        if local is None:
            return ""
        if self.cutoff_is_day_start:
            return local.date().isoformat()
        spec = "minutes" if not (local.second or local.microsecond) else (
            "seconds" if not local.microsecond else "microseconds")
        naive = local.replace(tzinfo=None, fold=0)
        if naive.replace(tzinfo=ZoneInfo(self.time_zone)).astimezone(UTC) == self.panel_cutoff:
            return naive.isoformat(sep=" ", timespec=spec)
        return local.isoformat(sep=" ", timespec=spec)

    def cutoff_text(self) -> str:
        """The cut-off for a reader: ``2020-10-31 (00:00, Europe/Paris)`` at the
        start of a day, else ``2020-10-31 14:30 (UTC+01:00, Europe/Paris)`` (or
        ``2020-10-31 14:30 (UTC)``)."""
        local = self.local_cutoff
        if local is None:
            return ""
        if self.cutoff_is_day_start:
            return _("%(date)s (00:00, %(zone)s)", date=local.date().isoformat(), zone=self.time_zone)
        clock = local.strftime("%H:%M:%S" if local.second else "%H:%M")
        if self.time_zone == "UTC":
            return _("%(date)s %(time)s (UTC)", date=local.date().isoformat(), time=clock)
        offset = local.strftime("%z")
        offset = offset[:3] + ":" + offset[3:5]
        return _("%(date)s %(time)s (UTC%(offset)s, %(zone)s)", date=local.date().isoformat(),
                 time=clock, offset=offset, zone=self.time_zone)

    def stopping_text(self) -> str:
        """The stopping rule in words, in the current language."""
        parts = [_("at most %(n)d rounds", n=self.max_rounds)]
        if self.stop_when_settled:
            parts.append(_("when every item is settled"))
        if self.stop_w_threshold is not None:
            parts.append(_("when Kendall's W reaches %(w)s and the ratings are stable",
                           w=reader_number(self.stop_w_threshold)))
        return _("; ").join(parts)

    def kind_consensus_text(self) -> str:
        """The consensus rules of the other question kinds in words."""
        k = self.kind_consensus
        return _("; ").join([
            _("estimates: quartile dispersion at most %(d)s", d=reader_number(k["estimate"]["max_dispersion"])),
            _("probabilities: IQR at most %(n)s points", n=reader_number(k["probability"]["max_iqr"])),
            _("years: IQR at most %(n)s years", n=reader_number(k["year"]["max_iqr"])),
            _("rankings: Kendall's W at least %(w)s (settled when W changes by at most %(c)s "
              "between rounds)", w=reader_number(k["ranking"]["min_w"]),
              c=reader_number(k["ranking"]["max_w_change"])),
        ])

    def consensus_text(self) -> str:
        """The consensus rule in words, in the current language."""
        if self.uses_rand_ucla:
            return _("RAND/UCLA appropriateness method (median and disagreement index)")
        lo, hi = (self.scale_points - 1, self.scale_points) if self.scale_points != 9 else (7, 9)
        join = " " + (_("and") if self.combine == "all" else _("or")) + " "
        iqr = _("IQR at most %(iqr)s", iqr=reader_number(self.iqr_max)) if self.iqr_max is not None else None
        parts_in = [iqr] if iqr else []
        if self.agreement_min is not None:
            parts_in.append(_("at least %(pct)s %% of ratings from %(lo)d to %(hi)d",
                              pct=reader_percent(self.agreement_min), lo=lo, hi=hi))
        if self.median_range is not None:
            low, high = (reader_number(x) for x in self.median_range)
            parts_in.append(_("median from %(lo)s to %(hi)s", lo=low, hi=high))
        text = _("Include: %(conditions)s.", conditions=join.join(parts_in))
        if self.disagreement_min is None:
            return text + " " + _("No rule to exclude.")
        parts_out = [iqr] if iqr else []
        parts_out.append(_("at least %(pct)s %% of ratings from %(lo)d to %(hi)d",
                           pct=reader_percent(self.disagreement_min), lo=self.scale_points + 1 - hi,
                           hi=self.scale_points + 1 - lo))
        return text + " " + _("Exclude: %(conditions)s.", conditions=join.join(parts_out))


def protocol_value_text(study: Study, field: str, value) -> str:
    """A protocol field's value (an amendment's old or new value, as stored:
    JSON) in the reader's words: yes or no, a choice by its label
    (:data:`rounds.vocabulary.PROTOCOL_VALUE_LABELS`), criteria by their
    labels, numbers as the reader's locale writes them, and the consensus
    rules and the panel cut-off as the study page words them (read with the
    study's current protocol for the other settings). A value that no longer
    reads as a protocol setting is shown as it was stored."""
    if value is None or value == "":
        return _("none")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    labels = PROTOCOL_VALUE_LABELS.get(field)
    if labels is not None and value in labels:
        return str(labels[value])
    if field == "criteria" and isinstance(value, list):
        return ", ".join(criterion_label(str(c)) for c in value)
    if field == "scale_labels" and isinstance(value, list):
        return " · ".join(str(x) for x in value)
    words = {"consensus": Protocol.consensus_text, "kind_consensus": Protocol.kind_consensus_text,
             "panel_cutoff": Protocol.cutoff_text}.get(field)
    if words is not None:
        try:
            protocol = Protocol.validate({**Protocol.from_study(study).as_input(), field: value})
        except InvalidInput:
            return json.dumps(value, ensure_ascii=False)
        return words(protocol) or _("none")
    if isinstance(value, int | float):
        return reader_number(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
