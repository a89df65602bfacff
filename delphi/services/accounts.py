"""Registration of users and organisations."""
from __future__ import annotations

import gzip
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from importlib import resources

from blinker import Namespace
from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from delphi.core import audit
from delphi.core.clock import is_time_zone
from delphi.core.database import db
from delphi.core.errors import Conflict, InvalidInput
from delphi.core.models import (
    STAKEHOLDER_GROUPS,
    ApiToken,
    MembershipStatus,
    Organisation,
    Region,
    User,
    utcnow,
)
from delphi.core.passwords import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    check_password,
    end_sessions,
    hash_password,
)
from delphi.core.policy import DEFAULT_POLICY, Policy
from delphi.core.text import text_problem


@dataclass(frozen=True)
class Registration:
    """What a new member gives, from the web form, the API or a CSV row."""

    email: str
    password: str
    name: str
    organisation: str
    country: str = ""
    region: str | None = None
    stakeholder_group: str = "other"
    language: str | None = None
    consent: bool = False
    #: The browser's IANA time zone where the form could read it; a name this
    #: installation does not know is dropped (the user is then shown UTC).
    time_zone: str | None = None


def normalise_email(email: str) -> str:
    try:
        return validate_email((email or "").strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise InvalidInput(_("Invalid input."), fields={"email": _("Enter a valid email address.")})


def member_by_email(email: str | None) -> User | None:
    """The user with this email address (trimmed, lower case), or None."""
    return db.session.scalar(select(User).where(User.email == (email or "").strip().lower()))


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The bundled list of common (breached) passwords, lower-cased
    (``delphi/data/common-passwords.txt.gz``; sources in ``common-passwords.md``)."""
    data = resources.files("delphi").joinpath("data/common-passwords.txt.gz").read_bytes()
    return frozenset(gzip.decompress(data).decode("utf-8").split("\n")) - {""}


def password_problem(password: str) -> str | None:
    """What is wrong with a new password, or None: its length (ASVS 2.1.1–2.1.2)
    and whether it is a common, breached password, whatever its case (ASVS 2.1.7,
    against the bundled list: :func:`common_passwords`)."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        return _("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)
    if len(password) > MAX_PASSWORD_LENGTH:
        return _("Use at most %(n)d characters.", n=MAX_PASSWORD_LENGTH)
    if password.lower() in common_passwords():
        return _("This password is one of the most common ones, known to attackers: choose "
                 "another.")
    return None


def find_region(name: str | None) -> Region | None:
    if not name or not isinstance(name, str) or len(name) > 200 or text_problem(name):
        return None
    return db.session.scalar(select(Region).where(func.lower(Region.name) == name.strip().lower()))


def organisation_named(name: str) -> Organisation:
    """The organisation of that name (case-insensitive), created with status none."""
    name = " ".join((name or "").split())
    if len(name) > 200 or text_problem(name):
        raise InvalidInput(_("Please correct the marked fields."),
                           fields={"organisation": text_problem(name)
                                   or _("Use at most %(n)d characters.", n=200)})
    organisation = db.session.scalar(
        select(Organisation).where(func.lower(Organisation.name) == name.lower())
    )
    if organisation is None:
        organisation = Organisation(name=name, status=MembershipStatus.none)
        db.session.add(organisation)
        db.session.flush()
    return organisation


def check_registration(reg: Registration, policy: Policy = DEFAULT_POLICY) -> dict[str, str]:
    """Field errors of a registration (empty when it is acceptable)."""
    errors: dict[str, str] = {}
    try:
        normalise_email(reg.email)
    except InvalidInput as error:
        errors.update(error.fields)
    problem = password_problem(reg.password)
    if problem:
        errors["password"] = problem
    if not (reg.name or "").strip():
        errors["name"] = _("This field is required.")
    elif len(reg.name) > 200:
        errors["name"] = _("Use at most %(n)d characters.", n=200)
    if not (reg.organisation or "").strip():
        errors["organisation"] = _("This field is required.")
    elif len(reg.organisation) > 200:
        errors["organisation"] = _("Use at most %(n)d characters.", n=200)
    if len(reg.country or "") > 100:
        errors["country"] = _("Use at most %(n)d characters.", n=100)
    if reg.region and find_region(reg.region) is None:
        errors["region"] = _("Unknown region.")
    if reg.stakeholder_group not in STAKEHOLDER_GROUPS:
        errors["stakeholder_group"] = _("Unknown stakeholder group.")
    if reg.language and reg.language not in policy.languages:
        errors["language"] = _("Unsupported language.")
    if reg.consent is not True:
        errors["consent"] = _("Please accept the privacy notice to register.")
    return errors


#: Sent when somebody registers with the address of an existing account
#: (``user``: that account), inside the request's transaction; the mail
#: outbox tells the owner. Registration itself answers as for a new address.
registration_attempted = Namespace().signal("registration-attempted")


