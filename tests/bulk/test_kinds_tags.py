"""Tag kinds across forums: Discourse renames, merges and deletes in one call; NodeBB (no token
route for it) by retagging every topic that carries the tag, one topic per call."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from forums.bulk import engine
from forums.bulk.counts import update_items
from forums.bulk.services import bulk_action_propose
from forums.models import AuditEntry, BulkAction
from tests.bulk.helpers import approve

pytestmark = pytest.mark.django_db
State = BulkAction.State


@pytest.fixture
def forums(discourse_connection, nodebb_connection):
    return [discourse_connection, nodebb_connection]


def tagged(app, tag: str) -> set[int]:
    """Topic ids carrying ``tag`` in a sandbox (either platform's state)."""
    topics = app.state.topics if hasattr(app, "state") else app.topics
    return {tid for tid, t in topics.items() if tag in t["tags"]}


def propose(actor, kind, connections, **params) -> BulkAction:
    action = bulk_action_propose(actor=actor, kind=kind, connections=connections, params=params)
    outcome = engine.plan_action(action.pk)
    assert outcome.again_in is None, outcome.note
    action.refresh_from_db()
    return action


def run(action: BulkAction, approver) -> BulkAction:
    approve(action, approver)
    outcome = engine.run_action(action.pk)
    assert outcome.again_in is None, outcome.note
    action.refresh_from_db()
    return action


def test_rename_everywhere_one_call_on_discourse_topic_by_topic_on_nodebb(
    moderator, approver, forums, discourse_sandbox, nodebb_sandbox
):
    d, n = discourse_sandbox.app, nodebb_sandbox.app
    d_topics, n_topics = tagged(d, "howto"), tagged(n, "howto")
    assert d_topics and n_topics
    action = propose(moderator, "tag_rename", forums, tag="howto", new_name="how-to")
    rows = {p["name"]: p for p in action.plan["per_connection"]}
    assert rows["Sandbox Discourse"]["planned"] == 1
    assert rows["Sandbox Discourse"]["calls"] == 3  # read the tags, read again, rename
    assert rows["Sandbox NodeBB"]["planned"] == len(n_topics)
    # one PUT per topic, plus the tag's topic list read when the run starts
    assert rows["Sandbox NodeBB"]["calls"] == len(n_topics) + 1
    assert action.plan["description"] == "Rename tag howto to how-to"
    n.calls.clear()
    action = run(action, approver)
    assert action.state == State.SUCCEEDED
    assert tagged(d, "how-to") == d_topics and not tagged(d, "howto") and "howto" not in d.tags
    assert tagged(n, "how-to") == n_topics and not tagged(n, "howto")
    puts = [r for r in n.calls.records() if r.method == "PUT"]
    assert len(puts) == len(n_topics) and all(r.path.endswith("/tags") for r in puts)
    audited = AuditEntry.objects.filter(action="bulk.tag_rename", bulk_action=action)
    assert audited.count() == 1 + len(n_topics)


def test_renaming_onto_an_existing_tag_is_skipped_with_merge_offered(
    moderator, discourse_connection
):
    action = propose(moderator, "tag_rename", [discourse_connection], tag="howto", new_name="bug")
    item = action.items.get()
    assert item.state == "skipped" and "merge into it instead" in item.error


def test_merge_moves_topics_and_a_crashed_retag_is_verified_not_resent(
    moderator, approver, nodebb_connection, nodebb_sandbox
):
    n = nodebb_sandbox.app
    moving, staying = tagged(n, "docker"), tagged(n, "redis")
    action = propose(moderator, "tag_merge", [nodebb_connection], tag="docker", into="redis")
    assert action.plan["planned"] == len(moving) > 0
    # A worker died right after sending the first topic: it shows the change already.
    first = action.items.filter(planned=True).order_by("id").first()
    topic = n.state.topics[first.forum_user_id]
    topic["tags"] = sorted({*topic["tags"]} - {"docker"} | {"redis"})
    approve(action, approver)
    update_items(action.items.filter(pk=first.pk), state="sending", attempts=1)
    n.calls.clear()
    engine.run_action(action.pk)
    action.refresh_from_db()
    first.refresh_from_db()
    assert action.state == State.SUCCEEDED
    assert first.state == "done" and first.error == engine.FOUND_APPLIED
    assert n.calls.count("PUT", f"/api/v3/topics/{topic['tid']}/tags") == 0
    assert not tagged(n, "docker") and tagged(n, "redis") == staying | moving


def test_merging_a_tag_into_itself_is_refused_before_anything(moderator, forums):
    with pytest.raises(ValidationError, match="merged into itself"):
        bulk_action_propose(actor=moderator, kind="tag_merge", connections=forums,
                            params={"tag": "api", "into": "API"})  # fmt: skip
    assert not BulkAction.objects.exists()


def test_delete_is_destructive_and_removes_the_tag_from_every_topic(
    moderator, approver, forums, discourse_sandbox, nodebb_sandbox
):
    action = propose(moderator, "tag_delete", forums, tag="api")
    from forums.bulk.kinds import get_kind

    kind = get_kind("tag_delete")
    assert kind.destructive and "{n}" in kind.destructive_note
    action = run(action, approver)
    assert action.state == State.SUCCEEDED
    assert "api" not in discourse_sandbox.app.tags
    assert not tagged(nodebb_sandbox.app, "api")


def test_create_is_offered_only_where_the_forum_creates_tags(
    moderator, approver, discourse_connection, nodebb_connection, discourse_sandbox
):
    with pytest.raises(ValidationError, match=r"Sandbox NodeBB \(NodeBB\) does not offer"):
        bulk_action_propose(actor=moderator, kind="tag_create",
                            connections=[discourse_connection, nodebb_connection],
                            params={"tag": "payments"})  # fmt: skip
    action = run(propose(moderator, "tag_create", [discourse_connection], tag="payments"), approver)
    assert action.state == State.SUCCEEDED and "payments" in discourse_sandbox.app.tags


def test_a_tag_missing_on_a_forum_plans_nothing_there(
    moderator, forums, discourse_sandbox, nodebb_sandbox
):
    assert not tagged(nodebb_sandbox.app, "billing")
    action = propose(moderator, "tag_rename", forums, tag="billing", new_name="payments")
    rows = {p["name"]: p["planned"] for p in action.plan["per_connection"]}
    assert rows == {"Sandbox Discourse": 1, "Sandbox NodeBB": 0}


def test_a_third_platform_takes_the_way_its_client_class_says(
    moderator, approver, forums, userecho_connection, userecho_client
):
    """UserEcho renames in one call per forum that has the tag, and merges by retagging
    topics: asked of its client class, like the other two."""
    client = userecho_client()
    action = propose(moderator, "tag_rename", [*forums, userecho_connection], tag="howto",
                     new_name="how-to")  # fmt: skip
    rows = {p["name"]: p["planned"] for p in action.plan["per_connection"]}
    assert rows["Sandbox UserEcho"] == 1 and rows["Sandbox Discourse"] == 1
    assert run(action, approver).state == State.SUCCEEDED
    names = {(t.name, t.scope) for t in client.list_tags()}
    assert ("how-to", "Support") in names and ("howto", "Support") not in names

    urgent = {t.id for t in client.list_tag_topics(tag="urgent")}
    action = propose(moderator, "tag_merge", [userecho_connection], tag="urgent", into="billing")
    assert action.plan["planned"] == len(urgent) > 0  # one item per topic: no synonym route
    assert run(action, approver).state == State.SUCCEEDED
    assert not client.list_tag_topics(tag="urgent")
    assert urgent <= {t.id for t in client.list_tag_topics(tag="billing")}
