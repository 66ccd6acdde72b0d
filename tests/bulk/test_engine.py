"""The bulk engine against the sandbox Discourse, step by step (the worker tests run it in
real Celery processes)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from forums.bulk import engine
from forums.bulk.services import (
    BulkActionError,
    bulk_action_cancel,
    bulk_action_propose,
    bulk_action_reject,
)
from forums.models import AuditEntry, BulkAction, BulkActionItem, ForumPace, ForumPaceSlot
from tests.bulk.helpers import approve, planned_group_add, propose_and_plan, usernames

pytestmark = pytest.mark.django_db

State = BulkAction.State


def propose_week_suspension(moderator, connection, names: list[str]):
    """A week's suspension of ``names`` for spam, proposed and planned."""
    until = (timezone.now() + timedelta(days=7)).isoformat()
    return propose_and_plan(
        proposer=moderator,
        connection=connection,
        kind="suspend",
        targets=names,
        params={"reason": "spam wave", "until": until},
    )


def mutating_calls(sandbox):
    return [c for c in sandbox.app.calls.records() if c.method in ("PUT", "POST", "DELETE")]


def test_plan_lists_unknown_duplicate_junk_and_noop_targets_and_counts_calls(
    moderator, discourse_connection, discourse_sandbox
):
    names = usernames(discourse_sandbox, 3, not_in_group="beta-testers")
    group = next(g for g in discourse_sandbox.app.groups.values() if g["name"] == "beta-testers")
    member = discourse_sandbox.app.users[next(iter(group["members"]))]["username"]
    action = bulk_action_propose(
        actor=moderator,
        kind="group_add",
        connections=[discourse_connection],
        params={"group": "beta-testers"},
        targets_text="\n".join([*names, "no_such_person", member, names[0], "bad name!"]),
    )
    assert action.state == State.PLANNING
    engine.plan_action(action.pk)
    action.refresh_from_db()
    # The planning task reads the list (not the proposing request).
    assert [j["line"] for j in action.plan["junk"]] == [7]
    assert [d["line"] for d in action.plan["duplicates"]] == [6]
    assert action.state == State.PENDING_APPROVAL
    assert action.plan["planned"] == 3
    reasons = {e["target"]: e["error"] for e in action.plan["skipped_examples"]}
    assert reasons["no_such_person"] == "not found on Sandbox Discourse"
    assert reasons[member] == "already a member"
    # A run reads the members once and adds all three in one call: the group itself was
    # found by the plan, and the run acts on exactly that group.
    assert action.plan["calls"] == 2
    assert action.plan["frozen"][str(discourse_connection.pk)]["group"]["name"] == "beta-testers"
    assert mutating_calls(discourse_sandbox) == []  # a plan never changes the forum


@pytest.mark.parametrize("batch", [100, 1], ids=["same-batch", "later-batch"])
def test_a_person_named_twice_is_planned_once_and_the_other_says_who(
    moderator, discourse_connection, discourse_sandbox, monkeypatch, batch
):
    # The plan keeps only the ids it planned; the name that came first is read back when
    # the second target (here the same account's e-mail) is in a later batch.
    from forums.bulk.kinds.base import Kind

    monkeypatch.setattr(Kind, "resolve_batch_size", lambda self, client: batch)
    names = usernames(discourse_sandbox, 2)
    emails = {u["username"]: u["email"] for u in discourse_sandbox.app.users.values()}
    action = propose_week_suspension(moderator, discourse_connection, [*names, emails[names[0]]])
    assert action.plan["planned"] == 2
    reasons = {e["target"]: e["error"] for e in action.plan["skipped_examples"]}
    assert reasons == {emails[names[0]].lower(): f"same person as {names[0]}"}


def test_approved_group_add_runs_in_one_call_and_is_audited(
    moderator, approver, discourse_connection, discourse_sandbox
):
    names = usernames(discourse_sandbox, 40, not_in_group="translators")
    action = propose_and_plan(
        proposer=moderator,
        connection=discourse_connection,
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
    moderator, approver, discourse_connection, discourse_sandbox
):
    names = usernames(discourse_sandbox, 5)
    action = propose_week_suspension(moderator, discourse_connection, names)
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
    moderator, discourse_connection, discourse_sandbox
):
    action = planned_group_add(
        proposer=moderator, connection=discourse_connection, sandbox=discourse_sandbox, count=2
    )
    with pytest.raises(BulkActionError, match="someone else must approve"):
        approve(action, moderator)
    action.refresh_from_db()
    assert action.state == State.PENDING_APPROVAL
    action.approved_by = moderator
    with pytest.raises(IntegrityError):
        action.save()


