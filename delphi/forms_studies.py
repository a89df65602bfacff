"""WTForms of the study pages (staff) and the questionnaire (panellists).

The questionnaire's fields depend on the round (one radio group per rating
item × criterion; each other kind's inputs, :func:`answer_parts`), so it is
parsed by :func:`answers_from_form` rather than declared; its CSRF token is
still checked (:class:`QuestionnaireForm`). The item form
(:class:`ItemForm`) carries every kind's parameters.
"""
from __future__ import annotations

import math

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    FloatField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    Length,
    Optional,
)

import rounds
from rounds.protocol_checks import time_zones

try:
    from wtforms.fields.choices import SelectChoice
except ImportError:  # WTForms < 3.3 takes (value, label) pairs
    def SelectChoice(value, label=None):  # noqa: N802
        return (value, label if label is not None else value)


def choices(*pairs) -> list:
    """Select options from ``(value, label)`` pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


SCALE_CHOICES = choices(("5", _l("5 points")), ("7", _l("7 points")), ("9", _l("9 points")))
WITHDRAWAL_CHOICES = choices(("keep", _l("keep the answers of closed rounds, pseudonymised")),
                             ("delete", _l("delete all their answers")))
CARRY_CHOICES = choices(("no_consensus", _l("Items without consensus")), ("all", _l("All items")))
STRATA_CHOICES = choices(("none", _l("Nothing more: the whole panel only")),
                         ("stakeholder_group", _l("Stakeholder group")), ("role", _l("Role")),
                         ("region", _l("Region")))
CONSENSUS_CHOICES = choices(("rule", _l("A rule on the IQR, the agreement and the median")),
                            ("rand_ucla", _l("The RAND/UCLA appropriateness method (9 points)")))
COMBINE_CHOICES = choices(("all", _l("All of them (and)")), ("any", _l("Any of them (or)")))
#: The quartile methods in words (the form and the study page).
QUANTILE_LABELS = {
    "type7": _l("Type 7: linear interpolation (R, NumPy, Excel QUARTILE.INC)"),
    "type6": _l("Type 6 (SPSS, Minitab, Excel QUARTILE.EXC)"),
    "hinges": _l("Tukey's hinges"),
}
QUANTILE_CHOICES = choices(*QUANTILE_LABELS.items())
TARGET_CHOICES = choices(("", _l("None")), ("2030", _l("The 2030 target")),
                         ("2050", _l("The 2050 target")))
#: The value a "cannot rate" radio button posts.
CANNOT_RATE = "na"


def parse_criteria(text: str) -> list[str]:
    return [c.strip() for c in (text or "").replace("\n", ",").split(",") if c.strip()]


def _int_or_text(value):
    """A select's value as a number when it is one (the validator refuses the rest)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


def _zone_choices(current: str | None) -> list:
    names = set(time_zones())
    if current:
        names.add(current)
    return [SelectChoice(name, name.replace("_", " ")) for name in sorted(names)]


#: Where an error of the protocol validator is shown: ``consensus.<key>`` on
#: the consensus fields, the rest on the field of the same name.
ERROR_FIELDS = {"consensus": "consensus_kind", "consensus.kind": "consensus_kind",
                "consensus.median_range": "median_min"}


