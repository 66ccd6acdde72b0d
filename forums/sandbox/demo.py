"""The demo: every sandbox forum of the registry on loopback, with known keys."""

from __future__ import annotations

import os

from .core import RunningSandbox, SandboxApp
from .demo_people import DEMO_PEOPLE
from .registry import SANDBOXES

__all__ = ["DEMO_KEYS", "DEMO_NAMES", "DEMO_PEOPLE", "DEMO_PORTS", "DEMO_USERNAMES"]

# Derived from the registry, for the demo_connections command and tests.
DEMO_KEYS = {p: s.demo_key for p, s in SANDBOXES.items()}
# What the demo connection stores as "acting as": what the connection form would store.
DEMO_USERNAMES = {p: s.demo_acting_as for p, s in SANDBOXES.items()}
DEMO_NAMES = {p: s.demo_name for p, s in SANDBOXES.items()}
DEMO_PORTS = {p: s.demo_port for p, s in SANDBOXES.items()}


def sandbox_app(platform: str, *, api_key: str, api_username: str | None = None, **config):
    """A sandbox app for ``platform`` (see ``registry.Sandbox.app``)."""
    try:
        sandbox = SANDBOXES[platform]
    except KeyError:
        raise ValueError(f"No sandbox for {platform}") from None
    return sandbox.app(api_key=api_key, api_username=api_username, **config)


def start_demo_sandboxes() -> list[RunningSandbox]:
    running = []
    for platform, sandbox in SANDBOXES.items():
        port = int(os.environ.get(f"FORUMDECK_DEMO_{platform.upper()}_PORT", sandbox.demo_port))
        app = sandbox.demo_app()
        if not sandbox.seeds_demo_people:
            add_demo_people(app, platform)
        running.append(RunningSandbox(app, port=port).start())
    return running


def add_demo_people(app: SandboxApp, platform: str) -> None:
    for person in DEMO_PEOPLE:
        app.add_person(
            username=person["usernames"][platform], email=person["email"], name=person["name"]
        )
