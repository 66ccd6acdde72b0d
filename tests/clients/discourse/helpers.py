"""Helpers of the Discourse client's tests: its key, a client for the sandbox, a member."""

from __future__ import annotations

from forums.clients.discourse import (
    DiscourseClient,
)
from forums.sandbox.discourse import DiscourseSandbox

KEY = "sandbox-key-0123456789"


# The fixtures of tests/clients/discourse/conftest.py serve this config.
SANDBOX_CONFIG = {
    "discourse": {"api_key": KEY, "users": 2600, "admin_requests_per_minute": 1_000_000}
}


def make_client(url: str, key: str = KEY, **kwargs) -> DiscourseClient:
    return DiscourseClient(
        base_url=url,
        api_key=key,
        api_username="system",
        allow_http_hosts=["127.0.0.1"],
        timeout=kwargs.pop("timeout", 5),
        **kwargs,
    )


def a_member(sandbox: DiscourseSandbox, **wanted) -> dict:
    """A seeded regular user matching ``wanted`` (not staff, not penalised)."""
    for user in sandbox.users.values():
        if (
            user["id"] > 4
            and not sandbox.suspended(user)
            and not sandbox.silenced(user)
            and all(user[k] == v for k, v in wanted.items())
        ):
            return user
    raise AssertionError(f"no seeded user with {wanted}")
