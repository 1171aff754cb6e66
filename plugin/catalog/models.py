"""Catalog tables: immutable published course versions, and API tokens for publishing."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column

from ..admin import models as _admin_models  # noqa: F401  (api_tokens refers to admin_users)
from ..db import Base, UTCDateTime, utcnow


class CourseVersion(Base):
    """One published package: (course_id, version) is unique and never changes once written.

    The whole package lives in the database because app servers are stateless; `package` is
    deferred so that listing versions never loads the archives.
    """

    __tablename__ = "course_versions"
    __table_args__ = (UniqueConstraint("course_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[str] = mapped_column(String(100))
    major: Mapped[int] = mapped_column(Integer)
    minor: Mapped[int] = mapped_column(Integer)
    patch: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(80), index=True)
    title: Mapped[str] = mapped_column(String(500))
    language: Mapped[str] = mapped_column(String(35))
    course_json: Mapped[str] = mapped_column(Text)
    package: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    size: Mapped[int] = mapped_column(Integer, default=0)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_by: Mapped[str] = mapped_column(String(300), default="")

    def __repr__(self) -> str:
        return f"<CourseVersion {self.id} {self.course_id} {self.version}>"

    @property
    def course(self) -> dict[str, Any]:
        """course.json of the package, as a dict."""
        return dict(json.loads(self.course_json))

    @property
    def semver(self) -> tuple[int, int, int]:
        return self.major, self.minor, self.patch

    @property
    def hash_hex(self) -> str:
        """The content hash without its `sha256:` prefix (used in asset URLs)."""
        return self.content_hash.split(":", 1)[-1]


class ApiToken(Base):
    """A bearer token for `POST /api/v1/packages`; only its SHA-256 is stored.

    The owner is an LMS person (issuer + sub, from a launch) or a local admin account.
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    owner_issuer: Mapped[str | None] = mapped_column(String(255), default=None)
    owner_sub: Mapped[str | None] = mapped_column(String(255), default=None)
    owner_name: Mapped[str] = mapped_column(String(255), default="")
    admin_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("admin_users.id", ondelete="CASCADE"), default=None, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    def __repr__(self) -> str:  # never the token
        return f"<ApiToken {self.id} {self.name!r} {self.prefix}…>"

    @property
    def owner_label(self) -> str:
        """Who the token acts for, for people and for `published_by`."""
        if self.owner_name:
            return self.owner_name
        if self.owner_sub:
            return f"{self.owner_sub} at {self.owner_issuer}"
        return f"admin account {self.admin_user_id}" if self.admin_user_id else "server"

    def is_active(self, now: datetime | None = None) -> bool:
        now = now or utcnow()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
