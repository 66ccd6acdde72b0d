"""The sandbox NodeBB's answers against the official read and write specs."""

from __future__ import annotations

import re
from functools import cache

import jsonschema
import pytest
import yaml

from forums.sandbox.nodebb import NodeBBSandbox, NodeBBSandboxConfig
from tests.contract.nodebb_exemptions import UNDOCUMENTED_SANDBOX_ROUTES, exemption

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


# --- the sandbox against the official specs --------------------------------------------------
@cache
def specs() -> tuple[dict, dict]:
    write = yaml.safe_load((NODEBB_SPECS / "write.yaml").read_text())
    read = yaml.safe_load((NODEBB_SPECS / "read.yaml").read_text())
    return write, read


def _shape(path: str) -> str:
    """`/a/{x}/b/` and `/a/<int:y>/b` both become `/a/{}/b`."""
    path = re.sub(r"<(?:[^:>]+:)?[^>]+>", "{}", path)
    path = re.sub(r"\{[^}]+\}", "{}", path)
    return path.rstrip("/") or "/"


def spec_operation(method: str, path: str) -> tuple[dict, dict] | None:
    """(spec document, operation) documenting this sandbox route, or None."""
    write, read = specs()
    method = method.lower()
    if path.startswith("/api/v3/"):
        doc, wanted = write, _shape(path[len("/api/v3") :])
    else:
        doc, wanted = read, _shape(path)
    for spec_path, item in doc["paths"].items():
        if _shape(spec_path) == wanted and method in item:
            return doc, item[method]
    return None


def test_every_sandbox_route_is_in_the_specs():
    app = NodeBBSandbox(NodeBBSandboxConfig(users=12))
    missing = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"OPTIONS"}):
            if method == "HEAD" and "GET" in rule.methods:
                continue  # werkzeug adds HEAD to every GET rule
            if spec_operation(method, rule.rule) is None:
                key = f"{method} {rule.rule}"
                if key in UNDOCUMENTED_SANDBOX_ROUTES:
                    exemption(UNDOCUMENTED_SANDBOX_ROUTES[key])
                else:
                    missing.append(key)
    assert missing == []


def test_trailing_slash_routes_are_exempted_for_a_reason():
    # The sandbox serves `/api/v3/users/` and `/api/v3/groups/` exactly as the spec spells them.
    assert "PRISM.md" in exemption("slash:/api/v3/users/").justification
    assert spec_operation("DELETE", "/api/v3/users/") is not None


