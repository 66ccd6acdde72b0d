"""UserEchoClient against the sandbox UserEcho: every verb, and every trap of
shared/specs/userecho/ENDPOINTS.md section 4 the client must defend against."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import pytest

from forums.clients.errors import (
    CapabilityNotOffered,
    ForumForbidden,
    ForumNotFound,
    ForumRateLimited,
    ForumRejected,
    ForumUnauthorized,
)
from forums.clients.records import Capability, ForumGroup, ForumTopic
from forums.sandbox.userecho import LATER_ROUTES
from tests.userecho_fixtures import (
    AGENT_TOKEN,
    OWNER,
    READ_TOKEN,
    USERECHO_TOKEN,
)

UNKNOWN = 999_999  # no such user: the sandbox answers with the token's own user (trap 7)


def calls(sb, method=None):
    return [r for r in sb.app.calls.records() if method is None or r.method == method]


def query(record) -> dict[str, list[str]]:
    return parse_qs(record.query)


def state(sb):
    return sb.app.state


def user_by_email(sb, email):
    return state(sb).user_by_email(email)


def forum_tags(sb, forum_id):
    return {t["name"]: t["id"] for t in state(sb).tags.values() if t["forum_id"] == forum_id}


def topic_tag_names(sb, topic_id):
    topic = state(sb).topics[topic_id]
    return sorted(state(sb).tags[t]["name"] for t in topic["tag_ids"])


def later(sb):
    sb.app.configure(later_routes=set(LATER_ROUTES))


# --- transport: paths, token, envelope, errors, paging -------------------------------------------
def test_every_path_ends_in_json_and_carries_the_token_in_the_query(userecho, userecho_sandbox):
    client = userecho()
    client.list_groups()
    client.find_users(query="maria")
    sent = calls(userecho_sandbox)
    assert sent and all(r.path.startswith("/api/v2/") and r.path.endswith(".json") for r in sent)
    assert all(query(r)["access_token"] == [USERECHO_TOKEN] for r in sent)


def test_the_envelope_is_unwrapped_and_an_error_carries_userechos_message(userecho):
    client = userecho()
    groups = client.list_groups()
    assert [g.name for g in groups] == ["Customers", "Beta testers", "Partners", "Team"]
    with pytest.raises(ForumRejected, match="User group 'Team' already exists"):
        client.create_group(name="Team")


@pytest.mark.parametrize("http_status", ["4xx", "200"])
def test_errors_become_the_matching_forum_error_whatever_the_http_status(
    userecho, userecho_sandbox, http_status
):
    """1.5 [I]: the HTTP code of an error is undocumented; with 200 the envelope decides."""
    userecho_sandbox.app.configure(error_http_status=http_status, path_user_fallback=False)
    with pytest.raises(ForumUnauthorized, match="Invalid access token"):
        userecho(api_key="not-a-token").list_groups()
    with pytest.raises(ForumForbidden, match="a read token cannot write"):
        userecho(api_key=READ_TOKEN).create_group(name="Moderators")
    with pytest.raises(ForumNotFound, match="User 4242 not found"):
        userecho().get_user(user_id=4242)
    with pytest.raises(ForumRejected, match="already exists"):
        userecho().create_group(name="Team")


def test_any_status_other_than_success_is_a_failure(userecho, userecho_sandbox):
    """Trap 12: the PHP client checks "fail"."""
    userecho_sandbox.app.configure(failure_word="fail", error_http_status="200")
    with pytest.raises(ForumRejected, match="already exists"):
        userecho().create_group(name="Team")
    assert "Moderators" not in {g["name"] for g in state(userecho_sandbox).groups.values()}


def test_a_refused_query_token_is_sent_as_bearer_once_and_then_always(userecho, userecho_sandbox):
    """1.2: the documented query parameter first; the official client's Bearer header when the
    project refuses it."""
    userecho_sandbox.app.configure(accept_query_token=False)
    client = userecho()
    assert len(client.list_groups()) == 4
    client.list_forums()
    first, second, *rest = calls(userecho_sandbox)
    assert "access_token" in query(first) and first.status == 401
    assert "access_token" not in query(second) and second.status == 200
    assert rest and all("access_token" not in query(r) for r in rest)


def test_a_token_refused_both_ways_is_unauthorized(userecho, userecho_sandbox):
    with pytest.raises(ForumUnauthorized):
        userecho(api_key="wrong-token").list_groups()
    assert len(calls(userecho_sandbox)) == 2  # the query parameter, then the header, once


def test_pages_follow_details_count_when_the_server_caps_the_page(userecho, userecho_sandbox):
    userecho_sandbox.app.configure(max_limit=30)  # 1.4 [I] the maximum limit is undocumented
    users = list(userecho().iter_users())
    assert len(users) == 80 and len({u.id for u in users}) == 80
    pages = [query(r)["page"] for r in calls(userecho_sandbox)]
    assert pages == [["1"], ["2"], ["3"]]


def test_pages_without_details_end_on_a_short_page(userecho, userecho_sandbox):
    """Trap 17: `details` may be missing; a capped page is not mistaken for the last one."""
    userecho_sandbox.app.configure(details=False, max_limit=30)
    users = list(userecho().iter_users())
    assert len(users) == 80
    assert len(calls(userecho_sandbox)) == 3  # 30, 30, then 20: short, the end


def test_a_rate_limit_is_reported_with_the_wait(userecho, userecho_sandbox):
    userecho_sandbox.app.configure(requests_per_minute=2)
    client = userecho()
    client.list_groups()
    client.list_forums()
    with pytest.raises(ForumRateLimited) as limited:
        client.find_users(query="maria")
    assert limited.value.retry_after > 0


# --- finding users -------------------------------------------------------------------------------
def test_find_by_name_slug_or_email_part_never_creates_anyone(userecho, userecho_sandbox):
    """Trap 6: get_or_create and sso_token create the user they do not find."""
    before = len(state(userecho_sandbox).users)
    client = userecho()
    found = client.find_users(query="maria")
    assert [u.username for u in found] == ["maria-lopez", "maria-lopes"]
    maria = found[0]
    assert (maria.name, maria.email) == ("Maria Lopez", "maria.lopez@example.org")
    assert [u.username for u in client.find_users(query="lopez@example")] == ["maria-lopez"]
    assert client.find_users(query="nobody-at-all@example.com") == []
    assert client.resolve_users(targets=["ghost@example.com", "no-such-slug"]) == {}
    assert len(state(userecho_sandbox).users) == before
    for record in calls(userecho_sandbox):
        assert "get_or_create" not in record.path
        assert not {"sso_token", "user_sso_guid", "user_id"} & set(query(record))


def test_find_by_email_uses_a_filter_on_email_in_any_case(userecho, userecho_sandbox):
    client = userecho()
    assert client.get_user_by_email(email="Tom.Becker@example.org").username == "tom-becker"
    (record,) = calls(userecho_sandbox)
    assert query(record)["filter__email__icontains"] == ["Tom.Becker@example.org"]
    with pytest.raises(ForumNotFound):
        client.get_user_by_email(email="nobody@example.org")


def test_find_by_id_confirms_the_answer_is_that_user(userecho, userecho_sandbox):
    """Trap 7: users/999999 answers with the token's own user; it is not user 999999."""
    client = userecho()
    maria = user_by_email(userecho_sandbox, "maria.lopez@example.org")
    assert [u.id for u in client.find_users(query=str(maria["id"]))] == [maria["id"]]
    assert client.find_users(query=str(UNKNOWN)) == []
    with pytest.raises(ForumNotFound, match="another account"):
        client.get_user(user_id=UNKNOWN)
    with pytest.raises(ForumNotFound, match="anonymous"):
        client.get_user(user_id=0)


