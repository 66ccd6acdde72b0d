"""Find a person on the Discourse and NodeBB sandboxes, act on one, then ban them everywhere: in
Chromium."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in
from tests.processes import CeleryProcess, database_url_for_workers

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

EMAIL = "robin.vale@example.net"


@pytest.fixture
def robin(discourse_sandbox, nodebb_sandbox, discourse_connection, nodebb_connection):
    return {
        "discourse": discourse_sandbox.app.add_person(
            username="robin_vale", email=EMAIL, name="Robin Vale"
        ),
        "nodebb": nodebb_sandbox.app.add_person(username="robinv", email=EMAIL, name="Robin Vale"),
    }


def find_robin(page):
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="People", exact=True
    ).click()
    page.get_by_placeholder("Username or e-mail, or part of either").fill("robin")
    page.get_by_role("button", name="Search").click()
    person = page.locator(".person", has_text=EMAIL)
    expect(person).to_contain_text("on 2 forums")
    return person


def test_search_both_forums_and_suspend_on_one(page, live_server, make_user, robin):
    make_user("moe", "Moderator")
    sign_in(page, live_server, "moe", "pw-moe-123")
    person = find_robin(page)
    expect(person.get_by_role("row", name="Sandbox NodeBB")).to_contain_text("robinv")
    person.get_by_role("link", name="robin_vale").click()

    expect(page.locator("#person-status")).to_contain_text("Active")
    page.get_by_role("link", name="Suspend", exact=True).click()
    panel = page.locator("#moderation-panel")
    panel.get_by_label("Until").fill("2031-01-15")
    panel.get_by_label("Reason").fill("Spamming the marketplace")
    panel.get_by_role("button", name="Suspend").click()

    expect(panel).to_contain_text("robin_vale is suspended until 2031-01-15 00:00 CET")
    expect(page.locator("#person-status")).to_contain_text(
        "Suspended until 2031-01-15 00:00 CET: Spamming the marketplace"
    )

    # Back in the search, the other forum's account is untouched.
    person = find_robin(page)
    expect(person.get_by_role("row", name="Sandbox Discourse")).to_contain_text("Suspended until")
    expect(person.get_by_role("row", name="Sandbox NodeBB")).to_contain_text("Active")


@pytest.mark.worker
def test_ban_everywhere_approved_by_a_second_person(page, live_server, make_user, robin, tmp_path):
    make_user("moe", "Moderator")
    make_user("april", "Approver")
    worker = CeleryProcess(
        "worker", tmp_path / "worker.log", {"DATABASE_URL": database_url_for_workers()}
    )
    try:
        worker.wait_ready()
        sign_in(page, live_server, "moe", "pw-moe-123")
        person = find_robin(page)
        person.get_by_role("link", name="Ban on every forum").click()
        expect(page.get_by_role("heading", name=f"Ban {EMAIL} on every forum")).to_be_visible()
        page.get_by_label("Reason").fill("Ban evasion")
        page.get_by_label("Until").fill("30 days")
        page.get_by_role("button", name="Make the plan").click()
        expect(page.get_by_text("2 will be changed")).to_be_visible(timeout=30_000)
        page.get_by_role("button", name="Sign out").click()

        sign_in(page, live_server, "april", "pw-april-123")
        page.get_by_role("link", name="Bulk actions").click()
        page.get_by_role("link", name="Suspend/ban until").click()
        page.get_by_role("button", name="Approve and run").click()
        expect(page.locator(".state")).to_have_text("Succeeded", timeout=30_000)
        plan = page.locator(".plan-table")
        expect(plan.get_by_role("row", name="Sandbox Discourse")).to_contain_text("1")
        expect(plan.get_by_role("row", name="Sandbox NodeBB")).to_contain_text("1")

        person = find_robin(page)
        expect(person.get_by_role("row", name="Sandbox Discourse")).to_contain_text(
            "Suspended until"
        )
        expect(person.get_by_role("row", name="Sandbox NodeBB")).to_contain_text("Banned until")
        expect(person).to_contain_text("Ban evasion")
    finally:
        worker.discard()


@pytest.mark.parametrize("width", [1280, 390])
def test_a_slow_forum_holds_back_only_its_own_line(
    page, live_server, make_user, robin, settings, discourse_sandbox, nodebb_sandbox,
    discourse_connection, nodebb_connection, width,
):  # fmt: skip
    # NodeBB takes 30 s to answer; a call gives up after 4 s.
    settings.FORUMDECK_HTTP_TIMEOUT = 4.0
    settings.FORUMDECK_HTTP_DEADLINE = 4.0
    nodebb_sandbox.app.config.faults.latency_ms = 30_000
    for n in range(26):  # two pages of people, robin_vale on the first
        discourse_sandbox.app.add_person(username=f"robinzz{n:02d}", email=f"rz{n}@example.net")
    make_user("moe", "Moderator")
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(page, live_server, "moe", "pw-moe-123")
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="People", exact=True
    ).click()
    page.get_by_placeholder("Username or e-mail, or part of either").fill("robin")
    page.get_by_role("button", name="Search").click()

    slow = page.locator(f"#people-forum-{nodebb_connection.pk}")
    healthy = page.locator(f"#people-forum-{discourse_connection.pk}")
    # The healthy forum's people show while the slow one is still being waited for.
    expect(healthy).to_contain_text(re.compile(r"\d+ accounts?"))
    expect(page.locator(".person", has_text="robin_vale")).to_be_visible()
    expect(slow).to_contain_text("still waiting…")
    expect(page.locator("#people-forums")).to_have_attribute("aria-live", "polite")
    fits = "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    assert page.evaluate(fits), "the page scrolls sideways while forums answer"

    expect(slow).to_contain_text("did not answer in", timeout=20_000)
    expect(slow).not_to_contain_text("still waiting")
    expect(page.locator("#people-table")).not_to_have_attribute("aria-busy", "true")
    assert page.evaluate(fits), "the page scrolls sideways once every forum answered"

    # The rows filled in are part of the selection form.
    form = page.locator("#people-form")
    expect(form.get_by_label("Select robin_vale on Sandbox Discourse")).to_be_visible()
    # Paging is htmx on the filled-in pager (the address stays), from the cached answers.
    asked = discourse_sandbox.app.calls.count()
    page.get_by_role("link", name="Next ›").click()
    expect(page.locator("#people-results")).to_contain_text("Page 2 of 2")
    assert "page=" not in page.url
    assert discourse_sandbox.app.calls.count() == asked
    page.get_by_role("link", name="‹ Previous").click()

    page.get_by_label("Select robin_vale on Sandbox Discourse").check()
    page.get_by_role("button", name="Propose a bulk action…").click()
    expect(page.get_by_role("button", name="Make the plan")).to_be_visible()
    expect(page.locator("#content")).to_contain_text("robin_vale")


def test_enter_on_suspend_opens_the_form_with_the_focus_in_its_first_field(
    page, live_server, make_user, robin, discourse_connection
):
    """Issue 26, item 17: a keyboard user types straight on."""
    make_user("moe", "Moderator")
    sign_in(page, live_server, "moe", "pw-moe-123")
    page.goto(f"{live_server.url}/forums/people/{discourse_connection.pk}/{robin['discourse']}/")
    suspend = page.get_by_role("link", name="Suspend", exact=True)
    suspend.focus()
    page.keyboard.press("Enter")
    panel = page.locator("#moderation-panel")
    expect(panel.locator("form")).to_be_visible()
    first = panel.locator("form input:not([type=hidden]), form select, form textarea").first
    expect(first).to_be_focused()
    page.keyboard.type("2031-01-15")  # straight into the field
    expect(first).to_have_value("2031-01-15")
