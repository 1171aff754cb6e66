"""Production: the privacy audit (learner data exports and erasures).

Revision ID: 0006_production
Revises: 0005_registrar
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

import plugin.db

revision = "0006_production"
down_revision = "0005_registrar"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "privacy_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("learner_ref", sa.String(length=64), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("at", plugin.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_events")),
    )
    op.create_index(
        op.f("ix_privacy_events_learner_ref"), "privacy_events", ["learner_ref"], unique=False
    )


def downgrade():
    op.drop_index(op.f("ix_privacy_events_learner_ref"), table_name="privacy_events")
    op.drop_table("privacy_events")
