"""A sandbox NodeBB served on a loopback port, called over HTTP, for the rules NodeBB 4.15.1
answers with (shared/specs/nodebb/ENDPOINTS.md)."""

from __future__ import annotations

import time

import requests

TOKEN = "fidelity-token"
MASTER = "fidelity-master-token"
AGENT = "Forumdeck-fidelity/1.0"


# The sandbox and master fixtures (tests/sandbox/nodebb/conftest.py) serve these configs.
SANDBOX_CONFIG = {"nodebb": {"api_key": TOKEN, "users": 60, "user_tokens": {"member": 20}}}
MASTER_CONFIG = {"api_key": MASTER, "users": 30, "master_token": True}


def call(sb, method, path, *, token=TOKEN, agent=AGENT, **kwargs):
    headers = {"User-Agent": agent}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return requests.request(method, sb.url + path, headers=headers, timeout=5, **kwargs)


def plain_uid(sb) -> int:
    return next(
        uid
        for uid, user in sorted(sb.app.state.users.items())
        if uid > 2 and not user["banned"] and not user["mutedUntil"]
    )


def user(sb, uid: int) -> dict:
    return call(sb, "GET", f"/api/v3/users/{uid}").json()["response"]


def in_a_week() -> int:
    return int(time.time() * 1000) + 7 * 86_400_000
