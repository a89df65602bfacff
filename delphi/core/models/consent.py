"""A study's information sheet and consent text, versioned, and who accepted which."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from delphi.core.models.base import Base, UTCDateTime, utcnow


class ConsentVersion(Base):
    """One version of a study's information sheet and consent text. A version
    that someone has accepted never changes: a new text is a new version."""

    __tablename__ = "consent_version"
    __table_args__ = (UniqueConstraint("study_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id", ondelete="CASCADE"), index=True)
    #: 1, 2, … in order of publication; the highest is the one panellists accept.
    version: Mapped[int] = mapped_column()
    #: The English texts (the study's reference language, as for its other texts).
    information_sheet: Mapped[str] = mapped_column(Text)
    consent_text: Mapped[str] = mapped_column(Text)
    #: ``{"fr": {"information_sheet": ..., "consent_text": ...}, "es": {...}}``.
    translations: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    def text_in(self, name: str, language: str | None) -> str:
        """``information_sheet`` or ``consent_text`` in ``language``, else English."""
        return ((self.translations or {}).get(language or "", {}) or {}).get(name) \
            or getattr(self, name)


class ConsentRecord(Base):
    """A panellist's acceptance of one consent version: who, when, which
    version, and the language it was read in."""

    __tablename__ = "consent_record"
    __table_args__ = (UniqueConstraint("panellist_id", "version_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    panellist_id: Mapped[int] = mapped_column(ForeignKey("panellist.id", ondelete="CASCADE"),
                                              index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("consent_version.id", ondelete="CASCADE"))
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    language: Mapped[str] = mapped_column(String(8), default="en")

    version: Mapped[ConsentVersion] = relationship()
