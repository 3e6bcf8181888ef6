"""paper ballots (protocol revision 5)

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-30 12:55:00

A poll gains ``paper_allowed`` (staff allowed paper on the draft) and ``paper`` (the
board's agreed ``paper`` member, fixed at the close); a register line gains ``paper``
(the deputy voted on paper); ``paper_entry`` holds each scrutineer's entry of the paper
ballots.
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("poll", sa.Column("paper_allowed", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("poll", sa.Column("paper", sa.JSON(), nullable=True))
    op.add_column("poll_voter", sa.Column("paper", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table(
        "paper_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("deputy_id", sa.Integer(), nullable=False),
        sa.Column("ballots", sa.JSON(), nullable=False),
        sa.Column("spoiled", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("entered_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("spoiled >= 0", name=op.f("ck_paper_entry_spoiled")),
        sa.ForeignKeyConstraint(["deputy_id"], ["deputy.id"], name=op.f("fk_paper_entry_deputy_id_deputy")),
        sa.ForeignKeyConstraint(
            ["poll_id"], ["poll.id"], name=op.f("fk_paper_entry_poll_id_poll"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_paper_entry")),
        sa.UniqueConstraint("poll_id", "deputy_id", name=op.f("uq_paper_entry_poll_id_deputy_id")),
    )
    op.create_index(op.f("ix_paper_entry_poll_id"), "paper_entry", ["poll_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_paper_entry_poll_id"), table_name="paper_entry")
    op.drop_table("paper_entry")
    op.drop_column("poll_voter", "paper")
    op.drop_column("poll", "paper")
    op.drop_column("poll", "paper_allowed")
