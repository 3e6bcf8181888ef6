"""ballot batches: pending ballots, the batch and counter state of a poll

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-30 12:00:00

Protocol revision 5, "Order and counters": secret ballots wait in ``pending_ballot``
until their batch is appended to the log in a random order; the poll keeps when the
open batch began, when the last batch was committed and the published count.
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("poll", schema=None) as batch_op:
        batch_op.add_column(sa.Column("batch_opened", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("log_committed", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("log_published", sa.Integer(), nullable=False, server_default="0"))
    # Polls that were already open publish their whole log from the first period on.
    op.execute("UPDATE poll SET log_published = log_size")
    op.create_table(
        "pending_ballot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("leaf_hash", sa.String(length=64), nullable=False),
        sa.Column("credential", sa.String(length=128), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["poll_id"], ["poll.id"], name=op.f("fk_pending_ballot_poll_id_poll")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_ballot")),
        sa.UniqueConstraint("poll_id", "credential", name=op.f("uq_pending_ballot_poll_id_credential")),
        sa.UniqueConstraint("poll_id", "leaf_hash", name=op.f("uq_pending_ballot_poll_id_leaf_hash")),
    )
    with op.batch_alter_table("pending_ballot", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pending_ballot_poll_id"), ["poll_id"], unique=False)


def downgrade():
    # Pending ballots were never answered: they go with the table (close polls first).
    with op.batch_alter_table("pending_ballot", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pending_ballot_poll_id"))
    op.drop_table("pending_ballot")
    # Plain ALTER TABLE … DROP COLUMN (SQLite 3.35+): a batch copy of ``poll`` would
    # drop the table that every ballot and register line refers to.
    for column in ("log_published", "log_committed", "batch_opened"):
        op.drop_column("poll", column)
