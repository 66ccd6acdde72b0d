"""The sandbox Discourse: the routes and pages the clients and pydiscourse rely on."""

from __future__ import annotations

from .served import (
    SANDBOX_CONFIG,  # noqa: F401 - the config of this module's sandbox
    SYSTEM,
    get,
    regular,
    send,
    set_user,
)


# --- routes and pages the clients and pydiscourse rely on ---------------------------------------
def test_the_user_list_pages_100_at_a_time_newest_first_when_ordered_by_created(sandbox):
    """ENDPOINTS.md Users / `GET /admin/users/list/{flag}.json`: `order` (`created`, ...),
    `asc=true`, `page` (1-based, 100 per page); `active` only orders, it filters nobody."""
    first = get(sandbox, "/admin/users/list/active.json", params={"order": "created"}).json()
    second = get(
        sandbox, "/admin/users/list/active.json", params={"order": "created", "page": 2}
    ).json()
    assert len(first) == 100 and len(second) == 50  # 150 accounts
    created = [u["created_at"] for u in first + second]
    assert created == sorted(created, reverse=True)
    assert len({u["id"] for u in first + second}) == 150
    oldest = get(
        sandbox, "/admin/users/list/active.json", params={"order": "created", "asc": "true"}
    ).json()
    assert oldest[0]["id"] == second[-1]["id"]


def test_one_user_joins_or_leaves_one_group_by_the_admin_user_route(sandbox):
    """ENDPOINTS.md Users / `POST / DELETE /admin/users/{id}/groups.json` /
    `/admin/users/{id}/groups/{group_id}.json` (R): one user in or out of one group; the
    controller answers an empty 200 (``render body: nil``), an automatic group 422, a missing
    group 404. The path without `.json` (pydiscourse's ``add_user_to_group``) is the same route:
    Rails takes the format as optional, and the response format follows `Accept` (S)."""
    groups = get(sandbox, "/groups.json").json()["groups"]
    group = next(g for g in groups if g["name"] == "beta-testers")
    members = {m["id"] for m in get(sandbox, "/groups/beta-testers/members.json",
                                    params={"limit": 1000}).json()["members"]}  # fmt: skip
    user_id = next(i for i in range(5, 150) if i not in members)
    headers = {**SYSTEM, "Accept": "application/json; charset=utf-8"}
    added = send(sandbox, "POST", f"/admin/users/{user_id}/groups", headers=headers,
                 data={"group_id": group["id"]})  # fmt: skip
    assert added.status_code == 200 and added.content == b""
    again = send(sandbox, "POST", f"/admin/users/{user_id}/groups.json",
                 data={"group_id": group["id"]})  # fmt: skip
    assert again.status_code == 200  # Group#add: already a member changes nothing
    after = get(sandbox, "/groups/beta-testers/members.json", params={"limit": 1000}).json()
    assert user_id in {m["id"] for m in after["members"]}
    assert after["meta"]["total"] == len(members) + 1
    automatic = next(g for g in groups if g["automatic"])
    refused = send(sandbox, "POST", f"/admin/users/{user_id}/groups.json",
                   data={"group_id": automatic["id"]})  # fmt: skip
    assert refused.status_code == 422 and refused.json()["errors"]
    missing = send(sandbox, "POST", f"/admin/users/{user_id}/groups.json", data={"group_id": 999})
    assert missing.status_code == 404
    removed = send(sandbox, "DELETE", f"/admin/users/{user_id}/groups/{group['id']}.json")
    assert removed.status_code == 200
    left = get(sandbox, "/groups/beta-testers/members.json", params={"limit": 1000}).json()
    assert user_id not in {m["id"] for m in left["members"]}


