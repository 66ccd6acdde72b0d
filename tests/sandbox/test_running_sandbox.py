"""RunningSandbox: serving on loopback, and stopping without socketserver's half-second poll."""

from __future__ import annotations

import time

import pytest
import requests

from forums.sandbox.core import RunningSandbox
from forums.sandbox.nodebb import NodeBBSandbox, NodeBBSandboxConfig


def test_stop_returns_at_once_and_the_port_is_closed():
    """A test suite starts and stops hundreds of sandboxes: each stop must not wait for a poll."""
    app = NodeBBSandbox(NodeBBSandboxConfig(users=12))
    running = RunningSandbox(app).start()
    session = requests.Session()
    assert session.get(running.url + "/api/config", timeout=5).status_code == 200
    started = time.monotonic()
    running.stop()
    elapsed = time.monotonic() - started
    # socketserver's default poll alone would take 0.5 s; a generous bound for a busy machine.
    assert elapsed < 0.25, f"stop() took {elapsed:.3f} s"
    assert not running.thread.is_alive()
    with pytest.raises(requests.ConnectionError):
        requests.get(running.url + "/api/config", timeout=2)


def test_stop_of_an_idle_or_never_started_server_is_safe():
    app = NodeBBSandbox(NodeBBSandboxConfig(users=12))
    idle = RunningSandbox(app).start()
    idle.stop()
    never = RunningSandbox(app)
    never.stop()
    assert not idle.thread.is_alive() and not never.thread.is_alive()
