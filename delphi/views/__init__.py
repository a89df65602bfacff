"""Blueprints, one module per audience. Views are thin: load, check, call a service."""
from __future__ import annotations

from functools import wraps

from flask import abort, request
from flask_login import current_user, login_required


def admin_required(view):
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


def blueprints() -> list:
    """Every blueprint of the app, in registration order."""
    from delphi.api import bp as api
    from delphi.views.admin import bp as admin
    from delphi.views.auth import bp as auth
    from delphi.views.member import bp as member
    from delphi.views.plan import bp as plan

    blueprints = [plan, auth, member, admin, api]
    # Blueprints of later features are listed in delphi/views/extra.py.
    from delphi.views.extra import blueprints as extra

    return blueprints + extra()
