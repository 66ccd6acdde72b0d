"""The sandbox Discourse: the admin-key bucket (one sliding window for every request with a valid
key; refused requests are not counted)."""

from __future__ import annotations

import threading
import time as real_time
from types import SimpleNamespace

import requests

from forums.sandbox.core import RunningSandbox, SandboxConfig, limiter
from forums.sandbox.discourse import DiscourseSandbox

from .in_process import (
    AUTH,
    KEY,
    make,
)


# --- the admin-key bucket -----------------------------------------------------------------------
def test_429_shape_like_discourse():
    app, c = make(limit=3)
    statuses = [c.get("/tags.json", headers=AUTH).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = c.get("/admin/users/list/active.json", headers=AUTH)
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "60"
    assert limited.headers["Discourse-Rate-Limit-Error-Code"] == "admin_api_key_rate_limit"
    body = limited.json
    assert body["error_type"] == "rate_limit" and body["errors"]
    assert body["extras"] == {"wait_seconds": 60, "time_left": "60 seconds"}


def test_refused_requests_are_not_counted(monkeypatch):
    clock = [1000.0]
    fake_time = SimpleNamespace(
        monotonic=lambda: clock[0], time=real_time.time, sleep=real_time.sleep
    )
    monkeypatch.setattr(limiter, "time", fake_time)
    app, c = make(limit=2)
    assert [c.get("/tags.json", headers=AUTH).status_code for _ in range(2)] == [200, 200]
    clock[0] += 30
    assert c.get("/tags.json", headers=AUTH).status_code == 429
    clock[0] += 29
    assert c.get("/tags.json", headers=AUTH).headers["Retry-After"] == "1"
    clock[0] += 1  # the two successes leave the window; the refusals were never in it
    assert [c.get("/tags.json", headers=AUTH).status_code for _ in range(3)] == [200, 200, 429]


def test_call_log_never_shows_more_than_the_limit_in_a_minute_under_concurrency():
    app = DiscourseSandbox(SandboxConfig(api_key=KEY, users=50, admin_requests_per_minute=20))
    with RunningSandbox(app) as running:
        session = requests.Session()

        def worker() -> None:
            for _ in range(10):
                session.get(running.url + "/admin/backups.json", headers=AUTH, timeout=5)

        threads = [threading.Thread(target=worker) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert app.calls.count(status=200) == 20
    assert app.calls.count(status=429) == 60
    assert app.calls.max_in_any_window(60, status=200) == 20


def test_concurrent_group_adds_never_double_apply():
    app = DiscourseSandbox(SandboxConfig(api_key=KEY, users=50))
    names = ",".join(u["username"] for u in list(app.users.values())[:30] if u["id"] > 0)
    with RunningSandbox(app) as running:
        results: list[int] = []

        def add() -> None:
            r = requests.put(
                running.url + "/groups/41/members.json",
                json={"usernames": names},
                headers=AUTH,
                timeout=5,
            )
            results.append(r.status_code)

        threads = [threading.Thread(target=add) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    # beta-testers already holds some of them; exactly one call can add the rest.
    assert results.count(200) == 1 and results.count(422) == 5
