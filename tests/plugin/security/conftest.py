"""Fixtures for the security suite: admin accounts, and a fingerprint of every table so a test
can show that a refused request changed nothing."""

from __future__ import annotations

import hashlib
from typing import Any

from tests.plugin.admin.conftest import (  # noqa: F401  (fixtures)
    admin_account,
    admin_client,
    make_account,
    password_hash,
)
from tests.plugin.ops.conftest import make_app  # noqa: F401  (fixture)


def db_fingerprint(app: Any) -> dict[str, str]:
    """table -> hash of all its rows (in primary key order)."""
    import sqlalchemy as sa

    from plugin.extensions import db

    result = {}
    with app.app_context():
        meta = sa.MetaData()
        meta.reflect(bind=db.engine)
        with db.engine.connect() as conn:
            for table in meta.sorted_tables:
                if table.name == "alembic_version":
                    continue
                order = list(table.primary_key.columns) or list(table.c)
                rows = conn.execute(sa.select(table).order_by(*order)).all()
                result[table.name] = hashlib.sha256(repr(rows).encode()).hexdigest()
        db.engine.dispose()
    return result
