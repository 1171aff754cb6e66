"""Registrar: the history of every pathway (who changed its rules or credit, from what to what).

Revision ID: 0007_pathway_history
Revises: 0006_production
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

import plugin.db

revision = "0007_pathway_history"
down_revision = "0006_production"
branch_labels = None
depends_on = None

# The history is append-only in the database itself, like the decision log (0005).
APPEND_ONLY_SQL = {
    "sqlite": [
        "CREATE TRIGGER pathway_changes_no_update BEFORE UPDATE ON pathway_changes "
        "BEGIN SELECT RAISE(ABORT, 'the pathway history is append-only'); END",
        "CREATE TRIGGER pathway_changes_no_delete BEFORE DELETE ON pathway_changes "
        "BEGIN SELECT RAISE(ABORT, 'the pathway history is append-only'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION pathway_changes_append_only() RETURNS trigger AS $$ "
        "BEGIN RAISE EXCEPTION 'the pathway history is append-only'; END; $$ LANGUAGE plpgsql",
        "CREATE TRIGGER pathway_changes_no_update BEFORE UPDATE OR DELETE ON pathway_changes "
        "FOR EACH ROW EXECUTE FUNCTION pathway_changes_append_only()",
    ],
}
DROP_SQL = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS pathway_changes_no_update",
        "DROP TRIGGER IF EXISTS pathway_changes_no_delete",
    ],
    "postgresql": [
        "DROP TRIGGER IF EXISTS pathway_changes_no_update ON pathway_changes",
        "DROP FUNCTION IF EXISTS pathway_changes_append_only()",
    ],
}


def upgrade():
    op.create_table(
        "pathway_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pathway_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("changed_by", sa.String(length=300), nullable=False),
        sa.Column("changed_at", plugin.db.UTCDateTime(), nullable=False),
        sa.Column("changes", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pathway_id"],
            ["pathways.id"],
            name=op.f("fk_pathway_changes_pathway_id_pathways"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pathway_changes")),
    )
    op.create_index(
        op.f("ix_pathway_changes_pathway_id"), "pathway_changes", ["pathway_id"], unique=False
    )
    for statement in APPEND_ONLY_SQL.get(op.get_bind().dialect.name, []):
        op.execute(statement)


def downgrade():
    for statement in DROP_SQL.get(op.get_bind().dialect.name, []):
        op.execute(statement)
    op.drop_index(op.f("ix_pathway_changes_pathway_id"), table_name="pathway_changes")
    op.drop_table("pathway_changes")
