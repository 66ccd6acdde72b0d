from __future__ import annotations

from celery import shared_task
from celery.signals import worker_ready

from . import services


@shared_task(ignore_result=True)
def worker_heartbeat() -> None:
    """Sent by beat every FORUMDECK_HEARTBEAT_SECONDS: the overview shows the worker is alive."""
    services.worker_heartbeat_record()


@worker_ready.connect
def announce_worker(**kwargs) -> None:
    """A worker that just started says so at once, not only at beat's next heartbeat."""
    services.worker_heartbeat_record()
