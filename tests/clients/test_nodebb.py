"""NodeBBClient against the in-process NodeBB sandbox: what a dashboard user would notice."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import pytest

from forums.clients.errors import (
    CapabilityNotOffered,
    ForumNotFound,
    ForumReauthRequired,
    ForumRejected,
    ForumServerError,
    ForumTimeout,
    ForumUnauthorized,
)
from forums.clients.nodebb import NodeBBClient
from forums.clients.records import Capability, ForumGroup, ForumTopic, Penalty
from forums.sandbox.core import Faults, RunningSandbox
from forums.sandbox.nodebb import NodeBBSandbox, NodeBBSandboxConfig

TOKEN = "nodebb-user-token-1234"
MASTER = "nodebb-master-token-5678"


@pytest.fixture(scope="module")
def _server():
    app = NodeBBSandbox(NodeBBSandboxConfig(api_key=TOKEN, user_tokens={"member-token": 20}))
    with RunningSandbox(app) as running:
        yield running


@pytest.fixture(scope="module")
def _master_server():
    app = NodeBBSandbox(NodeBBSandboxConfig(api_key=MASTER, master_token=True))
    with RunningSandbox(app) as running:
        yield running


def _fresh(running):
    running.app.config.faults = Faults()
    running.app.calls.clear()
    running.app.reset()
    return running


@pytest.fixture
def sandbox(_server):
    return _fresh(_server)


@pytest.fixture
def master_sandbox(_master_server):
    return _fresh(_master_server)


def make_client(sb, *, token=TOKEN, uid="1", master=False, timeout=5.0) -> NodeBBClient:
    return NodeBBClient(
        base_url=sb.url,
        api_key=token,
        api_username=uid,
        master_token=master,
        timeout=timeout,
        allow_http_hosts=["127.0.0.1"],
    )


@pytest.fixture
def client(sandbox):
    with make_client(sandbox) as c:
        yield c


def plain_uid(sb) -> int:
    return next(
        uid
        for uid, u in sorted(sb.app.state.users.items())
        if uid > 2 and not u["banned"] and not u["mutedUntil"]
    )


# --- health -------------------------------------------------------------------------------
def test_health_check_reports_version_title_and_counts(client, sandbox):
    report = client.health_check()
    state = sandbox.app.state
    assert report.ok and report.is_admin
    assert report.version == "4.15.1"
    assert report.title == "Sandbox NodeBB"
    assert report.user_count == len(state.users)
    open_flags = sum(f["state"] == "open" for f in state.flags)
    assert report.review_count == open_flags + len(state.queue)  # the queue spans two pages


def test_bad_token_health_check_says_credentials_refused(sandbox):
    report = make_client(sandbox, token="not-the-token").health_check()
    assert report.reachable is True
    assert report.credentials_ok is False
    assert report.error_kind == "auth"
    assert "not-the-token" not in report.error


def test_member_token_health_check_says_not_admin(sandbox):
    report = make_client(sandbox, token="member-token").health_check()
    assert report.credentials_ok is True and report.is_admin is False
    assert report.error_kind == "not_admin"


# --- users --------------------------------------------------------------------------------
def test_ban_then_get_shows_banned_with_reason_and_until(client, sandbox):
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


def test_status_filters_find_banned_and_muted_users(client, sandbox):
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


# --- groups -------------------------------------------------------------------------------
def test_list_groups_includes_hidden_and_system_groups_across_pages(client, sandbox):
    groups = client.list_groups()
    names = {g.name for g in groups}
    assert {"administrators", "Support Team", "Beta Testers"} <= names
    assert not any(n.startswith("cid:") or n == "registered-users" for n in names)
    assert sandbox.app.calls.count("GET", "/api/admin/manage/groups") == 2
    support = next(g for g in groups if g.name == "Support Team")
    assert support.visible is False and support.user_count == 25
    assert next(g for g in groups if g.name == "administrators").automatic is True


def test_create_update_get_delete_group(client, sandbox):
    group = client.create_group(name="Moderator Trainees", description="New mods")
    assert group.slug == "moderator-trainees" and group.description == "New mods"
    assert group.visible is True
    client.update_group(key=group.key, description="Trainee moderators", visible=False)
    fetched = client.get_group(key=group.key)
    assert fetched.description == "Trainee moderators" and fetched.visible is False
    client.delete_group(key=group.key)
    with pytest.raises(ForumNotFound):
        client.get_group(key=group.key)


def test_group_members_are_paged(client, sandbox):
    members = client.list_group_members(key="beta-testers")
    expected = set(sandbox.app.state.groups["Beta Testers"]["members"])
    assert {m.id for m in members} == expected and len(members) == 45
    assert sandbox.app.calls.count("GET", "/api/v3/groups/beta-testers/members") == 3


def test_adding_n_members_makes_n_calls(client, sandbox):
    group = sandbox.app.state.groups["Gardeners"]
    new = [u for u in sorted(sandbox.app.state.users) if u > 2 and u not in group["members"]][:7]
    gardeners = client.get_group(key="gardeners")
    sandbox.app.calls.clear()
    change = client.add_members(group=gardeners, user_ids=new)
    assert change.added == tuple(str(u) for u in new) and change.calls == 7
    puts = [r for r in sandbox.app.calls.records() if r.method == "PUT"]
    assert [r.path for r in puts] == [f"/api/v3/groups/gardeners/membership/{u}" for u in new]
    assert set(new) <= set(group["members"])
    removed = client.remove_members(group=gardeners, user_ids=new[:2])
    assert removed.removed == (str(new[0]), str(new[1])) and not set(new[:2]) & set(
        group["members"]
    )


def test_unknown_users_are_skipped(client, sandbox):
    translators = client.get_group(key="translators")
    change = client.add_members(group=translators, user_ids=[2, 99999])
    assert change.added == ("2",)
    # ENDPOINTS.md "call by call": an unknown uid is 401 "Invalid User ID": not a member to
    # skip, a user the forum does not have
    assert set(change.missing) == {"99999"} and not change.skipped
    assert 2 in sandbox.app.state.groups["Translators"]["members"]


def test_administrators_membership_raises_reauth_with_a_clear_message(client, sandbox):
    with pytest.raises(ForumReauthRequired) as info:
        client.add_members(group=ForumGroup(id="administrators", name="administrators",
                                            slug="administrators"), user_ids=[5])  # fmt: skip
    assert "API token" in str(info.value) and "administrators" in str(info.value)
    assert 5 not in sandbox.app.state.groups["administrators"]["members"]


def test_a_bad_token_on_a_reauth_route_is_not_mistaken_for_reauth(sandbox):
    with pytest.raises(ForumUnauthorized) as info:
        make_client(sandbox, token="wrong").add_members(
            group=ForumGroup(id="administrators", name="administrators", slug="administrators"),
            user_ids=[5],
        )
    assert not isinstance(info.value, ForumReauthRequired)


# --- tags ---------------------------------------------------------------------------------
def test_tags_with_counts_and_topic_retagging(client, sandbox):
    tags = {t.name: t.topic_count for t in client.list_tags()}
    state = sandbox.app.state
    assert tags["help"] == sum("help" in t["tags"] for t in state.topics.values())
    assert client.set_topic_tags(topic_id=1, tags=["Docker", "upgrade"]) == ("docker", "upgrade")
    assert client.add_topic_tags(topic_id=1, tags=["nginx"]) == ("docker", "upgrade", "nginx")
    client.clear_topic_tags(topic_id=1)
    assert state.topics[1]["tags"] == []
    topic = ForumTopic(id=1, title="", tags=())
    assert client.retag(topics=[topic], add=["help"]) == [1]
    assert state.topics[1]["tags"] == ["help"]
    client.retag(topics=[ForumTopic(id=1, title="", tags=("help",))], remove=["help"], add=["faq"])
    assert state.topics[1]["tags"] == ["faq"]
    client.retag(topics=[topic], replace=[])
    assert state.topics[1]["tags"] == []


def test_topics_for_a_tag_walk_every_page(client, sandbox):
    topics = client.list_tag_topics(tag="help")
    expected = {tid for tid, t in sandbox.app.state.topics.items() if "help" in t["tags"]}
    assert {t.id for t in topics} == expected and len(expected) > 20
    assert all("help" in t.tags for t in topics)
    assert sandbox.app.calls.count("GET", "/api/tags/help") == 2


def test_missing_capabilities_raise_not_offered_without_any_call(client, sandbox):
    for call in (
        lambda: client.rename_tag(name="help", new_name="support"),
        lambda: client.delete_tag(name="help"),
        lambda: client.create_tag(name="new"),
        lambda: client.merge_tag(name="help", into="faq"),
        client.delete_unused_tags,
        client.list_tag_groups,
        client.list_backups,
        client.create_backup,
        client.backup_status,
        lambda: client.list_events(start=datetime.now(UTC), end=datetime.now(UTC)),
        lambda: client.log_out(user_id=5),
    ):
        with pytest.raises(CapabilityNotOffered):
            call()
    assert not client.supports(Capability.BACKUPS)
    assert not client.supports(Capability.GROUP_BATCH_MEMBERS)
    assert sandbox.app.calls.records() == []


# --- the platform-neutral verbs the bulk actions use ----------------------------------------
def test_neutral_verbs_map_to_ban_mute_delete_and_membership(client, sandbox):
    state = sandbox.app.state
    target = state.users[plain_uid(sandbox)]
    found = client.resolve_users(targets=[target["username"].upper(), "admin", "ghost", "2"])
    assert set(found) == {target["username"].lower(), "admin", "2"}
    assert found["admin"].admin and found["2"].username == "moderator"
    client.penalise(kind=Penalty.SUSPEND, user_id=target["uid"], until=datetime(2099, 1, 1),
                    reason="spam")  # naive  # fmt: skip
    resolved = client.resolve_users(targets=[target["username"]])
    assert resolved[target["username"].lower()].suspended
    client.penalise(kind=Penalty.SILENCE, user_id=target["uid"],
                    until=datetime.now(UTC) + timedelta(days=1), reason="x")  # fmt: skip
    assert state.users[target["uid"]]["mutedUntil"] > time.time() * 1000
    group = client.get_group(key="Beta Testers")
    assert group.slug == "beta-testers"
    before = client.group_member_ids(group=group)
    newcomer = next(u for u in sorted(state.users) if u > 2 and u not in before)
    assert client.add_members(group=group, user_ids=[newcomer]).added == (str(newcomer),)
    assert newcomer in client.group_member_ids(group=group)
    assert client.delete_users(user_ids=[newcomer]).deleted == (newcomer,)
    assert newcomer not in state.users


# --- master token, secrets, failures -------------------------------------------------------
def test_master_token_sends_uid_in_the_query_never_in_bodies(master_sandbox):
    client = make_client(master_sandbox, token=MASTER, uid="1", master=True)
    uid = plain_uid(master_sandbox)
    client.penalise(kind=Penalty.SUSPEND, user_id=uid, until=None, reason="spam")
    client.list_users(status="banned")
    client.add_members(group=client.get_group(key="translators"), user_ids=[uid])
    assert client.health_check().ok
    records = master_sandbox.app.calls.records()
    assert records and all(parse_qs(r.query).get("_uid") == ["1"] for r in records)
    assert all("_uid" not in (r.body or {}) for r in records)
    assert master_sandbox.app.state.users[uid]["banned"]


def test_master_token_without_uid_is_explained(master_sandbox):
    client = make_client(master_sandbox, token=MASTER, uid="", master=False)
    with pytest.raises(ForumRejected, match="master token"):
        client.get_user(user_id=1)


def test_token_only_travels_in_the_authorization_header(client, sandbox):
    client.penalise(kind=Penalty.SUSPEND, user_id=plain_uid(sandbox), until=None, reason="spam")
    client.list_users(status="banned")
    for record in sandbox.app.calls.records():
        assert TOKEN not in record.query and TOKEN not in str(record.body)
    assert TOKEN not in repr(client)


def test_injected_5xx_raises_server_error(client, sandbox):
    sandbox.app.config.faults.error_rate = 1.0
    with pytest.raises(ForumServerError) as info:
        client.get_user(user_id=1)
    assert info.value.status == 502
    sandbox.app.config.faults.error_rate = 0.0
    sandbox.app.config.faults.outage_for(30)
    with pytest.raises(ForumServerError) as info:
        client.list_groups()
    assert info.value.status == 503


def test_slow_forum_times_out(sandbox):
    sandbox.app.config.faults.latency_ms = 400
    with pytest.raises(ForumTimeout, match="did not answer within"):
        make_client(sandbox, timeout=0.1).get_user(user_id=1)


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


# --- what a real NodeBB 4.15.1 answers (ENDPOINTS.md "call by call") ------------------------
def test_unban_and_unmute_without_a_reason_send_an_empty_json_body(client, sandbox):
    # The sandbox, like NodeBB 4.15.1, refuses a body-less DELETE (400 "Cannot read properties
    # of undefined (reading 'reason')") and the user stays banned: the client sends `{}`.
    uid = plain_uid(sandbox)
    state = sandbox.app.state.users[uid]
    client.penalise(kind=Penalty.SUSPEND, user_id=uid, until=None, reason="spam")
    client.penalise(kind=Penalty.SILENCE, user_id=uid,
                    until=datetime.now(UTC) + timedelta(days=1), reason="heat")  # fmt: skip
    sandbox.app.calls.clear()
    client.lift(kind=Penalty.SUSPEND, user_id=uid)
    client.lift(kind=Penalty.SILENCE, user_id=uid, reason="Calmer now")
    sent = [(r.method, r.path, r.body, r.status) for r in sandbox.app.calls.records()]
    assert sent == [
        ("DELETE", f"/api/v3/users/{uid}/ban", {}, 200),
        ("DELETE", f"/api/v3/users/{uid}/mute", {"reason": "Calmer now"}, 200),
    ]
    assert not state["banned"] and not state["mutedUntil"]
    user = client.get_user(user_id=uid)
    assert not user.suspended and not user.silenced


def test_a_body_less_unban_is_what_the_sandbox_refuses(sandbox):
    # The rule the test above depends on, seen from outside the client: without a body or a
    # ?reason= the forum answers 400 and the ban stays.
    import requests

    uid = plain_uid(sandbox)
    sandbox.app.state.users[uid]["banned"] = True
    answer = requests.delete(
        f"{sandbox.url}/api/v3/users/{uid}/ban",
        headers={"Authorization": f"Bearer {TOKEN}", "User-Agent": "Forumdeck-test"},
        timeout=5,
    )
    assert answer.status_code == 400 and "reading 'reason'" in answer.text
    assert sandbox.app.state.users[uid]["banned"]


def test_moderation_history_shows_an_unban_as_an_unban(client, sandbox):
    uid = plain_uid(sandbox)
    until = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    client.penalise(kind=Penalty.SUSPEND, user_id=uid, until=until, reason="Spam links")
    client.lift(kind=Penalty.SUSPEND, user_id=uid, reason="Appeal accepted")
    client.penalise(kind=Penalty.SILENCE, user_id=uid, until=until, reason="Heated")
    client.lift(kind=Penalty.SILENCE, user_id=uid)
    history = client.user_details(user_id=uid).history
    newest = {(e.kind, e.lifted): e for e in reversed(history)}
    unban = newest[(Penalty.SUSPEND, True)]
    ban = newest[(Penalty.SUSPEND, False)]
    # NodeBB records an unban as an entry of its own with "expire": null; read without its
    # `type` it was a permanent ban.
    assert unban.until is None and unban.reason == "Appeal accepted" and unban.by == "admin"
    assert ban.until == until and ban.reason == "Spam links"
    assert newest[(Penalty.SILENCE, True)].until is None
    assert newest[(Penalty.SILENCE, False)].until == until
    # `timestamp` is a string of milliseconds: parsed, and in order (newest first)
    assert all(e.at is not None and e.at.tzinfo is not None for e in history)
    assert [e.at for e in history] == sorted((e.at for e in history), reverse=True)
    assert not client.get_user(user_id=uid).suspended


def test_a_banned_users_reason_is_the_ban_in_force_not_an_earlier_unban(client, sandbox):
    uid = plain_uid(sandbox)
    client.penalise(kind=Penalty.SUSPEND, user_id=uid, until=None, reason="First time")
    client.lift(kind=Penalty.SUSPEND, user_id=uid, reason="Forgiven")
    client.penalise(kind=Penalty.SUSPEND, user_id=uid, until=None, reason="Second time")
    assert client.get_user(user_id=uid).suspend_reason == "Second time"


def test_health_check_judges_the_token_by_api_self_not_api_config(sandbox):
    # /api/config answers a bad token with the guest config (200); /api/self answers 401 with
    # the bare string "not-authorized".
    report = make_client(sandbox, token="no-such-token").health_check()
    assert report.reachable and report.credentials_ok is False and report.error_kind == "auth"
    assert "refused the API token" in report.error
    assert report.title == "Sandbox NodeBB"  # the guest config still said which forum it is
    self_calls = [r for r in sandbox.app.calls.records() if r.path == "/api/self"]
    assert [r.status for r in self_calls] == [401]


def test_a_master_token_used_without_a_uid_is_explained(master_sandbox):
    # Sent as a user token, NodeBB answers the read API with a 500 error page carrying
    # [[error:api.master-token-no-uid]]: the report says what to change, without brackets.
    report = make_client(master_sandbox, token=MASTER, uid="", master=False).health_check()
    assert report.reachable and report.credentials_ok is False and report.error_kind == "auth"
    assert "master token" in report.error and "uid" in report.error and "[[" not in report.error
    # Marked as a master token but without a uid: refused before anything is sent.
    master_sandbox.app.calls.clear()
    no_uid = make_client(master_sandbox, token=MASTER, uid="", master=True)
    assert "uid" in no_uid.health_check().error
    with pytest.raises(ForumUnauthorized, match="uid"):
        no_uid.get_user(user_id=1)
    assert master_sandbox.app.calls.records() == []


def test_untranslated_language_keys_become_plain_words():
    from forums.clients.nodebb.base import language_key, plain_words

    known = plain_words("[[error:cant-delete-other-admins]]")
    assert known.startswith("NodeBB does not let anyone delete an administrator")
    assert plain_words("[[error:some-new-thing]]") == "Some new thing"
    assert plain_words("[[error:user-too-new, 10]]") == "User too new (10)"
    assert plain_words("Failed: [[error:no-user]]") == "Failed: NodeBB has no such user."
    assert plain_words("You can't ban other admins!") == "You can't ban other admins!"
    assert language_key("[[error:cant-delete-other-admins]]") == "cant-delete-other-admins"
    assert language_key("Invalid User ID") == ""


def test_membership_of_administrators_is_refused_before_anything_is_sent(client, sandbox):
    group = client.get_group(key="administrators")
    refusal = client.membership_refusal(group=group)
    assert "not possible with an API token" in refusal
    assert client.membership_refusal(group=client.get_group(key="translators")) == ""


# --- resolving many targets: the ACP list read whole, or one search each --------------------
@pytest.fixture(scope="module")
def _big_server():
    app = NodeBBSandbox(NodeBBSandboxConfig(api_key=TOKEN, users=1600))  # 4 pages of 500
    with RunningSandbox(app) as running:
        yield running


@pytest.fixture
def big(_big_server):
    return _fresh(_big_server)


def oldest_first(sb) -> list[dict]:
    return sorted(sb.app.state.users.values(), key=lambda u: (u["joindate"], str(u["uid"])))


def list_reads(sb) -> list:
    return [c for c in sb.app.calls.records() if c.path == "/api/admin/manage/users"]


def test_resolving_many_reads_the_whole_list_500_a_call(big):
    # Only confirmed addresses resolve (ENDPOINTS.md, Users / get by email).
    users = [u for u in oldest_first(big) if u["email_confirmed"]]
    picks = users[10:1400:35]  # on every page
    targets = [u["username"].upper() for u in picks[:20]] + [u["email"] for u in picks[20:30]]
    targets += [str(u["uid"]) for u in picks[30:]] + ["no_such_person", "nobody@example.org"]
    found = make_client(big).resolve_users(targets=targets)
    assert set(found) == {t.lower() for t in targets[:-2]}
    assert all(found[t.lower()].matches(t.lower()) for t in targets[:-2])
    reads = list_reads(big)
    assert len(big.app.calls.records()) == len(reads) == 4
    assert all(parse_qs(c.query)["resultsPerPage"] == ["500"] for c in reads)
    assert all(parse_qs(c.query)["sortBy"] == ["joindate"] for c in reads)


def test_resolving_a_few_on_a_big_forum_searches_them(big):
    newest = oldest_first(big)[-2:]  # on the last page
    client = make_client(big)
    found = client.resolve_users(targets=[u["username"] for u in newest])
    assert {u.id for u in found.values()} == {u["uid"] for u in newest}
    # The first page says the forum has 4: three more pages cost more than two searches.
    calls = big.app.calls.records()
    assert len(calls) == 3 and "query" not in parse_qs(calls[0].query)
    assert [parse_qs(c.query)["query"] for c in calls[1:]] == [[u["username"]] for u in newest]
    big.app.calls.clear()
    # The same client knows the forum's size now: straight to the searches.
    client.resolve_users(targets=[u["username"] for u in newest])
    assert all("query" in parse_qs(c.query) for c in big.app.calls.records())


def test_a_user_deleted_while_the_list_is_read_does_not_hide_another(big, monkeypatch):
    users = oldest_first(big)
    target = users[500]  # the first of page 2
    client = make_client(big)
    read = client._read_list

    def read_then_delete(path, params):
        payload = read(path, params)
        if ("page", 1) in params and users[3]["uid"] in big.app.state.users:
            del big.app.state.users[users[3]["uid"]]  # page 1 loses one: page 2 moves up
        return payload

    monkeypatch.setattr(client, "_read_list", read_then_delete)
    others = [u["username"] for u in users[1000:1500:100]]
    found = client.resolve_users(targets=[target["username"], *others])
    # Passed over by the list (it moved to page 1), then found by a search of its own.
    assert found[target["username"].lower()].id == target["uid"]
    assert {o.lower() for o in others} <= set(found)
    searches = [c for c in list_reads(big) if "query" in parse_qs(c.query)]
    assert [parse_qs(c.query)["query"] for c in searches] == [[target["username"].lower()]]
