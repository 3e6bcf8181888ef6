"""Every public page of the site, on the demo data, in Chinese and in English, passes
axe with no serious or critical violation and fits a phone's width."""

from datetime import date

import pytest

from tests.browser.factories import assert_accessible
from tests.reliability.test_access_control import GET_EXPECTED, PUBLIC, _url

pytestmark = pytest.mark.slow

NOT_HTML = {
    "voting_api.polls",
    "voting_api.board",
    "voting_api.manifest",
    "voting.results_json",
    "voting.turnout_json",
    "deliberation.calendar",
    "projects.export",
    "core.robots",
    "core.favicon",
    "voting.verifier_zip",
    "static",
}


def test_every_public_page_passes_axe(app, live_server, browser):
    from core.demo import seed_demo

    today = date.today()
    seed_demo(today)
    poll_id = f"{today.year}-qingxi-18-4-minsheng"
    urls = sorted(
        {
            _url(app, rule, today.year, poll_id)
            for rule in app.url_map.iter_rules()
            if GET_EXPECTED.get(rule.endpoint) == PUBLIC and rule.endpoint not in NOT_HTML
        }
    )
    assert len(urls) >= 20
    context = browser.new_context(viewport={"width": 375, "height": 740}, locale="zh-CN")
    page = context.new_page()
    try:
        for lang in ("zh", "en"):
            page.goto(f"{live_server.url}/lang/{lang}")
            for url in urls:
                response = page.goto(live_server.url + url)
                assert response.status == 200, url
                assert_accessible(page, f"{url} ({lang})")
                width = page.evaluate("document.documentElement.scrollWidth")
                assert width <= 375 + 1, f"{url} ({lang}) is {width}px wide on a 375px phone"
    finally:
        context.close()
