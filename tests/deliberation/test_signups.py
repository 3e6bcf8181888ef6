"""Sign-up rules: capacity, waiting list, deadline, duplicates, cancellation under
concurrency, check-in refusals, and the lot draw re-run from its published inputs."""

import json
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.models import AuditEntry
from core.times import local_today, to_local
from deliberation import lot, services
from deliberation.models import Meeting, Signup
from deliberation.services import DeliberationError
from extensions import db
from tests.deliberation.factories import make_meeting, move, sign_up
from tests.factories import csrf_token


def count(meeting_id, status=None) -> int:
    query = select(func.count()).select_from(Signup).where(Signup.meeting_id == meeting_id)
    if status:
        query = query.where(Signup.status == status)
    return db.session.scalar(query)


def post_signup(client, meeting_id, phone, name="钱伟民"):
    url = f"/meetings/{meeting_id}/signup"
    return client.post(
        url,
        data={"name": name, "phone": phone, "area": "桂花苑", "csrf_token": csrf_token(client, "/meetings/track")},
        follow_redirects=True,
    )


def test_bad_sign_ups_get_clear_messages_and_keep_what_was_stored(client):
    meeting = make_meeting(capacity=1, waitlist=0)
    assert post_signup(client, meeting.id, "13911112222").status_code == 200
    # Duplicate phone (spaces do not make it new).
    duplicate = post_signup(client, meeting.id, "139 1111 2222")
    assert duplicate.status_code == 409 and "不能重复报名" in duplicate.get_data(as_text=True)
    # Past capacity.
    full = post_signup(client, meeting.id, "13933334444")
    assert full.status_code == 409 and "名额已满" in full.get_data(as_text=True)
    # A bad phone number is a form error.
    bad = post_signup(client, meeting.id, "12345")
    assert bad.status_code == 422 and "11 位手机号" in bad.get_data(as_text=True)
    assert count(meeting.id) == 1 and count(meeting.id, "confirmed") == 1
    # After the deadline.
    move(meeting, hours=-240)
    late = post_signup(client, meeting.id, "13955556666")
    assert late.status_code == 409 and "截止" in late.get_data(as_text=True)
    assert count(meeting.id) == 1
    # A draft meeting is not public at all.
    draft = make_meeting(announce=False)
    assert client.get(f"/meetings/{draft.id}/signup").status_code == 404


def test_cancel_frees_the_phone_and_promotes_in_order(client):
    meeting = make_meeting(capacity=1, waitlist=2)
    (first, code1), (second, _), (third, _) = sign_up(meeting, 3)
    assert [first.status, second.status, third.status] == ["confirmed", "waiting", "waiting"]
    url = f"/meetings/{meeting.id}/cancel"
    bad = client.post(url, data={"code": "not-a-code", "csrf_token": csrf_token(client, url)})
    assert bad.status_code == 422 and "报名码格式不对" in bad.get_data(as_text=True)
    unknown = client.post(url, data={"code": "ABCD-EFGH-JKLM-NPQR", "csrf_token": csrf_token(client, url)})
    assert unknown.status_code == 404
    assert client.post(url, data={"code": code1, "csrf_token": csrf_token(client, url)}).status_code == 302
    again = client.post(url, data={"code": code1, "csrf_token": csrf_token(client, url)})
    assert again.status_code == 409 and "已经取消过" in again.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Signup, second.id).status == "confirmed"
    assert db.session.get(Signup, third.id).status == "waiting"
    # The cancelled phone may sign up again.
    phone = db.session.get(Signup, first.id).phone
    assert post_signup(client, meeting.id, phone).status_code == 200


def _run_concurrently(app, work, n):
    barrier = threading.Barrier(n)
    errors, outcomes = [], []

    def run(i):
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                outcomes.append(work(i))
                db.session.commit()
            except DeliberationError as exc:
                db.session.rollback()
                outcomes.append(exc.status)
            except Exception as exc:  # noqa: BLE001 — reported by the test
                db.session.rollback()
                errors.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes, errors


@pytest.mark.slow
def test_concurrent_cancellations_promote_nobody_twice(app):
    meeting = make_meeting(capacity=6, waitlist=3)
    entries = sign_up(meeting, 9)
    assert count(meeting.id, "confirmed") == 6 and count(meeting.id, "waiting") == 3
    meeting_id = meeting.id
    # Four different confirmed people cancel at once, one of them twice.
    codes = [code for _, code in entries[:4]] + [entries[0][1]]

    def cancel(i):
        _, promoted = services.cancel_signup(db.session.get(Meeting, meeting_id), codes[i])
        return promoted.number if promoted else None

    outcomes, errors = _run_concurrently(app, cancel, len(codes))
    assert not errors, errors
    assert outcomes.count(409) == 1  # the double cancellation
    promoted = [o for o in outcomes if o not in (None, 409)]
    waiting = sorted(signup.number for signup, _ in entries[6:])
    assert sorted(promoted) == waiting  # each waiting person once
    db.session.expire_all()
    assert count(meeting_id, "confirmed") == 6 - 4 + 3
    assert count(meeting_id, "waiting") == 0 and count(meeting_id, "cancelled") == 4
    promotions = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "meeting.signup_promote")).all()
    assert sorted(e.detail["number"] for e in promotions) == waiting


