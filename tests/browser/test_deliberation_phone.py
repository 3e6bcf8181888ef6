"""On a phone: a resident signs up for a meeting, staff check them in at the door by
the code from the QR, and the public reply page (回音) shows every opinion's answer."""

import pytest
from playwright.sync_api import expect

from deliberation import services
from extensions import db
from tests.browser.factories import PHONE, assert_accessible, login_in_browser
from tests.deliberation.factories import lead_unit, make_meeting
from tests.factories import PASSWORD


@pytest.mark.slow
def test_sign_up_check_in_and_reply_page_on_a_phone(app, live_server, phone, browser, staff):
    meeting = make_meeting(capacity=5, waitlist=0)
    opinion, _ = services.submit_opinion(
        meeting,
        agenda_item_id=meeting.agenda[1].id,
        category="suggestion",
        author_name=None,
        body="一楼住户不分摊建设费用。",
    )
    reply = services.assign(opinion, lead_unit())
    services.update_reply(reply, status="done", body="采纳，方案已调整。", outcome="adopted")
    db.session.commit()
    base = live_server.url

    # The resident signs up on the notice page, without an account.
    phone.goto(f"{base}/meetings/{meeting.id}")
    assert_accessible(phone, "notice")
    phone.click("text=报名参会")
    assert_accessible(phone, "sign-up form")
    phone.fill("#name", "沈玉兰")
    phone.fill("#phone", "13905761234")
    phone.fill("#area", "桂花苑")
    phone.click("main form button[type=submit]")
    expect(phone.locator("h1")).to_have_text("报名成功")
    code = phone.locator("#signup-code").inner_text().strip()
    assert len(code) == 19 and phone.locator(".qr-box svg").count() == 1  # 16 characters, 80 bits
    # The QR carries the check-in address with the code in its fragment, never its query.
    qr_url = phone.locator(".qr-box svg title").text_content()
    assert qr_url == f"{base}/staff/meetings/{meeting.id}/checkin#code={code}"
    phone.reload()  # a reload shows the same code, never a second sign-up or a 409
    expect(phone.locator("#signup-code")).to_have_text(code)
    assert_accessible(phone, "sign-up done")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375

    # Staff at the door: the QR opens the check-in page with the code filled in.
    context = browser.new_context(locale="zh-CN", **PHONE)
    door = context.new_page()
    try:
        login_in_browser(door, base, "staff1", PASSWORD)
        door.goto(qr_url)
        assert door.input_value("#code") == code
        assert code not in door.url  # the script takes it out of the address bar
        # A code in a query string is not used: codes never travel in URLs the server sees.
        door.goto(f"{base}/staff/meetings/{meeting.id}/checkin?code={code}")
        assert door.input_value("#code") == ""
        door.goto(qr_url)
        assert_accessible(door, "check-in")
        door.click("main form button[type=submit]")
        expect(door.locator(".flash-success")).to_contain_text("签到成功")
        expect(door.locator("#present")).to_have_text("1")
        door.fill("#code", "ZZZZ-ZZZZ-ZZZZ-ZZZZ")
        door.click("main form button[type=submit]")
        expect(door.locator("main")).to_contain_text("没有这个报名码")
        assert door.evaluate("document.documentElement.scrollWidth") <= 375
    finally:
        context.close()

    # The public reply page: topic → minutes → decisions → opinions with replies.
    phone.goto(f"{base}/meetings/{meeting.id}/reply")
    expect(phone.locator("#opinion-1")).to_contain_text("采纳，方案已调整。")
    expect(phone.locator("main")).not_to_contain_text("13905761234")
    expect(phone.locator("main")).not_to_contain_text("沈玉兰")
    assert_accessible(phone, "reply page")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
