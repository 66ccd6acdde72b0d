"""A moderator's day without surprises (issue 14), in Chromium: the run page's table moves
with its bar (a real Celery worker runs it), a plan that changes nothing offers no Approve,
and the person page refreshes whole after an action, deletes included."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from forums.models import BulkAction, ForumConnection
from tests.bulk.helpers import propose_and_plan, usernames
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# The bar's count and the plan table's Done cell, read in the same instant.
COUNTS = """() => {
  const counts = document.querySelector("#bulk-progress .counts");
  const cell = document.querySelector("#plan-table td[data-label=Done]");
  const done = counts && counts.textContent.match(/(\\d+) done/);
  return [done ? Number(done[1]) : null, cell ? Number(cell.textContent) : null];
}"""


@pytest.mark.worker
def test_the_plan_table_moves_with_the_bar(
    page, live_server, make_user, discourse_connection, discourse_sandbox, celery_stack
):
    make_user("moe", "Moderator")
    make_user("april", "Approver")
    # Slow enough to watch: 10 suspensions at two calls a second (two in any second).
    ForumConnection.objects.filter(pk=discourse_connection.pk).update(
        requests_per_minute=120, rate_window_seconds=1
    )
    discourse_connection.refresh_from_db()
    names = usernames(discourse_sandbox, 10)
    action = propose_and_plan(
        proposer=BulkAction._meta.get_field("proposed_by").related_model.objects.get(
            username="moe"
        ),
        connection=discourse_connection,
        kind="suspend",
        targets=names,
        params={"reason": "Spam wave", "until": "2031-01-15T12:00:00+00:00"},
    )
    celery_stack.start(workers=1, beat=False)

    sign_in(page, live_server, "april", "pw-april-123")
    page.goto(f"{live_server.url}/forums/bulk/{action.pk}/")
    page.get_by_role("button", name="Approve and run").click()
    seen: set[tuple] = set()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        bar, table = page.evaluate(COUNTS)
        if bar is not None:
            seen.add((bar, table))
            assert table == bar, f"the bar says {bar} done, the plan table {table}"
        if bar == len(names):
            break
        page.wait_for_timeout(150)
    assert any(0 < bar < len(names) for bar, _ in seen), f"never saw the run midway: {seen}"
    expect(page.locator(".state")).to_have_text("Succeeded", timeout=30_000)
    expect(page.locator("#plan-table td[data-label=Done]")).to_have_text(str(len(names)))


def test_a_plan_that_changes_nothing_offers_no_approve(
    page, live_server, make_user, discourse_connection, discourse_sandbox
):
    moe = make_user("moe", "Moderator")
    make_user("april", "Approver")
    group = next(g for g in discourse_sandbox.app.groups.values() if g["name"] == "translators")
    members = [discourse_sandbox.app.users[i]["username"] for i in sorted(group["members"])[:2]]
    action = propose_and_plan(
        proposer=moe,
        connection=discourse_connection,
        kind="group_add",
        targets=[*members, "nobody_at_all"],
        params={"group": "translators"},
    )
    sign_in(page, live_server, "april", "pw-april-123")
    page.goto(f"{live_server.url}/forums/bulk/{action.pk}/")
    expect(page.get_by_role("heading", name="Nothing to approve")).to_be_visible()
    expect(page.get_by_role("button", name="Approve and run")).to_have_count(0)
    expect(page.get_by_text("3 need no change or were not found")).to_be_visible()
    page.get_by_role("button", name="Close this action").click()
    expect(page.get_by_text("Closed: its plan changed nothing")).to_be_visible()
    expect(page.locator(".state")).to_have_text("Cancelled")


def test_the_person_page_refreshes_whole_after_an_action_and_a_delete(
    page, live_server, make_user, discourse_connection, discourse_sandbox
):
    make_user("moe", "Moderator")
    uid = discourse_sandbox.app.add_person(
        username="robin_vale", email="robin.vale@example.net", name="Robin Vale"
    )
    sign_in(page, live_server, "moe", "pw-moe-123")
    page.goto(f"{live_server.url}/forums/people/{discourse_connection.pk}/{uid}/")
    history = page.locator("#person-history")
    audit = page.locator("#person-audit")
    expect(history).to_contain_text("None now.")
    expect(audit).to_contain_text("Nothing yet.")

    page.get_by_role("link", name="Suspend", exact=True).click()
    panel = page.locator("#moderation-panel")
    panel.get_by_label("Until").fill("30 days")
    panel.get_by_label("Reason").fill("Spamming the marketplace")
    panel.get_by_role("button", name="Suspend").click()
    expect(panel).to_contain_text("robin_vale is suspended until")
    # No reload: the penalties and what Forumdeck did are already there.
    expect(history).to_contain_text("Suspension")
    expect(history).to_contain_text("Spamming the marketplace")
    expect(audit).to_contain_text("Suspend (one person)")
    expect(audit).not_to_contain_text("Nothing yet.")

    page.get_by_role("link", name="Delete", exact=True).click()
    expect(panel.get_by_label("Delete their posts too")).not_to_be_checked()
    expect(panel.get_by_text("Type robin_vale to confirm")).to_be_visible()
    red = panel.get_by_role("button", name="Delete")
    expect(red).to_be_disabled()
    confirm = panel.get_by_label(re.compile("Type robin_vale to confirm"))
    confirm.fill("robin_val")
    expect(red).to_be_disabled()
    confirm.fill("robin_vale")
    expect(red).to_be_enabled()
    red.click()
    expect(panel).to_contain_text("robin_vale is deleted.")
    expect(page.locator("#person-status")).to_contain_text("Deleted")
    expect(page.locator("#action-buttons")).to_contain_text("the account is deleted")
    expect(audit).to_contain_text("Delete (one person)")
    assert uid not in discourse_sandbox.app.users
