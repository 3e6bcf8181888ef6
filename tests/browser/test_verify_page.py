"""The /verify page checks a board in the browser: a closed poll picked from the list
with a receipt and its ballot file, on a 375-px phone, prints the command line's eight ok
lines; a board file changed by one vote is refused under the check that owns it."""

from __future__ import annotations

import json
import os
from pathlib import Path

from playwright.sync_api import expect

from tests.factories import make_congress
from tests.voting.factories import approval_poll, board, cast, check_in_all, close, run_verifier, take_token


def test_the_verify_page_checks_a_board_in_the_browser(app, live_server, phone, tmp_path):
    congress, session = make_congress(3)
    check_in_all(session, congress.deputies)
    poll = approval_poll(session, options=2, seats=1)
    voter = take_token(app, poll, "D002")
    body = voter.ballot({"p01": "yes", "p02": "no"})
    receipt = cast(app, poll, body).get_json()
    close(poll)
    published = board(app, poll)
    (tmp_path / "receipt.json").write_text(json.dumps(receipt))
    (tmp_path / "ballot.json").write_text(json.dumps(body["ballot"]))
    status, expected = run_verifier(published, tmp_path, [receipt], [body["ballot"]], fingerprint=poll.fingerprint)
    assert status == 0

    phone.goto(f"{live_server.url}/verify")
    phone.select_option("#verify-poll", poll.public_id)
    phone.fill("#verify-fingerprint", poll.fingerprint)
    phone.set_input_files("#verify-receipts", str(tmp_path / "receipt.json"))
    phone.set_input_files("#verify-ballots", str(tmp_path / "ballot.json"))
    phone.click("#verify-form button[type=submit]")
    expect(phone.locator("#verify-verdict")).to_have_text("全部八项检查通过。", timeout=20000)
    lines = phone.locator("#verify-output").inner_text().splitlines()
    # The same eight lines as the command line, paths aside (the receipt line names none).
    assert lines == expected.splitlines()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    shots = Path(os.environ.get("YISHI_TEST_ARTIFACTS") or tmp_path) / "verify-page"
    shots.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=str(shots / "in-page-ok.png"), full_page=True)

    # A board file with one vote moved: the result no longer matches (check 5 and 6).
    tampered = dict(published)
    tampered["result"] = json.loads(json.dumps(published["result"]))
    tampered["result"]["options"][0]["yes"] += 1
    path = tmp_path / "board-changed.json"
    path.write_text(json.dumps(tampered, ensure_ascii=False))
    phone.select_option("#verify-poll", "")
    phone.set_input_files("#verify-receipts", [])
    phone.set_input_files("#verify-ballots", [])
    phone.set_input_files("#verify-board-file", str(path))
    phone.click("#verify-form button[type=submit]")
    expect(phone.locator("#verify-verdict")).to_contain_text("有检查未通过", timeout=20000)
    output = phone.locator("#verify-output").inner_text()
    assert "FAIL 5 closing" in output and "FAIL 6 result" in output and "ok 2 ballots" in output
    assert phone.locator("#verify-verdict").get_attribute("role") == "alert"
