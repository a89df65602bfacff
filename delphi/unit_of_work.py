"""The unit of work of a request: one place commits or rolls back.

Services flush, never commit. Every state-changing view of the web pages
and of the API is wrapped in :func:`unit_of_work`, which commits when the
view answered with a success or a redirect (status < 400) and rolls back
when it answered with an error or raised one, so nothing half-done is ever
kept. Two errors keep what was written, on purpose: an error raised with
``keep_changes = True`` (an incomplete submission keeps the answers given
as a draft), and a view that calls :func:`keep_changes` before answering
with an error or raising one (a failed login is counted by the throttle).
"""
from __future__ import annotations

from functools import wraps

from flask import current_app, g

from delphi.core.database import db


def keep_changes() -> None:
    """Commit this request's changes even though the view answers with an error."""
    g.keep_changes = True


def unit_of_work(view):
    """Commit after the view on a status below 400, else roll back (see the module)."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        g.keep_changes = False
        try:
            response = current_app.make_response(view(*args, **kwargs))
        except Exception as error:
            if getattr(error, "keep_changes", False) or g.keep_changes:
                db.session.commit()
            else:
                db.session.rollback()
            raise
        if response.status_code < 400 or g.keep_changes:
            db.session.commit()
        else:
            db.session.rollback()
        return response

    return wrapper