@pytest.mark.slow
def test_concurrent_sign_ups_never_exceed_capacity(app):
    meeting = make_meeting(capacity=3, waitlist=1)
    meeting_id = meeting.id

    def join(i):
        signup, _ = services.sign_up(
            db.session.get(Meeting, meeting_id), name=f"居民{i}", phone=f"1380000{i:04d}", area="桂花苑"
        )
        return signup.status

    outcomes, errors = _run_concurrently(app, join, 6)
    assert not errors, errors
    assert sorted(outcomes, key=str) == sorted(["confirmed"] * 3 + ["waiting"] + [409] * 2, key=str)
    numbers = db.session.scalars(select(Signup.number).where(Signup.meeting_id == meeting_id)).all()
    assert len(set(numbers)) == 4 and all(100000 <= n <= 999999 for n in numbers)


def test_check_in_refuses_unknown_waiting_and_undrawn_codes(staff_client):
    meeting = make_meeting(capacity=1, waitlist=1)
    (_, ok), (_, waiting) = sign_up(meeting, 2)
    url = f"/staff/meetings/{meeting.id}/checkin"
    token = csrf_token(staff_client, url)
    unknown = staff_client.post(url, data={"code": "ZZZZ-ZZZZ-ZZZZ-ZZZZ", "csrf_token": token})
    assert unknown.status_code == 404 and "没有这个报名码" in unknown.get_data(as_text=True)
    malformed = staff_client.post(url, data={"code": "hello", "csrf_token": token})
    assert malformed.status_code == 422 and "报名码格式不对" in malformed.get_data(as_text=True)
    queued = staff_client.post(url, data={"code": waiting, "csrf_token": token})
    assert queued.status_code == 409 and "候补名单" in queued.get_data(as_text=True)
    lot_meeting = make_meeting(mode="lot")
    ((_, applied),) = sign_up(lot_meeting, 1)
    undrawn = staff_client.post(
        f"/staff/meetings/{lot_meeting.id}/checkin", data={"code": applied, "csrf_token": token}
    )
    assert undrawn.status_code == 409 and "还没有抽签" in undrawn.get_data(as_text=True)
    assert services.present_count(meeting) == 0
    assert staff_client.post(url, data={"code": ok, "csrf_token": token}).status_code == 302
    assert services.present_count(meeting) == 1


