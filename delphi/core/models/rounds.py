"""Rounds, items, round items (with their feedback snapshot) and proposals."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from delphi.core.models.base import Base, UTCDateTime, str_enum, utcnow


class RoundStatus(enum.Enum):
    draft = "draft"
    open = "open"
    closed = "closed"


class RoundKind(enum.Enum):
    rating = "rating"
    open_ended = "open_ended"   # round 1 may collect free-text proposals


class Round(Base):
    __tablename__ = "round"
    __table_args__ = (UniqueConstraint("study_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id", ondelete="CASCADE"))
    number: Mapped[int]
    kind: Mapped[RoundKind] = mapped_column(
        str_enum(RoundKind, "round_kind"), default=RoundKind.rating
    )
    status: Mapped[RoundStatus] = mapped_column(
        str_enum(RoundStatus, "round_status"), default=RoundStatus.draft
    )
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Days before ``closes_at`` on which non-responders are reminded.
    reminder_days: Mapped[list] = mapped_column(JSON, default=list)

    study = relationship("Study", back_populates="rounds")
    round_items: Mapped[list[RoundItem]] = relationship(
        back_populates="round", order_by="RoundItem.position", cascade="all, delete-orphan"
    )


def translated(translations: dict | None, language: str | None, field: str, original: str) -> str:
    """An item's ``field`` (``text``, ``background`` or ``unit``) in ``language``,
    from its ``translations``; the ``original`` where there is none (or no language)."""
    return ((translations or {}).get(language or "") or {}).get(field) or original


class Item(Base):
    """A statement panellists rate. Carried unchanged, it keeps its id across rounds."""

    __tablename__ = "item"
    __table_args__ = (UniqueConstraint("study_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(16))
    #: The question kind (``rounds.kinds.KINDS``): rating, estimate, probability,
    #: year or ranking.
    kind: Mapped[str] = mapped_column(String(16), default="rating")
    #: The kind's parameters, as ``rounds.kinds`` checked them (empty for ratings).
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    text: Mapped[str] = mapped_column(Text)
    background: Mapped[str] = mapped_column(Text, default="")
    #: ``{"fr": {"text": ..., "background": ..., "unit": ...}}`` (``unit``: an estimate's)
    translations: Mapped[dict] = mapped_column(JSON, default=dict)
    #: Optional link to the objective's target: "2030" or "2050".
    target: Mapped[str | None] = mapped_column(String(8))
    #: Where the item came from: ``{"proposals": [ids], "items": [ids]}``.
    lineage: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def text_in(self, language: str | None) -> str:
        return translated(self.translations, language, "text", self.text)

    def background_in(self, language: str | None) -> str:
        return translated(self.translations, language, "background", self.background)

    def unit_in(self, language: str | None) -> str:
        """An estimate's unit in ``language`` (its translation, else the unit as given)."""
        return translated(self.translations, language, "unit", (self.params or {}).get("unit") or "")


class RoundItem(Base):
    """An item as it stands in one round, with the feedback frozen from the last."""

    __tablename__ = "round_item"
    __table_args__ = (UniqueConstraint("round_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    position: Mapped[int] = mapped_column(default=0)
    #: Group feedback from the previous round, frozen when this round was
    #: drafted: ``{"criteria": {c: {median, q1, q3, iqr, counts, n}}, "comments": [...]}``.
    feedback: Mapped[dict | None] = mapped_column(JSON)

    round: Mapped[Round] = relationship(back_populates="round_items")
    item: Mapped[Item] = relationship(lazy="joined")  # read with it nearly always: no N+1


class Proposal(Base):
    """A free-text proposal from an open-ended round."""

    __tablename__ = "proposal"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), index=True)
    panellist_id: Mapped[int] = mapped_column(ForeignKey("panellist.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
