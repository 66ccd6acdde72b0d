"""What every sandbox forum shares: the router (``SandboxApp``), the call log, the rate limiter,
fault injection and serving (``RunningSandbox``)."""

from __future__ import annotations

from .app import CONTROL_PREFIX, SandboxApp, SandboxConfig, json_response
from .calls import CallLog, CallRecord
from .faults import Faults
from .limiter import SlidingWindowLimiter, ceil_seconds
from .serving import RunningSandbox

__all__ = [
    "CONTROL_PREFIX",
    "CallLog",
    "CallRecord",
    "Faults",
    "RunningSandbox",
    "SandboxApp",
    "SandboxConfig",
    "SlidingWindowLimiter",
    "ceil_seconds",
    "json_response",
]
