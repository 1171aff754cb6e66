"""Admin accounts for the admin and registrar areas.

Revision ID: 0002_admin
Revises: 0001_lti
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

from plugin.db import UTCDateTime

revision = "0002_admin"
down_revision = "0001_lti"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "admin_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("roles", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("last_sign_in_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_admin_users"),
        sa.UniqueConstraint("username", name="uq_admin_users_username"),
    )


def downgrade():
    # Migrations run forward only (docs/operations.md); this exists for local experiments.
    op.drop_table("admin_users")
