"""Registrar: pathways, decisions, export batches.

Revision ID: 0005_registrar
Revises: 0004_credentials
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

import plugin.db

revision = "0005_registrar"
down_revision = "0004_credentials"
branch_labels = None
depends_on = None

# The decision log is append-only in the database itself (kept in step with
# plugin.registrar.models.IMMUTABLE_LOG_SQL).
IMMUTABLE_LOG_SQL = {
    "sqlite": [
        "CREATE TRIGGER credit_decisions_no_update BEFORE UPDATE ON credit_decisions "
        "BEGIN SELECT RAISE(ABORT, 'the decision log is append-only'); END",
        "CREATE TRIGGER credit_decisions_no_delete BEFORE DELETE ON credit_decisions "
        "BEGIN SELECT RAISE(ABORT, 'the decision log is append-only'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION credit_decisions_append_only() RETURNS trigger AS $$ "
        "BEGIN RAISE EXCEPTION 'the decision log is append-only'; END; $$ LANGUAGE plpgsql",
        "CREATE TRIGGER credit_decisions_no_update BEFORE UPDATE OR DELETE ON credit_decisions "
        "FOR EACH ROW EXECUTE FUNCTION credit_decisions_append_only()",
    ],
}
DROP_LOG_SQL = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS credit_decisions_no_update",
        "DROP TRIGGER IF EXISTS credit_decisions_no_delete",
    ],
    "postgresql": [
        "DROP TRIGGER IF EXISTS credit_decisions_no_update ON credit_decisions",
        "DROP FUNCTION IF EXISTS credit_decisions_append_only()",
    ],
}


def _awards_exists() -> bool:
    return "awards" in sa.inspect(op.get_bind()).get_table_names()


def upgrade():
    dt = plugin.db.UTCDateTime(timezone=True)
    op.create_table(
        "pathways",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("version", sa.String(length=50), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("rule", sa.String(length=10), nullable=False),
        sa.Column("n_required", sa.Integer(), nullable=True),
        sa.Column("recency_days", sa.Integer(), nullable=True),
        sa.Column("expires_after_days", sa.Integer(), nullable=True),
        sa.Column("credit_cap", sa.Float(), nullable=True),
        sa.Column("certificate_json", sa.Text(), nullable=False),
        sa.Column("credit_hours", sa.Float(), nullable=False),
        sa.Column("credit_level", sa.String(length=40), nullable=False),
        sa.Column("institution_course", sa.String(length=100), nullable=False),
        sa.Column("grade_mode", sa.String(length=30), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("second_approver", sa.Boolean(), nullable=False),
        sa.Column("updated_at", dt, nullable=False),
        sa.Column("created_at", dt, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pathways")),
        sa.UniqueConstraint("slug", name=op.f("uq_pathways_slug")),
    )
    op.create_table(
        "pathway_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pathway_id", sa.Integer(), nullable=False),
        sa.Column("achievement_id", sa.String(length=200), nullable=False),
        sa.Column("min_result", sa.Float(), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pathway_id"],
            ["pathways.id"],
            name=op.f("fk_pathway_members_pathway_id_pathways"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pathway_members")),
        sa.UniqueConstraint(
            "pathway_id",
            "achievement_id",
            name=op.f("uq_pathway_members_pathway_id_achievement_id"),
        ),
    )
    op.create_table(
        "export_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("template", sa.String(length=100), nullable=False),
        sa.Column("created_by", sa.String(length=300), nullable=False),
        sa.Column("created_at", dt, nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("csv_text", sa.Text(), nullable=False),
        sa.Column("posted_at", dt, nullable=True),
        sa.Column("posted_by", sa.String(length=300), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_export_batches")),
    )
    op.create_table(
        "credit_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pathway_id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("eligible_at", dt, nullable=False),
        sa.Column("certificate_award_id", sa.Integer(), nullable=True),
        sa.Column("clr_json", sa.Text(), nullable=True),
        sa.Column("first_approver", sa.String(length=300), nullable=True),
        sa.Column("decided_at", dt, nullable=True),
        sa.Column("export_batch_id", sa.Integer(), nullable=True),
        sa.Column("posted_at", dt, nullable=True),
        sa.Column("alert", sa.Text(), nullable=True),
        sa.Column("created_at", dt, nullable=False),
        sa.ForeignKeyConstraint(
            ["export_batch_id"],
            ["export_batches.id"],
            name=op.f("fk_credit_cases_export_batch_id_export_batches"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["learner_id"],
            ["learners.id"],
            name=op.f("fk_credit_cases_learner_id_learners"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pathway_id"],
            ["pathways.id"],
            name=op.f("fk_credit_cases_pathway_id_pathways"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_cases")),
        sa.UniqueConstraint(
            "pathway_id", "learner_id", name=op.f("uq_credit_cases_pathway_id_learner_id")
        ),
    )
    with op.batch_alter_table("credit_cases", schema=None) as batch_op:
        # The queue pages in (eligible_at, id) order, filtered by pathway and/or status.
        batch_op.create_index(
            "ix_credit_cases_queue", ["pathway_id", "status", "eligible_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_credit_cases_status_eligible", ["status", "eligible_at", "id"], unique=False
        )
        batch_op.create_index("ix_credit_cases_eligible", ["eligible_at", "id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_credit_cases_learner_id"), ["learner_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_credit_cases_export_batch_id"), ["export_batch_id"], unique=False
        )
    op.create_table(
        "credit_case_awards",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("award_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["award_id"],
            ["awards.id"],
            name=op.f("fk_credit_case_awards_award_id_awards"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["credit_cases.id"],
            name=op.f("fk_credit_case_awards_case_id_credit_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("case_id", "award_id", name=op.f("pk_credit_case_awards")),
    )
    with op.batch_alter_table("credit_case_awards", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_credit_case_awards_award_id"), ["award_id"], unique=False
        )
    op.create_table(
        "credit_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("reason_code", sa.String(length=40), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("status_before", sa.String(length=20), nullable=False),
        sa.Column("status_after", sa.String(length=20), nullable=False),
        sa.Column("decided_by", sa.String(length=300), nullable=False),
        sa.Column("decided_at", dt, nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["credit_cases.id"],
            name=op.f("fk_credit_decisions_case_id_credit_cases"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_decisions")),
    )
    with op.batch_alter_table("credit_decisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_credit_decisions_case_id"), ["case_id"], unique=False)
    op.create_table(
        "sis_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("preset", sa.String(length=40), nullable=False),
        sa.Column("columns_json", sa.Text(), nullable=False),
        sa.Column("created_at", dt, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sis_templates")),
        sa.UniqueConstraint("name", name=op.f("uq_sis_templates_name")),
    )
    op.create_table(
        "registrar_roles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=255), nullable=False),
        sa.Column("created_by", sa.String(length=300), nullable=False),
        sa.Column("created_at", dt, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registrar_roles")),
        sa.UniqueConstraint("role", name=op.f("uq_registrar_roles_role")),
    )
    dialect = op.get_bind().dialect.name
    for statement in IMMUTABLE_LOG_SQL.get(dialect, []):
        op.execute(statement)
    if _awards_exists():
        # Eligibility reads each member's awards by (achievement_id, score) and needs nothing
        # else from the row: a partial covering index makes that an index-only scan.
        op.create_index(
            "ix_awards_eligibility",
            "awards",
            ["achievement_id", "score", "learner_id"],
            unique=False,
            postgresql_include=["issued_at", "valid_until"],
            postgresql_where=sa.text("revoked_at IS NULL AND kind = 'course'"),
            sqlite_where=sa.text("revoked_at IS NULL AND kind = 'course'"),
        )


def downgrade():
    if _awards_exists():
        op.drop_index("ix_awards_eligibility", table_name="awards")
    for statement in DROP_LOG_SQL.get(op.get_bind().dialect.name, []):
        op.execute(statement)
    op.drop_table("registrar_roles")
    op.drop_table("sis_templates")
    op.drop_table("credit_decisions")
    op.drop_table("credit_case_awards")
    op.drop_table("credit_cases")
    op.drop_table("export_batches")
    op.drop_table("pathway_members")
    op.drop_table("pathways")
