"""A suspension made directly on a forum reaches Forumdeck's People search through the forum's
webhook: an Admin sets the webhook up in one click, a moderator on the forum itself (its own
API, not Forumdeck) suspends someone, the forum's background job delivers the signed change,
and a search answered from the index shows it, without asking the forum. The receiver writes
the index as the delivery comes (no task in between), so no worker is needed here."""

from __future__ import annotations

import time

import pytest
import requests
from django.utils import timezone
from playwright.sync_api import expect

from forums.index.sync import index_sync_start, index_sync_step
from forums.models import IndexedAccount, IndexSync
from forums.sandbox.registry import SANDBOXES
from tests.e2e.conftest import sign_in
from tests.e2e.test_phone_e2e import assert_fits, assert_stacked_rows_are_labelled

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


@pytest.mark.parametrize("width", (360,))
def test_the_webhook_and_wave_pages_fit_a_phone(
    page, live_server, make_user, width, discourse_connection, nodebb_connection
):
    now = timezone.now()
    for connection in (discourse_connection, nodebb_connection):
        IndexSync.objects.create(connection=connection, state="complete", accounts_complete_at=now)
        for n in range(3):
            name = f"a_rather_long_username_{connection.pk}_{n}"
            IndexedAccount.objects.create(
                connection=connection, forum_id=100 + n, username=name,
                email=f"{name}@a-very-long-spam-wave-domain-name.example", joined_at=now,
                registration_ip="2001:db8:85a3:8d3:1319:8a2e:370:7348", haystack=name,
            )  # fmt: skip
    make_user("ada", "Admin", "Moderator")
    page.set_viewport_size({"width": width, "height": 780})
    sign_in(page, live_server, "ada", "pw-ada-123")
    for path, what in (
        (f"/forums/{discourse_connection.pk}/index/", "the forum's index"),
        (f"/forums/{nodebb_connection.pk}/index/", "NodeBB's index (set up by hand)"),
        ("/forums/people/new/?hours=24", "new accounts"),
        ("/forums/people/shared/", "shared domains"),
        ("/forums/people/shared/?trait=ip", "shared addresses"),
    ):
        page.goto(live_server.url + path)
        assert_fits(page, what)
        if "people" in path:
            expect(page.locator(".wave-table").first).to_be_visible()
            assert_stacked_rows_are_labelled(page, ".wave-table", what)
