"""Statistics frozen when a round closes."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Float,
    ForeignKey,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from delphi.core.models.base import Base, UTCDateTime, utcnow


class ItemStatistics(Base):
    __tablename__ = "item_statistics"
    __table_args__ = (UniqueConstraint("round_id", "item_id", "criterion"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    criterion: Mapped[str] = mapped_column(String(40))
    n: Mapped[int]
    n_missing: Mapped[int]
    median: Mapped[float | None] = mapped_column(Float)
    q1: Mapped[float | None] = mapped_column(Float)
    q3: Mapped[float | None] = mapped_column(Float)
    iqr: Mapped[float | None] = mapped_column(Float)
    mean: Mapped[float | None] = mapped_column(Float)
    sd: Mapped[float | None] = mapped_column(Float)
    agreement: Mapped[float | None] = mapped_column(Float)
    disagreement: Mapped[float | None] = mapped_column(Float)
    #: Count of ratings at each scale point, lowest first.
    counts: Mapped[list] = mapped_column(JSON)
    verdict: Mapped[str] = mapped_column(String(20))
    #: Which conditions of the consensus rule held, RAND/UCLA figures, etc.
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    item = relationship("Item")


class RoundStatistics(Base):
    __tablename__ = "round_statistics"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(
        ForeignKey("round.id", ondelete="CASCADE"), unique=True
    )
    invited: Mapped[int]
    started: Mapped[int]
    submitted: Mapped[int]
    response_rate: Mapped[float | None] = mapped_column(Float)
    #: ``{criterion: {w, w_uncorrected, chi2, df, pvalue, n_raters, ...}}``
    concordance: Mapped[dict] = mapped_column(JSON, default=dict)
    #: ``{"<item_id>:<criterion>": {n_pairs, pct_change, stable, ...}}``
    stability: Mapped[dict] = mapped_column(JSON, default=dict)
    #: ``{"stop": bool, "reasons": [...]}``
    stopping: Mapped[dict] = mapped_column(JSON, default=dict)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    round = relationship("Round")


class ChartImage(Base):
    """A chart of a closed round, drawn once and served by every worker
    (:mod:`delphi.charts.store`).

    Keyed by round, chart (``key``: the chart's name, criterion and item),
    language and format (the unique constraint is the lock: the worker whose
    insert wins draws). ``data`` is NULL while the winner draws (a *claim*).
    """

    __tablename__ = "chart_image"
    __table_args__ = (UniqueConstraint("round_id", "key", "language", "format"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"))
    #: ``<chart>:<criterion>:<item id>`` (empty parts for none).
    key: Mapped[str] = mapped_column(String(120))
    language: Mapped[str] = mapped_column(String(10))
    format: Mapped[str] = mapped_column(String(8))
    #: The freezing the image was drawn from (``rounds.results.freeze_stamp``).
    stamp: Mapped[str] = mapped_column(String(80))
    mimetype: Mapped[str] = mapped_column(String(40))
    data: Mapped[bytes | None] = mapped_column(LargeBinary)
    alt: Mapped[str] = mapped_column(Text, default="")
    etag: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RoundComputation(Base):
    """A result computed from a closed round's frozen data (its inference, its
    subgroup tables), computed once and read by every worker
    (:mod:`rounds.computations`).

    Keyed by round and ``key`` (what was computed, with the policy settings
    that change it, e.g. ``subgroups:min_cell=5``); the unique constraint is
    the lock: the worker whose insert wins computes. ``data`` is NULL while
    the winner computes (a *claim*). ``stamp`` names the freezing(s) and the
    study settings the result was computed from; a row of another stamp is
    never served.
    """

    __tablename__ = "round_computation"
    __table_args__ = (UniqueConstraint("round_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"))
    #: ``<what>:<setting>=<value>:...``
    key: Mapped[str] = mapped_column(String(120))
    #: :func:`rounds.computations.stamp_of` the rounds and settings it read.
    stamp: Mapped[str] = mapped_column(String(80))
    #: The result (JSON); NULL (SQL NULL, not JSON null) while it is a claim.
    data: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
