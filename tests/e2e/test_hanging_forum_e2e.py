"""A hanging forum adds nothing to a page's time, in Chromium: Groups, Tags and People show its
last known rows from the index, marked, long before the forum's hang would end (every wait
below is for a condition, with a timeout well inside the hang)."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from forums.core.fleet_index.rows import index_lists_forget
from forums.models import IndexedAccount, IndexedGroup, IndexedTag
from tests.e2e.conftest import sign_in
from tests.e2e.test_index_e2e import read_whole

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

HANG_MS = 30_000  # the forum answers after 30 s...
CALL_DEADLINE = 20.0  # ...and a call to it gives up after 20 s
WITHIN_MS = 10_000  # the pages must show everything well before either


def hang(settings, sandbox, connection) -> None:
    """The forum hangs from now on, and Forumdeck changed its groups and tags since the index
    read them (so the pages must ask it live)."""
    settings.FORUMDECK_HTTP_TIMEOUT = CALL_DEADLINE
    settings.FORUMDECK_HTTP_DEADLINE = CALL_DEADLINE
    sandbox.app.config.faults.latency_ms = HANG_MS
    for kind in ("groups", "tags"):
        index_lists_forget(connection_ids=[connection.pk], kind=kind)


def test_a_hanging_forum_shows_its_last_known_rows_marked_at_once(
    page, live_server, make_user, settings, discourse_connection, nodebb_connection,
    nodebb_sandbox,
):  # fmt: skip
    for connection in (discourse_connection, nodebb_connection):
        read_whole(connection)
    make_user("vic", "Viewer")
    sign_in(page, live_server, "vic", "pw-vic-123")
    hanging = nodebb_connection
    hang(settings, nodebb_sandbox, hanging)
    group = IndexedGroup.objects.filter(connection=hanging, automatic=False).order_by("name")[0]
    tag = IndexedTag.objects.filter(connection=hanging).order_by("name")[0]
    account = IndexedAccount.objects.filter(connection=hanging).order_by("forum_id").last()
    assert account is not None

    # Groups: the hanging forum's group, marked, and why.
    page.goto(f"{live_server.url}/forums/groups/?{urlencode({'q': group.name})}")
    row = page.locator(".group-table tr", has_text=hanging.name).filter(has_text=group.name)
    expect(row.locator(".last-known")).to_be_visible(timeout=WITHIN_MS)
    expect(page.locator(".last-known-note").first).to_contain_text(
        "Showing what Forumdeck last saw of it, as of", timeout=WITHIN_MS
    )

    # Tags: the same.
    page.goto(f"{live_server.url}/forums/tags/?{urlencode({'q': tag.name})}")
    count = page.locator(".tag-counts li", has_text=hanging.name)
    expect(count.locator(".last-known").first).to_be_visible(timeout=WITHIN_MS)
    expect(page.locator(".last-known-note").first).to_be_visible(timeout=WITHIN_MS)

    # People: found from the index, with how fresh that is, without asking the forum.
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="People", exact=True
    ).click()
    page.get_by_placeholder("Username or e-mail, or part of either").fill(account.username)
    page.get_by_role("button", name="Search").click()
    expect(page.locator(".person", has_text=account.username).first).to_be_visible(
        timeout=WITHIN_MS
    )
    line = page.locator(f"#people-forum-{hanging.pk}")
    expect(line.locator(".index-freshness")).to_contain_text("as of", timeout=WITHIN_MS)
