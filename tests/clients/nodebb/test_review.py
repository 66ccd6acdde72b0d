"""The NodeBB client's review queue against the sandbox NodeBB: open flags, flags in progress
and the post queue listed page by page, filtered, read one by one and decided."""

from __future__ import annotations

import pytest

from forums.clients.errors import ForumForbidden, ForumRejected, ReviewItemStale
from forums.clients.records import Capability, ReviewKind

from .helpers import (  # noqa: F401 - the configs of this module's sandboxes
    MASTER_CONFIG,
    SANDBOX_CONFIG,
    make_client,
    plain_uid,
)

pytestmark = pytest.mark.every_release  # each verb against each release the sandbox plays


def every_item(client, **filters):
    items, cursor, pages = [], "", 0
    while True:
        page = client.review_items(cursor=cursor, **filters)
        items += page.items
        pages += 1
        if not page.next_cursor:
            return items, pages
        cursor = page.next_cursor


def test_nodebb_offers_review_items(client):
    assert Capability.REVIEW_ITEMS in client.capabilities


def test_the_list_holds_every_waiting_flag_and_queued_post(client, sandbox):
    state = sandbox.app.state
    items, pages = every_item(client)
    waiting = [f for f in state.flags if f["state"] in ("open", "wip")]
    assert len(items) == len(waiting) + len(state.queue)
    assert pages >= 3  # open flags, flags in progress, then two pages of the post queue
    ids = [i.item_id for i in items]
    assert len(set(ids)) == len(ids)
    kinds = {i.kind for i in items}
    assert kinds == {ReviewKind.FLAGGED_POST, ReviewKind.FLAGGED_USER, ReviewKind.QUEUED_POST}
    assert {i.status for i in items} == {"pending"}  # open and in-progress flags both wait
    assert not any(i.item_id == f"flag:{f['flagId']}" for f in state.flags
                   if f["state"] in ("resolved", "rejected") for i in items)  # fmt: skip


def test_a_flagged_post_says_what_why_and_who(client, sandbox):
    flag_id = sandbox.app.add_flag(kind="post", uid=plain_uid(sandbox), reason="Selling pills",
                                   by=7, content="<b>Cheap</b> pills &amp; more")  # fmt: skip
    item = client.review_item(item_id=f"flag:{flag_id}")
    author = sandbox.app.state.users[plain_uid(sandbox)]
    assert item.kind is ReviewKind.FLAGGED_POST
    assert item.author_username == author["username"]
    assert item.excerpt == "Cheap pills & more"  # the forum's HTML as plain text
    assert [f.reason for f in item.flags] == ["Selling pills"]
    assert item.flags[0].by == sandbox.app.state.users[7]["username"]
    assert item.post_id and item.url.endswith(f"/post/{item.post_id}")
    assert {a.id: a.destructive for a in item.actions} == {
        "resolve": False, "reject": False, "delete_post": True, "ban_author": True,
    }  # fmt: skip


def test_a_queued_post_is_listed_with_its_author_and_text(client, sandbox):
    uid = plain_uid(sandbox)
    queue_id = sandbox.app.add_queued(uid=uid, title="Where are the rules?", content="Hi all")
    item = client.review_item(item_id=f"queue:{queue_id}")
    assert item.kind is ReviewKind.QUEUED_POST
    assert item.topic_title == "Where are the rules?"
    assert item.excerpt == "Hi all"
    assert item.author_username == sandbox.app.state.users[uid]["username"]
    assert [a.id for a in item.actions if not a.destructive] == ["accept", "reject"]


def test_filters_narrow_by_kind_and_author(client, sandbox):
    state = sandbox.app.state
    queued, _ = every_item(client, kind=ReviewKind.QUEUED_POST)
    assert len(queued) == len(state.queue) and all(i.kind is ReviewKind.QUEUED_POST for i in queued)
    users, _ = every_item(client, kind=ReviewKind.FLAGGED_USER)
    assert users and all(i.kind is ReviewKind.FLAGGED_USER for i in users)
    assert client.review_items(kind=ReviewKind.NEW_ACCOUNT).items == []

    uid = plain_uid(sandbox)
    sandbox.app.add_queued(uid=uid)
    sandbox.app.add_flag(kind="post", uid=uid, reason="Spam")
    name = state.users[uid]["username"]
    theirs, _ = every_item(client, username=name)
    assert theirs and {i.author_username for i in theirs} == {name}
    assert every_item(client, username="nobody-here")[0] == []


def test_resolving_a_flag_changes_the_forum(client, sandbox):
    flag_id = sandbox.app.add_flag(kind="user", uid=plain_uid(sandbox), reason="Bot account")
    item = client.review_item(item_id=f"flag:{flag_id}")
    answer = client.review_decide(item=item, action_id="resolve")
    assert "resolved" in answer
    flag = next(f for f in sandbox.app.state.flags if f["flagId"] == flag_id)
    assert flag["state"] == "resolved"
    assert client.review_item(item_id=f"flag:{flag_id}").status == "resolved"


def test_deleting_a_flagged_post_resolves_the_flag(client, sandbox):
    flag_id = sandbox.app.add_flag(kind="post", uid=plain_uid(sandbox), reason="Spam")
    item = client.review_item(item_id=f"flag:{flag_id}")
    client.review_decide(item=item, action_id="delete_post")
    assert item.post_id not in sandbox.app.state.posts
    flag = next(f for f in sandbox.app.state.flags if f["flagId"] == flag_id)
    assert flag["state"] == "resolved"


