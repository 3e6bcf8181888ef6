"""suggestion review: a citizen's suggestion is public only once staff approve it

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30 12:00:00

Suggestions stored before this revision were already public: they become ``approved``
(the server default). New suggestions from the public form start ``pending``; a refusal
keeps its reason, which the author reads with the tracking code (its hash is stored).
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    # Batch mode: SQLite cannot add a check constraint to an existing table.
    with op.batch_alter_table("suggestion", schema=None) as batch_op:
        batch_op.add_column(sa.Column("review", sa.String(length=16), server_default="approved", nullable=False))
        batch_op.add_column(sa.Column("review_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("reviewed_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("tracking_hash", sa.String(length=64), nullable=True))
        batch_op.create_check_constraint(op.f("ck_suggestion_review"), "review IN ('pending', 'approved', 'rejected')")
        batch_op.create_check_constraint(
            op.f("ck_suggestion_review_reason"), "review != 'rejected' OR review_reason IS NOT NULL"
        )
        batch_op.create_index(batch_op.f("ix_suggestion_review"), ["review"], unique=False)
        batch_op.create_unique_constraint(batch_op.f("uq_suggestion_tracking_hash"), ["tracking_hash"])


def downgrade():
    with op.batch_alter_table("suggestion", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_suggestion_tracking_hash"), type_="unique")
        batch_op.drop_index(batch_op.f("ix_suggestion_review"))
        batch_op.drop_constraint(op.f("ck_suggestion_review_reason"), type_="check")
        batch_op.drop_constraint(op.f("ck_suggestion_review"), type_="check")
        batch_op.drop_column("tracking_hash")
        batch_op.drop_column("reviewed_at")
        batch_op.drop_column("review_reason")
        batch_op.drop_column("review")
