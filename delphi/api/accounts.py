"""``/api/v1/users``, ``/api/v1/auth/token`` and ``/api/v1/me``."""
from __future__ import annotations

import secrets

from flask import current_app, g
from flask_babel import gettext as _

from delphi import two_factor
from delphi.api.common import ApiError, token_hash
from delphi.api.operations import ok, operation, raw, request_body
from delphi.api.schemas.accounts import Accepted, Credentials, Registration, Token, User
from delphi.config import current_policy
from delphi.core.database import db
from delphi.core.models import ApiToken, utcnow
from delphi.security import authenticate, client_address, record_failed_login
from delphi.services import accounts
from delphi.unit_of_work import keep_changes, unit_of_work


def user_json(user) -> dict:
    return {
        "id": user.id, "email": user.email, "name": user.name,
        "organisation": user.organisation.name if user.organisation else None,
        "country": user.country, "region": user.region.name if user.region else None,
        "stakeholder_group": user.stakeholder_group, "language": user.language,
    }


@operation("POST", "/users", summary="Register a member", tag="accounts", secure=False,
           body=Registration, answers={202: ok("Registration taken", Accepted)}, errors=())
@unit_of_work
def create_user():
    """Register. The answer (202) is the same whether or not the address has an
    account, which then gets an e-mail instead; the new member then asks for a
    token (``POST /auth/token``) and reads their profile at ``/me``."""
    body = request_body()
    given = {name: getattr(body, name) for name in body.model_fields_set
             if getattr(body, name) is not None}
    accounts.register_self(accounts.Registration(**given), policy=current_policy())
    return {"status": "accepted", "message": accounts.registration_answer()}, 202


@operation("POST", "/auth/token", summary="Get a bearer token", tag="accounts", secure=False,
           body=Credentials, answers={201: ok("Token", Token)}, errors=(401, 429))
@unit_of_work
def create_token():
    body = request_body()
    user, reason = authenticate(body.email, body.password)
    if user is None:
        keep_changes()  # keep the failed attempt: it counts towards the throttle
        if reason == "throttled":
            raise ApiError(429, "throttled", _("Too many failed logins. Please wait a few minutes."))
        raise ApiError(401, "invalid_credentials", _("Wrong email or password."))
    if two_factor.enabled(user):
        if not body.otp:
            raise ApiError(401, "otp_required", _("Two-factor login is on for this account: "
                                                  "send the code of your app as otp."))
        if not two_factor.check_code(user, body.otp):
            record_failed_login(user.email, client_address())
            keep_changes()
            raise ApiError(401, "invalid_otp", _("This code is not right, or was used already."))
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row = ApiToken(user_id=user.id, token_hash=token_hash(token), created_at=now,
                   expires_at=now + current_app.config["API_TOKEN_LIFETIME"])
    db.session.add(row)
    return {"token": token, "expires_at": row.expires_at.isoformat()}, 201


@operation("DELETE", "/auth/token", summary="Revoke the token used", tag="accounts",
           answers={204: raw("Revoked")})
@unit_of_work
def revoke_token():
    g.api_token.revoked_at = utcnow()
    return "", 204


@operation("GET", "/me", summary="The caller's profile", tag="accounts",
           answers={200: ok("Profile", User)})
def me():
    return user_json(g.api_user)
