"""The ballot page while a cast waits for its batch (protocol revision 5): a calm
"正在封存您的选票…", then the receipt, and the choices gone from the page and the browser."""

from playwright.sync_api import expect

from tests.browser.factories import login_in_browser
from tests.factories import PASSWORD, make_congress
from tests.voting.factories import approval_poll, check_in_all


def test_the_page_says_it_is_sealing_then_drops_the_choices(app, live_server, phone):
    app.config.update(YISHI_BATCH_SECONDS=3, YISHI_BATCH_MIN=1, YISHI_BATCH_MAX_SECONDS=10)
    congress, session = make_congress(2)
    check_in_all(session, congress.deputies)
    poll = approval_poll(session, options=2, seats=1)
    login_in_browser(phone, live_server.url, "D001", PASSWORD)
    phone.goto(f"{live_server.url}/polls/{poll.public_id}/vote")
    expect(phone.locator("#ballot-status")).to_contain_text("已领取选票凭证")
    phone.check("input[name=choice-p01][value=yes]")
    phone.check("input[name=choice-p02][value=no]")
    phone.click("#ballot-form button[type=submit]")
    # The batch is appended three seconds after it opened: meanwhile the page says so.
    expect(phone.locator("#ballot-status")).to_contain_text("正在封存您的选票", timeout=2500)
    assert not phone.locator("#ballot-receipt:not([hidden])").count()
    phone.wait_for_selector("#ballot-receipt:not([hidden])", timeout=15000)
    assert phone.evaluate("document.querySelectorAll('#ballot-form input[type=radio]:checked').length") == 0
    kept = phone.evaluate(
        "Object.keys(localStorage).map(function (k) { return k + '=' + localStorage.getItem(k); }).join('\\n')"
    )
    assert "choices" not in kept and "yishi-receipt:" in kept
