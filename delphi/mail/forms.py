"""Forms of the mail pages (CSRF on every one)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField
from wtforms.validators import AnyOf, DataRequired, Email, Length


class NewLinkForm(FlaskForm):
    email = EmailField(_l("Your email address"),
                       validators=[DataRequired(), Length(max=254), Email(check_deliverability=False)])


class OptOutForm(FlaskForm):
    #: "1": stop reminders; "0": receive them again.
    opt_out = HiddenField(validators=[DataRequired(), AnyOf(("0", "1"))])


class RemindForm(FlaskForm):
    """The moderator's "remind the non-responders" button."""
