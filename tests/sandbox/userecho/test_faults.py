"""The sandbox UserEcho: faults, the rate limit, the call log, control calls and concurrency."""

from __future__ import annotations

import threading
import time

import requests

from .commands import (
    SANDBOX_CONFIG,  # noqa: F401 - the config of this module's sandbox
    call,
    data,
    state,
)


# --- faults, rate, call log, control, concurrency -------------------------------------------
def test_outage_and_error_rate_answer_5xx(sandbox):
    sandbox.app.config.faults.outage_for(30)
    assert call(sandbox, "GET", "forums.json").status_code == 503
    sandbox.app.config.faults.outage_until = 0
    sandbox.app.config.faults.error_rate = 1.0
    response = call(sandbox, "GET", "forums.json")
    assert response.status_code == 502 and response.json()["status"] == "error"
    sandbox.app.config.faults.error_rate = 0.0
    assert data(call(sandbox, "GET", "forums.json"))


def test_latency_slows_every_call(sandbox):
    sandbox.app.config.faults.latency_ms = 200
    started = time.monotonic()
    assert data(call(sandbox, "GET", "hooks/events.json"))
    assert time.monotonic() - started >= 0.2


def test_no_rate_limit_unless_configured(sandbox):
    """1.5 [I] no documented limit; when set, 429 with Retry-After."""
    assert {call(sandbox, "GET", "hooks/events.json").status_code for _ in range(70)} == {200}
    sandbox.app.configure(requests_per_minute=2)
    statuses = [call(sandbox, "GET", "hooks/events.json").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert int(call(sandbox, "GET", "hooks/events.json").headers["Retry-After"]) >= 1


def test_call_log_records_what_was_asked(sandbox):
    call(sandbox, "PUT", "forums/1/tags.json", json={"id": 1, "name": "defect"})
    call(sandbox, "GET", "users/999999/logout.json")
    records = sandbox.app.calls.records()
    assert [(r.method, r.path, r.status) for r in records] == [
        ("PUT", "/api/v2/forums/1/tags.json", 200),
        ("GET", "/api/v2/users/999999/logout.json", 200),
    ]
    assert records[0].body == {"id": 1, "name": "defect"}


def test_switches_can_be_set_out_of_process(sandbox):
    """The /__sandbox__ control route of SandboxApp sets these switches too."""
    requests.post(
        f"{sandbox.url}/__sandbox__/config",
        timeout=5,
        json={"error_http_status": "200", "later_routes": ["user_delete"]},
    )
    assert call(sandbox, "GET", "topics/999999.json").status_code == 200
    assert data(call(sandbox, "DELETE", "users/9.json")) is True


def test_writes_are_atomic_under_concurrency(sandbox):
    results = []

    def create():
        results.append(call(sandbox, "POST", "forums/1/tags.json", json={"name": "race"}))

    threads = [threading.Thread(target=create) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status_code for r in results) == [200] + [400] * 11
    assert sum(t["name"] == "race" for t in state(sandbox).tags.values()) == 1
