"""The UserEcho client against the sandbox UserEcho: tags and categories, per forum."""

from __future__ import annotations

import pytest

from forums.clients.errors import (
    ForumNotFound,
    ForumRejected,
)

from .helpers import (
    calls,
    forum_tags,
    state,
)


# --- tags and categories, per forum --------------------------------------------------------------
def test_tags_are_listed_per_forum_and_keyed_by_forum_and_id(userecho_client, userecho_sandbox):
    """Trap 4: forum 2's "bug" is not forum 1's."""
    tags = userecho_client().list_tags()
    bugs = [t for t in tags if t.name == "bug"]
    assert {t.scope for t in bugs} == {"Ideas & Feedback", "Support", "Beta program"}
    assert len({t.id for t in bugs}) == 3
    for tag in bugs:
        forum_id, tag_id = (int(x) for x in str(tag.id).split(":"))
        expected = sum(1 for t in state(userecho_sandbox).topics.values() if tag_id in t["tag_ids"])
        assert forum_tags(userecho_sandbox, forum_id)["bug"] == tag_id
        assert tag.topic_count == expected


def test_create_a_tag_in_one_forum_or_in_every_forum_lacking_it(userecho_client, userecho_sandbox):
    client = userecho_client()
    client.create_tag(name="billing", scope="Ideas & Feedback")
    assert "billing" in forum_tags(userecho_sandbox, 1)
    with pytest.raises(ForumRejected, match="already exists in Ideas & Feedback"):
        client.create_tag(name="Billing", scope="1")
    client.create_tag(name="billing")  # Support already has it: only Beta program gets one
    posts = [r.path for r in calls(userecho_sandbox, "POST")]
    assert posts == ["/api/v2/forums/1/tags.json", "/api/v2/forums/3/tags.json"]


def test_rename_a_tag_on_one_forum_leaves_the_others(userecho_client, userecho_sandbox):
    client = userecho_client()
    client.rename_tag(name="bug", new_name="defect", scope="Support")
    assert "defect" in forum_tags(userecho_sandbox, 2) and "bug" not in forum_tags(
        userecho_sandbox, 2
    )
    assert "bug" in forum_tags(userecho_sandbox, 1) and "bug" in forum_tags(userecho_sandbox, 3)
    (put,) = calls(userecho_sandbox, "PUT")
    assert put.path == "/api/v2/forums/2/tags.json"
    assert put.body == {"id": forum_tags(userecho_sandbox, 2)["defect"], "name": "defect"}


def test_rename_onto_an_existing_tag_is_refused_before_anything_is_sent(
    userecho_client, userecho_sandbox
):
    with pytest.raises(ForumRejected, match="already has a tag “feature”.*Merge"):
        userecho_client().rename_tag(name="bug", new_name="feature")  # forum 1 has both
    assert calls(userecho_sandbox, "PUT") == []
    assert "bug" in forum_tags(userecho_sandbox, 2)


def test_delete_a_tag_by_its_forum_and_id(userecho_client, userecho_sandbox):
    client = userecho_client()
    beta_bug = next(t for t in client.list_tags() if t.name == "bug" and t.scope == "Beta program")
    client.delete_tag(name=str(beta_bug.id))
    assert "bug" not in forum_tags(userecho_sandbox, 3)
    assert "bug" in forum_tags(userecho_sandbox, 1)
    (delete,) = calls(userecho_sandbox, "DELETE")
    assert delete.body == {"id": int(str(beta_bug.id).split(":")[1])}
    with pytest.raises(ForumNotFound):
        client.delete_tag(name="no-such-tag")


def test_a_tags_topics_carry_their_forum(userecho_client, userecho_sandbox):
    topics = userecho_client().list_tag_topics(tag="bug", scope="Support")
    support_bug = forum_tags(userecho_sandbox, 2)["bug"]
    expected = {
        t["id"] for t in state(userecho_sandbox).topics.values() if support_bug in t["tag_ids"]
    }
    assert {t.id for t in topics} == expected
    assert all(t.scope == "Support" and "bug" in t.tags for t in topics)
    assert len(userecho_client().list_tag_topics(tag="bug", limit=3)) == 3


def test_categories_per_forum(userecho_client, userecho_sandbox):
    client = userecho_client()
    billing = [c for c in client.list_categories() if c.name == "Billing"]
    assert {c.scope for c in billing} == {"Ideas & Feedback", "Support"}
    with pytest.raises(ForumRejected, match="several forums"):
        client.rename_category(key="Billing", new_name="Payments")
    created = client.create_category(scope="Beta program", name="Crashes")
    assert created.scope == "Beta program" and str(created.id).startswith("3:")
    client.rename_category(key="Billing", new_name="Payments", scope="Support")
    client.delete_category(key=str(created.id))
    names = {(c["forum_id"], c["name"]) for c in state(userecho_sandbox).categories.values()}
    assert (2, "Payments") in names and (1, "Billing") in names and (3, "Crashes") not in names


def test_tag_counts_take_one_read_of_the_topics_not_one_call_per_tag(
    userecho_client, userecho_sandbox
):
    """Issue 22, finding 8: the tag pages cost one call per tag of the whole project."""
    tags = userecho_client().list_tags()
    per_tag = [r for r in calls(userecho_sandbox, "GET") if r.path.startswith("/api/v2/tags/")]
    assert per_tag == []
    topics = state(userecho_sandbox).topics.values()
    for tag in tags:
        forum_id, tag_id = (int(x) for x in str(tag.id).split(":"))
        assert tag.topic_count == sum(1 for t in topics if tag_id in t["tag_ids"])
    assert len(calls(userecho_sandbox, "GET")) < len(tags)


@pytest.mark.parametrize("shape", ["ids", "names"])
def test_tag_counts_read_topics_whose_tags_come_as_ids_or_names(
    userecho_client, userecho_sandbox, shape
):
    userecho_sandbox.app.configure(topic_tags=shape)
    bugs = [t for t in userecho_client().list_tags() if t.name == "bug"]
    for tag in bugs:
        tag_id = int(str(tag.id).split(":")[1])
        assert tag.topic_count == sum(
            1 for t in state(userecho_sandbox).topics.values() if tag_id in t["tag_ids"]
        )