def test_resolve_users_matches_slug_email_and_id_exactly(userecho, userecho_sandbox):
    tom = user_by_email(userecho_sandbox, "tom.becker@example.org")
    found = userecho().resolve_users(
        targets=["Maria-Lopez", "TOM.BECKER@example.org", str(tom["id"]), str(UNKNOWN), "maria"]
    )
    assert {k: v.username for k, v in found.items()} == {
        "maria-lopez": "maria-lopez",
        "tom.becker@example.org": "tom-becker",
        str(tom["id"]): "tom-becker",
    }


def test_server_filters_are_checked_again_on_the_client(userecho, userecho_sandbox):
    """Trap 16 [C] DA:393: a filter the server ignores returns everyone."""
    userecho_sandbox.app.configure(ignored_filters={"email", "name", "slug", "display_name"})
    client = userecho()
    assert [u.username for u in client.find_users(query="tom.becker@")] == ["tom-becker"]
    assert set(client.resolve_users(targets=["maria-lopez"])) == {"maria-lopez"}


def test_status_filters(userecho, userecho_sandbox):
    client = userecho()
    staff = client.find_users(status="staff")
    assert {u.name for u in staff} == {"Forum Admin", "Support Agent", "Product Manager"}
    assert all(u.moderator for u in staff)
    newcomer = client.find_users(query="", status="new")
    since = datetime.now(tz=UTC) - timedelta(days=30)
    assert all(u.created_at >= since for u in newcomer)
    userecho_sandbox.app.add_person(username="fresh-face", email="fresh@example.net")
    assert "fresh-face" in {u.username for u in client.find_users(status="new")}
    assert "fresh-face" not in {u.username for u in newcomer}
    calls_before = len(calls(userecho_sandbox))
    # UserEcho has no suspension or silence: nobody has that status, and nothing is asked.
    assert client.find_users(query="maria", status="suspended") == []
    assert client.find_users(status="silenced") == []
    assert len(calls(userecho_sandbox)) == calls_before
    with pytest.raises(ValueError):
        client.find_users(status="banned")


