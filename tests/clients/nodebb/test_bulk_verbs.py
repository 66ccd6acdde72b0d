"""The NodeBB client against the sandbox NodeBB: the platform-neutral verbs the bulk actions use."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from forums.clients.records import Penalty

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


# --- the platform-neutral verbs the bulk actions use ----------------------------------------
def test_neutral_verbs_map_to_ban_mute_delete_and_membership(client, sandbox):
    state = sandbox.app.state
    target = state.users[plain_uid(sandbox)]
    found = client.resolve_users(targets=[target["username"].upper(), "admin", "ghost", "2"])
    assert set(found) == {target["username"].lower(), "admin", "2"}
    assert found["admin"].admin and found["2"].username == "moderator"
    client.penalise(kind=Penalty.SUSPEND, user_id=target["uid"], until=datetime(2099, 1, 1),
                    reason="spam")  # naive  # fmt: skip
    resolved = client.resolve_users(targets=[target["username"]])
    assert resolved[target["username"].lower()].suspended
    client.penalise(kind=Penalty.SILENCE, user_id=target["uid"],
                    until=datetime.now(UTC) + timedelta(days=1), reason="x")  # fmt: skip
    assert state.users[target["uid"]]["mutedUntil"] > time.time() * 1000
    group = client.get_group(key="Beta Testers")
    assert group.slug == "beta-testers"
    before = client.group_member_ids(group=group)
    newcomer = next(u for u in sorted(state.users) if u > 2 and u not in before)
    assert client.add_members(group=group, user_ids=[newcomer]).added == (str(newcomer),)
    assert newcomer in client.group_member_ids(group=group)
    assert client.delete_users(user_ids=[newcomer]).deleted == (newcomer,)
    assert newcomer not in state.users
