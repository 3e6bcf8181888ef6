"""scrutineers of a poll and their co-signatures (protocol revision 5)

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-30 12:10:00

A poll gains ``cosign_threshold`` (NULL: all scrutineers) and the table
``poll_scrutineer``: the deputies staff named as scrutineers (监票人) of a draft, in the
manifest's order, each with the Ed25519 public key their own phone made and, after the
close, their co-signature over the closing (or the reason they declined).
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD / DROP COLUMN (SQLite 3.35 and later have both): a batch copy of ``poll``
    # would fail on the rows that refer to it.
    op.add_column("poll", sa.Column("cosign_threshold", sa.Integer(), nullable=True))
    op.create_table(
        "poll_scrutineer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("deputy_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=43), nullable=True),
        sa.Column("enrolled_at", sa.DateTime(), nullable=True),
        sa.Column("cosig", sa.String(length=86), nullable=True),
        sa.Column("cosigned_at", sa.DateTime(), nullable=True),
        sa.Column("declined_reason", sa.String(length=500), nullable=True),
        sa.Column("declined_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("position >= 0 AND position < 9", name=op.f("ck_poll_scrutineer_position")),
        sa.ForeignKeyConstraint(["deputy_id"], ["deputy.id"], name=op.f("fk_poll_scrutineer_deputy_id_deputy")),
        sa.ForeignKeyConstraint(
            ["poll_id"], ["poll.id"], name=op.f("fk_poll_scrutineer_poll_id_poll"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_poll_scrutineer")),
        sa.UniqueConstraint("poll_id", "deputy_id", name=op.f("uq_poll_scrutineer_poll_id_deputy_id")),
        sa.UniqueConstraint("poll_id", "key", name=op.f("uq_poll_scrutineer_poll_id_key")),
    )
    op.create_index(op.f("ix_poll_scrutineer_poll_id"), "poll_scrutineer", ["poll_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_poll_scrutineer_poll_id"), table_name="poll_scrutineer")
    op.drop_table("poll_scrutineer")
    op.drop_column("poll", "cosign_threshold")
