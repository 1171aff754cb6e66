"""The privacy audit: every learner data export and erasure, who asked and when.

Rows name the learner only by a salted hash (the same person gets the same reference, yet the
row reveals nothing once the learner is erased).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, utcnow


class PrivacyEvent(Base):
    """One export or erasure of a learner's data."""

    __tablename__ = "privacy_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    action: Mapped[str] = mapped_column(String(20))  # export | erase | retention
    learner_ref: Mapped[str] = mapped_column(String(64), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    detail: Mapped[str] = mapped_column(Text, default="{}")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