def test_members_are_listed_owners_first_then_by_username_descending(sandbox):
    """ENDPOINTS.md Groups / `GET /groups/{name}/members.json`: `limit` at most 1,000,
    `offset`, `order`, `asc`. The order is GroupsController#members': owners first, then the
    `order` column if one is given, then `username_lower`, descending unless `asc`."""
    path = "/groups/beta-testers/members.json"
    page = get(sandbox, path, params={"limit": 1000}).json()
    owners = {o["id"] for o in page["owners"]}
    rows = page["members"]
    assert owners and [r["id"] in owners for r in rows[: len(owners)]] == [True] * len(owners)
    rest = [r["username"].lower() for r in rows[len(owners) :]]
    assert rest == sorted(rest, reverse=True)
    ascending = get(sandbox, path, params={"limit": 1000, "asc": "true"}).json()["members"]
    rest_up = [r["username"].lower() for r in ascending[len(owners) :]]
    assert rest_up == sorted(rest_up)
    by_added = get(sandbox, path, params={"limit": 1000, "order": "added_at"}).json()["members"]
    added = [r["added_at"] for r in by_added[len(owners) :]]
    assert added == sorted(added, reverse=True)
    halves = [
        get(sandbox, path, params={"limit": 5, "offset": o}).json()["members"] for o in (0, 5)
    ]
    assert [r["id"] for r in halves[0] + halves[1]] == [r["id"] for r in rows[:10]]
    assert get(sandbox, path, params={"limit": 1001}).status_code == 400


def test_a_member_filter_with_commas_is_one_regular_expression(sandbox):
    """ENDPOINTS.md "Rules" / group member search: GroupsController#members splits a filter
    holding a comma into an Array, and User.filter_by_username_or_email joins it into one
    expression: `username_lower ~* '(a|b)'` (unanchored, a `.` matches any character) or,
    for an admin, `lower(email) SIMILAR TO '(a|b)'` (the whole address). One term is
    `ILIKE '%term%'`, where `_` matches any character. PostgreSQL refuses a broken
    expression, a 500 (app/models/user.rb, app/controllers/groups_controller.rb)."""
    app = sandbox.app
    one = regular(sandbox)
    two = next(
        u for u in sorted(app.users.values(), key=lambda u: u["id"])
        if u["id"] > one["id"] and not u["staged"]
    )  # fmt: skip
    with app.lock:  # the user table keeps its indexes up to date on a write in place
        app.users[one["id"]]["username"] = "qzx_kappa9"
        app.users[one["id"]]["email"] = "q.one@example.org"
        app.users[two["id"]]["username"] = "qzxwkappa9"
    path = "/groups/trust_level_0/members.json"

    def names(filter: str) -> set[str]:
        r = get(sandbox, path, params={"limit": 1000, "filter": filter})
        assert r.status_code == 200, r.text
        return {m["username"] for m in r.json()["members"]}

    assert names("qzx.kappa9,nobody_zzz") == {"qzx_kappa9", "qzxwkappa9"}  # `.`: any one
    assert names("qzx.kappa9") == set()  # one term: a LIKE, where `.` is itself
    assert names("qzx_kappa9") == {"qzx_kappa9", "qzxwkappa9"}  # ... and `_` is any one
    assert names("q.one@example.org,nobody_zzz") == {"qzx_kappa9"}  # the whole address
    assert names("q.one@example,nobody_zzz") == set()  # not a part of it
    everyone = get(sandbox, path, params={"limit": 1}).json()["meta"]["total"]
    assert len(names("qzx_kappa9,,nobody_zzz")) == min(everyone, 1000)  # "" matches all
    broken = get(sandbox, path, params={"limit": 1000, "filter": "o(brien,nobody_zzz"})
    assert broken.status_code == 500


def test_trust_level_0_holds_every_account_but_staged_ones(sandbox):
    """The automatic group trust_level_0 (id 10): Group.refresh_automatic_group! inserts every
    user with id > 0 that is not staged (app/models/group.rb); its members page like any
    group's, and its `meta.total` counts them."""
    app = sandbox.app
    user = regular(sandbox)
    set_user(sandbox, user["id"], staged=True)
    page = get(sandbox, "/groups/trust_level_0/members.json", params={"limit": 1000}).json()
    ids = {m["id"] for m in page["members"]}
    expected = {u["id"] for u in app.users.values() if u["id"] > 0 and not u["staged"]}
    assert ids == expected and page["meta"]["total"] == len(expected)
    assert user["id"] not in ids and -1 not in ids
    assert all("email" not in m for m in page["members"])  # GroupUserSerializer: no e-mail
