"""Propose a bulk action, approve it as a second person, watch the bar reach 100 %:
in Chromium, with a real Celery worker doing the planning and the run."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from forums.models import BulkAction
from tests.bulk.helpers import usernames
from tests.e2e.conftest import sign_in
from tests.processes import CeleryProcess, database_url_for_workers

pytestmark = [pytest.mark.e2e, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(tmp_path):
    process = CeleryProcess(
        "worker", tmp_path / "worker.log", {"DATABASE_URL": database_url_for_workers()}
    )
    process.wait_ready()
    yield process
    process.stop()


def test_propose_approve_and_watch_the_bar_reach_100(
    page, live_server, make_user, sandbox_connection, discourse_sandbox, worker
):
    make_user("moe", "Moderator")
    make_user("april", "Approver")
    names = usernames(discourse_sandbox, 25, not_in_group="translators")
    count = len(names)
    assert count == 25

    sign_in(page, live_server, "moe", "pw-moe-123")
    page.get_by_role("link", name="Bulk actions").click()
    expect(page.get_by_text("No bulk actions yet.")).to_be_visible()
    page.get_by_role("link", name="Propose a bulk action").click()
    page.get_by_label("Sandbox Discourse").check()
    page.get_by_label("Action").select_option("group_add")
    page.get_by_label("Group").fill("translators")
    page.get_by_label("Targets").fill("\n".join([*names, "no such person!"]))
    page.get_by_role("button", name="Make the plan").click()

    # The worker plans it; the page notices by itself.
    expect(page.get_by_text(f"{count} will be changed")).to_be_visible(timeout=30_000)
    expect(page.get_by_text(f"line {count + 1}:")).to_be_visible()
    expect(page.get_by_text("you cannot approve your own proposal")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, live_server, "april", "pw-april-123")
    expect(page.locator(".site-nav .badge")).to_have_text("1 waiting for your approval")
    page.get_by_role("link", name="Bulk actions").click()
    page.get_by_role("link", name="Add to group translators").click()
    page.get_by_role("button", name="Approve and run").click()
    expect(page.get_by_text("Approved bulk action")).to_be_visible()

    expect(page.locator(".state")).to_have_text("Succeeded", timeout=30_000)
    bar = page.locator("#bulk-bar")
    assert bar.get_attribute("value") == bar.get_attribute("max") == str(count)
    expect(page.locator(".percent")).to_have_text("100%")
    action = BulkAction.objects.get()
    assert action.items.filter(state="done").count() == count
    group = next(g for g in discourse_sandbox.app.groups.values() if g["name"] == "translators")
    member_names = {discourse_sandbox.app.users[uid]["username"] for uid in group["members"]}
    assert set(names) <= member_names
