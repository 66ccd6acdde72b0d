"""Services for bulk actions: propose, approve, reject, cancel. Four eyes live here (and in a
database constraint): nobody approves what they proposed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from forums.audit.services import audit_record
from forums.clients import client_class
from forums.models import AuditEntry, BulkAction, BulkActionItem, ForumConnection
from forums.tasks import plan_bulk_action, run_bulk_action

from .engine import LIST_CAP, compute_hash
from .kinds import get_kind
from .targets import ParsedTargets, parse_targets

State = BulkAction.State


class BulkActionError(Exception):
    """A refused step, with a message for the person who tried it."""


def _transition(action: BulkAction, allowed: Sequence[str], verb: str) -> None:
    if action.state not in allowed:
        raise BulkActionError(
            f"Bulk action #{action.pk} is {action.get_state_display().lower()}; "
            f"it cannot be {verb} now."
        )


@transaction.atomic
def bulk_action_propose(
    *,
    actor: AbstractBaseUser,
    kind: str,
    connections: Sequence[ForumConnection] = (),
    params: dict[str, Any],
    targets_text: str = "",
    csv_data: str | None = None,
    targets_by_connection: Mapping[ForumConnection, Sequence[str]] | None = None,
) -> BulkAction:
    """Create an action and queue its plan (a dry run).

    Either the same pasted or uploaded targets on every chosen forum, or, with
    ``targets_by_connection``, each forum's own targets (selected search results, "ban on
    every forum").
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
    if targets_by_connection is not None:
        per_connection = {c: parse_targets("\n".join(t)) for c, t in targets_by_connection.items()}
        raw = "\n".join(f"{c.name}: {', '.join(t)}" for c, t in targets_by_connection.items())
        lines = ParsedTargets()  # chosen in a list, not typed: no lines to report
    else:
        lines = parse_targets(targets_text, csv_data=csv_data)
        per_connection = {c: lines for c in connections}
        raw = targets_text if csv_data is None else csv_data
    total = sum(len(p.targets) for p in per_connection.values())
    if not total:
        detail = "; ".join(f"line {r.line}: {r.reason}" for r in lines.junk[:5])
        raise ValidationError("No usable targets were given." + (f" ({detail})" if detail else ""))
    action = BulkAction.objects.create(
        kind=kind,
        params=clean,
        raw_targets=raw[:1_000_000],
        proposed_by=actor,
        state=State.PLANNING,
        plan={
            "targets": total,
            "junk": _rejected(lines.junk),
            "junk_count": len(lines.junk),
            "duplicates": _rejected(lines.duplicates),
            "duplicate_count": len(lines.duplicates),
            "description": kind_obj.describe(clean),
        },
    )
    action.connections.set(connections)
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
        message=f"{kind_obj.describe(clean)}: {total} target(s) on "
        + ", ".join(c.name for c in connections),
        details={"bulk_action": action.pk},
        bulk_action=action,
    )
    plan_bulk_action.delay_on_commit(action.pk)
    return action


def _rejected(rows) -> list[dict]:
    return [{"line": r.line, "text": r.text, "reason": r.reason} for r in rows[:LIST_CAP]]


def bulk_action_approve(
    *, actor: AbstractBaseUser, action: BulkAction, plan_hash: str
) -> BulkAction:
    """Approve exactly the plan the approver saw (its hash), never one's own proposal."""
    with transaction.atomic():
        action = BulkAction.objects.select_for_update().get(pk=action.pk)
        if action.proposed_by_id == actor.pk:
            raise BulkActionError("You proposed this action; someone else must approve it.")
        _transition(action, [State.PENDING_APPROVAL], "approved")
        if "per_connection" in action.plan and not action.plan.get("planned"):
            raise BulkActionError(
                f"Bulk action #{action.pk} changes nothing: every target needs no change or "
                "was not found. There is nothing to approve; close it instead."
            )
        current = compute_hash(action)
        if plan_hash != action.plan_hash or current != action.plan_hash:
            raise BulkActionError(
                "The plan changed since you opened it. Look at it again before approving."
            )
        now = timezone.now()
        action.approved_by = actor
        action.approved_hash = current
        action.approved_at = now
        action.approval_expires_at = now + settings.FORUMDECK_APPROVAL_TTL
        action.state = State.QUEUED
        action.last_error = ""
        action.save()
        audit_record(
            actor=actor,
            action="bulk.approve",
            target=f"bulk action #{action.pk}",
            message=action.plan.get("description", ""),
            details={"bulk_action": action.pk, "plan_hash": current},
            bulk_action=action,
        )
        run_bulk_action.delay_on_commit(action.pk)
    return action


@transaction.atomic
def bulk_action_reject(*, actor: AbstractBaseUser, action: BulkAction, reason: str) -> BulkAction:
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
def bulk_action_cancel(*, actor: AbstractBaseUser, action: BulkAction) -> BulkAction:
    """Stop it: at once if it has not started, between batches if it is running."""
    action = BulkAction.objects.select_for_update().get(pk=action.pk)
    _transition(
        action, [State.PLANNING, State.PENDING_APPROVAL, State.QUEUED, State.RUNNING], "cancelled"
    )
    if action.state == State.RUNNING:
        action.cancel_requested = True
        action.save(update_fields=["cancel_requested", "updated_at"])
        message = "Cancel requested; the run stops after its current batch."
    else:
        action.items.filter(state=BulkActionItem.State.PENDING).update(
            state=BulkActionItem.State.SKIPPED, error="cancelled before it was sent"
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
        message=message,
        details={"bulk_action": action.pk},
        bulk_action=action,
    )
    return action
