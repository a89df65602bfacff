"""Membership of a task force, with its role, region and approval."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from delphi.core.models.base import Base, UTCDateTime, str_enum, utcnow


class TaskForceRole(enum.Enum):
    global_leader = "global_leader"
    regional_representative = "regional_representative"
    team_member = "team_member"

    @property
    def needs_approval(self) -> bool:
        return self is not TaskForceRole.team_member


class ApprovalStatus(enum.Enum):
    pending = "pending"
    approved = "approved"
    declined = "declined"


class Membership(Base):
    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("user_id", "task_force_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    task_force_id: Mapped[int] = mapped_column(ForeignKey("task_force.id"), index=True)
    role: Mapped[TaskForceRole] = mapped_column(str_enum(TaskForceRole, "task_force_role"))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"))
    status: Mapped[ApprovalStatus] = mapped_column(
        str_enum(ApprovalStatus, "approval_status")
    )
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    user = relationship("User", foreign_keys=[user_id])
    task_force = relationship("TaskForce")
    region = relationship("Region")
