"""Panellists: the members enrolled in a study's panel."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from delphi.core.models.base import Base, UTCDateTime, str_enum, utcnow


class PanellistStatus(enum.Enum):
    active = "active"
    withdrawn = "withdrawn"


class Panellist(Base):
    __tablename__ = "panellist"
    __table_args__ = (
        UniqueConstraint("study_id", "user_id"),
        UniqueConstraint("study_id", "pseudonym"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    #: Random per-study pseudonym; never derived from the user id.
    pseudonym: Mapped[str] = mapped_column(String(32))
    status: Mapped[PanellistStatus] = mapped_column(
        str_enum(PanellistStatus, "panellist_status"), default=PanellistStatus.active
    )
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminders_opt_out: Mapped[bool] = mapped_column(Boolean, default=False)

    study = relationship("Study")
    user = relationship("User")
