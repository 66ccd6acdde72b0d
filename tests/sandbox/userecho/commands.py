"""A sandbox UserEcho served on a loopback port, called by command as the API reference
writes them, with the tokens the tests act with."""

from __future__ import annotations

from pathlib import Path

import requests

from tests.contract.conftest import SPECS

TOKEN = "sandbox-key"
READ_TOKEN = "read-only-token"  # the owner's read-only token
AGENT_TOKEN = "agent-write-token"  # the support agent (user 2): read and write, not "all"
OWNER = 1
AGENT = 2
BASE = {
    "api_key": TOKEN,
    "extra_tokens": {
        READ_TOKEN: {"user_id": OWNER, "scopes": ["read"]},
        AGENT_TOKEN: {"user_id": AGENT, "scopes": ["read", "write"]},
    },
}
USERECHO_SPECS = Path(SPECS) / "userecho"
ENDPOINTS = USERECHO_SPECS / "ENDPOINTS.md"


# The sandbox fixture (tests/sandbox/userecho/conftest.py) serves this config.
SANDBOX_CONFIG = {"userecho": BASE}


def call(sb, method, command, *, token=TOKEN, params=None, **kwargs):
    params = dict(params or {})
    if token:
        params["access_token"] = token
    return requests.request(
        method, f"{sb.url}/api/v2/{command}", params=params, timeout=5, **kwargs
    )


def data(response):
    assert response.status_code == 200, response.text[:300]
    body = response.json()
    assert body["status"] == "success", body
    return body["data"]


def error(response, status):
    assert response.status_code == status, response.text[:300]
    body = response.json()
    assert body["status"] == "error" and body["message"], body
    assert "data" not in body
    return body["message"]


def state(sb):
    return sb.app.state


def topic_in(sb, forum_id, **where):
    return next(
        t
        for t in state(sb).topics.values()
        if t["forum_id"] == forum_id and all(t[k] == v for k, v in where.items())
    )


def tag_named(sb, forum_id, name):
    return next(
        t["id"] for t in state(sb).tags.values() if t["forum_id"] == forum_id and t["name"] == name
    )
