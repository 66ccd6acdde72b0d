"""Services for bulk actions: propose, approve, reject, cancel. Four eyes live here (and in a
database constraint): nobody approves what they proposed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import IO, Any

from celery import current_app
from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from forums.accounts.independence import approval_refusal, may_stop
from forums.clients import client_class
from forums.core.audit import audit_record
from forums.core.targets import decoded_pieces, detect_encoding, first_target, text_pieces
from forums.models import AuditEntry, BulkAction, BulkActionItem, BulkTargetChunk, ForumConnection

from .counts import start_counts, update_items
from .engine import approved_bindings, compute_hash
from .kinds import get_kind

State = BulkAction.State

# The tasks (forums/tasks.py) call this module's engine; this module queues them by name, so
# the two never import each other.
PLAN_TASK = "forums.tasks.plan_bulk_action"
RUN_TASK = "forums.tasks.run_bulk_action"


def _queue_on_commit(task: str, action_id: int) -> None:
    """Queue ``task(action_id)`` once the current transaction commits (never a half-written
    action), as ``Task.delay_on_commit`` does."""
    transaction.on_commit(lambda: current_app.send_task(task, (action_id,)))


class BulkActionError(Exception):
    """A refused step, with a message for the person who tried it."""


def _transition(action: BulkAction, allowed: Sequence[str], verb: str) -> None:
    if action.state not in allowed:
        raise BulkActionError(
            f"Bulk action #{action.pk} is {action.get_state_display().lower()}; "
            f"it cannot be {verb} now."
        )


def bulk_action_propose(
    *,
    actor: User,
    kind: str,
    connections: Sequence[ForumConnection] = (),
    params: dict[str, Any],
    targets_text: str = "",
    csv_file: IO[bytes] | None = None,
    csv_encoding: str | None = None,
    targets_by_connection: Mapping[ForumConnection, Sequence[str]] | None = None,
) -> BulkAction:
    """Create an action and queue its plan (a dry run).

    Either the same pasted or uploaded targets on every chosen forum, or, with
    ``targets_by_connection``, each forum's own targets (selected search results, "ban on
    every forum"). A paste or an upload is stored whole, in pieces, and parsed by the planning
    task: the request never holds the database (or its own memory) for a long list.
    """
    kind_obj = get_kind(kind)
    if targets_by_connection is not None:
        connections = list(targets_by_connection)
    if not connections:
        raise ValidationError("Choose at least one forum.")
    classes = []
    for connection in connections:
        if not connection.enabled:
            raise ValidationError(f"{connection.name} is disabled.")
        cls = client_class(connection.platform)
        if not kind_obj.offered_by(cls):
            raise ValidationError(
                f"{connection.name} ({cls.software}) does not offer “{kind_obj.label}”."
            )
        classes.append(cls)
    clean = kind_obj.clean_params(params)
    kind_obj.check_forums(classes, clean)
    description = kind_obj.describe(clean)
    forums = ", ".join(c.name for c in connections)
    if targets_by_connection is not None:
        return _propose_chosen(actor, kind, clean, description, targets_by_connection)
    if kind_obj.discovers_targets:
        # The plan finds the targets on each forum (a tag's topics, the group to create).
        return _propose_discovering(actor, kind, clean, description, connections)
    if csv_file is None:
        first, junk = first_target(targets_text)
        if first is None:
            detail = "; ".join(f"line {r.line}: {r.reason}" for r in junk)
            raise ValidationError(
                "No usable targets were given." + (f" ({detail})" if detail else "")
            )
        source, pieces = "text", text_pieces(targets_text)
        given = "a pasted list"
    else:
        encoding = csv_encoding or detect_encoding(csv_file)
        if encoding is None:
            raise ValidationError("The file is not text (CSV) Forumdeck can read.")
        source, pieces = "csv", decoded_pieces(csv_file, encoding)
        given = "an uploaded CSV file"
    with transaction.atomic():
        action = BulkAction.objects.create(
            kind=kind,
            params=clean,
            proposed_by=actor,
            state=State.PLANNING,
            # Not planned until "receiving" is over: a half-stored list is never read.
            plan={"receiving": True, "parsed": False, "source": source, "description": description},
        )
        action.connections.set(connections)
        start_counts(action, connections)
    try:
        for seq, piece in enumerate(pieces):
            with transaction.atomic():  # one short write per piece, not one long one
                BulkTargetChunk.objects.create(action=action, seq=seq, text=piece)
    except BaseException:
        action.delete()  # nothing half-stored stays behind
        raise
    with transaction.atomic():
        plan = {**action.plan, "receiving": False}
        BulkAction.objects.filter(pk=action.pk).update(plan=plan, updated_at=timezone.now())
        action.plan = plan
        audit_record(
            actor=actor,
            action="bulk.propose",
            target=f"bulk action #{action.pk}",
            message=f"{description} on {forums}: targets from {given}",
            details={"bulk_action": action.pk},
        )
        _queue_on_commit(PLAN_TASK, action.pk)
    return action


@transaction.atomic
def _propose_chosen(
    actor: User,
    kind: str,
    params: dict[str, Any],
    description: str,
    targets_by_connection: Mapping[ForumConnection, Sequence[str]],
) -> BulkAction:
    """Targets chosen in a list (search results): a few, each forum its own, stored now."""
    kind_obj = get_kind(kind)  # its own targets: accounts, or topic ids, "add:<name>", ...
    per_connection = {
        c: kind_obj.parse_targets("\n".join(t)) for c, t in targets_by_connection.items()
    }
    total = sum(len(p.targets) for p in per_connection.values())
    if not total:
        raise ValidationError("No usable targets were given.")
    raw = "\n".join(f"{c.name}: {', '.join(t)}" for c, t in targets_by_connection.items())
    action = BulkAction.objects.create(
        kind=kind,
        params=params,
        raw_targets=raw,
        proposed_by=actor,
        state=State.PLANNING,
        plan={
            "targets": total,
            "junk": [],
            "junk_count": 0,
            "duplicates": [],
            "duplicate_count": 0,
            "description": description,
        },
    )
    action.connections.set(list(targets_by_connection))
    start_counts(action, targets_by_connection)
    for connection, parsed_targets in per_connection.items():
        BulkActionItem.objects.bulk_create(
            (
                BulkActionItem(action=action, connection=connection, target=t.value)
                for t in parsed_targets.targets
            ),
            batch_size=1000,
        )
    audit_record(
        actor=actor,
        action="bulk.propose",
        target=f"bulk action #{action.pk}",
        message=f"{description}: {total} target(s) on "
        + ", ".join(c.name for c in targets_by_connection),
        details={"bulk_action": action.pk},
        bulk_action=action,
    )
    _queue_on_commit(PLAN_TASK, action.pk)
    return action


@transaction.atomic
def _propose_discovering(
    actor: User,
    kind: str,
    params: dict[str, Any],
    description: str,
    connections: Sequence[ForumConnection],
) -> BulkAction:
    """No targets given: the planning task finds them on each forum (``discovers_targets``)."""
    action = BulkAction.objects.create(
        kind=kind,
        params=params,
        proposed_by=actor,
        state=State.PLANNING,
        plan={"targets": 0, "junk": [], "junk_count": 0, "duplicates": [],
              "duplicate_count": 0, "description": description},
    )  # fmt: skip
    action.connections.set(connections)
    start_counts(action, connections)
    audit_record(
        actor=actor,
        action="bulk.propose",
        target=f"bulk action #{action.pk}",
        message=f"{description} on " + ", ".join(c.name for c in connections),
        details={"bulk_action": action.pk},
    )
    _queue_on_commit(PLAN_TASK, action.pk)
    return action


def bulk_action_approve(*, actor: User, action: BulkAction, plan_hash: str) -> BulkAction:
    """Approve exactly the plan the approver saw (its hash), never one's own proposal."""
    with transaction.atomic():
        action = (
            BulkAction.objects.select_for_update().select_related("proposed_by").get(pk=action.pk)
        )
        if action.proposed_by_id == actor.pk:
            raise BulkActionError("You proposed this action; someone else must approve it.")
        # Nor through an account the proposer created or changed, nor one changed recently.
        refusal = approval_refusal(approver=actor, proposer=action.proposed_by)
        if refusal:
            raise BulkActionError(refusal)
        _transition(action, [State.PENDING_APPROVAL], "approved")
        if "per_connection" in action.plan and not action.plan.get("planned"):
            raise BulkActionError(
                f"Bulk action #{action.pk} changes nothing: every target needs no change or "
                "was not found. There is nothing to approve; close it instead."
            )
        current = compute_hash(action)
        if current != action.plan_hash:
            # Something it covers changed (e.g. a forum's address): the page shows what is
            # true now, and only that can be approved next.
            action.plan_hash = current
            action.save(update_fields=["plan_hash", "updated_at"])
        stale = plan_hash != current
        if not stale:
            now = timezone.now()
            action.approved_by = actor
            action.approved_hash = current
            action.approved_at = now
            action.approval_expires_at = now + settings.FORUMDECK_APPROVAL_TTL
            action.state = State.QUEUED
            action.last_error = ""
            # Each forum's binding as approved: the run compares it before every batch.
            action.plan = {**action.plan, "bindings": approved_bindings(action)}
            action.save()
            audit_record(
                actor=actor,
                action="bulk.approve",
                target=f"bulk action #{action.pk}",
                message=action.plan.get("description", ""),
                details={"bulk_action": action.pk, "plan_hash": current},
                bulk_action=action,
            )
            _queue_on_commit(RUN_TASK, action.pk)
    if stale:
        raise BulkActionError(
            "The plan changed since you opened it. Look at it again before approving."
        )
    return action


