"""The group kinds beyond add/remove: create on several forums, delete, and sync, planned and
run by the engine against the Discourse and NodeBB sandboxes (the worker is the engine called
in-process here)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from forums.bulk import engine
from forums.bulk.counts import update_items
from forums.bulk.kinds import get_kind
from forums.bulk.services import bulk_action_propose
from forums.models import AuditEntry, BulkAction
from tests.bulk.helpers import approve

pytestmark = pytest.mark.django_db
State = BulkAction.State


def plan(action: BulkAction) -> BulkAction:
    outcome = engine.plan_action(action.pk)
    assert outcome.again_in is None, outcome.note
    action.refresh_from_db()
    return action


def plan_and_run(action: BulkAction, approver) -> BulkAction:
    approve(plan(action), approver)
    outcome = engine.run_action(action.pk)
    assert outcome.again_in is None, outcome.note
    action.refresh_from_db()
    return action


@pytest.fixture
def forums(discourse_connection, nodebb_connection):
    return [discourse_connection, nodebb_connection]


def test_create_a_group_on_both_forums_one_item_each(
    moderator, approver, forums, discourse_sandbox, nodebb_sandbox
):
    action = bulk_action_propose(
        actor=moderator, kind="group_create", connections=forums,
        params={"name": "release-crew", "full_name": "Release crew", "description": "Ships",
                "visible": False},
    )  # fmt: skip
    action = plan(action)
    assert action.state == State.PENDING_APPROVAL
    assert [(p["name"], p["planned"]) for p in action.plan["per_connection"]] == [
        ("Sandbox Discourse", 1), ("Sandbox NodeBB", 1)]  # fmt: skip
    approve(action, approver)
    engine.run_action(action.pk)
    action.refresh_from_db()
    assert action.state == State.SUCCEEDED
    group = next(g for g in discourse_sandbox.app.groups.values() if g["name"] == "release-crew")
    assert (group["full_name"], group["bio_raw"], group["visibility_level"]) == (
        "Release crew", "Ships", 2)  # fmt: skip
    nodebb_group = nodebb_sandbox.app.state.groups["release-crew"]
    assert nodebb_group["hidden"] == 1 and nodebb_group["description"] == "Ships"
    audited = AuditEntry.objects.filter(action="bulk.group_create", bulk_action=action)
    assert sorted(audited.values_list("connection_name", flat=True)) == [
        "Sandbox Discourse", "Sandbox NodeBB"]  # fmt: skip


def test_a_name_one_forum_refuses_stops_the_proposal(moderator, forums):
    with pytest.raises(ValidationError, match="no spaces"):
        bulk_action_propose(
            actor=moderator, kind="group_create", connections=forums,
            params={"name": "Beta crew", "visible": True},
        )  # fmt: skip
    assert not BulkAction.objects.exists()


def test_an_existing_group_needs_no_change(moderator, forums):
    action = plan(
        bulk_action_propose(
            actor=moderator,
            kind="group_create",
            connections=forums,
            params={"name": "translators", "visible": True},
        )  # fmt: skip
    )
    # NodeBB's "Translators" has the slug translators: the same group.
    assert set(action.items.values_list("connection__name", "error")) == {
        ("Sandbox Discourse", "already exists on this forum"),
        ("Sandbox NodeBB", "already exists on this forum"),
    }
    assert action.plan["planned"] == 0
    assert get_kind("group_create").describe(action.params) == "Create group translators"


def test_delete_a_group_with_members_after_approval(
    moderator, approver, discourse_connection, discourse_sandbox
):
    action = bulk_action_propose(
        actor=moderator, kind="group_delete", connections=[discourse_connection],
        params={"group": "support-team"},
    )  # fmt: skip
    action = plan(action)
    item = action.items.get()
    assert item.forum_username == "support-team (12 members)" and item.state == "pending"
    approve(action, approver)
    engine.run_action(action.pk)
    action.refresh_from_db()
    assert action.state == State.SUCCEEDED
    assert not any(g["name"] == "support-team" for g in discourse_sandbox.app.groups.values())


def test_an_automatic_group_is_never_deleted(moderator, discourse_connection, discourse_sandbox):
    action = plan(
        bulk_action_propose(
            actor=moderator,
            kind="group_delete",
            connections=[discourse_connection],
            params={"group": "trust_level_1"},
        )  # fmt: skip
    )
    item = action.items.get()
    assert item.state == "skipped" and "automatic group" in item.error
    assert action.plan["planned"] == 0


def test_sync_adds_and_removes_in_batches_and_verifies_after_a_crash(
    moderator, approver, discourse_connection, discourse_sandbox
):
    app = discourse_sandbox.app
    group = next(g for g in app.groups.values() if g["name"] == "translators")
    outsider = next(
        u for u in app.users.values() if u["id"] > 4 and u["id"] not in group["members"]
    )
    member = app.users[sorted(group["members"])[0]]
    action = bulk_action_propose(
        actor=moderator, kind="group_sync",
        params={"source": "Elsewhere: translators", "groups": {"Sandbox Discourse": "translators"},
                "remove": True},
        targets_by_connection={discourse_connection: [f"add:{outsider['username']}",
                                                    f"remove:{member['username']}"]},
    )  # fmt: skip
    action = plan(action)
    assert action.plan["planned"] == 2
    approve(action, approver)
    engine.run_action(action.pk)
    action.refresh_from_db()
    assert action.state == State.SUCCEEDED
    assert outsider["id"] in group["members"] and member["id"] not in group["members"]
    # Run again as if the worker had died after sending: the forum shows the change.
    update_items(action.items.all(), state="sending")
    BulkAction.objects.filter(pk=action.pk).update(state=State.RUNNING)
    engine.run_action(action.pk)
    assert set(action.items.values_list("state", "error")) == {("done", engine.FOUND_APPLIED)}


def test_sync_targets_are_add_or_remove_lines():
    parsed = get_kind("group_sync").parse_targets("add:alice\nremove:Bob\nnonsense\nadd:alice")
    assert [t.value for t in parsed.targets] == ["add:alice", "remove:Bob"]
    assert [j.line for j in parsed.junk] == [3] and [d.line for d in parsed.duplicates] == [4]
