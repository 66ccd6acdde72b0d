"""Review queue decisions that delete, as a bulk action: planned (each item read, still waiting
and still offering the decision), approved by a second person, run one item at a time; an item
decided on the forum meanwhile is skipped, never decided twice."""

from __future__ import annotations

import pytest

from forums.bulk import engine
from forums.bulk.services import bulk_action_propose
from forums.models import AuditEntry, BulkAction
from tests.bulk.helpers import approve

pytestmark = pytest.mark.django_db
State = BulkAction.State


def flags(app, count):
    users = sorted(app.users.values(), key=lambda u: u["id"])
    authors = [u for u in users if u["id"] > 0 and not u["admin"] and not u["moderator"]
               and u["approved"]]  # fmt: skip
    flagger = authors[-1]
    with app.lock:
        return [app.add_flagged_post(authors[i]["id"], topic_id=5, raw=f"post {i}",
                                     flags=[(flagger["id"], 4)]) for i in range(count)]  # fmt: skip


def test_delete_flagged_posts_after_approval(
    moderator, approver, discourse_connection, discourse_sandbox
):
    app = discourse_sandbox.app
    rows = flags(app, 3)
    action = bulk_action_propose(
        actor=moderator, kind="review_decide",
        params={"action": "delete_and_agree", "label": "Delete post"},
        targets_by_connection={discourse_connection: [str(r["id"]) for r in rows] + ["999999"]},
    )  # fmt: skip
    assert engine.plan_action(action.pk).again_in is None
    action.refresh_from_db()
    assert action.state == State.PENDING_APPROVAL
    assert all(app.posts[r["target_id"]]["deleted_at"] is None for r in rows)  # planned only
    with app.lock:  # decided on the forum between the plan and the run
        app.reviewables[app.reviewables.index(rows[0])]["status"] = 3
    approve(action, approver)
    assert engine.run_action(action.pk).again_in is None
    action.refresh_from_db()
    states = dict(action.items.values_list("target", "state"))
    assert states["999999"] == "skipped"
    assert states[str(rows[0]["id"])] == "skipped"  # someone decided it first
    assert app.posts[rows[0]["target_id"]]["deleted_at"] is None
    for row in rows[1:]:
        assert states[str(row["id"])] == "done"
        assert app.posts[row["target_id"]]["deleted_at"] is not None and row["status"] == 1
    assert AuditEntry.objects.filter(action="bulk.review_decide").count() >= 2


def test_two_nodebb_flags_are_two_items_not_the_same_one(
    moderator, nodebb_connection, nodebb_sandbox
):
    # NodeBB's item ids are not numbers ("flag:7"): each still plans as its own item.
    app = nodebb_sandbox.app
    uid = next(uid for uid, u in sorted(app.state.users.items()) if uid > 2 and not u["banned"])
    with app.lock:
        ids = [app.add_flag(kind="post", uid=uid, reason="spam") for _ in range(2)]
    action = bulk_action_propose(
        actor=moderator, kind="review_decide",
        params={"action": "delete_post", "label": "Delete the post"},
        targets_by_connection={nodebb_connection: [f"flag:{i}" for i in ids]},
    )  # fmt: skip
    assert engine.plan_action(action.pk).again_in is None
    action.refresh_from_db()
    assert action.plan["planned"] == 2, list(action.items.values_list("target", "error"))


def test_planned_from_the_kept_rows_and_run_with_their_versions(
    moderator, approver, discourse_connection, discourse_sandbox
):
    # The Review page's list was read (the kept rows): the plan reads no item again, and the
    # run sends each decision with the version the plan saw, reading nothing first; the forum
    # refuses an item that changed since (409), which is skipped as decided meanwhile.
    from forums.review import selectors

    app = discourse_sandbox.app
    rows = flags(app, 3)
    selectors.review_queue()
    app.calls.clear()
    action = bulk_action_propose(
        actor=moderator, kind="review_decide",
        params={"action": "delete_and_agree", "label": "Delete post"},
        targets_by_connection={discourse_connection: [str(r["id"]) for r in rows]},
    )  # fmt: skip
    assert engine.plan_action(action.pk).again_in is None
    assert app.calls.count() == 0  # planned from the kept rows
    action.refresh_from_db()
    assert action.plan["planned"] == 3
    with app.lock:  # changed on the forum between the plan and the run
        app.reviewables[app.reviewables.index(rows[0])]["version"] += 1
    approve(action, approver)
    assert engine.run_action(action.pk).again_in is None
    calls = app.calls.records()
    assert [c.method for c in calls] == ["PUT"] * 3  # no read before deciding
    action.refresh_from_db()
    states = dict(action.items.values_list("target", "state"))
    assert states[str(rows[0]["id"])] == "skipped"
    assert app.posts[rows[0]["target_id"]]["deleted_at"] is None
    assert all(states[str(r["id"])] == "done" for r in rows[1:])
