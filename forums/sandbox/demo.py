"""The demo: a sandbox Discourse, NodeBB and UserEcho on loopback, with known keys."""

from __future__ import annotations

import os

from .core import RunningSandbox, SandboxConfig
from .demo_people import DEMO_PEOPLE

__all__ = ["DEMO_KEYS", "DEMO_NAMES", "DEMO_PEOPLE", "DEMO_PORTS", "DEMO_USERNAMES"]

DEMO_KEYS = {
    "discourse": "demo-discourse-api-key",
    "nodebb": "demo-nodebb-api-token",
    "userecho": "demo-userecho-api-token",
}
# Discourse: the acting username; NodeBB: the token's uid; UserEcho: the token's own user id.
DEMO_USERNAMES = {"discourse": "system", "nodebb": "1", "userecho": "1"}
DEMO_NAMES = {"discourse": "Demo Discourse", "nodebb": "Demo NodeBB", "userecho": "Demo UserEcho"}
DEMO_PORTS = {"discourse": 4100, "nodebb": 4200, "userecho": 4300}


def sandbox_app(platform: str, *, api_key: str, api_username: str, **config):
    if platform == "discourse":
        from .discourse import DiscourseSandbox

        return DiscourseSandbox(SandboxConfig(api_key=api_key, api_username=api_username, **config))
    if platform == "nodebb":
        from .nodebb import NodeBBSandbox, NodeBBSandboxConfig

        return NodeBBSandbox(
            NodeBBSandboxConfig(api_key=api_key, api_username=api_username, **config)
        )
    if platform == "userecho":
        from .userecho import UserEchoSandbox, UserEchoSandboxConfig

        return UserEchoSandbox(
            UserEchoSandboxConfig(api_key=api_key, api_username=api_username, **config)
        )
    raise ValueError(f"No sandbox for {platform}")


def start_demo_sandboxes() -> list[RunningSandbox]:
    ports = {
        platform: int(os.environ.get(f"FORUMDECK_DEMO_{platform.upper()}_PORT", default))
        for platform, default in DEMO_PORTS.items()
    }
    running = []
    for platform, port in ports.items():
        app = sandbox_app(
            platform,
            api_key=DEMO_KEYS[platform],
            api_username=DEMO_USERNAMES[platform],
            title=f"{DEMO_NAMES[platform]} forum",
        )
        # The UserEcho sandbox seeds them itself (UserEchoSandboxConfig.demo_people), so they
        # survive a reset of its state.
        if not getattr(app.config, "demo_people", False):
            add_demo_people(app, platform)
        running.append(RunningSandbox(app, port=port).start())
    return running


def add_demo_people(app, platform: str) -> None:
    for person in DEMO_PEOPLE:
        app.add_person(
            username=person["usernames"][platform], email=person["email"], name=person["name"]
        )
