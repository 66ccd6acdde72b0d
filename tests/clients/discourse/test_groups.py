"""The Discourse client against the sandbox Discourse: groups and their members."""

from __future__ import annotations

import pytest

from forums.clients.discourse import (
    DiscourseGroupUpdateNeedsChoice,
)
from forums.clients.errors import (
    ForumForbidden,
    ForumNotFound,
    ForumRejected,
)
from forums.clients.records import ForumGroup

from .helpers import (
    SANDBOX_CONFIG,  # noqa: F401 - the config of this module's sandbox
    a_member,
)

# Every test that uses the sandbox runs once per release profile it plays (3.4 and 2026.1):
# these are the areas whose requests or answers differ between releases.
pytestmark = pytest.mark.every_release


# --- groups -----------------------------------------------------------------------------------
def test_list_groups_walks_every_page(client, sandbox):
    for n in range(40):
        client.create_group(name=f"cohort-{n:02d}")
    groups = client.list_groups()
    names = {g.name for g in groups}
    assert len(groups) == len(sandbox.groups) > 36
    assert {"trust_level_0", "beta-testers", "cohort-39"} <= names
    assert sandbox.calls.count("GET", "/groups.json") == 2
    auto = next(g for g in groups if g.name == "trust_level_0")
    assert auto.automatic


def test_group_create_get_update_delete(client, sandbox):
    created = client.create_group(
        name="release-crew", full_name="Release crew", description="Ships things"
    )
    client.add_members(group=created, user_ids=[1])
    assert created.id and client.get_group(key="release-crew").user_count == 1
    got = client.get_group(key="release-crew")
    assert (got.full_name, got.description) == ("Release crew", "Ships things")
    updated = client.update_group(key="release-crew", name="release-team", full_name="Release team")
    by_id = client.get_group_by_id(group_id=created.id)
    assert (by_id.name, by_id.full_name) == ("release-team", "Release team") == (
        updated.name, updated.full_name)  # fmt: skip
    client.delete_group(key="release-team")
    with pytest.raises(ForumNotFound):
        client.get_group(key="release-team")


def test_group_update_touching_notification_defaults_needs_a_choice(client, sandbox):
    group = client.get_group(key="beta-testers")
    with pytest.raises(DiscourseGroupUpdateNeedsChoice) as needs:
        client.update_group(key=group.key, default_notification_level=1)
    assert needs.value.user_count == group.user_count == 40
    client.update_group(key=group.key, default_notification_level=1, update_existing_users=False)
    assert sandbox.groups[group.id]["default_notification_level"] == 1


def test_adding_2500_members_takes_three_calls(client, sandbox):
    group = client.create_group(name="big-cohort")
    ids = [u["id"] for u in sandbox.users.values() if u["id"] > 0][:2500]
    sandbox.calls.clear()
    change = client.add_members(group=group, user_ids=ids)
    puts = [r for r in sandbox.calls.records() if r.method == "PUT"]
    assert change.calls == 3 and len(puts) == 3
    assert all(r.status == 200 for r in puts)
    assert [len(r.body["user_ids"].split(",")) for r in puts] == [1000, 1000, 500]
    assert len(change.added) == 2500 and not change.skipped
    members = client.list_group_members(key="big-cohort")
    assert len({m.id for m in members}) == 2500
    assert sandbox.calls.count("GET", "/groups/big-cohort/members.json") == 3


def test_adding_existing_members_is_skipped_not_an_error(client, sandbox):
    group = client.get_group(key="support-team")
    current = [m.id for m in client.list_group_members(key="support-team")]
    change = client.add_members(group=group, user_ids=current)
    assert change.skipped == tuple(str(i) for i in current) and not change.added
    assert change.calls == 1
    newcomer = a_member(sandbox)
    mixed = client.add_members(group=group, user_ids=[newcomer["id"], 987654])
    assert mixed.added == (newcomer["username"],)  # the unknown id is dropped by the forum


def test_members_by_id_and_email_and_removal(client, sandbox):
    group = client.create_group(name="by-id")
    users = [u for u in sandbox.users.values() if u["id"] > 4][:5]
    outsider = [u for u in sandbox.users.values() if u["id"] > 4][5]
    client.add_members(group=group, user_ids=[u["id"] for u in users[:3]])
    client.add_members(group=group, user_ids=[u["id"] for u in users[3:]])
    assert set(sandbox.groups[group.id]["members"]) == {u["id"] for u in users}
    removed = client.remove_members(group=group, user_ids=[users[0]["id"], outsider["id"]])
    assert removed.removed == (users[0]["username"],)
    assert removed.skipped == (outsider["username"],)
    client.remove_members(group=group, user_ids=[u["id"] for u in users[1:]])
    assert client.get_group_by_id(group_id=group.id).user_count == 0


def test_automatic_group_membership_cannot_change(client, sandbox):
    automatic = client.get_group_by_id(group_id=10)
    assert automatic.automatic
    sandbox.calls.clear()
    for change in (client.add_members, client.remove_members):
        with pytest.raises(ForumRejected) as refused:
            change(group=automatic, user_ids=[1])
        assert "automatic group" in str(refused.value) and "Discourse" in str(refused.value)
    assert sandbox.calls.records() == []  # refused before anything is sent
    # A group the page thought was ordinary: Discourse's own 403 (ENDPOINTS.md rules).
    stale = ForumGroup(id=10, name=automatic.name, slug=automatic.slug)
    with pytest.raises(ForumForbidden):
        client.add_members(group=stale, user_ids=[1])
