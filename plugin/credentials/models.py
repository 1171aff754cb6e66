"""Credential tables: issuer profiles and keys, achievements, awards (a shared contract), status
lists, and the DIDs learners bind to their wallet.

The `awards` columns are a contract with the registrar (docs/dev/session2-plan.md): add, never
change. Private keys are stored encrypted (see `plugin.credentials.issuer`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..catalog import models as _catalog_models  # noqa: F401  (course_versions first)
from ..db import Base, UTCDateTime, utcnow
from ..lti import models as _lti_models  # noqa: F401  (learners, registrations)

AWARD_KINDS = ("course", "certificate", "clr")


class IssuerProfile(Base):
    """How an institution appears as issuer; `registration_id` None is the default profile.

    Every profile issues under the tool's one did:web (the controller of the signing keys);
    the profile gives the name, URL, e-mail, image (logo) and description a verifier reads.
    """

    __tablename__ = "issuer_profiles"
    __table_args__ = (UniqueConstraint("registration_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE"), default=None
    )
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(1024), default=None)
    email: Mapped[str | None] = mapped_column(String(320), default=None)
    description: Mapped[str | None] = mapped_column(Text, default=None)
    image_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class IssuerKey(Base):
    """An Ed25519 signing key of the issuer DID; the highest generation signs, all verify."""

    __tablename__ = "issuer_keys"
    __table_args__ = (UniqueConstraint("controller", "generation"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    controller: Mapped[str] = mapped_column(String(300))
    generation: Mapped[int] = mapped_column(Integer)
    key_id: Mapped[str] = mapped_column(String(400), unique=True)
    public_key_multibase: Mapped[str] = mapped_column(String(100))
    #: AES-GCM nonce + ciphertext of the 32-byte seed, under a key derived from SECRET_KEY.
    private_key_enc: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class Achievement(Base):
    """What a credential certifies, from a course's `credential` spec or a program certificate.

    `achievement_id` is the course id (or "program:<id>"); `achievement_json` is the OB 3.0
    Achievement as last published. `image_path` is the author's image inside the package.
    """

    __tablename__ = "achievements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    achievement_id: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="course")
    course_id: Mapped[str | None] = mapped_column(String(100), default=None)
    course_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("course_versions.id", ondelete="SET NULL"), default=None
    )
    name: Mapped[str] = mapped_column(String(500))
    image_path: Mapped[str | None] = mapped_column(String(500), default=None)
    expires_after_days: Mapped[int | None] = mapped_column(Integer, default=None)
    achievement_json: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class StatusList(Base):
    """A Bitstring Status List (131,072 entries); `bits` is the raw bitstring."""

    __tablename__ = "status_lists"
    __table_args__ = (UniqueConstraint("purpose", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    purpose: Mapped[str] = mapped_column(String(20), default="revocation")
    number: Mapped[int] = mapped_column(Integer)
    bits: Mapped[bytes] = mapped_column(LargeBinary)
    full: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The signed BitstringStatusListCredential, re-signed whenever a bit changes.
    credential_json: Mapped[str | None] = mapped_column(Text, default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Award(Base):
    """One signed credential for one learner and one achievement, at most once; revocable.

    Contract columns (registrar): id, learner_id, achievement_id, course_id, course_version_id,
    score, credits, issued_at, valid_from, valid_until, revoked_at, revoked_reason,
    status_index, credential_json, kind. Added here: public_id, status_list_id, revoked_by.
    """

    __tablename__ = "awards"
    __table_args__ = (
        UniqueConstraint("learner_id", "achievement_id"),
        UniqueConstraint("status_list_id", "status_index"),
        CheckConstraint("kind IN ('course', 'certificate', 'clr')", name="kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    learner_id: Mapped[int] = mapped_column(
        ForeignKey("learners.id", ondelete="CASCADE"), index=True
    )
    achievement_id: Mapped[str] = mapped_column(String(200), index=True)
    course_id: Mapped[str | None] = mapped_column(String(100), default=None)
    course_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("course_versions.id", ondelete="SET NULL"), default=None
    )
    score: Mapped[float | None] = mapped_column(Float, default=None)
    credits: Mapped[float | None] = mapped_column(Float, default=None)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    revoked_reason: Mapped[str | None] = mapped_column(Text, default=None)
    status_index: Mapped[int] = mapped_column(Integer)
    credential_json: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20), default="course")
    public_id: Mapped[str] = mapped_column(String(36), unique=True)
    status_list_id: Mapped[int] = mapped_column(ForeignKey("status_lists.id", ondelete="RESTRICT"))
    revoked_by: Mapped[str | None] = mapped_column(String(300), default=None)

    def __repr__(self) -> str:
        return f"<Award {self.id} learner={self.learner_id} {self.achievement_id}>"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class LearnerDid(Base):
    """A DID a learner bound to their wallet; new credentials name it as the subject id."""

    __tablename__ = "learner_dids"

    learner_id: Mapped[int] = mapped_column(
        ForeignKey("learners.id", ondelete="CASCADE"), primary_key=True
    )
    did: Mapped[str] = mapped_column(String(300))
    bound_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
