"""A moderator retags a UserEcho topic through an approved action, in Debian's Chromium, with a
real Celery worker doing the run (issue 12's last browser flow)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

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


def test_retag_a_userecho_topic_through_an_approved_action(
    page, live_server, make_user, userecho_connection, userecho_client, worker
):
    make_user("moe", "Moderator")
    make_user("april", "Approver")
    client = userecho_client()
    urgent = {t.id for t in client.list_tag_topics(tag="urgent")}
    # A topic in the forum that has an "urgent" tag, not yet carrying it.
    scope = next(t.scope for t in client.list_tags() if t.name == "urgent")
    topic = next(
        t for t in client.list_tag_topics(tag="billing") if t.scope == scope and t.id not in urgent
    )
    topic_id = str(topic.id).rsplit(":", 1)[-1]

    sign_in(page, live_server, "moe", "pw-moe-123")
    page.goto(f"{live_server.url}/forums/tags/retag/")
    page.get_by_label("Sandbox UserEcho").check()
    page.get_by_label("These topics").check()
    page.get_by_label("Topic addresses or ids").fill(topic_id)
    page.get_by_label("Add tags").fill("urgent")
    page.get_by_role("button", name="Make the plan").click()
    expect(page.get_by_text("you cannot approve your own proposal")).to_be_visible(timeout=45_000)
    expect(page.locator(".plan")).to_contain_text("1 will be changed")
    title = page.locator("h1").inner_text()
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, live_server, "april", "pw-april-123")
    page.get_by_role("link", name="Bulk actions").click()
    page.get_by_role("link", name=title.split(": ", 1)[-1]).first.click()
    page.get_by_role("button", name="Approve and run").click()
    expect(page.locator(".state")).to_have_text("Succeeded", timeout=45_000)

    retagged = {t.id for t in client.list_tag_topics(tag="urgent")}
    assert topic.id in retagged and urgent <= retagged
    fresh = next(t for t in client.list_tag_topics(tag="urgent") if t.id == topic.id)
    assert {"billing", "urgent"} <= set(fresh.tags)  # the rest of its tags kept
