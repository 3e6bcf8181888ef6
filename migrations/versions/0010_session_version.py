"""user accounts: a session version, so that a password change, a reset, a deactivation
or a logout ends the account's sessions

Revision ID: 0010
Revises: 0008
Create Date: 2026-11-30 11:30:00

Every session cookie carries the version its login saw; a request whose cookie names
another version than the account's is anonymous (``core.auth``).
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(sa.Column("session_version", sa.Integer(), nullable=False, server_default="1"))


def downgrade():
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("session_version")
