"""Start and stop real Celery processes for tests (never eager mode)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


class CeleryProcess:
    def __init__(
        self,
        kind: str,
        log: Path,
        env: dict[str, str] | None = None,
        extra: list[str] | None = None,
    ) -> None:
        from dashboard.celery import beat_command, worker_command

        if kind == "worker":
            args = worker_command(hostname=f"test-{os.getpid()}-{time.monotonic_ns()}@%h")
        elif kind == "beat":
            # Exactly what the embedded stack runs: schedules kept in the database.
            args = beat_command()
        else:
            args = [sys.executable, "-m", "celery", "-A", "dashboard", kind, "--loglevel", "INFO"]
        args += extra or []
        self.log = log
        self._log_file = log.open("w")
        self.process = subprocess.Popen(
            args,
            cwd=ROOT,
            env={**os.environ, **(env or {})},
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, needle: str = "ready.", timeout: float = 60) -> None:
        wait_for(
            lambda: needle in self.log.read_text(),
            timeout=timeout,
            what=f"celery to log {needle!r}",
            on_fail=self.output,
        )

    def output(self) -> str:
        return self.log.read_text()[-3000:]

    def kill(self) -> None:
        """SIGKILL the whole process group: what a crash or an OOM kill does."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def terminate(self) -> None:
        """Ask for Celery's warm shutdown. Only the main process is signalled: it stops its own
        pool children (a SIGTERM to the whole group kills a child, which the main process then
        replaces and keeps consuming with while it shuts down)."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)

    def discard(self) -> None:
        """End the process group at once, for a test that is over: a warm shutdown waits for
        the pool to close (2-7 s a test), and nothing the worker does now can matter."""
        self.kill()
        self._log_file.close()

    def stop(self, timeout: float = 15) -> None:
        self.terminate()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        self._log_file.close()


def wait_for(
    predicate: Callable[[], object],
    *,
    timeout: float,
    what: str,
    on_fail: Callable[[], str] | None = None,
    interval: float = 0.2,
):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    detail = f"\n--- process output ---\n{on_fail()}" if on_fail else ""
    raise AssertionError(f"Timed out after {timeout:g}s waiting for {what}.{detail}")


def database_url_for_workers() -> str:
    """DATABASE_URL of the database the running tests use, for worker subprocesses."""
    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return (
        f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )
