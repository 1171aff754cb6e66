"""LTI trust tables: registrations, deployments, tool keys, learners, contexts, resource links.

Revision ID: 0001_lti
Revises:
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

from plugin.db import UTCDateTime

revision = "0001_lti"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "registrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issuer", sa.String(length=255), nullable=False),
        sa.Column("client_id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("product", sa.String(length=20), nullable=False),
        sa.Column("auth_login_url", sa.String(length=1024), nullable=False),
        sa.Column("auth_token_url", sa.String(length=1024), nullable=False),
        sa.Column("auth_audience", sa.String(length=1024), nullable=True),
        sa.Column("key_set_url", sa.String(length=1024), nullable=True),
        sa.Column("key_set", sa.Text(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_registrations"),
        sa.UniqueConstraint("issuer", "client_id", name="uq_registrations_issuer_client_id"),
    )
    op.create_table(
        "deployments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("deployment_id", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'active', 'disabled')", name="ck_deployments_status"
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registrations.id"],
            name="fk_deployments_registration_id_registrations",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_deployments"),
        sa.UniqueConstraint(
            "registration_id", "deployment_id", name="uq_deployments_registration_id_deployment_id"
        ),
    )
    op.create_index(
        "ix_deployments_registration_id", "deployments", ["registration_id"], unique=False
    )
    op.create_table(
        "tool_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("private_key_pem", sa.Text(), nullable=False),
        sa.Column("public_jwk", sa.Text(), nullable=False),
        sa.Column("alg", sa.String(length=10), nullable=False),
        sa.Column("retire_at", UTCDateTime(), nullable=True),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tool_keys"),
        sa.UniqueConstraint("kid", name="uq_tool_keys_kid"),
    )
    op.create_table(
        "learners",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issuer", sa.String(length=255), nullable=False),
        sa.Column("sub", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registrations.id"],
            name="fk_learners_registration_id_registrations",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_learners"),
        sa.UniqueConstraint("issuer", "sub", name="uq_learners_issuer_sub"),
    )
    op.create_index("ix_learners_registration_id", "learners", ["registration_id"], unique=False)
    op.create_table(
        "contexts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("deployment_pk", sa.Integer(), nullable=False),
        sa.Column("context_id", sa.String(length=255), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("label", sa.String(length=255), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["deployment_pk"],
            ["deployments.id"],
            name="fk_contexts_deployment_pk_deployments",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registrations.id"],
            name="fk_contexts_registration_id_registrations",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_contexts"),
        sa.UniqueConstraint(
            "deployment_pk", "context_id", name="uq_contexts_deployment_pk_context_id"
        ),
    )
    op.create_index("ix_contexts_registration_id", "contexts", ["registration_id"], unique=False)
    op.create_table(
        "resource_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deployment_pk", sa.Integer(), nullable=False),
        sa.Column("context_pk", sa.Integer(), nullable=True),
        sa.Column("resource_link_id", sa.String(length=255), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("target_link_uri", sa.String(length=2048), nullable=False),
        sa.Column("custom", sa.Text(), nullable=False),
        sa.Column("ags_lineitem", sa.String(length=2048), nullable=True),
        sa.Column("ags_lineitems", sa.String(length=2048), nullable=True),
        sa.Column("nrps_url", sa.String(length=2048), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["context_pk"],
            ["contexts.id"],
            name="fk_resource_links_context_pk_contexts",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["deployment_pk"],
            ["deployments.id"],
            name="fk_resource_links_deployment_pk_deployments",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_resource_links"),
        sa.UniqueConstraint(
            "deployment_pk",
            "resource_link_id",
            name="uq_resource_links_deployment_pk_resource_link_id",
        ),
    )
    op.create_index("ix_resource_links_context_pk", "resource_links", ["context_pk"], unique=False)


def downgrade():
    op.drop_table("resource_links")
    op.drop_table("contexts")
    op.drop_table("learners")
    op.drop_table("tool_keys")
    op.drop_table("deployments")
    op.drop_table("registrations")
