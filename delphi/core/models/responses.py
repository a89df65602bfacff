"""A panellist's response to a round: the working draft and the counted answers."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from delphi.core.models.base import Base, UTCDateTime, str_enum, utcnow


class ResponseStatus(enum.Enum):
    draft = "draft"          # never submitted: nothing counts yet
    submitted = "submitted"  # the Rating rows count


class Response(Base):
    """One per panellist and round.

    ``draft`` holds the answers being worked on (autosaved); submitting copies
    them into :class:`Rating` and :class:`ItemComment` rows, which are the
    only answers that count. Once submitted, every later save re-submits the
    draft when it can count, so the rows follow what the panellist sees; a
    change that cannot count yet (a missing outside-IQR reason) stays in the
    draft, and ``rounds.answer_state`` says so.
    """

    __tablename__ = "response"
    __table_args__ = (
        UniqueConstraint("round_id", "panellist_id"),
        CheckConstraint(
            "status <> 'submitted' OR submitted_at IS NOT NULL", name="submitted_has_time"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"))
    panellist_id: Mapped[int] = mapped_column(ForeignKey("panellist.id", ondelete="CASCADE"), index=True)
    status: Mapped[ResponseStatus] = mapped_column(
        str_enum(ResponseStatus, "response_status"), default=ResponseStatus.draft
    )
    #: ``{"ratings": {"<item_id>:<criterion>": {"value": int|None, "reason": str}},
    #:    "comments": {"<item_id>": str}}``
    draft: Mapped[dict] = mapped_column(JSON, default=dict)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The idempotency key of the last submission (a form's UUID).
    submit_key: Mapped[str | None] = mapped_column(String(64))
    #: Whether the response counted when its round closed (submitted, by a
    #: panellist on the panel then): set once by ``rounds.close_round``. Every
    #: reader of a closed round's answers (statistics, subgroups, feedback
    #: comments, exports) takes these responses, so a closed round's figures
    #: never change afterwards, whoever withdraws or returns later.
    counted: Mapped[bool] = mapped_column(Boolean, default=False)

    round = relationship("Round")
    panellist = relationship("Panellist")
    ratings: Mapped[list[Rating]] = relationship(
        back_populates="response", cascade="all, delete-orphan"
    )
    comments: Mapped[list[ItemComment]] = relationship(
        back_populates="response", cascade="all, delete-orphan"
    )


class Rating(Base):
    """A submitted answer to one item: a rating on one criterion (``value``, None =
    cannot rate), or, for the other question kinds, the kind's answer in
    ``answer`` with ``criterion`` ``""`` (see ``rounds.kinds``)."""

    __tablename__ = "rating"
    __table_args__ = (
        UniqueConstraint("response_id", "item_id", "criterion"),
        Index("ix_rating_item_criterion", "item_id", "criterion"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    criterion: Mapped[str] = mapped_column(String(40))
    value: Mapped[int | None]
    #: A non-rating answer as its kind stores it: a number, ``{"p10", "p50",
    #: "p90"}``, a year or ``"later"``, or a list of option ids best first.
    answer: Mapped[dict | list | str | int | float | None] = mapped_column(JSON(none_as_null=True))
    #: Why the panellist moved outside the previous round's IQR, when asked.
    reason: Mapped[str | None] = mapped_column(Text)

    response: Mapped[Response] = relationship(back_populates="ratings")


class ItemComment(Base):
    """A submitted comment on an item, shown anonymised to the panel next round."""

    __tablename__ = "item_comment"
    __table_args__ = (UniqueConstraint("response_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    text: Mapped[str] = mapped_column(Text)

    response: Mapped[Response] = relationship(back_populates="comments")
