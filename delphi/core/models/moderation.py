"""The moderator's review of the comments and reasons of a closed round."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from delphi.core.models.base import Base, UTCDateTime, str_enum, utcnow


class ReviewSource(enum.Enum):
    comment = "comment"  # an ItemComment
    reason = "reason"    # the reason of a Rating outside the previous IQR


class ReviewStatus(enum.Enum):
    approved = "approved"  # fed back as written
    edited = "edited"      # fed back as ``text`` (the original is in the audit row)
    hidden = "hidden"      # not fed back


class FeedbackReview(Base):
    """One per comment or reason a moderator has reviewed (none = unreviewed).

    ``source_id`` is the :class:`ItemComment` or :class:`Rating` id. ``text``
    is what the panel is shown when ``status`` is ``edited``.
    """

    __tablename__ = "feedback_review"
    __table_args__ = (UniqueConstraint("source", "source_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    source: Mapped[ReviewSource] = mapped_column(str_enum(ReviewSource, "review_source"))
    source_id: Mapped[int]
    status: Mapped[ReviewStatus] = mapped_column(str_enum(ReviewStatus, "review_status"))
    text: Mapped[str | None] = mapped_column(Text)
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
