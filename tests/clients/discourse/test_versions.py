"""The Discourse client reads the forum's version and sends each request in the shape that
release takes (forums/clients/discourse/versions.py), against the sandbox playing each release
(forums/sandbox/discourse/releases.py); and the issue-22 findings on tags, groups and backups."""

from __future__ import annotations

from dataclasses import replace

import pytest

from forums.clients.discourse.groups import group_name_problem
from forums.clients.discourse.versions import (
    DiscourseVersion,
    parse_version,
    renames_tag_by_name,
    unsupported_note,
)
from forums.clients.errors import ForumNotFound, ForumRejected
from forums.sandbox.discourse import DiscourseSandbox
from forums.sandbox.discourse.releases import RELEASES

from .helpers import (
    SANDBOX_CONFIG,  # noqa: F401 - the config of this module's sandbox
)

pytestmark = pytest.mark.every_release


def bodies(sandbox, method: str, path: str) -> list:
    return [r.body for r in sandbox.calls.records() if r.method == method and r.path == path]


# --- versions -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3.4.2", DiscourseVersion(3, 4, 2)),
        ("2026.1.0-latest", DiscourseVersion(2026, 1, 0, "latest")),
        ("3.5.0.beta3", DiscourseVersion(3, 5, 0, "beta3")),
        ("3.4", DiscourseVersion(3, 4, 0)),
        ("", None),
        ("latest", None),
        (None, None),
    ],
)
def test_discourse_versions_parse(text, expected):
    assert parse_version(text) == expected


def test_version_ranges_follow_the_deprecation_notes():
    assert renames_tag_by_name(parse_version("2025.12.0-latest"))
    assert renames_tag_by_name(parse_version("2026.1.0"))
    assert not renames_tag_by_name(parse_version("2025.11.2"))
    assert not renames_tag_by_name(parse_version("3.5.0.beta3"))
    assert renames_tag_by_name(None)  # a forum that does not say: a current one


def test_the_client_reads_the_version_once(client, sandbox, discourse_release):
    assert client.forum_version() == parse_version(RELEASES[discourse_release].version)
    client.forum_version()
    assert sandbox.calls.count("GET", "/about.json") == 1


# --- finding 1: tag rename ----------------------------------------------------------------------
def test_tag_rename_sends_the_field_the_release_reads(client, sandbox, discourse_release):
    """Row "rename a tag": `name` to a current Discourse, `id` to an older one."""
    topic_ids = {t.id for t in client.list_tag_topics(tag="android")}
    client.rename_tag(name="android", new_name="android-app")
    sent = bodies(sandbox, "PUT", "/tag/android.json")
    if discourse_release == "3.4":
        assert sent == [{"tag": {"id": "android-app"}}]
    else:
        assert sent == [{"tag": {"name": "android-app"}}]
    names = {t.name for t in client.list_tags()}
    assert "android-app" in names and "android" not in names
    assert {t.id for t in client.list_tag_topics(tag="android-app")} == topic_ids


def test_the_sandbox_refuses_the_other_releases_rename_field(server, sandbox, discourse_release):
    """Row "rename a tag": 422 to `id` since 2025.12; before, `name` alone changes nothing."""
    import requests

    from .helpers import KEY

    headers = {"Api-Key": KEY, "Api-Username": "system"}
    old = requests.put(
        f"{server.url}/tag/android.json", json={"tag": {"id": "droid"}}, headers=headers
    )
    if discourse_release == "3.4":
        assert old.status_code == 200 and "droid" in sandbox.tags
    else:
        # TagsController#update since 2025.12: `id` is refused with 422
        assert old.status_code == 422 and "android" in sandbox.tags
        new = requests.put(
            f"{server.url}/tag/android.json", json={"tag": {"name": "droid"}}, headers=headers
        )
        assert new.status_code == 200 and new.json()["tag"]["name"] == "droid"
    # on 3.4 a `name` body changes nothing and still answers 200
    if discourse_release == "3.4":
        same = requests.put(
            f"{server.url}/tag/droid.json", json={"tag": {"name": "other"}}, headers=headers
        )
        assert same.status_code == 200 and "droid" in sandbox.tags and "other" not in sandbox.tags


# --- finding 3: merge and tag groups ------------------------------------------------------------
def test_a_refused_merge_is_reported_as_refused(client, sandbox, discourse_release):
    client.merge_tag(name="ios", into="android")  # ios becomes a synonym of android
    sent = bodies(sandbox, "POST", "/tag/android/synonyms.json")[0]
    if discourse_release == "3.4":
        assert sent == {"synonyms": ["ios"]}
    else:
        assert "synonyms" not in sent and [t["name"] for t in sent["tags"]] == ["ios"]
        assert isinstance(sent["tags"][0]["id"], int)
    assert "ios" not in {t.name for t in client.list_tags()}
    # android now has a synonym of its own, so Discourse refuses to merge it (200 {failed})
    with pytest.raises(ForumRejected, match="refused to merge “android” into “bug”"):
        client.merge_tag(name="android", into="bug")
    assert "android" in {t.name for t in client.list_tags()}


