"""WTForms for the account and membership pages (CSRF on every form)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FloatField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional
from wtforms.widgets import NumberInput

from delphi.core.clock import time_zones
from delphi.core.models import STAKEHOLDER_GROUPS
from delphi.services.plan import INDICATOR_FIELDS, INDICATOR_INPUTS
from rounds.vocabulary import ROLE_LABELS, STAKEHOLDER_LABELS

LANGUAGE_LABELS = {"en": "English", "fr": "Français", "es": "Español"}


def options(labels: dict) -> list[SelectChoice]:
    """A select field's options, in order, from a ``{value: label}`` mapping."""
    return [SelectChoice(value, label) for value, label in labels.items()]


class LoginForm(FlaskForm):
    email = StringField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])


class CodeForm(FlaskForm):
    """The six-digit code of an authenticator app (two-factor login)."""

    code = StringField(_l("Code from your authenticator app"),
                       validators=[DataRequired(), Length(min=6, max=12)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})


class RegistrationForm(FlaskForm):
    email = StringField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    password = PasswordField(_l("Password (at least 12 characters)"),
                             validators=[DataRequired(), Length(min=12, max=128)])
    organisation = StringField(_l("Organisation"), validators=[DataRequired(), Length(max=200)],
                               description=_l("Pick an existing organisation or name a new one."))
    country = StringField(_l("Country"), validators=[DataRequired(), Length(max=100)])
    region = SelectField(_l("Region"), validators=[DataRequired()])
    stakeholder_group = SelectField(
        _l("Stakeholder group"), choices=options({k: STAKEHOLDER_LABELS[k] for k in STAKEHOLDER_GROUPS}))
    language = SelectField(_l("Preferred language"), choices=options(LANGUAGE_LABELS))
    consent = BooleanField(_l("I have read the privacy notice and agree that my answers are "
                              "processed for this Delphi study as it describes."),
                           validators=[DataRequired(_l("Please accept the privacy notice to register."))])
    #: Filled by ``static/time_zone.js`` with the browser's zone; empty without
    #: JavaScript (the account then reads times in UTC until the profile says otherwise).
    time_zone = HiddenField(render_kw={"data-browser-time-zone": "fill"})


def time_zone_choices(current: str | None = None) -> list[SelectChoice]:
    """Every IANA time zone this installation knows, sorted, as select options."""
    names = set(time_zones())
    if current:
        names.add(current)
    return [SelectChoice(name, name.replace("_", " ")) for name in sorted(names)]


class ProfileForm(FlaskForm):
    """A user's own settings: language and time zone. The form passes the values
    on; :func:`delphi.services.accounts.update_profile` judges them."""

    language = SelectField(_l("Language"), choices=options(LANGUAGE_LABELS), validate_choice=False)
    time_zone = SelectField(
        _l("Time zone"), validate_choice=False,
        description=_l("Deadlines and times are shown in this zone, and named."),
        render_kw={"data-browser-time-zone": "suggest"})

    def __init__(self, *args, time_zone: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.time_zone.choices = time_zone_choices(time_zone)


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(_l("New password (at least 12 characters)"),
                                 validators=[DataRequired(), Length(min=12, max=128)])


class JoinForm(FlaskForm):
    role = SelectField(_l("Role"), choices=options(ROLE_LABELS), default="team_member")
    region = SelectField(_l("Region"), validators=[DataRequired()])


class OrganisationStatusForm(FlaskForm):
    status = SelectField(_l("Status"), choices=options(
        {"member": _l("Member"), "partner": _l("Partner"), "none": _l("None")}))


class DecisionForm(FlaskForm):
    decision = SelectField(choices=options({"approve": _l("Approve"), "decline": _l("Decline")}))


class EraseAccountForm(FlaskForm):
    """Erasing one's own account: the password again, and a box to tick."""

    password = PasswordField(_l("Your password"), validators=[DataRequired(
        message=_l("Enter your password to erase your account."))])
    confirm = BooleanField(_l("I understand that my account is erased for good"),
                           validators=[DataRequired(message=_l("Tick the box to erase your account."))])


class EmptyForm(FlaskForm):
    """A form with only the CSRF token, for POST-only buttons."""


class _Number(FloatField):
    """A number box that shows 28, not 28.0 (the service judges the value)."""

    widget = NumberInput(step="any")

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if isinstance(self.data, float) and self.data.is_integer() and abs(self.data) < 1e15:
            return str(int(self.data))
        return "" if self.data is None else repr(self.data)


#: The indicator form's translated texts: ``(field, label)``; each has a box per
#: language, ``<field>_fr`` and ``<field>_es``.
INDICATOR_TRANSLATED_LABELS = (
    ("name", _l("Indicator")), ("unit", _l("Unit")), ("baseline_text", _l("Baseline in words")),
    ("target_2030_text", _l("2030 target in words")),
    ("target_2050_text", _l("2050 target in words")),
)
#: The languages an indicator is translated into, with their headings.
INDICATOR_LANGUAGES = (("fr", _l("In French")), ("es", _l("In Spanish")))


class IndicatorForm(FlaskForm):
    """The secretariat edits an indicator of the plan. The form only turns the
    posted strings into numbers; :func:`delphi.services.plan.update_indicator`
    judges every value, and :meth:`show_errors` puts its messages beside the fields."""

    name = StringField(_l("Indicator"))
    unit = StringField(_l("Unit"), description=_l("Leave empty for a target in words only."))
    baseline_value = _Number(_l("Baseline value"), validators=[Optional()],
                             description=_l("Leave empty where the plan gives only words."))
    baseline_year = IntegerField(_l("Baseline year"), validators=[Optional()], widget=NumberInput())
    baseline_text = TextAreaField(_l("Baseline in words"), render_kw={"rows": 3})
    target_2030_value = _Number(_l("2030 target value"), validators=[Optional()])
    target_2030_text = TextAreaField(_l("2030 target in words"), render_kw={"rows": 3})
    target_2050_value = _Number(_l("2050 target value"), validators=[Optional()])
    target_2050_text = TextAreaField(_l("2050 target in words"), render_kw={"rows": 3})

    def translated_fields(self, language: str) -> list:
        return [self[f"{name}_{language}"] for name, _label in INDICATOR_TRANSLATED_LABELS]

    def fill(self, indicator) -> None:
        """Show ``indicator`` (its translations in their languages' boxes)."""
        for name in INDICATOR_INPUTS:
            if name in INDICATOR_FIELDS:
                self[name].data = getattr(indicator, name)
            else:
                field, language = name.rsplit("_", 1)
                self[name].data = ((indicator.translations or {}).get(language) or {}).get(field, "")

    def changes(self) -> dict:
        """The posted indicator in the service's input vocabulary."""
        return {name: self[name].data for name in INDICATOR_INPUTS}

    def show_errors(self, errors: dict | None) -> None:
        """Put the service's messages beside their fields."""
        for name, message in (errors or {}).items():
            if name in self._fields:
                self[name].errors = [*self[name].errors, message]


def _add_translation_boxes() -> None:
    for language, _heading in INDICATOR_LANGUAGES:
        for name, label in INDICATOR_TRANSLATED_LABELS:
            if name.endswith("_text"):
                box = TextAreaField(label, render_kw={"rows": 3, "lang": language})
            else:
                box = StringField(label, render_kw={"lang": language})
            setattr(IndicatorForm, f"{name}_{language}", box)


_add_translation_boxes()
