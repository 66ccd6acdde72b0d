"""The demo: one sandbox Discourse and one sandbox NodeBB on loopback, with known keys."""

from __future__ import annotations

import os

from .core import RunningSandbox, SandboxConfig

DEMO_KEYS = {"discourse": "demo-discourse-api-key", "nodebb": "demo-nodebb-api-token"}
DEMO_USERNAMES = {"discourse": "system", "nodebb": "1"}


def sandbox_app(platform: str, *, api_key: str, api_username: str, **config):
    if platform == "discourse":
        from .discourse import DiscourseSandbox

        return DiscourseSandbox(
            SandboxConfig(api_key=api_key, api_username=api_username, **config)
        )
    if platform == "nodebb":
        from .nodebb import NodeBBSandbox, NodeBBSandboxConfig

        return NodeBBSandbox(
            NodeBBSandboxConfig(api_key=api_key, api_username=api_username, **config)
        )
    raise ValueError(f"No sandbox for {platform}")


def start_demo_sandboxes() -> list[RunningSandbox]:
    ports = {
        "discourse": int(os.environ.get("FORUMDECK_DEMO_DISCOURSE_PORT", "4100")),
        "nodebb": int(os.environ.get("FORUMDECK_DEMO_NODEBB_PORT", "4200")),
    }
    running = []
    for platform, port in ports.items():
        app = sandbox_app(
            platform,
            api_key=DEMO_KEYS[platform],
            api_username=DEMO_USERNAMES[platform],
            title=f"Demo {platform.title()} forum",
        )
        running.append(RunningSandbox(app, port=port).start())
    return running
