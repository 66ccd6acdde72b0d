"""The sandbox NodeBB enforces NodeBB's own rules."""

from __future__ import annotations

import threading
import time

import pytest

from .basics import (  # noqa: F401 - the config of this module's sandbox
    AGENT,
    AUTH,
    MASTER_CONFIG,
    NODEBB_SPECS,
    SANDBOX_CONFIG,
    TOKEN,
    call,
    plain_user,
)


# --- NodeBB's own rules ---------------------------------------------------------------------
def test_unknown_write_path_and_method_are_invalid_api_calls(sandbox):
    for method, path in (("GET", "/api/v3/nope"), ("POST", "/api/v3/users/5/ban")):
        r = call(sandbox, method, path)
        assert r.status_code == 404
        assert r.json()["status"] == {"code": "not-found", "message": "Invalid API call"}
    r = call(sandbox, "GET", "/api/user/username/nobody-here")
    assert r.status_code == 404 and r.json()["title"] == "[[global:404.title]]"


def test_admins_cannot_be_banned_muted_or_deleted(sandbox):
    assert call(sandbox, "PUT", "/api/v3/users/1/ban", json={}).json()["status"]["message"] == (
        "You can't ban other admins!"
    )
    r = call(sandbox, "PUT", "/api/v3/users/1/mute", json={"until": 1})
    assert r.status_code == 400 and "mute other admins" in r.json()["status"]["message"]
    r = call(sandbox, "DELETE", "/api/v3/users/1")
    assert r.status_code == 400
    assert r.json()["status"]["message"] == "[[error:cant-delete-other-admins]]"
    assert 1 in sandbox.app.state.users


@pytest.mark.parametrize("path", ["/api/v3/users", "/api/v3/users/"])
def test_bulk_delete_answers_with_and_without_slash_and_refuses_any_admin(sandbox, path):
    users = sandbox.app.state.users
    victims = [u for u in users if u > 2][:3]
    r = call(sandbox, "DELETE", path, json={"uids": [*victims, 1]})
    assert r.status_code == 400
    assert all(v in users for v in victims), "one admin uid must fail the whole call"
    assert call(sandbox, "DELETE", path, json={"uids": victims}).status_code == 200
    assert not any(v in users for v in victims)
    r = call(sandbox, "DELETE", path, json={})
    assert r.status_code == 400 and r.json()["response"]["params"] == ["uids"]


def test_administrators_membership_needs_reauth_even_for_an_admin_token(sandbox):
    for method in ("PUT", "DELETE"):
        r = call(sandbox, method, "/api/v3/groups/administrators/membership/5")
        assert r.status_code == 401
        assert r.json()["status"]["code"] == "not-authorised"
    assert 5 not in sandbox.app.state.groups["administrators"]["members"]
    # Other memberships work for the admin token.
    assert call(sandbox, "PUT", "/api/v3/groups/translators/membership/5").status_code == 200


def test_system_and_privilege_groups_are_admin_only(sandbox):
    uid = 20  # the "user-token" uid, not an admin
    for slug in ("global-moderators", "cid-1-privileges-moderate"):
        r = call(sandbox, "PUT", f"/api/v3/groups/{slug}/membership/{uid}", token="user-token")
        assert r.status_code == 400, slug
        assert r.json()["status"]["message"] == "Not allowed"
    listed = call(sandbox, "GET", "/api/admin/manage/groups").json()["groups"]
    assert not any(g["name"].startswith("cid:") for g in listed)


def test_unknown_uid_in_membership_is_invalid_uid(sandbox):
    r = call(sandbox, "PUT", "/api/v3/groups/translators/membership/99999")
    assert r.status_code == 401 and r.json()["status"]["message"] == "Invalid User ID"


def test_ban_is_visible_with_reason_in_the_moderation_history(sandbox):
    uid = plain_user(sandbox)
    until = int(time.time() * 1000) + 86_400_000
    assert call(sandbox, "PUT", f"/api/v3/users/{uid}/ban",
                json={"until": until, "reason": "spam"}).status_code == 200  # fmt: skip
    user = call(sandbox, "GET", f"/api/v3/users/{uid}").json()["response"]
    assert user["banned"] is True and user["banned:expire"] == until
    info = call(sandbox, "GET", f"/api/user/{user['userslug']}/info").json()
    assert info["history"]["bans"][0]["reason"] == "spam"
    assert call(sandbox, "DELETE", f"/api/v3/users/{uid}/ban?reason=ok").status_code == 200
    assert call(sandbox, "GET", f"/api/v3/users/{uid}").json()["response"]["banned"] is False


def test_seed_is_a_realistic_forum(sandbox):
    state = sandbox.app.state
    assert len(state.users) == 120
    assert 1 in state.groups["administrators"]["members"]
    assert any(u["banned"] for u in state.users.values())
    assert any(u["mutedUntil"] > time.time() * 1000 for u in state.users.values())
    assert len(state.groups["Beta Testers"]["members"]) > 20  # members need two pages
    assert len(state.queue) > 20  # the post queue needs two pages
    flags = call(sandbox, "GET", "/api/flags?state=open").json()
    assert flags["count"] == 7
    assert sum("help" in t["tags"] for t in state.topics.values()) > 20


def test_state_changes_are_atomic_under_concurrency(sandbox):
    users = [u for u in sandbox.app.state.users if u > 2][:40]
    group = sandbox.app.state.groups["Gardeners"]
    before = set(group["members"])
    threads = [
        threading.Thread(target=call, args=(sandbox, "PUT",
                                            f"/api/v3/groups/gardeners/membership/{u}"))
        for u in users
    ]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(group["members"]) == before | set(users)
    assert len(group["members"]) == len(set(group["members"]))
