"""The Discourse client against the sandbox Discourse: the review queue item by item."""

from __future__ import annotations

import dataclasses

import pytest

from forums.clients.errors import ForumNotFound, ForumRejected, ReviewItemStale
from forums.clients.records import Capability, ReviewKind

from .helpers import (
    SANDBOX_CONFIG,  # noqa: F401 - the config of this module's sandbox
)

pytestmark = pytest.mark.every_release  # each verb against each release the sandbox plays


def all_items(client, **filters):
    items, cursor = [], ""
    while True:
        page = client.review_items(cursor=cursor, **filters)
        items += page.items
        cursor = page.next_cursor
        if not cursor:
            return items, page.total


def flagged(sandbox, raw="Rude <b>words</b> & links"):
    author = next(u for u in sandbox.users.values() if u["id"] > 0 and not u["admin"]
                  and not u["moderator"] and u["approved"])  # fmt: skip
    flagger = next(u for u in sandbox.users.values() if u["id"] > author["id"] and
                   not u["admin"] and not u["moderator"])  # fmt: skip
    with sandbox.lock:
        row = sandbox.add_flagged_post(author["id"], topic_id=5, raw=raw,
                                       flags=[(flagger["id"], 8)])  # fmt: skip
        row["score"] = 99.0  # first in the queue
    return row, author, flagger


def test_declares_review_items(client):
    assert Capability.REVIEW_ITEMS in client.capabilities


def test_lists_every_waiting_item_in_pages_of_ten(client, sandbox):
    for _ in range(8):
        flagged(sandbox)
    items, total = all_items(client)
    pending = [r for r in sandbox.reviewables if r["status"] == 0]
    assert total == len(pending) == len(items) > 10
    assert {i.item_id for i in items} == {str(r["id"]) for r in pending}
    scores = [i.priority for i in items]
    assert scores == sorted(scores, reverse=True)  # highest priority first
    kinds = {i.kind for i in items}
    assert {ReviewKind.FLAGGED_POST, ReviewKind.QUEUED_POST} <= kinds


def test_a_flagged_post_reads_as_plain_text_with_its_flags_and_actions(client, sandbox):
    row, author, flagger = flagged(sandbox)
    item = client.review_item(item_id=str(row["id"]))
    assert item.kind is ReviewKind.FLAGGED_POST
    assert item.author_username == author["username"] and item.author_id == author["id"]
    assert item.excerpt == "Rude words & links"  # plain text: no markup, entities read
    assert item.topic_id == 5 and item.topic_title == sandbox.topics[5]["title"]
    assert item.flags[0].by == flagger["username"] and item.flags[0].reason == "Spam"
    assert item.version == 0 and item.url.startswith(client.base_url + "/t/")
    ids = {a.id: a for a in item.actions}
    assert {"agree_and_hide", "disagree", "ignore_and_do_nothing"} <= ids.keys()
    assert "agree_and_edit" not in ids  # finished in Discourse's own editor
    assert not ids["agree_and_hide"].destructive and ids["delete_and_agree"].destructive
    assert ids["delete_user"].destructive  # spam flag: the spammer may be deleted


def test_filters_by_kind_and_author(client, sandbox):
    row, author, _ = flagged(sandbox)
    users, _ = all_items(client, kind=ReviewKind.NEW_ACCOUNT)
    assert users and {i.kind for i in users} == {ReviewKind.NEW_ACCOUNT}
    assert all(i.author_username for i in users)
    mine, _ = all_items(client, username=author["username"])
    assert str(row["id"]) in {i.item_id for i in mine}
    assert all(i.author_username == author["username"] for i in mine)
    assert client.review_items(kind=ReviewKind.FLAGGED_USER).items == []


def test_agree_and_hide_hides_the_post(client, sandbox):
    row, _, _ = flagged(sandbox)
    item = client.review_item(item_id=str(row["id"]))
    answer = client.review_decide(item=item, action_id="agree_and_hide")
    assert "approved" in answer
    assert sandbox.posts[row["target_id"]]["hidden"] is True
    assert row["status"] == 1 and row["version"] == 1


def test_approving_a_queued_post_publishes_it(client, sandbox):
    row = next(r for r in sandbox.reviewables if r["type"] == "ReviewableQueuedPost")
    item = client.review_item(item_id=str(row["id"]))
    answer = client.review_decide(item=item, action_id="approve_post")
    assert "published" in answer
    assert sandbox.posts[row["target_id"]]["raw"] == row["payload"]["raw"]


def test_a_decision_someone_made_first_is_stale_in_plain_words(client, sandbox):
    row, _, _ = flagged(sandbox)
    item = client.review_item(item_id=str(row["id"]))
    with sandbox.lock:
        row["version"] += 1  # someone edited it on the forum meanwhile: the 409
    with pytest.raises(ReviewItemStale) as stale:
        client.review_decide(item=item, action_id="disagree")
    assert "meanwhile" in str(stale.value) and "{" not in str(stale.value)
    fresh = client.review_item(item_id=str(row["id"]))
    client.review_decide(item=fresh, action_id="ignore_and_do_nothing")
    # decided now: deciding the old copy again is stale too (Discourse's 403 for that)
    with pytest.raises(ReviewItemStale):
        client.review_decide(item=fresh, action_id="disagree")


def test_an_action_not_offered_is_refused_before_sending(client, sandbox):
    row, _, _ = flagged(sandbox)
    item = client.review_item(item_id=str(row["id"]))
    calls = client.calls
    with pytest.raises(ForumRejected, match="does not offer"):
        client.review_decide(item=item, action_id="approve_user")
    assert client.calls == calls


def test_an_item_read_without_version_is_read_again_first(client, sandbox):
    row, _, _ = flagged(sandbox)
    item = dataclasses.replace(client.review_item(item_id=str(row["id"])), version=None)
    client.review_decide(item=item, action_id="ignore_and_do_nothing")
    assert row["status"] == 3


def test_a_gone_item_is_not_found(client):
    with pytest.raises(ForumNotFound):
        client.review_item(item_id="999999")
    with pytest.raises(ForumNotFound):
        client.review_item(item_id="flag:7")  # another forum's id: never sent
