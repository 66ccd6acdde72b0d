"""A suspension made directly on a forum reaches Forumdeck's People search through the forum's
webhook: an Admin sets the webhook up in one click, a moderator on the forum itself (its own
API, not Forumdeck) suspends someone, the forum's background job delivers the signed change,
and a search answered from the index shows it, without asking the forum. The receiver writes
the index as the delivery comes (no task in between), so no worker is needed here."""

from __future__ import annotations

import time

import pytest
import requests
from playwright.sync_api import expect

from forums.index.sync import index_sync_start, index_sync_step
from forums.sandbox.registry import SANDBOXES
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# The live server's address is loopback, an internal one the forum refuses for a webhook unless
# its allowed_internal_hosts setting names it (as a forum on a private network would).
SANDBOX_CONFIG = {"discourse": {"allowed_internal_hosts": "localhost|127.0.0.1"}}


def wait_for(condition, what: str, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting for {what}")
        time.sleep(0.05)
    return found


def test_a_suspension_on_the_forum_reaches_search_through_its_webhook(
    page, live_server, make_user, discourse_sandbox, discourse_connection
):
    app = discourse_sandbox.app
    uid = app.add_person(username="wave_rider", email="rider@spam-wave.example", name="W R")
    index_sync_start(connection=discourse_connection)
    while index_sync_step(connection_id=discourse_connection.pk).again_in is not None:
        pass

    make_user("ada", "Admin")
    sign_in(page, live_server, "ada", "pw-ada-123")
    page.goto(f"{live_server.url}/forums/{discourse_connection.pk}/index/")
    page.get_by_role("button", name="Set the webhook up on the forum").click()
    expect(page.locator(".messagelist")).to_contain_text(
        "now tells Forumdeck about changed accounts"
    )
    expect(page.locator("#webhook-connect")).to_have_text("Set the webhook up again")
    assert [h["payload_url"] for h in app.web_hooks.values()] == [
        f"{live_server.url}/forums/index/webhook/{discourse_connection.pk}/"
    ]

    def search() -> None:
        page.goto(f"{live_server.url}/forums/people/")
        page.get_by_placeholder("Username or e-mail, or part of either").fill("wave_rider")
        page.get_by_role("button", name="Search").click()

    search()
    row = page.locator("tr", has_text="wave_rider")
    expect(row).to_be_visible()
    expect(row).not_to_contain_text("Suspended")

    # On the forum itself, with its own API: Forumdeck has no part in this change.
    key = SANDBOXES["discourse"].test_key
    answer = requests.put(
        f"{discourse_sandbox.url}/admin/users/{uid}/suspend.json",
        headers={"Api-Key": key, "Api-Username": "system"},
        json={"suspend_until": "2099-01-01", "reason": "spam wave"}, timeout=5,
    )  # fmt: skip
    assert answer.ok, answer.text
    delivered = wait_for(
        lambda: [e for e in app.web_hook_events if e["event"] == "user_suspended"],
        "the forum's delivery",
    )
    assert delivered[0]["status"] == 200, delivered[0]["response_body"]

    app.calls.clear()
    search()
    expect(page.locator("tr", has_text="wave_rider")).to_contain_text("Suspended until")
    assert app.calls.records() == []  # answered from the index
