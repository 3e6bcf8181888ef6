"""Scrutineers co-sign on their own phones (protocol revision 5): three deputies enroll
keys made by WebCrypto Ed25519 in Chromium on 375-px phones, the poll opens, each phone
checks the signed manifest lists its key, ballots are cast, the poll closes, and each
phone checks the board in the page (boardcheck.js), shows the count and signs the
closing; the board then verifies with 8 ok lines and --scrutineer. A server that swaps
one scrutineer's key is caught by that scrutineer's phone before the vote.

Screenshots go to ``$YISHI_TEST_ARTIFACTS/scrutineers`` when that is set, otherwise
under the test's temporary folder."""

from __future__ import annotations

import contextlib
import io
import json
import os
from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy import select

from extensions import db
from tests.browser.factories import PHONE, assert_accessible, login_in_browser
from tests.factories import PASSWORD, make_congress, make_user
from tests.voting.factories import approval_poll, board, cast, check_in_all, take_token
from tests.voting.test_scrutineers import name_scrutineers
from voting import services
from voting.models import Poll, PollScrutineer
from voting.protocol import signing
from voting.protocol.encoding import b64url_decode, b64url_encode


def _shots(tmp_path: Path) -> Path:
    base = os.environ.get("YISHI_TEST_ARTIFACTS")
    folder = Path(base) / "scrutineers" if base else tmp_path / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    print(f"screenshots: {folder}")
    return folder


def _phone(browser, base_url: str, code: str):
    context = browser.new_context(locale="zh-CN", **PHONE)
    page = context.new_page()
    login_in_browser(page, base_url, code, PASSWORD)
    return context, page


def _enroll(page, base_url: str, public_id: str) -> str:
    page.goto(f"{base_url}/polls/{public_id}/scrutineer")
    page.click("#enroll-button")
    expect(page.locator("#scrutineer-status")).to_contain_text("密钥已登记")
    return page.locator("#own-fingerprint").inner_text().strip()


def _draft(app, codes):
    congress, session = make_congress(6)
    check_in_all(session, congress.deputies)
    poll = approval_poll(session, options=3, seats=1, open_=False)
    ids = {d.code: d.id for d in congress.deputies}
    response = name_scrutineers(app, poll.id, [ids[c] for c in codes])
    assert response.status_code == 303
    return poll


def test_three_scrutineers_enroll_check_and_cosign_on_their_phones(app, live_server, browser, tmp_path):
    shots = _shots(tmp_path)
    codes = ("D001", "D002", "D003")
    poll = _draft(app, codes)
    phones = [_phone(browser, live_server.url, code) for code in codes]
    try:
        prints = [_enroll(page, live_server.url, poll.public_id) for _context, page in phones]
        phones[0][1].screenshot(path=str(shots / "enrolled-375.png"), full_page=True)
        stored = db.session.scalars(
            select(PollScrutineer.key).where(PollScrutineer.poll_id == poll.id).order_by(PollScrutineer.position)
        ).all()
        assert prints == [signing.fingerprint(b64url_decode(key)) for key in stored]
        # Each phone kept a non-extractable private key.
        extractable = phones[0][1].evaluate(
            """() => new Promise(resolve => { const r = indexedDB.open('yishi-scrutineer', 1);
                 r.onsuccess = () => { const g = r.result.transaction('keys').objectStore('keys').getAll();
                 g.onsuccess = () => resolve(g.result.map(x => x.privateKey.extractable)); }; })"""
        )
        assert extractable == [False]

        services.open_poll(db.session.get(Poll, poll.id))
        db.session.commit()
        for _context, page in phones:
            page.reload()
            expect(page.locator("#manifest-status")).to_contain_text("正是这部手机上的密钥")
            expect(page.locator("#scrutineer-alert")).to_be_hidden()
        phones[1][1].screenshot(path=str(shots / "manifest-checked-375.png"), full_page=True)
        assert_accessible(phones[1][1], "scrutineer page (open)")

        opened = db.session.get(Poll, poll.id)
        for code, yes in (("D004", "yes"), ("D005", "yes"), ("D006", "no")):
            voter = take_token(app, opened, code)
            choices = {o["id"]: "no" for o in opened.manifest["options"]}
            choices["p01"] = yes
            assert cast(app, opened, voter.ballot(choices)).status_code == 201
        services.close_poll(db.session.get(Poll, poll.id))

        for i, (_context, page) in enumerate(phones):
            page.reload()
            expect(page.locator("#cosign-form")).to_be_visible(timeout=20000)
            lines = page.locator("#check-lines").inner_text()
            for n in range(1, 8):
                assert f"ok {n} " in lines, lines
            assert page.locator("#count-table tr[data-option=p01] td").first.inner_text() == "2"
            if i == 0:
                # Signing needs the confirmation first.
                page.click("#cosign-button")
                expect(page.locator("#board-status")).to_contain_text("请先勾选")
                page.screenshot(path=str(shots / "board-checked-375.png"), full_page=True)
            page.check("#cosign-confirm")
            page.click("#cosign-button")
            expect(page.locator("#cosign-done")).to_be_visible()
            assert page.evaluate("document.documentElement.scrollWidth") <= 375
        phones[2][1].screenshot(path=str(shots / "signed-375.png"), full_page=True)

        closed = db.session.get(Poll, poll.id)
        published = board(app, closed)
        assert len(published["cosignatures"]) == 3
        path = tmp_path / "board.json"
        path.write_text(json.dumps(published, ensure_ascii=False))
        argv = [str(path), "--fingerprint", closed.fingerprint]
        for fp in prints:
            argv += ["--scrutineer", fp]
        from voting.protocol import verify

        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            status = verify.main(argv)
        assert status == 0, out.getvalue()
        assert "ok 8 cosignatures (3 of 3 scrutineers, 3 needed)" in out.getvalue()

        # The results page shows each scrutineer's fingerprint and 3 of 3.
        results = phones[0][1]
        results.goto(f"{live_server.url}/polls/{poll.public_id}")
        expect(results.locator("#cosign-summary")).to_contain_text("3 / 3")
        for fp in prints:
            expect(results.locator("#verify-command")).to_contain_text(f"--scrutineer {fp}")
        results.screenshot(path=str(shots / "results-375.png"), full_page=True)
    finally:
        for context, _page in phones:
            context.close()


