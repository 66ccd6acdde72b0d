"""The Discourse client against the sandbox Discourse: tags, tag groups and retagging."""

from __future__ import annotations

import pytest

from forums.clients.errors import (
    ForumNotFound,
    ForumRejected,
)
from forums.clients.records import ForumTopic

from .helpers import (
    SANDBOX_CONFIG,  # noqa: F401 - the config of this module's sandbox
)

# Every test that uses the sandbox runs once per release profile it plays (3.4 and 2026.1):
# these are the areas whose requests or answers differ between releases.
pytestmark = pytest.mark.every_release


# --- tags ---------------------------------------------------------------------------------------
# it switches shapes itself
@pytest.mark.parametrize("discourse_release", ["2026.1"])
def test_tags_with_counts_in_both_shapes(client, sandbox, discourse_release):
    tags = {t.name: t for t in client.list_tags()}
    expected = sum(1 for t in sandbox.topics.values() if "bug" in t["tags"])
    assert tags["bug"].topic_count == expected > 0
    assert isinstance(tags["bug"].id, int)
    sandbox.legacy_tag_ids = True
    legacy = {t.name: t for t in client.list_tags()}
    assert legacy.keys() == tags.keys()
    assert legacy["bug"].topic_count == expected and legacy["bug"].id == "bug"


def test_rename_and_delete_tag(client, sandbox):
    topic_ids = {t.id for t in client.list_tag_topics(tag="android")}
    client.rename_tag(name="android", new_name="android-app")
    assert {t.id for t in client.list_tag_topics(tag="android-app")} == topic_ids
    platforms = next(g for g in client.list_tag_groups() if g.name == "Platforms")
    assert "android-app" in platforms.tag_names
    with pytest.raises(ForumRejected):
        client.rename_tag(name="ios", new_name="web")
    client.delete_tag(name="android-app")
    assert "android-app" not in {t.name for t in client.list_tags()}
    with pytest.raises(ForumNotFound):
        client.list_tag_topics(tag="android-app")


def test_retag_replace_and_append_then_page_through_topics(client, sandbox):
    ids = sorted(sandbox.topics)[:70]
    topics = [ForumTopic(id=i, title="") for i in ids]
    changed = client.retag(topics=topics, replace=["campaign-2026"])
    assert changed == ids
    assert all(sandbox.topics[i]["tags"] == ["campaign-2026"] for i in ids)
    client.retag(topics=topics[:5], add=["urgent"])
    assert sandbox.topics[ids[0]]["tags"] == ["campaign-2026", "urgent"]
    tagged = client.list_tag_topics(tag="urgent")
    client.retag(topics=tagged, remove=["campaign-2026"])
    assert all(sandbox.topics[i]["tags"] == ["urgent"] for i in ids[:5])
    client.retag(topics=tagged, add=["campaign-2026"])
    sandbox.calls.clear()
    listed = client.list_tag_topics(tag="campaign-2026")
    assert sorted(t.id for t in listed) == ids
    assert sandbox.calls.count("GET", "/tag/campaign-2026.json") == 3  # 30 + 30 + 10
    assert client.list_tag_topics(tag="campaign-2026", limit=5).__len__() == 5
    client.retag(topics=topics[:1], replace=[])
    assert sandbox.topics[ids[0]]["tags"] == []


def test_tag_group_rename_keeps_its_tags(client, sandbox):
    group = client.create_tag_group(name="Languages", tag_names=["python", "ruby"])
    assert set(group.tag_names) == {"python", "ruby"}
    renamed = client.update_tag_group(tag_group_id=group.id, name="Programming languages")
    assert renamed.name == "Programming languages"
    again = client.get_tag_group(tag_group_id=group.id)
    assert set(again.tag_names) == {"python", "ruby"}
    client.update_tag_group(tag_group_id=group.id, tag_names=["go"])
    assert client.get_tag_group(tag_group_id=group.id).tag_names == ("go",)
    client.delete_tag_group(tag_group_id=group.id)
    assert group.id not in {g.id for g in client.list_tag_groups()}
