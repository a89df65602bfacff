"""The data model, one module per aggregate; everything is re-exported here."""
from delphi.core.models.accounts import (
    STAKEHOLDER_GROUPS,
    ApiToken,
    LoginAttempt,
    LoginThrottle,
    MembershipStatus,
    Organisation,
    User,
)
from delphi.core.models.audit import AuditEvent
from delphi.core.models.base import Base, utcnow
from delphi.core.models.consent import ConsentRecord, ConsentVersion
from delphi.core.models.mail import MagicLink, MessageStatus, OutboxMessage
from delphi.core.models.membership import ApprovalStatus, Membership, TaskForceRole
from delphi.core.models.moderation import FeedbackReview, ReviewSource, ReviewStatus
from delphi.core.models.panel import Panellist, PanellistStatus
from delphi.core.models.plan import Facility, Goal, Indicator, Region, TaskForce
from delphi.core.models.reporting import ChecklistAnswer
from delphi.core.models.responses import ItemComment, Rating, Response, ResponseStatus
from delphi.core.models.rounds import (
    Item,
    Proposal,
    Round,
    RoundItem,
    RoundKind,
    RoundStatus,
    translated,
)
from delphi.core.models.statistics import (
    ChartImage,
    ItemStatistics,
    RoundComputation,
    RoundStatistics,
)
from delphi.core.models.study import (
    Amendment,
    CarryForward,
    StaffRole,
    Study,
    StudyStaff,
    StudyStatus,
)

__all__ = [name for name in dir() if not name.startswith("_")]