def registration_answer() -> str:
    """What a self-registration answers, whether or not the address had an account."""
    return _("Thank you. If this e-mail address is new here, your account is ready: log in "
             "with your password. If it already has an account, we have e-mailed its owner.")


def register_self(reg: Registration, *, now: datetime | None = None,
                  policy: Policy = DEFAULT_POLICY) -> User | None:
    """Self-registration (the web form, the API) that never reveals whether an
    address has an account: returns the new account, or None when the address
    has one already, whose owner is then told by mail
    (:data:`registration_attempted`). Both cost one password hash, and the
    caller answers both the same way. ``InvalidInput`` for wrong fields, which
    do not depend on the address's account."""
    errors = check_registration(reg, policy)
    if errors:
        raise InvalidInput(_("Please correct the marked fields."), fields=errors)
    existing = db.session.scalar(select(User).where(User.email == normalise_email(reg.email)))
    if existing is not None:
        hash_password(reg.password)  # the cost of a real registration: timing tells nothing
        registration_attempted.send(existing, now=now or utcnow())
        return None
    return register(reg, now=now, policy=policy)


def register(reg: Registration, *, now: datetime | None = None, is_admin: bool = False,
             password_hash: str | None = None, policy: Policy = DEFAULT_POLICY) -> User:
    """Create a member account. Raises InvalidInput (422) or Conflict (409): for the
    secretariat's tools (the CLI); self-registration is :func:`register_self`.

    ``password_hash``: the argon2 hash of ``reg.password`` when the caller
    has it already (bulk loads of accounts sharing one password).
    """
    errors = check_registration(reg, policy)
    if errors:
        raise InvalidInput(_("Please correct the marked fields."), fields=errors)
    email = normalise_email(reg.email)
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(_("An account with this email address exists already."),
                       fields={"email": _("An account with this email address exists already.")})
    now = now or utcnow()
    user = User(
        email=email,
        name=" ".join(reg.name.split()),
        password_hash=password_hash or hash_password(reg.password),
        organisation=organisation_named(reg.organisation),
        country=(reg.country or "").strip(),
        region=find_region(reg.region),
        stakeholder_group=reg.stakeholder_group,
        language=reg.language or None,
        time_zone=reg.time_zone if is_time_zone(reg.time_zone) else None,
        is_admin=is_admin,
        consent_at=now,
        consent_version=policy.privacy_notice_version,
        created_at=now,
    )
    db.session.add(user)
    db.session.flush()
    return user


def language_problem(language: object, policy: Policy = DEFAULT_POLICY) -> str | None:
    """What is wrong with an interface language code, or None."""
    if not isinstance(language, str) or language not in policy.languages:
        return _("Unsupported language: choose one of %(languages)s.",
                 languages=", ".join(policy.languages))
    return None


def set_language(user: User, language: str, policy: Policy = DEFAULT_POLICY) -> None:
    """The language ``user`` reads the site and their mail in. ``InvalidInput`` (and
    nothing changed) for a language the site does not offer."""
    problem = language_problem(language, policy)
    if problem:
        raise InvalidInput(problem, fields={"language": problem})
    user.language = language


def update_profile(user: User, *, language: str, time_zone: str,
                   policy: Policy = DEFAULT_POLICY) -> None:
    """A user's own settings: their language and their time zone (an IANA name,
    :func:`delphi.core.clock.time_zones`). ``InvalidInput`` naming each wrong
    field, and nothing changed, when either is wrong."""
    errors = {}
    problem = language_problem(language, policy)
    if problem:
        errors["language"] = problem
    if not is_time_zone(time_zone):
        errors["time_zone"] = _("Unknown time zone: choose one from the list (an IANA name "
                                "such as Europe/Paris).")
    if errors:
        raise InvalidInput(_("Please correct the marked fields."), fields=errors)
    user.language = language
    user.time_zone = time_zone


def change_password(user: User, current: str, new: str, *, now: datetime | None = None) -> None:
    """Change a password: every session cookie and every API token of the user ends."""
    if not check_password(user, current or ""):
        raise InvalidInput(_("Please correct the marked fields."),
                           fields={"current_password": _("This is not your current password.")})
    problem = password_problem(new)
    if problem:
        raise InvalidInput(_("Please correct the marked fields."), fields={"new_password": problem})
    user.password_hash = hash_password(new)
    sign_out_everywhere(user, now=now)


def sign_out_everywhere(user: User, *, now: datetime | None = None) -> int:
    """End every session cookie and revoke every API token of ``user`` (logout,
    password change). Returns how many tokens were revoked."""
    end_sessions(user)
    result = db.session.execute(
        update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now or utcnow()))
    return result.rowcount or 0


def set_organisation_status(actor: User, organisation: Organisation,
                            status: MembershipStatus) -> None:
    """The secretariat sets an organisation's standing (audited)."""
    old = organisation.status
    if old == status:
        return
    organisation.status = status
    audit.record(actor, "organisation.status", organisation,
                 details={"from": old.value, "to": status.value})