def test_tag_groups_are_sent_in_the_releases_fields(client, sandbox, discourse_release):
    group = client.create_tag_group(name="Versions", tag_names=["bug", "brand-new"])
    assert set(group.tag_names) == {"bug", "brand-new"}
    client.update_tag_group(tag_group_id=group.id, name="Versions renamed")
    after = client.get_tag_group(tag_group_id=group.id)
    assert after.name == "Versions renamed" and set(after.tag_names) == {"bug", "brand-new"}
    for body in bodies(sandbox, "POST", "/tag_groups.json") + bodies(
        sandbox, "PUT", f"/tag_groups/{group.id}.json"
    ):
        if discourse_release == "3.4":
            assert "tags" not in body and set(body["tag_names"]) == {"bug", "brand-new"}
        else:
            assert "tag_names" not in body and "parent_tag_name" not in body
            assert {t["name"] for t in body["tags"]} == {"bug", "brand-new"}


# --- finding 4: groups and backups --------------------------------------------------------------
REFUSED_NAMES = ["team-", "-team", "a..b", "group.json", "Team.PNG", "ab", "x" * 21, "a b"]


@pytest.mark.parametrize("name", REFUSED_NAMES)
def test_group_names_discourse_refuses_are_refused_before_sending(client, sandbox, name):
    with pytest.raises(ValueError, match="Discourse refuses the group name"):
        client.check_group_name(name)
    assert group_name_problem(name)
    # ... and the sandbox refuses them as Discourse does (422)
    with pytest.raises(ForumRejected):
        client.create_group(name=name)
    assert not any(g["name"] == name for g in sandbox.groups.values())


@pytest.mark.parametrize("name", ["team_1", "a.b-c", "_team", "abc"])
def test_group_names_discourse_takes_pass(client, name):
    assert client.check_group_name(name) == name
    assert client.create_group(name=name).name == name


def test_a_member_search_counts_its_matches(client, sandbox):
    group = client.create_group(name="searchers")
    users = [u for u in sandbox.users.values() if u["id"] > 4][:40]
    client.add_members(group=group, user_ids=[u["id"] for u in users])
    wanted = users[7]["username"]
    page = client.group_members_page(key="searchers", query=wanted)
    matching = [u for u in users if wanted.lower() in u["username"].lower()]
    assert page.total == len(matching) < len(users)
    assert wanted in {m.username for m in page.members}
    whole = client.group_members_page(key="searchers")
    assert whole.total == len(users)


def test_removing_members_deleted_since_the_plan_is_not_an_error(client, sandbox):
    group = client.create_group(name="leavers")
    users = [u for u in sandbox.users.values() if u["id"] > 4 and u["post_count"] == 0][:2]
    client.add_members(group=group, user_ids=[u["id"] for u in users])
    for user in users:
        sandbox.users.pop(user["id"])
        sandbox.groups[group.id]["members"].pop(user["id"], None)
    change = client.remove_members(group=group, user_ids=[u["id"] for u in users])
    assert change.missing == tuple(str(u["id"]) for u in users)
    assert change.removed == () and change.skipped == ()


def test_a_missing_backup_file_is_said_to_be_missing(client, sandbox):
    with pytest.raises(ForumNotFound) as refused:
        client.send_backup_download_link(filename="gone-2026-01-01.tar.gz")
    message = str(refused.value)
    assert "is not on the forum" in message
    assert "administrator" not in message and "API key" not in message


# --- health -------------------------------------------------------------------------------------
def test_health_keeps_the_version_for_later_calls(client, sandbox, discourse_release):
    report = client.health_check()
    assert report.version == RELEASES[discourse_release].version
    assert not report.notes  # both played releases are supported
    sandbox.calls.clear()
    client.rename_tag(name="android", new_name="android-app")
    assert sandbox.calls.count("GET", "/about.json") == 0
    # a later check from kept values keeps it too
    fresh_report = client.health_check(known=report.lasting)
    assert fresh_report.version == report.version


def test_a_forum_older_than_supported_says_so_on_its_card(client, sandbox, monkeypatch):
    old = replace(RELEASES["3.4"], name="3.2", version="3.2.5")
    monkeypatch.setattr(DiscourseSandbox, "release", property(lambda self: old))
    report = client.health_check()
    assert report.ok
    assert any(
        "older than the oldest release Forumdeck supports (3.4)" in note for note in report.notes
    )
    assert unsupported_note(parse_version("3.4.0")) == ""
