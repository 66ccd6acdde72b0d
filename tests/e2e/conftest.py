"""Playwright driving Debian's Chromium (/usr/bin/chromium) against Django's live server."""

from __future__ import annotations

import contextlib
import os
import shutil

import pytest

try:
    import playwright  # noqa: F401
except ImportError:
    # `make test-fast` (no browser) must collect on a machine without Playwright; CI, which
    # requires every test, still fails loudly.
    if os.environ.get("FORUMDECK_REQUIRE_ALL"):
        raise
    collect_ignore_glob = ["test_*.py"]

CHROMIUM = os.environ.get("FORUMDECK_CHROMIUM", "/usr/bin/chromium")
# Chromium as root on a machine with no network: no sandbox, no background connections.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        if os.environ.get("FORUMDECK_REQUIRE_ALL"):
            pytest.fail(f"Chromium is not installed at {CHROMIUM}; CI requires the e2e tests.")
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium).")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # between browser steps are still synchronous. Only while the browser is up, so worker
    # subprocesses started elsewhere never inherit it.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        yield from _launch(sync_playwright)
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _launch(sync_playwright):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, tmp_path):
    context = browser.new_context(
        timezone_id="Europe/Berlin", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(15_000)
    # ``expect`` keeps its own default (5 s), which a busy machine exceeds while a page waits
    # for its forums: assertions wait as long as actions do.
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)
    page = context.new_page()
    yield page
    shots = os.environ.get("FORUMDECK_E2E_SCREENSHOTS")
    if shots:
        name = os.environ.get("PYTEST_CURRENT_TEST", "page").split(":")[-1].split(" ")[0]
        page.screenshot(path=os.path.join(shots, f"{name}.png"), full_page=True)
    # A request the page started by itself (an htmx "load", such as a person page's review
    # panel) may still be running in the live server when the test ends. The database is
    # flushed right after, and on PostgreSQL that TRUNCATE deadlocked with the request's
    # transaction (and the next test found the last one's rows). Let such requests finish.
    from playwright.sync_api import Error as PlaywrightError

    with contextlib.suppress(PlaywrightError):  # a page that keeps a connection open
        page.wait_for_load_state("networkidle", timeout=10_000)
    context.close()


def sign_in(page, live_server, username: str, password: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
