"""The strategic plan: goals, objectives (one task force each) and regions."""
from __future__ import annotations

import enum

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from delphi.core.models.base import Base, str_enum


class Facility(enum.Enum):
    core = "Core"
    global_ = "Global"


class Goal(Base):
    __tablename__ = "goal"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(1), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    statement: Mapped[str] = mapped_column(Text)
    #: ``{"fr": {"title": ..., "statement": ...}}``
    translations: Mapped[dict] = mapped_column(JSON, default=dict)

    task_forces: Mapped[list[TaskForce]] = relationship(
        back_populates="goal", order_by="TaskForce.code"
    )

    def text(self, field: str, language: str | None) -> str:
        return (self.translations.get(language or "", {}) or {}).get(field) or getattr(self, field)


class TaskForce(Base):
    """One objective of the strategic plan and the task force that works on it."""

    __tablename__ = "task_force"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(4), unique=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goal.id"))
    facility: Mapped[Facility | None] = mapped_column(str_enum(Facility, "facility"))
    label: Mapped[str] = mapped_column(String(200))
    objective: Mapped[str] = mapped_column(Text)
    baseline_2020: Mapped[str] = mapped_column(Text)
    target_2030: Mapped[str] = mapped_column(Text)
    target_2050: Mapped[str] = mapped_column(Text)
    #: ``{"fr": {"label": ..., "objective": ..., ...}}``
    translations: Mapped[dict] = mapped_column(JSON, default=dict)

    goal: Mapped[Goal] = relationship(back_populates="task_forces")

    def text(self, field: str, language: str | None) -> str:
        """A field in ``language`` where translated, else in English."""
        return (self.translations.get(language or "", {}) or {}).get(field) or getattr(self, field)


class Region(Base):
    """A region of the initiative; editable data, seeded with the five defaults."""

    __tablename__ = "region"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    position: Mapped[int] = mapped_column(default=0)
    translations: Mapped[dict] = mapped_column(JSON, default=dict)
