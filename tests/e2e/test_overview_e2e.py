"""The overview in a real browser: one streamed page whose cards fill in as each forum answers,
on a desktop and on a phone, and with JavaScript off."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in
from tests.e2e.test_phone_e2e import assert_fits

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SLOW_MS = 2500


@pytest.mark.parametrize("width", [1280, 390])
def test_cards_fill_in_as_each_forum_answers(
    page, live_server, make_user, discourse_connection, discourse_sandbox, nodebb_connection, width
):
    make_user("vera", "Viewer")
    page.set_viewport_size({"width": width, "height": 844})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(page, live_server, "vera", "pw-vera-123")
    slow = page.locator(f"#forum-card-{discourse_connection.pk}")
    fast = page.locator(f"#forum-card-{nodebb_connection.pk}")
    expect(slow).to_contain_text("Healthy")
    expect(fast).to_contain_text("Healthy")

    # Every forum asked again, the Discourse one slowly: the NodeBB card is in place while
    # the page is still arriving, and the Discourse card keeps its own placeholder till then.
    discourse_sandbox.app.config.faults.latency_ms = SLOW_MS
    page.goto(f"{live_server.url}/?refresh=1", wait_until="commit")
    expect(fast).to_contain_text("Healthy")
    expect(slow).to_contain_text("Checking")
    expect(slow).to_have_class("forum-card is-loading")
    expect(slow).to_contain_text("Healthy", timeout=SLOW_MS * 4)
    expect(page.locator("#cards-status")).to_contain_text("Check every forum again")
    # The fleet's totals load beside the cards, their counts from the same checks.
    expect(page.locator("#fleet-reviews")).to_contain_text("Waiting in review queues")
    assert_fits(page, f"overview at {width} px")
    if width <= 390:
        box = fast.bounding_box()
        assert box is not None and box["width"] <= width

    # A card that came in the stream refreshes on its own.
    discourse_sandbox.app.config.faults.latency_ms = 0
    calls = discourse_sandbox.app.calls.count()
    with page.expect_response(lambda r: "refresh=1" in r.url and r.ok):
        slow.get_by_role("button", name="Refresh").click()
    expect(page.locator(f"#forum-card-{discourse_connection.pk}")).to_contain_text("Healthy")
    assert discourse_sandbox.app.calls.count() > calls
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors


def test_without_javascript_a_link_shows_every_card(
    browser, live_server, make_user, discourse_connection, nodebb_connection
):
    make_user("vera", "Viewer")
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in(page, live_server, "vera", "pw-vera-123")
        page.get_by_role("link", name="Show every card").click()
        for connection in (discourse_connection, nodebb_connection):
            expect(page.locator(f"#forum-card-{connection.pk}")).to_contain_text("Healthy")
        page.get_by_role("link", name="Show the totals").click()
        expect(page.locator("#fleet-reviews")).to_contain_text("Waiting in review queues")
    finally:
        context.close()


# The size a chart's words are drawn at on screen: the SVG scales its 10-unit text with it.
CHART_TEXT_PX = """() => [...document.querySelectorAll(".bar-chart")].flatMap(svg => {
  const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  return [...svg.querySelectorAll("text")].map(
    t => Math.round(parseFloat(getComputedStyle(t).fontSize) * scale * 10) / 10);
})"""


@pytest.mark.parametrize("width", [1366, 360])
def test_the_chart_labels_are_readable(
    page, live_server, make_user, discourse_connection, nodebb_connection, width
):
    """Issue 26, item 22: at least 11 px on screen, at a desk and on a phone."""
    make_user("ada", "Admin", "Moderator", "Approver", is_staff=True)
    page.set_viewport_size({"width": width, "height": 844})
    sign_in(page, live_server, "ada", "pw-ada-123")
    expect(page.locator("#fleet-reviews")).to_contain_text("Waiting in review queues")
    expect(page.locator(".bar-chart").first).to_be_visible()
    sizes = page.evaluate(CHART_TEXT_PX)
    assert sizes and min(sizes) >= 11, sizes
    assert_fits(page, f"overview at {width} px")
