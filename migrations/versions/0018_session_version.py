"""user accounts: a session version, so that a password change, a reset, a deactivation
or a logout ends the account's sessions

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30 11:30:00

Every session cookie carries the version its login saw; a request whose cookie names
another version than the account's is anonymous (``core.auth``). Cookies made before
this revision carry no version: everyone logs in once more after the upgrade.
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("user_account", sa.Column("session_version", sa.Integer(), nullable=False, server_default="1"))


def downgrade():
    # Plain ALTER TABLE … DROP COLUMN (SQLite 3.35 and later): a batch copy would drop and
    # remake user_account, which the other tables' foreign keys refuse.
    op.drop_column("user_account", "session_version")
