"""Injected trouble: latency, errors, outages and lost answers."""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass
class Faults:
    """Injected trouble: applied to every API call (never to control calls)."""

    latency_ms: float = 0.0
    error_rate: float = 0.0  # share of calls answered with error_status
    error_status: int = 502
    outage_until: float = 0.0  # time.time() until which every call gets outage_status
    outage_status: int = 503
    # The next n changes (any method but GET) are applied, and then their answer is lost: the
    # caller gets error_status, as through a proxy that timed out after the forum acted.
    lost_answers: int = 0

    def outage_for(self, seconds: float) -> None:
        self.outage_until = time.time() + seconds
