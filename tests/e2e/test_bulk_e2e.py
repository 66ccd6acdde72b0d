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
    process.discard()


def test_propose_approve_and_watch_the_bar_reach_100(
    page, live_server, make_user, discourse_connection, discourse_sandbox, worker
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
    # The unreadable line stops the form first (as on a group's members form); leave it out.
    expect(page.locator(".junk-lines")).to_contain_text(f"line {count + 1}: no such person!")
    page.get_by_label("Leave out the lines listed above and propose the rest").check()
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


@pytest.mark.parametrize(("width", "height"), [(360, 640), (1366, 768)])
def test_a_running_actions_bar_is_on_the_first_screen(
    page, live_server, make_user, discourse_connection, discourse_sandbox, width, height
):
    """Issue 26, item 18: while it runs, the progress is what one opens the page for."""
    from django.utils import timezone

    from tests.bulk.helpers import approve, propose_and_plan

    moe, april = make_user("moe", "Moderator"), make_user("april", "Approver")
    action = propose_and_plan(
        proposer=moe, connection=discourse_connection, kind="suspend",
        targets=usernames(discourse_sandbox, 6),
        params={"reason": "A long reason that a phone has to wrap " * 3,
                "until": "2031-01-15T12:00:00+00:00", "message": "Please read the rules."},
    )  # fmt: skip
    approve(action, april)
    # Running, as the worker would have it between two steps (no worker: the page stays so).
    BulkAction.objects.filter(pk=action.pk).update(
        state=BulkAction.State.RUNNING, started_at=timezone.now()
    )
    page.set_viewport_size({"width": width, "height": height})
    sign_in(page, live_server, "april", "pw-april-123")
    page.goto(f"{live_server.url}/forums/bulk/{action.pk}/")
    bar = page.locator("#bulk-bar")
    expect(bar).to_be_visible()
    box = bar.bounding_box()
    assert box is not None and box["y"] + box["height"] <= height, box
    assert page.evaluate("document.documentElement.scrollWidth") <= width
