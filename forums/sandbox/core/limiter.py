"""Rate limits as the forums count them."""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections import deque


class SlidingWindowLimiter:
    """Discourse's RateLimiter: at most ``limit`` performs within any ``window`` seconds.

    Like the real one (a Redis list of timestamps), a refused request is not counted, and the
    wait it reports is the time until the oldest counted request leaves the window.
    """

    clock = staticmethod(lambda: time.monotonic())

    def __init__(self, limit: int, window: float = 60.0) -> None:
        self.limit = limit
        self.window = window
        self._lock = threading.Lock()
        self._stamps: deque[float] = deque()

    def try_acquire(self, now: float | None = None) -> float:
        """0 if the request may go ahead (and is counted), else the seconds to wait."""
        now = time.monotonic() if now is None else now
        with self._lock:
            while self._stamps and now - self._stamps[0] >= self.window:
                self._stamps.popleft()
            if len(self._stamps) < self.limit:
                self._stamps.append(now)
                return 0.0
            if not self._stamps:
                return self.window  # a limit of 0 refuses everything
            return max(self._stamps[0] + self.window - now, 0.001)

    def rollback(self, stamp: float) -> None:
        """Forget one counted request (RateLimiter#rollback!), e.g. the per-IP count of a
        request that turned out to carry a valid API key."""
        with self._lock, contextlib.suppress(ValueError):  # it may have left the window
            self._stamps.remove(stamp)

    def reset(self) -> None:
        with self._lock:
            self._stamps.clear()


def ceil_seconds(value: float) -> int:
    return max(1, math.ceil(value))
