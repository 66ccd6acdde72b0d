"""The Discourse sandbox against every row of shared/specs/discourse/ENDPOINTS.md, section
"Rules the real server enforces (read in Discourse's source)".

Each test speaks raw HTTP (``requests``) to a running sandbox, as a Discourse forum would be
spoken to, and its docstring names the row it checks. State a rule depends on (post counts,
staff flags, settings) is set the same way, through the sandbox's ``/__sandbox__`` control
routes; the seeded data is only read to pick a suitable user.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import requests

from forums.sandbox.core import RunningSandbox, SandboxConfig
from forums.sandbox.discourse import DiscourseSandbox

KEY = "fidelity-key"
SYSTEM = {"Api-Key": KEY, "Api-Username": "system"}


@pytest.fixture
def sandbox():
    app = DiscourseSandbox(
        SandboxConfig(api_key=KEY, users=150, admin_requests_per_minute=100_000, seed=7)
    )
    with RunningSandbox(app) as running:
        yield running


def get(sb, path, headers=SYSTEM, **kwargs):
    return requests.get(sb.url + path, headers=headers, timeout=5, **kwargs)


def send(sb, method, path, headers=SYSTEM, **kwargs):
    return requests.request(method, sb.url + path, headers=headers, timeout=5, **kwargs)


def as_user(username: str) -> dict[str, str]:
    return {"Api-Key": KEY, "Api-Username": username}


def configure(sb, **settings) -> None:
    assert requests.post(sb.url + "/__sandbox__/config", json=settings, timeout=5).ok


def set_user(sb, user_id: int, **fields) -> None:
    r = requests.post(f"{sb.url}/__sandbox__/users/{user_id}", json=fields, timeout=5)
    assert r.ok, r.text


def regular(sb, **wanted) -> dict:
    """A seeded user who is not staff and not penalised, matching ``wanted``."""
    app = sb.app
    for user in sorted(app.users.values(), key=lambda u: u["id"]):
        if (
            user["id"] > 0
            and not (user["admin"] or user["moderator"])
            and not app.suspended(user)
            and not app.silenced(user)
            and all(user[k] == v for k, v in wanted.items())
        ):
            return user
    raise AssertionError(f"no seeded user with {wanted}")


def moderator(sb) -> dict:
    return next(u for u in sb.app.users.values() if u["moderator"] and not u["admin"])


def exists(sb, user_id: int) -> bool:
    return get(sb, f"/admin/users/{user_id}.json").status_code == 200


# --- delete one user ----------------------------------------------------------------------------
def test_delete_refuses_every_admin(sandbox):
    """Row "delete one user": refused with 403 for every admin."""
    r = send(sandbox, "DELETE", "/admin/users/1.json", json={"delete_posts": True})
    assert r.status_code == 403
    assert r.json()["error_type"] == "invalid_access"
    assert exists(sandbox, 1)


def test_delete_refuses_a_long_time_poster_even_with_delete_posts(sandbox):
    """Row "delete one user": more than 5 posts with a first post older than
    delete_user_max_post_age (60 days) is refused with 403, even with delete_posts."""
    user = regular(sandbox)
    set_user(sandbox, user["id"], post_count=6, first_post_days_ago=61)
    r = send(sandbox, "DELETE", f"/admin/users/{user['id']}.json", json={"delete_posts": True})
    assert r.status_code == 403 and r.json()["error_type"] == "invalid_access"
    assert exists(sandbox, user["id"])
    # Five posts, or a first post younger than the setting, and the same user may go.
    set_user(sandbox, user["id"], post_count=6, first_post_days_ago=59)
    r = send(sandbox, "DELETE", f"/admin/users/{user['id']}.json", json={"delete_posts": True})
    assert r.status_code == 200 and r.json() == {"deleted": True}


def test_the_post_age_rule_follows_the_site_setting(sandbox):
    """Row "delete one user": the age limit is the site setting delete_user_max_post_age."""
    user = regular(sandbox)
    set_user(sandbox, user["id"], post_count=40, first_post_days_ago=100)
    configure(sandbox, delete_user_max_post_age=365)
    r = send(sandbox, "DELETE", f"/admin/users/{user['id']}.json", json={"delete_posts": True})
    assert r.json() == {"deleted": True}


def test_moderators_can_be_deleted(sandbox):
    """Row "delete one user": moderators can be deleted."""
    mod = moderator(sandbox)
    set_user(sandbox, mod["id"], post_count=2, first_post_days_ago=400)
    r = send(sandbox, "DELETE", f"/admin/users/{mod['id']}.json", json={"delete_posts": True})
    assert r.status_code == 200 and r.json() == {"deleted": True}
    assert get(sandbox, f"/admin/users/{mod['id']}.json").status_code == 404


def test_a_user_with_posts_needs_delete_posts(sandbox):
    """Row "delete one user": a user with posts deleted without delete_posts gets 403
    {deleted:false, message} with no `errors` key."""
    user = regular(sandbox)
    set_user(sandbox, user["id"], post_count=3, first_post_days_ago=10)
    r = send(sandbox, "DELETE", f"/admin/users/{user['id']}.json")
    assert r.status_code == 403
    body = r.json()
    assert body["deleted"] is False and "3 posts" in body["message"] and "errors" not in body
    assert exists(sandbox, user["id"])


def test_a_missing_user_is_403_not_404(sandbox):
    """Row "delete one user": a missing user is 403, not 404 (can_delete_user?(nil) is false)."""
    r = send(sandbox, "DELETE", "/admin/users/987654.json", json={"delete_posts": True})
    assert r.status_code == 403 and r.json()["error_type"] == "invalid_access"


def test_a_200_with_deleted_false_is_a_failure(sandbox):
    """Row "delete one user": a 200 {deleted:false, user:{…}} is possible, and nothing is
    deleted."""
    user = regular(sandbox)
    set_user(sandbox, user["id"], post_count=0, first_post_days_ago=None, destroy_fails=True)
    r = send(sandbox, "DELETE", f"/admin/users/{user['id']}.json", json={"delete_posts": True})
    assert r.status_code == 200
    assert r.json()["deleted"] is False and r.json()["user"]["id"] == user["id"]
    assert exists(sandbox, user["id"])


# --- bulk delete --------------------------------------------------------------------------------
def test_bulk_delete_is_all_or_nothing(sandbox):
    """Row "bulk delete": one user who cannot be deleted gives 403 for the whole batch;
    success is {deleted:true}."""
    users = [u for u in sandbox.app.users.values() if u["id"] > 4][:20]
    for user in users:
        set_user(sandbox, user["id"], post_count=1, first_post_days_ago=5)
    ids = [u["id"] for u in users]
    r = send(sandbox, "DELETE", "/admin/users/destroy-bulk.json", json={"user_ids": [*ids, 1]})
    assert r.status_code == 403
    assert r.json()["failed"] == "FAILED" and r.json()["errors"]
    assert all(exists(sandbox, i) for i in ids)
    r = send(
        sandbox,
        "DELETE",
        "/admin/users/destroy-bulk.json",
        json={"user_ids": ids, "block_ip_and_email": True},  # ignored by older versions
    )
    assert r.status_code == 200 and r.json() == {"deleted": True}
    assert not any(exists(sandbox, i) for i in ids)


def test_bulk_delete_takes_one_to_a_hundred_ids(sandbox):
    """Row "bulk delete": 1..100 user_ids; no ids gives 404 (over 100: the contract's 400)."""
    r = send(sandbox, "DELETE", "/admin/users/destroy-bulk.json", json={"user_ids": []})
    assert r.status_code == 404 and r.json() == {"failed": "FAILED"}
    r = send(
        sandbox, "DELETE", "/admin/users/destroy-bulk.json", json={"user_ids": list(range(5, 106))}
    )
    assert r.status_code == 400 and r.json()["failed"] == "FAILED" and r.json()["errors"]
    assert exists(sandbox, 5)


# --- suspend / silence --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("route", "till"), [("suspend", "suspend_until"), ("silence", "silenced_till")]
)
def test_penalty_reason_is_required_and_at_most_300_characters(sandbox, route, till):
    """Row "suspend / silence": reason required and at most 300 characters, else 400
    {failed:"FAILED", errors:[…]}."""
    user = regular(sandbox)
    path = f"/admin/users/{user['id']}/{route}.json"
    soon = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    for reason in ("", "x" * 301):
        r = send(sandbox, "PUT", path, json={till: soon, "reason": reason})
        assert r.status_code == 400
        assert r.json()["failed"] == "FAILED" and len(r.json()["errors"]) == 1
    r = send(sandbox, "PUT", path, json={till: soon, "reason": "x" * 300})
    assert r.status_code == 200


