"""The UserEcho client against the sandbox UserEcho: topics (retag, delete, the review queue)."""

from __future__ import annotations

import pytest

from forums.clients.errors import (
    ForumNotFound,
    ForumRejected,
)
from forums.clients.records import ForumTopic

from .helpers import (
    calls,
    forum_tags,
    query,
    state,
    topic_tag_names,
)


# --- topics: retag, delete, review queue ---------------------------------------------------------
def _topic_with(sb, forum_id, *names):
    wanted = {forum_tags(sb, forum_id)[n] for n in names}
    return next(
        t for t in sb.app.state.topics.values()
        if t["forum_id"] == forum_id and wanted <= set(t["tag_ids"])
    )  # fmt: skip


def test_retag_reads_the_topic_then_writes_the_whole_list(userecho_client, userecho_sandbox):
    """Trap 5: PUT replaces the whole tag list, so add/remove is read, change, write."""
    topic = _topic_with(userecho_sandbox, 1, "bug")
    before = topic_tag_names(userecho_sandbox, topic["id"])
    client = userecho_client()
    stale = ForumTopic(id=topic["id"], title="", tags=(), scope="Ideas & Feedback")
    assert client.retag(topics=[stale], add=["docs"], remove=["bug"]) == [topic["id"]]
    assert topic_tag_names(userecho_sandbox, topic["id"]) == sorted({*before, "docs"} - {"bug"})
    (put,) = calls(userecho_sandbox, "PUT")
    get = [
        r for r in calls(userecho_sandbox, "GET") if r.path == f"/api/v2/topics/{topic['id']}.json"
    ]
    assert get and calls(userecho_sandbox).index(get[0]) < calls(userecho_sandbox).index(put)
    assert put.path == "/api/v2/forums/1/topics.json"
    assert put.body["id"] == topic["id"]
    assert all(isinstance(t, int) for t in put.body["tags"])  # ids of the topic's forum


def test_retag_replace_clear_and_no_change(userecho_client, userecho_sandbox):
    topic = _topic_with(userecho_sandbox, 2, "bug")
    client = userecho_client()
    ref = ForumTopic(id=topic["id"], title="", scope="Support")
    client.retag(topics=[ref], replace=["urgent", "Login"])
    assert topic_tag_names(userecho_sandbox, topic["id"]) == ["login", "urgent"]
    assert client.retag(topics=[ref], add=["urgent"]) == []  # nothing would change: not sent
    client.retag(topics=[ref], replace=[])
    assert topic_tag_names(userecho_sandbox, topic["id"]) == []
    assert len(calls(userecho_sandbox, "PUT")) == 2


@pytest.mark.parametrize("shape", ["objects", "ids", "names"])
def test_retag_keeps_the_other_tags_whatever_shape_they_come_in(
    userecho_client, userecho_sandbox, shape
):
    """Issue 22, finding 8: a topic whose tags come back as names lost them all on a retag."""
    userecho_sandbox.app.configure(topic_tags=shape)
    topic = next(t for t in state(userecho_sandbox).topics.values()
                 if t["forum_id"] == 1 and len(t["tag_ids"]) >= 2)  # fmt: skip
    before = topic_tag_names(userecho_sandbox, topic["id"])
    ref = ForumTopic(id=topic["id"], title="", scope="Ideas & Feedback")
    userecho_client().retag(topics=[ref], add=["docs"])
    assert topic_tag_names(userecho_sandbox, topic["id"]) == sorted({*before, "docs"})


def test_retag_refuses_a_topic_whose_tag_it_cannot_resolve(userecho_client, userecho_sandbox):
    """An entry that maps to no tag of the forum would be dropped by the full replacement."""
    userecho_sandbox.app.configure(topic_tags="names")
    topic = next(t for t in state(userecho_sandbox).topics.values()
                 if t["forum_id"] == 1 and t["tag_ids"])  # fmt: skip
    tag = state(userecho_sandbox).tags[topic["tag_ids"][0]]
    tag["name"] = "renamed behind our back"  # the topic answers a name the list no longer has
    ref = ForumTopic(id=topic["id"], title="", scope="Ideas & Feedback")
    client = userecho_client()
    client.forum_tags(client.forum(1))  # the list as it was read before the rename
    tag["name"] = "ghost-name"
    with pytest.raises(ForumRejected, match="left as it is"):
        client.retag(topics=[ref], add=["docs"])
    assert calls(userecho_sandbox, "PUT") == []


