"""WTForms of the study pages (staff) and the questionnaire (panellists).

The questionnaire's fields depend on the round (one radio group per item ×
criterion), so it is parsed by :func:`answers_from_form` rather than declared;
its CSRF token is still checked (:class:`QuestionnaireForm`).
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    FloatField,
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
CARRY_CHOICES = choices(("no_consensus", _l("Items without consensus")), ("all", _l("All items")))
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
    carry_forward = SelectField(_l("Carry forward"), choices=CARRY_CHOICES, default="no_consensus",
                                validate_choice=False)
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


class ItemForm(FlaskForm):
    text = TextAreaField(_l("Text"), validators=[DataRequired(), Length(max=2000)])
    background = TextAreaField(_l("Background shown to panellists"),
                               validators=[Optional(), Length(max=10_000)])
    target = SelectField(_l("Linked target"), choices=TARGET_CHOICES, default="")
    text_fr = TextAreaField(_l("Text in French"), validators=[Optional(), Length(max=2000)])
    background_fr = TextAreaField(_l("Background in French"), validators=[Optional(), Length(max=10_000)])

    def translations(self) -> dict:
        fr = {k: v for k, v in (("text", (self.text_fr.data or "").strip()),
                                ("background", (self.background_fr.data or "").strip())) if v}
        return {"fr": fr} if fr else {}


class MergeForm(FlaskForm):
    """Turn proposals (and earlier items) into one item; the ids come as checkboxes."""

    text = TextAreaField(_l("Text of the new item"), validators=[DataRequired(), Length(max=2000)])


class DraftRoundForm(FlaskForm):
    kind = SelectField(_l("Kind of round"), choices=choices(
        ("rating", _l("Rating round")), ("open_ended", _l("Open-ended round (proposals)"))))


class OpenRoundForm(FlaskForm):
    closes_at = DateTimeLocalField(_l("Closes at (UTC)"), validators=[Optional()],
                                   format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"])


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


def answers_from_form(formdata, item_ids, criteria):
    """The posted questionnaire as a :class:`rounds.AnswerSet`.

    Only the fields of the round's items and criteria are read; an unanswered
    radio group is simply absent (a draft may be partial). A value that is not
    a number is passed on as-is for the service to refuse with its field name.
    Returns ``(answers, posted)`` where ``posted`` keeps the raw values to show
    the form again.
    """
    ratings, comments, posted = [], {}, {}
    for item_id in item_ids:
        for criterion in criteria:
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
