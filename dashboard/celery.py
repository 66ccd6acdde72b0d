"""The Celery app: configured from Django settings under the CELERY_ namespace."""

from __future__ import annotations

import os
import sys

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")

app = Celery("forumdeck")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def worker_command(
    *, concurrency: int = 1, hostname: str = "worker@%h", loglevel: str = "INFO"
) -> list[str]:
    """The one command line a Forumdeck worker runs with: the embedded stack, the benchmark
    and the tests start exactly this (no gossip or mingle: workers do not talk to each other)."""
    return [
        sys.executable, "-m", "celery", "-A", "dashboard", "worker", "--loglevel", loglevel,
        "--concurrency", str(concurrency), "--without-gossip", "--without-mingle",
        "--hostname", hostname,
    ]  # fmt: skip


def beat_command(*, loglevel: str = "INFO") -> list[str]:
    """The one command line beat runs with (the embedded stack and the tests start exactly
    this). Its schedules live in the database (``CELERY_BEAT_SCHEDULER``, django-celery-beat),
    so there is no schedule file, and a schedule changed on a page is picked up within
    seconds."""
    return [
        sys.executable, "-m", "celery", "-A", "dashboard", "beat", "--loglevel", loglevel,
    ]  # fmt: skip