class ProtocolForm(FlaskForm):
    """Every setting of a study's protocol: shared by "new study" and "edit protocol".

    The form only turns the posted strings into numbers, lists and flags
    (:meth:`protocol_input`); the protocol's own validator
    (:meth:`rounds.Protocol.validate`, through the service) judges them, and
    :meth:`show_errors` puts its messages beside the fields.
    """

    title = StringField(_l("Title"))
    description = TextAreaField(_l("Description"), render_kw={"rows": 4})
    scale_points = SelectField(_l("Rating scale"), choices=SCALE_CHOICES, default="5",
                               coerce=_int_or_text, validate_choice=False)
    scale_labels = TextAreaField(
        _l("Labels of the scale points"),
        description=_l("One label per line, lowest first; leave empty for the default labels."))
    criteria = StringField(_l("Criteria"), default="importance",
                           description=_l("One to three, separated by commas, e.g. importance, feasibility."))
    quantile_method = SelectField(_l("Quartiles"), choices=QUANTILE_CHOICES, default="type7",
                                  validate_choice=False,
                                  description=_l("How the median, Q1 and Q3 are computed."))
    consensus_kind = SelectField(_l("Consensus method"), choices=CONSENSUS_CHOICES, default="rule",
                                 validate_choice=False)
    iqr_max = FloatField(_l("Largest IQR"), default=1, validators=[Optional()],
                         description=_l("Leave empty to ignore the IQR."))
    agreement_min = FloatField(
        _l("Include: least share of ratings in the top points (0–1)"), default=0.7,
        validators=[Optional()],
        description=_l("The top two points on 5 or 7 points, 7 to 9 on 9 points. Leave empty to ignore."))
    disagreement_min = FloatField(
        _l("Exclude: least share of ratings in the bottom points (0–1)"), default=0.7,
        validators=[Optional()],
        description=_l("An item that reaches it (with the IQR) has consensus to exclude and is not "
                       "carried forward. Leave empty never to exclude."))
    median_min = FloatField(_l("Include: lowest median"), validators=[Optional()])
    median_max = FloatField(_l("Include: highest median"), validators=[Optional()],
                            description=_l("Leave both empty to ignore the median."))
    combine = SelectField(_l("Conditions that must hold"), choices=COMBINE_CHOICES, default="all",
                          validate_choice=False)
    min_n = IntegerField(_l("Least number of ratings for a verdict"), default=5,
                         validators=[Optional()])
    max_rounds = IntegerField(_l("At most this many rounds"), default=3, validators=[Optional()])
    stop_when_settled = BooleanField(_l("Stop when every item is settled"), default=True)
    stop_w_threshold = FloatField(
        _l("Stop when Kendall's W reaches (optional)"), validators=[Optional()],
        description=_l("And with four items in five (per criterion) stable since the previous round."))
    panel_cutoff = StringField(
        _l("Panel cut-off"),
        description=_l("A date (YYYY-MM-DD: the start of that day) or a date and time "
                       "(YYYY-MM-DD HH:MM) in the study's time zone. Members who joined the task "
                       "force before it are enrolled."))
    time_zone = SelectField(_l("Time zone of the study"), default="UTC", validate_choice=False)
    show_distribution = BooleanField(_l("Show the distribution"), default=True)
    show_median_iqr = BooleanField(_l("Show the median and IQR"), default=True)
    show_comments = BooleanField(_l("Show the anonymised comments"), default=True)
    require_reason_outside_iqr = BooleanField(
        _l("Ask for a reason when a panellist moves outside the previous IQR"))
    moderate_comments = BooleanField(
        _l("A moderator reviews each comment and reason before the panel sees it"),
        description=_l("The next round cannot open until every comment and reason of the "
                       "round before has been approved, edited or hidden."))
    withdrawal = SelectField(
        _l("When a panellist withdraws"), default="keep", validate_choice=False,
        choices=WITHDRAWAL_CHOICES,
        description=_l("The group's figures of closed rounds and the comments already fed back "
                       "stay either way. The withdrawal page tells panellists which applies."))
    carry_forward = SelectField(_l("Carry forward"), choices=CARRY_CHOICES, default="no_consensus",
                                validate_choice=False)
    feedback_strata = SelectField(
        _l("Also show the feedback by"), choices=STRATA_CHOICES, default="none",
        validate_choice=False,
        description=_l("Each group's median and IQR beside the panel's; a group with fewer "
                       "answers than the smallest cell allowed is hidden, and so is any group "
                       "that would let a reader work it out."))
    # The other question kinds' consensus thresholds (``Protocol.kind_consensus``).
    estimate_max_dispersion = FloatField(
        _l("Estimates: largest quartile dispersion (0–1)"), default=0.25, validators=[Optional()],
        description=_l("(Q3 − Q1) / (Q3 + Q1) of the panel's most likely values."))
    probability_max_iqr = FloatField(_l("Probabilities: largest IQR, in points"), default=20,
                                     validators=[Optional()])
    year_max_iqr = FloatField(_l("Years: largest IQR, in years"), default=5, validators=[Optional()])
    ranking_min_w = FloatField(_l("Rankings: least Kendall's W (0–1)"), default=0.7,
                               validators=[Optional()])
    ranking_max_w_change = FloatField(
        _l("Rankings: settled when W changes by at most"), default=0.05, validators=[Optional()],
        description=_l("Between two rounds; a ranking whose W no longer changes is not asked again."))
    reason = TextAreaField(_l("Reason for the amendment"),
                           description=_l("Required once round 1 has opened: every change is recorded."))

    def __init__(self, *args, time_zone: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.time_zone.choices = _zone_choices(time_zone)

    def fill(self, protocol: rounds.Protocol) -> None:
        """Show ``protocol`` (default labels as an empty box; RAND/UCLA with the
        default rule ready to switch back to)."""
        defaults = rounds.Protocol.default()
        rule = defaults if protocol.uses_rand_ucla else protocol
        labels = list(protocol.scale_labels)
        if labels == rounds.default_scale_labels(protocol.scale_points, "en"):
            labels = []
        self.title.data = protocol.title
        self.description.data = protocol.description
        self.scale_points.data = protocol.scale_points
        self.scale_labels.data = "\n".join(labels)
        self.criteria.data = ", ".join(protocol.criteria)
        self.quantile_method.data = protocol.quantile_method
        self.consensus_kind.data = protocol.consensus_kind
        self.iqr_max.data = rule.iqr_max
        self.agreement_min.data = rule.agreement_min
        self.disagreement_min.data = rule.disagreement_min
        self.median_min.data, self.median_max.data = rule.median_range or (None, None)
        self.combine.data = rule.combine
        self.min_n.data = protocol.min_n
        self.max_rounds.data = protocol.max_rounds
        self.stop_when_settled.data = protocol.stop_when_settled
        self.stop_w_threshold.data = protocol.stop_w_threshold
        self.panel_cutoff.data = protocol.cutoff_input()
        self.time_zone.data = protocol.time_zone
        self.show_distribution.data = protocol.show_distribution
        self.show_median_iqr.data = protocol.show_median_iqr
        self.show_comments.data = protocol.show_comments
        self.require_reason_outside_iqr.data = protocol.require_reason_outside_iqr
        self.carry_forward.data = protocol.carry_forward
        self.feedback_strata.data = protocol.feedback_strata
        self.moderate_comments.data = protocol.moderate_comments
        self.withdrawal.data = protocol.withdrawal
        for kind, values in protocol.kind_consensus.items():
            for key, value in values.items():
                getattr(self, f"{kind}_{key}").data = value

    def protocol_input(self) -> dict:
        """The posted protocol in the services' input vocabulary."""
        labels = [line.strip() for line in (self.scale_labels.data or "").splitlines() if line.strip()]
        low, high = self.median_min.data, self.median_max.data
        consensus = {"kind": self.consensus_kind.data, "iqr_max": self.iqr_max.data,
                     "agreement_min": self.agreement_min.data,
                     "disagreement_min": self.disagreement_min.data,
                     "median_range": None if low is None and high is None else [low, high],
                     "combine": self.combine.data}
        return {
            "title": self.title.data or "", "description": self.description.data or "",
            "scale_points": self.scale_points.data, "scale_labels": labels or None,
            "criteria": parse_criteria(self.criteria.data), "consensus": consensus,
            "quantile_method": self.quantile_method.data, "min_n": self.min_n.data,
            "max_rounds": self.max_rounds.data, "stop_when_settled": self.stop_when_settled.data,
            "stop_w_threshold": self.stop_w_threshold.data,
            "panel_cutoff": (self.panel_cutoff.data or "").strip() or None,
            "time_zone": self.time_zone.data,
            "show_distribution": self.show_distribution.data,
            "show_median_iqr": self.show_median_iqr.data, "show_comments": self.show_comments.data,
            "require_reason_outside_iqr": self.require_reason_outside_iqr.data,
            "carry_forward": self.carry_forward.data,
            "feedback_strata": self.feedback_strata.data,
            "moderate_comments": self.moderate_comments.data,
            "withdrawal": self.withdrawal.data,
            "kind_consensus": {kind: {key: getattr(self, f"{kind}_{key}").data
                                      for key in values
                                      if getattr(self, f"{kind}_{key}").data is not None}
                               for kind, values in rounds.kinds.CONSENSUS_DEFAULTS.items()},
        }

    def show_errors(self, errors: dict) -> dict:
        """Put the validator's messages beside their fields; return those that
        belong to no field of this form."""
        left = {}
        for name, message in (errors or {}).items():
            target = ERROR_FIELDS.get(name) or (name.split(".", 1)[1] if name.startswith("consensus.")
                                                else name)
            if name.startswith("kind_consensus."):
                target = name.split(".", 1)[1].replace(".", "_")
            field = self._fields.get(target)
            if field is None:
                left[name] = message
            else:
                field.errors = [*field.errors, message]
        return left


class NewStudyForm(ProtocolForm):
    task_force = SelectField(_l("Task force"), validate_choice=False)


class StaffForm(FlaskForm):
    email = StringField(_l("Email of the member"), validators=[DataRequired(), Email(), Length(max=254)])
    role = SelectField(_l("Role"), choices=choices(("moderator", _l("Moderator")),
                                                   ("researcher", _l("Researcher"))))


class PanellistForm(FlaskForm):
    email = StringField(_l("Email of the member"), validators=[DataRequired(), Email(), Length(max=254)])


KIND_CHOICES = choices(
    ("rating", _l("Rating (the study's scale)")),
    ("estimate", _l("Estimate (a number)")),
    ("probability", _l("Probability (%)")),
    ("year", _l("Year (of an event)")),
    ("ranking", _l("Ranking (of options)")))
QUANTILES_CHOICES = choices(("0", _l("One value")),
                            ("1", _l("Three values: low (P10), most likely (P50), high (P90)")))

#: Where a ``params.<name>`` error of each kind is shown on :class:`ItemForm`.
PARAM_FIELDS = {
    "estimate": {"unit": "estimate_unit", "min": "estimate_min", "max": "estimate_max",
                 "quantiles": "estimate_quantiles", "indicator": "estimate_indicator",
                 "baseline": "baseline_value", "baseline.value": "baseline_value",
                 "baseline.year": "baseline_year", "target": "target_value",
                 "target.value": "target_value", "target.year": "target_year"},
    "probability": {"event_year": "event_year"},
    "year": {"min": "year_min", "max": "year_max"},
    "ranking": {"options": "ranking_options", "top_k": "top_k"},
}


def _number_or_text(text):
    """A posted number as a float, empty as None, anything else as it was typed
    (the kind's check refuses it, naming the field)."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        number = float(text.replace(",", ".") if text.count(",") == 1 and "." not in text else text)
    except ValueError:
        return text
    return number if math.isfinite(number) else text


def _whole_or_text(text):
    """A posted whole number (a year, top k) as an int, empty as None, else as typed."""
    number = _number_or_text(text)
    if isinstance(number, float) and number.is_integer():
        return int(number)
    return number


class ItemForm(FlaskForm):
    """An item and its question kind. Every kind's parameters are fields of the
    one form (each kind in its own fieldset); :meth:`kind_params` turns the
    chosen kind's into the input of :func:`rounds.add_item`, whose registry
    judges them; :meth:`show_errors` puts its ``kind`` / ``params.<name>``
    messages beside the fields."""

    text = TextAreaField(_l("Text"), validators=[DataRequired(), Length(max=2000)])
    background = TextAreaField(_l("Background shown to panellists"),
                               validators=[Optional(), Length(max=10_000)])
    target = SelectField(_l("Linked target"), choices=TARGET_CHOICES, default="")
    text_fr = TextAreaField(_l("Text in French"), validators=[Optional(), Length(max=2000)],
                            render_kw={"lang": "fr"})
    background_fr = TextAreaField(_l("Background in French"), validators=[Optional(), Length(max=10_000)],
                                  render_kw={"lang": "fr"})
    unit_fr = StringField(_l("Unit in French"), validators=[Optional(), Length(max=40)],
                          description=_l("For an estimate with a unit."), render_kw={"lang": "fr"})
    text_es = TextAreaField(_l("Text in Spanish"), validators=[Optional(), Length(max=2000)],
                            render_kw={"lang": "es"})
    background_es = TextAreaField(_l("Background in Spanish"), validators=[Optional(), Length(max=10_000)],
                                  render_kw={"lang": "es"})
    unit_es = StringField(_l("Unit in Spanish"), validators=[Optional(), Length(max=40)],
                          description=_l("For an estimate with a unit."), render_kw={"lang": "es"})
    kind = SelectField(_l("Kind of question"), choices=KIND_CHOICES, default="rating",
                       validate_choice=False)
    estimate_unit = StringField(_l("Unit"), description=_l("For example %, projects, k€."))
    estimate_min = StringField(_l("Lowest value allowed"))
    estimate_max = StringField(_l("Highest value allowed"))
    estimate_quantiles = SelectField(_l("Panellists give"), choices=QUANTILES_CHOICES, default="0",
                                     validate_choice=False)
    estimate_indicator = SelectField(
        _l("Indicator of the plan"), validate_choice=False, default="",
        description=_l("Its unit, baseline and target (of the linked target's year) are used "
                       "unless you give them below."))
    baseline_value = StringField(_l("Baseline value"))
    baseline_year = StringField(_l("Baseline year"))
    target_value = StringField(_l("Target value"))
    target_year = StringField(_l("Target year"))
    event_year = StringField(_l("The event happens by (year)"))
    year_min = StringField(_l("First year offered"))
    year_max = StringField(_l("Last year offered"),
                           description=_l("Panellists may also answer \"later than\" this year."))
    ranking_options = TextAreaField(_l("Options to rank, one per line"), render_kw={"rows": 5})
    top_k = StringField(_l("Panellists rank only their top (optional)"),
                        description=_l("Leave empty to have every option ranked."))

    def __init__(self, *args, indicators=(), items=(), language=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.estimate_indicator.choices = [SelectChoice("", _l("None"))] + [
            SelectChoice(str(i.id), f"{i.text('name', language)}"
                                    + (f" ({i.text('unit', language)})" if i.unit else ""))
            for i in indicators]
        #: The other items of the study a ranking may offer as options: ``[(id, label)]``.
        self.option_items = [(i.id, f"{i.code}: {i.text_in(language)}") for i in items]
        self.chosen_items: list[int] = []

    TRANSLATED = ("text", "background", "unit")

    def translations(self) -> dict:
        """``{"fr": {"text", "background", "unit"}, "es": {...}}``, the empty ones left out."""
        out = {}
        for language in ("fr", "es"):
            given = {name: (getattr(self, f"{name}_{language}").data or "").strip()
                     for name in self.TRANSLATED}
            given = {name: value for name, value in given.items() if value}
            if given:
                out[language] = given
        return out

    def fill_translations(self, item) -> None:
        for language in ("fr", "es"):
            given = (item.translations or {}).get(language) or {}
            for name in self.TRANSLATED:
                getattr(self, f"{name}_{language}").data = given.get(name, "")

    def read_items(self, formdata) -> None:
        """The ticked ``ranking_item`` boxes (other items offered as options)."""
        known = {i for i, _label in self.option_items}
        self.chosen_items = [int(v) for v in formdata.getlist("ranking_item")
                             if v.isdigit() and int(v) in known]

    def kind_params(self, previous: dict | None = None) -> dict:
        """The chosen kind's parameters in the input vocabulary of
        :func:`rounds.add_item` (``previous``: the item's stored ones, whose
        option translations are kept for options whose text is unchanged)."""
        kind = self.kind.data
        if kind == "estimate":
            def point(value, year):
                value, year = _number_or_text(value.data), _whole_or_text(year.data)
                return None if value is None and year is None else {"value": value, "year": year}
            indicator = (self.estimate_indicator.data or "").strip()
            return {"unit": (self.estimate_unit.data or "").strip(),
                    "min": _number_or_text(self.estimate_min.data),
                    "max": _number_or_text(self.estimate_max.data),
                    "quantiles": self.estimate_quantiles.data == "1",
                    "indicator": _whole_or_text(indicator) if indicator else None,
                    "baseline": point(self.baseline_value, self.baseline_year),
                    "target": point(self.target_value, self.target_year)}
        if kind == "probability":
            return {"event_year": _whole_or_text(self.event_year.data)}
        if kind == "year":
            return {"min": _whole_or_text(self.year_min.data), "max": _whole_or_text(self.year_max.data)}
        if kind == "ranking":
            kept = {o["text"]: o.get("translations") for o in (previous or {}).get("options") or []
                    if "text" in o and o.get("translations")}
            options = []
            for line in (self.ranking_options.data or "").splitlines():
                text = line.strip()
                if text:
                    options.append({"text": text, "translations": kept[text]} if text in kept
                                   else text)
            options += [{"item": i} for i in self.chosen_items]
            return {"options": options, "top_k": _whole_or_text(self.top_k.data)}
        return {}

    def fill_params(self, kind: str, params: dict) -> None:
        """Show an item's stored kind and parameters."""
        def plain(value):
            return "" if value is None else (f"{value:g}" if isinstance(value, float) else str(value))
        self.kind.data = kind
        if kind == "estimate":
            self.estimate_unit.data = params.get("unit") or ""
            self.estimate_min.data, self.estimate_max.data = plain(params.get("min")), plain(params.get("max"))
            self.estimate_quantiles.data = "1" if params.get("quantiles") else "0"
            self.estimate_indicator.data = plain(params.get("indicator"))
            for prefix in ("baseline", "target"):
                point = params.get(prefix) or {}
                getattr(self, f"{prefix}_value").data = plain(point.get("value"))
                getattr(self, f"{prefix}_year").data = plain(point.get("year"))
        elif kind == "probability":
            self.event_year.data = plain(params.get("event_year"))
        elif kind == "year":
            self.year_min.data, self.year_max.data = plain(params.get("min")), plain(params.get("max"))
        elif kind == "ranking":
            options = params.get("options") or []
            self.ranking_options.data = "\n".join(o["text"] for o in options if "text" in o)
            self.chosen_items = [o["item"] for o in options if "item" in o]
            self.top_k.data = plain(params.get("top_k"))

    def show_errors(self, fields: dict) -> dict:
        """Put the registry's ``kind`` / ``params.<name>`` messages beside their
        fields (an option's: "Option n: ..."); return those that fit no field."""
        left = {}
        where = PARAM_FIELDS.get(self.kind.data, {})
        text_lines = len([line for line in (self.ranking_options.data or "").splitlines()
                          if line.strip()])
        for name, message in (fields or {}).items():
            target = "kind" if name == "kind" else None
            if name.startswith("params."):
                param = name[len("params."):]
                if param.startswith("options[") and "]" in param:
                    index = param[len("options["):param.index("]")]
                    if index.isdigit():
                        number = int(index) + 1
                        if number > text_lines:  # an item option
                            message = _l("Item option %(n)d: %(message)s", n=number - text_lines,
                                         message=message)
                        else:
                            message = _l("Option %(n)d: %(message)s", n=number, message=message)
                    param = "options"
                target = where.get(param) or where.get(param.split(".")[0])
            field = self._fields.get(target) if target else None
            if field is None:
                left[name] = message
            else:
                field.errors = [*field.errors, str(message)]
        return left


class MergeForm(FlaskForm):
    """Turn proposals (and earlier items) into one item; the ids come as checkboxes."""

    text = TextAreaField(_l("Text of the new item"), validators=[DataRequired(), Length(max=2000)])


class DraftRoundForm(FlaskForm):
    kind = SelectField(_l("Kind of round"), choices=choices(
        ("rating", _l("Rating round")), ("open_ended", _l("Open-ended round (proposals)"))))


class OpenRoundForm(FlaskForm):
    """The deadline, typed as a wall-clock time in the moderator's own time
    ``zone`` (the label names it); the view turns it into UTC
    (``delphi.i18n.reader_moment``)."""

    closes_at = DateTimeLocalField(_l("Closes at"), validators=[Optional()],
                                   format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"])

    def __init__(self, *args, zone: str = "UTC", **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = zone
        self.closes_at.label.text = _l("Closes at (%(zone)s)", zone=zone)


class EndStudyForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)])


