"""Scrutineers (protocol revision 5) over HTTP: staff name them on a draft, each enrolls
a key made on their own device, the manifest lists them, each co-signs the closing
through ``POST /api/polls/<poll>/cosignatures`` (answers in the protocol's order), and
the published board verifies with check 8 from the command line."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from core.models import User
from extensions import db
from tests.factories import csrf_from, csrf_token, login, make_congress, make_user
from tests.voting.factories import approval_poll, board, cast, check_in_all, deputy_client, run_verifier, take_token
from voting import services
from voting.models import Poll, PollScrutineer
from voting.protocol import signing
from voting.protocol.board import cosign
from voting.protocol.encoding import b64url_encode
from voting.services import scrutineers as scrutiny

# A small-order point (the identity) and a key whose y is not below 2^255 - 19.
SMALL_ORDER = bytes.fromhex("0100000000000000000000000000000000000000000000000000000000000000")
NOT_CANONICAL = (2**255 - 19 + 3).to_bytes(32, "little")


# --- helpers (the browser tests use them too) -------------------------------------------


def name_scrutineers(app, poll_id: int, deputy_ids, threshold=None):
    """Staff name the scrutineers through the staff page; returns the response."""
    client = app.test_client()
    if db.session.scalar(select(User.id).where(User.username == "staff-s")) is None:
        make_user("staff-s", "staff")
    assert login(client, "staff-s").status_code == 302
    token = csrf_token(client, f"/staff/polls/{poll_id}/scrutineers")
    data = {"csrf_token": token, "scrutineer": [str(d) for d in deputy_ids]}
    if threshold is not None:
        data["threshold"] = str(threshold)
    return client.post(f"/staff/polls/{poll_id}/scrutineers", data=data)


class Phone:
    """A scrutineer's device: its own key pair, and the deputy's logged-in client."""

    def __init__(self, app, code: str, public_id: str):
        self.private, self.public = signing.generate_keypair()
        self.client = deputy_client(app, code)
        self.public_id = public_id
        page = self.client.get(f"/polls/{public_id}/scrutineer")
        assert page.status_code == 200, page.get_data(as_text=True)[:300]
        self.csrf = csrf_from(page.get_data(as_text=True))

    @property
    def key(self) -> str:
        return b64url_encode(self.public)

    def enroll(self, raw: bytes | None = None):
        return self.client.post(
            f"/polls/{self.public_id}/scrutineer/key",
            json={"key": b64url_encode(raw if raw is not None else self.public)},
            headers={"X-CSRFToken": self.csrf, "Accept": "application/json"},
        )

    def post(self, body):
        return self.client.post(
            f"/api/polls/{self.public_id}/cosignatures", json=body, headers={"X-CSRFToken": self.csrf}
        )

    def cosign(self, closing):
        return self.post(cosign(self.private, closing))


def choices(poll, yes=()):
    return {o["id"]: "yes" if o["id"] in yes else "no" for o in poll.manifest["options"]}


def draft_with_scrutineers(app, n_deputies=6, scrutineer_codes=("D001", "D002", "D003"), threshold=None):
    congress, session = make_congress(n_deputies)
    check_in_all(session, congress.deputies)
    poll = approval_poll(session, options=3, seats=1, open_=False)
    ids = [d.id for d in congress.deputies if d.code in scrutineer_codes]
    ids.sort(key=lambda i: [d.id for d in congress.deputies if d.code in scrutineer_codes].index(i))
    response = name_scrutineers(app, poll.id, ids, threshold)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    phones = [Phone(app, code, poll.public_id) for code in scrutineer_codes]
    for phone in phones:
        assert phone.enroll().status_code == 201
    return congress, session, poll, phones


def open_vote_close(app, poll_id: int, codes=("D004", "D005")):
    poll = db.session.get(Poll, poll_id)
    services.open_poll(poll)
    db.session.commit()
    for code in codes:
        voter = take_token(app, poll, code)
        assert cast(app, poll, voter.ballot(choices(poll, yes=("p01",)))).status_code == 201
    services.close_poll(db.session.get(Poll, poll_id))
    return db.session.get(Poll, poll_id)


# --- naming ---------------------------------------------------------------------------


def test_staff_name_scrutineers_of_the_session_only_1_to_9_and_threshold_bounds(app):
    congress, session = make_congress(12)
    other, _other_session = make_congress(2, name="另一个人大", prefix="X")
    poll = approval_poll(session, options=3, seats=1, open_=False)
    ids = [d.id for d in congress.deputies]
    too_many = name_scrutineers(app, poll.id, ids[:10])
    assert too_many.status_code == 422
    assert "1 到 9" in too_many.get_data(as_text=True)
    outsider = name_scrutineers(app, poll.id, [ids[0], other.deputies[0].id])
    assert outsider.status_code == 422
    assert "本次会议的代表" in outsider.get_data(as_text=True)
    assert name_scrutineers(app, poll.id, [ids[0], ids[0]]).status_code == 422
    high = name_scrutineers(app, poll.id, ids[:3], threshold=4)
    assert high.status_code == 422 and "1 到监票人人数（3）" in high.get_data(as_text=True)
    assert name_scrutineers(app, poll.id, ids[:3], threshold=0).status_code == 422
    assert db.session.scalars(select(PollScrutineer)).all() == []
    ok = name_scrutineers(app, poll.id, [ids[2], ids[0], ids[1]], threshold=2)
    assert ok.status_code == 303
    rows = scrutiny.scrutineers_of(db.session.get(Poll, poll.id))
    assert [r.deputy_id for r in rows] == [ids[2], ids[0], ids[1]]
    assert db.session.get(Poll, poll.id).cosign_threshold == 2
    # The staff page lists them; nobody is enrolled yet, so the poll cannot open.
    page = name_scrutineers(app, poll.id, [ids[2], ids[0], ids[1]], threshold=2)
    assert page.status_code == 303
    client = app.test_client()
    login(client, "staff-s")
    token = csrf_token(client, f"/staff/polls/{poll.id}")
    refused = client.post(f"/staff/polls/{poll.id}/open", data={"csrf_token": token, "confirm": "y"})
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    for deputy in (congress.deputies[2], congress.deputies[0], congress.deputies[1]):
        assert deputy.name in text
    assert db.session.get(Poll, poll.id).is_draft


def test_open_poll_cannot_change_its_scrutineers(app):
    _congress, _session, poll, phones = draft_with_scrutineers(app)
    services.open_poll(db.session.get(Poll, poll.id))
    db.session.commit()
    assert name_scrutineers(app, poll.id, []).status_code == 409


# --- enrollment -------------------------------------------------------------------------


def test_enrollment_refusals(app):
    congress, session = make_congress(5)
    poll = approval_poll(session, options=2, seats=1, open_=False)
    assert name_scrutineers(app, poll.id, [congress.deputies[0].id, congress.deputies[1].id]).status_code == 303
    phone = Phone(app, "D001", poll.public_id)
    # The deputy's own page links to the scrutineer's page of the draft.
    home = phone.client.get("/me").get_data(as_text=True)
    assert "我担任监票人的投票" in home and f"/polls/{poll.public_id}/scrutineer" in home
    small = phone.enroll(SMALL_ORDER)
    assert small.status_code == 422 and small.get_json()["error"] == "bad_scrutineer_key"
    assert "small order" in small.get_json()["message"]
    odd = phone.enroll(NOT_CANONICAL)
    assert odd.status_code == 422 and "not canonical" in odd.get_json()["message"]
    short = phone.client.post(
        f"/polls/{poll.public_id}/scrutineer/key",
        json={"key": "AAAA"},
        headers={"X-CSRFToken": phone.csrf, "Accept": "application/json"},
    )
    assert short.status_code == 422
    # A deputy who is not a scrutineer cannot even see the draft.
    outsider = deputy_client(app, "D003")
    assert outsider.get(f"/polls/{poll.public_id}/scrutineer").status_code == 404
    assert phone.enroll().status_code == 201
    # Before the open a new key replaces the old one (a phone lost before the vote).
    second = Phone(app, "D001", poll.public_id)
    assert second.enroll().status_code == 201
    # Another scrutineer cannot enroll the same key.
    other = Phone(app, "D002", poll.public_id)
    taken = other.enroll(second.public)
    assert taken.status_code == 409
    assert other.enroll().status_code == 201
    assert db.session.scalar(select(PollScrutineer.key).where(PollScrutineer.deputy_id == congress.deputies[0].id)) == (
        second.key
    )
    services.open_poll(db.session.get(Poll, poll.id))
    db.session.commit()
    late = Phone(app, "D001", poll.public_id).enroll()
    assert late.status_code == 409 and late.get_json()["error"] == "scrutineer_key_fixed"
    manifest = app.test_client().get(f"/api/polls/{poll.public_id}/manifest").get_json()["manifest"]
    assert manifest["scrutineers"] == [
        {"name": congress.deputies[0].name, "key": second.key},
        {"name": congress.deputies[1].name, "key": other.key},
    ]
    assert manifest["cosign_threshold"] == 2
    # The open poll's public page shows names and fingerprints.
    page = app.test_client().get(f"/polls/{poll.public_id}").get_data(as_text=True)
    assert signing.fingerprint(second.public) in page and congress.deputies[1].name in page


# --- co-signatures ----------------------------------------------------------------------


def test_cosignature_answers_in_the_protocols_order(app, tmp_path):
    congress, _session, poll, phones = draft_with_scrutineers(app)
    a, b, c = phones
    # Before the close: 404 board_not_published, whatever the body.
    services.open_poll(db.session.get(Poll, poll.id))
    db.session.commit()
    early = a.post({"nonsense": 1})
    assert early.status_code == 404 and early.get_json()["error"] == "board_not_published"
    unknown = a.client.post("/api/polls/no-such-poll/cosignatures", json={}, headers={"X-CSRFToken": a.csrf})
    assert unknown.status_code == 404 and unknown.get_json()["error"] == "unknown_poll"
    for code in ("D004", "D005"):
        voter = take_token(app, db.session.get(Poll, poll.id), code)
        assert (
            cast(app, poll.public_id, voter.ballot(choices(db.session.get(Poll, poll.id), yes=("p01",)))).status_code
            == 201
        )
    services.close_poll(db.session.get(Poll, poll.id))
    closed = db.session.get(Poll, poll.id)
    closing = closed.closing
    # The board at the close: cosignatures present and empty; caches must ask again.
    response = app.test_client().get(f"/api/polls/{poll.public_id}/board")
    assert json.loads(response.get_data())["cosignatures"] == []
    assert response.headers["Cache-Control"] == "no-cache"
    first_etag = response.headers["ETag"]
    # 422 bad_request: malformed bodies.
    for body in ({"key": a.key}, {"key": a.key, "sig": "!!"}, {"key": "AAAA", "sig": "AAAA"}, [1]):
        bad = a.post(body)
        assert bad.status_code == 422 and bad.get_json()["error"] == "bad_request", body
    # 403 not_a_scrutineer: another deputy, or the key of someone else.
    outsider = deputy_client(app, "D004")
    page = outsider.get(f"/polls/{poll.public_id}")
    token = csrf_from(page.get_data(as_text=True))
    not_one = outsider.post(
        f"/api/polls/{poll.public_id}/cosignatures", json=cosign(a.private, closing), headers={"X-CSRFToken": token}
    )
    assert not_one.status_code == 403 and not_one.get_json()["error"] == "not_a_scrutineer"
    theirs = a.post(cosign(b.private, closing))
    assert theirs.status_code == 403 and theirs.get_json()["error"] == "not_a_scrutineer"
    # 422 bad_cosignature: not over this closing.
    other = dict(closing, size=closing["size"] + 1)
    forged = a.post(cosign(a.private, other))
    assert forged.status_code == 422 and forged.get_json()["error"] == "bad_cosignature"
    # 201 stored, then 200 for the same signature again.
    assert a.cosign(closing).status_code == 201
    again = a.cosign(closing)
    assert again.status_code == 200 and again.get_json() == cosign(a.private, closing)
    # 409 already_cosigned: another valid signature for that key (stored one replaced
    # by a fake to stand for a second valid signature: Ed25519 is deterministic).
    row = db.session.scalar(select(PollScrutineer).where(PollScrutineer.key == a.key))
    row.cosig = b64url_encode(b"\x01" * 64)
    db.session.commit()
    conflict = a.cosign(closing)
    assert conflict.status_code == 409 and conflict.get_json()["error"] == "already_cosigned"
    row = db.session.scalar(select(PollScrutineer).where(PollScrutineer.key == a.key))
    row.cosig = cosign(a.private, closing)["sig"]
    db.session.commit()
    # The signature arrived after the close: the board carries it, the ETag changed.
    response = app.test_client().get(f"/api/polls/{poll.public_id}/board")
    assert response.headers["ETag"] != first_etag
    assert json.loads(response.get_data())["cosignatures"] == [cosign(a.private, closing)]


def _fingerprints(phones):
    return [signing.fingerprint(p.public) for p in phones]


def _verify(app, poll, phones, tmp_path):
    published = board(app, poll)
    status, output = run_verifier(published, tmp_path, fingerprint=poll.fingerprint)
    import contextlib
    import io

    from voting.protocol import verify

    path = tmp_path / "board-s.json"
    path.write_text(json.dumps(published, ensure_ascii=False))
    argv = [str(path), "--fingerprint", poll.fingerprint]
    for fp in _fingerprints(phones):
        argv += ["--scrutineer", fp]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = verify.main(argv)
    return published, status, out.getvalue()


def test_three_sign_and_the_board_verifies_with_eight_ok_lines(app, tmp_path):
    congress, _session, poll, phones = draft_with_scrutineers(app)
    closed = open_vote_close(app, poll.id)
    for phone in phones:
        assert phone.cosign(closed.closing).status_code == 201
    published, status, output = _verify(app, closed, phones, tmp_path)
    assert status == 0, output
    assert output.count("ok ") == 8 and "FAIL" not in output
    assert "ok 8 cosignatures (3 of 3 scrutineers, 3 needed)" in output
    assert [c["key"] for c in published["cosignatures"]] == [p.key for p in phones]
    # The closing did not change when the signatures arrived.
    assert published["closing"] == closed.closing
    # The results page: 3 of 3 with names, and the exact command.
    page = app.test_client().get(f"/polls/{poll.public_id}").get_data(as_text=True)
    command = f"python -m voting.verify board-{poll.public_id}.json --fingerprint {closed.fingerprint}" + "".join(
        f" --scrutineer {fp}" for fp in _fingerprints(phones)
    )
    assert command in page
    assert "3 / 3 位监票人已签名" in page
    for deputy in congress.deputies[:3]:
        assert deputy.name in page
    # In English too, on the results page and on a scrutineer's page.
    english = app.test_client()
    english.set_cookie("yishi_lang", "en")
    page = english.get(f"/polls/{poll.public_id}").get_data(as_text=True)
    assert "3 of 3 scrutineers signed" in page and "(3 needed)" in page
    phones[0].client.set_cookie("yishi_lang", "en")
    mine = phones[0].client.get(f"/polls/{poll.public_id}/scrutineer").get_data(as_text=True)
    assert "The scrutineer key on this phone" in mine and "Check the board and sign" in mine


def test_threshold_all_with_one_missing_fails_check_8_naming_them(app, tmp_path):
    congress, _session, poll, phones = draft_with_scrutineers(app)
    closed = open_vote_close(app, poll.id)
    for phone in phones[:2]:
        assert phone.cosign(closed.closing).status_code == 201
    # The third declines, with a reason shown on the poll's page.
    page = phones[2].client.get(f"/polls/{poll.public_id}/scrutineer")
    token = csrf_from(page.get_data(as_text=True))
    declined = phones[2].client.post(
        f"/polls/{poll.public_id}/scrutineer/decline", data={"csrf_token": token, "reason": "纸质计票与电子计票不一致"}
    )
    assert declined.status_code == 303
    _published, status, output = _verify(app, closed, phones, tmp_path)
    assert status == 1
    assert "FAIL 8" in output
    missing = congress.deputies[2]
    assert missing.name in output and signing.fingerprint(phones[2].public) in output
    results = app.test_client().get(f"/polls/{poll.public_id}").get_data(as_text=True)
    assert "纸质计票与电子计票不一致" in results and "2 / 3 位监票人已签名" in results
    # Staff cannot sign for anyone: a staff member's post is refused.
    staff = app.test_client()
    make_user("staff-x", "staff")
    login(staff, "staff-x")
    token = csrf_token(staff, "/staff/polls")
    refused = staff.post(
        f"/api/polls/{poll.public_id}/cosignatures",
        json=cosign(phones[2].private, closed.closing),
        headers={"X-CSRFToken": token},
    )
    assert refused.status_code == 403


def test_threshold_two_passes_with_two_of_three(app, tmp_path):
    _congress, _session, poll, phones = draft_with_scrutineers(app, threshold=2)
    closed = open_vote_close(app, poll.id)
    assert closed.manifest["cosign_threshold"] == 2
    for phone in (phones[0], phones[2]):
        assert phone.cosign(closed.closing).status_code == 201
    published, status, output = _verify(app, closed, phones, tmp_path)
    assert status == 0, output
    assert "ok 8 cosignatures (2 of 3 scrutineers, 2 needed)" in output
    assert [c["key"] for c in published["cosignatures"]] == [phones[0].key, phones[2].key]


@pytest.mark.parametrize("kind", ["page", "json"])
def test_published_pages_refresh_when_a_signature_arrives(app, kind):
    _congress, _session, poll, phones = draft_with_scrutineers(app, scrutineer_codes=("D001",))
    closed = open_vote_close(app, poll.id)
    url = f"/polls/{poll.public_id}" + ("/results.json" if kind == "json" else "")
    before = app.test_client().get(url)
    assert before.headers["Cache-Control"] == "no-cache"
    assert phones[0].cosign(closed.closing).status_code == 201
    after = app.test_client().get(url)
    assert after.headers["ETag"] != before.headers["ETag"]
    if kind == "page":
        assert "1 / 1 位监票人已签名" in after.get_data(as_text=True)
    assert after.headers["Cache-Control"] == "public, max-age=300"


def test_a_draft_with_scrutineers_can_be_deleted(app):
    congress, session = make_congress(4)
    poll = approval_poll(session, options=2, seats=1, open_=False)
    poll_id = poll.id
    assert name_scrutineers(app, poll.id, [congress.deputies[0].id]).status_code == 303
    assert Phone(app, "D001", poll.public_id).enroll().status_code == 201
    client = app.test_client()
    login(client, "staff-s")
    token = csrf_token(client, f"/staff/polls/{poll.id}")
    response = client.post(f"/staff/polls/{poll.id}/delete", data={"csrf_token": token, "confirm": "y"})
    assert response.status_code == 302
    assert db.session.scalar(select(Poll.id).where(Poll.id == poll_id)) is None
    assert db.session.scalars(select(PollScrutineer)).all() == []
