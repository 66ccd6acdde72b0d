"""Helpers of the NodeBB client's tests: its tokens, a client for the sandbox, a plain user."""

from __future__ import annotations

from forums.clients.nodebb import NodeBBClient
from forums.sandbox.core import Faults

TOKEN = "nodebb-user-token-1234"
MASTER = "nodebb-master-token-5678"


# The fixtures of tests/clients/nodebb/conftest.py serve these configs.
SANDBOX_CONFIG = {"nodebb": {"api_key": TOKEN, "users": 120, "user_tokens": {"member-token": 20}}}
MASTER_CONFIG = {"api_key": MASTER, "master_token": True}


def _fresh(running):
    running.app.config.faults = Faults()
    running.app.calls.clear()
    running.app.reset()
    return running


def make_client(sb, *, token=TOKEN, uid="1", master=False, timeout=5.0) -> NodeBBClient:
    return NodeBBClient(
        base_url=sb.url,
        api_key=token,
        api_username=uid,
        master_token=master,
        timeout=timeout,
        allow_http_hosts=["127.0.0.1"],
    )


def plain_uid(sb) -> int:
    return next(
        uid
        for uid, u in sorted(sb.app.state.users.items())
        if uid > 2 and not u["banned"] and not u["mutedUntil"]
    )
