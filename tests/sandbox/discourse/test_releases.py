"""The sandbox Discourse plays a chosen release: /about.json reports its version and the rules
that changed between releases follow it (forums/sandbox/discourse/releases.py)."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from forums.sandbox.discourse.releases import DEFAULT_RELEASE, RELEASES
from forums.sandbox.registry import SANDBOXES

from .served import (
    SANDBOX_CONFIG,  # noqa: F401 - the config of this module's sandbox
    configure,
    get,
    send,
)


@pytest.mark.every_release
def test_about_reports_the_played_release(sandbox, discourse_release):
    about = get(sandbox, "/about.json").json()["about"]
    assert about["version"] == RELEASES[discourse_release].version


def test_the_current_release_is_played_unless_one_is_chosen(sandbox):
    assert get(sandbox, "/about.json").json()["about"]["version"] == "2026.1.0-latest"
    assert DEFAULT_RELEASE == "2026.1"


def test_a_release_can_be_chosen_at_run_time(sandbox):
    configure(sandbox, release="3.4")
    assert get(sandbox, "/about.json").json()["about"]["version"] == "3.4.6"
    # the old release's /tags.json names a tag by its name in `id`, and its calendar plugin
    # is the old one
    tags = get(sandbox, "/tags.json").json()["tags"]
    assert tags and all(t["id"] == t["text"] for t in tags)
    assert sandbox.app.config.legacy_events_plugin is True


def test_an_unknown_release_is_refused_naming_those_played():
    with pytest.raises(ValueError, match="3.4, 2026.1"):
        SANDBOXES["discourse"].test_app(release="1.0")


def test_the_sandbox_command_takes_a_release():
    from forums.management.commands.sandbox import Command

    parser = Command().create_parser("manage.py", "sandbox")
    options = parser.parse_args(["discourse", "--release", "3.4"])
    assert options.release == "3.4"
    with pytest.raises(CommandError, match="sandbox plays"):
        call_command("sandbox", "discourse", "--release", "9.9")


@pytest.mark.parametrize("discourse_release", ["3.4"])
def test_a_test_chooses_its_release(sandbox, discourse_release):
    assert get(sandbox, "/about.json").json()["about"]["version"] == "3.4.6"


# --- rules both releases share (issue 22, finding 4) ---------------------------------------------
@pytest.mark.every_release
@pytest.mark.parametrize("name", ["team-", "-team", "a..b", "group.json", "ab", "x" * 21])
def test_group_names_the_username_rules_refuse_are_422(sandbox, name):
    """Row "group names": app/models/group.rb name_format_validator -> UsernameValidator."""
    r = send(sandbox, "POST", "/admin/groups.json", json={"group": {"name": name}})
    assert r.status_code == 422, name
    assert not any(g["name"] == name for g in sandbox.app.groups.values())


@pytest.mark.every_release
def test_a_member_search_total_is_the_whole_group(sandbox):
    """Row "group member search": GroupsController#members counts before it filters, and an
    admin's filter also matches e-mail addresses."""
    app = sandbox.app
    group = next(g for g in app.groups.values() if len(app.member_ids(g)) > 3 and g["id"] > 20)
    ids = app.member_ids(group)
    one = app.users[ids[0]]
    r = get(sandbox, f"/groups/{group['name']}/members.json",
            params={"filter": one["username"], "limit": 1000})  # fmt: skip
    body = r.json()
    assert body["meta"]["total"] == len(ids)
    assert one["username"] in [m["username"] for m in body["members"]]
    assert len(body["members"]) < len(ids)
    by_email = get(sandbox, f"/groups/{group['name']}/members.json",
                   params={"filter": one["email"], "limit": 1000}).json()  # fmt: skip
    assert [m["username"] for m in by_email["members"]] == [one["username"]]


@pytest.mark.every_release
def test_a_refused_merge_answers_200_with_failed_tags(sandbox, discourse_release):
    """Row "merge tags": a tag that has synonyms of its own cannot become one."""
    body = {"synonyms": ["ios"]} if discourse_release == "3.4" else {"tags": [{"name": "ios"}]}
    assert send(sandbox, "POST", "/tag/android/synonyms.json", json=body).json() == {
        "success": "OK"
    }
    again = (
        {"synonyms": ["android"]} if discourse_release == "3.4" else {"tags": [{"name": "android"}]}
    )
    r = send(sandbox, "POST", "/tag/bug/synonyms.json", json=again)
    assert r.status_code == 200
    assert r.json()["failed"] == "FAILED" and "android" in r.json()["failed_tags"]


@pytest.mark.every_release
def test_tag_group_fields_follow_the_release(sandbox, discourse_release):
    """Row "tag groups": since 2026.01 `tags` / `parent_tag` objects (an existing tag by id, a
    new one by name); older releases read only `tag_names`, so a `tags`-only PUT empties the
    group there."""
    app = sandbox.app
    bug_id = app.tags["bug"]["id"]
    created = send(sandbox, "POST", "/tag_groups.json", json={
        "name": "Objects", "tags": [{"id": bug_id, "name": "bug"}, {"name": "fresh-tag"}],
        "parent_tag": [{"name": "android"}],
    }).json()["tag_group"]  # fmt: skip
    if discourse_release == "3.4":
        assert created["tag_names"] == [] and created["parent_tag_name"] == []
    else:
        assert set(created["tag_names"]) == {"bug", "fresh-tag"}
        assert created["parent_tag_name"] == ["android"]
    old_fields = {"name": "Objects", "tag_names": ["bug"], "parent_tag_name": []}
    r = send(sandbox, "PUT", f"/tag_groups/{created['id']}.json", json=old_fields)
    assert r.status_code == 200  # deprecated on 2026.1, still read
    assert app.tag_groups[created["id"]]["tag_names"] == ["bug"]
