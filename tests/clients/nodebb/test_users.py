"""The NodeBB client against the sandbox NodeBB: finding, reading and moderating users."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import pytest

from forums.clients.errors import (
    ForumNotFound,
    ForumRejected,
)
from forums.clients.records import Capability, Penalty

from .helpers import (  # noqa: F401 - the config of this module's sandbox
    MASTER,
    MASTER_CONFIG,
    SANDBOX_CONFIG,
    TOKEN,
    _fresh,
    make_client,
    plain_uid,
)

pytestmark = pytest.mark.every_release  # each verb against each release the sandbox plays


# --- users --------------------------------------------------------------------------------
# the reason and muted filter as 4.11/4.12 read them; 3.12: test_releases.py
@pytest.mark.parametrize("nodebb_release", ["4.15"])
def test_ban_then_get_shows_banned_with_reason_and_until(client, sandbox, nodebb_release):
    uid = plain_uid(sandbox)
    until = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    client.penalise(kind=Penalty.SUSPEND, user_id=uid, until=until, reason="Spam links")
    user = client.get_user(user_id=uid)
    assert user.suspended and user.suspend_reason == "Spam links"
    assert user.suspended_until == until
    client.lift(kind=Penalty.SUSPEND, user_id=uid, reason="Appeal accepted")
    assert client.get_user(user_id=uid).suspended is False
    unban = [r for r in sandbox.app.calls.records() if r.method == "DELETE"][-1]
    assert parse_qs(unban.query)["reason"] == ["Appeal accepted"]


def test_permanent_ban_has_no_end(client, sandbox):
    uid = plain_uid(sandbox)
    client.penalise(kind=Penalty.SUSPEND, user_id=uid, until=None, reason="Ban evasion")
    user = client.get_user(user_id=uid)
    assert user.suspended and user.suspended_until is None
    assert user.suspend_reason == "Ban evasion"


def test_mute_then_unmute(client, sandbox):
    uid = plain_uid(sandbox)
    until = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=6)
    client.penalise(kind=Penalty.SILENCE, user_id=uid, until=until, reason="Cool off")
    user = client.get_user(user_id=uid)
    assert user.silenced and user.silenced_until == until and user.silence_reason == "Cool off"
    client.lift(kind=Penalty.SILENCE, user_id=uid)
    assert client.get_user(user_id=uid).silenced is False


def test_naive_datetimes_are_taken_as_utc_and_a_permanent_mute_is_refused(client, sandbox):
    client.penalise(kind=Penalty.SUSPEND, user_id=5, until=datetime(2030, 1, 1), reason="r")
    sent = sandbox.app.calls.records()[-1].body
    assert sent["until"] == int(datetime(2030, 1, 1, tzinfo=UTC).timestamp() * 1000)
    sandbox.app.calls.clear()
    with pytest.raises(ValueError):
        client.penalise(kind=Penalty.SILENCE, user_id=5, until=None, reason="r")
    assert sandbox.app.calls.records() == []


def test_admins_cannot_be_banned_and_the_forum_says_why(client):
    with pytest.raises(ForumRejected, match="can't ban other admins"):
        client.penalise(kind=Penalty.SUSPEND, user_id=1, until=None, reason="test")


def test_listing_users_walks_every_page(client, sandbox):
    users = client.list_users()
    assert len(users) == len(sandbox.app.state.users) == 120
    assert len({u.id for u in users}) == 120
    assert sandbox.app.calls.count("GET", "/api/admin/manage/users") == 2  # 100 per page
    admin = next(u for u in users if u.id == 1)
    assert admin.admin and admin.profile_url.endswith("/user/admin")
    assert admin.created_at.tzinfo is not None


# the reason and muted filter as 4.11/4.12 read them; 3.12: test_releases.py
@pytest.mark.parametrize("nodebb_release", ["4.15"])
def test_status_filters_find_banned_and_muted_users(client, sandbox, nodebb_release):
    state = sandbox.app.state
    banned = {u.id for u in client.list_users(status="banned")}
    assert banned == {uid for uid, u in state.users.items() if u["banned"]}
    muted = client.list_users(status="muted")
    now_ms = time.time() * 1000
    assert {u.id for u in muted} == {uid for uid, u in state.users.items()
                                     if u["mutedUntil"] > now_ms}  # fmt: skip
    assert all(u.silenced and u.silenced_until for u in muted)


def test_search_by_username_and_email(client, sandbox):
    target = sandbox.app.state.users[plain_uid(sandbox)]
    found = client.search_users(query=target["username"][:4])
    assert target["uid"] in {u.id for u in found}
    by_email = client.search_users(query=target["email"], search_by="email")
    assert [u.id for u in by_email] == [target["uid"]]
    with pytest.raises(ValueError):
        client.search_users(query="x", search_by="password")


def test_get_by_username_and_confirmed_email_only(client, sandbox):
    state = sandbox.app.state
    user = client.get_user_by_username(username="moderator")
    assert user.id == 2
    confirmed = next(u for u in state.users.values() if u["email_confirmed"] and u["uid"] > 2)
    assert client.get_user_by_email(email=confirmed["email"]).id == confirmed["uid"]
    pending = next(u for u in state.users.values() if not u["email_confirmed"])
    with pytest.raises(ForumNotFound):
        client.get_user_by_email(email=pending["email"])
    with pytest.raises(ForumNotFound):
        client.get_user(user_id=99999)


def test_delete_account_content_and_both(client, sandbox):
    state = sandbox.app.state
    authors = sorted({t["uid"] for t in state.topics.values() if t["uid"] > 2})
    a, b, c = authors[:3]
    client.delete_content(user_id=a)
    assert a in state.users and not any(t["uid"] == a for t in state.topics.values())
    client.delete_user(user_id=b, delete_posts=False)
    assert b not in state.users and any(t["uid"] == b for t in state.topics.values())
    client.delete_user(user_id=c)
    assert c not in state.users and not any(t["uid"] == c for t in state.topics.values())
    with pytest.raises(ForumRejected) as refused:
        client.delete_user(user_id=1)
    # ENDPOINTS.md "call by call": NodeBB answers `[[error:cant-delete-other-admins]]`
    # untranslated; the person at the dashboard reads plain words, the code keeps the key.
    assert "does not let anyone delete an administrator" in str(refused.value)
    assert "[[" not in str(refused.value) and refused.value.code == "cant-delete-other-admins"


def test_bulk_delete_is_one_call_and_one_admin_fails_it_all(client, sandbox):
    users = sandbox.app.state.users
    victims = [u for u in sorted(users) if u > 2][:5]
    assert client.delete_users(user_ids=victims).deleted == tuple(victims)
    assert not any(v in users for v in victims)
    deletes = [r for r in sandbox.app.calls.records() if r.method == "DELETE"]
    assert [r.path for r in deletes] == ["/api/v3/users/"]
    assert deletes[-1].body == {"uids": victims}


def test_bulk_delete_with_an_admin_deletes_the_others_and_names_the_admin(client, sandbox):
    # ENDPOINTS.md "call by call": one admin uid fails the whole bulk DELETE (400, untranslated
    # key): the client splits the batch so everyone else is deleted.
    users = sandbox.app.state.users
    victims = [u for u in sorted(users) if u > 2][:9]
    result = client.delete_users(user_ids=[*victims[:4], 1, *victims[4:]])
    assert sorted(result.deleted) == sorted(victims)
    assert set(result.refused) == {1} and 1 in users
    assert "does not let anyone delete an administrator" in result.refused[1]
    assert not any(v in users for v in victims)
    deletes = [r for r in sandbox.app.calls.records() if r.method == "DELETE"]
    assert result.calls == len(deletes) <= 8  # bounded: halves, then one by one


def test_bulk_delete_of_a_user_gone_meanwhile_reports_them_missing(client, sandbox):
    users = sandbox.app.state.users
    victims = [u for u in sorted(users) if u > 2][:4]
    result = client.delete_users(user_ids=[*victims, 99999])
    assert sorted(result.deleted) == sorted(victims) and result.missing == (99999,)
    assert not result.refused


# --- single-user moderation verbs (forums/people) ------------------------------------------
def test_neutral_suspend_without_until_bans_permanently(client, sandbox):
    uid = plain_uid(sandbox)
    client.penalise(kind=Penalty.SUSPEND, user_id=uid, until=None, reason="Ban evasion")
    body = sandbox.app.calls.records()[-1].body
    assert body == {"until": 0, "reason": "Ban evasion"}
    user = client.get_user(user_id=uid)
    assert user.suspended and user.suspended_until is None


def test_delete_account_picks_the_route_and_ignores_block_flags(client, sandbox):
    assert not client.supports(Capability.USER_DELETE_BLOCK)
    state = sandbox.app.state
    authors = sorted({t["uid"] for t in state.topics.values() if t["uid"] > 2})
    keep_posts, with_posts, content_only = authors[:3]
    client.delete_user(user_id=keep_posts, delete_posts=False, block_email=True)
    client.delete_user(user_id=with_posts, block_ip=True)
    client.delete_content(user_id=content_only)
    sent = [(r.method, r.path, r.body) for r in sandbox.app.calls.records()]
    assert sent == [
        ("DELETE", f"/api/v3/users/{keep_posts}/account", None),
        ("DELETE", f"/api/v3/users/{with_posts}", None),
        ("DELETE", f"/api/v3/users/{content_only}/content", None),
    ]
    assert keep_posts not in state.users and with_posts not in state.users
    assert content_only in state.users
    assert any(t["uid"] == keep_posts for t in state.topics.values())
    assert not any(t["uid"] in (with_posts, content_only) for t in state.topics.values())


def test_find_users_new_is_the_last_30_days_newest_first(client, sandbox):
    sandbox.app.add_person(username="fresh_face", email="fresh@example.org")
    found = client.find_users(status="new")
    assert [u.username for u in found] == ["fresh_face"]
    query = parse_qs(sandbox.app.calls.records()[-1].query)
    assert query["sortBy"] == ["joindate"] and query["sortDirection"] == ["desc"]
    with pytest.raises(ValueError):
        client.find_users(status="banned")


def test_user_details_without_moderation_view_offer_no_history(sandbox):
    member = make_client(sandbox, token="member-token")
    details = member.user_details(user_id=plain_uid(sandbox))
    assert details.history_offered is False and details.history == ()
    assert details.user.username
