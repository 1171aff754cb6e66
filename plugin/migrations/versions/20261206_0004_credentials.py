"""Credentials: issuer profiles and keys, achievements, status lists, awards, learner DIDs.

Revision ID: 0004_credentials
Revises: 0003_delivery
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

import plugin.db

revision = "0004_credentials"
down_revision = "0003_delivery"
branch_labels = None
depends_on = None


def _when(name, nullable=False):
    return sa.Column(name, plugin.db.UTCDateTime(timezone=True), nullable=nullable)


def upgrade():
    op.create_table(
        "issuer_profiles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("url", sa.String(length=1024), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("image_url", sa.String(length=2048), nullable=True),
        _when("updated_at"),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registrations.id"],
            name=op.f("fk_issuer_profiles_registration_id_registrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issuer_profiles")),
        sa.UniqueConstraint("registration_id", name=op.f("uq_issuer_profiles_registration_id")),
    )
    op.create_table(
        "issuer_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("controller", sa.String(length=300), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.String(length=400), nullable=False),
        sa.Column("public_key_multibase", sa.String(length=100), nullable=False),
        sa.Column("private_key_enc", sa.LargeBinary(), nullable=False),
        _when("created_at"),
        _when("retired_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issuer_keys")),
        sa.UniqueConstraint(
            "controller", "generation", name=op.f("uq_issuer_keys_controller_generation")
        ),
        sa.UniqueConstraint("key_id", name=op.f("uq_issuer_keys_key_id")),
    )
    op.create_table(
        "achievements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("achievement_id", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("course_id", sa.String(length=100), nullable=True),
        sa.Column("course_version_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("image_path", sa.String(length=500), nullable=True),
        sa.Column("expires_after_days", sa.Integer(), nullable=True),
        sa.Column("achievement_json", sa.Text(), nullable=False),
        _when("updated_at"),
        sa.ForeignKeyConstraint(
            ["course_version_id"],
            ["course_versions.id"],
            name=op.f("fk_achievements_course_version_id_course_versions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_achievements")),
        sa.UniqueConstraint("achievement_id", name=op.f("uq_achievements_achievement_id")),
    )
    op.create_table(
        "status_lists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("bits", sa.LargeBinary(), nullable=False),
        sa.Column("full", sa.Boolean(), nullable=False),
        sa.Column("credential_json", sa.Text(), nullable=True),
        _when("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_lists")),
        sa.UniqueConstraint("purpose", "number", name=op.f("uq_status_lists_purpose_number")),
    )
    op.create_table(
        "awards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("achievement_id", sa.String(length=200), nullable=False),
        sa.Column("course_id", sa.String(length=100), nullable=True),
        sa.Column("course_version_id", sa.Integer(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("credits", sa.Float(), nullable=True),
        _when("issued_at"),
        _when("valid_from"),
        _when("valid_until", nullable=True),
        _when("revoked_at", nullable=True),
        sa.Column("revoked_reason", sa.Text(), nullable=True),
        sa.Column("status_index", sa.Integer(), nullable=False),
        sa.Column("credential_json", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("public_id", sa.String(length=36), nullable=False),
        sa.Column("status_list_id", sa.Integer(), nullable=False),
        sa.Column("revoked_by", sa.String(length=300), nullable=True),
        sa.CheckConstraint("kind IN ('course', 'certificate', 'clr')", name=op.f("ck_awards_kind")),
        sa.ForeignKeyConstraint(
            ["course_version_id"],
            ["course_versions.id"],
            name=op.f("fk_awards_course_version_id_course_versions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["learner_id"],
            ["learners.id"],
            name=op.f("fk_awards_learner_id_learners"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["status_list_id"],
            ["status_lists.id"],
            name=op.f("fk_awards_status_list_id_status_lists"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_awards")),
        sa.UniqueConstraint(
            "learner_id", "achievement_id", name=op.f("uq_awards_learner_id_achievement_id")
        ),
        sa.UniqueConstraint(
            "status_list_id", "status_index", name=op.f("uq_awards_status_list_id_status_index")
        ),
        sa.UniqueConstraint("public_id", name=op.f("uq_awards_public_id")),
    )
    op.create_index(op.f("ix_awards_learner_id"), "awards", ["learner_id"], unique=False)
    op.create_index(op.f("ix_awards_achievement_id"), "awards", ["achievement_id"], unique=False)
    op.create_table(
        "learner_dids",
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("did", sa.String(length=300), nullable=False),
        _when("bound_at"),
        sa.ForeignKeyConstraint(
            ["learner_id"],
            ["learners.id"],
            name=op.f("fk_learner_dids_learner_id_learners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("learner_id", name=op.f("pk_learner_dids")),
    )


def downgrade():
    op.drop_table("learner_dids")
    op.drop_index(op.f("ix_awards_achievement_id"), table_name="awards")
    op.drop_index(op.f("ix_awards_learner_id"), table_name="awards")
    op.drop_table("awards")
    op.drop_table("status_lists")
    op.drop_table("achievements")
    op.drop_table("issuer_keys")
    op.drop_table("issuer_profiles")
