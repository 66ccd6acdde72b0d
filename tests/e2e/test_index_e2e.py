"""The fleet index in Chromium: an Admin starts a forum's first read and watches its progress
end without reloading; then a search by part of an e-mail finds one person on all three
platforms from the index, without a single call to the forums."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from forums.index.sync import index_sync_start, index_sync_step
from forums.models import IndexSync
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

EMAIL = "noor.haddad@quillmere.example"


@pytest.fixture
def noor(discourse_sandbox, nodebb_sandbox, userecho_sandbox, discourse_connection,
         nodebb_connection, userecho_connection):  # fmt: skip
    return {
        "discourse": discourse_sandbox.app.add_person(
            username="noor_h", email=EMAIL, name="Noor Haddad"
        ),
        "nodebb": nodebb_sandbox.app.add_person(username="noorh", email=EMAIL, name="Noor"),
        "userecho": userecho_sandbox.app.add_person(username="nhaddad", email=EMAIL, name="N H"),
    }


def read_whole(connection):
    """What the worker does, step after step (the worker itself is tested in tests/index)."""
    if not IndexSync.objects.filter(connection=connection, state="running").exists():
        index_sync_start(connection=connection)
    while index_sync_step(connection_id=connection.pk).again_in is not None:
        pass


def test_read_a_forum_then_find_a_person_by_part_of_an_email_everywhere(
    page, live_server, make_user, noor, discourse_connection, nodebb_connection,
    userecho_connection, discourse_sandbox, nodebb_sandbox, userecho_sandbox,
):  # fmt: skip
    make_user("ada", "Admin")
    sign_in(page, live_server, "ada", "pw-ada-123")
    page.goto(f"{live_server.url}/forums/")
    row = page.locator(f"#connection-{discourse_connection.pk}")
    row.get_by_role("link", name="not in the index yet").click()
    expect(page.locator("#index-progress")).to_contain_text("has not read this forum")
    page.get_by_role("button", name="Read this forum").click()
    expect(page.locator("#index-progress")).to_contain_text("Reading the forum")

    # The worker reads the forum; the page follows by itself and stops asking when done.
    read_whole(discourse_connection)
    expect(page.locator("#index-progress")).to_contain_text("Complete", timeout=30_000)
    expect(page.locator("#index-counts")).to_contain_text("accounts in the index")
    expect(page.locator("#index-progress")).not_to_have_attribute("hx-trigger", "every 2s")

    for connection in (nodebb_connection, userecho_connection):
        read_whole(connection)
    sandboxes = (discourse_sandbox, nodebb_sandbox, userecho_sandbox)
    for sandbox in sandboxes:
        sandbox.app.calls.clear()
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="People", exact=True
    ).click()
    page.get_by_placeholder("Username or e-mail, or part of either").fill("haddad@quill")
    page.get_by_role("button", name="Search").click()
    person = page.locator(".person", has_text=EMAIL)
    expect(person).to_contain_text("on 3 forums")
    for username in ("noor_h", "noorh", "nhaddad"):
        expect(person).to_contain_text(username)
    expect(page.locator(".index-freshness")).to_have_count(3)
    expect(page.get_by_role("link", name="Ask the forums now")).to_be_visible()
    assert [len(s.app.calls.records()) for s in sandboxes] == [0, 0, 0]
