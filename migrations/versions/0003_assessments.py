"""satisfaction assessments, standing committees, deputies' suggestions

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-26 10:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None  # follows 0002: assessment_subject.project_id refers to project.id


def _index(table: str, column: str) -> None:
    op.create_index(f"ix_{table}_{column}", table, [column], unique=False)


def upgrade():
    op.create_table(
        "standing_committee",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("congress_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["congress_id"], ["congress.id"],
                                name="fk_standing_committee_congress_id_congress"),
        sa.PrimaryKeyConstraint("id", name="pk_standing_committee"),
        sa.UniqueConstraint("congress_id", name="uq_standing_committee_congress_id"),
    )
    op.create_table(
        "deputy_suggestion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deputy_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("filed_on", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("lead_unit_id", sa.Integer(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("extended", sa.Boolean(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("state IN ('filed', 'handling', 'replied', 'closed')",
                           name="ck_deputy_suggestion_state"),
        sa.CheckConstraint("state = 'filed' OR (lead_unit_id IS NOT NULL AND due_on IS NOT NULL)",
                           name="ck_deputy_suggestion_assigned"),
        sa.CheckConstraint("round >= 1", name="ck_deputy_suggestion_round"),
        sa.ForeignKeyConstraint(["deputy_id"], ["deputy.id"],
                                name="fk_deputy_suggestion_deputy_id_deputy"),
        sa.ForeignKeyConstraint(["lead_unit_id"], ["lead_unit.id"],
                                name="fk_deputy_suggestion_lead_unit_id_lead_unit"),
        sa.PrimaryKeyConstraint("id", name="pk_deputy_suggestion"),
    )
    _index("deputy_suggestion", "deputy_id")
    _index("deputy_suggestion", "state")
    _index("deputy_suggestion", "lead_unit_id")
    op.create_table(
        "deputy_suggestion_reply",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("suggestion_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("grade", sa.String(length=1), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("replied_on", sa.Date(), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("by_user_id", sa.Integer(), nullable=True),
        sa.Column("rating", sa.String(length=16), nullable=True),
        sa.Column("rated_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("grade IN ('A', 'B', 'C', 'D')", name="ck_deputy_suggestion_reply_grade"),
        sa.CheckConstraint("rating IS NULL OR rating IN ('satisfied', 'basic', 'dissatisfied')",
                           name="ck_deputy_suggestion_reply_rating"),
        sa.CheckConstraint("(rating IS NULL) = (rated_at IS NULL)",
                           name="ck_deputy_suggestion_reply_rated_at"),
        sa.ForeignKeyConstraint(["suggestion_id"], ["deputy_suggestion.id"],
                                name="fk_deputy_suggestion_reply_suggestion_id_deputy_suggestion"),
        sa.ForeignKeyConstraint(["by_user_id"], ["user_account.id"],
                                name="fk_deputy_suggestion_reply_by_user_id_user_account"),
        sa.PrimaryKeyConstraint("id", name="pk_deputy_suggestion_reply"),
        sa.UniqueConstraint("suggestion_id", "round",
                            name="uq_deputy_suggestion_reply_suggestion_id_round"),
    )
    _index("deputy_suggestion_reply", "suggestion_id")
    op.create_table(
        "assessment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("raters", sa.String(length=16), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("grade_base", sa.String(length=16), nullable=False),
        sa.Column("rectify_below", sa.String(length=20), nullable=True),
        sa.Column("poll_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("raters IN ('deputies', 'committee', 'public')", name="ck_assessment_raters"),
        sa.CheckConstraint("grade_base IN ('electorate', 'present', 'cast')",
                           name="ck_assessment_grade_base"),
        sa.CheckConstraint("(raters = 'public') = (session_id IS NULL)", name="ck_assessment_session"),
        sa.ForeignKeyConstraint(["session_id"], ["congress_session.id"],
                                name="fk_assessment_session_id_congress_session"),
        sa.ForeignKeyConstraint(["poll_id"], ["poll.id"], name="fk_assessment_poll_id_poll"),
        sa.PrimaryKeyConstraint("id", name="pk_assessment"),
        sa.UniqueConstraint("poll_id", name="uq_assessment_poll_id"),
    )
    _index("assessment", "year")
    op.create_table(
        "assessment_subject",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("body_type", sa.String(length=16), nullable=True),
        sa.Column("body_name", sa.String(length=120), nullable=True),
        sa.Column("document_file", sa.String(length=64), nullable=True),
        sa.Column("document_name", sa.String(length=200), nullable=True),
        sa.Column("document_url", sa.String(length=500), nullable=True),
        sa.Column("suggestion_id", sa.Integer(), nullable=True),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("kind IN ('work_report', 'suggestion', 'project', 'free')",
                           name="ck_assessment_subject_kind"),
        sa.CheckConstraint(
            "body_type IS NULL OR body_type IN "
            "('government', 'supervision', 'court', 'procuratorate', 'department')",
            name="ck_assessment_subject_body_type",
        ),
        sa.CheckConstraint(
            "kind <> 'work_report' OR (body_type IS NOT NULL AND body_name IS NOT NULL)",
            name="ck_assessment_subject_work_report_body",
        ),
        sa.CheckConstraint("kind <> 'suggestion' OR suggestion_id IS NOT NULL",
                           name="ck_assessment_subject_suggestion_ref"),
        sa.CheckConstraint("kind <> 'project' OR project_id IS NOT NULL",
                           name="ck_assessment_subject_project_ref"),
        sa.CheckConstraint("position >= 1 AND position <= 99", name="ck_assessment_subject_position"),
        sa.ForeignKeyConstraint(["assessment_id"], ["assessment.id"],
                                name="fk_assessment_subject_assessment_id_assessment"),
        sa.ForeignKeyConstraint(["suggestion_id"], ["deputy_suggestion.id"],
                                name="fk_assessment_subject_suggestion_id_deputy_suggestion"),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"],
                                name="fk_assessment_subject_project_id_project"),
        sa.PrimaryKeyConstraint("id", name="pk_assessment_subject"),
        sa.UniqueConstraint("assessment_id", "position",
                            name="uq_assessment_subject_assessment_id_position"),
        sa.UniqueConstraint("document_file", name="uq_assessment_subject_document_file"),
    )
    _index("assessment_subject", "assessment_id")
    op.create_table(
        "assessment_rectification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("responsible", sa.String(length=120), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("follow_up", sa.Text(), nullable=True),
        sa.Column("reported_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("reassessment_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("reason IN ('basic', 'dissatisfied', 'below_threshold')",
                           name="ck_assessment_rectification_reason"),
        sa.CheckConstraint("state IN ('open', 'reported', 'closed')",
                           name="ck_assessment_rectification_state"),
        sa.CheckConstraint("state = 'open' OR follow_up IS NOT NULL",
                           name="ck_assessment_rectification_follow_up"),
        sa.ForeignKeyConstraint(["subject_id"], ["assessment_subject.id"],
                                name="fk_assessment_rectification_subject_id_assessment_subject"),
        sa.ForeignKeyConstraint(["reassessment_id"], ["assessment.id"],
                                name="fk_assessment_rectification_reassessment_id_assessment"),
        sa.PrimaryKeyConstraint("id", name="pk_assessment_rectification"),
        sa.UniqueConstraint("subject_id", name="uq_assessment_rectification_subject_id"),
        sa.UniqueConstraint("reassessment_id", name="uq_assessment_rectification_reassessment_id"),
    )
    _index("assessment_rectification", "state")


def downgrade():
    op.drop_table("assessment_rectification")
    op.drop_table("assessment_subject")
    op.drop_table("assessment")
    op.drop_table("deputy_suggestion_reply")
    op.drop_table("deputy_suggestion")
    op.drop_table("standing_committee")
