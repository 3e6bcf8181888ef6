"""held one-time secrets: sealed payloads kept until their browser acknowledges them

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 12:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "held_secret",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_held_secret")),
    )
    op.create_index(op.f("ix_held_secret_created_at"), "held_secret", ["created_at"])


def downgrade():
    op.drop_index(op.f("ix_held_secret_created_at"), table_name="held_secret")
    op.drop_table("held_secret")
