"""NodeBB bulk actions find their targets in bulk: the plan and the run's re-check read the ACP
user list 500 users a call (or search one by one where that is cheaper), counted from the
sandbox's call log."""

from __future__ import annotations

import math

import pytest

from forums.bulk import engine
from forums.bulk.services import bulk_action_propose
from forums.models import BulkAction, BulkActionItem
from tests.bulk.helpers import approve, propose_and_plan

pytestmark = pytest.mark.django_db

State = BulkAction.State
ItemState = BulkActionItem.State
USERS = 1200  # three pages of the ACP list at 500 a page
LIST = "/api/admin/manage/users"


@pytest.fixture
def big_nodebb():
    """A sandbox NodeBB with 1,200 users (the conftest one has 40)."""
    from forums.sandbox.core import RunningSandbox
    from forums.sandbox.nodebb import NodeBBSandbox, NodeBBSandboxConfig
    from tests.conftest import NODEBB_TOKEN

    app = NodeBBSandbox(NodeBBSandboxConfig(api_key=NODEBB_TOKEN, users=USERS))
    with RunningSandbox(app) as sandbox:
        yield sandbox


@pytest.fixture
def big_connection(db, big_nodebb):
    from forums.models import Platform
    from tests.conftest import NODEBB_TOKEN
    from tests.factories import ForumConnectionFactory

    return ForumConnectionFactory(
        name="Big NodeBB",
        platform=Platform.NODEBB,
        base_url=big_nodebb.url,
        api_key=NODEBB_TOKEN,
        api_username="1",
        requests_per_minute=600_000,
    )


def plain_users(app, count: int) -> list[dict]:
    """Users a ban can change: not staff, not banned, with a confirmed e-mail address."""
    admins = set(app.state.groups["administrators"]["members"])
    users = [
        u
        for uid, u in sorted(app.state.users.items())
        if uid > 2 and uid not in admins and not u["banned"] and u["email_confirmed"]
    ]
    assert len(users) >= count
    return users[:count]


def calls(app, path: str | None = None) -> int:
    return sum(1 for c in app.calls.records() if path is None or c.path == path)


def ban_params() -> dict:
    return {"reason": "spam wave", "until": "permanent"}


def test_ban_of_many_reads_the_user_list_not_one_search_per_target(
    moderator, approver, big_connection, big_nodebb
):
    app = big_nodebb.app
    users = plain_users(app, 150)
    # Usernames (some in capitals), e-mail addresses and uids, mixed.
    targets = [
        u["username"].upper() if i % 3 == 0 else u["email"] if i % 3 == 1 else str(u["uid"])
        for i, u in enumerate(users)
    ]
    action = propose_and_plan(
        proposer=moderator, connection=big_connection, kind="suspend", targets=targets,
        params=ban_params(),
    )  # fmt: skip
    pages = math.ceil(USERS / 500)
    plan_calls = calls(app)
    assert action.plan["planned"] == 150
    # The whole list, once: not 150 searches.
    assert plan_calls == calls(app, LIST) == pages
    app.calls.clear()
    approve(action, approver)
    engine.run_action(action.pk)
    action.refresh_from_db()
    assert action.state == State.SUCCEEDED
    assert all(app.state.users[u["uid"]]["banned"] for u in users)
    bans = [c for c in app.calls.records() if c.method == "PUT" and c.path.endswith("/ban")]
    assert len(bans) == 150
    # Re-checked before sending from the same list, once per 1,000 items (one lookup's
    # worth), as the plan counted: not once per 100.
    assert calls(app, LIST) == pages
    assert (plan_calls + calls(app)) / 150 <= 1.2


