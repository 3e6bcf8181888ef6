"""deliberative meetings: meetings, agenda, sign-ups, opinions, replies, speakers, decisions

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-26 10:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0001"
branch_labels = None
depends_on = None


def _in(column, values):
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


KINDS = ("consultation", "council", "forum", "analysis", "followup", "hearing", "budget")
OUTCOMES = ("adopted", "partly", "reference", "explained")
RATINGS = ("satisfied", "basic", "dissatisfied")


def upgrade():
    op.create_table(
        "meeting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("proposed_by", sa.String(length=120), nullable=False),
        sa.Column("organiser", sa.String(length=120), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("online_url", sa.String(length=300), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("waitlist", sa.Integer(), nullable=False),
        sa.Column("signup_mode", sa.String(length=8), nullable=False),
        sa.Column("signup_deadline", sa.DateTime(), nullable=False),
        sa.Column("members", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("congress_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("announced_at", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("lot_seed", sa.String(length=64), nullable=True),
        sa.Column("lot_seed_sha256", sa.String(length=64), nullable=True),
        sa.Column("lot_drawn_at", sa.DateTime(), nullable=True),
        sa.Column("lot_entrants", sa.JSON(), nullable=True),
        sa.Column("minutes_html", sa.Text(), nullable=False),
        sa.Column("minutes_updated_at", sa.DateTime(), nullable=True),
        sa.Column("next_number", sa.Integer(), nullable=False),
        sa.Column("next_opinion", sa.Integer(), nullable=False),
        sa.CheckConstraint(_in("kind", KINDS), name=op.f("ck_meeting_kind")),
        sa.CheckConstraint(_in("state", ("draft", "announced", "closed")), name=op.f("ck_meeting_state")),
        sa.CheckConstraint(_in("signup_mode", ("open", "lot")), name=op.f("ck_meeting_signup_mode")),
        sa.CheckConstraint("capacity >= 1", name=op.f("ck_meeting_capacity")),
        sa.CheckConstraint("waitlist >= 0", name=op.f("ck_meeting_waitlist")),
        sa.CheckConstraint("members IS NULL OR members >= 1", name=op.f("ck_meeting_members")),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_meeting_times")),
        sa.ForeignKeyConstraint(["congress_id"], ["congress.id"], name=op.f("fk_meeting_congress_id_congress")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting")),
    )
    op.create_index(op.f("ix_meeting_state"), "meeting", ["state"], unique=False)

    op.create_table(
        "meeting_agenda_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"],
                                name=op.f("fk_meeting_agenda_item_meeting_id_meeting")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_agenda_item")),
        sa.UniqueConstraint("meeting_id", "position", name=op.f("uq_meeting_agenda_item_meeting_id_position")),
    )
    op.create_index(op.f("ix_meeting_agenda_item_meeting_id"), "meeting_agenda_item", ["meeting_id"])

    op.create_table(
        "meeting_signup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("area", sa.String(length=120), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("queue", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(), nullable=True),
        sa.Column("promoted_at", sa.DateTime(), nullable=True),
        sa.Column("checked_in_at", sa.DateTime(), nullable=True),
        sa.Column("checked_in_by", sa.Integer(), nullable=True),
        sa.CheckConstraint(_in("status", ("applied", "confirmed", "waiting", "cancelled")),
                           name=op.f("ck_meeting_signup_status")),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"], name=op.f("fk_meeting_signup_meeting_id_meeting")),
        sa.ForeignKeyConstraint(["checked_in_by"], ["user_account.id"],
                                name=op.f("fk_meeting_signup_checked_in_by_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_signup")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_meeting_signup_code_hash")),
        sa.UniqueConstraint("meeting_id", "number", name=op.f("uq_meeting_signup_meeting_id_number")),
    )
    op.create_index(op.f("ix_meeting_signup_meeting_id"), "meeting_signup", ["meeting_id"])
    # One live sign-up per phone per meeting; cancelled ones do not count.
    op.create_index(
        "uq_meeting_signup_live_phone", "meeting_signup", ["meeting_id", "phone"], unique=True,
        sqlite_where=sa.text("status <> 'cancelled'"), postgresql_where=sa.text("status <> 'cancelled'"),
    )

    op.create_table(
        "meeting_opinion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("agenda_item_id", sa.Integer(), nullable=True),
        sa.Column("category", sa.String(length=12), nullable=False),
        sa.Column("author_name", sa.String(length=64), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("stage", sa.String(length=8), nullable=False),
        sa.Column("tracking_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("hidden_reason", sa.String(length=200), nullable=True),
        sa.Column("hidden_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(_in("category", ("suggestion", "concern", "question", "other")),
                           name=op.f("ck_meeting_opinion_category")),
        sa.CheckConstraint(_in("stage", ("before", "during")), name=op.f("ck_meeting_opinion_stage")),
        sa.CheckConstraint("NOT hidden OR hidden_reason IS NOT NULL", name=op.f("ck_meeting_opinion_hidden_reason")),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"], name=op.f("fk_meeting_opinion_meeting_id_meeting")),
        sa.ForeignKeyConstraint(["agenda_item_id"], ["meeting_agenda_item.id"],
                                name=op.f("fk_meeting_opinion_agenda_item_id_meeting_agenda_item")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_opinion")),
        sa.UniqueConstraint("meeting_id", "number", name=op.f("uq_meeting_opinion_meeting_id_number")),
        sa.UniqueConstraint("tracking_hash", name=op.f("uq_meeting_opinion_tracking_hash")),
    )
    op.create_index(op.f("ix_meeting_opinion_meeting_id"), "meeting_opinion", ["meeting_id"])

    op.create_table(
        "meeting_opinion_reply",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("opinion_id", sa.Integer(), nullable=False),
        sa.Column("lead_unit_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("outcome", sa.String(length=12), nullable=True),
        sa.Column("assigned_at", sa.DateTime(), nullable=False),
        sa.Column("replied_at", sa.DateTime(), nullable=True),
        sa.Column("rating", sa.String(length=16), nullable=True),
        sa.Column("rated_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(_in("status", ("todo", "doing", "done")), name=op.f("ck_meeting_opinion_reply_status")),
        sa.CheckConstraint("outcome IS NULL OR " + _in("outcome", OUTCOMES),
                           name=op.f("ck_meeting_opinion_reply_outcome")),
        sa.CheckConstraint("rating IS NULL OR " + _in("rating", RATINGS),
                           name=op.f("ck_meeting_opinion_reply_rating")),
        sa.CheckConstraint("status <> 'done' OR (body IS NOT NULL AND outcome IS NOT NULL)",
                           name=op.f("ck_meeting_opinion_reply_done_has_reply")),
        sa.CheckConstraint("rating IS NULL OR status = 'done'", name=op.f("ck_meeting_opinion_reply_rated_when_done")),
        sa.ForeignKeyConstraint(["opinion_id"], ["meeting_opinion.id"],
                                name=op.f("fk_meeting_opinion_reply_opinion_id_meeting_opinion")),
        sa.ForeignKeyConstraint(["lead_unit_id"], ["lead_unit.id"],
                                name=op.f("fk_meeting_opinion_reply_lead_unit_id_lead_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_opinion_reply")),
        sa.UniqueConstraint("opinion_id", name=op.f("uq_meeting_opinion_reply_opinion_id")),
    )
    op.create_index(op.f("ix_meeting_opinion_reply_lead_unit_id"), "meeting_opinion_reply", ["lead_unit_id"])

    op.create_table(
        "meeting_speaker",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("agenda_item_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("affiliation", sa.String(length=120), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"], name=op.f("fk_meeting_speaker_meeting_id_meeting")),
        sa.ForeignKeyConstraint(["agenda_item_id"], ["meeting_agenda_item.id"],
                                name=op.f("fk_meeting_speaker_agenda_item_id_meeting_agenda_item")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_speaker")),
        sa.UniqueConstraint("meeting_id", "position", name=op.f("uq_meeting_speaker_meeting_id_position")),
    )
    op.create_index(op.f("ix_meeting_speaker_meeting_id"), "meeting_speaker", ["meeting_id"])

    op.create_table(
        "meeting_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("agenda_item_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=True),
        sa.Column("yes", sa.Integer(), nullable=True),
        sa.Column("no", sa.Integer(), nullable=True),
        sa.Column("abstain", sa.Integer(), nullable=True),
        sa.Column("present", sa.Integer(), nullable=True),
        sa.Column("members", sa.Integer(), nullable=True),
        sa.Column("quorum_met", sa.Boolean(), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(_in("method", ("hands", "vote")), name=op.f("ck_meeting_decision_method")),
        sa.CheckConstraint(_in("state", ("pending", "voting", "recorded")), name=op.f("ck_meeting_decision_state")),
        sa.CheckConstraint("yes >= 0 AND no >= 0 AND abstain >= 0", name=op.f("ck_meeting_decision_counts")),
        sa.CheckConstraint("method = 'vote' OR poll_id IS NULL", name=op.f("ck_meeting_decision_poll_only_for_vote")),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"], name=op.f("fk_meeting_decision_meeting_id_meeting")),
        sa.ForeignKeyConstraint(["agenda_item_id"], ["meeting_agenda_item.id"],
                                name=op.f("fk_meeting_decision_agenda_item_id_meeting_agenda_item")),
        sa.ForeignKeyConstraint(["poll_id"], ["poll.id"], name=op.f("fk_meeting_decision_poll_id_poll")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_decision")),
        sa.UniqueConstraint("poll_id", name=op.f("uq_meeting_decision_poll_id")),
    )
    op.create_index(op.f("ix_meeting_decision_meeting_id"), "meeting_decision", ["meeting_id"])


def downgrade():
    op.drop_table("meeting_decision")
    op.drop_table("meeting_speaker")
    op.drop_table("meeting_opinion_reply")
    op.drop_table("meeting_opinion")
    op.drop_index("uq_meeting_signup_live_phone", table_name="meeting_signup")
    op.drop_table("meeting_signup")
    op.drop_table("meeting_agenda_item")
    op.drop_table("meeting")
