"""Staff steps of a meeting without machine words (issue 14): a draft is edited and
deleted until it is announced; every irreversible step asks for a ticked box and the
POST without it is refused with a plain message."""

from __future__ import annotations

import re

from sqlalchemy import select

from core.models import AuditEntry
from deliberation.models import AgendaItem, Meeting, MeetingState
from extensions import db
from tests.deliberation.factories import make_meeting, sign_up
from tests.factories import csrf_token

CONFIRM = "我已核对，确认执行"


def test_a_draft_meeting_is_deleted_with_its_agenda_after_confirmation(staff_client):
    meeting = make_meeting(announce=False)
    meeting_id = meeting.id
    page = staff_client.get(f"/staff/meetings/{meeting_id}").get_data(as_text=True)
    assert "删除会议草稿" in page and CONFIRM in page
    token = csrf_token(staff_client, f"/staff/meetings/{meeting_id}")

    refused = staff_client.post(f"/staff/meetings/{meeting_id}/delete", data={"csrf_token": token})
    assert refused.status_code == 422 and CONFIRM in refused.get_data(as_text=True)
    assert db.session.get(Meeting, meeting_id) is not None

    done = staff_client.post(f"/staff/meetings/{meeting_id}/delete", data={"csrf_token": token, "confirm": "y"})
    assert done.status_code == 303
    db.session.expire_all()
    assert db.session.get(Meeting, meeting_id) is None
    assert db.session.scalars(select(AgendaItem).where(AgendaItem.meeting_id == meeting_id)).all() == []
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "meeting.delete"))
    assert entry.target_id == str(meeting_id)


def test_an_announced_meeting_cannot_be_deleted(staff_client):
    meeting = make_meeting()
    sign_up(meeting, 1)
    token = csrf_token(staff_client, f"/staff/meetings/{meeting.id}")
    refused = staff_client.post(f"/staff/meetings/{meeting.id}/delete", data={"csrf_token": token, "confirm": "y"})
    assert refused.status_code == 409
    assert "已经公告，不能删除" in refused.get_data(as_text=True)
    assert db.session.get(Meeting, meeting.id) is not None
    assert "删除会议草稿" not in staff_client.get(f"/staff/meetings/{meeting.id}").get_data(as_text=True)


def test_a_meeting_is_edited_until_it_is_closed(staff_client):
    meeting = make_meeting(announce=False)
    url = f"/staff/meetings/{meeting.id}"
    assert staff_client.get(f"{url}/edit").status_code == 200
    assert f'href="{url}/edit"' in staff_client.get(url).get_data(as_text=True)
    token = csrf_token(staff_client, url)
    staff_client.post(f"{url}/announce", data={"csrf_token": token, "confirm": "y", "confirm_short_notice": "y"})
    assert staff_client.post(f"{url}/close", data={"csrf_token": token, "confirm": "y"}).status_code == 302
    refused = staff_client.get(f"{url}/edit")
    assert refused.status_code == 409 and "会议已结束，不能再修改" in refused.get_data(as_text=True)
    assert staff_client.post(f"{url}/edit", data={"csrf_token": token, "topic": "x"}).status_code == 409


def test_announce_and_close_need_the_box(staff_client):
    meeting = make_meeting(announce=False, days=30)
    url = f"/staff/meetings/{meeting.id}"
    token = csrf_token(staff_client, url)
    refused = staff_client.post(f"{url}/announce", data={"csrf_token": token})
    assert refused.status_code == 422 and CONFIRM in refused.get_data(as_text=True)
    db.session.refresh(meeting)
    assert meeting.state == MeetingState.DRAFT

    assert staff_client.post(f"{url}/announce", data={"csrf_token": token, "confirm": "y"}).status_code == 302
    db.session.refresh(meeting)
    assert meeting.state == MeetingState.ANNOUNCED
    page = staff_client.get(url).get_data(as_text=True)
    assert "结束会议" in page and CONFIRM in page
    assert re.search(r'<input[^>]*name="confirm"[^>]*required[^>]*type="checkbox"', page)  # the browser asks too

    refused = staff_client.post(f"{url}/close", data={"csrf_token": token})
    assert refused.status_code == 422 and CONFIRM in refused.get_data(as_text=True)
    db.session.refresh(meeting)
    assert meeting.state == MeetingState.ANNOUNCED
    assert staff_client.post(f"{url}/close", data={"csrf_token": token, "confirm": "y"}).status_code == 302
    db.session.refresh(meeting)
    assert meeting.state == MeetingState.CLOSED


def test_the_lot_draw_needs_its_box(staff_client):
    """The draw's own form (the public value and its box) refuses without the box."""
    meeting = make_meeting(mode="lot")
    url = f"/staff/meetings/{meeting.id}"
    token = csrf_token(staff_client, url)
    refused = staff_client.post(f"{url}/draw", data={"csrf_token": token, "beacon_value": "03 07 12 19 25 31 + 09"})
    assert refused.status_code in (409, 422)  # never drawn without the box (nor before the deadline)
    db.session.refresh(meeting)
    assert meeting.lot_drawn_at is None


def test_the_refusal_reads_in_english(staff_client):
    meeting = make_meeting(announce=False)
    staff_client.get("/lang/en")
    token = csrf_token(staff_client, f"/staff/meetings/{meeting.id}")
    refused = staff_client.post(f"/staff/meetings/{meeting.id}/delete", data={"csrf_token": token})
    assert refused.status_code == 422
    assert "tick" in refused.get_data(as_text=True)
