"""Local accounts for the admin area and the registrar area."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, TimestampMixin, UTCDateTime

#: Every role an account may hold; an account holds one or both.
ROLES: tuple[str, ...] = ("admin", "registrar")


class AdminUser(TimestampMixin, Base):
    """A person who signs in with a username and password (not through an LMS)."""

    __tablename__ = "admin_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stored lower-case, so "Alice" and "alice" are the same account.
    username: Mapped[str] = mapped_column(String(80), unique=True)
    #: A werkzeug.security hash (scrypt by default); never the password itself.
    password_hash: Mapped[str] = mapped_column(String(255))
    #: Space-separated role names from ROLES, e.g. "admin registrar".
    roles: Mapped[str] = mapped_column(String(64), default="admin")
    active: Mapped[bool] = mapped_column(default=True)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    @property
    def role_list(self) -> list[str]:
        """The account's roles in ROLES order."""
        held = set(self.roles.split())
        return [role for role in ROLES if role in held]

    def has_role(self, role: str) -> bool:
        """True when the account holds `role`."""
        return role in self.roles.split()

    def __repr__(self) -> str:
        return f"<AdminUser {self.username!r} roles={self.roles!r} active={self.active}>"
