"""Review in Chromium (issue 24): a flagged post on the sandbox Discourse is listed in
Forumdeck's one queue, at a desk and on a 360 px phone, and a Moderator hides it in place: the
forum's answer shows in the row and the sandbox's post is hidden."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in
from tests.e2e.test_phone_e2e import assert_fits

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def flagged(discourse_sandbox):
    app = discourse_sandbox.app
    users = sorted(app.users.values(), key=lambda u: u["id"])
    author = next(u for u in users if u["id"] > 0 and not u["admin"] and not u["moderator"]
                  and u["approved"])  # fmt: skip
    flagger = next(u for u in users if u["id"] > author["id"] and not u["admin"]
                   and not u["moderator"])  # fmt: skip
    with app.lock:
        row = app.add_flagged_post(
            author["id"], topic_id=5, flags=[(flagger["id"], 4)],
            raw="Averyveryveryveryverylongwordwithoutanyspacesatallthatmustwrap <b>loud</b>",
        )  # fmt: skip
        row["score"] = 99.0  # first in the queue
    return row, author, flagger


@pytest.mark.parametrize("width", [1280, 360])
def test_a_flagged_post_is_listed_and_hidden_in_place(
    page, live_server, make_user, discourse_connection, discourse_sandbox, flagged, width
):
    row, author, flagger = flagged
    make_user("moe", "Moderator")
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(page, live_server, "moe", "pw-moe-123")
    if width > 700:
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Review").click()
    else:
        page.goto(f"{live_server.url}/forums/review/")
    item = page.locator(f'tr[data-item="{discourse_connection.pk}:{row["id"]}"]')
    expect(item).to_contain_text("Flagged post")
    expect(item).to_contain_text("Inappropriate")
    expect(item).to_contain_text(f"flagged by {flagger['username']}")
    expect(item).to_contain_text("loud")
    expect(item.get_by_role("link", name=author["username"])).to_be_visible()
    assert_fits(page, f"review list at {width} px")

    item.get_by_role("button", name="Hide post").click()
    expect(item).to_contain_text("Done. Hide post: Discourse approved it.")
    assert discourse_sandbox.app.posts[row["target_id"]]["hidden"] is True
    assert row["status"] == 1
    assert_fits(page, f"review list after deciding at {width} px")
