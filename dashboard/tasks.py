from __future__ import annotations

from celery import shared_task
from celery.signals import task_prerun, worker_ready

from . import services


@shared_task(ignore_result=True)
def worker_heartbeat() -> None:
    """Sent by beat every FORUMDECK_HEARTBEAT_SECONDS, so a live worker always has a task to
    take; taking it (see ``took_a_task``) is what the overview shows."""
    services.worker_heartbeat_record()


@task_prerun.connect
def took_a_task(**kwargs) -> None:
    """Any task a pool process starts proves the worker takes work."""
    services.worker_heartbeat_record()


@worker_ready.connect
def announce_worker(**kwargs) -> None:
    """A worker that just started proves itself at once, by taking a task rather than by
    saying it started: a worker whose pool is stuck starts too."""
    worker_heartbeat.delay()
