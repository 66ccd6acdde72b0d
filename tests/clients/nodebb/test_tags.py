"""The NodeBB client against the sandbox NodeBB: tags and topics."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from forums.clients.errors import (
    CapabilityNotOffered,
)
from forums.clients.records import Capability, ForumTopic

from .helpers import (  # noqa: F401 - the config of this module's sandbox
    MASTER,
    MASTER_CONFIG,
    SANDBOX_CONFIG,
    TOKEN,
    _fresh,
    make_client,
    plain_uid,
)

pytestmark = pytest.mark.every_release  # each verb against each release the sandbox plays


# --- tags ---------------------------------------------------------------------------------
def test_tags_with_counts_and_topic_retagging(client, sandbox):
    tags = {t.name: t.topic_count for t in client.list_tags()}
    state = sandbox.app.state
    assert tags["help"] == sum("help" in t["tags"] for t in state.topics.values())
    assert client.set_topic_tags(topic_id=1, tags=["Docker", "upgrade"]) == ("docker", "upgrade")
    assert client.add_topic_tags(topic_id=1, tags=["nginx"]) == ("docker", "upgrade", "nginx")
    client.clear_topic_tags(topic_id=1)
    assert state.topics[1]["tags"] == []
    topic = ForumTopic(id=1, title="", tags=())
    assert client.retag(topics=[topic], add=["help"]) == [1]
    assert state.topics[1]["tags"] == ["help"]
    client.retag(topics=[ForumTopic(id=1, title="", tags=("help",))], remove=["help"], add=["faq"])
    assert state.topics[1]["tags"] == ["faq"]
    client.retag(topics=[topic], replace=[])
    assert state.topics[1]["tags"] == []


def test_topics_for_a_tag_walk_every_page(client, sandbox):
    topics = client.list_tag_topics(tag="help")
    expected = {tid for tid, t in sandbox.app.state.topics.items() if "help" in t["tags"]}
    assert {t.id for t in topics} == expected and len(expected) > 20
    assert all("help" in t.tags for t in topics)
    assert sandbox.app.calls.count("GET", "/api/tags/help") == 2


def test_missing_capabilities_raise_not_offered_without_any_call(client, sandbox):
    for call in (
        lambda: client.rename_tag(name="help", new_name="support"),
        lambda: client.delete_tag(name="help"),
        lambda: client.create_tag(name="new"),
        lambda: client.merge_tag(name="help", into="faq"),
        client.delete_unused_tags,
        client.list_tag_groups,
        client.list_backups,
        client.create_backup,
        client.backup_status,
        lambda: client.list_events(start=datetime.now(UTC), end=datetime.now(UTC)),
        lambda: client.log_out(user_id=5),
    ):
        with pytest.raises(CapabilityNotOffered):
            call()
    assert not client.supports(Capability.BACKUPS)
    assert not client.supports(Capability.GROUP_BATCH_MEMBERS)
    assert sandbox.app.calls.records() == []