def test_suspend_answers_409_when_already_suspended_and_403_for_staff(sandbox):
    """Row "suspend / silence": already suspended is 409 {failed, message}; staff is 403;
    success is {suspension:{…}}."""
    user = regular(sandbox)
    body = {"suspend_until": "2031-01-01T00:00:00Z", "reason": "spam"}
    first = send(sandbox, "PUT", f"/admin/users/{user['id']}/suspend.json", json=body)
    assert first.status_code == 200
    assert first.json()["suspension"]["suspend_reason"] == "spam"
    again = send(sandbox, "PUT", f"/admin/users/{user['id']}/suspend.json", json=body)
    assert again.status_code == 409
    assert again.json()["failed"] == "FAILED" and again.json()["message"]
    staff = send(sandbox, "PUT", f"/admin/users/{moderator(sandbox)['id']}/suspend.json", json=body)
    assert staff.status_code == 403 and staff.json()["error_type"] == "invalid_access"


def test_silence_answers_409_when_already_silenced_and_403_for_staff(sandbox):
    """Row "suspend / silence": the same policies for silence (409, 403)."""
    user = regular(sandbox)
    body = {"silenced_till": "2031-01-01T00:00:00Z", "reason": "noise"}
    assert send(sandbox, "PUT", f"/admin/users/{user['id']}/silence.json", json=body).ok
    again = send(sandbox, "PUT", f"/admin/users/{user['id']}/silence.json", json=body)
    assert again.status_code == 409 and again.json()["failed"] == "FAILED"
    r = send(sandbox, "PUT", "/admin/users/1/silence.json", json=body)
    assert r.status_code == 403


