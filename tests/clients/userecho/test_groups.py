"""The UserEcho client against the sandbox UserEcho: groups."""

from __future__ import annotations

import pytest

from forums.clients.errors import (
    CapabilityNotOffered,
    ForumNotFound,
)
from forums.clients.records import ForumGroup
from tests.userecho_fixtures import (
    OWNER,
)

from .helpers import (
    UNKNOWN,
    calls,
    later,
    state,
    user_by_email,
)


# --- groups --------------------------------------------------------------------------------------
def test_groups_are_created_renamed_and_deleted_on_the_collection(
    userecho_client, userecho_sandbox
):
    """G2-G4; trap 3: PUT and DELETE carry the group's id in the body."""
    client = userecho_client()
    created = client.create_group(name="Moderators")
    assert created.name == "Moderators" and client.get_group(key="moderators").id == created.id
    renamed = client.update_group(key="Moderators", name="Stewards")
    assert renamed.name == "Stewards" and renamed.id == created.id
    client.delete_group(key=str(created.id))
    assert "Stewards" not in {g["name"] for g in state(userecho_sandbox).groups.values()}
    writes = [(r.method, r.path, r.body) for r in calls(userecho_sandbox) if r.method != "GET"]
    assert writes == [
        ("POST", "/api/v2/users/groups.json", {"name": "Moderators"}),
        ("PUT", "/api/v2/users/groups.json", {"id": created.id, "name": "Stewards"}),
        ("DELETE", "/api/v2/users/groups.json", {"id": created.id}),
    ]
    with pytest.raises(ForumNotFound):
        client.get_group(key="Stewards")


def test_what_a_userecho_group_does_not_have_is_not_offered(userecho_client, userecho_sandbox):
    client = userecho_client()
    with pytest.raises(CapabilityNotOffered, match="description"):
        client.create_group(name="Docs", description="People who write docs")
    with pytest.raises(CapabilityNotOffered, match="hidden"):
        client.update_group(key="Team", visible=False)
    with pytest.raises(CapabilityNotOffered, match="members"):
        client.list_group_members(key="Team")
    assert calls(userecho_sandbox, "POST") == calls(userecho_sandbox, "PUT") == []


def test_membership_is_not_offered_without_the_later_route(userecho_client, userecho_sandbox):
    maria = user_by_email(userecho_sandbox, "maria.lopez@example.org")
    client = userecho_client()
    team = client.get_group(key="Partners")
    with pytest.raises(CapabilityNotOffered, match="later API reference"):
        client.add_members(group=team, user_ids=[maria["id"], 5])
    assert team.id not in maria["groups"]
    assert len([r for r in calls(userecho_sandbox, "POST") if r.path.endswith("/group.json")]) == 1


def test_membership_with_the_later_route_confirms_each_user(userecho_client, userecho_sandbox):
    later(userecho_sandbox)
    maria = user_by_email(userecho_sandbox, "maria.lopez@example.org")
    owner = state(userecho_sandbox).users[OWNER]
    client = userecho_client()
    partners = client.get_group(key="Partners")
    added = client.add_members(group=partners, user_ids=[maria["id"], UNKNOWN])
    assert added.added == (str(maria["id"]),) and added.skipped == (str(UNKNOWN),)
    assert partners.id in maria["groups"]
    assert partners.id not in owner["groups"]  # the unknown id did not land on the owner
    (post,) = [r for r in calls(userecho_sandbox, "POST")]
    assert (post.path, post.body) == (f"/api/v2/users/{maria['id']}/group.json", {"id": 3})
    removed = client.remove_members(group=partners, user_ids=[maria["id"]])
    assert removed.removed == (str(maria["id"]),) and partners.id not in maria["groups"]


def test_membership_of_a_group_deleted_meanwhile_says_so(userecho_client, userecho_sandbox):
    later(userecho_sandbox)
    client = userecho_client()
    gone = ForumGroup(id=4242, name="Old group")
    with pytest.raises(ForumNotFound, match="Old group"):
        client.add_members(group=gone, user_ids=[5])
