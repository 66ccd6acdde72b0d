"""The UserEcho client's review queue against the sandbox UserEcho: topics waiting for review
in every forum, page by page, and the one decision the API documents (deleting the topic)."""

from __future__ import annotations

import pytest
import requests

from forums.clients.errors import ForumForbidden, ForumRejected, ReviewItemStale
from forums.clients.records import Capability, ReviewKind
from tests.userecho_fixtures import AGENT_TOKEN, READ_TOKEN

from .helpers import state


def every_item(client, **filters):
    items, cursor = [], ""
    while True:
        page = client.review_items(cursor=cursor, **filters)
        items += page.items
        if not page.next_cursor:
            return items
        cursor = page.next_cursor


def waiting_topic(sb, **body):
    r = requests.post(f"{sb.url}/__sandbox__/review-topics", json=body, timeout=5)
    return r.json()["id"]


def test_every_forums_waiting_topics_are_listed(userecho_client, userecho_sandbox):
    client = userecho_client()
    assert Capability.REVIEW_ITEMS in client.capabilities
    waiting = {t["id"] for t in state(userecho_sandbox).topics.values() if t["needs_review"]}
    items = every_item(client)
    assert {i.topic_id for i in items} == waiting
    assert {i.kind for i in items} == {ReviewKind.QUEUED_POST}
    forums = {f["name"] for f in state(userecho_sandbox).forums.values()}
    assert {i.category for i in items} <= forums and len({i.category for i in items}) > 1
    assert all(i.actions and all(a.destructive for a in i.actions) for i in items)
    assert client.review_items(kind=ReviewKind.FLAGGED_POST).items == []


def test_paging_and_the_author_filter(userecho_client, userecho_sandbox):
    author = max(state(userecho_sandbox).users)
    for n in range(55):  # more than a page of one forum
        waiting_topic(userecho_sandbox, forum_id=1, author_id=author, header=f"Spam {n}")
    client = userecho_client()
    first = client.review_items()
    assert len(first.items) == 50 and first.next_cursor == "f0:2"
    name = state(userecho_sandbox).users[author]["name"]
    theirs = every_item(client, username=name)
    assert len(theirs) >= 55 and {i.author_username for i in theirs} == {name}


def test_a_waiting_topic_reads_as_plain_text(userecho_client, userecho_sandbox):
    topic_id = waiting_topic(userecho_sandbox, forum_id=1, header="Cheap pills",
                             description="<p>Buy <b>now</b> &amp; save</p>")  # fmt: skip
    item = userecho_client().review_item(item_id=f"topic:{topic_id}")
    assert item.topic_title == "Cheap pills" and item.excerpt == "Buy now & save"
    assert item.status == "pending" and item.url


def test_deleting_a_waiting_topic(userecho_client, userecho_sandbox):
    topic_id = waiting_topic(userecho_sandbox, forum_id=2)
    client = userecho_client()
    item = client.review_item(item_id=f"topic:{topic_id}")
    assert "deleted" in client.review_decide(item=item, action_id="delete_topic")
    assert topic_id not in state(userecho_sandbox).topics


def test_approving_is_not_offered(userecho_client, userecho_sandbox):
    topic_id = waiting_topic(userecho_sandbox, forum_id=1)
    client = userecho_client()
    item = client.review_item(item_id=f"topic:{topic_id}")
    with pytest.raises(ForumRejected, match="moderation page"):
        client.review_decide(item=item, action_id="approve")
    assert state(userecho_sandbox).topics[topic_id]["needs_review"] is True


def test_a_topic_approved_or_deleted_meanwhile_is_stale(userecho_client, userecho_sandbox):
    client = userecho_client()
    approved = waiting_topic(userecho_sandbox, forum_id=1)
    item = client.review_item(item_id=f"topic:{approved}")
    requests.post(f"{userecho_sandbox.url}/__sandbox__/review-topics/{approved}",
                  json={"needs_review": False}, timeout=5)  # fmt: skip
    with pytest.raises(ReviewItemStale, match="no longer waits"):
        client.review_decide(item=item, action_id="delete_topic")
    assert approved in state(userecho_sandbox).topics
    gone = waiting_topic(userecho_sandbox, forum_id=1)
    item = client.review_item(item_id=f"topic:{gone}")
    del state(userecho_sandbox).topics[gone]
    with pytest.raises(ReviewItemStale, match="gone"):
        client.review_decide(item=item, action_id="delete_topic")


def test_a_read_only_token_is_refused_in_plain_words(userecho_client, userecho_sandbox):
    topic_id = waiting_topic(userecho_sandbox, forum_id=1)
    reader = userecho_client(api_key=READ_TOKEN)
    item = reader.review_item(item_id=f"topic:{topic_id}")
    with pytest.raises(ForumForbidden, match="permission"):
        reader.review_decide(item=item, action_id="delete_topic")
    assert topic_id in state(userecho_sandbox).topics
    agent = userecho_client(api_key=AGENT_TOKEN)  # write permission is enough (P9)
    agent.review_decide(item=item, action_id="delete_topic")
    assert topic_id not in state(userecho_sandbox).topics