def test_user_details_say_groups_are_not_known(userecho, userecho_sandbox):
    maria = user_by_email(userecho_sandbox, "maria.lopez@example.org")
    details = userecho().user_details(user_id=maria["id"])
    assert details.user.username == "maria-lopez"
    assert details.groups_known is False and details.history == ()


@pytest.mark.parametrize(
    ("mode", "name"), [("reference", "Maria Lopez"), ("alternate", "Maria Lopez")]
)
def test_the_users_name_is_read_from_either_spelling(userecho, userecho_sandbox, mode, name):
    """Trap 14: `name` (P-GOC) or `display_name` (INTRO)."""
    userecho_sandbox.app.configure(field_names=mode)
    found = userecho().find_users(query="maria lopez")
    assert [u.name for u in found] == [name]


# --- acting on users -----------------------------------------------------------------------------
def test_log_out_clears_the_sessions_of_the_user_meant(userecho, userecho_sandbox):
    maria = user_by_email(userecho_sandbox, "maria.lopez@example.org")
    userecho().log_out(user_id=maria["id"])
    assert state(userecho_sandbox).logouts == [maria["id"]]
    logout = [r for r in calls(userecho_sandbox) if r.path.endswith("/logout.json")]
    assert [(r.method, r.path) for r in logout] == [
        ("GET", f"/api/v2/users/{maria['id']}/logout.json")
    ]


def test_log_out_of_an_unknown_user_sends_nothing_and_logs_out_nobody(userecho, userecho_sandbox):
    """Trap 7 + trap 8: users/999999/logout would log the token's own user out."""
    with pytest.raises(ForumNotFound, match="nothing was sent"):
        userecho().log_out(user_id=UNKNOWN)
    assert state(userecho_sandbox).logouts == []
    assert not [r for r in calls(userecho_sandbox) if "logout" in r.path]


def test_no_read_path_calls_the_logout_get(userecho, userecho_sandbox):
    later(userecho_sandbox)
    client = userecho()
    client.health_check()
    client.find_users(query="maria")
    client.user_details(user_id=OWNER)
    client.discovered_capabilities()
    assert not [r for r in calls(userecho_sandbox) if "logout" in r.path]
    assert state(userecho_sandbox).logouts == []