# --- unsuspend / unsilence ----------------------------------------------------------------------
def test_unsuspend_and_unsilence_answer_shapes(sandbox):
    """Row "unsuspend / unsilence": {suspension:{suspended_till:null, suspended_at:null}} and
    {unsilence:{silenced:false,…}}."""
    user = regular(sandbox)
    uid = user["id"]
    send(sandbox, "PUT", f"/admin/users/{uid}/suspend.json",
         json={"suspend_until": "2031-01-01T00:00:00Z", "reason": "spam"})  # fmt: skip
    send(sandbox, "PUT", f"/admin/users/{uid}/silence.json",
         json={"silenced_till": "2031-01-01T00:00:00Z", "reason": "noise"})  # fmt: skip
    r = send(sandbox, "PUT", f"/admin/users/{uid}/unsuspend.json")
    assert r.json() == {"suspension": {"suspended_till": None, "suspended_at": None}}
    r = send(sandbox, "PUT", f"/admin/users/{uid}/unsilence.json")
    assert r.json()["unsilence"]["silenced"] is False
    shown = get(sandbox, f"/admin/users/{uid}.json").json()
    assert "suspended_till" not in shown and "silenced_till" not in shown


# --- approve / activate / deactivate ------------------------------------------------------------
def test_approve_needs_an_active_unapproved_user_and_answers_an_empty_body(sandbox):
    """Row "approve / activate / deactivate": approve needs an active, not yet approved user
    (else 403 invalid_access) and answers 200 with an empty body."""
    user = regular(sandbox)
    set_user(sandbox, user["id"], approved=False, active=True)
    r = send(sandbox, "PUT", f"/admin/users/{user['id']}/approve.json")
    assert r.status_code == 200 and r.content == b""
    again = send(sandbox, "PUT", f"/admin/users/{user['id']}/approve.json")
    assert again.status_code == 403 and again.json()["error_type"] == "invalid_access"
    set_user(sandbox, user["id"], approved=False, active=False)
    assert send(sandbox, "PUT", f"/admin/users/{user['id']}/approve.json").status_code == 403


def test_activate_needs_an_inactive_user_and_deactivate_a_non_staff_one(sandbox):
    """Row "approve / activate / deactivate": activate needs an inactive user; deactivate
    needs a non-staff user; otherwise 403 invalid_access."""
    user = regular(sandbox, active=True)
    assert send(sandbox, "PUT", f"/admin/users/{user['id']}/activate.json").status_code == 403
    r = send(sandbox, "PUT", f"/admin/users/{user['id']}/deactivate.json")
    assert r.status_code == 200 and r.json() == {"success": "OK"}
    assert send(sandbox, "PUT", f"/admin/users/{user['id']}/activate.json").json() == {
        "success": "OK"
    }
    r = send(sandbox, "PUT", f"/admin/users/{moderator(sandbox)['id']}/deactivate.json")
    assert r.status_code == 403 and r.json()["error_type"] == "invalid_access"


