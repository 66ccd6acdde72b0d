"""The sandbox NodeBB: group members and memberships."""

from __future__ import annotations

import pytest

from .served import (  # noqa: F401 - the config of this module's sandbox
    AGENT,
    MASTER,
    MASTER_CONFIG,
    SANDBOX_CONFIG,
    TOKEN,
    call,
    in_a_week,
    plain_uid,
    user,
)


# --- group members ------------------------------------------------------------------------------
def test_group_members_page_by_20_with_after_and_next_start(sandbox):
    """Row "group members (`GET /api/v3/groups/{slug}/members`)": 20 per page with `after` /
    `nextStart`; the response adds matchCount and timing; rows after the first page carry no
    isOwner; the creator of a new group is its owner and a member."""
    first = call(sandbox, "GET", "/api/v3/groups/beta-testers/members").json()["response"]
    assert len(first["users"]) == 20 and first["nextStart"] == 20
    assert {"matchCount", "timing"} <= set(first)
    assert all("isOwner" in row for row in first["users"])
    assert any(row["isOwner"] for row in first["users"])
    second = call(sandbox, "GET", "/api/v3/groups/beta-testers/members",
                  params={"after": first["nextStart"]}).json()["response"]  # fmt: skip
    assert second["users"] and not any("isOwner" in row for row in second["users"])
    assert not {r["uid"] for r in first["users"]} & {r["uid"] for r in second["users"]}
    created = call(sandbox, "POST", "/api/v3/groups", json={"name": "Fresh Group"})
    assert created.status_code == 200
    members = call(sandbox, "GET", "/api/v3/groups/fresh-group/members").json()["response"]
    assert [(r["uid"], r["isOwner"]) for r in members["users"]] == [(1, True)]


# --- memberships and groups ---------------------------------------------------------------------
@pytest.mark.parametrize("route", ["membership", "ownership"])
@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_administrators_membership_or_ownership_with_a_token_is_401(sandbox, route, method):
    """Row "membership or ownership of `administrators` with a token": 401 `not-authorised`."""
    r = call(sandbox, method, f"/api/v3/groups/administrators/{route}/5")
    assert r.status_code == 401 and r.json()["status"]["code"] == "not-authorised"
    assert 5 not in sandbox.app.state.groups["administrators"]["members"]


def test_an_unknown_uid_in_a_membership_call_is_invalid_user_id(sandbox):
    """Row "unknown uid in a membership call": 401 "Invalid User ID"."""
    r = call(sandbox, "PUT", "/api/v3/groups/translators/membership/99999")
    assert r.status_code == 401 and r.json()["status"]["message"] == "Invalid User ID"


def test_unknown_group_and_duplicate_name(sandbox):
    """Row "unknown group": 404 "Group does not exist"; a duplicate name on create: 400 "Group
    already exists"."""
    r = call(sandbox, "PUT", "/api/v3/groups/no-such-group/membership/5")
    assert r.status_code == 404 and r.json()["status"]["message"] == "Group does not exist"
    r = call(sandbox, "POST", "/api/v3/groups", json={"name": "Translators"})
    assert r.status_code == 400 and r.json()["status"]["message"] == "Group already exists"


def test_removing_a_non_member_is_400_not_a_member(sandbox):
    """Row "DELETE membership for a uid that is not a member": 400 "Not a member of this
    group" (src/api/groups.js groupsAPI.leave)."""
    outsider = next(u for u in sorted(sandbox.app.state.users) if u > 2
                    and u not in sandbox.app.state.groups["Gardeners"]["members"])  # fmt: skip
    r = call(sandbox, "DELETE", f"/api/v3/groups/gardeners/membership/{outsider}")
    assert r.status_code == 400
    assert r.json()["status"]["message"] == "Not a member of this group"


def test_a_create_without_private_makes_a_private_group(sandbox):
    """src/groups/create.js Groups.create: `private` absent means private; 0 means open."""
    call(sandbox, "POST", "/api/v3/groups", json={"name": "No Flag"})
    call(sandbox, "POST", "/api/v3/groups", json={"name": "Open One", "private": 0})
    assert sandbox.app.state.groups["No Flag"]["private"] == 1
    assert sandbox.app.state.groups["Open One"]["private"] == 0


def test_an_encoded_slash_stays_inside_its_path_segment(sandbox):
    """Express matches the route before it decodes a parameter: /api/groups/a%2Fb names the
    group "a/b" (the WSGI server's decoded path would split it and answer 404)."""
    from forums.sandbox.nodebb.seed import new_group

    sandbox.app.state.groups["a/b"] = new_group("a/b", 0, slug="a/b")
    r = call(sandbox, "GET", "/api/groups/a%2Fb")
    assert r.status_code == 200 and r.json()["group"]["name"] == "a/b"
    assert call(sandbox, "GET", "/api/groups/a/b").status_code == 404
