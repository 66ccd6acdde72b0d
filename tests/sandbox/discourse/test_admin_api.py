"""The sandbox Discourse's admin API: admin-only routes, the admin rate limit, a bad key and the
shapes of its errors."""

from __future__ import annotations

import pytest

from .served import (
    SANDBOX_CONFIG,  # noqa: F401 - the config of this module's sandbox
    as_user,
    configure,
    get,
    moderator,
    regular,
    send,
)


# --- admin-only routes --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/admin/users/9/log_out.json", None),
        ("GET", "/admin/backups.json", None),
        ("POST", "/admin/backups.json", {"with_uploads": "false"}),
        ("DELETE", "/admin/groups/41.json", None),
        ("POST", "/admin/groups.json", {"group": {"name": "mods-made-this"}}),
    ],
)
def test_admin_only_routes_are_404_to_a_moderators_key(sandbox, method, path, body):
    """Row "admin-only routes": log_out, backups, group delete and the other AdminConstraint
    routes answer 404 to a moderator's key."""
    mod = as_user(moderator(sandbox)["username"])
    r = send(sandbox, method, path, headers=mod, json=body)
    assert r.status_code == 404 and r.json()["error_type"] == "not_found"
    assert send(sandbox, method, path, json=body).status_code == 200  # an admin's key may


def test_staff_routes_stay_open_to_a_moderator(sandbox):
    """Row "admin-only routes": the rest of /admin (StaffConstraint) answers a moderator."""
    mod = as_user(moderator(sandbox)["username"])
    user = regular(sandbox)
    r = send(sandbox, "PUT", f"/admin/users/{user['id']}/suspend.json", headers=mod,
             json={"suspend_until": "2031-01-01T00:00:00Z", "reason": "spam"})  # fmt: skip
    assert r.status_code == 200
    assert get(sandbox, "/admin/users/list/active.json", headers=mod).status_code == 200


