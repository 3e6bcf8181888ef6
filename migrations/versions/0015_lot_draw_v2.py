"""lot draw yishi-lot/2 (a sealed secret and a public value named in advance) and code
digests under a server key

Revision ID: 0015
Revises: 0008
Create Date: 2026-11-30 12:00:00

Meetings gain the columns of the second lot algorithm (see ``deliberation.lot``); a
meeting that already has a seed keeps ``yishi-lot/1``. Sign-up codes and tracking codes
were stored as SHA-256 digests; they become ``HMAC-SHA256(K, old digest)`` with K
derived from the key-encryption key (``core.codes``), so the codes already handed out
keep working and the database alone no longer lets anyone test guesses. The downgrade
cannot undo an HMAC: it drops the columns and leaves the digests as they are (codes
handed out before the downgrade then stop working).
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0008"
branch_labels = None
depends_on = None

meeting = sa.table(
    "meeting",
    sa.column("id", sa.Integer),
    sa.column("lot_seed_sha256", sa.String),
    sa.column("lot_algorithm", sa.String),
)


def _rekey(table: str, column: str, secret: str) -> None:
    from core.codes import rekey

    conn = op.get_bind()
    rows = conn.execute(sa.text(f"SELECT id, {column} FROM {table}")).all()
    for row_id, old in rows:
        conn.execute(
            sa.text(f"UPDATE {table} SET {column} = :new WHERE id = :id"),
            {"new": rekey(old, secret), "id": row_id},
        )


def upgrade():
    with op.batch_alter_table("meeting") as batch:
        batch.add_column(sa.Column("lot_algorithm", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("lot_secret_enc", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("lot_secret", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("lot_beacon_source", sa.String(length=300), nullable=True))
        batch.add_column(sa.Column("lot_beacon_date", sa.Date(), nullable=True))
        batch.add_column(sa.Column("lot_beacon_value", sa.String(length=300), nullable=True))
        batch.add_column(sa.Column("lot_entrants_sha256", sa.String(length=64), nullable=True))
    op.execute(meeting.update().where(meeting.c.lot_seed_sha256.is_not(None)).values(lot_algorithm="yishi-lot/1"))

    from flask import current_app

    secret = current_app.config["YISHI_KEY_ENCRYPTION_KEY"]
    _rekey("meeting_signup", "code_hash", secret)
    _rekey("meeting_opinion", "tracking_hash", secret)


def downgrade():
    # Plain DROP COLUMN (SQLite 3.35 and later have it): a batch copy of ``meeting``
    # would fail on the rows that refer to it.
    for column in (
        "lot_entrants_sha256",
        "lot_beacon_value",
        "lot_beacon_date",
        "lot_beacon_source",
        "lot_secret",
        "lot_secret_enc",
        "lot_algorithm",
    ):
        op.drop_column("meeting", column)
