"""The sandbox UserEcho: the later-reference routes, off unless a test turns them on."""

from __future__ import annotations

import pytest

from forums.sandbox.userecho import LATER_ROUTES

from .commands import (
    OWNER,
    SANDBOX_CONFIG,  # noqa: F401 - the config of this module's sandbox
    call,
    data,
    error,
    state,
    topic_in,
)

# --- later-reference routes ------------------------------------------------------------------
LATER_CALLS = [
    ("PUT", "users/5.json", {"name": "New name"}, "user_update"),
    ("DELETE", "users/5.json", None, "user_delete"),
    ("GET", "users/5/subscriptions.json", None, "user_subscriptions"),
    ("PUT", "users/5/subscriptions.json", {"forums": [1]}, "user_subscriptions"),
    ("POST", "users/5/group.json", {"id": 1}, "user_group"),
    ("DELETE", "users/5/group.json", {"id": 1}, "user_group"),
    ("PUT", "forums.json", {"id": 2, "name": "Help"}, "forum_update"),
    ("GET", "forums/1/types/1/statuses.json", None, "type_statuses"),
]


def test_later_reference_routes_are_absent_by_default(sandbox):
    """Trap 10: only REF-NEW lists these; off, they answer like unknown commands and change
    nothing."""
    for method, command, body, _ in LATER_CALLS:
        assert "Unknown API method" in error(call(sandbox, method, command, json=body), 404)
    assert 5 in state(sandbox).users and state(sandbox).users[5]["name"] != "New name"
    assert state(sandbox).forums[2]["name"] == "Support"


@pytest.mark.parametrize("name", sorted(LATER_ROUTES))
def test_each_later_route_can_be_switched_on_alone(sandbox, name):
    sandbox.app.configure(later_routes=[name])
    for method, command, body, route in LATER_CALLS:
        response = call(sandbox, method, command, json=body)
        if route == name:
            data(response)
        else:
            assert response.status_code == 404, (method, command)


def test_delete_user_and_what_happens_to_their_content(sandbox):
    """U8 REF-NEW; trap 22 [I]: content anonymised (default) or removed."""
    sandbox.app.configure(later_routes=LATER_ROUTES)
    topic = topic_in(sandbox, 1)
    author = topic["author_id"]
    assert data(call(sandbox, "DELETE", f"users/{author}.json")) is True
    assert author not in state(sandbox).users
    assert data(call(sandbox, "GET", f"topics/{topic['id']}.json"))["author"]["id"] == 0
    sandbox.app.configure(deleted_user_content="remove")
    other = next(t for t in state(sandbox).topics.values() if t["author_id"] not in (0, author))
    assert data(call(sandbox, "DELETE", f"users/{other['author_id']}.json")) is True
    assert other["id"] not in state(sandbox).topics


def test_delete_of_an_unknown_user_falls_back_to_the_token_user_and_is_refused(sandbox):
    """Trap 7 on a path id [I]: DELETE users/999999 would target the admin; refused loudly."""
    sandbox.app.configure(later_routes=LATER_ROUTES)
    assert "own user" in error(call(sandbox, "DELETE", "users/999999.json"), 400)
    assert OWNER in state(sandbox).users


def test_group_membership_and_its_fallback_trap(sandbox):
    """U11/U12 REF-NEW, body {"id": group} [I]; an unknown user id puts the *admin* in the
    group (trap 7)."""
    sandbox.app.configure(later_routes=LATER_ROUTES)
    partners = 3
    user = next(u for u in state(sandbox).users.values() if partners not in u["groups"])
    data(call(sandbox, "POST", f"users/{user['id']}/group.json", json={"id": partners}))
    assert partners in user["groups"]
    data(call(sandbox, "DELETE", f"users/{user['id']}/group.json", json={"group_id": partners}))
    assert partners not in user["groups"]
    data(call(sandbox, "POST", "users/999999/group.json", json={"id": partners}))
    assert partners in state(sandbox).users[OWNER]["groups"]
    assert error(call(sandbox, "POST", f"users/{user['id']}/group.json", json={"id": 99}), 404)


def test_profile_update_subscriptions_forum_update_and_statuses(sandbox):
    """U7, U9, U10, F3, T2 (REF-NEW, shapes [I])."""
    sandbox.app.configure(later_routes=LATER_ROUTES)
    assert data(call(sandbox, "PUT", "users/5.json", json={"name": "Renamed"}))["name"] == "Renamed"
    assert error(call(sandbox, "PUT", "users/5.json", json={"email": "admin@example.com"}), 400)
    subs = data(call(sandbox, "PUT", "users/5/subscriptions.json", json={"forums": [1, 2]}))
    assert subs == {"forums": [1, 2], "topics": []}
    assert data(call(sandbox, "GET", "users/5/subscriptions.json")) == subs
    assert data(call(sandbox, "PUT", "forums.json", json={"id": 2, "name": "Help"}))["name"] == (
        "Help"
    )
    statuses = data(call(sandbox, "GET", "forums/1/types/1/statuses.json"))
    assert [s["name"] for s in statuses][:3] == ["New", "Under review", "Planned"]
    forum2_type = next(t["id"] for t in state(sandbox).types.values() if t["forum_id"] == 2)
    assert error(call(sandbox, "GET", f"forums/1/types/{forum2_type}/statuses.json"), 404)