@transaction.atomic
def bulk_action_reject(*, actor: User, action: BulkAction, reason: str) -> BulkAction:
    reason = reason.strip()
    if not reason:
        raise BulkActionError("Say why you reject it: the proposer will read it.")
    action = BulkAction.objects.select_for_update().get(pk=action.pk)
    if action.proposed_by_id == actor.pk:
        raise BulkActionError("You proposed this action; withdraw it with Cancel instead.")
    _transition(action, [State.PENDING_APPROVAL], "rejected")
    action.state = State.REJECTED
    action.rejected_by = actor
    action.rejection_reason = reason
    action.finished_at = timezone.now()
    action.save()
    audit_record(
        actor=actor,
        action="bulk.reject",
        target=f"bulk action #{action.pk}",
        outcome=AuditEntry.Outcome.SUCCESS,
        message=reason,
        details={"bulk_action": action.pk},
        bulk_action=action,
    )
    return action


@transaction.atomic
def bulk_action_cancel(*, actor: User, action: BulkAction) -> BulkAction:
    """Stop it: at once if it has not started; if it is running, no call leaves after this
    is recorded (the run checks before each one). Who may: its proposer, every Admin, and
    anyone who may approve it (``independence.may_stop``)."""
    action = BulkAction.objects.select_for_update().get(pk=action.pk)
    refusal = may_stop(actor, action)
    if refusal:
        raise BulkActionError(refusal)
    _transition(
        action, [State.PLANNING, State.PENDING_APPROVAL, State.QUEUED, State.RUNNING], "cancelled"
    )
    if action.state == State.RUNNING:
        action.cancel_requested = True
        action.save(update_fields=["cancel_requested", "updated_at"])
        message = "Cancel recorded: the run sends nothing more and stops before its next call."
    else:
        update_items(
            action.items.filter(state=BulkActionItem.State.PENDING),
            state=BulkActionItem.State.SKIPPED,
            error="cancelled before it was sent",
        )
        action.state = State.CANCELLED
        action.cancel_requested = True
        action.finished_at = timezone.now()
        action.save()
        message = "Cancelled before anything was sent."
    audit_record(
        actor=actor,
        action="bulk.cancel",
        target=f"bulk action #{action.pk}",
        message=f"{message} Stopped by {actor.get_username()}.",
        details={"bulk_action": action.pk},
        bulk_action=action,
    )
    return action