class ProposalsForm(FlaskForm):
    proposals = TextAreaField(_l("Your proposals, one per line"),
                              validators=[DataRequired(), Length(max=20_000)])


class QuestionnaireForm(FlaskForm):
    """Only the CSRF token: the answers are parsed by :func:`answers_from_form`."""


def rating_name(item_id: int, criterion: str) -> str:
    return f"r-{item_id}-{criterion}"


def reason_name(item_id: int, criterion: str) -> str:
    return f"reason-{item_id}-{criterion}"


def comment_name(item_id: int) -> str:
    return f"comment-{item_id}"


def value_name(item_id: int, part: str | int | None = None) -> str:
    """The input of a non-rating item's answer (``part``: ``p10``/``p50``/``p90`` of a
    quantile estimate, a rank position 1..k of a ranking); also the id of the
    item's answer fieldset when it has several inputs."""
    return f"v-{item_id}" if part is None else f"v-{item_id}-{part}"


def cannot_name(item_id: int) -> str:
    """The "cannot answer" checkbox of a non-rating item."""
    return f"na-{item_id}"


#: The quantile parts of a quantile estimate, in order.
QUANTILE_PARTS = ("p10", "p50", "p90")
#: How many characters of a typed number are kept to show the form again.
ECHO_MAX = 100


