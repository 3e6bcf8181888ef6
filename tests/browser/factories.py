"""What the browser tests share: the phone's viewport, logging in through the form, and
the accessibility check (axe: no serious or critical violation)."""

from __future__ import annotations

PHONE = {"viewport": {"width": 375, "height": 740}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


def login_in_browser(page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("main button[type=submit]")
    page.wait_for_load_state("load")


def axe_violations(page) -> list[str]:
    """The serious and critical axe violations on the page as it is now, one line
    each (rule, impact, the first three elements). axe is injected once per document
    and may be run again after the viewport changes."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe.axe_script)
    found = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in found["violations"]
        if v.get("impact") in ("serious", "critical")
    ]


def assert_accessible(page, context: str = "") -> None:
    """No serious or critical axe violation on the page."""
    bad = axe_violations(page)
    assert not bad, f"{context}: " + "; ".join(bad)
