"""Browser tests: Playwright driving Debian's Chromium against a live server."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.browser.factories import PHONE

CHROMIUM = os.environ.get("YISHI_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

FOLDER = Path(__file__).parent


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """Every test in this folder is a browser test. (A conftest's ``pytestmark`` marks
    nothing; before the -m selection runs, so that ``-m "not browser"`` leaves them out.)"""
    for item in items:
        if FOLDER in item.path.parents:
            item.add_marker(pytest.mark.browser)


def _chromium_or_skip():
    if shutil.which(CHROMIUM) or os.path.exists(CHROMIUM):
        return
    if os.environ.get("CI"):
        pytest.fail(f"Chromium is missing at {CHROMIUM}; CI must install Debian's chromium")
    pytest.skip(f"browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium)")


@pytest.fixture(scope="session")
def browser():
    _chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_server(app):
    """The app served on 127.0.0.1 at a free port, in a thread, for one test."""
    app.config["SERVER_NAME"] = None
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_port}"
    yield server
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()  # the listening socket, or a ResourceWarning at garbage collection


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def phone(browser):
    context = browser.new_context(locale="zh-CN", **PHONE, accept_downloads=True)
    page = context.new_page()
    yield page
    context.close()