def ranking_positions(params: dict) -> int:
    """How many rank positions a ranking item's form has (its top k, else all options)."""
    m = len((params or {}).get("options") or [])
    k = (params or {}).get("top_k")
    return min(k, m) if k else m


def answer_parts(item_id: int, kind: str, params: dict) -> list[str]:
    """The input names of a non-rating item's answer (without "cannot answer")."""
    if kind == "estimate" and (params or {}).get("quantiles"):
        return [value_name(item_id, p) for p in QUANTILE_PARTS]
    if kind == "ranking":
        return [value_name(item_id, n) for n in range(1, ranking_positions(params) + 1)]
    return [value_name(item_id)]


def _kind_value(item_id: int, kind: str, params: dict, raws: dict):
    """The answer a non-rating item's inputs give, shaped as ``rounds.kinds``
    wants it; ``_NOTHING`` when nothing was entered. Whatever is not a number
    where one is wanted is passed on as typed: the service refuses it, naming
    the field."""
    texts = {name: (raw or "").strip() for name, raw in raws.items()}
    if not any(texts.values()):
        return _NOTHING
    if kind == "estimate" and (params or {}).get("quantiles"):
        return {p: _number_or_text(texts[value_name(item_id, p)]) for p in QUANTILE_PARTS}
    if kind == "ranking":
        chosen = [texts[value_name(item_id, n)] for n in range(1, ranking_positions(params) + 1)]
        return [int(v) if v.isdigit() and len(v) < 10 else v for v in chosen if v]
    text = texts[value_name(item_id)]
    if kind == "year":
        if text == "later":
            return "later"
        return _whole_or_text(text)
    return _number_or_text(text)