# --- trust level --------------------------------------------------------------------------------
def test_trust_level_answers_admin_user_and_locks_a_demotion(sandbox):
    """Row "trust level": answers {admin_user:{…}}; levels 0-2 may set
    manual_locked_trust_level."""
    user = regular(sandbox, trust_level=3)
    r = send(sandbox, "PUT", f"/admin/users/{user['id']}/trust_level.json", json={"level": 1})
    assert r.status_code == 200
    shown = r.json()["admin_user"]
    assert shown["id"] == user["id"] and shown["trust_level"] == 1
    assert shown["manual_locked_trust_level"] == 1
    other = regular(sandbox, trust_level=1)
    r = send(sandbox, "PUT", f"/admin/users/{other['id']}/trust_level.json", json={"level": 4})
    assert r.json()["admin_user"]["manual_locked_trust_level"] is None


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


# --- user list filter ---------------------------------------------------------------------------
def test_filter_with_several_terms_is_a_substring_match(sandbox):
    """Row "user list filter": a multi-term filter is a substring match on username/e-mail
    plus exact e-mail matches, not an exact match."""
    users = [u for u in sandbox.app.users.values() if u["id"] > 0]
    short = next(u for u in users if any(
        o["username"] != u["username"] and u["username"] in o["username"] for o in users
    ))  # fmt: skip
    longer = {o["username"] for o in users if short["username"] in o["username"]}
    other = next(u for u in users if u["username"] not in longer)
    r = get(
        sandbox,
        "/admin/users/list/active.json",
        params={"filter": f"{short['username']},{other['email']}", "show_emails": "true"},
    )
    names = {row["username"] for row in r.json()}
    assert longer <= names and len(names) > 2  # "alex" also finds "alex_smith" and friends
    assert other["username"] in names  # an exact e-mail address


def test_filter_with_more_than_100_terms_is_400(sandbox):
    """Row "user list filter": more than 100 terms gives 400."""
    terms = ",".join(f"user{i}" for i in range(101))
    r = get(sandbox, "/admin/users/list/active.json", params={"filter": terms})
    assert r.status_code == 400 and r.json()["error_type"] == "invalid_parameters"
    r = get(sandbox, "/admin/users/list/active.json", params={"filter": terms.rsplit(",", 1)[0]})
    assert r.status_code == 200


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


# --- add group members --------------------------------------------------------------------------
def names_outside(sb, group_id: int, count: int) -> list[str]:
    members = sb.app.groups[group_id]["members"]
    return [u["username"] for u in sb.app.users.values()
            if u["id"] > 0 and u["id"] not in members][:count]  # fmt: skip


def test_members_are_added_from_a_comma_string_and_an_array_is_a_500(sandbox):
    """Row "add group members": usernames / user_ids / user_emails are comma-separated strings;
    a JSON array makes the server call .split on it and fail (500)."""
    names = names_outside(sandbox, 41, 2)
    r = send(sandbox, "PUT", "/groups/41/members.json", json={"usernames": names})
    assert r.status_code == 500
    assert not set(names) & {m["username"] for m in members_of(sandbox, "beta-testers")}
    r = send(sandbox, "PUT", "/groups/41/members.json", json={"usernames": ",".join(names)})
    assert r.status_code == 200
    assert sorted(r.json()["usernames"]) == sorted(names)


def members_of(sb, name: str) -> list[dict]:
    return get(sb, f"/groups/{name}/members.json", params={"limit": 1000}).json()["members"]


def test_only_the_first_field_present_is_used(sandbox):
    """Row "add group members": only the first field present is used, in the order
    usernames, user_ids, user_emails."""
    by_name, by_id = names_outside(sandbox, 41, 2)
    user_id = next(u["id"] for u in sandbox.app.users.values() if u["username"] == by_id)
    r = send(sandbox, "PUT", "/groups/41/members.json",
             json={"usernames": by_name, "user_ids": str(user_id)})  # fmt: skip
    assert r.json()["usernames"] == [by_name]
    assert by_id not in {m["username"] for m in members_of(sandbox, "beta-testers")}


