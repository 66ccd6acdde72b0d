"""The sandbox NodeBB's public read routes (the pages' JSON under /api/), which Forumdeck's
client does not send but a script or a later verb may: they answer as NodeBB 4.15.1 does."""

from __future__ import annotations

from .served import SANDBOX_CONFIG, call  # noqa: F401 - the config of this module's sandbox


def test_user_search_by_email_is_for_staff_only(sandbox):
    """Row "list/search users (public)": `searchBy=email` is admin-or-gmod only (src/api/users.js
    `search`); anyone else searches usernames, so an address finds nobody."""
    someone = next(u for uid, u in sorted(sandbox.app.state.users.items()) if uid > 2)
    query = {"query": someone["email"], "searchBy": "email"}
    found = call(sandbox, "GET", "/api/users", params=query).json()
    assert [u["username"] for u in found["users"]] == [someone["username"]]
    refused = call(sandbox, "GET", "/api/users", params=query, token="member").json()
    assert refused["users"] == []
    assert refused["isAdminOrGlobalMod"] is False


def test_the_banned_section_is_for_staff_only(sandbox):
    """Row "list/search users (public)": the `banned` section is admin-or-gmod only; anyone else
    gets the default (newest first) list."""
    users = sandbox.app.state.users
    uid = next(uid for uid in sorted(users) if uid > 2 and not users[uid]["banned"])
    assert call(sandbox, "PUT", f"/api/v3/users/{uid}/ban", json={}).status_code == 200
    staff = call(sandbox, "GET", "/api/users", params={"section": "banned"}).json()["users"]
    assert uid in [u["uid"] for u in staff]
    assert all(u["banned"] for u in staff)
    member = call(sandbox, "GET", "/api/users", params={"section": "banned"}, token="member")
    assert not all(u["banned"] for u in member.json()["users"])


def test_the_tag_page_lists_the_most_used_tags_first(sandbox):
    """Row "list tags": `GET /api/tags` is the tags page: the first 100 tags by topic count, the
    rest loaded by socket.io (`nextStart`)."""
    page = call(sandbox, "GET", "/api/tags").json()
    counts = [t["score"] for t in page["tags"]]
    assert counts == sorted(counts, reverse=True) and 0 < len(counts) <= 100
    assert page["nextStart"] == 100


def test_head_on_a_group_says_whether_it_exists(sandbox):
    """Row "update / delete" (`/api/v3/groups/{slug}`): HEAD answers 200 for a group and 404 for
    none, with no body (src/routes/write/groups.js `exists`)."""
    slug = next(iter(sandbox.app.state.groups.values()))["slug"]
    assert call(sandbox, "HEAD", f"/api/v3/groups/{slug}").status_code == 200
    assert call(sandbox, "HEAD", "/api/v3/groups/no-such-group").status_code == 404
