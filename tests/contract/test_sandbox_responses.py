"""What the sandboxes answer, checked against the official specs by Prism as a validating proxy.

Each sandbox runs on loopback behind ``prism proxy <spec> <sandbox> --errors`` (see
shared/specs/*/PRISM.md; NodeBB's specs are merged with write.yaml's paths under ``/api/v3``,
as in test_nodebb_contract.py). Every case below is a spec-valid request to a route the spec
documents: the happy path and the answers ENDPOINTS.md says the real server gives (refusals,
odd shapes). Prism forwards it, validates the sandbox's answer and reports each violation: a
status the spec does not list (a warning) or a body that breaks the schema (an error, which
``--errors`` turns into a 500 problem; the sandbox's own status comes from its call log).

A violation fails its case unless tests/contract/discourse_exemptions.py or
nodebb_exemptions.py lists it (``RESPONSE_GAPS`` / ``RESPONSE_EXEMPTIONS``, each with the
ENDPOINTS.md line that justifies it), and an exemption no case needs any more fails too. So the
sandboxes' shapes cannot drift from the specs unnoticed, and every departure is written down.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from forums.sandbox.core import RunningSandbox, SandboxConfig
from forums.sandbox.discourse import DiscourseSandbox
from forums.sandbox.nodebb import NodeBBSandbox, NodeBBSandboxConfig
from tests.contract import discourse_exemptions as discourse_gaps
from tests.contract import nodebb_exemptions as nodebb_gaps
from tests.contract.conftest import SPECS
from tests.contract.test_nodebb_contract import merged_spec

pytestmark = pytest.mark.contract

DISCOURSE_KEY = "responses-key"
NODEBB_TOKEN = "responses-token"
AGENT = "Forumdeck-contract/1.0"
METHODS = ("get", "put", "post", "delete", "patch")


@dataclass(frozen=True)
class Case:
    """One request through Prism: ``path`` may name values ``setup`` returns (``{uid}``)."""

    name: str
    method: str
    template: str  # the spec's path template (NodeBB write API: with the /api/v3 prefix)
    path: str
    status: int  # what the sandbox answers (the real server's answer, per ENDPOINTS.md)
    json: Any = None  # or a function of the setup's values
    params: dict[str, Any] | None = None
    # Replaces the default authentication headers; values may name setup values too.
    headers: dict[str, str] | None = None
    config: dict[str, Any] = field(default_factory=dict)
    setup: Callable[[Any], dict[str, Any]] | None = None


@dataclass
class Outcome:
    forwarded: bool
    status: int | None
    violations: list[str]
    prism_answer: str


def violation_text(violation: dict[str, Any]) -> str:
    location = ".".join(str(part) for part in violation.get("location") or [])
    return f"{location}: {violation.get('message', '')}"


def run_case(sandbox: RunningSandbox, prism_url: str, case: Case, auth: dict[str, str]) -> Outcome:
    app = sandbox.app
    defaults = {key: getattr(app.config, key) for key in case.config}
    app.configure(**case.config)
    try:
        with app.lock:
            app.reset()
        app.calls.clear()
        values = case.setup(app) if case.setup else {}
        path = case.path.format(**values)
        chosen = case.headers if case.headers is not None else auth
        headers = {"User-Agent": AGENT, **{k: v.format(**values) for k, v in chosen.items()}}
        response = requests.request(
            case.method,
            prism_url + path,
            json=case.json(values) if callable(case.json) else case.json,
            params=case.params,
            headers=headers,
            timeout=10,
        )
        records = [r for r in app.calls.records() if r.path == path.split("?")[0]]
    finally:
        app.configure(**defaults)
    raw = response.headers.get("sl-violations")
    violations = [violation_text(v) for v in json.loads(raw)] if raw else []
    return Outcome(
        forwarded=bool(records),
        status=records[-1].status if records else None,
        violations=violations,
        prism_answer=f"{response.status_code} {response.text[:400]}",
    )


def spec_operations(paths: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (method.upper(), re.sub(r"\{[^}]+\}", "{}", path).rstrip("/") or "/")
        for path, item in paths.items()
        for method in item
        if method in METHODS
    }


def served_operations(app) -> set[tuple[str, str]]:
    return {
        (method, re.sub(r"<[^>]+>", "{}", rule.rule).rstrip("/") or "/")
        for rule in app.url_map.iter_rules()
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }


def case_operations(cases: list[Case]) -> set[tuple[str, str]]:
    return {(c.method, re.sub(r"\{[^}]+\}", "{}", c.template).rstrip("/") or "/") for c in cases}


def unexplained(case: Case, outcome: Outcome, exemptions, key: Callable[[Any], tuple]) -> list[str]:
    """The violations of ``outcome`` no exemption for this route and status explains."""
    mine = [e for e in exemptions if key(e)[:3] == (case.method, case.template, outcome.status)]
    return [v for v in outcome.violations if not any(re.search(key(e)[3], v) for e in mine)]


def used_exemptions(cases: list[Case], outcomes: dict[str, Outcome], exemptions, key) -> set:
    used = set()
    for case in cases:
        outcome = outcomes[case.name]
        for exemption in exemptions:
            method, template, status, pattern = key(exemption)
            if (method, template, status) == (case.method, case.template, outcome.status) and any(
                re.search(pattern, v) for v in outcome.violations
            ):
                used.add(exemption)
    return used


# --- Discourse ------------------------------------------------------------------------------------
DISCOURSE_AUTH = {"Api-Key": DISCOURSE_KEY, "Api-Username": "system"}
SOON = "2031-01-01T00:00:00Z"


def _plain(app, **wanted) -> dict:
    return next(
        u
        for u in sorted(app.users.values(), key=lambda u: u["id"])
        if u["id"] > 4
        and not (u["admin"] or u["moderator"])
        and not app.suspended(u)
        and not app.silenced(u)
        and all(u[k] == v for k, v in wanted.items())
    )


def _moderator(app) -> dict:
    return next(u for u in app.users.values() if u["moderator"] and not u["admin"])


def d_plain(app) -> dict:
    user = _plain(app)
    return {"uid": user["id"], "name": user["username"]}


def d_inactive(app) -> dict:
    return {"uid": next(u["id"] for u in app.users.values() if u["id"] > 4 and not u["active"])}


def d_deletable(app) -> dict:
    user = next(u for u in app.users.values() if u["id"] > 4 and app.can_delete_user(
        app.users[-1], u) and u["post_count"] == 0)  # fmt: skip
    return {"uid": user["id"]}


def d_poster(app) -> dict:
    user = _plain(app)
    user.update(post_count=3, first_post_at=datetime.now(UTC) - timedelta(days=5))
    return {"uid": user["id"]}


def d_destroy_fails(app) -> dict:
    values = d_deletable(app)
    app.users[values["uid"]]["destroy_fails"] = True
    return values


def d_suspended(app) -> dict:
    user = _plain(app)
    user.update(suspended_till=datetime.now(UTC) + timedelta(days=30),
                suspended_at=datetime.now(UTC), suspend_reason="spam",
                suspended_by=-1)  # fmt: skip
    return {"uid": user["id"], "name": user["username"]}


def d_silenced(app) -> dict:
    user = _plain(app)
    user.update(silenced_till=datetime.now(UTC) + timedelta(days=30),
                silenced_at=datetime.now(UTC), silence_reason="noise",
                silenced_by=-1)  # fmt: skip
    return {"uid": user["id"], "name": user["username"]}


def d_moderator(app) -> dict:
    return {"uid": _moderator(app)["id"]}


def d_moderator_name(app) -> dict:
    return {"moderator": _moderator(app)["username"]}


def d_outsider(app) -> dict:
    members = app.groups[41]["members"]
    user = next(u for u in app.users.values() if u["id"] > 4 and u["id"] not in members)
    return {"name": user["username"]}


def d_member(app) -> dict:
    return {"name": app.users[min(app.groups[41]["members"])]["username"]}


def usernames(values: dict[str, Any]) -> dict[str, str]:
    return {"usernames": values["name"]}


def d_backup(app) -> dict:
    return {"backup": app.backups[0]["filename"]}


def d_no_backups(app) -> dict:
    app.backups.clear()
    return {}


def d_backup_running(app) -> dict:
    app.backup_pending = {"filename": "running.sql.gz", "size": 1, "last_modified": app.now}
    app.backup_running_until = datetime.now(UTC).timestamp() + 60
    return {}


def d_spent_bucket(app) -> dict:
    for _ in range(app.config.admin_requests_per_minute):
        app.limiter.try_acquire()
    return {}


NOW = datetime.now(UTC)
EVENT_WINDOW = {"after": (NOW - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "before": (NOW + timedelta(days=60)).strftime("%Y-%m-%dT%H:%M:%SZ")}  # fmt: skip

DISCOURSE_CASES: list[Case] = [
    # site, users
    Case("basic info", "GET", "/site/basic-info.json", "/site/basic-info.json", 200),
    Case("admin users", "GET", "/admin/users.json", "/admin/users.json", 200,
         params={"show_emails": "true"}),
    Case("user list", "GET", "/admin/users/list/{flag}.json", "/admin/users/list/active.json",
         200, params={"filter": "alex,sam", "show_emails": "true"}),
    Case("user list: suspended", "GET", "/admin/users/list/{flag}.json",
         "/admin/users/list/suspended.json", 200, setup=d_suspended),
    Case("user list: over 100 terms", "GET", "/admin/users/list/{flag}.json",
         "/admin/users/list/active.json", 400,
         params={"filter": ",".join(f"u{i}" for i in range(101))}),
    Case("admin user", "GET", "/admin/users/{id}.json", "/admin/users/{uid}.json", 200,
         setup=d_plain),
    Case("admin user: suspended", "GET", "/admin/users/{id}.json", "/admin/users/{uid}.json",
         200, setup=d_suspended),
    Case("admin user: silenced", "GET", "/admin/users/{id}.json", "/admin/users/{uid}.json",
         200, setup=d_silenced),
    Case("admin user: missing", "GET", "/admin/users/{id}.json", "/admin/users/987654.json",
         404),
    Case("admin user: bad key", "GET", "/admin/users/{id}.json", "/admin/users/1.json", 404,
         headers={"Api-Key": "revoked", "Api-Username": "system"}),
    Case("profile", "GET", "/u/{username}.json", "/u/{name}.json", 200, setup=d_plain),
    Case("profile: suspended", "GET", "/u/{username}.json", "/u/{name}.json", 200,
         setup=d_suspended),
    Case("profile: bad key", "GET", "/u/{username}.json", "/u/admin.json", 403,
         headers={"Api-Key": "revoked", "Api-Username": "system"}),
    Case("profile: admin bucket spent", "GET", "/u/{username}.json", "/u/admin.json", 429,
         config={"admin_requests_per_minute": 2}, setup=d_spent_bucket),
    Case("profile: per-IP limit", "GET", "/u/{username}.json", "/u/admin.json", 429,
         headers={"Api-Key": "revoked", "Api-Username": "system"},
         config={"max_reqs_rate_limit_on_private": True, "max_reqs_per_ip_per_10_seconds": 0}),
    Case("suspend", "PUT", "/admin/users/{id}/suspend.json", "/admin/users/{uid}/suspend.json",
         200, json={"suspend_until": SOON, "reason": "spam"}, setup=d_plain),
    Case("suspend: reason too long", "PUT", "/admin/users/{id}/suspend.json",
         "/admin/users/{uid}/suspend.json", 400,
         json={"suspend_until": SOON, "reason": "x" * 301}, setup=d_plain),
    Case("suspend: already", "PUT", "/admin/users/{id}/suspend.json",
         "/admin/users/{uid}/suspend.json", 409, json={"suspend_until": SOON, "reason": "spam"},
         setup=d_suspended),
    Case("suspend: staff", "PUT", "/admin/users/{id}/suspend.json",
         "/admin/users/{uid}/suspend.json", 403, json={"suspend_until": SOON, "reason": "spam"},
         setup=d_moderator),
    Case("suspend: missing user", "PUT", "/admin/users/{id}/suspend.json",
         "/admin/users/987654/suspend.json", 404, json={"suspend_until": SOON, "reason": "x"}),
    Case("silence", "PUT", "/admin/users/{id}/silence.json", "/admin/users/{uid}/silence.json",
         200, json={"silenced_till": SOON, "reason": "noise"}, setup=d_plain),
    Case("silence: reason too long", "PUT", "/admin/users/{id}/silence.json",
         "/admin/users/{uid}/silence.json", 400,
         json={"silenced_till": SOON, "reason": "x" * 301}, setup=d_plain),
    Case("silence: already", "PUT", "/admin/users/{id}/silence.json",
         "/admin/users/{uid}/silence.json", 409, json={"silenced_till": SOON, "reason": "noise"},
         setup=d_silenced),
    Case("silence: staff", "PUT", "/admin/users/{id}/silence.json",
         "/admin/users/{uid}/silence.json", 403, json={"silenced_till": SOON, "reason": "noise"},
         setup=d_moderator),
    Case("log out", "POST", "/admin/users/{id}/log_out.json", "/admin/users/{uid}/log_out.json",
         200, setup=d_plain),
    Case("activate", "PUT", "/admin/users/{id}/activate.json",
         "/admin/users/{uid}/activate.json", 200, setup=d_inactive),
    Case("activate: already active", "PUT", "/admin/users/{id}/activate.json",
         "/admin/users/{uid}/activate.json", 403, setup=d_plain),
    Case("deactivate", "PUT", "/admin/users/{id}/deactivate.json",
         "/admin/users/{uid}/deactivate.json", 200, setup=d_plain),
    Case("deactivate: staff", "PUT", "/admin/users/{id}/deactivate.json",
         "/admin/users/{uid}/deactivate.json", 403, setup=d_moderator),
    Case("anonymize", "PUT", "/admin/users/{id}/anonymize.json",
         "/admin/users/{uid}/anonymize.json", 200, setup=d_plain),
    Case("delete", "DELETE", "/admin/users/{id}.json", "/admin/users/{uid}.json", 200,
         json={"delete_posts": True}, setup=d_deletable),
    Case("delete: admin", "DELETE", "/admin/users/{id}.json", "/admin/users/1.json", 403,
         json={"delete_posts": True}),
    Case("delete: posts without delete_posts", "DELETE", "/admin/users/{id}.json",
         "/admin/users/{uid}.json", 403, json={"delete_posts": False}, setup=d_poster),
    Case("delete: destroy failed", "DELETE", "/admin/users/{id}.json", "/admin/users/{uid}.json",
         200, json={"delete_posts": True}, setup=d_destroy_fails),
    # groups
    Case("groups", "GET", "/groups.json", "/groups.json", 200),
    Case("group", "GET", "/groups/{name}.json", "/groups/beta-testers.json", 200),
    Case("group with tag defaults", "GET", "/groups/{name}.json", "/groups/regional-emea.json",
         200),
    Case("group by id", "GET", "/groups/by-id/{id}.json", "/groups/by-id/41.json", 200),
    Case("group create", "POST", "/admin/groups.json", "/admin/groups.json", 200,
         json={"group": {"name": "newbies"}}),
    Case("group update", "PUT", "/groups/{id}.json", "/groups/42.json", 200,
         json={"group": {"name": "support-crew"}}),
    Case("group update: members' defaults", "PUT", "/groups/{id}.json", "/groups/44.json", 422,
         json={"group": {"name": "emea"}}),
    Case("group delete", "DELETE", "/admin/groups/{id}.json", "/admin/groups/43.json", 200),
    Case("group members", "GET", "/groups/{name}/members.json",
         "/groups/beta-testers/members.json", 200),
    Case("add members", "PUT", "/groups/{id}/members.json", "/groups/41/members.json", 200,
         setup=d_outsider, json=usernames),
    Case("add members: none exist", "PUT", "/groups/{id}/members.json",
         "/groups/41/members.json", 400, json={"usernames": "ghost-a,ghost-b"}),
    Case("add members: all members", "PUT", "/groups/{id}/members.json",
         "/groups/41/members.json", 422, setup=d_member, json=usernames),
    Case("add members: automatic group", "PUT", "/groups/{id}/members.json",
         "/groups/13/members.json", 403, json={"usernames": "admin"}),
    Case("remove members", "DELETE", "/groups/{id}/members.json", "/groups/41/members.json", 200,
         setup=d_member, json=usernames),
    Case("remove members: none exist", "DELETE", "/groups/{id}/members.json",
         "/groups/41/members.json", 400, json={"usernames": "ghost-a"}),
    # tags
    Case("tags", "GET", "/tags.json", "/tags.json", 200),
    Case("tag topics", "GET", "/tag/{name}.json", "/tag/bug.json", 200),
    Case("topic", "GET", "/t/{id}.json", "/t/3.json", 200),
    Case("topic: missing", "GET", "/t/{id}.json", "/t/99999.json", 404),
    Case("tag groups", "GET", "/tag_groups.json", "/tag_groups.json", 200),
    Case("tag group create", "POST", "/tag_groups.json", "/tag_groups.json", 200,
         json={"name": "Fresh"}),
    Case("tag group", "GET", "/tag_groups/{id}.json", "/tag_groups/1.json", 200),
    Case("tag group update", "PUT", "/tag_groups/{id}.json", "/tag_groups/2.json", 200,
         json={"name": "Status 2", "tag_names": ["solved"], "one_per_topic": True}),
    # backups
    Case("backups", "GET", "/admin/backups.json", "/admin/backups.json", 200),
    Case("backups: none", "GET", "/admin/backups.json", "/admin/backups.json", 200,
         setup=d_no_backups),
    Case("backups: disabled", "GET", "/admin/backups.json", "/admin/backups.json", 403,
         config={"enable_backups": False}),
    Case("backups: moderator", "GET", "/admin/backups.json", "/admin/backups.json", 404,
         headers={"Api-Key": DISCOURSE_KEY, "Api-Username": "{moderator}"},
         setup=d_moderator_name),
    Case("backup create", "POST", "/admin/backups.json", "/admin/backups.json", 200,
         json={"with_uploads": False}),
    Case("backup create: running", "POST", "/admin/backups.json", "/admin/backups.json", 200,
         json={"with_uploads": False}, setup=d_backup_running),
    Case("backup link", "PUT", "/admin/backups/{filename}", "/admin/backups/{backup}", 200,
         setup=d_backup),
    Case("backup link: missing", "PUT", "/admin/backups/{filename}",
         "/admin/backups/nope.tar.gz", 404),
    # calendar
    Case("events", "GET", "/discourse-post-event/events.json",
         "/discourse-post-event/events.json", 200,
         params={**EVENT_WINDOW, "limit": 50, "include_details": "true"}),
    Case("events: older plugin", "GET", "/discourse-post-event/events.json",
         "/discourse-post-event/events.json", 200, config={"legacy_events_plugin": True}),
    Case("events ics", "GET", "/discourse-post-event/events.ics",
         "/discourse-post-event/events.ics", 200, params=EVENT_WINDOW),
]  # fmt: skip


@pytest.fixture(scope="module")
def discourse(start_prism):
    app = DiscourseSandbox(
        SandboxConfig(api_key=DISCOURSE_KEY, users=120, admin_requests_per_minute=100_000)
    )
    with RunningSandbox(app) as sandbox:
        prism = start_prism(SPECS / "discourse" / "openapi.json", upstream=sandbox.url)
        yield {c.name: run_case(sandbox, prism.url, c, DISCOURSE_AUTH) for c in DISCOURSE_CASES}


def _discourse_key(gap) -> tuple:
    return gap.method, gap.path, gap.status, gap.violation


@pytest.mark.parametrize("case", DISCOURSE_CASES, ids=lambda c: c.name)
def test_discourse_answer_matches_the_spec(discourse, case):
    outcome = discourse[case.name]
    assert outcome.forwarded, f"Prism did not forward {case.name}: {outcome.prism_answer}"
    assert outcome.status == case.status, (case.name, outcome.status, outcome.prism_answer)
    left = unexplained(case, outcome, discourse_gaps.RESPONSE_GAPS, _discourse_key)
    assert not left, f"{case.method} {case.template} ({outcome.status}) breaks the spec: {left}"


def test_every_discourse_response_gap_is_still_needed(discourse):
    used = used_exemptions(DISCOURSE_CASES, discourse, discourse_gaps.RESPONSE_GAPS, _discourse_key)
    stale = [g for g in discourse_gaps.RESPONSE_GAPS if g not in used]
    assert not stale, f"response gaps no case meets (remove them): {stale}"
    assert len(set(discourse_gaps.RESPONSE_GAPS)) == len(discourse_gaps.RESPONSE_GAPS)


def test_every_documented_discourse_route_has_a_case():
    spec = json.loads((SPECS / "discourse" / "openapi.json").read_text())
    app = DiscourseSandbox(SandboxConfig(users=5))
    documented = served_operations(app) & spec_operations(spec["paths"])
    missing = documented - case_operations(DISCOURSE_CASES)
    assert documented and not missing, f"sandbox routes the spec documents, unchecked: {missing}"


# --- NodeBB ---------------------------------------------------------------------------------------
NODEBB_AUTH = {"Authorization": f"Bearer {NODEBB_TOKEN}"}


def in_a_week() -> int:
    return int((datetime.now(UTC) + timedelta(days=7)).timestamp() * 1000)


def n_plain(app) -> dict:
    uid = next(
        uid for uid, u in sorted(app.state.users.items())
        if uid > 2 and not u["banned"] and not u["mutedUntil"]
    )  # fmt: skip
    return {"uid": uid, "slug": app.state.users[uid]["userslug"]}


def n_translator(app) -> dict:
    """A plain user who is a member of Translators (removing a non-member is 400)."""
    values = n_plain(app)
    members = app.state.groups["Translators"]["members"]
    if values["uid"] not in members:
        members.append(values["uid"])
    return values


def n_banned(app) -> dict:
    values = n_plain(app)
    user = app.state.users[values["uid"]]
    user.update(banned=True, banned_expire=in_a_week())
    user["bans"][:0] = [
        {"type": "unban", "fromUid": 1, "timestamp": in_a_week() - 9 * 86_400_000,
         "expire": None, "reason": "appeal"},
        {"type": "ban", "fromUid": 1, "timestamp": in_a_week() - 8 * 86_400_000,
         "expire": in_a_week(), "reason": "spam"},
    ]  # fmt: skip
    return values


def n_muted(app) -> dict:
    values = n_plain(app)
    user = app.state.users[values["uid"]]
    user.update(mutedUntil=in_a_week(), mutedReason="rude")
    return values


def n_flag(app) -> dict:
    """A fresh flag on a post (its id and the post's pid)."""
    flag_id = app.add_flag(kind="post", uid=n_plain(app)["uid"], reason="Spam", by=5)
    return {"flag": flag_id, "pid": app.state.flags[-1]["targetId"]}


def n_queued(app) -> dict:
    return {"qid": app.add_queued(uid=n_plain(app)["uid"], title="A question")}


NODEBB_CASES: list[Case] = [
    # read API
    Case("config", "GET", "/api/config", "/api/config", 200),
    Case("config: bad token", "GET", "/api/config", "/api/config", 200,
         headers={"Authorization": "Bearer wrong"}),
    Case("self", "GET", "/api/self", "/api/self", 200),
    Case("self: bad token", "GET", "/api/self", "/api/self", 401,
         headers={"Authorization": "Bearer wrong"}),
    Case("self: master token without _uid", "GET", "/api/self", "/api/self", 500,
         config={"master_token": True}),
    Case("self: empty _uid", "GET", "/api/self", "/api/self?_uid=", 500,
         config={"master_token": True}),
    Case("dashboard", "GET", "/api/admin/dashboard", "/api/admin/dashboard", 200),
    Case("acp users", "GET", "/api/admin/manage/users", "/api/admin/manage/users", 200,
         params={"filters": "banned"}),
    Case("acp users: search", "GET", "/api/admin/manage/users", "/api/admin/manage/users", 200,
         params={"query": "admin", "searchBy": "username"}),
    # The client reads the whole list this way to resolve many targets at once.
    Case("acp users: 500 a page, oldest first", "GET", "/api/admin/manage/users",
         "/api/admin/manage/users", 200,
         params={"page": 1, "resultsPerPage": 500, "sortBy": "joindate", "sortDirection": "asc"}),
    Case("acp users: by last visit", "GET", "/api/admin/manage/users", "/api/admin/manage/users",
         200),
    Case("acp groups", "GET", "/api/admin/manage/groups", "/api/admin/manage/groups", 200),
    Case("acp tags", "GET", "/api/admin/manage/tags", "/api/admin/manage/tags", 200),
    Case("users", "GET", "/api/users", "/api/users", 200, params={"section": "banned"}),
    Case("user by name", "GET", "/api/user/username/{username}", "/api/user/username/admin",
         200),
    Case("user by name: guest", "GET", "/api/user/username/{username}",
         "/api/user/username/admin", 200, headers={}),
    Case("user by email", "GET", "/api/user/email/{email}",
         "/api/user/email/admin@example.com", 200),
    Case("user info", "GET", "/api/user/{userslug}/info", "/api/user/admin/info", 200),
    Case("user info: ban history", "GET", "/api/user/{userslug}/info", "/api/user/{slug}/info",
         200, setup=n_banned),
    Case("group page", "GET", "/api/groups/{slug}", "/api/groups/beta-testers", 200),
    Case("tags", "GET", "/api/tags", "/api/tags", 200),
    Case("tag topics", "GET", "/api/tags/{tag}", "/api/tags/help", 200, params={"page": 2}),
    Case("flags", "GET", "/api/flags", "/api/flags", 200, params={"state": "open"}),
    Case("post queue", "GET", "/api/post-queue", "/api/post-queue", 200),
    # the review queue
    Case("flags: by type, most reports first", "GET", "/api/flags", "/api/flags", 200,
         params={"type": "post", "sort": "reports", "perPage": 5}),
    Case("queued post", "GET", "/api/post-queue/{id}", "/api/post-queue/{qid}", 200,
         setup=n_queued),
    Case("flag", "GET", "/api/v3/flags/{flagId}", "/api/v3/flags/{flag}", 200, setup=n_flag),
    Case("flag update", "PUT", "/api/v3/flags/{flagId}", "/api/v3/flags/{flag}", 200,
         json={"state": "resolved"}, setup=n_flag),
    Case("flag note", "POST", "/api/v3/flags/{flagId}/notes", "/api/v3/flags/{flag}/notes", 200,
         json={"note": "Looking into it"}, setup=n_flag),
    Case("purge a flagged post", "DELETE", "/api/v3/posts/{pid}", "/api/v3/posts/{pid}", 200,
         setup=n_flag),
    Case("accept a queued post", "POST", "/api/v3/posts/queue/{id}",
         "/api/v3/posts/queue/{qid}", 200, setup=n_queued),
    Case("reject a queued post", "DELETE", "/api/v3/posts/queue/{id}",
         "/api/v3/posts/queue/{qid}", 200, params={"message": "Off-topic"}, setup=n_queued),
    Case("notify a queued post's author", "POST", "/api/v3/posts/queue/{id}/notify",
         "/api/v3/posts/queue/{qid}/notify", 200, json={"message": "Add a link"},
         setup=n_queued),
    # write API: users
    Case("user", "GET", "/api/v3/users/{uid}", "/api/v3/users/{uid}", 200, setup=n_plain),
    Case("user: muted", "GET", "/api/v3/users/{uid}", "/api/v3/users/{uid}", 200, setup=n_muted),
    Case("user: no token", "GET", "/api/v3/users/{uid}", "/api/v3/users/1", 401, headers={}),
    Case("user: spider", "GET", "/api/v3/users/{uid}", "/api/v3/users/1", 403,
         headers={"User-Agent": "python-requests/2.32.3"}),
    Case("user: master token without _uid", "GET", "/api/v3/users/{uid}", "/api/v3/users/1",
         400, config={"master_token": True}),
    Case("user: missing", "GET", "/api/v3/users/{uid}", "/api/v3/users/99999", 404),
    Case("ban", "PUT", "/api/v3/users/{uid}/ban", "/api/v3/users/{uid}/ban", 200,
         json={"until": 0, "reason": "spam"}, setup=n_plain),
    Case("ban: admin", "PUT", "/api/v3/users/{uid}/ban", "/api/v3/users/1/ban", 400,
         json={"until": 0, "reason": "spam"}),
    Case("unban", "DELETE", "/api/v3/users/{uid}/ban", "/api/v3/users/{uid}/ban?reason=ok", 200,
         setup=n_banned),
    Case("unban: no body", "DELETE", "/api/v3/users/{uid}/ban", "/api/v3/users/{uid}/ban", 400,
         setup=n_banned),
    Case("mute", "PUT", "/api/v3/users/{uid}/mute", "/api/v3/users/{uid}/mute", 200,
         json={"until": 9_000_000_000_000}, setup=n_plain),
    Case("mute: admin", "PUT", "/api/v3/users/{uid}/mute", "/api/v3/users/1/mute", 400,
         json={"until": 9_000_000_000_000}),
    Case("unmute", "DELETE", "/api/v3/users/{uid}/mute", "/api/v3/users/{uid}/mute", 200,
         json={}, setup=n_muted),
    Case("unmute: no body", "DELETE", "/api/v3/users/{uid}/mute", "/api/v3/users/{uid}/mute",
         400, setup=n_muted),
    Case("delete content", "DELETE", "/api/v3/users/{uid}/content",
         "/api/v3/users/{uid}/content", 200, setup=n_plain),
    Case("delete account", "DELETE", "/api/v3/users/{uid}/account",
         "/api/v3/users/{uid}/account", 200, setup=n_plain),
    Case("delete user", "DELETE", "/api/v3/users/{uid}", "/api/v3/users/{uid}", 200,
         setup=n_plain),
    Case("bulk delete", "DELETE", "/api/v3/users/", "/api/v3/users/", 200,
         json={"uids": [8, 9]}),
    Case("bulk delete: an admin", "DELETE", "/api/v3/users/", "/api/v3/users/", 400,
         json={"uids": [8, 1]}),
    # write API: groups
    Case("groups", "GET", "/api/v3/groups/", "/api/v3/groups/", 200, params={"sort": "count"}),
    Case("group create", "POST", "/api/v3/groups/", "/api/v3/groups/", 200,
         json={"name": "Spec Check", "hidden": 0}),
    Case("group create: duplicate", "POST", "/api/v3/groups/", "/api/v3/groups/", 400,
         json={"name": "Translators"}),
    Case("group update", "PUT", "/api/v3/groups/{slug}", "/api/v3/groups/translators", 200,
         json={"description": "d"}),
    Case("group delete", "DELETE", "/api/v3/groups/{slug}", "/api/v3/groups/translators", 200),
    Case("group members", "GET", "/api/v3/groups/{slug}/members",
         "/api/v3/groups/beta-testers/members", 200),
    Case("group members: page two", "GET", "/api/v3/groups/{slug}/members",
         "/api/v3/groups/beta-testers/members", 200, params={"after": 20}),
    Case("join", "PUT", "/api/v3/groups/{slug}/membership/{uid}",
         "/api/v3/groups/translators/membership/{uid}", 200, setup=n_plain),
    Case("join: administrators", "PUT", "/api/v3/groups/{slug}/membership/{uid}",
         "/api/v3/groups/administrators/membership/5", 401),
    Case("join: unknown uid", "PUT", "/api/v3/groups/{slug}/membership/{uid}",
         "/api/v3/groups/translators/membership/99999", 401),
    Case("join: unknown group", "PUT", "/api/v3/groups/{slug}/membership/{uid}",
         "/api/v3/groups/no-such-group/membership/5", 404),
    Case("leave", "DELETE", "/api/v3/groups/{slug}/membership/{uid}",
         "/api/v3/groups/translators/membership/{uid}", 200, setup=n_translator),
    Case("grant ownership", "PUT", "/api/v3/groups/{slug}/ownership/{uid}",
         "/api/v3/groups/translators/ownership/5", 401),
    Case("rescind ownership", "DELETE", "/api/v3/groups/{slug}/ownership/{uid}",
         "/api/v3/groups/administrators/ownership/1", 401),
    # write API: topic tags
    Case("topic", "GET", "/api/v3/topics/{tid}", "/api/v3/topics/3", 200),
    Case("topic: missing", "GET", "/api/v3/topics/{tid}", "/api/v3/topics/99999", 404),
    Case("set tags", "PUT", "/api/v3/topics/{tid}/tags", "/api/v3/topics/3/tags", 200,
         json={"tags": ["a", "b"]}),
    Case("add tags", "PATCH", "/api/v3/topics/{tid}/tags", "/api/v3/topics/3/tags", 200,
         json={"tags": ["c"]}),
    Case("clear tags", "DELETE", "/api/v3/topics/{tid}/tags", "/api/v3/topics/3/tags", 200),
]  # fmt: skip


@pytest.fixture(scope="module")
def nodebb(start_prism, tmp_path_factory):
    app = NodeBBSandbox(NodeBBSandboxConfig(api_key=NODEBB_TOKEN, users=60))
    with RunningSandbox(app) as sandbox:
        spec = merged_spec(tmp_path_factory.mktemp("nodebb-responses"))
        prism = start_prism(spec, upstream=sandbox.url)
        yield {case.name: run_case(sandbox, prism.url, case, NODEBB_AUTH) for case in NODEBB_CASES}


def _nodebb_key(exemption) -> tuple:
    return exemption.method, exemption.path, exemption.status, exemption.violation


@pytest.mark.parametrize("case", NODEBB_CASES, ids=lambda c: c.name)
def test_nodebb_answer_matches_the_specs(nodebb, case):
    outcome = nodebb[case.name]
    assert outcome.forwarded, f"Prism did not forward {case.name}: {outcome.prism_answer}"
    assert outcome.status == case.status, (case.name, outcome.status, outcome.prism_answer)
    left = unexplained(case, outcome, nodebb_gaps.RESPONSE_EXEMPTIONS, _nodebb_key)
    assert not left, f"{case.method} {case.template} ({outcome.status}) breaks the spec: {left}"


def test_every_nodebb_response_exemption_is_still_needed(nodebb):
    used = used_exemptions(NODEBB_CASES, nodebb, nodebb_gaps.RESPONSE_EXEMPTIONS, _nodebb_key)
    stale = [e for e in nodebb_gaps.RESPONSE_EXEMPTIONS if e not in used]
    assert not stale, f"response exemptions no case meets (remove them): {stale}"


def test_every_documented_nodebb_route_has_a_case(tmp_path):
    spec = json.loads(merged_spec(tmp_path).read_text())
    app = NodeBBSandbox(NodeBBSandboxConfig(users=12))
    documented = served_operations(app) & spec_operations(spec["paths"])
    missing = documented - case_operations(NODEBB_CASES)
    assert documented and not missing, f"sandbox routes the specs document, unchecked: {missing}"
