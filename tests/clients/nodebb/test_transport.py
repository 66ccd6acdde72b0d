"""The NodeBB client against the sandbox NodeBB: master tokens, secrets and failures."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest

from forums.clients.errors import (
    ForumRejected,
    ForumServerError,
    ForumTimeout,
)
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


# --- master token, secrets, failures -------------------------------------------------------
def test_master_token_sends_uid_in_the_query_never_in_bodies(master_sandbox):
    client = make_client(master_sandbox, token=MASTER, uid="1", master=True)
    uid = plain_uid(master_sandbox)
    client.penalise(kind=Penalty.SUSPEND, user_id=uid, until=None, reason="spam")
    client.list_users(status="banned")
    client.add_members(group=client.get_group(key="translators"), user_ids=[uid])
    assert client.health_check().ok
    records = master_sandbox.app.calls.records()
    assert records and all(parse_qs(r.query).get("_uid") == ["1"] for r in records)
    assert all("_uid" not in (r.body or {}) for r in records)
    assert master_sandbox.app.state.users[uid]["banned"]


def test_master_token_without_uid_is_explained(master_sandbox):
    client = make_client(master_sandbox, token=MASTER, uid="", master=False)
    with pytest.raises(ForumRejected, match="master token"):
        client.get_user(user_id=1)


def test_token_only_travels_in_the_authorization_header(client, sandbox):
    client.penalise(kind=Penalty.SUSPEND, user_id=plain_uid(sandbox), until=None, reason="spam")
    client.list_users(status="banned")
    for record in sandbox.app.calls.records():
        assert TOKEN not in record.query and TOKEN not in str(record.body)
    assert TOKEN not in repr(client)


def test_injected_5xx_raises_server_error(client, sandbox):
    sandbox.app.config.faults.error_rate = 1.0
    with pytest.raises(ForumServerError) as info:
        client.get_user(user_id=1)
    assert info.value.status == 502
    sandbox.app.config.faults.error_rate = 0.0
    sandbox.app.config.faults.outage_for(30)
    with pytest.raises(ForumServerError) as info:
        client.list_groups()
    assert info.value.status == 503


def test_slow_forum_times_out(sandbox):
    sandbox.app.config.faults.latency_ms = 400
    with pytest.raises(ForumTimeout, match="did not answer within"):
        make_client(sandbox, timeout=0.1).get_user(user_id=1)
