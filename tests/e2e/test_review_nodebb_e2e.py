"""The Review area in Chromium with a Discourse and a NodeBB sandbox: a flagged post on
Discourse and a queued post on NodeBB in one list; keeping the one and rejecting the other
changes each sandbox."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in
from tests.review.test_nodebb_views import a_queued_post
from tests.review.test_views import a_flag

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_discourse_flag_and_a_nodebb_queued_post_decided_from_one_list(
    page, live_server, make_user, discourse_connection, nodebb_connection, discourse_sandbox,
    nodebb_sandbox,
):  # fmt: skip
    make_user("moe", "Moderator")
    flag, _, _ = a_flag(discourse_sandbox.app, raw="You are all clowns", score=99.0)
    queue_id, author = a_queued_post(nodebb_sandbox.app, title="Selling cheap watches")
    sign_in(page, live_server, "moe", "pw-moe-123")
    page.get_by_role("link", name="Review").first.click()

    discourse_row = page.locator(f'tr[data-item="{discourse_connection.pk}:{flag["id"]}"]')
    nodebb_row = page.locator(f'tr[data-item="{nodebb_connection.pk}:queue:{queue_id}"]')
    expect(discourse_row).to_contain_text("You are all clowns")
    expect(nodebb_row).to_contain_text("Selling cheap watches")
    expect(nodebb_row).to_contain_text(author["username"])

    nodebb_row.get_by_role("button", name="Reject").click()
    expect(nodebb_row).to_contain_text("Done.")
    assert queue_id not in {q["id"] for q in nodebb_sandbox.app.state.queue}

    discourse_row.get_by_role("button", name="Keep post").click()
    expect(discourse_row).to_contain_text("Done.")
    assert flag["status"] != 0  # decided on Discourse
