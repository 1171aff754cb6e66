"""Learning tables: enrollments (the version a learner is pinned to), module visits, attempts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..catalog import models as _catalog_models  # noqa: F401  (course_versions first)
from ..db import Base, UTCDateTime, utcnow
from ..lti import models as _lti_models  # noqa: F401  (learners, contexts, resource_links)

ATTEMPT_STATUSES = ("open", "submitted")


class Enrollment(Base):
    """One learner in one course, pinned to a version; moved forward only within its major."""

    __tablename__ = "enrollments"
    __table_args__ = (UniqueConstraint("learner_id", "course_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"))
    course_id: Mapped[str] = mapped_column(String(100), index=True)
    course_version_id: Mapped[int] = mapped_column(
        ForeignKey("course_versions.id", ondelete="RESTRICT"), index=True
    )
    context_pk: Mapped[int | None] = mapped_column(
        ForeignKey("contexts.id", ondelete="SET NULL"), default=None, index=True
    )
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    def __repr__(self) -> str:
        return f"<Enrollment {self.id} learner={self.learner_id} {self.course_id}>"


class ModuleVisit(Base):
    """When a learner first and last opened a module (progress and "continue where you left
    off")."""

    __tablename__ = "module_visits"
    __table_args__ = (UniqueConstraint("enrollment_id", "module_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id", ondelete="CASCADE"))
    module_id: Mapped[str] = mapped_column(String(100))
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Attempt(Base):
    """One try at one quiz (a quiz id, or a draw id) by one learner; submitted at most once.

    `question_ids` and `display` record what was drawn and in which order it was shown, so the
    attempt is graded and reviewed exactly as the learner saw it.
    """

    __tablename__ = "attempts"
    __table_args__ = (
        UniqueConstraint("learner_id", "course_version_id", "quiz_id", "attempt_no"),
        UniqueConstraint("enrollment_id", "quiz_id", "attempt_no"),
        CheckConstraint("status IN ('open', 'submitted')", name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(
        ForeignKey("enrollments.id", ondelete="CASCADE"), index=True
    )
    learner_id: Mapped[int] = mapped_column(
        ForeignKey("learners.id", ondelete="CASCADE"), index=True
    )
    course_version_id: Mapped[int] = mapped_column(
        ForeignKey("course_versions.id", ondelete="RESTRICT"), index=True
    )
    module_id: Mapped[str] = mapped_column(String(100))
    quiz_id: Mapped[str] = mapped_column(String(100))
    attempt_no: Mapped[int] = mapped_column(Integer)
    seed: Mapped[str] = mapped_column(String(40))
    question_ids: Mapped[list[str]] = mapped_column(JSON)
    display: Mapped[dict[str, Any]] = mapped_column(JSON)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    hints_used: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="open")
    fraction: Mapped[float | None] = mapped_column(Float, default=None)
    points: Mapped[float | None] = mapped_column(Float, default=None)
    max_points: Mapped[float] = mapped_column(Float, default=0.0)
    credit: Mapped[float] = mapped_column(Float, default=1.0)
    results: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    resource_link_pk: Mapped[int | None] = mapped_column(
        ForeignKey("resource_links.id", ondelete="SET NULL"), default=None
    )
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    def __repr__(self) -> str:
        return f"<Attempt {self.id} {self.quiz_id} #{self.attempt_no} {self.status}>"

    @property
    def is_open(self) -> bool:
        return self.status == "open"
