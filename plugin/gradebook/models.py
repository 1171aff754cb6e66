"""The score outbox (scores waiting for the LMS) and the latest score per learner and placement.

An `OutboxScore` row is written in the same transaction as the graded attempt and deleted only
after the LMS acknowledged it (2xx). `LatestScore` remembers what the tool last reported for a
learner and a placement, and keeps AGS timestamps strictly increasing after a row is gone.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, TimestampMixin, UTCDateTime, utcnow

STATUSES = ("pending", "failed")
ACTIVITY_PROGRESS = ("Initialized", "Started", "InProgress", "Submitted", "Completed")
GRADING_PROGRESS = ("FullyGraded", "Pending", "PendingManual", "Failed", "NotReady")


class OutboxScore(TimestampMixin, Base):
    """One score on its way to the LMS: at most one per learner and placement (newest wins)."""

    __tablename__ = "outbox_scores"
    __table_args__ = (
        UniqueConstraint("learner_id", "resource_link_pk"),
        CheckConstraint("status IN ('pending', 'failed')", name="status"),
        Index("ix_outbox_scores_due", "status", "next_try_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE"), index=True
    )
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"))
    resource_link_pk: Mapped[int] = mapped_column(
        ForeignKey("resource_links.id", ondelete="CASCADE"), index=True
    )
    user_sub: Mapped[str] = mapped_column(String(255))
    resource_link_id: Mapped[str] = mapped_column(String(255))
    lineitem_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    lineitems_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    resource_id: Mapped[str | None] = mapped_column(String(255), default=None)
    tag: Mapped[str | None] = mapped_column(String(255), default=None)
    label: Mapped[str] = mapped_column(String(500), default="")
    score_given: Mapped[float] = mapped_column(Float)
    score_maximum: Mapped[float] = mapped_column(Float)
    activity_progress: Mapped[str] = mapped_column(String(20))
    grading_progress: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text, default="")
    #: AGS timestamp in milliseconds since the epoch; strictly increasing per learner and link.
    timestamp_ms: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    tries: Mapped[int] = mapped_column(Integer, default=0)
    next_try_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_try_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_status: Mapped[int | None] = mapped_column(Integer, default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    claimed_by: Mapped[str | None] = mapped_column(String(64), default=None)

    def __repr__(self) -> str:
        return f"<OutboxScore {self.id} {self.status} tries={self.tries}>"


class LatestScore(Base):
    """The last score the tool reported for one learner on one placement, and when it landed."""

    __tablename__ = "latest_scores"

    learner_id: Mapped[int] = mapped_column(
        ForeignKey("learners.id", ondelete="CASCADE"), primary_key=True
    )
    resource_link_pk: Mapped[int] = mapped_column(
        ForeignKey("resource_links.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    timestamp_ms: Mapped[int] = mapped_column(BigInteger)
    score_given: Mapped[float] = mapped_column(Float)
    score_maximum: Mapped[float] = mapped_column(Float)
    activity_progress: Mapped[str] = mapped_column(String(20))
    grading_progress: Mapped[str] = mapped_column(String(20))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    def __repr__(self) -> str:
        return f"<LatestScore {self.learner_id}/{self.resource_link_pk}>"
