"""The data model, one module per aggregate; everything is re-exported here."""
from delphi.models.accounts import (
    STAKEHOLDER_GROUPS,
    ApiToken,
    LoginAttempt,
    MembershipStatus,
    Organisation,
    User,
)
from delphi.models.audit import AuditEvent
from delphi.models.base import Base, utcnow
from delphi.models.mail import MagicLink, MessageStatus, OutboxMessage
from delphi.models.membership import ApprovalStatus, Membership, TaskForceRole
from delphi.models.panel import Panellist, PanellistStatus
from delphi.models.plan import Facility, Goal, Region, TaskForce
from delphi.models.responses import ItemComment, Rating, Response, ResponseStatus
from delphi.models.rounds import Item, Proposal, Round, RoundItem, RoundKind, RoundStatus
from delphi.models.statistics import ItemStatistics, RoundStatistics
from delphi.models.study import (
    Amendment,
    CarryForward,
    StaffRole,
    Study,
    StudyStaff,
    StudyStatus,
)

__all__ = [name for name in dir() if not name.startswith("_")]
