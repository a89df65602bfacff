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
    DateField,
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
    NumberRange,
    Optional,
    ValidationError,
)

import rounds

SCALE_CHOICES = [("5", _l("5 points")), ("7", _l("7 points")), ("9", _l("9 points"))]
CARRY_CHOICES = [("no_consensus", _l("Items without consensus")), ("all", _l("All items"))]
TARGET_CHOICES = [("", _l("None")), ("2030", _l("The 2030 target")), ("2050", _l("The 2050 target"))]
#: The value a "cannot rate" radio button posts.
CANNOT_RATE = "na"


def parse_criteria(text: str) -> list[str]:
    return [c.strip() for c in (text or "").replace("\n", ",").split(",") if c.strip()]


class ProtocolForm(FlaskForm):
    """The protocol of a study: shared by "new study" and "edit protocol"."""

    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=10_000)])
    scale_points = SelectField(_l("Rating scale"), choices=SCALE_CHOICES, default="5")
    scale_labels = TextAreaField(
        _l("Labels of the scale points"), validators=[Optional(), Length(max=2000)],
        description=_l("One label per line, lowest first; leave empty for the default labels."))
    criteria = StringField(_l("Criteria"), default="importance",
                           validators=[DataRequired(), Length(max=200)],
                           description=_l("One to three, separated by commas, e.g. importance, feasibility."))
    iqr_max = FloatField(_l("Consensus: largest IQR"), default=1,
                         validators=[Optional(), NumberRange(min=0, max=8)])
    agreement_min = FloatField(_l("Consensus: least agreement in the top points (0–1)"), default=0.7,
                               validators=[Optional(), NumberRange(min=0, max=1)])
    min_n = IntegerField(_l("Least number of ratings for a verdict"), default=5,
                         validators=[DataRequired(), NumberRange(min=1, max=10_000)])
    max_rounds = IntegerField(_l("At most this many rounds"), default=3,
                              validators=[DataRequired(), NumberRange(min=1, max=20)])
    stop_w_threshold = FloatField(_l("Stop when Kendall's W reaches (optional)"),
                                  validators=[Optional(), NumberRange(min=0, max=1)])
    panel_cutoff = DateField(_l("Panel cut-off date"), validators=[Optional()],
                             description=_l("Members who joined the task force before this date are enrolled."))
    show_distribution = BooleanField(_l("Show the distribution"), default=True)
    show_median_iqr = BooleanField(_l("Show the median and IQR"), default=True)
    show_comments = BooleanField(_l("Show the anonymised comments"), default=True)
    require_reason_outside_iqr = BooleanField(
        _l("Ask for a reason when a panellist moves outside the previous IQR"))
    carry_forward = SelectField(_l("Carry forward"), choices=CARRY_CHOICES, default="no_consensus")
    reason = TextAreaField(_l("Reason for the amendment"), validators=[Optional(), Length(max=2000)],
                           description=_l("Required once round 1 has opened: every change is recorded."))

    def validate_criteria(self, field):
        names = parse_criteria(field.data)
        if not 1 <= len(names) <= 3 or len(set(names)) != len(names):
            raise ValidationError(_l("Give one to three different criteria."))

    def validate_scale_labels(self, field):
        labels = [line.strip() for line in (field.data or "").splitlines() if line.strip()]
        if labels and len(labels) != int(self.scale_points.data or 5):
            raise ValidationError(_l("Give one label per scale point, or none."))


class NewStudyForm(ProtocolForm):
    task_force = SelectField(_l("Task force"), validators=[DataRequired()])


class StaffForm(FlaskForm):
    email = StringField(_l("Email of the member"), validators=[DataRequired(), Email(), Length(max=254)])
    role = SelectField(_l("Role"), choices=[("moderator", _l("Moderator")),
                                           ("researcher", _l("Researcher"))])


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
    kind = SelectField(_l("Kind of round"), choices=[
        ("rating", _l("Rating round")), ("open_ended", _l("Open-ended round (proposals)"))])


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
