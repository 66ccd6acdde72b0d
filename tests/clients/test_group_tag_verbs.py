"""The Groups and Tags verbs the groups and tags pages need, on both platforms' clients,
against the sandboxes: name rules, member pages and e-mails, one topic, topic addresses."""

from __future__ import annotations

import pytest

from forums.clients.discourse import DiscourseClient
from forums.clients.errors import ForumNotFound
from forums.clients.nodebb import NodeBBClient
from forums.clients.records import ForumUser
from tests.conftest import NODEBB_TOKEN, SANDBOX_DISCOURSE_KEY


@pytest.fixture
def discourse(discourse_sandbox):
    with DiscourseClient(
        base_url=discourse_sandbox.url, api_key=SANDBOX_DISCOURSE_KEY, api_username="system",
        allow_http_hosts=["127.0.0.1"], timeout=5,
    ) as client:  # fmt: skip
        yield client


@pytest.fixture
def nodebb(nodebb_sandbox):
    with NodeBBClient(
        base_url=nodebb_sandbox.url, api_key=NODEBB_TOKEN, api_username="1",
        allow_http_hosts=["127.0.0.1"], timeout=5,
    ) as client:  # fmt: skip
        yield client


# --- names the forum would refuse, refused before anything is sent ----------------------------
@pytest.mark.parametrize(
    "name, problem",
    [
        ("ab", "3–20"),
        ("beta testers", "no spaces"),
        ("x" * 21, "3–20"),
        ("bêta!", "only letters, digits"),
    ],
)
def test_discourse_group_names_follow_the_username_rule(name, problem):
    with pytest.raises(ValueError, match=problem):
        DiscourseClient.check_group_name(name)


def test_discourse_group_names_that_pass():
    assert DiscourseClient.check_group_name("  beta_testers.v2-eu ") == "beta_testers.v2-eu"


def test_nodebb_group_names():
    assert NodeBBClient.check_group_name("Beta Testers") == "Beta Testers"
    for bad, words in (("a/b", "“/”"), ("cid:1:privileges", "refuses"), ("", "name")):
        with pytest.raises(ValueError, match=words):
            NodeBBClient.check_group_name(bad)


def test_tag_names_are_lowercased_and_checked_per_platform():
    assert DiscourseClient.check_tag_name("Release  Notes") == "release-notes"
    assert NodeBBClient.check_tag_name("How To") == "how-to"
    with pytest.raises(ValueError, match="max_tag_length"):
        DiscourseClient.check_tag_name("a-very-long-tag-name-indeed")
    with pytest.raises(ValueError, match="strip ."):
        DiscourseClient.check_tag_name("v1.2")
    with pytest.raises(ValueError, match="minimumTagLength"):
        NodeBBClient.check_tag_name("ab")
    with pytest.raises(ValueError, match="strip _"):
        NodeBBClient.check_tag_name("snake_case")


def test_topic_addresses_per_platform():
    assert DiscourseClient.topic_id_from_url("https://f.example/t/login-fails/123") == 123
    assert DiscourseClient.topic_id_from_url("https://f.example/t/123/4") == 123
    assert DiscourseClient.topic_id_from_url("https://f.example/t/slug/123/4") == 123
    assert DiscourseClient.topic_id_from_url("https://f.example/u/alice") is None
    assert NodeBBClient.topic_id_from_url("https://n.example/topic/12/some-title") == 12
    assert NodeBBClient.topic_id_from_url("https://n.example/t/12") is None


# --- one topic --------------------------------------------------------------------------------
def test_discourse_reads_one_topic_with_its_tags(discourse, discourse_sandbox):
    topic = discourse.get_topic(topic_id=3)
    assert topic.tags == tuple(discourse_sandbox.app.topics[3]["tags"])
    assert topic.title == discourse_sandbox.app.topics[3]["title"]
    assert topic.url.endswith("/3")
    with pytest.raises(ForumNotFound):
        discourse.get_topic(topic_id=99999)


def test_nodebb_reads_one_topic_with_its_tags(nodebb, nodebb_sandbox):
    topic = nodebb.get_topic(topic_id=3)
    assert topic.tags == tuple(nodebb_sandbox.app.state.topics[3]["tags"])
    assert "/topic/3/" in topic.url
    with pytest.raises(ForumNotFound):
        nodebb.get_topic(topic_id=99999)


# --- a group's members, a page at a time ------------------------------------------------------
def test_discourse_pages_and_searches_members_in_one_call(discourse, discourse_sandbox):
    app = discourse_sandbox.app
    group = next(g for g in app.groups.values() if g["name"] == "beta-testers")
    app.calls.clear()
    first = discourse.group_members_page(key="beta-testers", limit=10)
    assert first.total == len(group["members"]) == 40 and len(first.members) == 10
    second = discourse.group_members_page(key="beta-testers", offset=10, limit=10)
    assert not {m.id for m in first.members} & {m.id for m in second.members}
    assert app.calls.count("GET", "/groups/beta-testers/members.json") == 2
    someone = first.members[3].username
    found = discourse.group_members_page(key="beta-testers", query=someone[:4])
    assert someone in {m.username for m in found.members}
    assert all(someone[:4].lower() in m.username.lower() for m in found.members)


def test_nodebb_members_page_and_search(nodebb, nodebb_sandbox):
    group = nodebb_sandbox.app.state.groups["Beta Testers"]
    page = nodebb.group_members_page(key="beta-testers", offset=20, limit=20)
    assert page.total == len(group["members"]) and page.offset == 20
    assert len(page.members) == min(20, len(group["members"]) - 20)
    name = page.members[0].username
    found = nodebb.group_members_page(key="beta-testers", query=name)
    assert [m.username for m in found.members] == [name] and found.total == 1


def test_member_emails_on_both_platforms(discourse, nodebb, discourse_sandbox, nodebb_sandbox):
    d_users = [u for u in discourse_sandbox.app.users.values() if u["id"] > 4][:3]
    members = [ForumUser(id=u["id"], username=u["username"]) for u in d_users]
    assert discourse.member_emails(users=members) == {u["id"]: u["email"].lower() for u in d_users}
    n_users = [u for u in nodebb_sandbox.app.state.users.values() if u["email_confirmed"]][:3]
    members = [ForumUser(id=u["uid"], username=u["username"]) for u in n_users]
    assert nodebb.member_emails(users=members) == {u["uid"]: u["email"] for u in n_users}


def test_a_plain_rename_keeps_members_settings(discourse, discourse_sandbox):
    """ENDPOINTS.md rules / update a group: a rename of a group with notification defaults
    would be refused (422) without update_existing_users; the client answers "no"."""
    app = discourse_sandbox.app
    group = next(g for g in app.groups.values() if g["category_defaults"] and g["members"])
    member = app.users[next(iter(group["members"]))]
    before = dict(member["category_levels"])
    renamed = discourse.update_group(key=group["name"], name="renamed-group", full_name="Renamed")
    assert (renamed.name, renamed.full_name) == ("renamed-group", "Renamed")
    assert member["category_levels"] == before
    put = [r for r in app.calls.records() if r.method == "PUT"][-1]
    assert put.query == "update_existing_users=false"
