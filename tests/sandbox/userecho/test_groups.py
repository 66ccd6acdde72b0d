"""The sandbox UserEcho: user groups and their collection-level writes."""

from __future__ import annotations

from .commands import (
    SANDBOX_CONFIG,  # noqa: F401 - the config of this module's sandbox
    call,
    data,
    error,
    state,
)


# --- user groups: collection-level writes ---------------------------------------------------
def test_groups_are_written_on_the_collection_with_the_id_in_the_body(sandbox):
    """G1-G4 [D]; trap 3: PUT/DELETE users/groups carry the id in the body ([I] for DELETE,
    which also takes ?id=)."""
    groups = data(call(sandbox, "GET", "users/groups.json"))
    assert [g["name"] for g in groups] == ["Customers", "Beta testers", "Partners", "Team"]
    made = data(call(sandbox, "POST", "users/groups.json", json={"name": "Moderators"}))
    assert made["vote_weight"] == 1 and made["vote_count"] is None  # P-GRP-C defaults
    renamed = data(
        call(
            sandbox,
            "PUT",
            "users/groups.json",
            json={"id": made["id"], "name": "Mods", "vote_weight": 3},
        )
    )
    assert renamed == {"id": made["id"], "name": "Mods", "vote_weight": 3, "vote_count": None}
    # PUT takes the id from the body only.
    assert "'id' is required" in error(
        call(sandbox, "PUT", "users/groups.json", params={"id": made["id"]}, json={"name": "Q"}),
        400,
    )
    assert data(call(sandbox, "DELETE", "users/groups.json", json={"id": made["id"]})) is True
    assert made["id"] not in state(sandbox).groups
    assert data(call(sandbox, "DELETE", "users/groups.json", params={"id": 3})) is True
    assert 3 not in state(sandbox).groups
    assert not any(3 in u["groups"] for u in state(sandbox).users.values())
    assert error(call(sandbox, "DELETE", "users/groups.json", json={"id": 3}), 404)
    assert error(call(sandbox, "DELETE", "users/groups.json"), 400)


def test_group_validation(sandbox):
    """P-GRP-C [D]: vote_weight 1..5, vote_count positive or null; names are unique [I]."""
    for body in (
        {"name": "X", "vote_weight": 6},
        {"name": "X", "vote_count": 0},
        {"name": "customers"},
        {"vote_weight": 2},
    ):
        assert error(call(sandbox, "POST", "users/groups.json", json=body), 400), body
    assert len(state(sandbox).groups) == 4
    assert error(call(sandbox, "PUT", "users/groups.json", json={"id": 99, "name": "Y"}), 404)


def test_bodies_must_be_json_objects_but_form_fields_are_read(sandbox):
    """1.6 [D] JSON object bodies; [I] the v1 clients' form fields work too."""
    assert "JSON object" in error(call(sandbox, "POST", "users/groups.json", json=[1, 2]), 400)
    made = data(call(sandbox, "POST", "users/groups.json", data={"name": "Form made"}))
    assert made["name"] == "Form made"