def test_more_than_1000_users_is_422(sandbox):
    """Row "add group members": over 1,000 users gives 422 adding_too_many_users."""
    app = DiscourseSandbox(SandboxConfig(api_key=KEY, users=1010, admin_requests_per_minute=10**6))
    with RunningSandbox(app) as big:
        names = ",".join(u["username"] for u in app.users.values() if u["id"] > 0)
        r = send(big, "PUT", "/groups/42/members.json", json={"usernames": names})
        assert r.status_code == 422 and "1000" in r.json()["errors"][0]


def test_all_already_members_is_422(sandbox):
    """Row "add group members": a batch where all are already members gives 422."""
    current = ",".join(m["username"] for m in members_of(sandbox, "support-team"))
    r = send(sandbox, "PUT", "/groups/42/members.json", json={"usernames": current})
    assert r.status_code == 422 and r.json()["errors"]


def test_a_batch_of_unknown_users_is_400_and_a_mixed_one_drops_them(sandbox):
    """Row "add group members": none of the users exists: 400 "You supplied invalid parameters
    to the request: usernames"; in a mixed batch unknown users are dropped silently."""
    r = send(sandbox, "PUT", "/groups/41/members.json", json={"usernames": "ghost1,ghost2"})
    assert r.status_code == 400
    assert r.json()["errors"] == ["You supplied invalid parameters to the request: usernames"]
    (real,) = names_outside(sandbox, 41, 1)
    r = send(sandbox, "PUT", "/groups/41/members.json", json={"usernames": f"{real},ghost1"})
    assert r.status_code == 200 and r.json()["usernames"] == [real]


def test_automatic_groups_are_403(sandbox):
    """Row "add group members": automatic groups answer 403."""
    (name,) = names_outside(sandbox, 13, 1)
    r = send(sandbox, "PUT", "/groups/13/members.json", json={"usernames": name})
    assert r.status_code == 403 and r.json()["error_type"] == "invalid_access"


# --- remove group members -----------------------------------------------------------------------
def test_remove_members_answer_and_skipped_names(sandbox):
    """Row "remove group members": answers {usernames, skipped_usernames}; skipped_usernames
    holds non-members only; unknown names are dropped."""
    member = members_of(sandbox, "support-team")[0]["username"]
    (outsider,) = names_outside(sandbox, 42, 1)
    r = send(sandbox, "DELETE", "/groups/42/members.json",
             json={"usernames": f"{member},{outsider},ghost-xyz"})  # fmt: skip
    assert r.status_code == 200
    assert r.json()["usernames"] == [member]
    assert r.json()["skipped_usernames"] == [outsider]


# --- update a group -----------------------------------------------------------------------------
def group_id(sb, name: str) -> int:
    return get(sb, f"/groups/{name}.json").json()["group"]["id"]


def follows(sb, username: str) -> tuple[list[int], list[str]]:
    user = get(sb, f"/u/{username}.json").json()["user"]
    return user["watched_first_post_category_ids"], user["tracked_tags"]


def test_a_plain_rename_of_a_group_with_defaults_asks_about_existing_members(sandbox):
    """Row "update a group": defaults not sent are treated as deleted, so a plain rename of a
    group with notification defaults gets the 422 "existing members" question."""
    gid = group_id(sandbox, "regional-emea")
    member = members_of(sandbox, "regional-emea")[0]["username"]
    before = follows(sandbox, member)
    r = send(sandbox, "PUT", f"/groups/{gid}.json", json={"group": {"name": "emea"}})
    assert r.status_code == 422
    assert r.json()["user_count"] > 0 and r.json()["errors"]
    assert get(sandbox, "/groups/regional-emea.json").status_code == 200  # nothing changed
    r = send(sandbox, "PUT", f"/groups/{gid}.json", params={"update_existing_users": "false"},
             json={"group": {"name": "emea"}})  # fmt: skip
    assert r.status_code == 200 and follows(sandbox, member) == before
    assert get(sandbox, "/groups/emea.json").status_code == 200


def test_answering_update_existing_users_true_wipes_members_settings(sandbox):
    """Row "update a group": answering update_existing_users=true deletes members' matching
    CategoryUser/TagUser rows."""
    gid = group_id(sandbox, "regional-emea")
    member = next(
        m["username"] for m in members_of(sandbox, "regional-emea")
        if 3 in follows(sandbox, m["username"])[0]
    )  # fmt: skip
    assert follows(sandbox, member) == ([3], ["meetup"])
    r = send(sandbox, "PUT", f"/groups/{gid}.json", params={"update_existing_users": "true"},
             json={"group": {"name": "emea"}})  # fmt: skip
    assert r.status_code == 200
    assert follows(sandbox, member) == ([], [])