def test_delete_is_not_offered_where_the_project_lacks_the_later_route(userecho, userecho_sandbox):
    maria = user_by_email(userecho_sandbox, "maria.lopez@example.org")
    client = userecho()
    assert not client.supports(Capability.USER_DELETE)
    assert client.discovered_capabilities() == frozenset()
    with pytest.raises(CapabilityNotOffered, match="later API reference"):
        client.delete_user(user_id=maria["id"])
    assert maria["id"] in state(userecho_sandbox).users


def test_delete_where_the_project_has_the_route(userecho, userecho_sandbox):
    later(userecho_sandbox)
    maria = user_by_email(userecho_sandbox, "maria.lopez@example.org")
    client = userecho()
    assert client.discovered_capabilities() == {
        Capability.USER_DELETE,
        Capability.GROUP_MEMBERSHIP,
    }
    client.delete_user(user_id=maria["id"])
    assert maria["id"] not in state(userecho_sandbox).users
    deletes = [r.path for r in calls(userecho_sandbox, "DELETE")]
    assert deletes == [f"/api/v2/users/{maria['id']}.json"]


def test_delete_never_reaches_the_token_user_through_the_fallback(userecho, userecho_sandbox):
    """Trap 7: DELETE users/999999 must not become "delete the project's owner"."""
    later(userecho_sandbox)
    client = userecho()
    with pytest.raises(ForumNotFound, match="another account"):
        client.delete_user(user_id=UNKNOWN)
    with pytest.raises(ForumRejected, match="token's own user"):
        client.delete_user(user_id=OWNER)
    with pytest.raises(CapabilityNotOffered, match="blocking"):
        client.delete_user(user_id=5, block_email=True)
    assert OWNER in state(userecho_sandbox).users
    assert calls(userecho_sandbox, "DELETE") == []


def test_a_read_route_alone_does_not_hide_a_missing_delete(userecho, userecho_sandbox):
    """The health check's inference can be wrong: the first call then says "not offered"."""
    userecho_sandbox.app.configure(later_routes={"user_subscriptions"})
    client = userecho()
    assert Capability.USER_DELETE in client.discovered_capabilities()
    with pytest.raises(CapabilityNotOffered):
        client.delete_user(user_id=5)
    assert Capability.USER_DELETE not in client.discovered_capabilities()
    assert 5 in state(userecho_sandbox).users


# --- groups --------------------------------------------------------------------------------------
def test_groups_are_created_renamed_and_deleted_on_the_collection(userecho, userecho_sandbox):
    """G2-G4; trap 3: PUT and DELETE carry the group's id in the body."""
    client = userecho()
    created = client.create_group(name="Moderators")
    assert created.name == "Moderators" and client.get_group(key="moderators").id == created.id
    renamed = client.update_group(key="Moderators", name="Stewards")
    assert renamed.name == "Stewards" and renamed.id == created.id
    client.delete_group(key=str(created.id))
    assert "Stewards" not in {g["name"] for g in state(userecho_sandbox).groups.values()}
    writes = [(r.method, r.path, r.body) for r in calls(userecho_sandbox) if r.method != "GET"]
    assert writes == [
        ("POST", "/api/v2/users/groups.json", {"name": "Moderators"}),
        ("PUT", "/api/v2/users/groups.json", {"id": created.id, "name": "Stewards"}),
        ("DELETE", "/api/v2/users/groups.json", {"id": created.id}),
    ]
    with pytest.raises(ForumNotFound):
        client.get_group(key="Stewards")


def test_what_a_userecho_group_does_not_have_is_not_offered(userecho, userecho_sandbox):
    client = userecho()
    with pytest.raises(CapabilityNotOffered, match="description"):
        client.create_group(name="Docs", description="People who write docs")
    with pytest.raises(CapabilityNotOffered, match="hidden"):
        client.update_group(key="Team", visible=False)
    with pytest.raises(CapabilityNotOffered, match="members"):
        client.list_group_members(key="Team")
    assert calls(userecho_sandbox, "POST") == calls(userecho_sandbox, "PUT") == []


