"""The simulated NodeBB itself: auth, the master-token rule, faults, the call log, and that its
routes and answers are the ones in the official specs (shared/specs/nodebb)."""

from __future__ import annotations

import re
import threading
import time
from functools import cache
from pathlib import Path

import jsonschema
import pytest
import requests
import yaml

from forums.sandbox.core import RunningSandbox
from forums.sandbox.nodebb import MASTER_NO_UID, NodeBBSandbox, NodeBBSandboxConfig
from tests.contract.conftest import SPECS
from tests.contract.nodebb_exemptions import UNDOCUMENTED_SANDBOX_ROUTES, exemption

TOKEN = "sandbox-key"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
NODEBB_SPECS = Path(SPECS) / "nodebb"
# NodeBB treats `python-requests/*` without a valid token as a spider (403 instead of 401), so
# these tests introduce themselves the way Forumdeck's client does.
AGENT = {"User-Agent": "Forumdeck-tests/1.0"}


@pytest.fixture
def sandbox():
    """A fresh server per test: stopping one is immediate (RunningSandbox.stop)."""
    app = NodeBBSandbox(NodeBBSandboxConfig(api_key=TOKEN, user_tokens={"user-token": 20}))
    with RunningSandbox(app) as running:
        yield running


@pytest.fixture
def master():
    app = NodeBBSandbox(NodeBBSandboxConfig(api_key="master-secret", master_token=True))
    with RunningSandbox(app) as running:
        yield running


def call(sb, method, path, *, token=TOKEN, **kwargs):
    headers = {**AGENT, **({"Authorization": f"Bearer {token}"} if token else {})}
    return requests.request(method, sb.url + path, headers=headers, timeout=5, **kwargs)


def plain_user(sb) -> int:
    state = sb.app.state
    return next(
        uid for uid, u in state.users.items() if uid > 2 and not u["banned"] and not u["mutedUntil"]
    )


# --- authentication --------------------------------------------------------------------------
def test_bad_or_missing_token_is_not_authorised(sandbox):
    for token in ("wrong", None):
        r = call(sandbox, "GET", "/api/v3/users/1", token=token)
        assert r.status_code == 401
        assert r.json()["status"]["code"] == "not-authorised"
    assert call(sandbox, "GET", "/api/v3/users/1").status_code == 200


def test_public_config_answers_guests_even_with_a_bad_token(sandbox):
    assert call(sandbox, "GET", "/api/config", token=None).json()["siteTitle"] == "Sandbox NodeBB"
    # A bad token is a guest: /api/config cannot tell it from a good one (ENDPOINTS.md), but the
    # write API still refuses it.
    guest = call(sandbox, "GET", "/api/config", token="wrong")
    assert guest.status_code == 200 and guest.json()["loggedIn"] is False
    assert call(sandbox, "GET", "/api/v3/users/1", token="wrong").status_code == 401


def test_user_token_acts_as_its_own_uid(sandbox):
    me = call(sandbox, "GET", "/api/self", token="user-token").json()
    assert me["uid"] == 20 and me["isAdmin"] is False
    # A regular member may not ban anyone.
    r = call(sandbox, "PUT", f"/api/v3/users/{plain_user(sandbox)}/ban", token="user-token",
             json={"reason": "x"})  # fmt: skip
    assert r.status_code == 403
    assert r.json()["status"]["message"] == "You do not have enough privileges for this action."


def test_master_token_needs_uid_on_every_call(master):
    r = call(master, "GET", "/api/v3/users/1", token="master-secret")
    assert r.status_code == 400
    assert r.json()["status"]["message"] == MASTER_NO_UID
    for path in ("/api/self", "/api/admin/manage/users"):  # the read API: its error page
        r = call(master, "GET", path, token="master-secret")
        assert r.status_code == 500
        assert r.json()["error"] == "[[error:api.master-token-no-uid]]"
    assert call(master, "GET", "/api/self?_uid=1", token="master-secret").json()["uid"] == 1
    # `_uid` may also come in the JSON body.
    uid = plain_user(master)
    r = call(master, "PUT", f"/api/v3/users/{uid}/mute", token="master-secret",
             json={"_uid": 1, "until": int(time.time() * 1000) + 60_000})  # fmt: skip
    assert r.status_code == 200


def test_master_token_with_a_member_uid_has_only_that_members_rights(master):
    uid = plain_user(master)
    r = call(master, "PUT", f"/api/v3/users/{uid}/ban?_uid=30", token="master-secret", json={})
    assert r.status_code == 403


# --- NodeBB's own rules ---------------------------------------------------------------------
def test_unknown_write_path_and_method_are_invalid_api_calls(sandbox):
    for method, path in (("GET", "/api/v3/nope"), ("POST", "/api/v3/users/5/ban")):
        r = call(sandbox, method, path)
        assert r.status_code == 404
        assert r.json()["status"] == {"code": "not-found", "message": "Invalid API call"}
    r = call(sandbox, "GET", "/api/user/username/nobody-here")
    assert r.status_code == 404 and r.json()["title"] == "[[global:404.title]]"