def test_sending_the_defaults_back_renames_without_a_question(sandbox):
    """Row "update a group": read the group's current *_category_ids / *_tags and send them
    back, and a rename touches nobody's settings."""
    gid = group_id(sandbox, "regional-emea")
    group = get(sandbox, "/groups/regional-emea.json").json()["group"]
    current = {k: v for k, v in group.items() if k.endswith(("_category_ids", "_tags"))}
    member = members_of(sandbox, "regional-emea")[0]["username"]
    before = follows(sandbox, member)
    r = send(sandbox, "PUT", f"/groups/{gid}.json", json={"group": {"name": "emea", **current}})
    assert r.status_code == 200 and follows(sandbox, member) == before


# --- tag groups ---------------------------------------------------------------------------------
def test_tag_group_put_resets_what_it_leaves_out(sandbox):
    """Row "tag groups": a PUT that omits tag_names / parent_tag_name resets them to [], and one
    that omits one_per_topic resets it to false."""
    groups = get(sandbox, "/tag_groups.json").json()["tag_groups"]
    status = next(g for g in groups if g["one_per_topic"] and g["tags"])
    r = send(sandbox, "PUT", f"/tag_groups/{status['id']}.json", json={"name": "Renamed"})
    assert r.status_code == 200
    after = get(sandbox, f"/tag_groups/{status['id']}.json").json()["tag_group"]
    assert after["name"] == "Renamed"
    assert after["tag_names"] == [] and after["parent_tag_name"] == []
    assert after["one_per_topic"] is False


# --- retag --------------------------------------------------------------------------------------
def test_retag_answers_every_editable_topic(sandbox):
    """Row "retag": PUT /topics/bulk.json answers topic_ids = every topic the key may edit,
    not only the changed ones."""
    topics = sandbox.app.topics
    tagged = next(t for t in topics.values() if t["tags"] == ["bug"])["id"]
    untagged = next(t for t in topics.values() if not t["tags"])["id"]
    body = {"topic_ids": [tagged, untagged, 999_999],
            "operation": {"type": "append_tags", "tags": ["bug"]}}  # fmt: skip
    r = send(sandbox, "PUT", "/topics/bulk.json", json=body)
    assert r.status_code == 200
    assert r.json()["topic_ids"] == sorted([tagged, untagged])  # the first one did not change


def test_remove_tags_is_missing_from_older_versions(sandbox):
    """Row "retag": remove_tags is missing from older versions."""
    body = {"topic_ids": [1], "operation": {"type": "remove_tags", "tags": ["bug"]}}
    assert send(sandbox, "PUT", "/topics/bulk.json", json=body).status_code == 200
    configure(sandbox, bulk_remove_tags=False)
    r = send(sandbox, "PUT", "/topics/bulk.json", json=body)
    assert r.status_code == 400
    assert r.json()["errors"] == ["You supplied invalid parameters to the request: operation"]


# --- backups ------------------------------------------------------------------------------------
def test_backups_off_is_403(sandbox):
    """Row "backups": enable_backups off gives 403."""
    configure(sandbox, enable_backups=False)
    for method, path in (("GET", "/admin/backups.json"), ("GET", "/admin/backups/status.json")):
        r = send(sandbox, method, path)
        assert r.status_code == 403 and r.json()["error_type"] == "invalid_access"


def test_backup_download_link_answers_an_empty_body(sandbox):
    """Row "backups": PUT /admin/backups/{filename} answers 200 or 404 with an empty body."""
    name = get(sandbox, "/admin/backups.json").json()[0]["filename"]
    r = send(sandbox, "PUT", f"/admin/backups/{name}")
    assert r.status_code == 200 and r.content == b""
    r = send(sandbox, "PUT", "/admin/backups/no-such-backup.tar.gz")
    assert r.status_code == 404 and r.content == b""


def test_a_running_backup_answers_200_failed(sandbox):
    """Row "backups": already running: 200 {failed, message}."""
    assert send(sandbox, "POST", "/admin/backups.json", json={"with_uploads": "false"}).json() == {
        "success": "OK"
    }
    r = send(sandbox, "POST", "/admin/backups.json", json={"with_uploads": "false"})
    assert r.status_code == 200
    assert r.json()["failed"] == "FAILED" and r.json()["message"]