def test_membership_is_not_offered_without_the_later_route(userecho, userecho_sandbox):
    maria = user_by_email(userecho_sandbox, "maria.lopez@example.org")
    client = userecho()
    team = client.get_group(key="Partners")
    with pytest.raises(CapabilityNotOffered, match="later API reference"):
        client.add_members(group=team, user_ids=[maria["id"], 5])
    assert team.id not in maria["groups"]
    assert len([r for r in calls(userecho_sandbox, "POST") if r.path.endswith("/group.json")]) == 1


def test_membership_with_the_later_route_confirms_each_user(userecho, userecho_sandbox):
    later(userecho_sandbox)
    maria = user_by_email(userecho_sandbox, "maria.lopez@example.org")
    owner = state(userecho_sandbox).users[OWNER]
    client = userecho()
    partners = client.get_group(key="Partners")
    added = client.add_members(group=partners, user_ids=[maria["id"], UNKNOWN])
    assert added.added == (str(maria["id"]),) and added.skipped == (str(UNKNOWN),)
    assert partners.id in maria["groups"]
    assert partners.id not in owner["groups"]  # the unknown id did not land on the owner
    (post,) = [r for r in calls(userecho_sandbox, "POST")]
    assert (post.path, post.body) == (f"/api/v2/users/{maria['id']}/group.json", {"id": 3})
    removed = client.remove_members(group=partners, user_ids=[maria["id"]])
    assert removed.removed == (str(maria["id"]),) and partners.id not in maria["groups"]


def test_membership_of_a_group_deleted_meanwhile_says_so(userecho, userecho_sandbox):
    later(userecho_sandbox)
    client = userecho()
    gone = ForumGroup(id=4242, name="Old group")
    with pytest.raises(ForumNotFound, match="Old group"):
        client.add_members(group=gone, user_ids=[5])


# --- tags and categories, per forum --------------------------------------------------------------
def test_tags_are_listed_per_forum_and_keyed_by_forum_and_id(userecho, userecho_sandbox):
    """Trap 4: forum 2's "bug" is not forum 1's."""
    tags = userecho().list_tags()
    bugs = [t for t in tags if t.name == "bug"]
    assert {t.scope for t in bugs} == {"Ideas & Feedback", "Support", "Beta program"}
    assert len({t.id for t in bugs}) == 3
    for tag in bugs:
        forum_id, tag_id = (int(x) for x in str(tag.id).split(":"))
        expected = sum(1 for t in state(userecho_sandbox).topics.values() if tag_id in t["tag_ids"])
        assert forum_tags(userecho_sandbox, forum_id)["bug"] == tag_id
        assert tag.topic_count == expected


def test_create_a_tag_in_one_forum_or_in_every_forum_lacking_it(userecho, userecho_sandbox):
    client = userecho()
    client.create_tag(name="billing", scope="Ideas & Feedback")
    assert "billing" in forum_tags(userecho_sandbox, 1)
    with pytest.raises(ForumRejected, match="already exists in Ideas & Feedback"):
        client.create_tag(name="Billing", scope="1")
    client.create_tag(name="billing")  # Support already has it: only Beta program gets one
    posts = [r.path for r in calls(userecho_sandbox, "POST")]
    assert posts == ["/api/v2/forums/1/tags.json", "/api/v2/forums/3/tags.json"]


def test_rename_a_tag_on_one_forum_leaves_the_others(userecho, userecho_sandbox):
    client = userecho()
    client.rename_tag(name="bug", new_name="defect", scope="Support")
    assert "defect" in forum_tags(userecho_sandbox, 2) and "bug" not in forum_tags(
        userecho_sandbox, 2
    )
    assert "bug" in forum_tags(userecho_sandbox, 1) and "bug" in forum_tags(userecho_sandbox, 3)
    (put,) = calls(userecho_sandbox, "PUT")
    assert put.path == "/api/v2/forums/2/tags.json"
    assert put.body == {"id": forum_tags(userecho_sandbox, 2)["defect"], "name": "defect"}


