"""pending sign-ups (email verification mode)

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 19:45:00.000000+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op
from fiscus.persistence.migration_roles import app_role

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pending_sign_ups",
        sa.Column("token_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column("organization_name", sa.String(length=120), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_pending_sign_ups")),
    )
    op.create_index(
        "ix_pending_sign_ups_email_lower",
        "pending_sign_ups",
        [sa.literal_column("lower(email)")],
        unique=False,
    )
    op.create_index(
        "ix_pending_sign_ups_expires_at", "pending_sign_ups", ["expires_at"], unique=False
    )
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON pending_sign_ups TO {app_role()}")


def downgrade() -> None:
    op.drop_index("ix_pending_sign_ups_expires_at", table_name="pending_sign_ups")
    op.drop_index("ix_pending_sign_ups_email_lower", table_name="pending_sign_ups")
    op.drop_table("pending_sign_ups")
