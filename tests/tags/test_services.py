"""Changing tags on the Discourse and NodeBB sandboxes: one forum and one call is direct and
audited; topics or several forums make a bulk action; bad input is refused before anything is
sent."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from forums.bulk import engine
from forums.models import AuditEntry, BulkAction
from forums.tags import services
from tests.bulk.helpers import approve

pytestmark = pytest.mark.django_db


def run(action: BulkAction, approver) -> BulkAction:
    assert engine.plan_action(action.pk).again_in is None
    action.refresh_from_db()
    approve(action, approver)
    assert engine.run_action(action.pk).again_in is None
    action.refresh_from_db()
    return action


def test_rename_on_one_discourse_forum_is_one_direct_call(
    moderator, discourse_connection, discourse_sandbox
):
    app = discourse_sandbox.app
    app.calls.clear()
    outcome = services.tag_change(actor=moderator, change="rename",
                                  connections=[discourse_connection],
                                  params={"tag": "billing", "new_name": "Payments"})  # fmt: skip
    assert outcome.ok and outcome.action is None
    assert "payments" in app.tags and "billing" not in app.tags
    assert app.calls.count("PUT", "/tag/billing.json") == 1
    entry = AuditEntry.objects.get(action="tag.rename")
    assert entry.details == {"tag": "billing", "new_name": "payments"}
    assert entry.outcome == "success"


def test_rename_on_nodebb_is_a_bulk_action_even_for_one_forum(
    moderator, approver, nodebb_connection, nodebb_sandbox
):
    outcome = services.tag_change(actor=moderator, change="rename",
                                  connections=[nodebb_connection],
                                  params={"tag": "howto", "new_name": "how-to"})  # fmt: skip
    assert outcome.action is not None and outcome.action.kind == "tag_rename"
    assert "another person approves it" in outcome.message
    topics = nodebb_sandbox.app.state.topics.values()
    assert any("howto" in t["tags"] for t in topics)  # nothing sent yet
    assert run(outcome.action, approver).state == "succeeded"
    assert not any("howto" in t["tags"] for t in topics)


@pytest.mark.parametrize(
    "change, params, words",
    [
        ("rename", {"tag": "howto", "new_name": "bug"}, "merge howto into bug instead"),
        ("rename", {"tag": "howto", "new_name": "HowTo"}, "tag's name already"),
        ("rename", {"tag": "howto", "new_name": "how to v1.2"}, "strip ."),
        ("merge", {"tag": "howto", "into": "howto"}, "merged into itself"),
        ("merge", {"tag": "howto", "into": "nowhere"}, "rename howto to nowhere there instead"),
        ("delete", {"tag": "vanished"}, "since the page was loaded"),
    ],
)
def test_bad_input_is_refused_before_anything_is_sent(
    change, params, words, moderator, discourse_connection, nodebb_connection, discourse_sandbox,
    nodebb_sandbox,
):  # fmt: skip
    discourse_sandbox.app.calls.clear()
    with pytest.raises(ValidationError, match=words):
        services.tag_change(
            actor=moderator,
            change=change,
            connections=[discourse_connection, nodebb_connection],
            params=params,
        )
    assert not BulkAction.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="tag").exists()
    assert not [r for r in discourse_sandbox.app.calls.records() if r.method != "GET"]


def test_the_forum_refusing_is_reported_and_audited(moderator, discourse_connection,
                                                    discourse_sandbox):  # fmt: skip
    discourse_sandbox.app.config.faults.error_rate = 1.0
    with pytest.raises(ValidationError, match="could not be asked"):
        services.tag_change(actor=moderator, change="delete", connections=[discourse_connection],
                            params={"tag": "bug"})  # fmt: skip
    discourse_sandbox.app.config.faults.error_rate = 0.0
    discourse_sandbox.app.tags.pop("bug")  # gone between the check and the call
    outcome = services._change_directly(
        actor=moderator, change="delete", connection=discourse_connection, params={"tag": "bug"}
    )
    assert not outcome.ok and "refused" in outcome.message
    assert AuditEntry.objects.get(action="tag.delete").outcome == "failure"


def test_create_where_offered_and_not_offered_where_not(
    moderator, approver, discourse_connection, nodebb_connection, discourse_sandbox
):
    with pytest.raises(ValidationError, match="not offered by this forum"):
        services.tag_create(actor=moderator, connections=[nodebb_connection], name="payments")
    with pytest.raises(ValidationError, match="already is a tag"):
        services.tag_create(actor=moderator, connections=[discourse_connection], name="Bug")
    outcome = services.tag_create(actor=moderator, connections=[discourse_connection],
                                  name="Payments")  # fmt: skip
    assert outcome.ok and "payments" in discourse_sandbox.app.tags
    assert AuditEntry.objects.get(action="tag.create").target == "payments"


def test_delete_unused_tags_in_one_call(moderator, discourse_connection, discourse_sandbox):
    app = discourse_sandbox.app
    app._ensure_tag("lonely")
    with pytest.raises(ValidationError, match="Type DELETE"):
        services.tags_delete_unused(actor=moderator, connection=discourse_connection, confirm="x")
    outcome = services.tags_delete_unused(actor=moderator, connection=discourse_connection,
                                          confirm="DELETE")  # fmt: skip
    assert outcome.ok and "lonely" not in app.tags and "bug" in app.tags
    assert AuditEntry.objects.get(action="tag.delete_unused").outcome == "success"


def test_delete_unused_is_not_offered_on_nodebb(moderator, nodebb_connection):
    with pytest.raises(ValidationError, match="not offered"):
        services.tags_delete_unused(actor=moderator, connection=nodebb_connection,
                                    confirm="DELETE")  # fmt: skip


def test_pasted_topic_addresses_go_to_their_forum(discourse_connection, nodebb_connection):
    text = (
        f"{discourse_connection.base_url}/t/some-topic/12\n"
        f"{nodebb_connection.base_url}/topic/7/title, 44\n"
        "https://elsewhere.example/t/x/1"
    )
    found, problems = services.topics_by_forum(text, [discourse_connection, nodebb_connection])
    assert found == {discourse_connection: ["12"], nodebb_connection: ["7"]}
    assert problems == [
        "line 2: 44: a bare id needs one forum chosen",
        "line 3: https://elsewhere.example/t/x/1: not an address of a chosen forum",
    ]


def test_retag_pasted_topics_on_both_forums(
    moderator, approver, discourse_connection, nodebb_connection, discourse_sandbox, nodebb_sandbox
):
    text = f"{discourse_connection.base_url}/t/x/5\n{nodebb_connection.base_url}/topic/6/y"
    action = services.retag_propose(
        actor=moderator, connections=[discourse_connection, nodebb_connection],
        params={"add": "reviewed", "remove": "", "replace": False, "tag": ""}, topics_text=text,
    )  # fmt: skip
    assert run(action, approver).state == "succeeded"
    assert "reviewed" in discourse_sandbox.app.topics[5]["tags"]
    assert "reviewed" in nodebb_sandbox.app.state.topics[6]["tags"]
    with pytest.raises(ValidationError, match="bare id needs one forum chosen"):
        services.retag_propose(
            actor=moderator, connections=[discourse_connection, nodebb_connection],
            params={"add": "x-y-z", "remove": "", "replace": False, "tag": ""}, topics_text="5",
        )  # fmt: skip


def test_tag_groups_always_send_the_whole_list(moderator, discourse_connection, discourse_sandbox):
    app = discourse_sandbox.app
    group = next(g for g in app.tag_groups.values() if g["name"] == "Platforms")
    outcome = services.tag_group_save(
        actor=moderator, connection=discourse_connection, tag_group_id=group["id"],
        name="Platforms and devices", tag_names=[*group["tag_names"], "Watch"],
        parent_tag_names=[], one_per_topic=False,
    )  # fmt: skip
    assert outcome.ok
    assert group["name"] == "Platforms and devices" and "watch" in group["tag_names"]
    assert {"android", "ios", "web"} <= set(group["tag_names"])
    put = [r for r in app.calls.records() if r.method == "PUT"][-1]
    # the current release takes the tags as objects (tag_names is deprecated since 2026.01)
    assert "android" in [t["name"] for t in put.body["tags"]]
    created = services.tag_group_save(
        actor=moderator, connection=discourse_connection, tag_group_id=None, name="Languages",
        tag_names=["go", "rust"], parent_tag_names=[], one_per_topic=True,
    )  # fmt: skip
    assert created.ok and any(g["name"] == "Languages" for g in app.tag_groups.values())
    languages = next(g for g in app.tag_groups.values() if g["name"] == "Languages")
    with pytest.raises(ValidationError, match="Type the tag group's name"):
        services.tag_group_delete(actor=moderator, connection=discourse_connection,
                                  tag_group_id=languages["id"], confirm="lang")  # fmt: skip
    services.tag_group_delete(actor=moderator, connection=discourse_connection,
                              tag_group_id=languages["id"], confirm="Languages")  # fmt: skip
    assert languages["id"] not in app.tag_groups
    assert AuditEntry.objects.filter(action__startswith="tag_group.").count() == 3


def test_tag_groups_are_not_offered_on_nodebb(moderator, nodebb_connection):
    with pytest.raises(ValidationError, match="tag groups are not offered"):
        services.tag_group_save(
            actor=moderator,
            connection=nodebb_connection,
            tag_group_id=None,
            name="x",
            tag_names=[],
            parent_tag_names=[],
            one_per_topic=False,
        )