def test_rename_onto_an_existing_tag_is_refused_before_anything_is_sent(userecho, userecho_sandbox):
    with pytest.raises(ForumRejected, match="already has a tag “feature”.*Merge"):
        userecho().rename_tag(name="bug", new_name="feature")  # forum 1 has both
    assert calls(userecho_sandbox, "PUT") == []
    assert "bug" in forum_tags(userecho_sandbox, 2)


def test_delete_a_tag_by_its_forum_and_id(userecho, userecho_sandbox):
    client = userecho()
    beta_bug = next(t for t in client.list_tags() if t.name == "bug" and t.scope == "Beta program")
    client.delete_tag(name=str(beta_bug.id))
    assert "bug" not in forum_tags(userecho_sandbox, 3)
    assert "bug" in forum_tags(userecho_sandbox, 1)
    (delete,) = calls(userecho_sandbox, "DELETE")
    assert delete.body == {"id": int(str(beta_bug.id).split(":")[1])}
    with pytest.raises(ForumNotFound):
        client.delete_tag(name="no-such-tag")


def test_a_tags_topics_carry_their_forum(userecho, userecho_sandbox):
    topics = userecho().list_tag_topics(tag="bug", scope="Support")
    support_bug = forum_tags(userecho_sandbox, 2)["bug"]
    expected = {
        t["id"] for t in state(userecho_sandbox).topics.values() if support_bug in t["tag_ids"]
    }
    assert {t.id for t in topics} == expected
    assert all(t.scope == "Support" and "bug" in t.tags for t in topics)
    assert len(userecho().list_tag_topics(tag="bug", limit=3)) == 3


def test_categories_per_forum(userecho, userecho_sandbox):
    client = userecho()
    billing = [c for c in client.list_categories() if c.name == "Billing"]
    assert {c.scope for c in billing} == {"Ideas & Feedback", "Support"}
    with pytest.raises(ForumRejected, match="several forums"):
        client.rename_category(key="Billing", new_name="Payments")
    created = client.create_category(scope="Beta program", name="Crashes")
    assert created.scope == "Beta program" and str(created.id).startswith("3:")
    client.rename_category(key="Billing", new_name="Payments", scope="Support")
    client.delete_category(key=str(created.id))
    names = {(c["forum_id"], c["name"]) for c in state(userecho_sandbox).categories.values()}
    assert (2, "Payments") in names and (1, "Billing") in names and (3, "Crashes") not in names


# --- topics: retag, delete, review queue ---------------------------------------------------------
def _topic_with(sb, forum_id, *names):
    wanted = {forum_tags(sb, forum_id)[n] for n in names}
    return next(
        t for t in sb.app.state.topics.values()
        if t["forum_id"] == forum_id and wanted <= set(t["tag_ids"])
    )  # fmt: skip


def test_retag_reads_the_topic_then_writes_the_whole_list(userecho, userecho_sandbox):
    """Trap 5: PUT replaces the whole tag list, so add/remove is read, change, write."""
    topic = _topic_with(userecho_sandbox, 1, "bug")
    before = topic_tag_names(userecho_sandbox, topic["id"])
    client = userecho()
    stale = ForumTopic(id=topic["id"], title="", tags=(), scope="Ideas & Feedback")
    assert client.retag(topics=[stale], add=["docs"], remove=["bug"]) == [topic["id"]]
    assert topic_tag_names(userecho_sandbox, topic["id"]) == sorted({*before, "docs"} - {"bug"})
    (put,) = calls(userecho_sandbox, "PUT")
    get = [
        r for r in calls(userecho_sandbox, "GET") if r.path == f"/api/v2/topics/{topic['id']}.json"
    ]
    assert get and calls(userecho_sandbox).index(get[0]) < calls(userecho_sandbox).index(put)
    assert put.path == "/api/v2/forums/1/topics.json"
    assert put.body["id"] == topic["id"]
    assert all(isinstance(t, int) for t in put.body["tags"])  # ids of the topic's forum


