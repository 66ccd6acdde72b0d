"""A real Celery worker and beat on the configured broker (embedded by default)."""

from __future__ import annotations

import pytest
from django.core.cache.backends.filebased import FileBasedCache

from dashboard.services import HEARTBEAT_KEY
from dashboard.tasks import worker_heartbeat
from tests.processes import CeleryProcess, wait_for
from tests.worker_fixtures import test_database_url as database_url_of_the_tests

# Beat keeps its schedules in the database: the processes use the (migrated) test database.
pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_worker_runs_tasks_sent_from_the_web_and_from_beat(tmp_path):
    cache_dir = tmp_path / "cache"
    shared_cache = FileBasedCache(str(cache_dir), {})
    env = {
        "CACHE_URL": f"filecache://{cache_dir}",
        "FORUMDECK_HEARTBEAT_SECONDS": "1",
        "DATABASE_URL": database_url_of_the_tests(),
    }
    worker = CeleryProcess("worker", tmp_path / "worker.log", env)
    beat = None
    try:
        worker.wait_ready()
        # A new worker announces itself at once, without waiting for beat.
        wait_for(
            lambda: shared_cache.get(HEARTBEAT_KEY),
            timeout=10,
            what="the new worker to announce itself",
            on_fail=worker.output,
        )
        shared_cache.clear()
        # What the web process does: queue a task on the broker.
        worker_heartbeat.delay()
        first = wait_for(
            lambda: shared_cache.get(HEARTBEAT_KEY),
            timeout=30,
            what="the worker to run the task",
            on_fail=worker.output,
        )
        assert first["pid"] != __import__("os").getpid()  # it ran in the worker process
        shared_cache.clear()

        # What beat does: schedule the heartbeat by itself.
        beat = CeleryProcess("beat", tmp_path / "beat.log", env)
        second = wait_for(
            lambda: shared_cache.get(HEARTBEAT_KEY),
            timeout=30,
            what="beat to schedule the heartbeat",
            on_fail=beat.output,
        )
        assert second["at"] != first["at"]
        assert "Sending due task worker-heartbeat" in beat.output()
    finally:
        if beat:
            beat.stop()
        worker.stop()
