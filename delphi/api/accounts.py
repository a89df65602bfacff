"""``/api/v1/users`` and ``/api/v1/auth/token``."""
from __future__ import annotations

import secrets

from flask import current_app, g
from flask_babel import gettext as _

from delphi.api.common import (
    ApiError,
    bp,
    field,
    json_body,
    token_hash,
    token_required,
)
from delphi.config import current_policy
from delphi.core.database import db
from delphi.core.models import ApiToken, utcnow
from delphi.security import authenticate
from delphi.services.accounts import Registration, register
from delphi.unit_of_work import keep_changes, unit_of_work


def user_json(user) -> dict:
    return {
        "id": user.id, "email": user.email, "name": user.name,
        "organisation": user.organisation.name if user.organisation else None,
        "country": user.country, "region": user.region.name if user.region else None,
        "stakeholder_group": user.stakeholder_group, "language": user.language,
    }


@bp.post("/users")
@unit_of_work
def create_user():
    data = json_body()
    reg = Registration(
        email=field(data, "email", str), password=field(data, "password", str),
        name=field(data, "name", str), organisation=field(data, "organisation", str),
        country=field(data, "country", str), region=field(data, "region", str, required=False),
        stakeholder_group=field(data, "stakeholder_group", str),
        language=field(data, "language", str, required=False),
        consent=data.get("consent") is True,
    )
    user = register(reg, policy=current_policy())
    return user_json(user), 201


@bp.post("/auth/token")
@unit_of_work
def create_token():
    data = json_body()
    email = data.get("email")
    password = data.get("password")
    if not isinstance(email, str) or not isinstance(password, str):
        raise ApiError(422, "invalid", _("Invalid input."),
                       {k: _("This field is required.") for k in ("email", "password")
                        if not isinstance(data.get(k), str)})
    user, reason = authenticate(email, password)
    if user is None:
        keep_changes()  # keep the failed attempt: it counts towards the throttle
        if reason == "throttled":
            raise ApiError(429, "throttled", _("Too many failed logins. Please wait a few minutes."))
        raise ApiError(401, "invalid_credentials", _("Wrong email or password."))
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row = ApiToken(user_id=user.id, token_hash=token_hash(token), created_at=now,
                   expires_at=now + current_app.config["API_TOKEN_LIFETIME"])
    db.session.add(row)
    return {"token": token, "expires_at": row.expires_at.isoformat()}, 201


@bp.delete("/auth/token")
@token_required
@unit_of_work
def revoke_token():
    g.api_token.revoked_at = utcnow()
    return "", 204


@bp.get("/me")
@token_required
def me():
    return user_json(g.api_user)