def test_lot_draw_is_reproduced_from_its_published_inputs(app, staff_client):
    meeting = make_meeting(mode="lot", capacity=4, waitlist=0)
    entries = sign_up(meeting, 10)
    assert all(s.status == "applied" for s, _ in entries)
    # One applicant withdraws before the draw.
    services.cancel_signup(meeting, entries[3][1])
    db.session.commit()
    public = app.test_client()
    before = public.get(f"/meetings/{meeting.id}/draw.json").get_json()
    assert before["algorithm"] == "yishi-lot/2"
    assert before["seed"] is None and before["secret"] is None and len(before["secret_sha256"]) == 64
    assert before["beacon_source"] == "中国福利彩票双色球开奖号码" and before["beacon_date"]
    notice = public.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert before["secret_sha256"] in notice and "中国福利彩票双色球开奖号码" in notice
    url = f"/staff/meetings/{meeting.id}/draw"
    data = {"beacon_value": "03 07 12 19 25 31 + 09", "confirm": "y"}
    token = csrf_token(staff_client, f"/staff/meetings/{meeting.id}")
    early = staff_client.post(url, data=dict(data, csrf_token=token))
    assert early.status_code == 409 and "报名截止后才能抽签" in early.get_data(as_text=True)
    move(meeting, hours=-24 * 9 - 12)  # the deadline has passed, the meeting has not begun
    meeting.lot_beacon_date = local_today() + timedelta(days=1)
    db.session.commit()
    unpublished = staff_client.post(url, data=dict(data, csrf_token=token))
    assert unpublished.status_code == 409 and "才公布" in unpublished.get_data(as_text=True)
    meeting.lot_beacon_date = local_today()
    db.session.commit()
    unconfirmed = staff_client.post(url, data={"beacon_value": data["beacon_value"], "csrf_token": token})
    assert unconfirmed.status_code == 422 and "确认公开抽签" in unconfirmed.get_data(as_text=True)
    empty = staff_client.post(url, data={"beacon_value": "  ", "confirm": "y", "csrf_token": token})
    assert empty.status_code == 422
    assert public.get(f"/meetings/{meeting.id}/draw.json").get_json()["seed"] is None  # nothing drawn yet
    assert staff_client.post(url, data=dict(data, csrf_token=token)).status_code == 302
    twice = staff_client.post(url, data=dict(data, csrf_token=token))
    assert twice.status_code == 409

    # Anyone re-runs the draw from the published record alone.
    record = public.get(f"/meetings/{meeting.id}/draw.json").get_json()
    assert record["secret_sha256"] == before["secret_sha256"] == lot.seed_commitment(record["secret"])
    assert record["beacon_value"] == "03 07 12 19 25 31 + 09"
    expected_entrants = sorted(s.number for i, (s, _) in enumerate(entries) if i != 3)
    assert record["entrants"] == expected_entrants
    assert record["entrants_sha256"] == lot.entrants_digest(expected_entrants)
    assert record["seed"] == lot.derive_seed(record["secret"], record["beacon_value"], record["entrants_sha256"])
    drawn, waiting = lot.draw(record["seed"], record["entrants"], record["capacity"])
    assert drawn == record["drawn"] and drawn + waiting == record["order"]
    assert lot.check_record(record) == (drawn, waiting)
    stored = {s.number: s for s in db.session.scalars(select(Signup).where(Signup.meeting_id == meeting.id))}
    assert sorted(n for n, s in stored.items() if s.status == "confirmed") == sorted(drawn)
    assert [n for n, s in sorted(stored.items(), key=lambda kv: kv[1].queue or 0) if s.status == "waiting"] == waiting
    page = public.get(f"/meetings/{meeting.id}/draw").get_data(as_text=True)
    for value in (record["secret"], record["seed"], record["entrants_sha256"], record["secret_sha256"]):
        assert value in page
    assert "03 07 12 19 25 31 + 09" in page and "HMAC-SHA256" in page

    # The command-line check agrees, and names what does not hold in a changed record.
    path = app.instance_path + "/draw.json"

    def verify(changed: dict):
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(record | changed, fh)
        return app.test_cli_runner().invoke(args=["meeting", "verify-draw", path])

    result = verify({})
    assert result.exit_code == 0 and "OK: 4 drawn, 5 on the waiting list" in result.output
    assert record["secret"] in result.output and "03 07 12 19 25 31 + 09" in result.output
    assert "does not match the SHA-256" in verify({"secret": "0" * 64}).output
    assert "entrant list" in verify({"entrants": record["entrants"][1:]}).output
    assert "not derived" in verify({"beacon_value": "03 07 12 19 25 31 + 10"}).output
    assert "does not match a re-run" in verify({"drawn": record["order"][-4:]}).output


def test_a_lot_meeting_names_its_public_value_before_sign_up(app, staff_client):
    """The notice must name a public value published after the deadline."""
    meeting = make_meeting(mode="lot", announce=False)
    meeting.lot_beacon_source = None
    db.session.commit()
    token = csrf_token(staff_client, f"/staff/meetings/{meeting.id}")
    refused = staff_client.post(f"/staff/meetings/{meeting.id}/announce", data={"csrf_token": token, "confirm": "y"})
    assert refused.status_code == 422 and "公开随机源" in refused.get_data(as_text=True)
    meeting = db.session.get(Meeting, meeting.id)
    meeting.lot_beacon_source = "中国福利彩票双色球开奖号码"
    meeting.lot_beacon_date = to_local(meeting.signup_deadline).date()  # the deadline's own day
    db.session.commit()
    too_early = staff_client.post(f"/staff/meetings/{meeting.id}/announce", data={"csrf_token": token, "confirm": "y"})
    assert too_early.status_code == 422 and "须晚于报名截止日" in too_early.get_data(as_text=True)
    assert db.session.get(Meeting, meeting.id).is_draft


def test_public_posts_are_rate_limited(app, client):
    app.config["YISHI_PUBLIC_POST_LIMIT"] = "2 per minute"
    meeting = make_meeting(capacity=10)
    assert post_signup(client, meeting.id, "13911110001").status_code == 200
    assert post_signup(client, meeting.id, "13911110002").status_code == 200
    limited = post_signup(client, meeting.id, "13911110003")
    assert limited.status_code == 429 and "请求过于频繁" in limited.get_data(as_text=True)
    assert count(meeting.id) == 2
    # Opinions have their own count under the same limit.
    url = f"/meetings/{meeting.id}/opinions/new"
    data = {"agenda_item": "0", "category": "other", "anonymous": "y", "body": "建议增加座椅。"}
    statuses = [client.post(url, data=dict(data, csrf_token=csrf_token(client, url))).status_code for _ in range(3)]
    assert statuses == [303, 303, 429]
