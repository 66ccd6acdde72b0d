"""The bulk engine against the sandbox Discourse, step by step (the worker tests run it in
real Celery processes)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError
from django.utils import timezone

from forums.bulk import engine
from forums.bulk.services import (
    BulkActionError,
    bulk_action_cancel,
    bulk_action_propose,
    bulk_action_reject,
)
from forums.models import AuditEntry, BulkAction, BulkActionItem
from tests.bulk.helpers import approve, planned_group_add, propose_and_plan, usernames

pytestmark = pytest.mark.django_db

State = BulkAction.State


def mutating_calls(sandbox):
    return [c for c in sandbox.app.calls.records() if c.method in ("PUT", "POST", "DELETE")]


def test_plan_lists_unknown_duplicate_junk_and_noop_targets_and_counts_calls(
    moderator, sandbox_connection, discourse_sandbox
):
    names = usernames(discourse_sandbox, 3, not_in_group="beta-testers")
    group = next(g for g in discourse_sandbox.app.groups.values() if g["name"] == "beta-testers")
    member = discourse_sandbox.app.users[next(iter(group["members"]))]["username"]
    action = bulk_action_propose(
        actor=moderator,
        kind="group_add",
        connections=[sandbox_connection],
        params={"group": "beta-testers"},
        targets_text="\n".join([*names, "no_such_person", member, names[0], "bad name!"]),
    )
    assert action.state == State.PLANNING
    assert [j["line"] for j in action.plan["junk"]] == [7]
    assert [d["line"] for d in action.plan["duplicates"]] == [6]
    engine.plan_action(action.pk)
    action.refresh_from_db()
    assert action.state == State.PENDING_APPROVAL
    assert action.plan["planned"] == 3
    reasons = {e["target"]: e["error"] for e in action.plan["skipped_examples"]}
    assert reasons["no_such_person"] == "not found on Sandbox Discourse"
    assert reasons[member] == "already a member"
    # A run reads the members once and adds all three in one call: the group itself was
    # found by the plan, and the run acts on exactly that group.
    assert action.plan["calls"] == 2
    assert action.plan["frozen"][str(sandbox_connection.pk)]["group"]["name"] == "beta-testers"
    assert mutating_calls(discourse_sandbox) == []  # a plan never changes the forum


def test_approved_group_add_runs_in_one_call_and_is_audited(
    moderator, approver, sandbox_connection, discourse_sandbox
):
    names = usernames(discourse_sandbox, 40, not_in_group="translators")
    action = propose_and_plan(
        proposer=moderator,
        connection=sandbox_connection,
        kind="group_add",
        targets=names,
        params={"group": "translators"},
    )
    planned = action.plan["planned"]
    approve(action, approver)
    discourse_sandbox.app.calls.clear()
    engine.run_action(action.pk)
    action.refresh_from_db()
    assert action.state == State.SUCCEEDED
    assert action.items.filter(state="done").count() == planned
    puts = [c for c in mutating_calls(discourse_sandbox) if c.path.endswith("/members.json")]
    assert len(puts) == 1
    assert discourse_sandbox.app.calls.count() == action.plan["calls"]
    entries = AuditEntry.objects.filter(bulk_action=action, action="bulk.group_add")
    assert entries.count() == planned
    assert entries.first().actor == approver


def test_suspend_sends_one_call_per_user_and_skips_the_already_suspended(
    moderator, approver, sandbox_connection, discourse_sandbox
):
    names = usernames(discourse_sandbox, 5)
    until = (timezone.now() + timedelta(days=7)).isoformat()
    action = propose_and_plan(
        proposer=moderator,
        connection=sandbox_connection,
        kind="suspend",
        targets=names,
        params={"reason": "spam wave", "until": until},
    )
    approve(action, approver)
    # Someone suspends one of them on the forum meanwhile: the run must not send it again.
    victim = next(u for u in discourse_sandbox.app.users.values() if u["username"] == names[0])
    victim["suspended_till"] = timezone.now() + timedelta(days=1)
    victim["suspended_at"] = timezone.now()
    discourse_sandbox.app.calls.clear()
    engine.run_action(action.pk)
    action.refresh_from_db()
    assert action.state == State.SUCCEEDED
    item = action.items.get(target=names[0])
    assert item.state == "skipped" and item.error == "already suspended or banned"
    suspends = [c for c in mutating_calls(discourse_sandbox) if c.path.endswith("/suspend.json")]
    assert len(suspends) == 4
    assert all(
        u["suspend_reason"] == "spam wave"
        for u in discourse_sandbox.app.users.values()
        if u["username"] in names[1:]
    )


def test_self_approval_is_refused_by_the_service_and_the_database(
    moderator, sandbox_connection, discourse_sandbox
):
    action = planned_group_add(
        proposer=moderator, connection=sandbox_connection, sandbox=discourse_sandbox, count=2
    )
    with pytest.raises(BulkActionError, match="someone else must approve"):
        approve(action, moderator)
    action.refresh_from_db()
    assert action.state == State.PENDING_APPROVAL
    action.approved_by = moderator
    with pytest.raises(IntegrityError):
        action.save()


def test_a_change_after_approval_is_refused_as_stale_with_zero_calls(
    moderator, approver, sandbox_connection, discourse_sandbox
):
    action = planned_group_add(
        proposer=moderator, connection=sandbox_connection, sandbox=discourse_sandbox, count=3
    )
    approve(action, approver)
    BulkAction.objects.filter(pk=action.pk).update(params={"group": "support-team"})
    discourse_sandbox.app.calls.clear()
    engine.run_action(action.pk)
    action.refresh_from_db()
    assert discourse_sandbox.app.calls.count() == 0
    assert action.state == State.PENDING_APPROVAL and action.approved_by is None
    assert "changed after it was approved" in action.last_error
    assert AuditEntry.objects.filter(action="bulk.refused", bulk_action=action).exists()


def test_an_expired_approval_is_refused(moderator, approver, sandbox_connection, discourse_sandbox):
    action = planned_group_add(
        proposer=moderator, connection=sandbox_connection, sandbox=discourse_sandbox, count=3
    )
    approve(action, approver)
    BulkAction.objects.filter(pk=action.pk).update(
        approval_expires_at=timezone.now() - timedelta(minutes=1)
    )
    discourse_sandbox.app.calls.clear()
    engine.run_action(action.pk)
    action.refresh_from_db()
    assert discourse_sandbox.app.calls.count() == 0
    assert "approval expired" in action.last_error


def test_approving_a_plan_other_than_the_one_seen_is_refused(
    moderator, approver, sandbox_connection, discourse_sandbox
):
    action = planned_group_add(
        proposer=moderator, connection=sandbox_connection, sandbox=discourse_sandbox, count=3
    )
    from forums.bulk.services import bulk_action_approve

    with pytest.raises(BulkActionError, match="plan changed since you opened it"):
        bulk_action_approve(actor=approver, action=action, plan_hash="0" * 64)


def test_reject_needs_a_reason_and_cancel_before_run_sends_nothing(
    moderator, approver, sandbox_connection, discourse_sandbox
):
    action = planned_group_add(
        proposer=moderator, connection=sandbox_connection, sandbox=discourse_sandbox, count=3
    )
    with pytest.raises(BulkActionError, match="Say why"):
        bulk_action_reject(actor=approver, action=action, reason="  ")
    bulk_action_reject(actor=approver, action=action, reason="Wrong group")
    action.refresh_from_db()
    assert action.state == State.REJECTED and action.rejection_reason == "Wrong group"

    other = planned_group_add(
        proposer=moderator, connection=sandbox_connection, sandbox=discourse_sandbox, count=3
    )
    approve(other, approver)
    bulk_action_cancel(actor=moderator, action=other)
    engine.run_action(other.pk)
    other.refresh_from_db()
    assert other.state == State.CANCELLED
    assert not other.items.filter(state="done").exists()


def test_a_missing_group_fails_the_plan_with_a_clear_message(
    moderator, sandbox_connection, discourse_sandbox
):
    action = bulk_action_propose(
        actor=moderator,
        kind="group_add",
        connections=[sandbox_connection],
        params={"group": "no-such-group"},
        targets_text="alice",
    )
    engine.plan_action(action.pk)
    action.refresh_from_db()
    assert action.state == State.PLAN_FAILED
    assert "Sandbox Discourse" in action.last_error


def test_bad_parameters_are_refused_before_anything_is_created(moderator, sandbox_connection):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="is in the past"):
        bulk_action_propose(
            actor=moderator,
            kind="suspend",
            connections=[sandbox_connection],
            params={"reason": "x", "until": "2001-01-01T00:00"},
            targets_text="alice",
        )
    with pytest.raises(ValidationError, match="No usable targets"):
        bulk_action_propose(
            actor=moderator,
            kind="group_add",
            connections=[sandbox_connection],
            params={"group": "g"},
            targets_text="not valid!\n???",
        )
    assert not BulkAction.objects.exists() and not BulkActionItem.objects.exists()


@pytest.mark.parametrize(
    ("kind", "params", "call", "calls"),
    [
        ("suspend", {"reason": "spam wave", "until": "7 days"}, "/suspend.json", 3),
        ("group_add", {"group": "translators"}, "/members.json", 1),
    ],
)
def test_a_change_whose_answer_was_lost_is_found_applied_on_retry_and_audited(
    moderator, approver, sandbox_connection, discourse_sandbox, kind, params, call, calls
):
    from forums.models import ForumPace

    names = usernames(discourse_sandbox, 3, not_in_group="translators")
    if kind == "suspend":
        params = {**params, "until": (timezone.now() + timedelta(days=7)).isoformat()}
    action = propose_and_plan(
        proposer=moderator,
        connection=sandbox_connection,
        kind=kind,
        targets=names,
        params=params,
    )
    approve(action, approver)
    discourse_sandbox.app.calls.clear()
    # The forum applies the first change, but its answer never comes back (a 502).
    discourse_sandbox.app.config.faults.lost_answers = 1
    first = engine.run_action(action.pk)
    assert first.again_in is not None
    lost = list(action.items.filter(state="sending"))
    assert lost
    ForumPace.objects.update(next_slot=0)  # skip the backoff's wait
    engine.run_action(action.pk)
    action.refresh_from_db()
    assert action.state == State.SUCCEEDED
    for item in lost:
        item.refresh_from_db()
        assert item.state == "done"
        assert item.error == "found applied on retry (the forum's first answer was lost)"
    # What was lost was not sent again: each change went out once.
    sent = [c for c in mutating_calls(discourse_sandbox) if c.path.endswith(call)]
    assert len(sent) == calls
    # Every change the forum applied has its audit entry, the lost one saying what happened.
    entries = AuditEntry.objects.filter(bulk_action=action, action=f"bulk.{kind}")
    assert sorted(e.target for e in entries) == sorted(names)
    found = entries.filter(bulk_item__in=lost)
    assert found.count() == len(lost)
    for entry in found:
        assert "found applied on retry (the forum's first answer was lost)" in entry.message
        assert entry.outcome == AuditEntry.Outcome.SUCCESS and entry.actor == approver


def test_a_delete_whose_answer_was_lost_is_found_applied_and_audited(
    moderator, approver, nodebb_connection, nodebb_sandbox
):
    from forums.models import ForumPace

    app = nodebb_sandbox.app
    names = [f"spammer{n}" for n in range(3)]
    for name in names:
        app.add_person(username=name, email=f"{name}@example.org")
    action = propose_and_plan(
        proposer=moderator, connection=nodebb_connection, kind="delete_users", targets=names
    )
    assert action.plan["planned"] == 3, action.plan
    approve(action, approver)
    app.config.faults.lost_answers = 1
    assert engine.run_action(action.pk).again_in is not None
    lost = list(action.items.filter(state="sending"))
    gone = {u["username"] for u in app.state.users.values()}
    assert lost and all(i.target not in gone for i in lost)  # applied, answer lost
    ForumPace.objects.update(next_slot=0)
    engine.run_action(action.pk)
    action.refresh_from_db()
    assert action.state == State.SUCCEEDED
    entries = AuditEntry.objects.filter(bulk_action=action, action="bulk.delete_users")
    assert sorted(e.target for e in entries) == sorted(names)
    for item in lost:
        item.refresh_from_db()
        assert item.state == "done"
        (entry,) = entries.filter(bulk_item=item)
        assert "found applied on retry" in entry.message
