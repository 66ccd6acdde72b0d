"""The Discourse sandbox itself: auth, the admin-key bucket, faults, and fidelity to the spec."""

from __future__ import annotations

import copy
import json
import threading
import time as real_time
from pathlib import Path
from types import SimpleNamespace

import jsonschema
import pytest
import requests
from werkzeug.test import Client

from forums.sandbox.core import RunningSandbox, SandboxConfig, limiter
from forums.sandbox.discourse import DiscourseSandbox
from tests.contract import discourse_exemptions as gaps
from tests.contract.conftest import SPECS

SPEC_PATH = SPECS / "discourse" / "openapi.json"
KEY = "test-key"
AUTH = {"Api-Key": KEY, "Api-Username": "system"}


@pytest.fixture(scope="module")
def spec() -> dict:
    if not SPEC_PATH.exists():
        pytest.skip(f"{SPEC_PATH} is not there")
    return json.loads(Path(SPEC_PATH).read_text())


def make(limit: int = 10_000, **config) -> tuple[DiscourseSandbox, Client]:
    config.setdefault("users", 120)
    app = DiscourseSandbox(SandboxConfig(api_key=KEY, admin_requests_per_minute=limit, **config))
    return app, Client(app)


# --- auth -------------------------------------------------------------------------------------
def test_bad_key_is_404_on_admin_routes_and_403_elsewhere():
    app, c = make()
    bad = {"Api-Key": "nope", "Api-Username": "system"}
    admin = c.get("/admin/users/list/active.json", headers=bad)
    assert admin.status_code == 404
    other = c.get("/u/admin.json", headers=bad)
    assert other.status_code == 403 and other.json["error_type"] == "invalid_access"
    assert c.get("/admin/backups.json").status_code == 404  # no key at all
    assert c.get("/review/count.json").status_code == 403
    unknown_user = c.get("/admin/backups.json", headers={**AUTH, "Api-Username": "ghost"})
    assert unknown_user.status_code == 404
    assert c.get("/admin/backups.json", headers=AUTH).status_code == 200
    assert c.get("/srv/status").data == b"ok"


def test_bad_keys_do_not_use_up_the_admin_bucket():
    app, c = make(limit=2)
    for _ in range(5):
        c.get("/admin/backups.json", headers={"Api-Key": "nope"})
    assert c.get("/admin/backups.json", headers=AUTH).status_code == 200
    assert c.get("/site/basic-info.json", headers=AUTH).status_code == 200
    assert c.get("/admin/backups.json", headers=AUTH).status_code == 429


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


# --- behaviour the client relies on -----------------------------------------------------------
def test_group_member_limits_and_automatic_groups():
    app, c = make(users=1100)
    names = ",".join(u["username"] for u in app.users.values() if u["id"] > 0)
    too_many = c.put("/groups/41/members.json", json={"usernames": names}, headers=AUTH)
    assert too_many.status_code == 422
    # render_json_error(I18n.t("groups.errors.adding_too_many_users")): errors only, no type
    assert too_many.json == {"errors": ["Maximum 1000 users can be added at once"]}
    members = c.get("/groups/beta-testers/members.json?limit=1000", headers=AUTH).json["members"]
    again = c.put(
        "/groups/41/members.json",
        json={"usernames": ",".join(m["username"] for m in members)},
        headers=AUTH,
    )
    assert again.status_code == 422 and "already" in again.json["errors"][0]
    auto = c.put("/groups/10/members.json", json={"usernames": "admin"}, headers=AUTH)
    assert auto.status_code == 403  # can_edit_group? is false for automatic groups
    assert auto.json["error_type"] == "invalid_access"
    assert c.get("/groups/beta-testers/members.json?limit=1001", headers=AUTH).status_code == 400


def test_form_bodies_are_accepted_like_json():
    app, c = make()
    user = next(u for u in app.users.values() if u["id"] > 4 and not app.suspended(u))
    form = c.put(
        f"/admin/users/{user['id']}/suspend.json",
        headers=AUTH,
        data={"suspend_until": "2031-01-01", "reason": "form body"},
    )
    assert form.status_code == 200 and app.users[user["id"]]["suspend_reason"] == "form body"
    created = c.post(
        "/tag_groups.json",
        headers=AUTH,
        data={"name": "Form group", "tag_names[]": ["alpha", "beta"]},
    )
    assert created.json["tag_group"]["tag_names"] == ["alpha", "beta"]
    bulk = c.put(
        "/topics/bulk.json",
        headers=AUTH,
        data={
            "topic_ids[]": ["1", "2"],
            "operation[type]": "change_tags",
            "operation[tags][]": ["x"],
        },
    )
    assert bulk.json == {"topic_ids": [1, 2]} and app.topics[1]["tags"] == ["x"]


