"""Registrar tables: pathways and their members, credit cases (the review queue), the immutable
decision log, export batches, SIS templates and the LTI roles an admin maps to registrar."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..credentials.models import Award
from ..db import Base, TimestampMixin, UTCDateTime, utcnow

#: Case statuses, in the order a case usually moves through them.
CASE_STATUSES: tuple[str, ...] = ("pending", "needs-info", "awaiting-second", "approved", "denied")


class Pathway(TimestampMixin, Base):
    """A stacking rule: member achievements -> a certificate and degree credit."""

    __tablename__ = "pathways"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The program id of the program file, e.g. "data-literacy-foundations".
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    version: Mapped[str] = mapped_column(String(50), default="1.0.0")
    description: Mapped[str] = mapped_column(Text, default="")
    #: "all" or "n-of" (then n_required members are enough).
    rule: Mapped[str] = mapped_column(String(10), default="all")
    n_required: Mapped[int | None] = mapped_column(Integer, default=None)
    recency_days: Mapped[int | None] = mapped_column(Integer, default=None)
    expires_after_days: Mapped[int | None] = mapped_column(Integer, default=None)
    credit_cap: Mapped[float | None] = mapped_column(Float, default=None)
    #: The certificate achievement (name, description, criteria, achievement_type, ...) as JSON.
    certificate_json: Mapped[str] = mapped_column(Text, default="{}")
    credit_hours: Mapped[float] = mapped_column(Float, default=0.0)
    credit_level: Mapped[str] = mapped_column(String(40), default="undergraduate-lower")
    institution_course: Mapped[str] = mapped_column(String(100), default="")
    grade_mode: Mapped[str] = mapped_column(String(30), default="pass-fail")
    subject: Mapped[str] = mapped_column(String(200), default="")
    #: When true, an approval needs a second registrar before the credit can be exported.
    second_approver: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    members: Mapped[list[PathwayMember]] = relationship(
        back_populates="pathway",
        cascade="all, delete-orphan",
        order_by="PathwayMember.position",
    )

    @property
    def needed(self) -> int:
        """How many members a learner must hold (every required one, and N in all)."""
        if self.rule == "n-of" and self.n_required:
            return self.n_required
        return len(self.members)


class PathwayMember(Base):
    """One member achievement of a pathway, with its minimum result."""

    __tablename__ = "pathway_members"
    __table_args__ = (UniqueConstraint("pathway_id", "achievement_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pathway_id: Mapped[int] = mapped_column(ForeignKey("pathways.id", ondelete="CASCADE"))
    achievement_id: Mapped[str] = mapped_column(String(200))
    min_result: Mapped[float] = mapped_column(Float, default=0.0)
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    pathway: Mapped[Pathway] = relationship(back_populates="members")


class CreditCase(TimestampMixin, Base):
    """One learner who met one pathway: the item a registrar reviews and decides."""

    __tablename__ = "credit_cases"
    __table_args__ = (
        UniqueConstraint("pathway_id", "learner_id"),
        Index("ix_credit_cases_queue", "pathway_id", "status", "eligible_at", "id"),
        Index("ix_credit_cases_status_eligible", "status", "eligible_at", "id"),
        Index("ix_credit_cases_eligible", "eligible_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pathway_id: Mapped[int] = mapped_column(ForeignKey("pathways.id", ondelete="CASCADE"))
    learner_id: Mapped[int] = mapped_column(
        ForeignKey("learners.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(20), default="pending")
    eligible_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    certificate_award_id: Mapped[int | None] = mapped_column(Integer, default=None)
    #: The signed CLR 2.0 JSON issued with the certificate (kept so downloads are identical).
    clr_json: Mapped[str | None] = mapped_column(Text, default=None)
    first_approver: Mapped[str | None] = mapped_column(String(300), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    export_batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("export_batches.id", ondelete="RESTRICT"), default=None, index=True
    )
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    #: Set when a member credential is revoked after the credit was approved or posted.
    alert: Mapped[str | None] = mapped_column(Text, default=None)

    pathway: Mapped[Pathway] = relationship()
    members: Mapped[list[CreditCaseAward]] = relationship(
        cascade="all, delete-orphan", order_by="CreditCaseAward.award_id"
    )

    @property
    def member_ids(self) -> list[int]:
        """The ids of the member awards that made the learner eligible."""
        return [m.award_id for m in self.members]


class CreditCaseAward(Base):
    """One member award behind a credit case (read set-wise for revocation alerts)."""

    __tablename__ = "credit_case_awards"

    case_id: Mapped[int] = mapped_column(
        ForeignKey("credit_cases.id", ondelete="CASCADE"), primary_key=True
    )
    award_id: Mapped[int] = mapped_column(
        ForeignKey("awards.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class CreditDecision(Base):
    """One entry of the decision log. Rows are only ever inserted (triggers refuse the rest)."""

    __tablename__ = "credit_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("credit_cases.id", ondelete="RESTRICT"), index=True
    )
    #: "approve", "deny", "more-info", "second-approve" or "alert".
    action: Mapped[str] = mapped_column(String(20))
    reason_code: Mapped[str] = mapped_column(String(40), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    status_before: Mapped[str] = mapped_column(String(20))
    status_after: Mapped[str] = mapped_column(String(20))
    decided_by: Mapped[str] = mapped_column(String(300))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ExportBatch(Base):
    """A CSV for the SIS: its rows are frozen at creation; posting it marks its cases posted."""

    __tablename__ = "export_batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    template: Mapped[str] = mapped_column(String(100))
    created_by: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    csv_text: Mapped[str] = mapped_column(Text, default="")
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    posted_by: Mapped[str | None] = mapped_column(String(300), default=None)


class SisTemplate(TimestampMixin, Base):
    """A CSV layout: ordered (header, field) pairs, from a preset or edited by a registrar."""

    __tablename__ = "sis_templates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    preset: Mapped[str] = mapped_column(String(40), default="custom")
    #: JSON list of [header, field] pairs.
    columns_json: Mapped[str] = mapped_column(Text)


class RegistrarRole(TimestampMixin, Base):
    """An LTI role (full URI) whose holders may use the registrar area."""

    __tablename__ = "registrar_roles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    role: Mapped[str] = mapped_column(String(255), unique=True)
    created_by: Mapped[str] = mapped_column(String(300))


#: Eligibility reads each member's awards by (achievement_id, score) and nothing else from the
#: row: a partial covering index on the credentials' table makes that an index-only scan.
Index(
    "ix_awards_eligibility",
    Award.__table__.c.achievement_id,
    Award.__table__.c.score,
    Award.__table__.c.learner_id,
    postgresql_include=["issued_at", "valid_until"],
    postgresql_where=text("revoked_at IS NULL AND kind = 'course'"),
    sqlite_where=text("revoked_at IS NULL AND kind = 'course'"),
)


class PathwayChange(Base):
    """One entry of a pathway's history: who changed its rules or credit, when, from what to
    what. Rows are only ever inserted (triggers refuse the rest), like the decision log."""

    __tablename__ = "pathway_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pathway_id: Mapped[int] = mapped_column(
        ForeignKey("pathways.id", ondelete="RESTRICT"), index=True
    )
    #: "edit" (the pathway page), "import" (a program file, page or CLI).
    source: Mapped[str] = mapped_column(String(20))
    changed_by: Mapped[str] = mapped_column(String(300))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: JSON list of [what, before, after], each a short text.
    changes: Mapped[str] = mapped_column(Text)
