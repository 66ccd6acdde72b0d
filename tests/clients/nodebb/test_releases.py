"""The NodeBB client against the sandbox playing NodeBB 3.12 (forums/sandbox/nodebb/
releases.py): the key client tests of the other modules run here again, and the client picks
the request shape by the forum's version where 3.x and 4.x differ."""

from __future__ import annotations

import json

import pytest

from forums.clients.errors import CapabilityNotOffered
from forums.clients.records import ForumGroup, Penalty
from forums.sandbox.core import RunningSandbox
from forums.sandbox.registry import SANDBOXES

from .helpers import MASTER, MASTER_CONFIG, TOKEN, make_client, plain_uid  # noqa: F401

# Key tests of the other modules, collected here again against 3.12 (this module's config).
from .test_bulk_verbs import test_neutral_verbs_map_to_ban_mute_delete_and_membership  # noqa: F401
from .test_groups import (  # noqa: F401
    test_a_created_group_does_not_keep_the_acting_admin_as_member,
    test_a_members_page_reads_only_the_member_pages_it_shows,
    test_adding_n_members_makes_n_calls,
    test_create_update_get_delete_group,
    test_group_members_are_paged,
    test_private_is_sent_on_its_own_beside_hidden,
    test_removing_someone_who_already_left_is_skipped_not_a_failure,
    test_unknown_users_are_skipped,
)
from .test_tags import (  # noqa: F401
    test_tags_with_counts_and_topic_retagging,
    test_topics_for_a_tag_walk_every_page,
)
from .test_users import (  # noqa: F401
    test_bulk_delete_is_one_call_and_one_admin_fails_it_all,
    test_listing_users_walks_every_page,
    test_mute_then_unmute,
    test_permanent_ban_has_no_end,
    test_search_by_username_and_email,
)

SANDBOX_CONFIG = {
    "nodebb": {"api_key": TOKEN, "users": 120, "user_tokens": {"member-token": 20},
               "release": "3.12"}
}  # fmt: skip


def test_health_check_reads_the_3x_version(client):
    report = client.health_check()
    assert report.ok and report.version == "3.12.7" and not report.notes


def test_an_unban_reason_goes_in_the_body_on_3x_where_a_query_is_lost(client, sandbox):
    uid = plain_uid(sandbox)
    client.penalise(kind=Penalty.SUSPEND, user_id=uid, until=None, reason="Spam")
    client.lift(kind=Penalty.SUSPEND, user_id=uid, reason="Appeal accepted")
    assert client.get_user(user_id=uid).suspended is False
    unban = [r for r in sandbox.app.calls.records() if r.method == "DELETE"][-1]
    assert "reason" not in unban.query
    entry = next(e for e in sandbox.app.state.users[uid]["bans"] if e["type"] == "unban")
    assert entry["reason"] == "Appeal accepted"


def test_muted_people_cannot_be_listed_on_3x_and_it_says_why(client, sandbox):
    with pytest.raises(CapabilityNotOffered, match="before 4.12"):
        list(client.list_users(status="muted"))


def test_a_known_version_saves_the_dashboard_call(sandbox):
    from forums.clients.nodebb import NodeBBClient

    uid = plain_uid(sandbox)
    with make_client(sandbox) as client:
        client.penalise(kind=Penalty.SUSPEND, user_id=uid, until=None, reason="x")
    sandbox.app.calls.clear()
    known = NodeBBClient(
        base_url=sandbox.url, api_key=TOKEN, api_username="1", forum_version="3.12.7",
        allow_http_hosts=["127.0.0.1"],
    )  # fmt: skip
    with known as client:
        client.lift(kind=Penalty.SUSPEND, user_id=uid, reason="calmer now")
    assert sandbox.app.calls.count("GET", "/api/admin/dashboard") == 0
    entry = next(e for e in sandbox.app.state.users[uid]["bans"] if e["type"] == "unban")
    assert entry["reason"] == "calmer now"


def test_a_forum_older_than_3x_says_so_on_its_card():
    app = SANDBOXES["nodebb"].app(api_key=TOKEN, release="3.12", version="2.8.19", users=10)
    with RunningSandbox(app) as running, make_client(running) as client:
        report = client.health_check()
    assert report.ok and any("older than the oldest release" in n for n in report.notes)


def test_3x_token_changes_the_administrators_group(client, sandbox):
    """No re-auth before 4.14.7: the request goes through (the 4.x refusal is not raised)."""
    uid = plain_uid(sandbox)
    admins = ForumGroup(id="administrators", name="administrators", slug="administrators")
    change = client.add_members(group=admins, user_ids=[uid])
    assert change.added == (str(uid),)
    assert json.dumps(sandbox.app.state.groups["administrators"]["members"]).count(str(uid))
