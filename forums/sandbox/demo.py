"""The demo: one sandbox Discourse and one sandbox NodeBB on loopback, with known keys."""

from __future__ import annotations

import os

from .core import RunningSandbox, SandboxConfig

DEMO_KEYS = {"discourse": "demo-discourse-api-key", "nodebb": "demo-nodebb-api-token"}
DEMO_USERNAMES = {"discourse": "system", "nodebb": "1"}
# People with an account on both demo forums (same e-mail address, not always the same
# username), so the People page shows one person across forums.
DEMO_PEOPLE = (
    {"email": "maria.lopez@example.org", "name": "Maria Lopez",
     "usernames": {"discourse": "maria_lopez", "nodebb": "mlopez"}},
    {"email": "tom.becker@example.org", "name": "Tom Becker",
     "usernames": {"discourse": "tbecker", "nodebb": "tbecker"}},
    {"email": "yuki.tanaka@example.org", "name": "Yuki Tanaka",
     "usernames": {"discourse": "yuki", "nodebb": "yuki_t"}},
)  # fmt: skip


def sandbox_app(platform: str, *, api_key: str, api_username: str, **config):
    if platform == "discourse":
        from .discourse import DiscourseSandbox

        return DiscourseSandbox(SandboxConfig(api_key=api_key, api_username=api_username, **config))
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
            title={"discourse": "Demo Discourse forum", "nodebb": "Demo NodeBB forum"}[platform],
        )
        add_demo_people(app, platform)
        running.append(RunningSandbox(app, port=port).start())
    return running


def add_demo_people(app, platform: str) -> None:
    for person in DEMO_PEOPLE:
        app.add_person(
            username=person["usernames"][platform], email=person["email"], name=person["name"]
        )
