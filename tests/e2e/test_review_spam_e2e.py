"""Issue 24, with a real worker: a spammer's flagged posts on the Discourse and NodeBB sandboxes
are ticked in the one Review list and "Delete the posts and suspend the authors" is proposed as
ONE bulk action across both forums; a second person approves it and the run deletes each post
through the forum's review decision and suspends (Discourse) or bans (NodeBB) each author once."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in
from tests.e2e.test_phone_e2e import assert_fits
from tests.processes import CeleryProcess, database_url_for_workers

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
WORDS = "Zorblax cheap watches"


def put(sandbox, route, body):
    """A sandbox control route (``POST /__sandbox__/...``): an item in its review queue."""
    answer = requests.post(f"{sandbox.url}/__sandbox__/{route}", json=body, timeout=10)
    assert answer.ok, answer.text
    return answer.json()


@pytest.fixture
def spam(discourse_sandbox, nodebb_sandbox, discourse_connection, nodebb_connection):
    d_app, n_app = discourse_sandbox.app, nodebb_sandbox.app
    d_uid = d_app.add_person(username="zorblax", email="zorblax@example.net")
    n_uid = n_app.add_person(username="zorblaxx", email="zorblax@example.net")
    flagger = next(u for u in sorted(d_app.users.values(), key=lambda u: u["id"])
                   if u["id"] > 0 and not u["admin"] and not u["moderator"])  # fmt: skip
    keys = []
    for n in range(2):
        row = put(discourse_sandbox, "reviewables", {
            "type": "flagged_post", "username": "zorblax", "raw": f"{WORDS} {n}",
            "flagged_by": [flagger["username"]], "flag_type": 8,
        })  # fmt: skip
        keys.append(f"{discourse_connection.pk}:{row['id']}")
    flag = put(nodebb_sandbox, "flags", {"type": "post", "uid": n_uid, "reason": "Spam",
                                        "content": f"{WORDS} on NodeBB"})  # fmt: skip
    keys.append(f"{nodebb_connection.pk}:{flag['id']}")
    d_posts = [p for p in d_app.posts.values() if p["user_id"] == d_uid]
    n_posts = [p for p in n_app.state.posts.values() if p["uid"] == n_uid]
    return {"keys": keys, "d_uid": d_uid, "n_uid": n_uid, "d_posts": d_posts,
            "n_posts": n_posts}  # fmt: skip


@pytest.mark.worker
def test_spammer_posts_deleted_and_suspended_across_two_forums_after_a_second_persons_approval(
    page, live_server, make_user, spam, discourse_sandbox, nodebb_sandbox, tmp_path
):
    make_user("moe", "Moderator")
    make_user("april", "Approver")
    worker = CeleryProcess(
        "worker", tmp_path / "worker.log", {"DATABASE_URL": database_url_for_workers()}
    )
    try:
        worker.wait_ready()
        sign_in(page, live_server, "moe", "pw-moe-123")
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Review").click()
        page.get_by_placeholder("Text, author or topic").fill("Zorblax")
        page.get_by_role("button", name="Search").click()
        # The whole list is there before the search's answer replaces it (and any tick with
        # it): tick once only the matching rows are shown, as a person would.
        expect(page.locator("tr.review-row")).to_have_count(len(spam["keys"]))
        for key in spam["keys"]:
            row = page.locator(f'tr[data-item="{key}"]')
            expect(row).to_contain_text(WORDS)
            row.get_by_role("checkbox").check()
        panel = page.locator("#review-spam")
        panel.get_by_text("Delete the posts and suspend the authors…").click()
        expect(panel).to_contain_text("Discourse: suspend")
        expect(panel).to_contain_text("NodeBB: ban")
        page.set_viewport_size({"width": 360, "height": 800})
        assert_fits(page, "review list with the spam form open at 360 px")
        page.set_viewport_size({"width": 1280, "height": 800})
        panel.get_by_label("Until").fill("30 days")
        panel.get_by_label("Reason").fill("Spam in the marketplace")
        panel.get_by_role(
            "button", name="Propose: delete the posts and suspend the authors"
        ).click()
        # The plan: per forum, the posts to delete and the one account to penalise.
        expect(page.get_by_text("5 will be changed")).to_be_visible(timeout=30_000)
        plan = page.locator(".plan-table")
        expect(plan.get_by_role("row", name="Sandbox Discourse")).to_contain_text("3")
        expect(plan.get_by_role("row", name="Sandbox NodeBB")).to_contain_text("2")
        items = page.locator("#bulk-items")
        expect(items).to_contain_text("author:zorblax")
        expect(items).to_contain_text(f"Post by zorblax: {WORDS} 0")
        expect(page.get_by_role("button", name="Approve and run")).to_have_count(0)
        page.get_by_role("button", name="Sign out").click()

        sign_in(page, live_server, "april", "pw-april-123")
        page.get_by_role("link", name="Bulk actions").click()
        page.get_by_role("link", name="Delete the posts and suspend").click()
        page.get_by_label(re.compile("Type DELETE to confirm")).fill("DELETE")
        page.get_by_role("button", name="Approve and run").click()
        expect(page.locator(".state")).to_have_text("Succeeded", timeout=60_000)
        items = page.locator("#bulk-items")
        expect(items).to_contain_text("NodeBB deleted post")
        expect(items).to_contain_text("Discourse suspended zorblax")
        expect(items).to_contain_text("NodeBB banned zorblaxx")
    finally:
        worker.discard()

    d_app, n_app = discourse_sandbox.app, nodebb_sandbox.app
    assert all(d_app.posts[p["id"]]["deleted_at"] is not None for p in spam["d_posts"])
    assert d_app.users[spam["d_uid"]]["suspended_till"]
    assert all(p["pid"] not in n_app.state.posts or n_app.state.posts[p["pid"]]["deleted"]
               for p in spam["n_posts"])  # fmt: skip
    assert n_app.state.users[spam["n_uid"]]["banned"]