def test_retag_creates_a_tag_the_topics_forum_lacks(userecho_client, userecho_sandbox):
    topic = next(t for t in state(userecho_sandbox).topics.values() if t["forum_id"] == 3)
    userecho_client().retag(topics=[ForumTopic(id=topic["id"], title="", scope="3")], add=["api"])
    assert "api" in forum_tags(userecho_sandbox, 3)  # Beta program had no "api" tag
    assert "api" in topic_tag_names(userecho_sandbox, topic["id"])
    assert forum_tags(userecho_sandbox, 3)["api"] != forum_tags(userecho_sandbox, 1)["api"]


def test_retag_finds_the_forum_of_a_topic_given_by_id_only(userecho_client, userecho_sandbox):
    """Trap 2: the update is addressed to the topic's forum."""
    userecho_sandbox.app.configure(topic_forum_field=False)
    topic = next(t for t in state(userecho_sandbox).topics.values() if t["forum_id"] == 2)
    userecho_client().retag(topics=[ForumTopic(id=topic["id"], title="")], add=["howto"])
    assert "howto" in topic_tag_names(userecho_sandbox, topic["id"])
    assert [r.path for r in calls(userecho_sandbox, "PUT")] == ["/api/v2/forums/2/topics.json"]


@pytest.mark.parametrize(("shape", "is_id"), [("object", False), ("id", True), ("per_forum", None)])
def test_topic_status_and_type_as_an_object_or_an_id(
    userecho_client, userecho_sandbox, shape, is_id
):
    """Trap 15 [C] DA:205-242; in per_forum mode the legacy forum 3 answers ids."""
    userecho_sandbox.app.configure(status_shape=shape)
    client = userecho_client()
    for forum_id in (1, 3):
        row = next(t for t in state(userecho_sandbox).topics.values() if t["forum_id"] == forum_id)
        topic = client.get_topic(topic_id=row["id"])
        status = state(userecho_sandbox).statuses[row["status_id"]]
        as_id = is_id if is_id is not None else forum_id == 3
        assert topic.status == (f"#{status['id']}" if as_id else status["name"])
        assert topic.scope == ("Ideas & Feedback" if forum_id == 1 else "Beta program")


@pytest.mark.parametrize("mode", ["reference", "alternate", "both"])
def test_comment_count_from_either_spelling(userecho_client, userecho_sandbox, mode):
    """Trap 14: `comment_count` [D] or `comments_count` [C DA]."""
    userecho_sandbox.app.configure(field_names=mode)
    row = next(iter(state(userecho_sandbox).topics.values()))
    expected = sum(
        1 for c in state(userecho_sandbox).comments.values() if c["topic_id"] == row["id"]
    )
    assert userecho_client().get_topic(topic_id=row["id"]).comment_count == expected


def test_delete_a_topic_on_its_own_path(userecho_client, userecho_sandbox):
    row = next(iter(state(userecho_sandbox).topics.values()))
    client = userecho_client()
    client.delete_topic(topic_id=row["id"])
    assert row["id"] not in state(userecho_sandbox).topics
    assert [r.path for r in calls(userecho_sandbox, "DELETE")] == [
        f"/api/v2/topics/{row['id']}.json"
    ]
    with pytest.raises(ForumNotFound):
        client.delete_topic(topic_id=row["id"])
    assert len(calls(userecho_sandbox, "DELETE")) == 1


def test_review_queue_counts_topics_waiting_in_every_forum(userecho_client, userecho_sandbox):
    waiting = {t["id"] for t in state(userecho_sandbox).topics.values() if t["needs_review"]}
    client = userecho_client()
    assert {t.id for t in client.review_topics()} == waiting and len(waiting) == 12
    assert client.review_count() == 12
    for record in calls(userecho_sandbox):
        if record.path.endswith("/topics.json"):
            assert query(record)["filter__needs_review"] == ["1"]


def test_review_queue_survives_a_server_that_ignores_the_filter(userecho_client, userecho_sandbox):
    userecho_sandbox.app.configure(ignored_filters={"needs_review"})
    assert userecho_client().review_count() == 12
