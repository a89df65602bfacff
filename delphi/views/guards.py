"""Guards shared by the views: the admin check and a safe ``next`` target."""
from __future__ import annotations

from functools import wraps

from flask import abort, request
from flask_login import current_user, login_required


def admin_required(view):
    """Log in first, then 403 unless the user is of the secretariat."""
    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def safe_next(default: str) -> str:
    """A same-site ``next`` path, never an absolute URL."""
    target = request.args.get("next") or request.form.get("next") or ""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default