# --- events -------------------------------------------------------------------------------------
def event_window(sb, **params):
    return get(sb, "/discourse-post-event/events.json", params=params).json()["events"]


def test_limit_also_caps_the_occurrences_of_a_recurring_event(sandbox):
    """Row "events": limit (<= 200) also caps the occurrences expanded per recurring event."""
    now = datetime.now(UTC)
    window = {"after": now.isoformat(), "before": (now + timedelta(days=60)).isoformat(),
              "category_id": 4}  # fmt: skip
    daily = next(e for e in event_window(sandbox, **window) if e["recurrence"] == "every_day")
    assert len(daily["occurrences"]) == 60
    capped = next(
        e for e in event_window(sandbox, limit=10, **window) if e["recurrence"] == "every_day"
    )
    assert len(capped["occurrences"]) == 10 and capped["rrule"].endswith("FREQ=DAILY")


def test_before_is_exclusive(sandbox):
    """Row "events": before is exclusive (starts_at < before)."""
    event = next(e for e in sandbox.app.events if not e.get("recurrence"))
    starts = event["starts_at"]
    window = {"after": (starts - timedelta(hours=1)).isoformat()}
    ids = {e["id"] for e in event_window(sandbox, before=starts.isoformat(), **window)}
    assert event["id"] not in ids
    later = (starts + timedelta(seconds=1)).isoformat()
    assert event["id"] in {e["id"] for e in event_window(sandbox, before=later, **window)}


def test_older_plugin_versions_answer_a_bare_array_without_after_or_order(sandbox):
    """Row "events": older plugin versions answer a bare array and have no after / order."""
    configure(sandbox, legacy_events_plugin=True)
    future = (datetime.now(UTC) + timedelta(days=100)).isoformat()
    r = get(sandbox, "/discourse-post-event/events.json", params={"after": future, "order": "desc"})
    rows = r.json()
    assert isinstance(rows, list) and rows
    starts = [row["starts_at"] for row in rows]
    assert starts == sorted(starts)  # no `order`
    assert min(starts) < future  # no `after`
    assert get(sandbox, "/discourse-post-event/events.ics").status_code == 404


