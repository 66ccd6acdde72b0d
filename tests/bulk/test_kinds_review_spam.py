""" "Delete the spammer's posts and suspend them" across a Discourse and a NodeBB (issue 24): one
bulk action from the review queue, planned (the posts to delete, the accounts to suspend or ban,
staff refused as the forum would), approved by a second person, and run: each post deleted
through the forum's own review decision, each author penalised once."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from forums.bulk import engine
from forums.bulk.services import BulkActionError, bulk_action_approve
from forums.models import AuditEntry, BulkAction
from forums.review.services import review_propose_spam
from tests.bulk.helpers import approve

pytestmark = pytest.mark.django_db
State = BulkAction.State
PENALTY = {"until": "30 days", "reason": "Spam in the marketplace", "message": ""}


def discourse_spammer(app, count=2):
    users = sorted(app.users.values(), key=lambda u: u["id"])
    plain = [u for u in users if u["id"] > 0 and not u["admin"] and not u["moderator"]
             and u["approved"] and not u.get("suspended_till")]  # fmt: skip
    spammer, flagger = plain[0], plain[-1]
    with app.lock:
        rows = [app.add_flagged_post(spammer["id"], topic_id=5, raw=f"Cheap watches {i}",
                                     flags=[(flagger["id"], 8)]) for i in range(count)]  # fmt: skip
    return spammer, rows


def nodebb_spammer(app):
    uid = next(uid for uid, u in sorted(app.state.users.items())
               if uid > 2 and not u["banned"] and not u["mutedUntil"])  # fmt: skip
    with app.lock:
        flag_id = app.add_flag(kind="post", uid=uid, reason="spam", content="Cheap watches")
    flag = next(f for f in app.state.flags if f["flagId"] == flag_id)
    return app.state.users[uid], flag


def propose(moderator, discourse_connection, nodebb_connection, d_rows, flag, penalty=PENALTY):
    keys = [f"{discourse_connection.pk}:{r['id']}" for r in d_rows]
    keys.append(f"{nodebb_connection.pk}:flag:{flag['flagId']}")
    return review_propose_spam(actor=moderator, keys=keys, penalty=penalty)


def test_posts_deleted_and_authors_suspended_or_banned_across_two_forums(
    moderator, approver, discourse_connection, discourse_sandbox, nodebb_connection,
    nodebb_sandbox,
):  # fmt: skip
    d_app, n_app = discourse_sandbox.app, nodebb_sandbox.app
    spammer, rows = discourse_spammer(d_app)
    n_user, flag = nodebb_spammer(n_app)
    action = propose(moderator, discourse_connection, nodebb_connection, rows, flag)
    assert action.kind == "review_spam"
    targets = set(action.items.values_list("target", flat=True))
    # one author per forum, however many of their posts are ticked
    assert f"author:{spammer['username']}" in targets
    assert f"author:{n_user['username']}" in targets
    assert len(targets) == len(rows) + 1 + 2

    assert engine.plan_action(action.pk).again_in is None
    action.refresh_from_db()
    assert action.state == State.PENDING_APPROVAL
    assert action.plan["planned"] == len(targets)
    assert all(d_app.posts[r["target_id"]]["deleted_at"] is None for r in rows)  # planned only
    assert not d_app.users[spammer["id"]].get("suspended_till")

    with pytest.raises(BulkActionError):  # four eyes: the proposer cannot approve
        bulk_action_approve(actor=moderator, action=action, plan_hash=action.plan_hash)
    with d_app.lock:  # decided on the forum between the plan and the run
        rows[1]["status"] = 3
    approve(action, approver)
    assert engine.run_action(action.pk).again_in is None
    action.refresh_from_db()
    items = {i.target: i for i in action.items.all()}
    assert items[str(rows[1]["id"])].state == "skipped"
    assert "already decided" in items[str(rows[1]["id"])].error
    assert d_app.posts[rows[1]["target_id"]]["deleted_at"] is None

    assert items[str(rows[0]["id"])].state == "done"
    assert d_app.posts[rows[0]["target_id"]]["deleted_at"] is not None
    assert "Discourse" in items[str(rows[0]["id"])].error  # what the forum did
    assert items[f"flag:{flag['flagId']}"].state == "done"
    assert "NodeBB deleted post" in items[f"flag:{flag['flagId']}"].error
    assert flag["state"] == "resolved" or flag not in n_app.state.flags

    assert items[f"author:{spammer['username']}"].state == "done"
    assert d_app.users[spammer["id"]]["suspended_till"]
    assert items[f"author:{n_user['username']}"].state == "done"
    assert n_app.state.users[n_user["uid"]]["banned"]
    assert "banned" in items[f"author:{n_user['username']}"].error
    assert action.state == State.SUCCEEDED

    audits = AuditEntry.objects.filter(action="bulk.review_spam", outcome="success")
    messages = list(audits.values_list("message", flat=True))
    assert any("NodeBB deleted post" in m for m in messages)
    assert any("Discourse suspended" in m for m in messages)
    assert any("NodeBB banned" in m for m in messages)


def test_an_author_already_suspended_and_staff_are_skipped_with_the_reason(
    moderator, approver, discourse_connection, discourse_sandbox, nodebb_connection,
    nodebb_sandbox,
):  # fmt: skip
    d_app, n_app = discourse_sandbox.app, nodebb_sandbox.app
    spammer, rows = discourse_spammer(d_app, count=1)
    mod = next(u for u in d_app.users.values() if u["moderator"] and not u["admin"])
    with d_app.lock:
        staff_row = d_app.add_flagged_post(mod["id"], topic_id=5, raw="Staff post",
                                           flags=[(spammer["id"], 4)])  # fmt: skip
    n_user, flag = nodebb_spammer(n_app)
    action = propose(moderator, discourse_connection, nodebb_connection, [*rows, staff_row], flag)
    assert engine.plan_action(action.pk).again_in is None
    action.refresh_from_db()
    items = {i.target: i for i in action.items.all()}
    assert items[f"author:{mod['username']}"].state == "skipped"
    assert "moderator" in items[f"author:{mod['username']}"].error
    # Banned on NodeBB meanwhile, before the run: "already banned", not an error.
    with n_app.lock:
        n_app.state.users[n_user["uid"]]["banned"] = True
    approve(action, approver)
    assert engine.run_action(action.pk).again_in is None
    action.refresh_from_db()
    author = action.items.get(target=f"author:{n_user['username']}")
    assert author.state == "skipped" and author.error == "already banned"
    assert action.state == State.SUCCEEDED
    assert d_app.users[spammer["id"]]["suspended_till"]


def test_the_usual_penalty_rules_refuse_before_anything_is_proposed(
    moderator, discourse_connection, discourse_sandbox, nodebb_connection, nodebb_sandbox
):
    _, rows = discourse_spammer(discourse_sandbox.app, count=1)
    _, flag = nodebb_spammer(nodebb_sandbox.app)
    with pytest.raises(ValidationError, match="Reason"):
        propose(moderator, discourse_connection, nodebb_connection, rows, flag,
                penalty={"until": "30 days", "reason": ""})  # fmt: skip
    assert not BulkAction.objects.exists()


def test_discourse_posts_are_planned_from_the_kept_rows_and_deleted_with_their_versions(
    moderator, approver, discourse_connection, discourse_sandbox, nodebb_connection,
    nodebb_sandbox,
):  # fmt: skip
    """The Review page's list was read (the kept rows): the plan reads no Discourse item, and
    the run deletes each post with the decision and version the plan saw, reading no item
    first; a post whose item changed since (409) is skipped as decided meanwhile, not deleted."""
    from forums.review import selectors

    d_app = discourse_sandbox.app
    spammer, rows = discourse_spammer(d_app, count=3)
    _, flag = nodebb_spammer(nodebb_sandbox.app)
    selectors.review_queue()
    d_app.calls.clear()

    def item_reads():
        return [c for c in d_app.calls.records() if c.method == "GET" and "/review/" in c.path]

    action = propose(moderator, discourse_connection, nodebb_connection, rows, flag)
    assert engine.plan_action(action.pk).again_in is None
    action.refresh_from_db()
    assert action.plan["planned"] == len(rows) + 1 + 2
    assert item_reads() == []  # planned from the kept rows
    with d_app.lock:  # changed on the forum between the plan and the run
        d_app.reviewables[d_app.reviewables.index(rows[0])]["version"] += 1
    approve(action, approver)
    d_app.calls.clear()
    assert engine.run_action(action.pk).again_in is None
    assert item_reads() == []  # no read before deciding
    decisions = [c for c in d_app.calls.records() if c.method == "PUT" and "/review/" in c.path]
    assert len(decisions) == len(rows)
    action.refresh_from_db()
    items = {i.target: i for i in action.items.all()}
    assert items[str(rows[0]["id"])].state == "skipped"
    assert "already decided" in items[str(rows[0]["id"])].error
    assert d_app.posts[rows[0]["target_id"]]["deleted_at"] is None
    for row in rows[1:]:
        assert items[str(row["id"])].state == "done"
        assert d_app.posts[row["target_id"]]["deleted_at"] is not None
    assert items[f"author:{spammer['username']}"].state == "done"
    assert d_app.users[spammer["id"]]["suspended_till"]
