"""The sandbox NodeBB: injected faults and the call log."""

from __future__ import annotations

from .basics import (  # noqa: F401 - the config of this module's sandbox
    AGENT,
    AUTH,
    MASTER_CONFIG,
    NODEBB_SPECS,
    SANDBOX_CONFIG,
    TOKEN,
    call,
    plain_user,
)


# --- faults and the call log ----------------------------------------------------------------
def test_outage_window_answers_503_then_recovers(sandbox):
    sandbox.app.config.faults.outage_for(30)
    r = call(sandbox, "GET", "/api/config")
    assert r.status_code == 503
    assert r.json()["status"]["code"] == "internal-server-error"
    sandbox.app.config.faults.outage_until = 0
    assert call(sandbox, "GET", "/api/config").status_code == 200


def test_error_rate_injects_failures(sandbox):
    sandbox.app.config.faults.error_rate = 1.0
    assert {call(sandbox, "GET", "/api/config").status_code for _ in range(5)} == {502}
    sandbox.app.config.faults.error_rate = 0.0
    assert call(sandbox, "GET", "/api/config").status_code == 200


def test_no_rate_limit_by_default(sandbox):
    statuses = {call(sandbox, "GET", "/api/config").status_code for _ in range(80)}
    assert statuses == {200}


def test_call_log_records_what_was_asked_and_answered(sandbox):
    call(sandbox, "PUT", "/api/v3/users/7/mute?_uid=1", json={"until": 1, "reason": "r"})
    call(sandbox, "GET", "/api/v3/nope")
    records = sandbox.app.calls.records()
    assert [(r.method, r.path, r.status) for r in records] == [
        ("PUT", "/api/v3/users/7/mute", 200),
        ("GET", "/api/v3/nope", 404),
    ]
    assert records[0].query == "_uid=1" and records[0].body == {"until": 1, "reason": "r"}