def test_ics_defaults_to_the_last_three_months_and_500_occurrences(sandbox):
    """Row "events": the .ics route defaults to the last 3 months and at most 500 occurrences."""
    r = get(
        sandbox, "/discourse-post-event/events.ics", headers={**SYSTEM, "Accept": "text/calendar"}
    )
    assert r.headers["Content-Type"].startswith("text/calendar")
    starts = [
        datetime.strptime(m, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        for m in re.findall(r"^DTSTART:(\S+)", r.text, re.MULTILINE)
    ]
    assert len(starts) == 500 == r.text.count("BEGIN:VEVENT")
    assert min(starts) >= datetime.now(UTC) - timedelta(days=92)


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


# --- routes and pages the clients and pydiscourse rely on ---------------------------------------
def test_the_user_list_pages_100_at_a_time_newest_first_when_ordered_by_created(sandbox):
    """ENDPOINTS.md Users / `GET /admin/users/list/{flag}.json`: `order` (`created`, ...),
    `asc=true`, `page` (1-based, 100 per page); `active` only orders, it filters nobody."""
    first = get(sandbox, "/admin/users/list/active.json", params={"order": "created"}).json()
    second = get(
        sandbox, "/admin/users/list/active.json", params={"order": "created", "page": 2}
    ).json()
    assert len(first) == 100 and len(second) == 50  # 150 accounts
    created = [u["created_at"] for u in first + second]
    assert created == sorted(created, reverse=True)
    assert len({u["id"] for u in first + second}) == 150
    oldest = get(
        sandbox, "/admin/users/list/active.json", params={"order": "created", "asc": "true"}
    ).json()
    assert oldest[0]["id"] == second[-1]["id"]


def test_one_user_joins_or_leaves_one_group_by_the_admin_user_route(sandbox):
    """ENDPOINTS.md Users / `POST / DELETE /admin/users/{id}/groups.json` /
    `/admin/users/{id}/groups/{group_id}.json` (R): one user in or out of one group; the
    controller answers an empty 200 (``render body: nil``), an automatic group 422, a missing
    group 404. The path without `.json` (pydiscourse's ``add_user_to_group``) is the same route:
    Rails takes the format as optional, and the response format follows `Accept` (S)."""
    groups = get(sandbox, "/groups.json").json()["groups"]
    group = next(g for g in groups if g["name"] == "beta-testers")
    members = {m["id"] for m in get(sandbox, "/groups/beta-testers/members.json",
                                    params={"limit": 1000}).json()["members"]}  # fmt: skip
    user_id = next(i for i in range(5, 150) if i not in members)
    headers = {**SYSTEM, "Accept": "application/json; charset=utf-8"}
    added = send(sandbox, "POST", f"/admin/users/{user_id}/groups", headers=headers,
                 data={"group_id": group["id"]})  # fmt: skip
    assert added.status_code == 200 and added.content == b""
    again = send(sandbox, "POST", f"/admin/users/{user_id}/groups.json",
                 data={"group_id": group["id"]})  # fmt: skip
    assert again.status_code == 200  # Group#add: already a member changes nothing
    after = get(sandbox, "/groups/beta-testers/members.json", params={"limit": 1000}).json()
    assert user_id in {m["id"] for m in after["members"]}
    assert after["meta"]["total"] == len(members) + 1
    automatic = next(g for g in groups if g["automatic"])
    refused = send(sandbox, "POST", f"/admin/users/{user_id}/groups.json",
                   data={"group_id": automatic["id"]})  # fmt: skip
    assert refused.status_code == 422 and refused.json()["errors"]
    missing = send(sandbox, "POST", f"/admin/users/{user_id}/groups.json", data={"group_id": 999})
    assert missing.status_code == 404
    removed = send(sandbox, "DELETE", f"/admin/users/{user_id}/groups/{group['id']}.json")
    assert removed.status_code == 200
    left = get(sandbox, "/groups/beta-testers/members.json", params={"limit": 1000}).json()
    assert user_id not in {m["id"] for m in left["members"]}


def test_members_are_listed_owners_first_then_by_username_descending(sandbox):
    """ENDPOINTS.md Groups / `GET /groups/{name}/members.json`: `limit` at most 1,000,
    `offset`, `order`, `asc`. The order is GroupsController#members': owners first, then the
    `order` column if one is given, then `username_lower`, descending unless `asc`."""
    path = "/groups/beta-testers/members.json"
    page = get(sandbox, path, params={"limit": 1000}).json()
    owners = {o["id"] for o in page["owners"]}
    rows = page["members"]
    assert owners and [r["id"] in owners for r in rows[: len(owners)]] == [True] * len(owners)
    rest = [r["username"].lower() for r in rows[len(owners) :]]
    assert rest == sorted(rest, reverse=True)
    ascending = get(sandbox, path, params={"limit": 1000, "asc": "true"}).json()["members"]
    rest_up = [r["username"].lower() for r in ascending[len(owners) :]]
    assert rest_up == sorted(rest_up)
    by_added = get(sandbox, path, params={"limit": 1000, "order": "added_at"}).json()["members"]
    added = [r["added_at"] for r in by_added[len(owners) :]]
    assert added == sorted(added, reverse=True)
    halves = [
        get(sandbox, path, params={"limit": 5, "offset": o}).json()["members"] for o in (0, 5)
    ]
    assert [r["id"] for r in halves[0] + halves[1]] == [r["id"] for r in rows[:10]]
    assert get(sandbox, path, params={"limit": 1001}).status_code == 400


def test_trust_level_0_holds_every_account_but_staged_ones(sandbox):
    """The automatic group trust_level_0 (id 10): Group.refresh_automatic_group! inserts every
    user with id > 0 that is not staged (app/models/group.rb); its members page like any
    group's, and its `meta.total` counts them."""
    app = sandbox.app
    user = regular(sandbox)
    set_user(sandbox, user["id"], staged=True)
    page = get(sandbox, "/groups/trust_level_0/members.json", params={"limit": 1000}).json()
    ids = {m["id"] for m in page["members"]}
    expected = {u["id"] for u in app.users.values() if u["id"] > 0 and not u["staged"]}
    assert ids == expected and page["meta"]["total"] == len(expected)
    assert user["id"] not in ids and -1 not in ids
    assert all("email" not in m for m in page["members"])  # GroupUserSerializer: no e-mail
