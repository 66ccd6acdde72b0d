"""The area interfaces: every verb a forum does not offer says so, and nothing is sent."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import responses

from forums.clients import client_class, platform_choices, supported_platforms
from forums.clients.errors import CapabilityNotOffered
from forums.clients.platform import ForumClient, SettingsProblem
from forums.clients.records import Capability, ForumGroup, ForumTopic, Penalty

NOW = datetime(2030, 1, 1, tzinfo=UTC)
GROUP = ForumGroup(id=1, name="g", slug="g")

# Every area verb, as a page would call it, with the capability it needs.
VERBS = [
    (Capability.USER_SEARCH, lambda c: c.find_users(query="x")),
    (Capability.USER_SEARCH, lambda c: c.resolve_users(targets=["x"])),
    (Capability.USER_SEARCH, lambda c: c.user_details(user_id=1)),
    (Capability.USER_SUSPEND, lambda c: c.penalise(kind=Penalty.SUSPEND, user_id=1, until=None,
                                                   reason="r")),
    (Capability.USER_SILENCE, lambda c: c.lift(kind=Penalty.SILENCE, user_id=1)),
    (Capability.USER_LOG_OUT, lambda c: c.log_out(user_id=1)),
    (Capability.USER_DELETE, lambda c: c.delete_user(user_id=1)),
    (Capability.USER_BULK_DELETE, lambda c: c.delete_users(user_ids=[1])),
    (Capability.GROUPS, lambda c: c.list_groups()),
    (Capability.GROUPS, lambda c: c.get_group(key="g")),
    (Capability.GROUPS, lambda c: c.create_group(name="g")),
    (Capability.GROUPS, lambda c: c.add_members(group=GROUP, user_ids=[1])),
    (Capability.TAGS, lambda c: c.list_tags()),
    (Capability.TAG_CREATE, lambda c: c.create_tag(name="t")),
    (Capability.TAG_RENAME, lambda c: c.rename_tag(name="t", new_name="u")),
    (Capability.TAG_MERGE, lambda c: c.merge_tag(name="t", into="u")),
    (Capability.TAG_DELETE, lambda c: c.delete_tag(name="t")),
    (Capability.TAG_DELETE_UNUSED, lambda c: c.delete_unused_tags()),
    (Capability.TOPIC_RETAG, lambda c: c.retag(topics=[ForumTopic(id=1, title="")], add=["t"])),
    (Capability.TAG_GROUPS, lambda c: c.list_tag_groups()),
    (Capability.BACKUPS, lambda c: c.list_backups()),
    (Capability.BACKUPS, lambda c: c.create_backup(with_uploads=True)),
    (Capability.BACKUPS, lambda c: c.backup_status()),
    (Capability.CALENDAR, lambda c: c.list_events(start=NOW, end=NOW)),
    (Capability.REVIEW_QUEUE, lambda c: c.review_count()),
    (Capability.REVIEW_ITEMS, lambda c: c.review_items()),
    (Capability.REVIEW_ITEMS, lambda c: c.review_item(item_id="1")),
]  # fmt: skip


class Bare(ForumClient):
    """A platform that offers nothing yet: what a new platform's client starts from."""

    platform = "bare"
    software = "Bareforum"

    def auth_headers(self, api_key):
        return {"Authorization": api_key}


@responses.activate
@pytest.mark.parametrize(("capability", "call"), VERBS)
def test_a_verb_the_forum_does_not_offer_says_so_and_sends_nothing(capability, call):
    client = Bare(base_url="https://forum.example.com", api_key="secret-key")
    with pytest.raises(CapabilityNotOffered) as refused:
        call(client)
    assert "Bareforum does not offer this" in str(refused.value)
    assert len(responses.calls) == 0


@pytest.mark.parametrize("platform", ["discourse", "nodebb", "userecho"])
def test_each_platform_offers_what_it_declares(platform):
    cls = client_class(platform)
    for capability, _call in VERBS:
        overridden = _implemented(cls, capability)
        # An optional capability (UserEcho's later routes) is implemented but not declared:
        # the forum is asked whether it has it.
        declared = cls.supports(capability) or capability in cls.optional_capabilities
        assert overridden == declared, (platform, capability)


def _implemented(cls, capability) -> bool:
    """Does the platform's own code (not the area default) carry a verb of this capability?"""
    names = {
        Capability.USER_SEARCH: "find_users", Capability.USER_SUSPEND: "penalise",
        Capability.USER_SILENCE: "lift", Capability.USER_LOG_OUT: "log_out",
        Capability.USER_DELETE: "delete_user", Capability.USER_BULK_DELETE: "delete_users",
        Capability.GROUPS: "list_groups", Capability.TAGS: "list_tags",
        Capability.TAG_CREATE: "create_tag", Capability.TAG_RENAME: "rename_tag",
        Capability.TAG_MERGE: "merge_tag", Capability.TAG_DELETE: "delete_tag",
        Capability.TAG_DELETE_UNUSED: "delete_unused_tags", Capability.TOPIC_RETAG: "retag",
        Capability.TAG_GROUPS: "list_tag_groups", Capability.BACKUPS: "list_backups",
        Capability.CALENDAR: "list_events", Capability.REVIEW_QUEUE: "review_count",
        Capability.REVIEW_ITEMS: "review_items",
    }  # fmt: skip
    method = getattr(cls, names[capability])
    return method.__module__.startswith(f"forums.clients.{cls.platform}")


def test_the_platform_list_comes_from_the_registry():
    assert supported_platforms() == ["discourse", "nodebb", "userecho"]
    assert platform_choices() == [
        ("discourse", "Discourse"),
        ("nodebb", "NodeBB"),
        ("userecho", "UserEcho"),
    ]
    with pytest.raises(CapabilityNotOffered, match="cannot talk to mybb"):
        client_class("mybb")


def test_each_platform_names_things_in_its_own_words():
    discourse, nodebb = client_class("discourse"), client_class("nodebb")
    assert discourse.penalty_words(Penalty.SUSPEND).verb == "Suspend"
    assert nodebb.penalty_words(Penalty.SUSPEND).verb == "Ban"
    assert nodebb.penalty_words(Penalty.SILENCE).lift == "Unmute"
    assert (discourse.words.standing, nodebb.words.standing) == ("Trust level", "Reputation")
    assert nodebb.penalty_rules[Penalty.SILENCE].permanent_allowed is False
    assert discourse.penalty_rules[Penalty.SUSPEND].reason_max_length == 300


def test_each_platform_checks_its_own_connection_settings():
    nodebb, discourse = client_class("nodebb"), client_class("discourse")
    master = {"master_token": True}
    with pytest.raises(SettingsProblem) as problem:
        nodebb.validate_settings(base_url="https://f.example", api_username="", settings=master)
    assert "acts as a user" in problem.value.errors["api_username"]
    assert nodebb.validate_settings(
        base_url="https://f.example", api_username=" 1 ", settings=master
    ) == {"api_username": "1", "settings": {"master_token": True}}
    with pytest.raises(SettingsProblem) as problem:
        discourse.validate_settings(base_url="https://f.example", api_username=" ")
    assert "username the key acts as" in problem.value.errors["api_username"]
    # A setting another platform declares is dropped, never kept on the row.
    assert discourse.validate_settings(
        base_url="https://f.example", api_username="system", settings=master
    ) == {"api_username": "system", "settings": {}}