def test_a_swapped_key_is_caught_by_the_scrutineers_phone_before_the_vote(app, live_server, browser, page, tmp_path):
    shots = _shots(tmp_path)
    congress, session = make_congress(6)
    poll = approval_poll(session, options=3, seats=1, open_=False)
    # Staff name the two scrutineers on the staff page (a picker of the session's deputies).
    make_user("staff1", "staff")
    login_in_browser(page, live_server.url, "staff1", PASSWORD)
    page.goto(f"{live_server.url}/staff/polls/{poll.id}")
    page.click("#scrutineers-link")
    page.select_option("#scrutineer-1", str(congress.deputies[0].id))
    page.select_option("#scrutineer-2", str(congress.deputies[1].id))
    page.click("#scrutineers-form button[type=submit]")
    expect(page.locator("#scrutineers")).to_contain_text(congress.deputies[1].name)
    page.screenshot(path=str(shots / "staff-named.png"), full_page=True)
    assert_accessible(page, "staff scrutineers page")
    # Opening before they enrolled is refused, naming them.
    page.goto(f"{live_server.url}/staff/polls/{poll.id}")
    page.check("#open-box")
    page.click("main form[action$='/open'] button[type=submit]")
    expect(page.locator("main")).to_contain_text(congress.deputies[0].name)
    phones = [_phone(browser, live_server.url, code) for code in ("D001", "D002")]
    try:
        for _context, phone in phones:
            _enroll(phone, live_server.url, poll.public_id)
        # The server replaces D001's key with one it holds itself, and opens.
        private, public = signing.generate_keypair()
        row = db.session.scalar(
            select(PollScrutineer).where(PollScrutineer.poll_id == poll.id, PollScrutineer.position == 0)
        )
        row.key = b64url_encode(public)
        db.session.commit()
        services.open_poll(db.session.get(Poll, poll.id))
        db.session.commit()
        cheated, honest = phones[0][1], phones[1][1]
        cheated.reload()
        alert = cheated.locator("#scrutineer-alert")
        expect(alert).to_be_visible()
        expect(alert).to_contain_text("没有这部手机上的密钥")
        assert alert.get_attribute("role") == "alert"
        cheated.screenshot(path=str(shots / "swapped-key-375.png"), full_page=True)
        honest.reload()
        expect(honest.locator("#manifest-status")).to_contain_text("正是这部手机上的密钥")
        expect(honest.locator("#scrutineer-alert")).to_be_hidden()
    finally:
        for context, _page in phones:
            context.close()