# --- admin rate limit ---------------------------------------------------------------------------
def test_the_admin_bucket_counts_every_api_key_request_whoever_acts(sandbox):
    """Row "admin rate limit": the admin_api_min bucket counts every request made with an API
    key, whoever the acting user is, not only admin users'."""
    configure(sandbox, admin_requests_per_minute=3)
    plain = as_user(regular(sandbox)["username"])
    statuses = [get(sandbox, "/tags.json", headers=plain).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    limited = get(sandbox, "/site/basic-info.json", headers=as_user(moderator(sandbox)["username"]))
    assert limited.status_code == 429
    assert limited.headers["Discourse-Rate-Limit-Error-Code"] == "admin_api_key_rate_limit"
    assert limited.json()["extras"]["wait_seconds"] == int(limited.headers["Retry-After"])


def test_bad_or_missing_keys_meet_the_per_ip_limit_in_plain_text(sandbox):
    """Row "admin rate limit": requests with a bad or missing key count against the per-IP
    limiter, which answers a text/plain 429 (ip_10_secs_limit, ip_60_secs_limit)."""
    configure(sandbox, max_reqs_rate_limit_on_private=True, max_reqs_per_ip_per_10_seconds=3)
    bad = {"Api-Key": "not-the-key", "Api-Username": "system"}
    assert [get(sandbox, "/u/admin.json", headers=bad).status_code for _ in range(3)] == [403] * 3
    r = get(sandbox, "/tags.json", headers={})
    assert r.status_code == 429
    assert r.headers["Content-Type"].startswith("text/plain")
    assert r.headers["Discourse-Rate-Limit-Error-Code"] == "ip_10_secs_limit"
    assert "Error code: ip_10_secs_limit" in r.text and int(r.headers["Retry-After"]) >= 1


def test_the_minute_limit_has_its_own_error_code(sandbox):
    """Row "admin rate limit": the per-IP minute limiter answers ip_60_secs_limit."""
    configure(
        sandbox,
        max_reqs_rate_limit_on_private=True,
        max_reqs_per_ip_per_10_seconds=100,
        max_reqs_per_ip_per_minute=2,
    )
    for _ in range(2):
        get(sandbox, "/site/basic-info.json", headers={})
    r = get(sandbox, "/site/basic-info.json", headers={})
    assert r.status_code == 429
    assert r.headers["Discourse-Rate-Limit-Error-Code"] == "ip_60_secs_limit"


def test_valid_key_requests_leave_the_per_ip_count_alone(sandbox):
    """Row "admin rate limit": a valid key's per-IP counts are rolled back; only the admin
    bucket applies to it."""
    configure(sandbox, max_reqs_rate_limit_on_private=True, max_reqs_per_ip_per_10_seconds=3)
    assert {get(sandbox, "/tags.json").status_code for _ in range(10)} == {200}
    assert get(sandbox, "/tags.json", headers={}).status_code == 200  # the IP has room left


def test_loopback_is_exempt_from_the_per_ip_limits_by_default(sandbox):
    """Row "admin rate limit" (with the rate-limit table): private and loopback addresses are
    exempt unless max_reqs_rate_limit_on_private is on."""
    configure(sandbox, max_reqs_per_ip_per_10_seconds=1)
    assert {get(sandbox, "/tags.json", headers={}).status_code for _ in range(5)} == {200}


# --- bad key ------------------------------------------------------------------------------------
def test_a_bad_key_is_403_on_ordinary_routes_and_404_on_admin_ones(sandbox):
    """Row "bad key": 403 on ordinary routes, 404 on /admin/*."""
    bad = {"Api-Key": "revoked", "Api-Username": "system"}
    r = get(sandbox, "/u/admin.json", headers=bad)
    assert r.status_code == 403 and r.json()["error_type"] == "invalid_access"
    r = get(sandbox, "/admin/users/list/active.json", headers=bad)
    assert r.status_code == 404 and r.json()["error_type"] == "not_found"


def test_a_granular_key_without_the_scope_answers_like_a_bad_key(sandbox):
    """Row "bad key": a granular (scoped) key that lacks a scope gets the same answer."""
    configure(sandbox, granular_keys={"scoped": ["user_profile", "admin_users_list"]})
    scoped = {"Api-Key": "scoped", "Api-Username": "system"}
    assert get(sandbox, "/u/admin.json", headers=scoped).status_code == 200
    assert get(sandbox, "/admin/users/list/active.json", headers=scoped).status_code == 200
    assert get(sandbox, "/tags.json", headers=scoped).status_code == 403
    assert get(sandbox, "/admin/backups.json", headers=scoped).status_code == 404


# --- error shapes -------------------------------------------------------------------------------
def test_error_shapes(sandbox):
    """Row "error shapes": contract errors 400 {failed:"FAILED", errors}; guardian refusals 403
    {errors, error_type:"invalid_access"}; not found 404 {errors, error_type:"not_found"};
    rate limit 429 {errors, error_type:"rate_limit", extras}."""
    user = regular(sandbox)
    contract = send(sandbox, "PUT", f"/admin/users/{user['id']}/suspend.json", json={})
    assert contract.status_code == 400
    assert set(contract.json()) == {"failed", "errors"} and contract.json()["failed"] == "FAILED"
    guardian = send(sandbox, "PUT", "/admin/users/1/anonymize.json")
    assert guardian.status_code == 403
    assert set(guardian.json()) == {"errors", "error_type"}
    assert guardian.json()["error_type"] == "invalid_access"
    missing = get(sandbox, "/admin/users/987654.json")
    assert missing.status_code == 404
    assert missing.json() == {"errors": [missing.json()["errors"][0]], "error_type": "not_found"}
    configure(sandbox, admin_requests_per_minute=1)
    get(sandbox, "/tags.json")
    limited = get(sandbox, "/tags.json")
    assert limited.status_code == 429
    assert set(limited.json()) == {"errors", "error_type", "extras"}
    assert limited.json()["error_type"] == "rate_limit"
