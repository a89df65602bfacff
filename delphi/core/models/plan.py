"""The strategic plan: goals, objectives (one task force each) and regions."""
from __future__ import annotations

import enum

from sqlalchemy import JSON, Float, ForeignKey, String, Text
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
    indicators: Mapped[list[Indicator]] = relationship(
        back_populates="task_force", order_by="Indicator.position"
    )

    def text(self, field: str, language: str | None) -> str:
        """A field in ``language`` where translated, else in English."""
        return (self.translations.get(language or "", {}) or {}).get(field) or getattr(self, field)


class Indicator(Base):
    """A measurable indicator of an objective: its 2020 baseline and its 2030 and
    2050 targets. A value is None where the plan gives only words (``*_text``)."""

    __tablename__ = "indicator"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_force_id: Mapped[int] = mapped_column(ForeignKey("task_force.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(300))
    unit: Mapped[str] = mapped_column(String(60), default="")
    baseline_value: Mapped[float | None] = mapped_column(Float)
    baseline_year: Mapped[int | None]
    baseline_text: Mapped[str] = mapped_column(Text, default="")
    target_2030_value: Mapped[float | None] = mapped_column(Float)
    target_2030_text: Mapped[str] = mapped_column(Text, default="")
    target_2050_value: Mapped[float | None] = mapped_column(Float)
    target_2050_text: Mapped[str] = mapped_column(Text, default="")
    #: ``{"fr": {"name": ..., "unit": ..., "baseline_text": ..., ...}}`` (the texts too)
    translations: Mapped[dict] = mapped_column(JSON, default=dict)

    task_force: Mapped[TaskForce] = relationship(back_populates="indicators")

    def text(self, field: str, language: str | None) -> str:
        return (self.translations.get(language or "", {}) or {}).get(field) or getattr(self, field)

    def target_value(self, year: int | str | None) -> float | None:
        """The numeric target for 2030 or 2050 (None: words only, or no such year)."""
        return {"2030": self.target_2030_value, "2050": self.target_2050_value}.get(str(year))


class Region(Base):
    """A region of the initiative; editable data, seeded with the five defaults."""

    __tablename__ = "region"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    position: Mapped[int] = mapped_column(default=0)
    translations: Mapped[dict] = mapped_column(JSON, default=dict)
