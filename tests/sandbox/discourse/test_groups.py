"""The sandbox Discourse enforces the real rules on groups: adding, removing, updating members."""

from __future__ import annotations

from forums.sandbox.core import RunningSandbox, SandboxConfig
from forums.sandbox.discourse import DiscourseSandbox

from .served import (
    KEY,
    SANDBOX_CONFIG,  # noqa: F401 - the config of this module's sandbox
    get,
    send,
)


# --- add group members --------------------------------------------------------------------------
def names_outside(sb, group_id: int, count: int) -> list[str]:
    members = sb.app.groups[group_id]["members"]
    return [u["username"] for u in sb.app.users.values()
            if u["id"] > 0 and u["id"] not in members][:count]  # fmt: skip


def test_members_are_added_from_a_comma_string_and_an_array_is_a_500(sandbox):
    """Row "add group members": usernames / user_ids / user_emails are comma-separated strings;
    a JSON array makes the server call .split on it and fail (500)."""
    names = names_outside(sandbox, 41, 2)
    r = send(sandbox, "PUT", "/groups/41/members.json", json={"usernames": names})
    assert r.status_code == 500
    assert not set(names) & {m["username"] for m in members_of(sandbox, "beta-testers")}
    r = send(sandbox, "PUT", "/groups/41/members.json", json={"usernames": ",".join(names)})
    assert r.status_code == 200
    assert sorted(r.json()["usernames"]) == sorted(names)


def members_of(sb, name: str) -> list[dict]:
    return get(sb, f"/groups/{name}/members.json", params={"limit": 1000}).json()["members"]


def test_only_the_first_field_present_is_used(sandbox):
    """Row "add group members": only the first field present is used, in the order
    usernames, user_ids, user_emails."""
    by_name, by_id = names_outside(sandbox, 41, 2)
    user_id = next(u["id"] for u in sandbox.app.users.values() if u["username"] == by_id)
    r = send(sandbox, "PUT", "/groups/41/members.json",
             json={"usernames": by_name, "user_ids": str(user_id)})  # fmt: skip
    assert r.json()["usernames"] == [by_name]
    assert by_id not in {m["username"] for m in members_of(sandbox, "beta-testers")}


def test_more_than_1000_users_is_422(sandbox):
    """Row "add group members": over 1,000 users gives 422 adding_too_many_users."""
    app = DiscourseSandbox(SandboxConfig(api_key=KEY, users=1010, admin_requests_per_minute=10**6))
    with RunningSandbox(app) as big:
        names = ",".join(u["username"] for u in app.users.values() if u["id"] > 0)
        r = send(big, "PUT", "/groups/42/members.json", json={"usernames": names})
        assert r.status_code == 422 and "1000" in r.json()["errors"][0]


def test_all_already_members_is_422(sandbox):
    """Row "add group members": a batch where all are already members gives 422."""
    current = ",".join(m["username"] for m in members_of(sandbox, "support-team"))
    r = send(sandbox, "PUT", "/groups/42/members.json", json={"usernames": current})
    assert r.status_code == 422 and r.json()["errors"]


def test_a_batch_of_unknown_users_is_400_and_a_mixed_one_drops_them(sandbox):
    """Row "add group members": none of the users exists: 400 "You supplied invalid parameters
    to the request: usernames"; in a mixed batch unknown users are dropped silently."""
    r = send(sandbox, "PUT", "/groups/41/members.json", json={"usernames": "ghost1,ghost2"})
    assert r.status_code == 400
    assert r.json()["errors"] == ["You supplied invalid parameters to the request: usernames"]
    (real,) = names_outside(sandbox, 41, 1)
    r = send(sandbox, "PUT", "/groups/41/members.json", json={"usernames": f"{real},ghost1"})
    assert r.status_code == 200 and r.json()["usernames"] == [real]


def test_automatic_groups_are_403(sandbox):
    """Row "add group members": automatic groups answer 403."""
    (name,) = names_outside(sandbox, 13, 1)
    r = send(sandbox, "PUT", "/groups/13/members.json", json={"usernames": name})
    assert r.status_code == 403 and r.json()["error_type"] == "invalid_access"


# --- remove group members -----------------------------------------------------------------------
def test_remove_members_answer_and_skipped_names(sandbox):
    """Row "remove group members": answers {usernames, skipped_usernames}; skipped_usernames
    holds non-members only; unknown names are dropped."""
    member = members_of(sandbox, "support-team")[0]["username"]
    (outsider,) = names_outside(sandbox, 42, 1)
    r = send(sandbox, "DELETE", "/groups/42/members.json",
             json={"usernames": f"{member},{outsider},ghost-xyz"})  # fmt: skip
    assert r.status_code == 200
    assert r.json()["usernames"] == [member]
    assert r.json()["skipped_usernames"] == [outsider]


# --- update a group -----------------------------------------------------------------------------
def group_id(sb, name: str) -> int:
    return get(sb, f"/groups/{name}.json").json()["group"]["id"]


def follows(sb, username: str) -> tuple[list[int], list[str]]:
    user = get(sb, f"/u/{username}.json").json()["user"]
    return user["watched_first_post_category_ids"], user["tracked_tags"]


def test_a_plain_rename_of_a_group_with_defaults_asks_about_existing_members(sandbox):
    """Row "update a group": defaults not sent are treated as deleted, so a plain rename of a
    group with notification defaults gets the 422 "existing members" question."""
    gid = group_id(sandbox, "regional-emea")
    member = members_of(sandbox, "regional-emea")[0]["username"]
    before = follows(sandbox, member)
    r = send(sandbox, "PUT", f"/groups/{gid}.json", json={"group": {"name": "emea"}})
    assert r.status_code == 422
    assert r.json()["user_count"] > 0 and r.json()["errors"]
    assert get(sandbox, "/groups/regional-emea.json").status_code == 200  # nothing changed
    r = send(sandbox, "PUT", f"/groups/{gid}.json", params={"update_existing_users": "false"},
             json={"group": {"name": "emea"}})  # fmt: skip
    assert r.status_code == 200 and follows(sandbox, member) == before
    assert get(sandbox, "/groups/emea.json").status_code == 200


def test_answering_update_existing_users_true_wipes_members_settings(sandbox):
    """Row "update a group": answering update_existing_users=true deletes members' matching
    CategoryUser/TagUser rows."""
    gid = group_id(sandbox, "regional-emea")
    member = next(
        m["username"] for m in members_of(sandbox, "regional-emea")
        if 3 in follows(sandbox, m["username"])[0]
    )  # fmt: skip
    assert follows(sandbox, member) == ([3], ["meetup"])
    r = send(sandbox, "PUT", f"/groups/{gid}.json", params={"update_existing_users": "true"},
             json={"group": {"name": "emea"}})  # fmt: skip
    assert r.status_code == 200
    assert follows(sandbox, member) == ([], [])


def test_sending_the_defaults_back_renames_without_a_question(sandbox):
    """Row "update a group": read the group's current *_category_ids / *_tags and send them
    back, and a rename touches nobody's settings."""
    gid = group_id(sandbox, "regional-emea")
    group = get(sandbox, "/groups/regional-emea.json").json()["group"]
    current = {k: v for k, v in group.items() if k.endswith(("_category_ids", "_tags"))}
    member = members_of(sandbox, "regional-emea")[0]["username"]
    before = follows(sandbox, member)
    r = send(sandbox, "PUT", f"/groups/{gid}.json", json={"group": {"name": "emea", **current}})
    assert r.status_code == 200 and follows(sandbox, member) == before
