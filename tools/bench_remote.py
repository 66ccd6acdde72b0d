"""Sandbox forums served by a process of their own, for the figures that time a page.

A real fleet's forums are other machines: their work does not take the dashboard's CPU or its
interpreter lock. Served from the bench's own process, twenty sandboxes answering 80 calls at
once competed with the very page being timed (and with its threads booking their pacing slots),
so the 20-forum figures measured the sandboxes as much as Forumdeck. Here they run in a child
process (``python -m tools.bench_remote COUNT USERS PER_WINDOW``), which prints one JSON line
of their addresses and serves until its standard input closes; the bench reaches them only
through their control routes (``/__sandbox__/...``), as a test would reach a real server.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
CONTROL = "/__sandbox__"


class RemoteSandbox:
    """One sandbox forum of a :class:`RemoteFleet`, driven over HTTP."""

    def __init__(self, url: str) -> None:
        self.url = url

    def _control(self, method: str, action: str, **kwargs):
        response = requests.request(method, f"{self.url}{CONTROL}/{action}", timeout=30, **kwargs)
        response.raise_for_status()
        return response.json()

    def set_latency(self, ms: float) -> None:
        self._control("POST", "faults", json={"latency_ms": ms})

    def clear_calls(self) -> None:
        self._control("DELETE", "calls")

    def call_count(self) -> int:
        return len(self._control("GET", "calls"))


class RemoteFleet:
    """``count`` sandbox Discourse forums in one child process; ``stop()`` ends it. ``seed``:
    ``"people"`` adds the People search bench's people to each (``tools.bench_people._seed``)."""

    def __init__(self, count: int, *, users: int, per_window: int, seed: str = "") -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tools.bench_remote",
                str(count),
                str(users),
                str(per_window),
                *([seed] if seed else []),
            ],  # fmt: skip
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self.process.stdout.readline() if self.process.stdout else ""
        if not line:
            self.stop()
            raise RuntimeError("the sandbox forums' process did not start")
        self.sandboxes = [RemoteSandbox(url) for url in json.loads(line)]

    def stop(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()  # the child's signal to stop
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _serve(count: int, users: int, per_window: int, seed: str = "") -> None:
    from forums.sandbox.core import RunningSandbox, SandboxConfig
    from forums.sandbox.discourse import DiscourseSandbox
    from tools.bench import SANDBOX_KEY

    cls = DiscourseSandbox
    running = [
        RunningSandbox(
            cls(
                SandboxConfig(
                    api_key=SANDBOX_KEY,
                    api_username="system",
                    users=users,
                    admin_requests_per_minute=per_window,
                )
            )  # fmt: skip
        ).start()
        for _ in range(count)
    ]
    if seed == "people":
        from tools.bench_people import _seed

        for n, sandbox in enumerate(running):
            _seed(sandbox.app, n)
    print(json.dumps([r.url for r in running]), flush=True)
    try:
        sys.stdin.read()  # until the bench closes our standard input (or dies)
    finally:
        for sandbox in running:
            sandbox.stop()


if __name__ == "__main__":
    _serve(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), *sys.argv[4:5])
