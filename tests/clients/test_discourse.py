"""DiscourseClient against the in-process Discourse sandbox (and `responses` for broken servers)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import pytest
import responses

from forums.clients.discourse import (
    DiscourseClient,
    DiscourseGroupUpdateNeedsChoice,
    DiscourseOperationRunning,
)
from forums.clients.errors import (
    ForumBadResponse,
    ForumForbidden,
    ForumNotAForum,
    ForumNotFound,
    ForumRateLimited,
    ForumRejected,
    ForumServerError,
    ForumTimeout,
    ForumUnauthorized,
)
from forums.clients.records import ForumGroup, ForumTopic, Penalty
from forums.sandbox.core import RunningSandbox, SandboxConfig
from forums.sandbox.discourse import DiscourseSandbox

KEY = "sandbox-key-0123456789"


@pytest.fixture(scope="module")
def server():
    app = DiscourseSandbox(
        SandboxConfig(api_key=KEY, users=2600, admin_requests_per_minute=1_000_000)
    )
    with RunningSandbox(app) as running:
        yield running


@pytest.fixture
def sandbox(server) -> DiscourseSandbox:
    app: DiscourseSandbox = server.app  # type: ignore[assignment]
    app.reset()
    app.calls.clear()
    app.legacy_tag_ids = False
    app.config.faults.latency_ms = 0
    app.config.faults.error_rate = 0
    app.config.faults.outage_until = 0
    return app


def make_client(url: str, key: str = KEY, **kwargs) -> DiscourseClient:
    return DiscourseClient(
        base_url=url,
        api_key=key,
        api_username="system",
        allow_http_hosts=["127.0.0.1"],
        timeout=kwargs.pop("timeout", 5),
        **kwargs,
    )


@pytest.fixture
def client(server, sandbox) -> DiscourseClient:
    with make_client(server.url) as c:
        yield c


def a_member(sandbox: DiscourseSandbox, **wanted) -> dict:
    """A seeded regular user matching ``wanted`` (not staff, not penalised)."""
    for user in sandbox.users.values():
        if (
            user["id"] > 4
            and not sandbox.suspended(user)
            and not sandbox.silenced(user)
            and all(user[k] == v for k, v in wanted.items())
        ):
            return user
    raise AssertionError(f"no seeded user with {wanted}")


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


# --- groups -----------------------------------------------------------------------------------
def test_list_groups_walks_every_page(client, sandbox):
    for n in range(40):
        client.create_group(name=f"cohort-{n:02d}")
    groups = client.list_groups()
    names = {g.name for g in groups}
    assert len(groups) == len(sandbox.groups) > 36
    assert {"trust_level_0", "beta-testers", "cohort-39"} <= names
    assert sandbox.calls.count("GET", "/groups.json") == 2
    auto = next(g for g in groups if g.name == "trust_level_0")
    assert auto.automatic


def test_group_create_get_update_delete(client, sandbox):
    created = client.create_group(
        name="release-crew", full_name="Release crew", description="Ships things"
    )
    client.add_members(group=created, user_ids=[1])
    assert created.id and client.get_group(key="release-crew").user_count == 1
    got = client.get_group(key="release-crew")
    assert (got.full_name, got.description) == ("Release crew", "Ships things")
    updated = client.update_group(key="release-crew", name="release-team", full_name="Release team")
    by_id = client.get_group_by_id(group_id=created.id)
    assert (by_id.name, by_id.full_name) == ("release-team", "Release team") == (
        updated.name, updated.full_name)  # fmt: skip
    client.delete_group(key="release-team")
    with pytest.raises(ForumNotFound):
        client.get_group(key="release-team")


def test_group_update_touching_notification_defaults_needs_a_choice(client, sandbox):
    group = client.get_group(key="beta-testers")
    with pytest.raises(DiscourseGroupUpdateNeedsChoice) as needs:
        client.update_group(key=group.key, default_notification_level=1)
    assert needs.value.user_count == group.user_count == 40
    client.update_group(key=group.key, default_notification_level=1, update_existing_users=False)
    assert sandbox.groups[group.id]["default_notification_level"] == 1


def test_adding_2500_members_takes_three_calls(client, sandbox):
    group = client.create_group(name="big-cohort")
    ids = [u["id"] for u in sandbox.users.values() if u["id"] > 0][:2500]
    sandbox.calls.clear()
    change = client.add_members(group=group, user_ids=ids)
    puts = [r for r in sandbox.calls.records() if r.method == "PUT"]
    assert change.calls == 3 and len(puts) == 3
    assert all(r.status == 200 for r in puts)
    assert [len(r.body["user_ids"].split(",")) for r in puts] == [1000, 1000, 500]
    assert len(change.added) == 2500 and not change.skipped
    members = client.list_group_members(key="big-cohort")
    assert len({m.id for m in members}) == 2500
    assert sandbox.calls.count("GET", "/groups/big-cohort/members.json") == 3


def test_adding_existing_members_is_skipped_not_an_error(client, sandbox):
    group = client.get_group(key="support-team")
    current = [m.id for m in client.list_group_members(key="support-team")]
    change = client.add_members(group=group, user_ids=current)
    assert change.skipped == tuple(str(i) for i in current) and not change.added
    assert change.calls == 1
    newcomer = a_member(sandbox)
    mixed = client.add_members(group=group, user_ids=[newcomer["id"], 987654])
    assert mixed.added == (newcomer["username"],)  # the unknown id is dropped by the forum


def test_members_by_id_and_email_and_removal(client, sandbox):
    group = client.create_group(name="by-id")
    users = [u for u in sandbox.users.values() if u["id"] > 4][:5]
    outsider = [u for u in sandbox.users.values() if u["id"] > 4][5]
    client.add_members(group=group, user_ids=[u["id"] for u in users[:3]])
    client.add_members(group=group, user_ids=[u["id"] for u in users[3:]])
    assert set(sandbox.groups[group.id]["members"]) == {u["id"] for u in users}
    removed = client.remove_members(group=group, user_ids=[users[0]["id"], outsider["id"]])
    assert removed.removed == (users[0]["username"],)
    assert removed.skipped == (outsider["username"],)
    client.remove_members(group=group, user_ids=[u["id"] for u in users[1:]])
    assert client.get_group_by_id(group_id=group.id).user_count == 0


def test_automatic_group_membership_cannot_change(client, sandbox):
    automatic = client.get_group_by_id(group_id=10)
    assert automatic.automatic
    sandbox.calls.clear()
    for change in (client.add_members, client.remove_members):
        with pytest.raises(ForumRejected) as refused:
            change(group=automatic, user_ids=[1])
        assert "automatic group" in str(refused.value) and "Discourse" in str(refused.value)
    assert sandbox.calls.records() == []  # refused before anything is sent
    # A group the page thought was ordinary: Discourse's own 403 (ENDPOINTS.md rules).
    stale = ForumGroup(id=10, name=automatic.name, slug=automatic.slug)
    with pytest.raises(ForumForbidden):
        client.add_members(group=stale, user_ids=[1])


# --- tags ---------------------------------------------------------------------------------------
def test_tags_with_counts_in_both_shapes(client, sandbox):
    tags = {t.name: t for t in client.list_tags()}
    expected = sum(1 for t in sandbox.topics.values() if "bug" in t["tags"])
    assert tags["bug"].topic_count == expected > 0
    assert isinstance(tags["bug"].id, int)
    sandbox.legacy_tag_ids = True
    legacy = {t.name: t for t in client.list_tags()}
    assert legacy.keys() == tags.keys()
    assert legacy["bug"].topic_count == expected and legacy["bug"].id == "bug"


def test_rename_and_delete_tag(client, sandbox):
    topic_ids = {t.id for t in client.list_tag_topics(tag="android")}
    client.rename_tag(name="android", new_name="android-app")
    assert {t.id for t in client.list_tag_topics(tag="android-app")} == topic_ids
    platforms = next(g for g in client.list_tag_groups() if g.name == "Platforms")
    assert "android-app" in platforms.tag_names
    with pytest.raises(ForumRejected):
        client.rename_tag(name="ios", new_name="web")
    client.delete_tag(name="android-app")
    assert "android-app" not in {t.name for t in client.list_tags()}
    with pytest.raises(ForumNotFound):
        client.list_tag_topics(tag="android-app")


def test_retag_replace_and_append_then_page_through_topics(client, sandbox):
    ids = sorted(sandbox.topics)[:70]
    topics = [ForumTopic(id=i, title="") for i in ids]
    changed = client.retag(topics=topics, replace=["campaign-2026"])
    assert changed == ids
    assert all(sandbox.topics[i]["tags"] == ["campaign-2026"] for i in ids)
    client.retag(topics=topics[:5], add=["urgent"])
    assert sandbox.topics[ids[0]]["tags"] == ["campaign-2026", "urgent"]
    tagged = client.list_tag_topics(tag="urgent")
    client.retag(topics=tagged, remove=["campaign-2026"])
    assert all(sandbox.topics[i]["tags"] == ["urgent"] for i in ids[:5])
    client.retag(topics=tagged, add=["campaign-2026"])
    sandbox.calls.clear()
    listed = client.list_tag_topics(tag="campaign-2026")
    assert sorted(t.id for t in listed) == ids
    assert sandbox.calls.count("GET", "/tag/campaign-2026.json") == 3  # 30 + 30 + 10
    assert client.list_tag_topics(tag="campaign-2026", limit=5).__len__() == 5
    client.retag(topics=topics[:1], replace=[])
    assert sandbox.topics[ids[0]]["tags"] == []


def test_tag_group_rename_keeps_its_tags(client, sandbox):
    group = client.create_tag_group(name="Languages", tag_names=["python", "ruby"])
    assert set(group.tag_names) == {"python", "ruby"}
    renamed = client.update_tag_group(tag_group_id=group.id, name="Programming languages")
    assert renamed.name == "Programming languages"
    again = client.get_tag_group(tag_group_id=group.id)
    assert set(again.tag_names) == {"python", "ruby"}
    client.update_tag_group(tag_group_id=group.id, tag_names=["go"])
    assert client.get_tag_group(tag_group_id=group.id).tag_names == ("go",)
    client.delete_tag_group(tag_group_id=group.id)
    assert group.id not in {g.id for g in client.list_tag_groups()}


# --- backups ------------------------------------------------------------------------------------
def test_backups_list_create_status_and_already_running(client, sandbox):
    before = client.list_backups()
    assert len(before) == 2 and all(b.size > 0 and b.last_modified for b in before)
    client.create_backup(with_uploads=True)
    assert client.backup_status().is_running
    with pytest.raises(DiscourseOperationRunning) as running:
        client.create_backup()
    assert "already running" in str(running.value)
    assert sandbox.calls.records()[-1].status == 200  # Discourse says it with a 200
    sandbox.backup_running_until = 0  # the backup finishes
    assert not client.backup_status().is_running
    after = client.list_backups()
    assert len(after) == 3 and after[0].filename.endswith(".tar.gz")
    client.send_backup_download_link(filename=after[0].filename)
    with pytest.raises(ForumNotFound):
        client.send_backup_download_link(filename="nope.tar.gz")


# --- calendar -----------------------------------------------------------------------------------
def test_events_in_range_by_category_and_paging(client, sandbox):
    after = sandbox.now - timedelta(days=60)
    before = sandbox.now + timedelta(days=120)
    events = client.list_events(start=after, end=before, category_id=3)
    expected = [
        e["id"]
        for e in sandbox.events
        if e["category_id"] == 3 and after <= e["starts_at"] <= before
    ]
    assert [e.id for e in events] == expected and len(expected) > 10
    assert all(after <= e.starts_at <= before for e in events)
    text = client.export_events_ics(
        start=after, end=before, category_id=3, include_subcategories=True
    )
    with_sub = {e["category_id"] for e in sandbox.events if after <= e["starts_at"] <= before}
    assert {3, 5} <= with_sub and text.count("BEGIN:VEVENT") > len(expected)
    sandbox.calls.clear()
    paged = list(client.iter_events(start=after, end=before, category_id=3, page_size=7))
    assert [e.id for e in paged] == expected
    assert sandbox.calls.count("GET", "/discourse-post-event/events.json") >= len(expected) // 7


def test_ics_export(client, sandbox):
    after = sandbox.now
    text = client.export_events_ics(start=after, end=after + timedelta(days=30))
    # one VEVENT per occurrence: recurring events repeat inside the window
    expected = len(sandbox.occurrences_between(after, after + timedelta(30)))
    assert text.startswith("BEGIN:VCALENDAR")
    assert text.count("BEGIN:VEVENT") == expected


# --- health, counts, errors ---------------------------------------------------------------------
def test_health_check_and_counts(client, sandbox):
    report = client.health_check()
    assert report.ok, report.error
    assert report.is_admin and report.title == sandbox.config.title
    assert report.version and report.user_count == 2600
    assert report.review_count == client.review_count() == 7
    assert client.site_title() == sandbox.config.title
    assert client.version() == report.version and client.user_count() == 2600


def test_wrong_key_health_check_says_credentials_refused(server, sandbox):
    with make_client(server.url, key="wrong-key") as bad:
        report = bad.health_check()
    # Admin routes hide behind 404 for a bad key; the client asks why before calling the user
    # "not found", and says what the health check says.
    with (
        make_client(server.url, key="wrong-key") as bad,
        pytest.raises(ForumUnauthorized) as refused,
    ):
        bad.get_user(user_id=1)
    assert report.reachable and report.credentials_ok is False
    assert report.error_kind == "auth" and "refused the credentials" in report.error
    assert str(refused.value) == report.error
    assert "wrong-key" not in report.error
    with pytest.raises(ForumNotFound):
        make_client(server.url).get_user(user_id=987654)  # a good key: really not found


def test_rate_limit_raises_with_the_servers_wait():
    app = DiscourseSandbox(SandboxConfig(api_key=KEY, users=20, admin_requests_per_minute=3))
    with RunningSandbox(app) as running, make_client(running.url) as c:
        for _ in range(3):
            c.site_title()
        with pytest.raises(ForumRateLimited) as limited:
            c.list_users()
    assert limited.value.retry_after == 60
    assert KEY not in str(limited.value)
    assert app.calls.count(status=429) == 1 and app.calls.count(status=200) == 3


def test_injected_server_error_and_timeout(client, sandbox, server):
    sandbox.config.faults.error_rate = 1.0
    with pytest.raises(ForumServerError) as failed:
        client.list_tags()
    assert failed.value.status == 502
    sandbox.config.faults.error_rate = 0
    sandbox.config.faults.outage_for(30)
    with pytest.raises(ForumServerError):
        client.list_backups()
    sandbox.config.faults.outage_until = 0
    sandbox.config.faults.latency_ms = 600
    with make_client(server.url, timeout=0.2) as slow, pytest.raises(ForumTimeout):
        slow.list_tags()


@responses.activate
def test_bad_json_and_html_instead_of_json():
    url = "http://127.0.0.1:9"
    auth = responses.matchers.header_matcher({"Api-Key": KEY, "Api-Username": "system"})
    responses.get(
        f"{url}/tags.json", body="{not json", content_type="application/json", match=[auth]
    )
    responses.get(
        f"{url}/tag_groups.json",
        body="<!DOCTYPE html><html>Welcome</html>",
        content_type="text/html",
        match=[auth],
    )
    c = make_client(url)
    with pytest.raises(ForumBadResponse) as bad:
        c.list_tags()
    assert not isinstance(bad.value, ForumNotAForum)
    with pytest.raises(ForumNotAForum):
        c.list_tag_groups()


@responses.activate
def test_create_backup_sends_the_string_true():
    url = "http://127.0.0.1:9"
    responses.post(
        f"{url}/admin/backups.json",
        json={"success": "OK"},
        match=[responses.matchers.json_params_matcher({"with_uploads": "true"})],
    )
    make_client(url).create_backup(with_uploads=True)
    assert len(responses.calls) == 1


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


# --- the rules a real Discourse enforces (ENDPOINTS.md "Rules the real server enforces") -------
def long_time_poster(sandbox: DiscourseSandbox) -> dict:
    """A regular user made into one Discourse will not delete: many posts, the first one old."""
    user = a_member(sandbox)
    user["post_count"] = 120
    user["first_post_at"] = datetime.now(UTC) - timedelta(days=400)
    return user


def test_a_refused_bulk_delete_is_split_so_the_others_are_deleted(client, sandbox):
    system = sandbox.users[-1]
    poster = long_time_poster(sandbox)
    deletable = [
        u["id"] for u in sandbox.users.values()
        if u["id"] > 4 and u["id"] != poster["id"] and sandbox.can_delete_user(system, u)
    ][:40]  # fmt: skip
    ids = [*deletable[:10], 1, *deletable[10:30], poster["id"], *deletable[30:]]
    result = client.delete_users(user_ids=ids)
    assert sorted(result.deleted) == sorted(deletable)
    assert set(result.refused) == {1, poster["id"]}
    # the forum's own words, and the rule behind each refusal
    assert "cannot be deleted" in result.refused[1] and "administrator" in result.refused[1]
    assert "120 posts" in result.refused[poster["id"]]
    assert 1 in sandbox.users and poster["id"] in sandbox.users
    assert not set(deletable) & set(sandbox.users)
    bulk = [r for r in sandbox.calls.records() if r.path == "/admin/users/destroy-bulk.json"]
    assert all(len(r.body["user_ids"]) <= 100 for r in bulk)
    assert len(bulk) <= 20  # bounded: two refused users among 42 cost a handful of calls
    reads = [r.path for r in sandbox.calls.records() if r.path.startswith("/admin/users/")
             and r.method == "GET"]  # fmt: skip
    assert sorted(reads) == sorted(["/admin/users/1.json", f"/admin/users/{poster['id']}.json"])
    assert result.calls == len(bulk) + len(reads)  # one read per refused user says why


def test_deleting_an_admin_says_why_in_plain_words(client, sandbox):
    with pytest.raises(ForumForbidden) as refused:
        client.delete_user(user_id=1, delete_posts=True)
    assert "never deletes administrators" in str(refused.value)
    poster = long_time_poster(sandbox)
    with pytest.raises(ForumForbidden) as kept:
        client.delete_user(user_id=poster["id"], delete_posts=True)
    assert "120 posts" in str(kept.value) and "delete_user_max_post_age" in str(kept.value)
    assert poster["id"] in sandbox.users


def test_a_delete_answered_deleted_false_is_a_failure(client, sandbox):
    user = a_member(sandbox, post_count=0)
    user["destroy_fails"] = True  # the forum answers 200 {deleted: false, user: {...}}
    with pytest.raises(ForumRejected, match="deleted: false"):
        client.delete_user(user_id=user["id"])
    assert user["id"] in sandbox.users


def test_a_penalty_reason_over_300_characters_is_refused_before_sending(client, sandbox):
    user = a_member(sandbox)
    sandbox.calls.clear()
    for kind in (Penalty.SUSPEND, Penalty.SILENCE):
        with pytest.raises(ForumRejected, match="at most 300 characters; this one has 301"):
            client.penalise(kind=kind, user_id=user["id"], until=None, reason="x" * 301)
    assert sandbox.calls.records() == []
    client.penalise(kind=Penalty.SUSPEND, user_id=user["id"], until=None, reason="x" * 300)
    assert sandbox.users[user["id"]]["suspend_reason"] == "x" * 300


def test_resolving_names_caps_the_substring_filter_and_matches_exactly(client, sandbox):
    # ENDPOINTS.md "Rules" / user list filter: "an" is a substring of hundreds of usernames and
    # addresses; the filter's pages are capped and a name not reached is looked up exactly.
    short = sandbox.add_person(username="an", email="an@example.org")
    other = a_member(sandbox)
    matches = [
        u for u in sandbox.users.values()
        if u["id"] > 0 and ("an" in u["username"].lower() or "an" in u["email"].lower())
    ]  # fmt: skip
    assert len(matches) > 300  # more than three pages of the admin list
    sandbox.calls.clear()
    found = client.resolve_users(targets=["an", other["username"].upper(), "no_such_person_x"])
    assert set(found) == {"an", other["username"].lower()}
    assert found["an"].id == short and found[other["username"].lower()].id == other["id"]
    lists = [r for r in sandbox.calls.records() if r.path == "/admin/users/list/active.json"]
    # Never every page of the hundreds of "an" matches: at most three pages per search, the
    # search repeated for the names it did not reach, then exact look-ups one by one.
    assert len(lists) <= 3 * 3
    exact = [r.path for r in sandbox.calls.records() if r.path.startswith("/u/")]
    asked = {"an", other["username"].lower(), "no_such_person_x"}
    assert {p.removeprefix("/u/").removesuffix(".json").lower() for p in exact} <= asked
    assert len(sandbox.calls.records()) <= 3 * 3 + 2


def list_calls(sandbox: DiscourseSandbox) -> list:
    return [r for r in sandbox.calls.records() if r.path == "/admin/users/list/active.json"]


def resolve_as_a_plan(client: DiscourseClient, names: list[str], **hint) -> dict:
    """What a plan does: the hint with every name, then ``resolve_users`` 100 at a time."""
    client.expect_lookups(targets=names, **hint)
    found: dict = {}
    for start in range(0, len(names), 100):
        found |= client.resolve_users(targets=names[start : start + 100])
    return found


def test_a_plan_of_many_names_reads_the_small_forums_whole_list_once(client, sandbox):
    # 2,600 accounts (26 pages of 100) for 1,500 names (15 searches of 100): the whole list
    # costs 27 calls, the substring filter several per search (ENDPOINTS.md "Rules" / user
    # list filter), so the client reads the list, newest first, and matches here.
    real = sorted((u for u in sandbox.users.values() if u["id"] > 0), key=lambda u: u["id"])
    staff = sandbox.users[1]
    suspended = next(u for u in real if sandbox.suspended(u))
    picked = [u for u in real if u is not staff and u is not suspended][:1_400]
    names = [u["username"].upper() for u in picked[:1_300]]  # any case
    names += [u["email"] for u in picked[1_300:1_350]] + [str(u["id"]) for u in picked[1_350:]]
    names += [staff["username"], suspended["email"]] + [f"nobody_{i}" for i in range(98)]
    sandbox.calls.clear()
    client.expect_lookups(targets=names)
    assert sandbox.calls.records() == []  # a hint: nothing is asked yet
    found = resolve_as_a_plan(client, names)
    calls = sandbox.calls.records()
    # 2,600 accounts, 100 a page, and an empty 27th that says the list ended
    assert len(calls) == len(list_calls(sandbox)) == 27
    assert all(parse_qs(c.query)["order"] == ["created"] for c in calls)
    assert all(parse_qs(c.query)["show_emails"] == ["true"] for c in calls)  # e-mails asked
    assert len(found) == 1_402  # exact matches only: no "nobody_*"
    assert {found[n.lower()].id for n in names[:1_300]} == {u["id"] for u in picked[:1_300]}
    assert found[picked[1_300]["email"].lower()].id == picked[1_300]["id"]
    assert found[str(picked[-1]["id"])].username == picked[-1]["username"]
    # the penalty and staff flags the rules need come with the list
    assert found[staff["username"].lower()].admin
    assert found[suspended["email"].lower()].suspended


def members_calls(sandbox: DiscourseSandbox, group: str = "trust_level_0") -> list:
    return [r for r in sandbox.calls.records() if r.path == f"/groups/{group}/members.json"]


def test_a_plan_that_needs_only_ids_reads_trust_level_0_a_thousand_a_page(client, sandbox):
    # A group's members are compared by id: no flags or e-mails needed, so the client reads
    # trust_level_0, which holds every account but staged ones (Group.refresh_automatic_group!),
    # 1,000 a page instead of the admin list's 100: 3 calls for 2,600 accounts, not 27.
    real = sorted((u for u in sandbox.users.values() if u["id"] > 0), key=lambda u: u["id"])
    staged = next(u for u in real if u["staged"])
    plain = [u for u in real if not u["staged"]]
    names = [u["username"].upper() for u in plain[:1_200]]
    names += [str(u["id"]) for u in plain[1_200:1_300]]
    emails = [u["email"].lower() for u in real]
    by_email = next(u for u in plain[1_300:] if emails.count(u["email"].lower()) == 1)
    names += [by_email["email"], staged["username"], "nobody_at_all"]
    sandbox.calls.clear()
    client.expect_lookups(targets=names, details=False)
    assert sandbox.calls.records() == []
    found = resolve_as_a_plan(client, names, details=False)
    pages = members_calls(sandbox)
    assert [parse_qs(r.query)["limit"] for r in pages] == [["1000"]] * 3
    assert [parse_qs(r.query)["offset"] for r in pages] == [["0"], ["1000"], ["2000"]]
    assert not any(parse_qs(r.query).get("order") == ["created"] for r in list_calls(sandbox))
    assert {found[n.lower()].id for n in names[:1_200]} == {u["id"] for u in plain[:1_200]}
    assert found[str(plain[1_299]["id"])].username == plain[1_299]["username"]
    # a staged account is not in the group: the staged list is searched for what is left,
    # at once; an e-mail and an unknown name are searched for as usual
    assert found[staged["username"].lower()].id == staged["id"]
    staged_lists = [r for r in sandbox.calls.records() if r.path.endswith("/staged.json")]
    assert len(staged_lists) == 1
    assert set(parse_qs(staged_lists[0].query)["filter"][0].split(",")) == {
        staged["username"].lower(),
        "nobody_at_all",
    }
    assert found[by_email["email"].lower()].id == by_email["id"]
    assert "nobody_at_all" not in found
    assert len(sandbox.calls.records()) <= 3 + 1 + 2 * 3 + 1  # pages, staged, searches, exact


def test_trust_level_0_is_found_by_id_where_a_locale_renamed_it(client, sandbox):
    # groups.default_names.trust_level_0 is translated on a German forum: the group keeps id
    # 10 (Group::AUTO_GROUPS), so the client finds its name in the automatic groups list.
    sandbox.groups[10]["name"] = "vertrauensstufe_0"
    names = [u["username"] for u in sandbox.users.values() if u["id"] > 4 and not u["staged"]]
    names = names[:500]
    sandbox.calls.clear()
    found = resolve_as_a_plan(client, names, details=False)
    assert set(found) == {n.lower() for n in names}
    paths = [r.path for r in sandbox.calls.records()]
    assert paths[:2] == ["/groups/trust_level_0/members.json", "/groups.json"]
    assert paths.count("/groups/vertrauensstufe_0/members.json") == 3  # 2,600 accounts
    assert len(paths) == 2 + 3


def test_a_few_names_on_a_big_forum_are_searched_not_listed(client, sandbox):
    # 300 names on 2,600 accounts: the newest page says the forum is big (26 pages > 2 x 3
    # searches), so the client searches with the filter instead; the page read is not lost.
    real = [u for u in sandbox.users.values() if u["id"] > 4]
    names = [u["username"] for u in real[:300]]
    sandbox.calls.clear()
    found = resolve_as_a_plan(client, names)
    assert set(found) == {n.lower() for n in names}
    queries = [parse_qs(r.query) for r in list_calls(sandbox)]
    assert sum(1 for q in queries if q.get("order") == ["created"]) == 1  # the probe only
    assert sum(1 for q in queries if "filter" in q) >= 3
    # and without the hint (a run's re-check, a page's look-up), no probe at all
    sandbox.calls.clear()
    with make_client(client.base_url) as fresh:
        fresh.resolve_users(targets=names[:100])
    assert not any("order" in parse_qs(r.query) for r in list_calls(sandbox))


def test_renaming_a_group_with_notification_defaults_keeps_members_settings(client, sandbox):
    group = next(g for g in sandbox.groups.values() if g["name"] == "regional-emea")
    members = [sandbox.users[u] for u in group["members"]]
    before = {u["id"]: (dict(u["category_levels"]), dict(u["tag_levels"])) for u in members}
    defaults = (dict(group["category_defaults"]), dict(group["tag_defaults"]))
    assert defaults[0] and defaults[1] and members
    renamed = client.update_group(key="regional-emea", name="region-emea")
    assert renamed.name == "region-emea"
    after = {u["id"]: (dict(u["category_levels"]), dict(u["tag_levels"])) for u in members}
    assert after == before
    assert (group["category_defaults"], group["tag_defaults"]) == defaults
    put = next(r for r in sandbox.calls.records() if r.method == "PUT")
    assert put.body["group"]["watching_first_post_category_ids"] == [3]
    assert parse_qs(put.query)["update_existing_users"] == ["false"]


def test_changing_the_default_level_for_existing_members_keeps_their_other_settings(
    client, sandbox
):
    group = next(g for g in sandbox.groups.values() if g["name"] == "regional-emea")
    members = [sandbox.users[u] for u in group["members"]]
    before = {u["id"]: (dict(u["category_levels"]), dict(u["tag_levels"])) for u in members}
    with pytest.raises(DiscourseGroupUpdateNeedsChoice):
        client.update_group(key="regional-emea", default_notification_level=1)
    client.update_group(
        key="regional-emea", default_notification_level=1, update_existing_users=True
    )
    # the category and tag defaults were sent back: "update existing users" touched only the
    # level that changed, never the members' category and tag rows
    assert {u["id"]: (u["category_levels"], u["tag_levels"]) for u in members} == before
    assert group["default_notification_level"] == 1
    put = [r for r in sandbox.calls.records() if r.method == "PUT"][-1]
    assert put.body["group"]["tracking_tags"] == ["meetup"]


def test_adding_members_reads_the_answers_status_and_counts_not_words(client, sandbox):
    group = client.get_group(key="support-team")
    # none of them exists: 400 "invalid parameters" -> "none of these exist", not an error
    nobody = client.add_members(group=group, user_ids=[987654, 987655])
    assert nobody.missing == ("987654", "987655") and not nobody.added and not nobody.skipped
    # all already members: 422 -> skipped, whatever language the forum answers in
    current = [m.id for m in client.list_group_members(key="support-team")][:3]
    assert client.add_members(group=group, user_ids=current).skipped == tuple(map(str, current))
    # mixed: the unknown one is dropped by the forum; the answer names fewer than were sent
    newcomer = a_member(sandbox)
    mixed = client.add_members(group=group, user_ids=[newcomer["id"], 987654])
    assert mixed.added == (newcomer["username"],) and mixed.calls == 1


def test_approve_activate_deactivate_refusals_say_which_rule(client, sandbox):
    approved = a_member(sandbox, active=True, approved=True)
    with pytest.raises(ForumForbidden, match="waiting for approval"):
        client.approve_user(user_id=approved["id"])
    with pytest.raises(ForumForbidden, match="this one already is"):
        client.activate_user(user_id=approved["id"])
    with pytest.raises(ForumForbidden, match="does not deactivate staff"):
        client.deactivate_user(user_id=2)
    assert sandbox.users[2]["active"] is True


def test_a_moderators_key_on_an_admin_only_route_gets_a_plain_message(server, sandbox):
    moderator = sandbox.users[2]
    assert moderator["moderator"] and not moderator["admin"]
    with DiscourseClient(
        base_url=server.url, api_key=KEY, api_username=moderator["username"],
        allow_http_hosts=["127.0.0.1"], timeout=5,
    ) as as_moderator:  # fmt: skip
        with pytest.raises(ForumNotFound) as log_out:
            as_moderator.log_out(user_id=a_member(sandbox)["id"])
        with pytest.raises(ForumNotFound) as backups:
            as_moderator.list_backups()
    for refused in (log_out.value, backups.value):
        assert "Only an administrator's API key may do this" in str(refused)


def test_a_bad_key_on_an_admin_route_says_invalid_revoked_or_missing_scope(server, sandbox):
    with (
        make_client(server.url, key="revoked-key") as bad,
        pytest.raises((ForumNotFound, ForumUnauthorized)) as refused,
    ):
        bad.get_user(user_id=5)
    assert "revoked" in str(refused.value) and "scope for this call" in str(refused.value)
    assert "revoked-key" not in str(refused.value)
    # A 404 that is no key problem (the key works) still names both possible causes.
    with make_client(server.url) as good, pytest.raises(ForumNotFound) as missing:
        good.get_user(user_id=999_999)
    assert "the item does not exist" in str(missing.value)
    assert "invalid, revoked, or missing the scope for this call" in str(missing.value)


def test_recurring_events_come_once_per_occurrence_with_a_stable_uid(client, sandbox):
    start, end = sandbox.now - timedelta(days=10), sandbox.now + timedelta(days=40)
    events = client.list_events(start=start, end=end, category_id=4)
    expected = [
        pair for pair in sandbox.occurrences_between(start, end)
        if next(e for e in sandbox.events if e["id"] == pair[0])["category_id"] == 4
    ]  # fmt: skip
    assert [(e.id, e.starts_at) for e in events] == expected
    assert len(events) > 50  # a daily stand-up, a weekly and a fortnightly series
    keys = [e.occurrence_key for e in events]
    assert all(e.recurring for e in events) and len(set(keys)) == len(events)
    again = client.list_events(start=start, end=end, category_id=4)
    assert [e.occurrence_key for e in again] == keys


def test_a_daily_series_cut_at_the_limit_is_read_to_its_end(client, sandbox):
    start, end = sandbox.now - timedelta(days=5), sandbox.now + timedelta(days=400)
    paged = sorted(
        client.iter_events(start=start, end=end, category_id=4, page_size=50),
        key=lambda e: (e.starts_at, e.id),
    )
    expected = [
        pair for pair in sandbox.occurrences_between(start, end)
        if next(e for e in sandbox.events if e["id"] == pair[0])["category_id"] == 4
    ]  # fmt: skip
    assert len(expected) > 400
    assert [(e.id, e.starts_at) for e in paged] == expected


def test_an_older_events_plugin_answering_a_bare_array_still_lists_everything(client, sandbox):
    sandbox.config.legacy_events_plugin = True
    try:
        start, end = sandbox.now - timedelta(days=30), sandbox.now + timedelta(days=30)
        events = client.list_events(start=start, end=end)
        assert [(e.id, e.starts_at) for e in events] == sandbox.occurrences_between(start, end)
        assert any(e.starts_at < sandbox.now for e in events)  # past ones too (no `after`)
        assert any(e.recurring for e in events)
    finally:
        sandbox.config.legacy_events_plugin = False


def test_a_forum_over_the_whole_list_cap_is_searched_whatever_the_names(
    client, sandbox, monkeypatch
):
    # The whole list's matches stay in the worker until the plan ends: past
    # WHOLE_LIST_MAX_ACCOUNTS accounts the filter is used, however many names there are.
    from forums.clients.discourse import users as discourse_users

    monkeypatch.setattr(discourse_users, "WHOLE_LIST_MAX_ACCOUNTS", 2_000)
    names = [u["username"] for u in sandbox.users.values() if u["id"] > 4][:1_500]
    sandbox.calls.clear()
    found = resolve_as_a_plan(client, names)
    assert set(found) == {n.lower() for n in names}
    queries = [parse_qs(r.query) for r in list_calls(sandbox)]
    assert sum(1 for q in queries if q.get("order") == ["created"]) == 1  # the probe only
    assert sum(1 for q in queries if "filter" in q) >= 15
