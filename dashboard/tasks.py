from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(ignore_result=True)
def worker_heartbeat() -> None:
    """Sent by beat every FORUMDECK_HEARTBEAT_SECONDS: the overview shows the worker is alive."""
    services.worker_heartbeat_record()