def test_retag_replace_clear_and_no_change(userecho, userecho_sandbox):
    topic = _topic_with(userecho_sandbox, 2, "bug")
    client = userecho()
    ref = ForumTopic(id=topic["id"], title="", scope="Support")
    client.retag(topics=[ref], replace=["urgent", "Login"])
    assert topic_tag_names(userecho_sandbox, topic["id"]) == ["login", "urgent"]
    assert client.retag(topics=[ref], add=["urgent"]) == []  # nothing would change: not sent
    client.retag(topics=[ref], replace=[])
    assert topic_tag_names(userecho_sandbox, topic["id"]) == []
    assert len(calls(userecho_sandbox, "PUT")) == 2


def test_retag_creates_a_tag_the_topics_forum_lacks(userecho, userecho_sandbox):
    topic = next(t for t in state(userecho_sandbox).topics.values() if t["forum_id"] == 3)
    userecho().retag(topics=[ForumTopic(id=topic["id"], title="", scope="3")], add=["api"])
    assert "api" in forum_tags(userecho_sandbox, 3)  # Beta program had no "api" tag
    assert "api" in topic_tag_names(userecho_sandbox, topic["id"])
    assert forum_tags(userecho_sandbox, 3)["api"] != forum_tags(userecho_sandbox, 1)["api"]


def test_retag_finds_the_forum_of_a_topic_given_by_id_only(userecho, userecho_sandbox):
    """Trap 2: the update is addressed to the topic's forum."""
    userecho_sandbox.app.configure(topic_forum_field=False)
    topic = next(t for t in state(userecho_sandbox).topics.values() if t["forum_id"] == 2)
    userecho().retag(topics=[ForumTopic(id=topic["id"], title="")], add=["howto"])
    assert "howto" in topic_tag_names(userecho_sandbox, topic["id"])
    assert [r.path for r in calls(userecho_sandbox, "PUT")] == ["/api/v2/forums/2/topics.json"]


@pytest.mark.parametrize(("shape", "is_id"), [("object", False), ("id", True), ("per_forum", None)])
def test_topic_status_and_type_as_an_object_or_an_id(userecho, userecho_sandbox, shape, is_id):
    """Trap 15 [C] DA:205-242; in per_forum mode the legacy forum 3 answers ids."""
    userecho_sandbox.app.configure(status_shape=shape)
    client = userecho()
    for forum_id in (1, 3):
        row = next(t for t in state(userecho_sandbox).topics.values() if t["forum_id"] == forum_id)
        topic = client.get_topic(topic_id=row["id"])
        status = state(userecho_sandbox).statuses[row["status_id"]]
        as_id = is_id if is_id is not None else forum_id == 3
        assert topic.status == (f"#{status['id']}" if as_id else status["name"])
        assert topic.scope == ("Ideas & Feedback" if forum_id == 1 else "Beta program")


@pytest.mark.parametrize("mode", ["reference", "alternate", "both"])
def test_comment_count_from_either_spelling(userecho, userecho_sandbox, mode):
    """Trap 14: `comment_count` [D] or `comments_count` [C DA]."""
    userecho_sandbox.app.configure(field_names=mode)
    row = next(iter(state(userecho_sandbox).topics.values()))
    expected = sum(
        1 for c in state(userecho_sandbox).comments.values() if c["topic_id"] == row["id"]
    )
    assert userecho().get_topic(topic_id=row["id"]).comment_count == expected


