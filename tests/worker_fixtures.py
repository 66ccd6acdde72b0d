"""Real Celery workers and beat running against pytest-django's test database.

Use from a ``django_db(transaction=True)`` test (the subprocesses must see committed rows):

    def test_x(celery_stack):
        celery_stack.start(workers=2, beat=True)
        ...

The subprocesses inherit the test environment (tests/settings.py put it in os.environ: the
broker folder, the keyring, ...) plus ``DATABASE_URL`` pointing at the *test* database (SQLite
file or PostgreSQL database on the same server) and short lease / resume periods, so a killed
worker's action is picked up again within seconds. Every process is stopped at teardown, before
pytest-django flushes the database.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest

from tests.processes import CeleryProcess

LEASE_SECONDS = 4
RESUME_SECONDS = 1


def test_database_url() -> str:
    """A DATABASE_URL for a subprocess: the database this test is really using."""
    from django.db import connection

    s = connection.settings_dict
    engine, name = s["ENGINE"], str(s["NAME"])
    if engine.endswith("sqlite3"):
        if not name or name == ":memory:" or name.startswith("file:"):
            raise RuntimeError(
                "Worker tests need a file-based SQLite test database (FORUMDECK_TEST_DB)."
            )
        return f"sqlite:///{name}"
    if "postgresql" in engine:
        user = quote(s.get("USER") or "", safe="")
        password = quote(s.get("PASSWORD") or "", safe="")
        auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        host = s.get("HOST") or "127.0.0.1"
        port = f":{s['PORT']}" if s.get("PORT") else ""
        return f"postgres://{auth}{host}{port}/{quote(name, safe='')}"
    raise RuntimeError(f"No DATABASE_URL recipe for {engine}")


def purge_broker() -> None:
    """Drop messages left by earlier tests (their actions are gone with the flushed DB)."""
    from dashboard.celery import app

    app.control.purge()


class CeleryStack:
    """Workers and a beat for one test; every process is stopped by ``stop_all``."""

    def __init__(self, tmp_path: Path, **env: str) -> None:
        self.tmp_path = tmp_path
        self.env = {
            "DATABASE_URL": test_database_url(),
            "DATABASE_CONN_MAX_AGE": "0",
            "FORUMDECK_BULK_LEASE_SECONDS": str(LEASE_SECONDS),
            "FORUMDECK_RESUME_SECONDS": str(RESUME_SECONDS),
            "FORUMDECK_HEARTBEAT_SECONDS": "3600",
            **env,
        }
        self.processes: list[CeleryProcess] = []
        self.beat_process: CeleryProcess | None = None
        self._count = 0

    def _log(self, kind: str) -> Path:
        self._count += 1
        return self.tmp_path / f"{kind}-{self._count}.log"

    def worker(self, *, wait: bool = True) -> CeleryProcess:
        process = CeleryProcess("worker", self._log("worker"), self.env)
        self.processes.append(process)
        if wait:
            process.wait_ready()
        return process

    def beat(self, *, wait: bool = True) -> CeleryProcess:
        process = CeleryProcess("beat", self._log("beat"), self.env)
        self.processes.append(process)
        self.beat_process = process
        if wait:
            process.wait_ready("beat: Starting")
        return process

    def start(self, *, workers: int = 1, beat: bool = True) -> list[CeleryProcess]:
        """Start them side by side, then wait until every one is ready."""
        started = [self.worker(wait=False) for _ in range(workers)]
        if beat:
            self.beat(wait=False)
        for process in started:
            process.wait_ready()
        if beat and self.beat_process:
            self.beat_process.wait_ready("beat: Starting")
        return started

    def output(self) -> str:
        return "\n".join(f"--- {p.log.name} ---\n{p.output()}" for p in self.processes)

    def stop_all(self) -> None:
        """End every process at once (the test is over; see ``CeleryProcess.discard``)."""
        for process in self.processes:
            try:
                process.discard()
            except Exception:  # keep stopping the others
                process.kill()


@pytest.fixture
def celery_stack(transactional_db, tmp_path):
    purge_broker()
    stack = CeleryStack(tmp_path)
    try:
        yield stack
    finally:
        stack.stop_all()
        purge_broker()