def to_jsonschema(node, doc, seen=()):
    """OpenAPI 3.0 schema -> JSON Schema: inline local $refs, turn `nullable` into null."""
    if isinstance(node, list):
        return [to_jsonschema(n, doc, seen) for n in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        ref = node["$ref"]
        if ref in seen:
            return {}
        target = doc
        for part in ref.lstrip("#/").split("/"):
            target = target[part]
        return to_jsonschema(target, doc, (*seen, ref))
    out = {}
    for key, value in node.items():
        if key in ("example", "examples", "description"):
            continue
        if key == "properties":
            out[key] = {k: to_jsonschema(v, doc, seen) for k, v in value.items()}
        else:
            out[key] = to_jsonschema(value, doc, seen)
    if out.pop("nullable", False):
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


def validate_against_spec(method: str, rule: str, payload) -> None:
    found = spec_operation(method, rule)
    assert found is not None, f"{method} {rule} is not in the specs"
    doc, operation = found
    content = operation["responses"]["200"].get("content", {})
    schema = content.get("application/json", {}).get("schema")
    assert schema is not None, f"{method} {rule} has no JSON 200 schema"
    jsonschema.validate(payload, to_jsonschema(schema, doc))


SPEC_CALLS = [
    # (method, rule as in the spec, concrete path, JSON body)
    ("GET", "/api/config", "/api/config", None),
    ("GET", "/api/self", "/api/self", None),
    ("GET", "/api/admin/dashboard", "/api/admin/dashboard", None),
    ("GET", "/api/admin/manage/users", "/api/admin/manage/users?filters=banned", None),
    ("GET", "/api/admin/manage/groups", "/api/admin/manage/groups?page=2", None),
    ("GET", "/api/admin/manage/tags", "/api/admin/manage/tags", None),
    ("GET", "/api/users", "/api/users?section=banned", None),
    ("GET", "/api/user/username/{username}", "/api/user/username/admin", None),
    ("GET", "/api/user/email/{email}", "/api/user/email/admin@example.com", None),
    ("GET", "/api/user/{userslug}/info", "/api/user/admin/info", None),
    ("GET", "/api/groups/{slug}", "/api/groups/beta-testers", None),
    ("GET", "/api/tags", "/api/tags", None),
    ("GET", "/api/tags/{tag}", "/api/tags/help?page=2", None),
    ("GET", "/api/flags", "/api/flags?state=open", None),
    ("GET", "/api/post-queue", "/api/post-queue?page=2", None),
    # the review queue (paths that name seeded items are functions of the app)
    ("GET", "/api/flags", "/api/flags?type=post&targetUid=5&targetUid=6&sort=reports", None),
    ("GET", "/api/v3/flags/{flagId}", "/api/v3/flags/1", None),
    ("PUT", "/api/v3/flags/{flagId}", "/api/v3/flags/1", {"state": "wip", "assignee": 1}),
    ("POST", "/api/v3/flags/{flagId}/notes", "/api/v3/flags/1/notes", {"note": "on it"}),
    ("GET", "/api/post-queue/{id}", lambda app: f"/api/post-queue/{_queued(app, 0)}", None),
    ("POST", "/api/v3/posts/queue/{id}", lambda app: f"/api/v3/posts/queue/{_queued(app, 0)}",
     None),
    ("POST", "/api/v3/posts/queue/{id}/notify",
     lambda app: f"/api/v3/posts/queue/{_queued(app, 0)}/notify", {"message": "Please add a link"}),
    ("DELETE", "/api/v3/posts/queue/{id}",
     lambda app: f"/api/v3/posts/queue/{_queued(app, 0)}?message=Off-topic", None),
    ("DELETE", "/api/v3/posts/{pid}", lambda app: f"/api/v3/posts/{app.state.flags[1]['targetId']}",
     None),
    ("GET", "/api/v3/users/{uid}", "/api/v3/users/5", None),
    ("PUT", "/api/v3/users/{uid}/ban", "/api/v3/users/5/ban", {"until": 0, "reason": "x"}),
    ("DELETE", "/api/v3/users/{uid}/ban", "/api/v3/users/5/ban", {}),
    ("PUT", "/api/v3/users/{uid}/mute", "/api/v3/users/5/mute", {"until": 9e12}),
    ("DELETE", "/api/v3/users/{uid}/mute", "/api/v3/users/5/mute", {"reason": "ok"}),
    ("GET", "/api/v3/groups/", "/api/v3/groups?sort=count", None),
    ("POST", "/api/v3/groups/", "/api/v3/groups", {"name": "Spec Check", "hidden": 0}),
    ("PUT", "/api/v3/groups/{slug}", "/api/v3/groups/spec-check", {"description": "d"}),
    ("GET", "/api/v3/groups/{slug}/members", "/api/v3/groups/beta-testers/members?after=20",
     None),
    ("PUT", "/api/v3/groups/{slug}/membership/{uid}", "/api/v3/groups/translators/membership/5",
     None),
    ("DELETE", "/api/v3/groups/{slug}/membership/{uid}",
     "/api/v3/groups/translators/membership/5", None),
    ("GET", "/api/v3/topics/{tid}", "/api/v3/topics/3", None),
    ("PUT", "/api/v3/topics/{tid}/tags", "/api/v3/topics/3/tags", {"tags": ["a", "b"]}),
    ("PATCH", "/api/v3/topics/{tid}/tags", "/api/v3/topics/3/tags", {"tags": ["c"]}),
    ("DELETE", "/api/v3/topics/{tid}/tags", "/api/v3/topics/3/tags", None),
    ("DELETE", "/api/v3/users/{uid}/content", "/api/v3/users/6/content", None),
    ("DELETE", "/api/v3/users/{uid}/account", "/api/v3/users/6/account", None),
    ("DELETE", "/api/v3/users/{uid}", "/api/v3/users/7", None),
    ("DELETE", "/api/v3/users/", "/api/v3/users/", {"uids": [8, 9]}),
    ("DELETE", "/api/v3/groups/{slug}", "/api/v3/groups/spec-check", None),
]  # fmt: skip


def _queued(app, index: int) -> str:
    return sorted(app.state.queue, key=lambda q: q["timestamp"])[index]["id"]


def test_sandbox_answers_validate_against_the_spec_200_schemas(sandbox):
    for method, rule, path, body in SPEC_CALLS:
        path = path(sandbox.app) if callable(path) else path
        r = call(sandbox, method, path, json=body)
        assert r.status_code == 200, (method, path, r.text[:300])
        try:
            validate_against_spec(method, rule, r.json())
        except jsonschema.ValidationError as exc:
            pytest.fail(f"{method} {path}: {exc.message} at {list(exc.absolute_path)}")


def test_every_served_route_is_exercised_by_the_schema_check():
    app = NodeBBSandbox(NodeBBSandboxConfig(users=12))
    checked = {(m, _shape(rule)) for m, rule, _, _ in SPEC_CALLS}
    unchecked = []
    for rule in app.url_map.iter_rules():
        for method in rule.methods - {"OPTIONS", "HEAD"}:
            if (method, _shape(rule.rule)) not in checked:
                unchecked.append(f"{method} {rule.rule}")
    # HEAD-only and re-auth-only routes answer without a JSON body to validate; socket.io is in
    # neither spec (its refusal is checked in tests/sandbox/nodebb/test_tags.py).
    assert sorted(unchecked) == [
        "DELETE /api/v3/groups/<slug>/ownership/<int:uid>",
        "GET /socket.io/",
        "POST /socket.io/",
        "PUT /api/v3/groups/<slug>/ownership/<int:uid>",
    ]
