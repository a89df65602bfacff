"""WTForms for the account and membership pages (CSRF on every form)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length

from delphi.core.models import STAKEHOLDER_GROUPS

STAKEHOLDER_LABELS = {
    "research": _l("Research and academia"),
    "farmers": _l("Farmers and land managers"),
    "ngo": _l("NGO and civil society"),
    "government": _l("Government and public bodies"),
    "private_sector": _l("Private sector"),
    "international_organisation": _l("International organisation"),
    "funder": _l("Funders and investors"),
    "other": _l("Other"),
}
ROLE_LABELS = {
    "global_leader": _l("Global Leader"),
    "regional_representative": _l("Regional Representative"),
    "team_member": _l("Team Member"),
}
LANGUAGE_LABELS = {"en": "English", "fr": "Français", "es": "Español"}


def options(labels: dict) -> list[SelectChoice]:
    """A select field's options, in order, from a ``{value: label}`` mapping."""
    return [SelectChoice(value, label) for value, label in labels.items()]


class LoginForm(FlaskForm):
    email = StringField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])


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


class EmptyForm(FlaskForm):
    """A form with only the CSRF token, for POST-only buttons."""
