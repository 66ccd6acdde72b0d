"""The Discourse client against the sandbox Discourse (and `responses` for broken servers):
finding, reading and moderating accounts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import pytest

from forums.clients.errors import (
    ForumForbidden,
    ForumNotFound,
    ForumRejected,
)
from forums.clients.records import ForumTopic, Penalty

from .helpers import (
    SANDBOX_CONFIG,  # noqa: F401 - the config of this module's sandbox
    a_member,
)

# Every test that uses the sandbox runs once per release profile it plays (3.4 and 2026.1):
# these are the areas whose requests or answers differ between releases.
pytestmark = pytest.mark.every_release


# --- users ------------------------------------------------------------------------------------
def test_suspend_then_get_shows_until_and_reason(client, sandbox):
    user = a_member(sandbox)
    until = datetime(2031, 5, 1, 12, 0, tzinfo=UTC)
    returned = client.penalise(
        kind=Penalty.SUSPEND, user_id=user["id"], until=until, reason="Spam links",
        message="Please stop.",
    )  # fmt: skip
    got = client.get_user(user_id=user["id"])
    assert returned == until
    assert got.suspended and got.suspended_until == until
    assert got.suspend_reason == "Spam links"
    assert got.profile_url == f"{client.base_url}/u/{user['username']}"
    client.lift(kind=Penalty.SUSPEND, user_id=user["id"])
    assert not client.get_user(user_id=user["id"]).suspended


def test_suspending_twice_or_suspending_staff_is_refused(client, sandbox):
    user = a_member(sandbox)
    until = datetime.now(UTC) + timedelta(days=3)
    client.penalise(kind=Penalty.SUSPEND, user_id=user["id"], until=until, reason="r")
    with pytest.raises(ForumRejected) as twice:
        client.penalise(kind=Penalty.SUSPEND, user_id=user["id"], until=until, reason="r")
    assert twice.value.status == 409 and "already suspended" in str(twice.value)
    with pytest.raises(ForumForbidden):
        client.penalise(
            kind=Penalty.SUSPEND, user_id=1, until=until, reason="admins cannot be suspended"
        )


def test_silence_then_unsilence(client, sandbox):
    user = a_member(sandbox)
    until = datetime(2030, 1, 2, 3, 4, tzinfo=UTC)
    client.penalise(kind=Penalty.SILENCE, user_id=user["id"], until=until, reason="Heated replies")
    got = client.get_user_by_username(username=user["username"])
    assert got.silenced_until == until
    listed = client.list_users(flag="silenced", limit=None)
    assert user["id"] in {u.id for u in listed}
    assert all(u.silenced for u in listed)
    client.lift(kind=Penalty.SILENCE, user_id=user["id"])
    assert not client.get_user(user_id=user["id"]).silenced


def test_user_list_pages_through_every_user_100_at_a_time(client, sandbox):
    users = client.list_users(flag="active", limit=None)
    real = [u for u in sandbox.users.values() if u["id"] > 0]
    assert len(users) == len(real) == 2600
    assert len({u.id for u in users}) == 2600
    pages = [parse_qs(r.query)["page"][0] for r in sandbox.calls.records()]
    assert pages == [str(n) for n in range(1, 28)]  # 26 full pages and one empty one


def test_list_users_stops_at_the_limit(client, sandbox):
    users = client.list_users(flag="active", limit=150)
    assert len(users) == 150
    assert sandbox.calls.count("GET", "/admin/users/list/active.json") == 2


def test_filter_email_and_status_flags(client, sandbox):
    target = a_member(sandbox)
    fragment = target["username"][:4]
    found = client.list_users(filter=fragment, limit=None)
    assert target["id"] in {u.id for u in found}
    emails = {u["id"]: u["email"] for u in sandbox.users.values()}
    assert all(
        fragment.lower() in u.username.lower() or fragment.lower() in emails[u.id].lower()
        for u in found
    )
    by_email = client.get_user_by_email(email=target["email"].upper())
    assert by_email is not None and by_email.id == target["id"]
    assert by_email.email and by_email.email.lower() == target["email"].lower()
    assert client.get_user_by_email(email="nobody@nowhere.invalid") is None
    suspended = client.list_users(flag="suspended", limit=None)
    expected = {u["id"] for u in sandbox.users.values() if u["id"] > 0 and sandbox.suspended(u)}
    assert {u.id for u in suspended} == expected and expected
    staff = client.list_users(flag="staff", limit=None)
    assert staff and all(u.staff for u in staff)
    with pytest.raises(ValueError):
        client.list_users(flag="everyone")


def test_user_record_fields(client, sandbox):
    seeded = sandbox.users[1]
    user = client.get_user(user_id=1)
    assert (user.username, user.admin, user.trust_level) == ("admin", True, 4)
    assert user.created_at is not None and user.created_at.tzinfo is not None
    assert user.post_count == seeded["post_count"]
    with pytest.raises(ForumNotFound):
        client.get_user(user_id=999_999)


def test_trust_level_activation_approval_and_log_out(client, sandbox):
    # Discourse approves only an active user who is not approved yet (Guardian#can_approve?).
    user = a_member(sandbox, trust_level=1, active=True, approved=False)
    client.set_trust_level(user_id=user["id"], level=3)
    assert client.get_user(user_id=user["id"]).trust_level == 3
    client.deactivate_user(user_id=user["id"])
    assert client.get_user(user_id=user["id"]).active is False
    client.activate_user(user_id=user["id"])
    assert client.get_user(user_id=user["id"]).active is True
    client.approve_user(user_id=user["id"])
    client.log_out(user_id=user["id"])
    assert sandbox.users[user["id"]]["approved"] is True
    with pytest.raises(ValueError):
        client.set_trust_level(user_id=user["id"], level=5)


def test_anonymize_gives_a_new_username(client, sandbox):
    user = a_member(sandbox)
    old_name = user["username"]
    new_name = client.anonymize_user(user_id=user["id"])
    assert new_name.startswith("anon") and new_name != old_name
    assert client.get_user(user_id=user["id"]).username == new_name


def test_delete_user_with_posts_needs_delete_posts(client, sandbox):
    # A poster staff may delete: a long-time poster (over 5 posts, first one older than
    # delete_user_max_post_age) cannot be deleted at all.
    user = next(u for u in sandbox.users.values() if u["id"] > 4 and 0 < u["post_count"] <= 5)
    with pytest.raises(ForumForbidden) as refused:
        client.delete_user(user_id=user["id"], delete_posts=False)
    assert "posts" in str(refused.value)
    client.delete_user(user_id=user["id"], delete_posts=True, block_email=True)
    with pytest.raises(ForumNotFound):
        client.get_user(user_id=user["id"])


def test_bulk_delete_splits_into_calls_of_100(client, sandbox):
    system = sandbox.users[-1]  # destroy-bulk refuses a whole batch holding one undeletable user
    deletable = [u for u in sandbox.users.values() if sandbox.can_delete_user(system, u)]
    ids = [u["id"] for u in deletable if u["id"] > 4][:250]
    result = client.delete_users(user_ids=ids)
    bodies = [r.body for r in sandbox.calls.records() if r.path == "/admin/users/destroy-bulk.json"]
    assert result.calls == 3 and sorted(result.deleted) == sorted(ids)
    assert [len(b["user_ids"]) for b in bodies] == [100, 100, 50]
    assert not set(ids) & set(sandbox.users)


# --- single-user moderation verbs (forums/people) ------------------------------------------
def test_permanent_suspend_and_silence_use_discourses_forever(client, sandbox):
    user = a_member(sandbox)
    client.penalise(kind=Penalty.SUSPEND, user_id=user["id"], until=None, reason="Ban evasion")
    client.penalise(kind=Penalty.SILENCE, user_id=user["id"], until=None, reason="Ban evasion")
    shown = client.get_user(user_id=user["id"])
    # Discourse's own "forever" is 1000 years ahead; it calls > 100 years "forever".
    assert shown.suspended_until.year >= datetime.now(UTC).year + 999
    assert shown.silenced_until.year >= datetime.now(UTC).year + 999


def test_find_users_lists_by_status_with_emails(client, sandbox):
    found = client.find_users(query="admin@example")
    assert [(u.username, u.email) for u in found] == [("admin", "admin@example.com")]
    for status in ("", "suspended", "silenced", "new", "staff"):
        client.find_users(status=status, limit=3)
    lists = [r.path for r in sandbox.calls.records()]
    assert lists == [f"/admin/users/list/{flag}.json" for flag in (
        "active", "active", "suspended", "silenced", "new", "staff")]  # fmt: skip
    # needed to group accounts by e-mail; Discourse logs it in the staff action log
    assert all(parse_qs(r.query)["show_emails"] == ["true"] for r in sandbox.calls.records())
    # "New" is joined in the last 30 days (as on NodeBB and UserEcho), not trust level 0.
    fresh = sandbox.add_person(username="fresh_face", email="fresh@example.net")
    veteran = a_member(sandbox)
    veteran["trust_level"], veteran["created_at"] = 0, datetime.now(UTC) - timedelta(days=900)
    since = datetime.now(UTC) - timedelta(days=30)  # before the client's own cutoff
    newcomers = client.find_users(status="new", limit=500)
    assert fresh in {u.id for u in newcomers} and all(u.created_at >= since for u in newcomers)
    assert veteran["id"] not in {u.id for u in newcomers}  # trust level 0, joined long ago
    assert client.find_users(limit=0) == []
    with pytest.raises(ValueError):
        client.find_users(status="pending")


def test_delete_account_can_block_email_and_ip(client, sandbox):
    from forums.clients.records import Capability

    assert client.supports(Capability.USER_DELETE_BLOCK)
    user = next(u for u in sandbox.users.values()
                if u["id"] > 4 and sandbox.can_delete_user(sandbox.users[-1], u))  # fmt: skip
    client.delete_user(user_id=user["id"], block_email=True, block_ip=True)
    assert user["id"] not in sandbox.users
    sent = sandbox.calls.records()[-1]
    assert sent.body == {"delete_posts": True, "block_email": True, "block_ip": True}


def test_user_details_show_groups_and_a_silence_in_force(client, sandbox):
    user = a_member(sandbox)
    assert client.user_details(user_id=user["id"]).history == ()
    until = datetime.now(UTC) + timedelta(days=1)
    client.penalise(kind=Penalty.SILENCE, user_id=user["id"], until=until, reason="Heated thread")
    details = client.user_details(user_id=user["id"])
    assert details.user.silenced and not details.history_offered
    [event] = details.history
    assert (event.kind, event.reason, event.by) == (Penalty.SILENCE, "Heated thread", "system")
    assert "trust_level_0" in details.groups  # an automatic group every account is in


def test_create_merge_delete_unused_tags(client, sandbox):
    client.create_tag(name="Ledger")
    assert "ledger" in {t.name for t in client.list_tags()}
    assert client.list_tag_topics(tag="ledger") == []
    topic = min(sandbox.topics)
    client.retag(topics=[ForumTopic(id=topic, title="")], add=["invoices"])
    client.merge_tag(name="invoices", into="ledger")
    names = {t.name: t.topic_count for t in client.list_tags()}
    assert "invoices" not in names and names["ledger"] == 1
    assert "ledger" in sandbox.topics[topic]["tags"]
    client.create_tag(name="never-used")
    client.delete_unused_tags()
    left = {t.name for t in client.list_tags()}
    assert "never-used" not in left and "ledger" in left


def test_a_running_backup_can_be_cancelled(client, sandbox):
    client.create_backup(with_uploads=False)
    assert client.backup_status().is_running
    client.cancel_backup()
    assert not client.backup_status().is_running
