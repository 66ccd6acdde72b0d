"""pydiscourse itself (the benchmark's baseline) against the sandbox: the paths, headers and
bodies it sends to a real Discourse get the answers a real Discourse gives (ENDPOINTS.md)."""

from __future__ import annotations

import pytest

pydiscourse = pytest.importorskip("pydiscourse")
KEY = "pydiscourse-key-" + "0" * 16


SANDBOX_CONFIG = {"discourse": {"api_key": KEY, "users": 150, "admin_requests_per_minute": 10**6}}


def outsiders(app, group_id: int, count: int) -> list[dict]:
    members = app.groups[group_id]["members"]
    return [u for u in app.users.values() if u["id"] > 4 and u["id"] not in members][:count]


def test_pydiscourse_adds_members_in_one_call_and_drops_unknown_names_silently(sandbox):
    app = sandbox.app
    client = pydiscourse.DiscourseClient(sandbox.url, api_username="system", api_key=KEY,
                                         timeout=5)  # fmt: skip
    group = client.group("beta-testers")["group"]  # GET /groups/{name}.json
    new = outsiders(app, group["id"], 5)
    answer = client.add_group_members(group["id"], [u["username"] for u in new] + ["ghost_zz"])
    # ENDPOINTS.md "Rules" / add group members: in a mixed batch unknown users are dropped
    # silently; the answer names the users added, nothing says "ghost_zz" was not.
    assert sorted(answer["usernames"]) == sorted(u["username"] for u in new)
    assert all(u["id"] in app.groups[group["id"]]["members"] for u in new)
    calls = [(r.method, r.path) for r in app.calls.records()]
    assert calls == [("GET", "/groups/beta-testers.json"),
                     ("PUT", f"/groups/{group['id']}/members.json")]  # fmt: skip
    put = app.calls.records()[-1]
    assert put.body == {"usernames": ",".join([u["username"] for u in new] + ["ghost_zz"])}


def test_a_plain_pydiscourse_loop_stops_at_the_first_existing_member(sandbox):
    app = sandbox.app
    client = pydiscourse.DiscourseClient(sandbox.url, api_username="system", api_key=KEY,
                                         timeout=5)  # fmt: skip
    group = client.group("beta-testers")["group"]
    new = outsiders(app, group["id"], 3)
    existing = app.users[next(iter(app.groups[group["id"]]["members"]))]
    names = [new[0]["username"], existing["username"], new[1]["username"]]
    added = []
    with pytest.raises(pydiscourse.exceptions.DiscourseClientError, match="already a member"):
        for name in names:  # form-encoded PUT /groups/{id}/members.json, one user each
            client.add_group_member(group["id"], name)
            added.append(name)
    # ENDPOINTS.md "Rules" / add group members: all (here: the one) already members is 422
    assert added == [new[0]["username"]]
    assert new[1]["id"] not in app.groups[group["id"]]["members"]
    # its one-user route (POST /admin/users/{id}/groups, no ".json") answers an empty 200
    assert client.add_user_to_group(group["id"], new[2]["id"]) is None
    assert new[2]["id"] in app.groups[group["id"]]["members"]