def test_rename_only_tag_group_put_empties_it_like_discourse():
    app, c = make()
    assert app.tag_groups[1]["tag_names"]
    c.put("/tag_groups/1.json", json={"name": "Renamed"}, headers=AUTH)
    assert app.tag_groups[1]["tag_names"] == []


def test_backup_with_json_true_is_taken_as_false():
    app, c = make()
    assert c.post("/admin/backups.json", json={"with_uploads": True}, headers=AUTH).json == {
        "success": "OK"
    }
    assert app.backup_pending["filename"].endswith(".sql.gz")
    assert (
        c.post("/admin/backups.json", json={"with_uploads": "true"}, headers=AUTH).json["failed"]
        == "FAILED"
    )


# --- fidelity to openapi.json -----------------------------------------------------------------
def spec_operations(spec: dict) -> set[tuple[str, str]]:
    return {
        gaps.template_key(method, path)
        for path, ops in spec["paths"].items()
        for method in ops
        if method in ("get", "put", "post", "delete", "patch")
    }


def test_every_sandbox_route_is_in_the_spec_or_exempted(spec):
    app = DiscourseSandbox(SandboxConfig(users=5))
    documented = spec_operations(spec)
    exempt = gaps.not_in_spec_keys()
    served = {
        gaps.template_key(method, rule.rule)
        for rule in app.url_map.iter_rules()
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }
    assert served, "the sandbox serves no routes"
    unexplained = sorted(served - documented - exempt)
    assert not unexplained, f"routes neither in openapi.json nor exempted: {unexplained}"
    stale = sorted(exempt & documented)
    assert not stale, f"exempted routes the spec now documents: {stale}"
    unused = sorted(exempt - served)
    assert not unused, f"exemptions for routes the sandbox does not serve: {unused}"


def _response_schema(spec: dict, method: str, template: str) -> dict | None:
    op = spec["paths"][template][method.lower()]
    content = op["responses"].get("200", {}).get("content", {})
    return (content.get("application/json") or {}).get("schema")


# (method, spec template, concrete path, JSON body) for every spec-documented sandbox route.
SAMPLES = [
    ("GET", "/site/basic-info.json", "/site/basic-info.json", None),
    ("GET", "/admin/users.json", "/admin/users.json?show_emails=true", None),
    ("GET", "/admin/users/list/{flag}.json", "/admin/users/list/active.json", None),
    ("GET", "/admin/users/{id}.json", "/admin/users/{plain}.json", None),
    ("GET", "/u/{username}.json", "/u/{plain_name}.json", None),
    (
        "PUT",
        "/admin/users/{id}/suspend.json",
        "/admin/users/{plain}/suspend.json",
        {"suspend_until": "2031-01-01T00:00:00Z", "reason": "spam"},
    ),
    (
        "PUT",
        "/admin/users/{id}/silence.json",
        "/admin/users/{other}/silence.json",
        {"silenced_till": "2031-01-01T00:00:00Z", "reason": "noise"},
    ),
    ("POST", "/admin/users/{id}/log_out.json", "/admin/users/{other}/log_out.json", None),
    ("PUT", "/admin/users/{id}/activate.json", "/admin/users/{inactive}/activate.json", None),
    ("PUT", "/admin/users/{id}/deactivate.json", "/admin/users/{other}/deactivate.json", None),
    ("PUT", "/admin/users/{id}/anonymize.json", "/admin/users/{other}/anonymize.json", None),
    ("DELETE", "/admin/users/{id}.json", "/admin/users/{deletable}.json", {"delete_posts": True}),
    ("GET", "/groups.json", "/groups.json", None),
    ("GET", "/groups/{name}.json", "/groups/beta-testers.json", None),
    ("GET", "/groups/by-id/{id}.json", "/groups/by-id/41.json", None),
    ("POST", "/admin/groups.json", "/admin/groups.json", {"group": {"name": "newbies"}}),
    ("PUT", "/groups/{id}.json", "/groups/42.json", {"group": {"name": "support-crew"}}),
    ("DELETE", "/admin/groups/{id}.json", "/admin/groups/43.json", None),
    ("GET", "/groups/{name}/members.json", "/groups/beta-testers/members.json", None),
    ("PUT", "/groups/{id}/members.json", "/groups/41/members.json", {"usernames": "admin"}),
    ("DELETE", "/groups/{id}/members.json", "/groups/41/members.json", {"usernames": "admin"}),
    ("GET", "/tags.json", "/tags.json", None),
    ("GET", "/tag/{name}.json", "/tag/bug.json", None),
    ("GET", "/t/{id}.json", "/t/3.json", None),
    ("GET", "/tag_groups.json", "/tag_groups.json", None),
    ("POST", "/tag_groups.json", "/tag_groups.json", {"name": "Fresh"}),
    ("GET", "/tag_groups/{id}.json", "/tag_groups/1.json", None),
    ("PUT", "/tag_groups/{id}.json", "/tag_groups/2.json", {"name": "Status 2"}),
    ("GET", "/admin/backups.json", "/admin/backups.json", None),
    ("POST", "/admin/backups.json", "/admin/backups.json", {"with_uploads": "false"}),
    ("PUT", "/admin/backups/{filename}", "/admin/backups/{backup}", None),
    ("GET", "/discourse-post-event/events.json", "/discourse-post-event/events.json", None),
    ("GET", "/discourse-post-event/events.ics", "/discourse-post-event/events.ics", None),
]


