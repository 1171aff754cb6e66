"""Portable SQL helpers for the credential tables (insert-or-ignore on SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db


def insert_ignore(table: Any) -> Any:
    """``INSERT ... ON CONFLICT DO NOTHING`` for the session's database."""
    dialect = db.session.get_bind().dialect.name
    maker = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return maker(table).on_conflict_do_nothing()


def is_postgresql() -> bool:
    """True when the session talks to PostgreSQL."""
    return db.session.get_bind().dialect.name == "postgresql"