def test_delete_a_topic_on_its_own_path(userecho, userecho_sandbox):
    row = next(iter(state(userecho_sandbox).topics.values()))
    client = userecho()
    client.delete_topic(topic_id=row["id"])
    assert row["id"] not in state(userecho_sandbox).topics
    assert [r.path for r in calls(userecho_sandbox, "DELETE")] == [
        f"/api/v2/topics/{row['id']}.json"
    ]
    with pytest.raises(ForumNotFound):
        client.delete_topic(topic_id=row["id"])
    assert len(calls(userecho_sandbox, "DELETE")) == 1


def test_review_queue_counts_topics_waiting_in_every_forum(userecho, userecho_sandbox):
    waiting = {t["id"] for t in state(userecho_sandbox).topics.values() if t["needs_review"]}
    client = userecho()
    assert {t.id for t in client.review_topics()} == waiting and len(waiting) == 12
    assert client.review_count() == 12
    for record in calls(userecho_sandbox):
        if record.path.endswith("/topics.json"):
            assert query(record)["filter__needs_review"] == ["1"]


def test_review_queue_survives_a_server_that_ignores_the_filter(userecho, userecho_sandbox):
    userecho_sandbox.app.configure(ignored_filters={"needs_review"})
    assert userecho().review_count() == 12


# --- health check --------------------------------------------------------------------------------
def test_health_check_reports_forums_users_review_queue_and_access(userecho, userecho_sandbox):
    report = userecho().health_check()
    assert report.ok, report.error
    assert (report.reachable, report.credentials_ok, report.is_admin) == (True, True, True)
    assert report.title == "3 forums: Ideas & Feedback, Support, Beta program"
    assert (report.user_count, report.review_count) == (80, 12)
    assert report.software == "UserEcho" and report.capabilities == []
    assert any("not offered" in note for note in report.notes)


def test_health_check_finds_the_later_routes(userecho, userecho_sandbox):
    later(userecho_sandbox)
    report = userecho().health_check()
    assert report.capabilities == ["group_membership", "user_delete"]
    assert any("later routes" in note for note in report.notes)


@pytest.mark.parametrize("token", [READ_TOKEN, AGENT_TOKEN])
def test_a_token_without_all_is_accepted_but_named_as_not_enough(userecho, token):
    report = userecho(api_key=token).health_check()
    assert report.credentials_ok is True and report.is_admin is False
    assert report.error_kind == "not_admin" and "“all” (manage) permission" in report.error
    assert report.user_count == 80


def test_a_refused_token_is_a_credentials_problem(userecho):
    report = userecho(api_key="no-such-token").health_check()
    assert (report.reachable, report.credentials_ok) == (True, False)
    assert "Invalid access token" in report.error
    assert "Setup → Advanced features → API" in report.error


def test_an_unreachable_project_says_so(userecho_sandbox):
    from forums.clients.userecho import UserEchoClient

    client = UserEchoClient(
        base_url="http://127.0.0.1:9", api_key=USERECHO_TOKEN, allow_http_hosts=["127.0.0.1"]
    )
    report = client.health_check()
    assert report.reachable is False and "refused" in report.error


# --- issue 26, item 13 -----------------------------------------------------------------------
def test_the_later_routes_note_promises_only_what_a_page_offers(userecho, userecho_sandbox):
    later(userecho_sandbox)
    notes = " ".join(userecho().health_check().notes)
    assert "deleting users is offered" in notes
    assert "group" not in notes  # no page changes one user's groups


def test_a_missing_user_in_words_forumdeck_does_not_know_is_gone(userecho, userecho_sandbox):
    """Errors may come with 200 and any wording (ENDPOINTS.md 1.5): the client re-reads what
    must work and then calls the user gone, instead of "UserEcho refused"."""
    app = userecho_sandbox.app
    app.configure(error_http_status="200")
    own_path_user = app.path_user

    def odd_words(request, user_id):
        if user_id == UNKNOWN:
            return app.fail("invalid", "Object matching query does not exist")
        return own_path_user(request, user_id)

    app.path_user = odd_words
    try:
        with pytest.raises(ForumNotFound, match=f"no user #{UNKNOWN} now"):
            userecho().get_user(user_id=UNKNOWN)
    finally:
        del app.path_user