def test_a_change_after_approval_is_refused_as_stale_with_zero_calls(
    moderator, approver, discourse_connection, discourse_sandbox
):
    action = planned_group_add(
        proposer=moderator, connection=discourse_connection, sandbox=discourse_sandbox, count=3
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


def test_an_expired_approval_is_refused(
    moderator, approver, discourse_connection, discourse_sandbox
):
    action = planned_group_add(
        proposer=moderator, connection=discourse_connection, sandbox=discourse_sandbox, count=3
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
    moderator, approver, discourse_connection, discourse_sandbox
):
    action = planned_group_add(
        proposer=moderator, connection=discourse_connection, sandbox=discourse_sandbox, count=3
    )
    from forums.bulk.services import bulk_action_approve

    with pytest.raises(BulkActionError, match="plan changed since you opened it"):
        bulk_action_approve(actor=approver, action=action, plan_hash="0" * 64)


def test_reject_needs_a_reason_and_cancel_before_run_sends_nothing(
    moderator, approver, discourse_connection, discourse_sandbox
):
    action = planned_group_add(
        proposer=moderator, connection=discourse_connection, sandbox=discourse_sandbox, count=3
    )
    with pytest.raises(BulkActionError, match="Say why"):
        bulk_action_reject(actor=approver, action=action, reason="  ")
    bulk_action_reject(actor=approver, action=action, reason="Wrong group")
    action.refresh_from_db()
    assert action.state == State.REJECTED and action.rejection_reason == "Wrong group"

    other = planned_group_add(
        proposer=moderator, connection=discourse_connection, sandbox=discourse_sandbox, count=3
    )
    approve(other, approver)
    bulk_action_cancel(actor=moderator, action=other)
    engine.run_action(other.pk)
    other.refresh_from_db()
    assert other.state == State.CANCELLED
    assert not other.items.filter(state="done").exists()


def test_a_missing_group_fails_the_plan_with_a_clear_message(
    moderator, discourse_connection, discourse_sandbox
):
    action = bulk_action_propose(
        actor=moderator,
        kind="group_add",
        connections=[discourse_connection],
        params={"group": "no-such-group"},
        targets_text="alice",
    )
    engine.plan_action(action.pk)
    action.refresh_from_db()
    assert action.state == State.PLAN_FAILED
    assert "Sandbox Discourse" in action.last_error


def test_bad_parameters_are_refused_before_anything_is_created(moderator, discourse_connection):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="is in the past"):
        bulk_action_propose(
            actor=moderator,
            kind="suspend",
            connections=[discourse_connection],
            params={"reason": "x", "until": "2001-01-01T00:00"},
            targets_text="alice",
        )
    with pytest.raises(ValidationError, match="No usable targets"):
        bulk_action_propose(
            actor=moderator,
            kind="group_add",
            connections=[discourse_connection],
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
    moderator, approver, discourse_connection, discourse_sandbox, kind, params, call, calls
):
    names = usernames(discourse_sandbox, 3, not_in_group="translators")
    if kind == "suspend":
        params = {**params, "until": (timezone.now() + timedelta(days=7)).isoformat()}
    action = propose_and_plan(
        proposer=moderator,
        connection=discourse_connection,
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


# --- cancel that means cancel -------------------------------------------------------------------
@pytest.fixture
def cancel_during_the_nth_wait(monkeypatch):
    """Records the cancel while the pacer waits for the forum's next slot (no real sleeping):
    the moment the issue found a call still leaving after a cancel. The slots are the database
    pacer's, whatever the broker, so that the test can free them after planning
    (``paced_suspend``) and count the run's waits from its first call."""
    from forums import pacing
    from forums.bulk import engine as bulk_engine

    database_pacer = pacing.DatabasePacer()
    monkeypatch.setattr(pacing, "get_pacer", lambda: database_pacer)
    monkeypatch.setattr(bulk_engine, "get_pacer", lambda: database_pacer)

    def arm(action, actor, n: int):
        waits = {"n": 0, "cancelled_at": None}

        def fake_sleep(seconds: float) -> None:
            waits["n"] += 1
            if waits["n"] == n:
                bulk_action_cancel(actor=actor, action=action)
                waits["cancelled_at"] = time.time()

        monkeypatch.setattr(pacing.time, "sleep", fake_sleep)
        return waits

    return arm


def paced_suspend(moderator, discourse_connection, discourse_sandbox, count=5):
    # One call a second, in a window of one: every call after the first waits for a slot.
    discourse_connection.requests_per_minute, discourse_connection.rate_window_seconds = 60, 1
    discourse_connection.save()
    names = usernames(discourse_sandbox, count)
    action = propose_week_suspension(moderator, discourse_connection, names)
    # The plan's calls leave the book: the run's first call finds a free slot.
    ForumPace.objects.update(next_slot=0)
    ForumPaceSlot.objects.all().delete()
    return action, names


def test_no_call_leaves_after_a_cancel_recorded_while_waiting_for_the_pace(
    moderator, approver, discourse_connection, discourse_sandbox, cancel_during_the_nth_wait
):
    action, names = paced_suspend(moderator, discourse_connection, discourse_sandbox)
    approve(action, approver)
    discourse_sandbox.app.calls.clear()
    # One look-up (no wait), one suspend after the first wait; the cancel lands in the second.
    waits = cancel_during_the_nth_wait(action, moderator, n=2)
    engine.run_action(action.pk)
    action.refresh_from_db()
    assert action.state == State.CANCELLED
    suspends = [c for c in mutating_calls(discourse_sandbox) if c.path.endswith("/suspend.json")]
    assert len(suspends) == 1
    assert all(c.at < waits["cancelled_at"] for c in discourse_sandbox.app.calls.records())
    assert action.items.filter(state="done").count() == 1
    rest = action.items.exclude(state="done")
    assert rest.count() == 4
    assert set(rest.values_list("state", "error")) == {("skipped", "cancelled before it was sent")}
    assert set(rest.values_list("attempts", flat=True)) == {0}


@pytest.fixture
def at_each_wait(monkeypatch):
    """Runs ``hook(n, seconds)`` in place of the pacer's n-th sleep for a slot (no real
    sleeping), on the database book as ``cancel_during_the_nth_wait``."""
    from forums import pacing

    database_pacer = pacing.DatabasePacer()
    monkeypatch.setattr(pacing, "get_pacer", lambda: database_pacer)
    monkeypatch.setattr(engine, "get_pacer", lambda: database_pacer)

    def arm(hook) -> None:
        waits = {"n": 0}

        def fake_sleep(seconds: float) -> None:
            waits["n"] += 1
            hook(waits["n"], seconds)

        monkeypatch.setattr(pacing.time, "sleep", fake_sleep)

    return arm


def test_a_run_waiting_for_its_slot_holds_the_action_over_the_wait_and_the_call(
    moderator, approver, discourse_connection, discourse_sandbox, at_each_wait, settings
):
    """A wait for a slot may outlast the lease (10 s against beat's resume in the tests' 4 s);
    it is held over the wait and the call's deadline, so beat never starts a second run that
    would send the same items (CI saw 409 "already suspended" from exactly that)."""
    settings.FORUMDECK_BULK_LEASE_SECONDS = 1
    action, names = paced_suspend(moderator, discourse_connection, discourse_sandbox)
    approve(action, approver)
    held = []

    def hook(n: int, seconds: float) -> None:
        lease_until = BulkAction.objects.get(pk=action.pk).lease_until
        held.append((lease_until - timezone.now()).total_seconds() - seconds)
        assert engine._take_lease(action.pk) is None  # beat's resume finds it held

    at_each_wait(hook)
    engine.run_action(action.pk)
    action.refresh_from_db()
    assert action.state == State.SUCCEEDED
    assert len(held) >= 4 and min(held) >= settings.FORUMDECK_HTTP_DEADLINE
    suspends = [c for c in mutating_calls(discourse_sandbox) if c.path.endswith("/suspend.json")]
    assert len(suspends) == 5


def test_a_run_whose_action_another_run_took_sends_nothing_more_and_leaves_it_alone(
    moderator, approver, discourse_connection, discourse_sandbox, at_each_wait, monkeypatch
):
    """The worker froze past its hold (a paused machine): beat gave the action to another
    run meanwhile. Waking up, the first run sends nothing more and touches nothing of it."""
    action, names = paced_suspend(moderator, discourse_connection, discourse_sandbox)
    approve(action, approver)
    discourse_sandbox.app.calls.clear()

    def hook(n: int, seconds: float) -> None:
        suspends = [c for c in mutating_calls(discourse_sandbox) if c.path.endswith(".json")]
        if len(suspends) == 1:  # one suspend went out; the worker freezes in this wait
            BulkAction.objects.filter(pk=action.pk).update(
                lease_token="theirs", lease_until=timezone.now() + timedelta(minutes=5)
            )
            monkeypatch.setattr(engine, "_call_slack", lambda: 10.0**6)  # its hold ran short

    at_each_wait(hook)
    outcome = engine.run_action(action.pk)
    assert outcome.note == "lost the lease to another run"
    action.refresh_from_db()
    assert action.state == State.RUNNING and action.lease_token == "theirs"
    suspends = [c for c in mutating_calls(discourse_sandbox) if c.path.endswith("/suspend.json")]
    assert len(suspends) == 1
    assert action.items.filter(state="done").count() == 1
    assert not action.items.filter(state__in=["failed", "skipped"]).exists()
    assert not AuditEntry.objects.filter(bulk_action=action, outcome="failure").exists()


def test_a_cancelled_action_says_what_was_sent_in_a_neutral_colour(
    moderator, approver, approver_client, discourse_connection, discourse_sandbox,
    cancel_during_the_nth_wait,
):  # fmt: skip
    action, _ = paced_suspend(moderator, discourse_connection, discourse_sandbox)
    approve(action, approver)
    cancel_during_the_nth_wait(action, moderator, n=3)
    engine.run_action(action.pk)
    page = approver_client.get(reverse("forums:bulk-detail", args=[action.pk])).content.decode()
    assert "Cancelled: 2 sent, 3 not sent" in page
    assert 'class="is-cancelled"' in page
    assert "100%" not in page and "to go" not in page
    listed = approver_client.get(reverse("forums:bulk-list")).content.decode()
    assert "Cancelled: 2 sent, 3 not sent" in listed and "5/5" not in listed


def test_a_cancel_during_planning_sticks(
    moderator, discourse_connection, discourse_sandbox, cancel_during_the_nth_wait
):
    discourse_connection.requests_per_minute, discourse_connection.rate_window_seconds = 60, 1
    discourse_connection.save()
    # More names than one look-up takes (100 per call): planning needs two calls.
    names = [f"nobody_{n}" for n in range(150)]
    action = bulk_action_propose(
        actor=moderator,
        kind="suspend",
        connections=[discourse_connection],
        params={"reason": "spam", "until": (timezone.now() + timedelta(days=1)).isoformat()},
        targets_text="\n".join(names),
    )
    ForumPace.objects.update(next_slot=0)
    discourse_sandbox.app.calls.clear()
    cancel_during_the_nth_wait(action, moderator, n=1)
    engine.plan_action(action.pk)
    action.refresh_from_db()
    assert action.state == State.CANCELLED and action.plan_hash == ""
    assert discourse_sandbox.app.calls.count() == 1  # the second look-up never left
    assert not action.items.filter(state="pending").exists()
    engine.plan_action(action.pk)  # a stray resume changes nothing
    action.refresh_from_db()
    assert action.state == State.CANCELLED


# --- a plan or a run that keeps failing stops ------------------------------------------------
def test_planning_that_keeps_failing_stops_with_the_reason_on_its_page(
    moderator, viewer_client, discourse_connection, discourse_sandbox, monkeypatch, settings
):
    from forums.clients.discourse import DiscourseClient

    def broken(self, **kwargs):
        raise TypeError("an answer nobody foresaw")

    monkeypatch.setattr(DiscourseClient, "resolve_users", broken)
    action = bulk_action_propose(
        actor=moderator,
        kind="group_add",
        connections=[discourse_connection],
        params={"group": "translators"},
        targets_text="alice\nbob",
    )
    tries = 0
    while action.state == State.PLANNING and tries < 20:  # what the task and beat would do
        tries += 1
        outcome = engine.plan_action(action.pk)
        action.refresh_from_db()
        if action.state == State.PLANNING:
            assert outcome.again_in and outcome.again_in >= 2
    assert action.state == State.PLAN_FAILED
    assert tries == settings.FORUMDECK_BULK_MAX_FAILED_TRIES == 8
    assert "Stopped after 8 failed tries in a row" in action.last_error
    assert "unexpected error (TypeError)" in action.last_error
    page = viewer_client.get(reverse("forums:bulk-detail", args=[action.pk])).content.decode()
    assert "Stopped after 8 failed tries in a row" in page and "Plan failed" in page


def test_a_run_that_cannot_start_on_a_forum_stops_after_a_bounded_number_of_tries(
    moderator, approver, viewer_client, discourse_connection, discourse_sandbox
):
    action = planned_group_add(
        proposer=moderator, connection=discourse_connection, sandbox=discourse_sandbox, count=3
    )
    action = approve(action, approver)
    discourse_sandbox.app.config.faults.outage_for(3600)  # every call: 503
    tries = 0
    while action.state in (State.QUEUED, State.RUNNING) and tries < 30:
        tries += 1
        ForumPace.objects.update(next_slot=0)  # skip each backoff's wait
        engine.run_action(action.pk)
        action.refresh_from_db()
    assert action.state == State.FAILED and tries == 8
    assert action.last_error.startswith("Stopped after 8 failed tries in a row. Sandbox Discourse")
    items = action.items.filter(planned=True)
    assert set(items.values_list("state", "error")) == {
        ("failed", "not sent: the run stopped (see the action's page)")
    }
    assert AuditEntry.objects.filter(action="bulk.stopped", bulk_action=action).exists()
    page = viewer_client.get(reverse("forums:bulk-detail", args=[action.pk])).content.decode()
    assert "Stopped after 8 failed tries in a row" in page


def test_progress_between_failures_starts_the_count_again(
    moderator, approver, discourse_connection, discourse_sandbox
):
    action = planned_group_add(
        proposer=moderator, connection=discourse_connection, sandbox=discourse_sandbox, count=3
    )
    approve(action, approver)
    discourse_sandbox.app.config.faults.outage_for(3600)
    for _ in range(5):
        ForumPace.objects.update(next_slot=0)
        engine.run_action(action.pk)
    action.refresh_from_db()
    assert action.failed_tries == 5 and action.state == State.RUNNING
    assert "try 5 of 8" in action.last_error
    discourse_sandbox.app.config.faults.outage_until = 0
    ForumPace.objects.update(next_slot=0)
    engine.run_action(action.pk)
    action.refresh_from_db()
    assert action.state == State.SUCCEEDED and action.failed_tries == 0


def test_a_discourse_moderator_is_skipped_while_planning_not_refused_while_running(
    moderator, approver, discourse_connection, discourse_sandbox
):
    # ENDPOINTS.md "Rules" / suspend / silence: "Staff: 403" — moderators too.
    staff = next(
        u for u in discourse_sandbox.app.users.values() if u["moderator"] and not u["admin"]
    )
    names = [*usernames(discourse_sandbox, 2), staff["username"]]
    action = propose_week_suspension(moderator, discourse_connection, names)
    item = action.items.get(target=staff["username"])
    assert item.state == "skipped" and item.error.startswith("is a moderator")
    approve(action, approver)
    discourse_sandbox.app.calls.clear()
    engine.run_action(action.pk)
    action.refresh_from_db()
    assert action.state == State.SUCCEEDED  # nothing failed: nobody was sent a refused call
    suspends = [c for c in mutating_calls(discourse_sandbox) if c.path.endswith("/suspend.json")]
    assert len(suspends) == 2
    assert not discourse_sandbox.app.suspended(staff)
