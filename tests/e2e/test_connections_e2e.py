"""A person signs in, connects a forum, tests it and sees its card: in a real browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from forums.models import ForumConnection
from tests.conftest import SANDBOX_DISCOURSE_KEY
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_admin_connects_a_forum_tests_it_and_sees_its_card(
    page, live_server, make_user, discourse_sandbox
):
    make_user("ada", "Admin", is_staff=True)
    sign_in(page, live_server, "ada", "pw-ada-123")
    expect(page.get_by_text("No forums are connected yet.")).to_be_visible()

    page.get_by_role("link", name="Connect your first forum").click()
    page.get_by_label("Name:", exact=True).fill("Sandbox Discourse")
    page.get_by_label("Platform").select_option("discourse")
    page.get_by_label("Address").fill(discourse_sandbox.url)
    page.get_by_label("API username / acting uid").fill("system")
    page.get_by_label("API key").fill(SANDBOX_DISCOURSE_KEY)
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_text("Added Sandbox Discourse")).to_be_visible()
    row = page.locator("tr", has_text="Sandbox Discourse")
    expect(row).to_contain_text("…" + SANDBOX_DISCOURSE_KEY[-4:])
    assert SANDBOX_DISCOURSE_KEY not in page.content()

    row.get_by_role("button", name="Test connection").click()
    result = row.locator(".test-result")
    expect(result).to_contain_text("Works.")
    expect(result).to_contain_text("Credentials accepted: yes")
    expect(result).to_contain_text("Admin rights: yes")

    page.get_by_role("link", name="Overview").click()
    connection = ForumConnection.objects.get(name="Sandbox Discourse")
    card = page.locator(f"#forum-card-{connection.pk}")
    expect(card).to_contain_text("Healthy")
    expect(card).to_contain_text("Discourse")
    expect(card.get_by_text("waiting")).to_be_visible()  # the review queue count links out

    calls = discourse_sandbox.app.calls.count()
    with page.expect_response(lambda r: "refresh=1" in r.url and r.ok):
        card.get_by_role("button", name="Refresh").click()
    expect(page.locator(f"#forum-card-{connection.pk}")).to_contain_text("Healthy")
    assert discourse_sandbox.app.calls.count() > calls  # asked the forum again


def test_the_overview_reads_on_a_phone(page, live_server, make_user, sandbox_connection):
    make_user("vera", "Viewer")
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server, "vera", "pw-vera-123")
    card = page.locator(f"#forum-card-{sandbox_connection.pk}")
    expect(card).to_contain_text("Healthy")
    box = card.bounding_box()
    assert box is not None and box["width"] <= 390
    # No sideways scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
