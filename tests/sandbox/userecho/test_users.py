"""The sandbox UserEcho: users that get created."""

from __future__ import annotations

from .commands import (
    OWNER,
    SANDBOX_CONFIG,  # noqa: F401 - the config of this module's sandbox
    call,
    data,
    error,
    state,
)


# --- users that get created -----------------------------------------------------------------
def test_get_or_create_finds_by_email_and_creates_otherwise(sandbox):
    """U6 [D] P-GOC; trap 6: a "lookup" through get_or_create creates the user."""
    count = len(state(sandbox).users)
    found = data(
        call(sandbox, "POST", "users/get_or_create.json", json={"email": "Tom.Becker@example.org"})
    )
    assert found["is_created"] is False and found["slug"] == "tom-becker"
    assert len(state(sandbox).users) == count
    created = data(
        call(sandbox, "POST", "users/get_or_create.json", json={"email": "nobody.yet@example.com"})
    )
    assert created["is_created"] is True and created["name"] == "nobody.yet"  # P-GOC default
    assert len(state(sandbox).users) == count + 1
    assert state(sandbox).invitations == []  # send_new_user_invitation defaults to false
    again = data(
        call(sandbox, "POST", "users/get_or_create.json", json={"email": "nobody.yet@example.com"})
    )
    assert again["id"] == created["id"] and again["is_created"] is False
    assert error(call(sandbox, "POST", "users/get_or_create.json", json={"name": "x"}), 400)
    assert len(state(sandbox).users) == count + 1


def test_get_or_create_with_email_verified_false_matches_only_unverified(sandbox):
    """P-GOC [D]: email_verified=false matches only users with unverified e-mails."""
    unverified = next(u for u in state(sandbox).users.values() if not u["email_verified"])
    got = data(
        call(
            sandbox,
            "POST",
            "users/get_or_create.json",
            json={"email": unverified["email"], "email_verified": False},
        )
    )
    assert got["id"] == unverified["id"]
    assert error(
        call(
            sandbox,
            "POST",
            "users/get_or_create.json",
            json={"email": "admin@example.com", "email_verified": False},
        ),
        400,
    )


def test_an_sso_token_creates_the_user_it_names(sandbox):
    """SEED:114 [D] (trap 6): an unknown sso_token creates a user and acts as it."""
    count = len(state(sandbox).users)
    first = data(call(sandbox, "GET", "users/current.json", params={"sso_token": "crm-new-1"}))
    assert first["id"] != OWNER and len(state(sandbox).users) == count + 1
    second = data(call(sandbox, "GET", "users/current.json", params={"sso_token": "crm-new-1"}))
    assert second["id"] == first["id"] and len(state(sandbox).users) == count + 1
    assert data(call(sandbox, "GET", "users/sso/crm-new-1.json"))["id"] == first["id"]


def test_logout_is_a_get_that_clears_sessions(sandbox):
    """U5 [D] "Clear all sessions for selected user"; trap 8: a GET with a side effect."""
    user = next(u for u in state(sandbox).users.values() if u["sessions"] > 0 and u["id"] > 3)
    assert data(call(sandbox, "GET", f"users/{user['id']}/logout.json")) is True
    assert user["sessions"] == 0 and state(sandbox).logouts == [user["id"]]
    assert sandbox.app.calls.count("GET", f"/api/v2/users/{user['id']}/logout.json") == 1