def test_admins_cannot_be_banned_muted_or_deleted(sandbox):
    assert call(sandbox, "PUT", "/api/v3/users/1/ban", json={}).json()["status"]["message"] == (
        "You can't ban other admins!"
    )
    r = call(sandbox, "PUT", "/api/v3/users/1/mute", json={"until": 1})
    assert r.status_code == 400 and "mute other admins" in r.json()["status"]["message"]
    r = call(sandbox, "DELETE", "/api/v3/users/1")
    assert r.status_code == 400
    assert r.json()["status"]["message"] == "[[error:cant-delete-other-admins]]"
    assert 1 in sandbox.app.state.users


@pytest.mark.parametrize("path", ["/api/v3/users", "/api/v3/users/"])
def test_bulk_delete_answers_with_and_without_slash_and_refuses_any_admin(sandbox, path):
    users = sandbox.app.state.users
    victims = [u for u in users if u > 2][:3]
    r = call(sandbox, "DELETE", path, json={"uids": [*victims, 1]})
    assert r.status_code == 400
    assert all(v in users for v in victims), "one admin uid must fail the whole call"
    assert call(sandbox, "DELETE", path, json={"uids": victims}).status_code == 200
    assert not any(v in users for v in victims)
    r = call(sandbox, "DELETE", path, json={})
    assert r.status_code == 400 and r.json()["response"]["params"] == ["uids"]


def test_administrators_membership_needs_reauth_even_for_an_admin_token(sandbox):
    for method in ("PUT", "DELETE"):
        r = call(sandbox, method, "/api/v3/groups/administrators/membership/5")
        assert r.status_code == 401
        assert r.json()["status"]["code"] == "not-authorised"
    assert 5 not in sandbox.app.state.groups["administrators"]["members"]
    # Other memberships work for the admin token.
    assert call(sandbox, "PUT", "/api/v3/groups/translators/membership/5").status_code == 200


def test_system_and_privilege_groups_are_admin_only(sandbox):
    uid = 20  # the "user-token" uid, not an admin
    for slug in ("global-moderators", "cid-1-privileges-moderate"):
        r = call(sandbox, "PUT", f"/api/v3/groups/{slug}/membership/{uid}", token="user-token")
        assert r.status_code == 400, slug
        assert r.json()["status"]["message"] == "Not allowed"
    listed = call(sandbox, "GET", "/api/admin/manage/groups").json()["groups"]
    assert not any(g["name"].startswith("cid:") for g in listed)


def test_unknown_uid_in_membership_is_invalid_uid(sandbox):
    r = call(sandbox, "PUT", "/api/v3/groups/translators/membership/99999")
    assert r.status_code == 401 and r.json()["status"]["message"] == "Invalid User ID"


def test_ban_is_visible_with_reason_in_the_moderation_history(sandbox):
    uid = plain_user(sandbox)
    until = int(time.time() * 1000) + 86_400_000
    assert call(sandbox, "PUT", f"/api/v3/users/{uid}/ban",
                json={"until": until, "reason": "spam"}).status_code == 200  # fmt: skip
    user = call(sandbox, "GET", f"/api/v3/users/{uid}").json()["response"]
    assert user["banned"] is True and user["banned:expire"] == until
    info = call(sandbox, "GET", f"/api/user/{user['userslug']}/info").json()
    assert info["history"]["bans"][0]["reason"] == "spam"
    assert call(sandbox, "DELETE", f"/api/v3/users/{uid}/ban?reason=ok").status_code == 200
    assert call(sandbox, "GET", f"/api/v3/users/{uid}").json()["response"]["banned"] is False


def test_seed_is_a_realistic_forum(sandbox):
    state = sandbox.app.state
    assert len(state.users) == 120
    assert 1 in state.groups["administrators"]["members"]
    assert any(u["banned"] for u in state.users.values())
    assert any(u["mutedUntil"] > time.time() * 1000 for u in state.users.values())
    assert len(state.groups["Beta Testers"]["members"]) > 20  # members need two pages
    assert len(state.queue) > 20  # the post queue needs two pages
    flags = call(sandbox, "GET", "/api/flags?state=open").json()
    assert flags["count"] == 7
    assert sum("help" in t["tags"] for t in state.topics.values()) > 20


def test_state_changes_are_atomic_under_concurrency(sandbox):
    users = [u for u in sandbox.app.state.users if u > 2][:40]
    group = sandbox.app.state.groups["Gardeners"]
    before = set(group["members"])
    threads = [
        threading.Thread(target=call, args=(sandbox, "PUT",
                                            f"/api/v3/groups/gardeners/membership/{u}"))
        for u in users
    ]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(group["members"]) == before | set(users)
    assert len(group["members"]) == len(set(group["members"]))


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


def test_sandbox_answers_validate_against_the_spec_200_schemas(sandbox):
    for method, rule, path, body in SPEC_CALLS:
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
    # neither spec (its refusal is checked in tests/sandbox/test_nodebb_fidelity.py).
    assert sorted(unchecked) == [
        "DELETE /api/v3/groups/<slug>/ownership/<int:uid>",
        "GET /socket.io/",
        "POST /socket.io/",
        "PUT /api/v3/groups/<slug>/ownership/<int:uid>",
    ]
