"""The authors' answers to the reporting checklists' items (CREDES, DELPHISTAR, ACCORD)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from delphi.core.models.base import Base, UTCDateTime, utcnow


class ChecklistAnswer(Base):
    """What the study's authors wrote for one checklist item the engine cannot fill
    (or wants to add to): ``checklist`` and ``item`` as in
    :mod:`delphi.exports.checklists` (``"DELPHISTAR"``, ``"22"``)."""

    __tablename__ = "checklist_answer"
    __table_args__ = (UniqueConstraint("study_id", "checklist", "item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id", ondelete="CASCADE"))
    checklist: Mapped[str] = mapped_column(String(16))
    item: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id",
                                                                 ondelete="SET NULL"))