_NOTHING = object()


def answers_from_form(formdata, items, criteria):
    """The posted questionnaire as a :class:`rounds.AnswerSet`.

    ``items``: the round's items, as ids (rating items) or ``(item_id, kind,
    params)``. Only the fields of the round's items and criteria are read; an
    unanswered question is simply absent (a draft may be partial). A value
    that is not a number (or not on the scale) is passed on for the service to
    refuse with its field name. A non-rating item's answer has no criterion:
    its inputs are :func:`answer_parts`, its "cannot answer" box
    :func:`cannot_name`, its reason ``reason_name(item_id, "")``.
    Returns ``(answers, posted)`` where ``posted`` keeps the raw values to show
    the form again.
    """
    ratings, comments, posted = [], {}, {}
    for entry in items:
        item_id, kind, params = entry if isinstance(entry, tuple) else (entry, "rating", {})
        if kind != "rating":
            names = answer_parts(item_id, kind, params)
            raws = {name: formdata.get(name) for name in names}
            cannot = formdata.get(cannot_name(item_id))
            reason = (formdata.get(reason_name(item_id, "")) or "").strip()
            if any(v is not None for v in raws.values()) or cannot is not None or reason:
                posted.update({name: (raw or "")[:ECHO_MAX] for name, raw in raws.items()})
                posted[cannot_name(item_id)] = "1" if cannot else ""
                posted[reason_name(item_id, "")] = reason
                value = None if cannot else _kind_value(item_id, kind, params, raws)
                if value is not _NOTHING:
                    ratings.append(rounds.RatingInput(item_id=item_id, criterion=None, value=value,
                                                      reason=reason or None))
        for criterion in (criteria if kind == "rating" else ()):
            raw = formdata.get(rating_name(item_id, criterion))
            reason = (formdata.get(reason_name(item_id, criterion)) or "").strip()
            if raw is None and not reason:
                continue
            posted[rating_name(item_id, criterion)] = raw
            posted[reason_name(item_id, criterion)] = reason
            if raw is None:
                continue
            if raw == CANNOT_RATE:
                value = None
            else:
                try:
                    value = int(raw)
                except ValueError:
                    value = -1  # off the scale: the service names the field
            ratings.append(rounds.RatingInput(item_id=item_id, criterion=criterion, value=value,
                                              reason=reason or None))
        comment = formdata.get(comment_name(item_id))
        if comment is not None:
            comments[item_id] = comment.strip()[:5000]
            posted[comment_name(item_id)] = comment
    return rounds.AnswerSet(ratings=ratings, comments=comments), posted


