"""Organisations, users, login attempts and API tokens."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from delphi.core.models.base import Base, UTCDateTime, str_enum, utcnow


class MembershipStatus(enum.Enum):
    """An organisation's standing towards the "4 per 1000" initiative."""

    member = "member"
    partner = "partner"
    none = "none"


#: Stakeholder groups a user may belong to (stored as these codes).
STAKEHOLDER_GROUPS = (
    "research",
    "farmers",
    "ngo",
    "government",
    "private_sector",
    "international_organisation",
    "funder",
    "other",
)


class Organisation(Base):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[MembershipStatus] = mapped_column(
        str_enum(MembershipStatus, "membership_status"), default=MembershipStatus.none
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def may_lead(self) -> bool:
        """Only members and partners may be Global Leader or Regional Representative."""
        return self.status in (MembershipStatus.member, MembershipStatus.partner)


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    country: Mapped[str] = mapped_column(String(100), default="")
    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"))
    stakeholder_group: Mapped[str] = mapped_column(String(40), default="other")
    language: Mapped[str | None] = mapped_column(String(8))
    #: The IANA name of the user's time zone (times are shown in it); None: not
    #: chosen yet, read as UTC (``delphi.views.deadlines.reader_zone``).
    time_zone: Mapped[str | None] = mapped_column(String(64))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Bumped by logout and password change: older session cookies stop working.
    session_version: Mapped[int] = mapped_column(default=1)
    #: The TOTP secret of two-factor login, encrypted (``delphi.two_factor``); None: off.
    totp_secret: Mapped[str | None] = mapped_column(String(300))
    #: The last time step whose code was accepted (a code is never accepted twice).
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consent_version: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organisation: Mapped[Organisation | None] = relationship()
    region: Mapped["Region | None"] = relationship()  # noqa: F821

    # Flask-Login protocol -------------------------------------------------
    is_active = True
    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str:
        """The session identity: the user id *and* the session version."""
        return f"{self.id}:{self.session_version}"


class LoginThrottle(Base):
    """The failed-login count of one account (or address that has no account),
    across every client: ``key`` is the SHA-256 of the normalised e-mail
    address. Its row is locked while a login is checked, so concurrent guesses
    are counted one after the other on both databases."""

    __tablename__ = "login_throttle"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    #: Failures since ``window_start`` (reset by a success or a lock).
    failures: Mapped[int] = mapped_column(default=0)
    window_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: No password is checked before this moment.
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Locks in a row: each lasts twice as long as the one before.
    locks: Mapped[int] = mapped_column(default=0)


class LoginAttempt(Base):
    """A failed login, counted per account and per client to throttle guessing."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_email_at", "email", "at"),
        Index("ix_login_attempt_client_at", "client", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    client: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiToken(Base):
    """A bearer token for the JSON API, stored as its SHA-256 only."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