def _strip_conditional_penalty_fields(payload):
    """See gaps.PENALTY_FIELDS: these appear only while a penalty is in force."""
    payload = copy.deepcopy(payload)
    for holder in (payload, payload.get("user") if isinstance(payload, dict) else None):
        if isinstance(holder, dict):
            for key in gaps.CONDITIONAL_USER_FIELDS:
                holder.pop(key, None)
    return payload


def test_sandbox_answers_validate_against_the_spec(spec):
    app, c = make()
    plain = next(
        u
        for u in app.users.values()
        if u["id"] > 4 and not app.suspended(u) and not app.silenced(u)
    )
    other = next(
        u
        for u in app.users.values()
        if u["id"] > plain["id"] and not app.suspended(u) and not app.silenced(u)
    )
    # activate needs an inactive user; delete a user staff may delete (Guardian rules)
    inactive = next(u for u in app.users.values() if u["id"] > 4 and not u["active"])
    deletable = next(
        u
        for u in app.users.values()
        if u["id"] > other["id"] and app.can_delete_user(app.users[-1], u)
    )
    values = {
        "plain": plain["id"],
        "plain_name": plain["username"],
        "other": other["id"],
        "inactive": inactive["id"],
        "deletable": deletable["id"],
        "backup": app.backups[0]["filename"],
    }
    served = {
        key
        for key in (
            gaps.template_key(m, r.rule)
            for r in app.url_map.iter_rules()
            for m in r.methods or ()
            if m not in ("HEAD", "OPTIONS")
        )
        if key in spec_operations(spec)
    }
    sampled = {gaps.template_key(m, t) for m, t, _, _ in SAMPLES}
    assert served == sampled, "every spec-documented sandbox route needs a sample here"
    validated = 0
    for method, template, path, body in SAMPLES:
        response = c.open(path.format(**values), method=method, json=body, headers=AUTH)
        assert response.status_code == 200, (method, path, response.data[:300])
        schema = _response_schema(spec, method, template)
        if schema is None:
            continue  # the spec documents no JSON body for this answer
        payload = response.json
        if template in ("/admin/users/{id}.json", "/u/{username}.json"):
            payload = _strip_conditional_penalty_fields(payload)
        try:
            jsonschema.validate(payload, schema, cls=jsonschema.Draft202012Validator)
        except jsonschema.ValidationError as exc:
            pytest.fail(f"{method} {template}: {exc.message} at {list(exc.absolute_path)}")
        validated += 1
    assert validated >= 28


def test_a_suspended_user_differs_from_the_spec_only_by_the_exempted_fields(spec):
    app, c = make()
    user = next(u for u in app.users.values() if u["id"] > 4 and app.suspended(u))
    payload = c.get(f"/admin/users/{user['id']}.json", headers=AUTH).json
    assert gaps.CONDITIONAL_USER_FIELDS & payload.keys() >= {"suspended_till", "suspend_reason"}
    schema = _response_schema(spec, "GET", "/admin/users/{id}.json")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(payload, schema, cls=jsonschema.Draft202012Validator)
    jsonschema.validate(
        _strip_conditional_penalty_fields(payload), schema, cls=jsonschema.Draft202012Validator
    )


def test_event_durations_match_the_specs_pattern(spec):
    """The spec's own example fails its pattern (gaps.EVENT_DURATION_EXAMPLE); ours must not."""
    app, c = make()
    events = c.get("/discourse-post-event/events.json?limit=200", headers=AUTH).json["events"]
    assert len(events) == len(app.events)
    assert all(len(e["duration"].split(":")) == 3 for e in events)
