"""LTI trust data: platform registrations, deployments, tool keys, learners, contexts, links."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, TimestampMixin, UTCDateTime

PRODUCTS = ("canvas", "moodle", "blackboard", "brightspace", "sakai", "generic")
DEPLOYMENT_STATUSES = ("pending", "active", "disabled")


class Registration(TimestampMixin, Base):
    """One LMS registration of the tool, keyed by issuer + client_id (Canvas shares one issuer)."""

    __tablename__ = "registrations"
    __table_args__ = (UniqueConstraint("issuer", "client_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issuer: Mapped[str] = mapped_column(String(255))
    client_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(200), default="")
    product: Mapped[str] = mapped_column(String(20), default="generic")
    auth_login_url: Mapped[str] = mapped_column(String(1024))
    auth_token_url: Mapped[str] = mapped_column(String(1024))
    auth_audience: Mapped[str | None] = mapped_column(String(1024), default=None)
    key_set_url: Mapped[str | None] = mapped_column(String(1024), default=None)
    key_set: Mapped[str | None] = mapped_column(Text, default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    deployments: Mapped[list[Deployment]] = relationship(
        back_populates="registration", cascade="all, delete-orphan", order_by="Deployment.id"
    )

    def __repr__(self) -> str:
        return f"<Registration {self.id} {self.issuer} {self.client_id}>"

    @property
    def label(self) -> str:
        """A name for people: the given name, else issuer and client_id."""
        return self.name or f"{self.issuer} ({self.client_id})"


class Deployment(TimestampMixin, Base):
    """A deployment of a registration (an account, course or institution install)."""

    __tablename__ = "deployments"
    __table_args__ = (
        UniqueConstraint("registration_id", "deployment_id"),
        CheckConstraint("status IN ('pending', 'active', 'disabled')", name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE"), index=True
    )
    deployment_id: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    registration: Mapped[Registration] = relationship(back_populates="deployments")

    def __repr__(self) -> str:
        return f"<Deployment {self.id} {self.deployment_id} {self.status}>"


class ToolKey(TimestampMixin, Base):
    """One of the tool's RSA signing keys; the private PEM stays in the database only."""

    __tablename__ = "tool_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    private_key_pem: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[str] = mapped_column(Text)
    alg: Mapped[str] = mapped_column(String(10), default="RS256")
    retire_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    current: Mapped[bool] = mapped_column(Boolean, default=False)

    def __repr__(self) -> str:  # never the private key
        return f"<ToolKey {self.kid} current={self.current}>"

    @property
    def jwk(self) -> dict[str, Any]:
        """The public JWK (kty, n, e, kid, alg, use)."""
        return dict(json.loads(self.public_jwk))


class Learner(TimestampMixin, Base):
    """One person as one LMS knows them: identity is (issuer, sub)."""

    __tablename__ = "learners"
    __table_args__ = (UniqueConstraint("issuer", "sub"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issuer: Mapped[str] = mapped_column(String(255))
    sub: Mapped[str] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(255), default=None)
    email: Mapped[str | None] = mapped_column(String(320), default=None)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE"), index=True
    )

    def __repr__(self) -> str:
        return f"<Learner {self.id}>"


class Context(TimestampMixin, Base):
    """An LMS course (context); its id is unique within a deployment."""

    __tablename__ = "contexts"
    __table_args__ = (UniqueConstraint("deployment_pk", "context_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE"), index=True
    )
    deployment_pk: Mapped[int] = mapped_column(ForeignKey("deployments.id", ondelete="CASCADE"))
    context_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(500), default="")
    label: Mapped[str] = mapped_column(String(255), default="")

    def __repr__(self) -> str:
        return f"<Context {self.id} {self.context_id}>"


class ResourceLink(TimestampMixin, Base):
    """A placed activity; its id is unique within a deployment, the context may be absent."""

    __tablename__ = "resource_links"
    __table_args__ = (UniqueConstraint("deployment_pk", "resource_link_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deployment_pk: Mapped[int] = mapped_column(ForeignKey("deployments.id", ondelete="CASCADE"))
    context_pk: Mapped[int | None] = mapped_column(
        ForeignKey("contexts.id", ondelete="CASCADE"), index=True, default=None
    )
    resource_link_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(500), default="")
    target_link_uri: Mapped[str] = mapped_column(String(2048), default="")
    custom: Mapped[str] = mapped_column(Text, default="{}")
    ags_lineitem: Mapped[str | None] = mapped_column(String(2048), default=None)
    ags_lineitems: Mapped[str | None] = mapped_column(String(2048), default=None)
    nrps_url: Mapped[str | None] = mapped_column(String(2048), default=None)

    def __repr__(self) -> str:
        return f"<ResourceLink {self.id} {self.resource_link_id}>"

    @property
    def custom_params(self) -> dict[str, Any]:
        return dict(json.loads(self.custom or "{}"))
