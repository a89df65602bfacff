"""What the study pages share: the ``studies`` blueprint and small view helpers.

The pages themselves are split by subject, all on this one blueprint (so
every endpoint stays ``studies.*``): :mod:`delphi.views.studies` (studies,
protocol, staff, panel), :mod:`delphi.views.items` (items and merging
proposals) and :mod:`delphi.views.study_rounds` (drafting, opening, closing
rounds).
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, url_for
from flask_login import current_user
from sqlalchemy import select

from delphi.access import can_moderate, get_study, require
from delphi.core.database import db
from delphi.core.errors import DomainError
from delphi.core.models import Item, Round, Study

bp = Blueprint("studies", __name__, url_prefix="/studies")


def round_of(study: Study, number: int) -> Round:
    """Round ``number`` of the study, or 404."""
    row = db.session.scalar(select(Round).where(Round.study_id == study.id, Round.number == number))
    if row is None:
        abort(404)
    return row


def item_of(study: Study, item_id: int) -> Item:
    """An item of the study, or 404."""
    item = db.session.get(Item, item_id)
    if item is None or item.study_id != study.id:
        abort(404)
    return item


def moderated(study_id: int) -> Study:
    """The study, or 404; 403 unless the current user moderates it."""
    study = get_study(study_id)
    require(can_moderate(current_user, study))
    return study


def done(message: str, endpoint: str, **values):
    """Flash a success and redirect (303)."""
    flash(message, "success")
    return redirect(url_for(endpoint, **values), 303)


def failed(error: DomainError, endpoint: str, **values):
    """Flash a service's refusal (and its fields) and redirect (303)."""
    db.session.rollback()
    flash(error.message, "error")
    for name, message in (error.fields or {}).items():
        flash(f"{name}: {message}", "error")
    return redirect(url_for(endpoint, **values), 303)


def flash_form_errors(form) -> None:
    """Flash a form's errors, each with its field's label."""
    for name, messages in form.errors.items():
        label = getattr(getattr(form, name, None), "label", None)
        for message in messages:
            flash(f"{label.text if label else name}: {message}", "error")
