"""Deleting users in bulk (forums/bulk/kinds/users.py): what the plan promises."""

from __future__ import annotations

import pytest

from tests.bulk.helpers import propose_and_plan

pytestmark = pytest.mark.django_db


def test_an_administrator_is_not_counted_as_will_be_changed(
    moderator, nodebb_connection, nodebb_sandbox
):
    """Issue 26, item 14: NodeBB refuses to delete an administrator; the plan says so up front
    instead of counting it among the changes."""
    ordinary = next(u["username"] for u in nodebb_sandbox.app.state.users.values() if u["uid"] > 2)
    action = propose_and_plan(
        proposer=moderator, connection=nodebb_connection, kind="delete_users",
        targets=["admin", ordinary],
    )  # fmt: skip
    assert action.plan["planned"] == 1
    admin = action.items.get(target="admin")
    assert (admin.state, admin.error) == ("skipped", "the forum will refuse: administrator")
    assert action.items.get(target=ordinary).planned
