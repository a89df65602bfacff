"""Guards shared by the views: the admin check and a safe ``next`` target."""
from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

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


def local_path(target: str | None) -> str | None:
    """``target`` when it is a path on this site, else None.

    Browsers are lenient: they drop tabs and newlines inside URLs, read a
    backslash as a slash and ``//host`` as another site, so ``/\tevil.org``,
    ``/%09/evil.org`` (decoded to a tab) and ``/\\evil.org`` all leave the
    site. A target is accepted only if it is printable (no control
    character, no whitespace but a plain space), starts with one ``/`` not
    followed by another ``/`` or ``\\``, and parses with no scheme and no host.
    """
    if not target or not isinstance(target, str) or len(target) > 2000:
        return None
    if any(ord(c) < 0x20 or ord(c) == 0x7F or (c.isspace() and c != " ") for c in target):
        return None
    if not target.startswith("/") or target[1:2] in ("/", "\\") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def safe_next(default: str) -> str:
    """The request's ``next`` target when it is a path on this site, else ``default``."""
    return local_path(request.args.get("next") or request.form.get("next")) or default
