"""Migration 0005 builds exactly the registrar tables the models describe, on both backends,
and steps down and up again cleanly."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

OURS = {
    "pathways",
    "pathway_members",
    "credit_cases",
    "credit_case_awards",
    "credit_decisions",
    "export_batches",
    "sis_templates",
    "registrar_roles",
}


def _touches_ours(diff: Any) -> bool:
    items = diff if isinstance(diff, list) else [diff]
    for item in items:
        for part in item[1:]:
            table = getattr(part, "table", None)
            name = getattr(part, "name", None)
            if (table is not None and table.name in OURS) or name in OURS:
                return True
            if name == "ix_awards_eligibility":
                return True
    return False


def test_models_match_the_migrated_schema(app: Any) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from plugin.extensions import db

    with app.app_context(), db.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert [d for d in diffs if _touches_ours(d)] == []


# The PostgreSQL database is shared by the whole session; each SQLite test has its own copy.
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_downgrade_and_upgrade_again(app: Any) -> None:
    from flask_migrate import downgrade, upgrade

    from plugin.extensions import db

    with app.app_context():
        downgrade(revision="0004_credentials")
        assert not OURS & set(sa.inspect(db.engine).get_table_names())
        upgrade()
        assert set(sa.inspect(db.engine).get_table_names()) >= OURS