def test_unknown_targets_junk_lines_and_already_banned_are_reported(
    moderator, approver, big_connection, big_nodebb
):
    app = big_nodebb.app
    users = plain_users(app, 6)
    banned = next(u for uid, u in sorted(app.state.users.items()) if uid > 2 and u["banned"])
    lines = [
        users[0]["username"],
        "no_such_person",
        users[1]["email"],
        "ghost@example.org",
        "bad name!",
        banned["username"],
        str(users[2]["uid"]),
        "987654",
        users[3]["username"],
        users[4]["username"],
    ]
    action = propose_and_plan(
        proposer=moderator, connection=big_connection, kind="suspend", targets=lines,
        params=ban_params(),
    )  # fmt: skip
    assert [(j["line"], j["text"]) for j in action.plan["junk"]] == [(5, "bad name!")]
    reasons = {e["target"]: e["error"] for e in action.plan["skipped_examples"]}
    assert reasons == {
        "no_such_person": "not found on Big NodeBB",
        "ghost@example.org": "not found on Big NodeBB",
        "987654": "not found on Big NodeBB",
        banned["username"]: "already suspended or banned",
    }
    assert action.plan["planned"] == 5
    # 9 targets on a forum of 3 pages: the list is cheaper than 9 searches.
    assert calls(app) == math.ceil(USERS / 500)

    # Between plan and run: one is banned by someone else, one account is deleted.
    app.state.users[users[3]["uid"]].update(banned=True, banned_expire=0)
    app.state.groups["banned-users"]["members"].append(users[3]["uid"])
    del app.state.users[users[4]["uid"]]
    app.calls.clear()
    approve(action, approver)
    engine.run_action(action.pk)
    action.refresh_from_db()
    items = {i.target: i for i in action.items.all()}
    assert items[users[3]["username"]].state == ItemState.SKIPPED
    assert items[users[3]["username"]].error == "already suspended or banned"
    assert items[users[4]["username"]].error == "no longer exists on Big NodeBB"
    for target in (users[0]["username"], users[1]["email"], str(users[2]["uid"])):
        assert items[target].state == ItemState.DONE
    bans = [c for c in app.calls.records() if c.method == "PUT"]
    assert len(bans) == 3  # nothing sent to the banned or the deleted user


def test_a_run_that_died_after_sending_finds_its_bans_applied(
    moderator, approver, big_connection, big_nodebb
):
    app = big_nodebb.app
    users = plain_users(app, 5)
    action = propose_and_plan(
        proposer=moderator, connection=big_connection, kind="suspend",
        targets=[u["username"] for u in users], params=ban_params(),
    )  # fmt: skip
    approve(action, approver)
    # A run died after sending the first two: NodeBB banned them, the items say "sending".
    sent = list(action.items.order_by("id")[:2])
    for item in sent:
        app.state.users[item.forum_user_id].update(banned=True, banned_expire=0)
        item.state = ItemState.SENDING
        item.attempts = 1
    engine._save(sent, ["state", "attempts"])  # as the run wrote them, with the action's counts
    app.calls.clear()
    engine.run_action(action.pk)
    action.refresh_from_db()
    assert action.state == State.SUCCEEDED
    for item in sent:
        item.refresh_from_db()
        assert item.state == ItemState.DONE and item.error == engine.FOUND_APPLIED
    assert len([c for c in app.calls.records() if c.method == "PUT"]) == 3


def test_unban_and_unmute_of_many_use_the_list_too(moderator, approver, big_connection, big_nodebb):
    app = big_nodebb.app
    users = plain_users(app, 120)
    for user in users:
        user.update(banned=True, banned_expire=0)
    action = propose_and_plan(
        proposer=moderator, connection=big_connection, kind="unsuspend",
        targets=[u["username"] for u in users],
    )  # fmt: skip
    assert action.plan["planned"] == 120
    approve(action, approver)
    engine.run_action(action.pk)
    action.refresh_from_db()
    assert action.state == State.SUCCEEDED
    assert not any(app.state.users[u["uid"]]["banned"] for u in users)
    lookups = calls(app, LIST)
    # Plan: one read of the list; run: one per 1,000 items (one lookup's worth).
    assert lookups == math.ceil(USERS / 500) * 2
    assert calls(app) == lookups + 120


def test_group_add_plan_resolves_from_the_list(moderator, big_connection, big_nodebb):
    app = big_nodebb.app
    members = set(app.state.groups["Translators"]["members"])
    users = [u for u in plain_users(app, 200) if u["uid"] not in members][:100]
    action = bulk_action_propose(
        actor=moderator, kind="group_add", connections=[big_connection],
        params={"group": "translators"}, targets_text="\n".join(u["email"] for u in users),
    )  # fmt: skip
    app.calls.clear()
    engine.plan_action(action.pk)
    action.refresh_from_db()
    assert action.plan["planned"] == 100
    assert calls(app, LIST) == math.ceil(USERS / 500)