class StudyTranslationForm(FlaskForm):
    """A study's texts in one other language (``rounds.set_study_translations``
    judges them). Criteria get one box each, added by :meth:`for_study`."""

    title = StringField(_l("Title"))
    description = TextAreaField(_l("Description"), render_kw={"rows": 4})
    scale_labels = TextAreaField(
        _l("Labels of the scale points"),
        description=_l("One label per line, lowest first; leave empty to show the English labels."))

    def criteria_input(self, study, form_data) -> dict:
        return {c: (form_data.get(f"criterion-{c}") or "") for c in study.criteria or []}

    def as_input(self, study, form_data) -> dict:
        return {"title": self.title.data or "", "description": self.description.data or "",
                "criteria": self.criteria_input(study, form_data),
                "scale_labels": [line.strip() for line in (self.scale_labels.data or "").splitlines()]}


class ConsentTextsForm(FlaskForm):
    """A study's information sheet and consent text, in English and in each
    other language (``rounds.publish_consent`` judges them; an empty
    translation means "not translated")."""

    information_sheet = TextAreaField(_l("Information sheet (English)"),
                                      render_kw={"rows": 12, "lang": "en"})
    consent_text = TextAreaField(_l("Consent text (English)"), render_kw={"rows": 4, "lang": "en"})
    information_sheet_fr = TextAreaField(_l("Information sheet (French)"),
                                         render_kw={"rows": 12, "lang": "fr"})
    consent_text_fr = TextAreaField(_l("Consent text (French)"), render_kw={"rows": 4, "lang": "fr"})
    information_sheet_es = TextAreaField(_l("Information sheet (Spanish)"),
                                         render_kw={"rows": 12, "lang": "es"})
    consent_text_es = TextAreaField(_l("Consent text (Spanish)"), render_kw={"rows": 4, "lang": "es"})

    def fill(self, version) -> None:
        self.information_sheet.data = version.information_sheet
        self.consent_text.data = version.consent_text
        for language in ("fr", "es"):
            texts = (version.translations or {}).get(language) or {}
            getattr(self, f"information_sheet_{language}").data = texts.get("information_sheet", "")
            getattr(self, f"consent_text_{language}").data = texts.get("consent_text", "")

    def as_input(self) -> tuple[dict, dict]:
        english = {"information_sheet": self.information_sheet.data or "",
                   "consent_text": self.consent_text.data or ""}
        other = {language: {"information_sheet": getattr(self, f"information_sheet_{language}").data
                            or "",
                            "consent_text": getattr(self, f"consent_text_{language}").data or ""}
                 for language in ("fr", "es")}
        return english, other

    def field_of(self, name: str):
        """The box of a service's field name (``fr.consent_text`` → ``consent_text_fr``)."""
        language, _dot, text = name.rpartition(".")
        return getattr(self, f"{text}_{language}" if language else text, None)


class ConsentAcceptForm(FlaskForm):
    """A panellist's consent to the version they read."""

    version = HiddenField()
    agree = BooleanField(_l("I agree"), validators=[DataRequired(
        message=_l("Tick the box to give your consent, or leave the study."))])