# the post queue's write routes came with 4.4.3; older: the 404 test
@pytest.mark.parametrize("nodebb_release", ["4.15"])
def test_accepting_and_rejecting_queued_posts(client, sandbox, nodebb_release):
    uid = plain_uid(sandbox)
    first = sandbox.app.add_queued(uid=uid, title="Accept me")
    second = sandbox.app.add_queued(uid=uid, title="Reject me")
    accepted = client.review_decide(
        item=client.review_item(item_id=f"queue:{first}"), action_id="accept"
    )
    assert "published" in accepted
    assert any(t["title"] == "Accept me" for t in sandbox.app.state.topics.values())
    client.review_decide(item=client.review_item(item_id=f"queue:{second}"), action_id="reject")
    left = {q["id"] for q in sandbox.app.state.queue}
    assert first not in left and second not in left
    told = [n["type"] for n in sandbox.app.state.notifications if n["uid"] == uid]
    assert told == ["post-queue-accepted", "post-queue-rejected"]


def test_a_flag_closed_on_the_forum_meanwhile_is_stale(client, sandbox):
    flag_id = sandbox.app.add_flag(kind="post", uid=plain_uid(sandbox), reason="Spam")
    item = client.review_item(item_id=f"flag:{flag_id}")
    next(f for f in sandbox.app.state.flags if f["flagId"] == flag_id)["state"] = "resolved"
    with pytest.raises(ReviewItemStale, match="already closed"):
        client.review_decide(item=item, action_id="reject")
    flag = next(f for f in sandbox.app.state.flags if f["flagId"] == flag_id)
    assert flag["state"] == "resolved"  # not overwritten


# the post queue's write routes came with 4.4.3; older: the 404 test
@pytest.mark.parametrize("nodebb_release", ["4.15"])
def test_a_queued_post_decided_meanwhile_is_stale(client, sandbox, nodebb_release):
    queue_id = sandbox.app.add_queued(uid=plain_uid(sandbox))
    item = client.review_item(item_id=f"queue:{queue_id}")
    sandbox.app.state.queue = [q for q in sandbox.app.state.queue if q["id"] != queue_id]
    with pytest.raises(ReviewItemStale, match="no longer in the post queue"):
        client.review_decide(item=item, action_id="accept")


def test_destructive_decisions_other_than_deleting_are_refused_here(client, sandbox):
    queue_id = sandbox.app.add_queued(uid=plain_uid(sandbox))
    item = client.review_item(item_id=f"queue:{queue_id}")
    with pytest.raises(ForumRejected, match="second person's approval"):
        client.review_decide(item=item, action_id="ban_author")
    with pytest.raises(ForumRejected, match="offers no"):
        client.review_decide(item=item, action_id="agree_and_hide")
    assert any(q["id"] == queue_id for q in sandbox.app.state.queue)


def test_a_plain_members_token_is_refused_in_plain_words(sandbox):
    with make_client(sandbox, token="member-token") as member:
        with pytest.raises(ForumForbidden, match="administrators, global moderators"):
            member.review_items()
        with pytest.raises(ForumForbidden, match="administrators, global moderators"):
            member.review_items(kind=ReviewKind.QUEUED_POST)


# the post queue's write routes came with 4.4.3; older: the 404 test
@pytest.mark.parametrize("nodebb_release", ["4.15"])
def test_a_global_moderator_may_review(sandbox, nodebb_release):
    sandbox.app.configure(user_tokens={"member-token": 20, "gmod-token": 2})
    with make_client(sandbox, token="gmod-token") as gmod:
        items, _ = every_item(gmod)
        assert items
        queued = next(i for i in items if i.kind is ReviewKind.QUEUED_POST)
        gmod.review_decide(item=queued, action_id="reject")
    assert queued.item_id.removeprefix("queue:") not in {q["id"] for q in sandbox.app.state.queue}


def test_a_forum_before_nodebb_4_4_3_says_to_decide_on_the_forum(client, sandbox):
    sandbox.app.configure(version="4.3.2")
    queue_id = sandbox.app.add_queued(uid=plain_uid(sandbox))
    item = client.review_item(item_id=f"queue:{queue_id}")
    with pytest.raises(ForumRejected, match="own /post-queue page"):
        client.review_decide(item=item, action_id="accept")
    assert any(q["id"] == queue_id for q in sandbox.app.state.queue)


def test_a_note_on_a_flag_is_kept_on_the_forum(client, sandbox):
    flag_id = sandbox.app.add_flag(kind="user", uid=plain_uid(sandbox), reason="Bot")
    item = client.review_item(item_id=f"flag:{flag_id}")
    client.review_note(item=item, note="Checked the IP: a known spammer.")
    flag = next(f for f in sandbox.app.state.flags if f["flagId"] == flag_id)
    assert [n["content"] for n in flag["notes"]] == ["Checked the IP: a known spammer."]
    queued = client.review_items(kind=ReviewKind.QUEUED_POST).items[0]
    with pytest.raises(ForumRejected, match="flags only"):
        client.review_note(item=queued, note="x")
