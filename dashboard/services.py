from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

# When a worker last took a task (any task: beat's heartbeat makes sure there is one to take).
# A worker that merely runs is not enough: one whose pool is stuck still runs.
HEARTBEAT_KEY = "forumdeck:worker-heartbeat"


def worker_heartbeat_record() -> dict:
    beat = {"at": timezone.now().isoformat(), "host": socket.gethostname(), "pid": os.getpid()}
    cache.set(HEARTBEAT_KEY, beat, timeout=24 * 3600)
    return beat


def worker_last_heartbeat() -> datetime | None:
    beat = cache.get(HEARTBEAT_KEY)
    if not beat:
        return None
    return datetime.fromisoformat(beat["at"])


def worker_is_stale(*, heartbeat: datetime | None = None) -> bool:
    """No worker has taken a task for FORUMDECK_WORKER_STALE_SECONDS (or ever)."""
    heartbeat = heartbeat if heartbeat is not None else worker_last_heartbeat()
    if heartbeat is None:
        return True
    limit = timedelta(seconds=settings.FORUMDECK_WORKER_STALE_SECONDS)
    return timezone.now() - heartbeat > limit


# Backends that never deliver a message to anyone.
_NO_MAIL_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
}


def password_reset_available() -> bool:
    """Password reset e-mails can reach someone: a real backend, and a host for SMTP."""
    backend = settings.EMAIL_BACKEND
    if backend in _NO_MAIL_BACKENDS:
        return False
    if backend == "django.core.mail.backends.smtp.EmailBackend":
        return bool(settings.EMAIL_HOST.strip())
    return True
