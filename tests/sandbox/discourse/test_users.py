"""The sandbox Discourse enforces the real rules on accounts: delete, bulk delete, suspend, silence,
approve, activate, trust level and the admin list's filter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from .served import (
    SANDBOX_CONFIG,  # noqa: F401 - the config of this module's sandbox
    configure,
    exists,
    get,
    moderator,
    regular,
    send,
    set_user,
)


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
