"""livelihood projects: call, suggestions, projects, polls, monitoring

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 09:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _index(table: str, column: str, unique: bool = False) -> None:
    op.create_index(f"ix_{table}_{column}", table, [column], unique=unique)


def upgrade():
    op.create_table(
        "proposal_call",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("notice", sa.Text(), nullable=False),
        sa.Column("opens_on", sa.Date(), nullable=False),
        sa.Column("closes_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("closes_on >= opens_on", name="ck_proposal_call_dates"),
        sa.PrimaryKeyConstraint("id", name="pk_proposal_call"),
        sa.UniqueConstraint("year", name="uq_proposal_call_year"),
    )
    op.create_table(
        "suggestion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("location", sa.String(length=120), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reject_reason", sa.Text(), nullable=True),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(), nullable=False),
        sa.Column("moderated_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'accepted', 'merged', 'rejected')", name="ck_suggestion_status"
        ),
        sa.CheckConstraint(
            "status != 'rejected' OR reject_reason IS NOT NULL", name="ck_suggestion_reject_reason"
        ),
        sa.CheckConstraint(
            "status != 'merged' OR merged_into_id IS NOT NULL", name="ck_suggestion_merged_into"
        ),
        sa.CheckConstraint(
            "merged_into_id IS NULL OR merged_into_id != id", name="ck_suggestion_not_self"
        ),
        sa.ForeignKeyConstraint(
            ["call_id"], ["proposal_call.id"], name="fk_suggestion_call_id_proposal_call"
        ),
        sa.ForeignKeyConstraint(
            ["merged_into_id"], ["suggestion.id"], name="fk_suggestion_merged_into_id_suggestion"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_suggestion"),
    )
    _index("suggestion", "call_id")
    _index("suggestion", "status")

    op.create_table(
        "project",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("lead_unit_id", sa.Integer(), nullable=False),
        sa.Column("investment", sa.Integer(), nullable=False),
        sa.Column("planned_completion", sa.Date(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('candidate', 'elected', 'not_elected')", name="ck_project_status"
        ),
        sa.CheckConstraint("investment >= 0", name="ck_project_investment"),
        sa.ForeignKeyConstraint(
            ["lead_unit_id"], ["lead_unit.id"], name="fk_project_lead_unit_id_lead_unit"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_project"),
        sa.UniqueConstraint("year", "title", name="uq_project_year_title"),
    )
    _index("project", "year")
    _index("project", "lead_unit_id")
    _index("project", "status")

    op.create_table(
        "project_suggestion",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("suggestion_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name="fk_project_suggestion_project_id_project"
        ),
        sa.ForeignKeyConstraint(
            ["suggestion_id"], ["suggestion.id"],
            name="fk_project_suggestion_suggestion_id_suggestion",
        ),
        sa.PrimaryKeyConstraint("project_id", "suggestion_id", name="pk_project_suggestion"),
        sa.UniqueConstraint("suggestion_id", name="uq_project_suggestion_suggestion_id"),
    )

    op.create_table(
        "project_poll",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("option_id", sa.String(length=32), nullable=False),
        sa.CheckConstraint("kind IN ('vote', 'runoff', 'assessment')", name="ck_project_poll_kind"),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name="fk_project_poll_project_id_project"
        ),
        sa.ForeignKeyConstraint(["poll_id"], ["poll.id"], name="fk_project_poll_poll_id_poll"),
        sa.PrimaryKeyConstraint("id", name="pk_project_poll"),
        sa.UniqueConstraint("poll_id", "option_id", name="uq_project_poll_poll_id_option_id"),
        sa.UniqueConstraint("poll_id", "project_id", name="uq_project_poll_poll_id_project_id"),
    )
    _index("project_poll", "project_id")
    _index("project_poll", "poll_id")

    op.create_table(
        "monitoring_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("deputy_id", sa.Integer(), nullable=False),
        sa.Column("is_leader", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name="fk_monitoring_member_project_id_project"
        ),
        sa.ForeignKeyConstraint(
            ["deputy_id"], ["deputy.id"], name="fk_monitoring_member_deputy_id_deputy"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_monitoring_member"),
        sa.UniqueConstraint(
            "project_id", "deputy_id", name="uq_monitoring_member_project_id_deputy_id"
        ),
    )
    _index("monitoring_member", "project_id")
    _index("monitoring_member", "deputy_id")

    op.create_table(
        "progress_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("reported_on", sa.Date(), nullable=False),
        sa.Column("percent", sa.Integer(), nullable=False),
        sa.Column("narrative", sa.Text(), nullable=False),
        sa.Column("problems", sa.Text(), nullable=True),
        sa.Column("backwards_reason", sa.Text(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("percent >= 0 AND percent <= 100", name="ck_progress_report_percent"),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name="fk_progress_report_project_id_project"
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["user_account.id"], name="fk_progress_report_author_id_user_account"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_progress_report"),
    )
    _index("progress_report", "project_id")

    op.create_table(
        "progress_photo",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("stored_name", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=16), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("caption", sa.String(length=120), nullable=False),
        sa.CheckConstraint(
            "content_type IN ('image/jpeg', 'image/png', 'image/webp')",
            name="ck_progress_photo_type",
        ),
        sa.CheckConstraint("size_bytes > 0", name="ck_progress_photo_size_bytes"),
        sa.ForeignKeyConstraint(
            ["report_id"], ["progress_report.id"],
            name="fk_progress_photo_report_id_progress_report",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_progress_photo"),
        sa.UniqueConstraint("stored_name", name="uq_progress_photo_stored_name"),
    )
    _index("progress_photo", "report_id")

    op.create_table(
        "inspection_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("deputy_id", sa.Integer(), nullable=False),
        sa.Column("visited_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name="fk_inspection_note_project_id_project"
        ),
        sa.ForeignKeyConstraint(
            ["deputy_id"], ["deputy.id"], name="fk_inspection_note_deputy_id_deputy"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_inspection_note"),
    )
    _index("inspection_note", "project_id")

    op.create_table(
        "rectification_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("note_id", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("status IN ('open', 'done')", name="ck_rectification_item_status"),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name="fk_rectification_item_project_id_project"
        ),
        sa.ForeignKeyConstraint(
            ["report_id"], ["progress_report.id"],
            name="fk_rectification_item_report_id_progress_report",
        ),
        sa.ForeignKeyConstraint(
            ["note_id"], ["inspection_note.id"],
            name="fk_rectification_item_note_id_inspection_note",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_rectification_item"),
    )
    _index("rectification_item", "project_id")


def downgrade():
    for table in (
        "rectification_item",
        "inspection_note",
        "progress_photo",
        "progress_report",
        "monitoring_member",
        "project_poll",
        "project_suggestion",
        "project",
        "suggestion",
        "proposal_call",
    ):
        op.drop_table(table)
