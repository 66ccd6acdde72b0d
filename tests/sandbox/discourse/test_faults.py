"""The sandbox Discourse: injected faults (latency, errors, outages, lost answers)."""

from __future__ import annotations

from .in_process import (
    AUTH,
    make,
)


# --- faults -------------------------------------------------------------------------------------
def test_outage_window_and_error_rate():
    app, c = make(seed=7)
    app.config.faults.outage_for(60)
    assert c.get("/site/basic-info.json").status_code == 503
    app.config.faults.outage_until = 0
    assert c.get("/site/basic-info.json").status_code == 200
    app.config.faults.error_rate = 0.5
    statuses = [c.get("/site/basic-info.json").status_code for _ in range(200)]
    assert 60 < statuses.count(502) < 140 and statuses.count(200) == 200 - statuses.count(502)


def test_a_lost_answer_still_applies_the_change():
    app, c = make()
    ordinary = (u for u in app.users.values() if u["id"] > 0 and not (u["admin"] or u["moderator"]))
    uid = next(ordinary)["id"]
    app.config.faults.lost_answers = 1
    body = {"suspend_until": "2099-01-01T00:00:00Z", "reason": "spam"}
    lost = c.put(f"/admin/users/{uid}/suspend.json", json=body, headers=AUTH)
    assert lost.status_code == 502
    assert app.users[uid]["suspended_till"]  # the forum acted; only its answer went missing
    assert app.config.faults.lost_answers == 0
    assert c.get(f"/admin/users/{uid}.json", headers=AUTH).status_code == 200


def test_control_endpoints_are_not_api_calls():
    app, c = make()
    c.post("/__sandbox__/faults", json={"error_rate": 1.0})
    assert c.get("/tags.json", headers=AUTH).status_code == 502
    c.post("/__sandbox__/faults", json={"error_rate": 0})
    assert [r.path for r in app.calls.records()] == ["/tags.json"]
