"""Retagging topics in bulk: by pasted topic ids (each read first) or every topic with a tag;
Discourse in one PUT /topics/bulk.json per batch, NodeBB one topic per call."""

from __future__ import annotations

import pytest

from forums.bulk import engine
from forums.bulk.kinds import get_kind
from forums.bulk.kinds.topics import retagged
from forums.bulk.services import bulk_action_propose
from forums.models import BulkAction
from tests.bulk.helpers import approve

pytestmark = pytest.mark.django_db
State = BulkAction.State


def plan_and_run(action: BulkAction, approver) -> BulkAction:
    assert engine.plan_action(action.pk).again_in is None
    action.refresh_from_db()
    approve(action, approver)
    assert engine.run_action(action.pk).again_in is None
    action.refresh_from_db()
    return action


def test_retagged_is_what_the_clients_do():
    assert retagged(["a", "Old"], add=["b"], remove=["old"], replace=False) == ["a", "b"]
    assert retagged(["a"], add=["x", "y"], remove=[], replace=True) == ["x", "y"]
    assert retagged(["a"], add=[], remove=[], replace=True) == []


def test_pasted_topics_on_discourse_in_one_batch(
    moderator, approver, discourse_connection, discourse_sandbox
):
    app = discourse_sandbox.app
    with_bug = sorted(t for t, v in app.topics.items() if "bug" in v["tags"])[:3]
    without = next(t for t, v in app.topics.items() if "bug" not in v["tags"])
    action = bulk_action_propose(
        actor=moderator, kind="retag",
        params={"add": "triaged", "remove": "bug", "replace": False, "tag": ""},
        targets_by_connection={discourse_connection: [*map(str, with_bug), str(without), "99999"]},
    )  # fmt: skip
    assert action.params["add"] == ["triaged"] and action.params["remove"] == ["bug"]
    app.calls.clear()
    action = plan_and_run(action, approver)
    assert action.state == State.SUCCEEDED
    states = dict(action.items.values_list("target", "state"))
    assert states["99999"] == "skipped"  # gone: "not found on ..."
    for topic_id in with_bug + [without]:
        assert (
            "triaged" in app.topics[topic_id]["tags"] and "bug" not in app.topics[topic_id]["tags"]
        )
    # Topics with the same resulting tags go in one call; a whole batch in few calls.
    assert app.calls.count("PUT", "/topics/bulk.json") <= 4


def test_every_topic_with_a_tag_on_nodebb_one_call_each(
    moderator, approver, nodebb_connection, nodebb_sandbox
):
    app = nodebb_sandbox.app
    topics = {t for t, v in app.state.topics.items() if "mongodb" in v["tags"]}
    already = next(iter(topics))
    app.state.topics[already]["tags"].append("database")
    action = bulk_action_propose(
        actor=moderator, kind="retag_tagged", connections=[nodebb_connection],
        params={"add": "database", "remove": "", "replace": False, "tag": "mongodb"},
    )  # fmt: skip
    assert engine.plan_action(action.pk).again_in is None
    action.refresh_from_db()
    assert action.plan["planned"] == len(topics) - 1
    assert action.items.get(target=str(already)).error == "already tagged so"
    app.calls.clear()
    approve(action, approver)
    engine.run_action(action.pk)
    action.refresh_from_db()
    assert action.state == State.SUCCEEDED
    assert all("database" in app.state.topics[t]["tags"] for t in topics)
    assert app.calls.count(method="PATCH") == len(topics) - 1


def test_replace_clears_and_a_bad_new_tag_is_refused_first(moderator, nodebb_connection):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="minimumTagLength"):
        bulk_action_propose(
            actor=moderator, kind="retag", connections=[nodebb_connection],
            params={"add": "ok", "remove": "", "replace": False, "tag": ""},
            targets_text="3",
        )  # fmt: skip
    kind = get_kind("retag")
    parsed = kind.parse_targets("3, 4\nhttps://x/t/5\n3")
    assert [t.value for t in parsed.targets] == ["3", "4"]
    assert [j.reason for j in parsed.junk] == ["not a topic id"]
    assert len(parsed.duplicates) == 1


def test_one_topic_userecho_cannot_give_does_not_fail_the_plan(
    moderator, userecho_connection, userecho_sandbox
):
    """Issue 26, item 13: that topic is listed as unreadable; the others are planned."""
    app = userecho_sandbox.app
    topic_ids = sorted(app.state.topics)[:3]
    bad = topic_ids[1]
    own_topic_get = app.topic_get

    def broken(request, topic_id):
        if topic_id == bad:
            return app.fail("invalid", "Something odd about this one")
        return own_topic_get(request, topic_id)

    app.topic_get = broken
    try:
        action = bulk_action_propose(
            actor=moderator, kind="retag",
            params={"add": "triaged", "remove": "", "replace": False, "tag": ""},
            targets_by_connection={userecho_connection: [str(t) for t in topic_ids]},
        )  # fmt: skip
        assert engine.plan_action(action.pk).again_in is None
    finally:
        del app.topic_get
    action.refresh_from_db()
    assert action.state == State.PENDING_APPROVAL, action.last_error
    assert action.plan["planned"] == 2
    item = action.items.get(target=str(bad))
    assert item.state == "skipped"
    assert item.error.startswith("could not be read:") and "Something odd" in item.error


def test_a_retag_plan_reads_in_words_with_one_title(
    moderator, approver_client, discourse_connection, discourse_sandbox
):
    from django.urls import reverse

    action = bulk_action_propose(
        actor=moderator, kind="retag_tagged", connections=[discourse_connection],
        params={"add": "bug, triaged", "remove": "", "replace": False, "tag": "crash"},
    )  # fmt: skip
    assert engine.plan_action(action.pk).again_in is None
    html = approver_client.get(reverse("forums:bulk-detail", args=[action.pk])).content.decode()
    assert "Retag topics tagged crash: add bug, triaged" in html
    assert "topics of topics" not in html
    assert "[&#x27;" not in html and "['" not in html  # no Python lists
    parameters = html.split('class="summary parameter-list"')[1].split("</dl>")[0]
    assert "<dt>Add tags</dt><dd>bug, triaged</dd>" in parameters
    assert "<dt>Remove tags</dt><dd>none</dd>" in parameters
