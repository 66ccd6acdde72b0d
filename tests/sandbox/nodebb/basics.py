"""A sandbox NodeBB served on a loopback port, called as Forumdeck's client calls it, and the
official specs it is checked against."""

from __future__ import annotations

from pathlib import Path

import requests

from tests.contract.conftest import SPECS

TOKEN = "sandbox-key"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
NODEBB_SPECS = Path(SPECS) / "nodebb"
# NodeBB treats `python-requests/*` without a valid token as a spider (403 instead of 401), so
# these tests introduce themselves the way Forumdeck's client does.
AGENT = {"User-Agent": "Forumdeck-tests/1.0"}


# The sandbox and master fixtures (tests/sandbox/nodebb/conftest.py) serve these configs.
SANDBOX_CONFIG = {"nodebb": {"api_key": TOKEN, "users": 120, "user_tokens": {"user-token": 20}}}
MASTER_CONFIG = {"api_key": "master-secret", "master_token": True}


def call(sb, method, path, *, token=TOKEN, **kwargs):
    headers = {**AGENT, **({"Authorization": f"Bearer {token}"} if token else {})}
    return requests.request(method, sb.url + path, headers=headers, timeout=5, **kwargs)


def plain_user(sb) -> int:
    state = sb.app.state
    return next(
        uid for uid, u in state.users.items() if uid > 2 and not u["banned"] and not u["mutedUntil"]
    )
