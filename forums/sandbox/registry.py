"""The sandbox forums, one entry per platform, beside ``forums/clients/registry.py``'s
``PLATFORMS``: every list of sandboxes (the demo, the ``sandbox`` command, the test fixtures)
is derived from this one, so a new platform's sandbox is one line here.

Each entry says how to build the platform's sandbox app and how the demo and the tests connect
to it: the demo's port and key, and the connection settings the demo stores, which are exactly
what the connection form stores for that platform (a UserEcho token acts as its own user, so
its "acting as" is empty there as on the form; the sandbox itself still knows which user the
token is, through its own ``api_username``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .core import SandboxApp, SandboxConfig


def _discourse(config: dict[str, Any]) -> SandboxApp:
    from .discourse import DiscourseSandbox

    return DiscourseSandbox(SandboxConfig(**config))


def _nodebb(config: dict[str, Any]) -> SandboxApp:
    from .nodebb import NodeBBSandbox, NodeBBSandboxConfig

    return NodeBBSandbox(NodeBBSandboxConfig(**config))


def _userecho(config: dict[str, Any]) -> SandboxApp:
    from .userecho import UserEchoSandbox, UserEchoSandboxConfig

    return UserEchoSandbox(UserEchoSandboxConfig(**config))


@dataclass(frozen=True)
class Sandbox:
    """One platform's sandbox: how to build it, and how the demo and the tests reach it."""

    platform: str
    label: str  # as people write it: "NodeBB"
    factory: Callable[[dict[str, Any]], SandboxApp]
    # The sandbox's own view of the key: the user the key acts as (a username or a uid).
    sandbox_acting_as: str
    # The demo: its port (FORUMDECK_DEMO_<PLATFORM>_PORT overrides), key, and the "acting as"
    # the demo connection stores: what the connection form stores for this platform.
    demo_port: int
    demo_key: str
    demo_acting_as: str
    # The tests: the key their sandbox accepts, the config it starts with (a generous rate
    # limit, a small forum) and the "acting as" their connection stores.
    test_key: str
    test_config: dict[str, Any] = field(default_factory=dict)
    test_acting_as: str = ""
    # Adds the demo's people itself (so they survive a reset of its state).
    seeds_demo_people: bool = False
    # The forum releases the sandbox can play (its config's ``release``); the first is the
    # default. Empty: one release only. `manage.py sandbox <platform> --release` reads it.
    releases: tuple[str, ...] = ()

    @property
    def demo_name(self) -> str:
        return f"Demo {self.label}"

    def app(self, *, api_key: str, api_username: str | None = None, **config: Any) -> SandboxApp:
        """A new sandbox app accepting ``api_key``, acting as ``api_username`` (default: the
        platform's admin), with any other config field of its ``SandboxConfig``."""
        return self.factory(
            {"api_key": api_key, "api_username": api_username or self.sandbox_acting_as, **config}
        )

    def demo_app(self, **config: Any) -> SandboxApp:
        return self.app(**{"api_key": self.demo_key, "title": f"{self.demo_name} forum", **config})

    def test_app(self, **config: Any) -> SandboxApp:
        return self.app(**{"api_key": self.test_key, **self.test_config, **config})

    def demo_connection(self, base_url: str) -> dict[str, Any]:
        """The demo connection's fields, as the connection form stores them."""
        return {
            "platform": self.platform,
            "base_url": base_url,
            "api_key": self.demo_key,
            "api_username": self.demo_acting_as,
        }


SANDBOXES: dict[str, Sandbox] = {
    sandbox.platform: sandbox
    for sandbox in (
        Sandbox(
            platform="discourse",
            label="Discourse",
            factory=_discourse,
            sandbox_acting_as="system",
            demo_port=4100,
            demo_key="demo-discourse-api-key",
            demo_acting_as="system",  # Api-Username
            test_key="sandbox-discourse-key-0123456789abcdef",
            test_config={"admin_requests_per_minute": 6000, "users": 60},
            test_acting_as="system",
            releases=("2026.1", "3.4"),  # forums/sandbox/discourse/releases.py
        ),
        Sandbox(
            platform="nodebb",
            label="NodeBB",
            factory=_nodebb,
            sandbox_acting_as="1",
            demo_port=4200,
            demo_key="demo-nodebb-api-token",
            demo_acting_as="1",  # the token's uid
            test_key="sandbox-nodebb-token-0123456789abcdef",
            test_config={"users": 40, "user_tokens": {"member-token": 20}},
            test_acting_as="1",
            releases=("4.15", "3.12"),  # forums/sandbox/nodebb/releases.py
        ),
        Sandbox(
            platform="userecho",
            label="UserEcho",
            factory=_userecho,
            sandbox_acting_as="1",  # the project owner, whose token it is
            demo_port=4300,
            demo_key="demo-userecho-api-token",
            demo_acting_as="",  # the form: "UserEcho: leave empty" (a token acts as itself)
            test_key="sandbox-userecho-token-0123456789abcdef",
            test_config={
                "extra_tokens": {
                    # the owner's read-only token, and a support agent's (read and write)
                    "sandbox-userecho-read-token-0123456789": {"user_id": 1, "scopes": ["read"]},
                    "sandbox-userecho-agent-token-0123456789": {
                        "user_id": 2,
                        "scopes": ["read", "write"],
                    },
                }
            },
            test_acting_as="",
            seeds_demo_people=True,
        ),
    )
}
