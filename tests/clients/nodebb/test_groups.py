"""The NodeBB client against the sandbox NodeBB: groups and their members."""

from __future__ import annotations

import pytest

from forums.clients.errors import (
    ForumNotFound,
    ForumReauthRequired,
    ForumUnauthorized,
)
from forums.clients.records import ForumGroup

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


# --- groups -------------------------------------------------------------------------------
def test_list_groups_includes_hidden_and_system_groups_across_pages(client, sandbox):
    groups = client.list_groups()
    names = {g.name for g in groups}
    assert {"administrators", "Support Team", "Beta Testers"} <= names
    assert not any(n.startswith("cid:") or n == "registered-users" for n in names)
    assert sandbox.app.calls.count("GET", "/api/admin/manage/groups") == 2
    support = next(g for g in groups if g.name == "Support Team")
    assert support.visible is False and support.user_count == 25
    assert next(g for g in groups if g.name == "administrators").automatic is True


def test_create_update_get_delete_group(client, sandbox):
    group = client.create_group(name="Moderator Trainees", description="New mods")
    assert group.slug == "moderator-trainees" and group.description == "New mods"
    assert group.visible is True
    client.update_group(key=group.key, description="Trainee moderators", visible=False)
    fetched = client.get_group(key=group.key)
    assert fetched.description == "Trainee moderators" and fetched.visible is False
    client.delete_group(key=group.key)
    with pytest.raises(ForumNotFound):
        client.get_group(key=group.key)


def test_group_members_are_paged(client, sandbox):
    members = client.list_group_members(key="beta-testers")
    expected = set(sandbox.app.state.groups["Beta Testers"]["members"])
    assert {m.id for m in members} == expected and len(members) == 45
    assert sandbox.app.calls.count("GET", "/api/v3/groups/beta-testers/members") == 3


def test_adding_n_members_makes_n_calls(client, sandbox):
    group = sandbox.app.state.groups["Gardeners"]
    new = [u for u in sorted(sandbox.app.state.users) if u > 2 and u not in group["members"]][:7]
    gardeners = client.get_group(key="gardeners")
    sandbox.app.calls.clear()
    change = client.add_members(group=gardeners, user_ids=new)
    assert change.added == tuple(str(u) for u in new) and change.calls == 7
    puts = [r for r in sandbox.app.calls.records() if r.method == "PUT"]
    assert [r.path for r in puts] == [f"/api/v3/groups/gardeners/membership/{u}" for u in new]
    assert set(new) <= set(group["members"])
    removed = client.remove_members(group=gardeners, user_ids=new[:2])
    assert removed.removed == (str(new[0]), str(new[1])) and not set(new[:2]) & set(
        group["members"]
    )


def test_unknown_users_are_skipped(client, sandbox):
    translators = client.get_group(key="translators")
    change = client.add_members(group=translators, user_ids=[2, 99999])
    assert change.added == ("2",)
    # ENDPOINTS.md "call by call": an unknown uid is 401 "Invalid User ID": not a member to
    # skip, a user the forum does not have
    assert set(change.missing) == {"99999"} and not change.skipped
    assert 2 in sandbox.app.state.groups["Translators"]["members"]


# re-auth routes came with 4.14.7; 3.x: test_releases.py
@pytest.mark.parametrize("nodebb_release", ["4.15"])
def test_administrators_membership_raises_reauth_with_a_clear_message(
    client, sandbox, nodebb_release
):
    with pytest.raises(ForumReauthRequired) as info:
        client.add_members(group=ForumGroup(id="administrators", name="administrators",
                                            slug="administrators"), user_ids=[5])  # fmt: skip
    assert "API token" in str(info.value) and "administrators" in str(info.value)
    assert 5 not in sandbox.app.state.groups["administrators"]["members"]


def test_a_bad_token_on_a_reauth_route_is_not_mistaken_for_reauth(sandbox):
    with pytest.raises(ForumUnauthorized) as info:
        make_client(sandbox, token="wrong").add_members(
            group=ForumGroup(id="administrators", name="administrators", slug="administrators"),
            user_ids=[5],
        )
    assert not isinstance(info.value, ForumReauthRequired)


# --- issue 22, finding 6: private groups, the creator, big groups -------------------------
def test_private_is_sent_on_its_own_beside_hidden(client, sandbox):
    group = client.create_group(name="Closed Circle", private=True)
    stored = sandbox.app.state.groups["Closed Circle"]
    assert group.private is True and group.visible is True
    assert (stored["private"], stored["hidden"]) == (1, 0)
    changed = client.update_group(key=group.key, private=False, visible=False)
    assert (stored["private"], stored["hidden"]) == (0, 1)
    assert changed.private is False and changed.visible is False


def test_a_created_group_does_not_keep_the_acting_admin_as_member(client, sandbox):
    """NodeBB makes the creator owner and only member; the client leaves it again, so
    deleting the new group removes nobody's membership."""
    group = client.create_group(name="Night Owls")
    stored = sandbox.app.state.groups["Night Owls"]
    assert stored["members"] == [] and stored["owners"] == []
    assert group.user_count == 0 and client.get_group(key=group.key).user_count == 0


def test_the_acting_admin_alone_in_an_old_group_is_told_apart(client, sandbox):
    sandbox.app.state.groups["Gardeners"]["members"] = [1]
    sandbox.app.state.groups["Gardeners"]["owners"] = [1]
    assert client.acting_user_is_sole_member(group=client.get_group(key="gardeners"))
    sandbox.app.state.groups["Gardeners"]["members"] = [5]
    assert not client.acting_user_is_sole_member(group=client.get_group(key="gardeners"))


def test_removing_someone_who_already_left_is_skipped_not_a_failure(client, sandbox):
    gardeners = client.get_group(key="gardeners")
    outsider = next(u for u in sorted(sandbox.app.state.users) if u > 2
                    and u not in sandbox.app.state.groups["Gardeners"]["members"])  # fmt: skip
    change = client.remove_members(group=gardeners, user_ids=[outsider])
    assert change.skipped == (str(outsider),) and not change.removed


def test_a_members_page_reads_only_the_member_pages_it_shows(client, sandbox):
    sandbox.app.calls.clear()
    page = client.group_members_page(key="beta-testers", offset=20, limit=20)
    expected = sandbox.app.state.groups["Beta Testers"]
    assert page.total == len(expected["members"]) == 45 and len(page.members) == 20
    assert sandbox.app.calls.count("GET", "/api/v3/groups/beta-testers/members") == 1


@pytest.mark.parametrize("name", ["a/b", "50%2F50 Club", "x y?z#w"])
def test_a_name_is_one_path_segment_whatever_it_holds(client, sandbox, name):
    """Issue 22: a group whose name holds "/" or the text "%2F" is read by its own page
    (the client encodes the name as one segment; the sandbox routes as Express does)."""
    from forums.sandbox.nodebb.seed import new_group

    sandbox.app.state.groups[name] = new_group(name, 0, slug=name, members=[5])
    sandbox.app.calls.clear()
    assert client.get_group(key=name).name == name
    assert sandbox.app.calls.count("GET", "/api/admin/manage/groups") == 0  # no fallback
    assert [m.id for m in client.list_group_members(key=name)] == [5]
