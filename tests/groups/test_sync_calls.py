"""A group sync proposes and plans with the least calls the API allows (issue 25, finding 2),
counted from the sandbox's own call log: proposing reuses the preview the page showed, and the
plan checks every line through the forum's cheapest read of who each name is."""

from __future__ import annotations

import pytest

from forums.bulk import engine
from forums.groups import selectors, services
from forums.models import BulkAction
from forums.sandbox.core import RunningSandbox, SandboxConfig
from forums.sandbox.discourse import DiscourseSandbox
from tests.bulk.helpers import approve
from tests.factories import ForumConnectionFactory

pytestmark = pytest.mark.django_db

KEY = "sync-calls-key-0123456789"
ACCOUNTS = 3_000
PEOPLE = 400


def add_group(app: DiscourseSandbox, name: str) -> dict:
    with app.lock:
        gid = app.next_group_id
        app.next_group_id += 1
        app.groups[gid] = app._new_group(gid, name)
        return app.groups[gid]


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


@pytest.fixture(scope="module")
def big_forum():
    app = DiscourseSandbox(
        SandboxConfig(api_key=KEY, users=ACCOUNTS, admin_requests_per_minute=1_000_000)
    )
    with RunningSandbox(app) as running:
        yield running


def test_a_sync_of_n_people_proposes_and_plans_with_the_least_calls(big_forum, moderator, approver):
    app = big_forum.app
    app.reset()
    source = add_group(app, "sync-source")
    target = add_group(app, "sync-target")
    plain = [
        u for u in app.users.values()
        if u["id"] > 4 and not u["staged"] and not app.suspended(u) and not u["admin"]
    ][:PEOPLE]  # fmt: skip
    for user in plain:
        source["members"][user["id"]] = app.now
    forum = ForumConnectionFactory(
        name="Big forum", base_url=big_forum.url, api_key=KEY, requests_per_minute=100_000
    )
    targets = [(forum, "sync-target")]

    app.calls.clear()
    preview = selectors.group_sync_preview(source=forum, source_key="sync-source", targets=targets)
    assert len(preview.forums[0].add) == PEOPLE  # everyone matched by e-mail, to be added

    token = selectors.remember_sync_preview(preview, user_id=moderator.pk, targets=targets)
    app.calls.clear()
    action = services.group_sync_propose(
        actor=moderator, source=forum, source_key="sync-source", targets=targets,
        preview_token=token,
    )  # fmt: skip
    assert app.calls.count() == 0  # the preview the page showed, not worked out again
    assert action.items.count() == PEOPLE

    app.calls.clear()
    assert engine.plan_action(action.pk).again_in is None
    action.refresh_from_db()
    plan_calls = app.calls.count()
    assert action.plan["targets"] == PEOPLE and action.state == BulkAction.State.PENDING_APPROVAL
    # The group and its members, then who each name is: trust_level_0's members, 1,000 a page
    # (or 100 names a search, were that fewer).
    plan_minimum = 1 + 1 + min(ceil_div(ACCOUNTS, 1000), ceil_div(PEOPLE, 100))
    assert plan_calls <= 1.3 * plan_minimum, (plan_calls, plan_minimum)
    assert not any(r.path.startswith("/admin/users/list/") for r in app.calls.records())

    # And the plan it made is the one a person would want: everyone is added.
    approve(action, approver)
    assert engine.run_action(action.pk).again_in is None
    assert set(target["members"]) == {u["id"] for u in plain}


def test_a_changed_question_is_worked_out_again(big_forum, moderator):
    """A token for another question (here: another target group) is not reused."""
    app = big_forum.app
    app.reset()
    source = add_group(app, "sync-source")
    add_group(app, "sync-target")
    add_group(app, "other-target")
    user = next(u for u in app.users.values() if u["id"] > 4 and not u["staged"])
    source["members"][user["id"]] = app.now
    forum = ForumConnectionFactory(
        name="Big forum", base_url=big_forum.url, api_key=KEY, requests_per_minute=100_000
    )
    shown = [(forum, "sync-target")]
    preview = selectors.group_sync_preview(source=forum, source_key="sync-source", targets=shown)
    token = selectors.remember_sync_preview(preview, user_id=moderator.pk, targets=shown)
    app.calls.clear()
    action = services.group_sync_propose(
        actor=moderator, source=forum, source_key="sync-source",
        targets=[(forum, "other-target")], preview_token=token,
    )  # fmt: skip
    assert app.calls.count() > 0  # asked again
    assert action.params["groups"] == {"Big forum": "other-target"}
