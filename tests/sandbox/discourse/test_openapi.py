"""The sandbox Discourse's answers against the official openapi.json."""

from __future__ import annotations

import copy

import jsonschema
import pytest

from forums.sandbox.core import SandboxConfig
from forums.sandbox.discourse import DiscourseSandbox
from tests.contract import discourse_exemptions as gaps

from .in_process import (
    AUTH,
    make,
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
    # the spec documents the detailed shape, which only include_details=true answers
    (
        "GET",
        "/discourse-post-event/events.json",
        "/discourse-post-event/events.json?include_details=true",
        None,
    ),
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
