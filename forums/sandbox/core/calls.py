"""The call log: every API call a sandbox answered, for tests and the bench to count."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class CallRecord:
    method: str
    path: str
    query: str
    status: int
    at: float  # time.time()
    body: Any = None


class CallLog:
    """Every API call the sandbox answered (control calls excluded), safe across threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[CallRecord] = []

    def add(self, record: CallRecord) -> None:
        with self._lock:
            self._records.append(record)

    def records(self) -> list[CallRecord]:
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()

    def count(
        self,
        method: str | None = None,
        path: str | None = None,
        *,
        status: int | None = None,
        prefix: str | None = None,
    ) -> int:
        return sum(
            1
            for r in self.records()
            if (method is None or r.method == method)
            and (path is None or r.path == path)
            and (prefix is None or r.path.startswith(prefix))
            and (status is None or r.status == status)
        )

    def max_in_any_window(self, seconds: float = 60.0, *, status: int | None = None) -> int:
        """The most calls (optionally of one status) that fell in any sliding window."""
        times = sorted(r.at for r in self.records() if status is None or r.status == status)
        best, start = 0, 0
        for end, t in enumerate(times):
            while t - times[start] >= seconds:
                start += 1
            best = max(best, end - start + 1)
        return best
