from __future__ import annotations

import os
import socket
from datetime import datetime

from django.core.cache import cache
from django.utils import timezone

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
