"""A Delphi study: its protocol, its staff and its amendments."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from delphi.core.models.base import Base, UTCDateTime, str_enum, utcnow


class StudyStatus(enum.Enum):
    draft = "draft"        # protocol editable, no round opened yet
    running = "running"    # round 1 has opened: protocol locked
    ended = "ended"


class CarryForward(enum.Enum):
    no_consensus = "no_consensus"
    all = "all"


class StaffRole(enum.Enum):
    moderator = "moderator"
    researcher = "researcher"


class Study(Base):
    __tablename__ = "study"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_force_id: Mapped[int] = mapped_column(ForeignKey("task_force.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[StudyStatus] = mapped_column(
        str_enum(StudyStatus, "study_status"), default=StudyStatus.draft
    )
    # Protocol ------------------------------------------------------------
    scale_points: Mapped[int] = mapped_column(default=5)
    scale_labels: Mapped[list] = mapped_column(JSON)
    criteria: Mapped[list] = mapped_column(JSON)
    #: The study's texts in the other languages (``rounds.translations``):
    #: ``{"fr": {"title", "description", "criteria": {name: text}, "scale_labels": [...]}}``.
    translations: Mapped[dict] = mapped_column(JSON, default=dict)
    #: A serialised ``analysis.ConsensusRule`` (or ``{"kind": "rand_ucla"}``).
    consensus_rule: Mapped[dict] = mapped_column(JSON)
    #: Consensus thresholds of the other question kinds (``rounds.kinds``):
    #: ``{"estimate": {"max_dispersion": 0.25}, "probability": {"max_iqr": 20}, ...}``;
    #: a missing key takes the kind's default.
    kind_consensus: Mapped[dict] = mapped_column(JSON, default=dict)
    quantile_method: Mapped[str] = mapped_column(String(16), default="type7")
    min_n: Mapped[int] = mapped_column(default=5)
    max_rounds: Mapped[int] = mapped_column(default=3)
    stop_when_settled: Mapped[bool] = mapped_column(Boolean, default=True)
    stop_w_threshold: Mapped[float | None] = mapped_column(Float)
    panel_cutoff: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The IANA time zone the study's dates are given in (a date-only cut-off
    #: is the start of that day there).
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    show_distribution: Mapped[bool] = mapped_column(Boolean, default=True)
    show_median_iqr: Mapped[bool] = mapped_column(Boolean, default=True)
    show_comments: Mapped[bool] = mapped_column(Boolean, default=True)
    require_reason_outside_iqr: Mapped[bool] = mapped_column(Boolean, default=False)
    carry_forward: Mapped[CarryForward] = mapped_column(
        str_enum(CarryForward, "carry_forward"), default=CarryForward.no_consensus
    )
    #: The panellist attribute the feedback is also split by, or "none"
    #: (``rounds.protocol_checks.FEEDBACK_STRATA``).
    feedback_strata: Mapped[str] = mapped_column(String(32), default="none",
                                                 server_default="none")
    #: Whether comments and reasons wait for a moderator's review before they
    #: are fed back (``rounds.moderation``).
    moderate_comments: Mapped[bool] = mapped_column(Boolean, default=False)
    #: What withdrawing does to a panellist's answers: "keep" or "delete"
    #: (``rounds.protocol_checks.WITHDRAWAL``).
    withdrawal: Mapped[str] = mapped_column(String(16), default="keep", server_default="keep")
    # Bookkeeping ---------------------------------------------------------
    #: Per-study secret for export pseudonyms (HMAC key); never shown.
    pseudonym_secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    task_force = relationship("TaskForce")
    rounds: Mapped[list["Round"]] = relationship(  # noqa: F821
        back_populates="study", order_by="Round.number"
    )
    staff: Mapped[list[StudyStaff]] = relationship(back_populates="study")


class StudyStaff(Base):
    """A moderator or researcher of a study, assigned by an admin."""

    __tablename__ = "study_staff"
    __table_args__ = (UniqueConstraint("study_id", "user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    role: Mapped[StaffRole] = mapped_column(str_enum(StaffRole, "staff_role"))

    study: Mapped[Study] = relationship(back_populates="staff")
    user = relationship("User")


class Amendment(Base):
    """A change to a locked protocol, with its reason."""

    __tablename__ = "amendment"

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    field: Mapped[str] = mapped_column(String(64))
    old_value: Mapped[dict | list | str | int | float | None] = mapped_column(JSON)
    new_value: Mapped[dict | list | str | int | float | None] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)
