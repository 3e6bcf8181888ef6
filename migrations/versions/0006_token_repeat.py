"""token issuance: the blinded message's hash (a repeated token request), lost-token reports

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 12:00:00

Issuances made before this revision keep a NULL hash: their deputies cannot repeat the
token request (they answer 409 as before). Every issuance made from now on stores it.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    # Batch mode: SQLite cannot add a check constraint to an existing table.
    with op.batch_alter_table("token_issuance", schema=None) as batch_op:
        batch_op.add_column(sa.Column("blinded_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("lost_reported_at", sa.DateTime(), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_token_issuance_blinded_sha256"), "blinded_sha256 IS NULL OR length(blinded_sha256) = 64"
        )


def downgrade():
    with op.batch_alter_table("token_issuance", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_token_issuance_blinded_sha256"), type_="check")
        batch_op.drop_column("lost_reported_at")
        batch_op.drop_column("blinded_sha256")
