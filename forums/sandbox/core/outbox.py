"""What a sandbox forum sends by itself (webhooks): jobs run one after another on a background
thread, as a forum's job queue does, and POSTs that reach loopback addresses only, so a
sandbox is never a way off this machine."""

from __future__ import annotations

import http.client
import ipaddress
import queue
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

DELIVERY_TIMEOUT = 5.0
NOT_LOOPBACK = "the sandbox delivers to loopback only"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def post_to_loopback(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    """POST ``body`` to ``url`` if it is a loopback address: (status, the answer's start), or
    (-1, why) when nothing was sent or the answer never came. No proxy from the environment,
    no redirect followed."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if not is_loopback(host):
        return -1, NOT_LOOPBACK
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    conn = kind(host, parts.port, timeout=DELIVERY_TIMEOUT)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        conn.request("POST", path, body=body, headers=headers)
        answer = conn.getresponse()
        return answer.status, answer.read(2000).decode("utf-8", "replace")
    except OSError as exc:
        return -1, str(exc)
    finally:
        conn.close()


class Outbox:
    """A job queue with one worker thread, started on first use."""

    def __init__(self) -> None:
        self._jobs: queue.Queue[Callable[[], None]] = queue.Queue()
        self._started = False
        self._lock = threading.Lock()

    def put(self, job: Callable[[], None]) -> None:
        with self._lock:
            if not self._started:
                threading.Thread(target=self._work, name="sandbox-outbox", daemon=True).start()
                self._started = True
        self._jobs.put(job)

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            try:
                job()
            finally:
                self._jobs.task_done()

    def idle(self, timeout: float = 10.0) -> bool:
        """Wait until every queued job ran (for tests); False on timeout."""
        deadline = time.monotonic() + timeout
        while self._jobs.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True
