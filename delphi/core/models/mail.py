"""The outbox of every message, and single-purpose magic links."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from delphi.core.models.base import Base, UTCDateTime, str_enum, utcnow


class MessageStatus(enum.Enum):
    queued = "queued"
    sending = "sending"  # claimed by one sender; nobody else may touch it
    sent = "sent"
    failed = "failed"   # gave up after the last retry


class OutboxMessage(Base):
    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    round_id: Mapped[int | None] = mapped_column(ForeignKey("round.id", ondelete="SET NULL"))
    template: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(8), default="en")
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[MessageStatus] = mapped_column(
        str_enum(MessageStatus, "message_status"), default=MessageStatus.queued
    )
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    #: When a sender claimed it (status ``sending``); a stale claim is released.
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Makes queueing idempotent: one message per key (e.g. ``invitation:<round>:<panellist>``).
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)


class MagicLink(Base):
    """A signed, expiring, single-purpose link to one questionnaire (hash stored)."""

    __tablename__ = "magic_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    panellist_id: Mapped[int] = mapped_column(ForeignKey("panellist.id", ondelete="CASCADE"))
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
