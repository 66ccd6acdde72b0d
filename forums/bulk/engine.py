"""Planning and running bulk actions. Called by the Celery tasks; every step is durable in the
item rows, so a run killed at any point resumes where it stopped and sends no item twice.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Case, Count, F, Q, Value, When
from django.utils import timezone

from forums.clients import ForumClient, client_class, get_client
from forums.clients.errors import (
    CapabilityNotOffered,
    ForumError,
    ForumNotFound,
    ForumRateLimited,
    ForumServerError,
    ForumUnavailable,
)
from forums.clients.settings_schema import settings_binding
from forums.core.audit import audit_entry, audit_record, audit_record_many
from forums.core.fleet_index.rows import index_accounts_changed, index_seeing
from forums.core.targets import MAX_TARGETS, TargetParser
from forums.crypto import DecryptionError, fingerprint
from forums.models import (
    AuditEntry,
    BulkAction,
    BulkActionItem,
    BulkTargetChunk,
    ForumConnection,
)
from forums.pacing import (
    MAX_INLINE_WAIT,
    Priority,
    book_shape,
    gap_after,
    get_pacer,
    pace_for,
    pacing_seconds,
)

from .counts import save_items, update_items
from .kinds import Applied, ItemToSend, Kind, get_kind

logger = logging.getLogger("forums.bulk")

State = BulkAction.State
ItemState = BulkActionItem.State
PLAN_CHUNK = 1000
RUN_CHUNK = 100
MAX_ATTEMPTS = 8
LIST_CAP = 500  # unknown / no-op / junk lines kept in the plan for display
FOUND_APPLIED = "found applied on retry (the forum's first answer was lost)"
UNCERTAIN = "sent, but no answer came back: it may have been applied; look on the forum"


def lease_seconds() -> int:
    return getattr(settings, "FORUMDECK_BULK_LEASE_SECONDS", 60)


def budget_seconds() -> float:
    return getattr(settings, "FORUMDECK_BULK_RUN_BUDGET_SECONDS", 120)


def backoff(attempts: int) -> float:
    return float(min(2 ** max(attempts, 1), 60))


def max_failed_tries() -> int:
    return getattr(settings, "FORUMDECK_BULK_MAX_FAILED_TRIES", 8)


# A proposal whose targets are still being stored after this long was cut off (its web
# request died): it fails instead of waiting for ever.
UPLOAD_GRACE = timedelta(minutes=10)


@dataclass
class Outcome:
    """What a planning or running step asks of the task: nothing, or to run again later."""

    again_in: float | None = None
    note: str = ""
    # The step ended in an error that counts towards FORUMDECK_BULK_MAX_FAILED_TRIES.
    failed: bool = False


class BulkCancelled(Exception):
    """A person cancelled the action: raised before the next call to a forum is sent."""


class LeaseLost(Exception):
    """This run's lease ran out and another run holds the action: raised before the next call
    is sent, so that the two never send the same item."""


# --- hashing ----------------------------------------------------------------------------------
def _key_fingerprint(connection: ForumConnection) -> str:
    try:
        return fingerprint(connection.api_key)
    except DecryptionError:
        # Nothing can be sent with it; a key entered again later changes the fingerprint.
        return "undecryptable"


def connection_binding(connection: ForumConnection) -> dict:
    """What an approval binds a forum to: not only its id, but where calls go, as whom, and
    with which key (a fingerprint), so that an edit after approval makes the action stale."""
    return {
        "id": connection.pk,
        "platform": connection.platform,
        "base_url": connection.base_url,
        "api_username": connection.api_username,
        "settings": settings_binding(connection.settings or {}),
        "key": _key_fingerprint(connection),
    }


def binding_digest(connection: ForumConnection) -> str:
    """sha256 of one forum's binding: compared before every batch a run sends."""
    text = json.dumps(connection_binding(connection), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def approved_bindings(action: BulkAction) -> dict[str, str]:
    """Each forum's binding digest as approved (stored in the plan when it is approved)."""
    return {str(c.pk): binding_digest(c) for c in action.connections.all()}


BINDING_REFUSAL = "refused: the connection changed after approval"


class BindingChanged(Exception):
    """A forum's address, platform, acting user or key is not what was approved."""

    def __init__(self, connection: ForumConnection) -> None:
        super().__init__(connection.name)
        self.connection = connection


def check_binding(action: BulkAction, connection_id: int) -> None:
    """Raise ``BindingChanged`` unless the forum, as stored now, is bound as approved."""
    approved = (action.plan or {}).get("bindings", {}).get(str(connection_id))
    current = ForumConnection.objects.get(pk=connection_id)
    if approved is None or binding_digest(current) != approved:
        raise BindingChanged(current)


def compute_hash(action: BulkAction) -> str:
    """sha256 of what an approval covers: kind, parameters, each forum (address, acting user,
    its own settings, key fingerprint) and the planned targets."""
    digest = hashlib.sha256()
    head = {
        "kind": action.kind,
        "params": action.params,
        "frozen": action.plan.get("frozen", {}),
        "connections": [connection_binding(c) for c in action.connections.order_by("pk")],
    }
    digest.update(json.dumps(head, sort_keys=True, default=str).encode())
    rows = (
        action.items.filter(planned=True)
        .order_by("connection_id", "forum_user_id", "target")
        .values_list("connection_id", "forum_user_id", "target")
        .iterator(chunk_size=2000)
    )
    for connection_id, user_id, target in rows:
        digest.update(f"\n{connection_id}:{user_id}:{target}".encode())
    return digest.hexdigest()


# --- audit ------------------------------------------------------------------------------------
def _audit_items(
    action: BulkAction,
    connection: ForumConnection,
    kind: Kind,
    items: list[BulkActionItem],
    outcome: str,
    message: str | None,
    call: str,
    answers: dict[int, str] | None = None,
) -> None:
    """One audit entry per item; ``message`` None: each item's own ``error``; ``answers``:
    what the forum said it did with an item, after the message."""
    answers = answers or {}
    audit_record_many(
        audit_entry(
            actor=action.approved_by,
            connection=connection,
            action=f"bulk.{kind.key}",
            target=item.forum_username or item.target,
            outcome=outcome,
            message=(item.error if message is None else message)
            + (f": {answers[item.pk]}" if item.pk in answers else ""),
            details={
                "bulk_action": action.pk,
                "proposed_by": action.proposed_by_id,
                "call": call,
                "forum_user_id": item.forum_user_id,
            },
            bulk_action=action,
            bulk_item=item,
        )
        for item in items
    )


def _audit_refusals(
    action: BulkAction,
    connection: ForumConnection,
    kind: Kind,
    items: list[BulkActionItem],
    call: str,
) -> None:
    """Each item the forum refused, as a failure with its own reason (``item.error``)."""
    _audit_items(action, connection, kind, items, AuditEntry.Outcome.FAILURE, None, call)


# --- planning ---------------------------------------------------------------------------------
def _chunks(seq: list, size: int) -> Iterator[list]:
    for start in range(0, len(seq), size):
        yield seq[start : start + size]


def _save(items: list[BulkActionItem], fields: list[str]) -> None:
    """Write ``fields`` of ``items``: one UPDATE per distinct set of values (a whole batch of
    "done" is one statement), and the action's counts with them (see bulk.counts).
    bulk_update() builds a CASE per field and row in Python, about 0.7 ms a row: that, not the
    forum, bounded a paced run and a 100,000-target plan."""
    save_items(items, fields)


def _cancel_requested(action_id: int) -> bool:
    return BulkAction.objects.filter(pk=action_id, cancel_requested=True).exists()


class _Lease:
    """A run's hold on its action, kept over every wait for a slot and every call: a call
    leaves only while the lease is this run's for at least the call's deadline, so a run that
    beat starts after the lease ran out (the first one's worker died, or seemed to) never
    sends what the first is still sending. Written only when the hold would run short (about
    once a lease), not at every call."""

    def __init__(self, action_id: int, token: str) -> None:
        self.action_id = action_id
        self.token = token
        self.until = 0.0  # time.time() until which the lease is surely ours (unknown yet)

    def hold(self, seconds: float) -> None:
        now = time.time()
        if self.until - now >= seconds:
            return
        until = now + seconds + lease_seconds()
        if not _renew_lease(self.action_id, self.token, until=until):
            raise LeaseLost
        self.until = until


def _call_slack() -> float:
    """The longest one call may be out once it leaves (its deadline), and a margin."""
    return float(settings.FORUMDECK_HTTP_DEADLINE) + 1.0


def run_max_wait(connection: ForumConnection) -> float:
    """How long a run's call may wait for its slot before the run is rescheduled. A forum
    allowing one call a window (a ring of one slot) makes every call after the first wait
    the whole window, a little over MAX_INLINE_WAIT at 6 a minute in 10 s: a rescheduled run
    rechecks before it sends, so that read would take the slot again and the change never
    leave. There the run waits one slot's gap; elsewhere a freed slot comes sooner."""
    ring, window = book_shape(connection)
    if ring > 1:
        return MAX_INLINE_WAIT
    return max(MAX_INLINE_WAIT, gap_after(window) + 1.0)


def _client(connection: ForumConnection, action_id: int, token: str | None = None) -> ForumClient:
    """A client that keeps the forum's pace and, once the pace allows a call, checks that the
    action was not cancelled meanwhile: no call leaves after a cancel is recorded. With a
    run's ``token`` it also holds the run's lease over each wait and call (``_Lease``). A run
    is worker work wherever it runs: it may wait a worker's while for a slot."""
    lease = _Lease(action_id, token) if token else None

    def not_cancelled() -> None:
        if _cancel_requested(action_id):
            raise BulkCancelled
        if lease is not None:
            lease.hold(_call_slack())

    def waiting(seconds: float) -> None:
        if lease is not None:
            lease.hold(seconds + _call_slack())

    return get_client(
        connection,
        pacer=pace_for(
            connection,
            max_wait=run_max_wait(connection),
            then=not_cancelled,
            priority=Priority.CHANGE,
            batched=True,
            waiting=waiting,
        ),  # fmt: skip
    )


# --- tries that fail --------------------------------------------------------------------------
def _unexpected(exc: Exception) -> str:
    return (
        f"An unexpected error ({type(exc).__name__}) stopped this step; the worker's log has "
        "the details."
    )


def _failed_try(action: BulkAction, message: str, again_in: float | None = None) -> Outcome:
    """Count a try that failed: try again later, or stop for good after too many in a row,
    with the reason on the action's page. Nothing retries without end."""
    BulkAction.objects.filter(pk=action.pk).update(failed_tries=F("failed_tries") + 1)
    action.refresh_from_db(fields=["failed_tries", "state"])
    tries, limit = action.failed_tries, max_failed_tries()
    if tries >= limit:
        return _stop_failing(action, f"Stopped after {tries} failed tries in a row. {message}")
    wait = max(again_in or 0.0, backoff(tries))
    _note(action, f"{message} Trying again in {wait:g} s (try {tries} of {limit}).")
    return Outcome(again_in=wait, note=message, failed=True)


def _made_progress(action_id: int) -> None:
    BulkAction.objects.filter(pk=action_id, failed_tries__gt=0).update(failed_tries=0)


def _stop_failing(action: BulkAction, message: str) -> Outcome:
    if action.state == State.PLANNING:
        return _plan_failed(action, message)
    kind = get_kind(action.kind)
    now = timezone.now()
    with transaction.atomic():
        open_items = action.items.filter(planned=True)
        update_items(
            open_items.filter(state=ItemState.PENDING),
            state=ItemState.FAILED,
            error="not sent: the run stopped (see the action's page)",
        )
        # Sent, but no answer was read and the run could not check: a person must look.
        uncertain = list(open_items.filter(state=ItemState.SENDING).select_related("connection"))
        for item in uncertain:
            item.state, item.error = ItemState.FAILED, UNCERTAIN
        _save(uncertain, ["state", "error"])
        for connection in {item.connection for item in uncertain}:
            mine = [i for i in uncertain if i.connection_id == connection.pk]
            _audit_items(
                action, connection, kind, mine, AuditEntry.Outcome.FAILURE, UNCERTAIN, kind.label
            )
        done = action.items.filter(state=ItemState.DONE).exists()
        BulkAction.objects.filter(pk=action.pk, state__in=[State.QUEUED, State.RUNNING]).update(
            state=State.PARTIAL if done else State.FAILED,
            last_error=message,
            finished_at=now,
            updated_at=now,
        )
        audit_record(
            actor=None,
            action="bulk.stopped",
            target=f"bulk action #{action.pk}",
            outcome=AuditEntry.Outcome.FAILURE,
            message=message,
            bulk_action=action,
        )
    return Outcome(note=message)


# --- reading the targets ----------------------------------------------------------------------
def _stored_pieces(action: BulkAction) -> Iterator[str]:
    """The stored targets, one piece at a time (never the whole upload at once)."""
    chunks = BulkTargetChunk.objects.filter(action=action)
    for pk in chunks.order_by("seq").values_list("pk", flat=True):
        yield chunks.values_list("text", flat=True).get(pk=pk)


def parse_action_targets(action: BulkAction) -> Outcome | None:
    """Read the targets as they were given and create one item per target and forum, a
    thousand at a time, each batch its own short transaction. None when done; an Outcome when
    planning cannot go on now. Safe to run again after a crash: items are created once."""
    if action.plan.get("receiving"):
        if timezone.now() - action.updated_at > UPLOAD_GRACE:
            return _plan_failed(
                action, "Storing its list of targets never finished. Propose it again."
            )
        return Outcome(again_in=5.0, note="its targets are still being stored")
    connections = list(action.connections.all())
    parser = TargetParser(csv=action.plan.get("source") == "csv", keep=LIST_CAP)
    batch: list = []

    def store() -> None:
        with transaction.atomic():
            BulkActionItem.objects.bulk_create(
                [
                    BulkActionItem(action=action, connection=c, target=t.value)
                    for c in connections
                    for t in batch
                ],
                batch_size=1000,
                ignore_conflicts=True,
            )
        batch.clear()
        if _cancel_requested(action.pk):
            raise BulkCancelled

    for target in parser.targets(_stored_pieces(action)):
        batch.append(target)
        if len(batch) >= PLAN_CHUNK:
            store()
    if batch:
        store()
    if not parser.count:
        detail = "; ".join(f"line {r.line}: {r.reason}" for r in parser.junk[:5])
        return _plan_failed(
            action, "No usable targets were given." + (f" ({detail})" if detail else "")
        )
    plan = dict(action.plan)
    plan.update(
        {
            "parsed": True,
            "targets": parser.count * len(connections),
            "junk": _rejected(parser.junk),
            "junk_count": parser.junk_count,
            "duplicates": _rejected(parser.duplicates),
            "duplicate_count": parser.duplicate_count,
            "too_many": parser.too_many,
            "limit": MAX_TARGETS,
        }
    )
    BulkAction.objects.filter(pk=action.pk, state=State.PLANNING).update(
        plan=plan, updated_at=timezone.now()
    )
    action.plan = plan
    return None


def _rejected(rows) -> list[dict]:
    return [{"line": r.line, "text": r.text, "reason": r.reason} for r in rows[:LIST_CAP]]


def plan_action(action_id: int) -> Outcome:
    """Read the targets, resolve each, mark no-ops and unknowns, count the calls, freeze the
    hash. A cancel stops it before its next call; errors count towards a bounded number of
    tries."""
    action = BulkAction.objects.select_related("proposed_by").get(pk=action_id)
    if action.state != State.PLANNING:
        return Outcome(note=f"not planning ({action.state})")
    try:
        if action.cancel_requested:
            raise BulkCancelled
        if action.plan.get("parsed") is False:
            outcome = parse_action_targets(action)
            if outcome is not None:
                return outcome
        outcome = _plan(action)
    except BulkCancelled:
        _cancel_rest(action)
        return Outcome(note="cancelled while planning")
    except Exception as exc:  # a bug, or an answer nobody foresaw: counted, never endless
        logger.exception("Planning bulk action #%s failed", action_id)
        return _failed_try(action, _unexpected(exc))
    if outcome.again_in is None:  # done (a forum's "wait" neither counts nor resets)
        _made_progress(action.pk)
    return outcome


def _plan(action: BulkAction) -> Outcome:
    kind = get_kind(action.kind)
    frozen: dict[str, dict] = {}
    refusals: list[str] = []
    for connection in action.connections.all():
        try:
            frozen[str(connection.pk)] = _plan_connection(action, kind, connection, refusals)
        except ForumRateLimited as exc:
            get_pacer().hold_until(connection, time.time() + exc.retry_after)
            _note(action, wait_words(connection, exc))
            return Outcome(again_in=exc.retry_after, note=str(exc))
        except (ForumServerError, ForumUnavailable) as exc:
            return _failed_try(action, f"{connection.name}: {exc}")
        except ForumNotFound as exc:
            return _plan_failed(action, f"{connection.name}: {exc} Check the group or names.")
        except ForumError as exc:
            return _plan_failed(action, f"{connection.name}: {exc}")
    if refusals and not action.items.filter(planned=True).exists():
        # Every forum that could have taken part refused it: nothing to approve.
        return _plan_failed(action, " ".join(refusals))
    _freeze_plan(action, kind, frozen)
    return Outcome()


def _plan_failed(action: BulkAction, message: str) -> Outcome:
    now = timezone.now()
    # Only a plan still in progress: a cancel recorded meanwhile stays.
    BulkAction.objects.filter(pk=action.pk, state=State.PLANNING).update(
        state=State.PLAN_FAILED, last_error=message, finished_at=now, updated_at=now
    )
    return Outcome(note=message)


def _plan_connection(
    action: BulkAction, kind: Kind, connection: ForumConnection, refusals: list[str]
) -> dict:
    """Resolve this forum's targets; return what the run must reuse (see Kind.freeze). A
    forum that refuses the whole action (``Kind.plan_refusal``) adds its reason to
    ``refusals``, and its targets are skipped with it."""
    items = action.items.filter(connection=connection)
    with _client(connection, action.pk) as client:
        if not kind.offered_by(client):
            update_items(
                items.filter(resolved=False),
                resolved=True,
                planned=False,
                state=ItemState.SKIPPED,
                error=f"{client.software} does not offer this ({kind.label}).",
            )
            return {}
        ctx = kind.prepare(client, action.params)
        refusal = kind.plan_refusal(client, ctx, action.params)
        if refusal:
            update_items(
                items.filter(resolved=False),
                resolved=True,
                planned=False,
                state=ItemState.SKIPPED,
                error=refusal,
            )
            refusals.append(f"{connection.name}: {refusal}")
            return {}
        if kind.discovers_targets:
            # Found on the forum, not given: a retried plan finds them again, so existing
            # rows are kept as they are (ignore_conflicts).
            for part in _chunks(kind.discover_targets(client, ctx, action.params), PLAN_CHUNK):
                BulkActionItem.objects.bulk_create(
                    [BulkActionItem(action=action, connection=connection, target=t) for t in part],
                    ignore_conflicts=True,
                )
        # The accounts planned so far: their ids only (a 100,000-target plan holds them all);
        # which target named one is read back when another target names it too.
        seen_users: set[int | None] = set(
            items.filter(resolved=True, planned=True).values_list("forum_user_id", flat=True)
        )
        # Every name still to resolve, so the client can pick the cheaper way for the forum's
        # size (e.g. Discourse reads its whole user list once instead of searching).
        client.expect_lookups(
            targets=kind.lookup_names(
                items.filter(resolved=False).values_list("target", flat=True).iterator()
            ),
            details=kind.lookup_details,
        )
        while True:
            chunk = list(items.filter(resolved=False).order_by("id")[:PLAN_CHUNK])
            if not chunk:
                break
            for batch in _chunks(chunk, max(kind.resolve_batch_size(client), 1)):
                with index_seeing(connection):
                    found = kind.resolve(client, ctx, action.params, [i.target for i in batch])
                named_here: dict[int, str] = {}  # this batch's, not saved yet
                for item in batch:
                    hit = found.get(item.target.lower())
                    item.resolved = True
                    item.planned = False
                    if hit is None:
                        item.state = ItemState.SKIPPED
                        item.error = f"not found on {connection.name}"
                        continue
                    item.forum_user_id, item.forum_username = hit.id, hit.name
                    if hit.id in seen_users:
                        item.state = ItemState.SKIPPED
                        item.error = f"same person as {_named_first(items, hit.id, named_here)}"
                        continue
                    if hit.reason:
                        item.state, item.error = ItemState.SKIPPED, hit.reason
                        continue
                    seen_users.add(hit.id)
                    named_here[hit.id] = item.target
                    item.state, item.error, item.planned = ItemState.PENDING, "", True
                _save(
                    batch,
                    ["resolved", "planned", "state", "error", "forum_user_id", "forum_username"],
                )
                _made_progress(action.pk)
        return kind.freeze(ctx)


def _named_first(items, forum_user_id: int, named_here: dict[int, str]) -> str:
    """The target planned for this account: from this batch, else as saved."""
    if forum_user_id in named_here:
        return named_here[forum_user_id]
    first = items.filter(planned=True, forum_user_id=forum_user_id).order_by("id")
    return first.values_list("target", flat=True).first() or "another target"


def _freeze_plan(action: BulkAction, kind: Kind, frozen: dict[str, dict]) -> None:
    per_connection: list[dict[str, Any]] = []
    total_calls = 0
    total_seconds = 0.0
    for connection in action.connections.all():
        items = action.items.filter(connection=connection)
        planned = items.filter(planned=True).count()
        # Estimates read only the client class's batch sizes: no call is made.
        cls = client_class(connection.platform)
        calls = 0
        if planned:
            calls = (
                kind.run_overhead_calls(cls)
                + kind.recheck_calls(cls, planned)
                + kind.apply_calls(cls, planned)
            )
        seconds = pacing_seconds(connection, calls)
        total_calls += calls
        total_seconds = max(total_seconds, seconds)  # forums run side by side
        per_connection.append(
            {
                "connection": connection.pk,
                "name": connection.name,
                "planned": planned,
                "calls": calls,
                "seconds": round(seconds, 1),
                "rate": connection.requests_per_minute,
            }
        )
    skipped = action.items.filter(state=ItemState.SKIPPED)
    plan = dict(action.plan)
    plan.update(
        {
            "per_connection": per_connection,
            "planned": sum(p["planned"] for p in per_connection),
            "skipped": skipped.count(),
            "skipped_examples": list(skipped.order_by("id").values("target", "error")[:LIST_CAP]),
            "calls": total_calls,
            "seconds": round(total_seconds, 1),
            "planned_at": timezone.now().isoformat(),
        }
    )
    plan.pop("plan_attempts", None)
    plan["frozen"] = frozen
    action.plan = plan
    action.plan_hash = compute_hash(action)
    # Only a plan still in progress: a cancel recorded meanwhile stays cancelled.
    BulkAction.objects.filter(pk=action.pk, state=State.PLANNING, cancel_requested=False).update(
        plan=plan,
        plan_hash=action.plan_hash,
        state=State.PENDING_APPROVAL,
        last_error="",
        failed_tries=0,
        updated_at=timezone.now(),
    )


# --- running ----------------------------------------------------------------------------------
def _take_lease(action_id: int) -> str | None:
    token = uuid.uuid4().hex
    now = timezone.now()
    taken = BulkAction.objects.filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now),
        pk=action_id,
        state__in=[State.QUEUED, State.RUNNING],
    ).update(lease_token=token, lease_until=now + timedelta(seconds=lease_seconds()))
    return token if taken else None


def _renew_lease(action_id: int, token: str, until: float | None = None) -> bool:
    """Keep the lease this run's until ``until`` (time.time(); default a lease from now),
    never shortening a longer hold (``_Lease``). False: another run holds it now."""
    end = (
        datetime.fromtimestamp(until, tz=UTC)
        if until is not None
        else timezone.now() + timedelta(seconds=lease_seconds())
    )
    return bool(
        BulkAction.objects.filter(pk=action_id, lease_token=token).update(
            lease_until=Case(When(lease_until__gt=end, then=F("lease_until")), default=Value(end))
        )
    )


def _release_lease(action_id: int, token: str, **fields) -> None:
    BulkAction.objects.filter(pk=action_id, lease_token=token).update(
        lease_until=None, lease_token="", **fields
    )


class _Stop(Exception):
    def __init__(self, outcome: Outcome) -> None:
        self.outcome = outcome


def run_action(action_id: int) -> Outcome:
    token = _take_lease(action_id)
    if token is None:
        return Outcome(note="another run holds this action, or it is not runnable")
    try:
        outcome = _run(action_id, token)
    except _Stop as stop:
        outcome = stop.outcome
    except Exception as exc:  # a bug, or an answer nobody foresaw: counted, never endless
        logger.exception("Running bulk action #%s failed", action_id)
        outcome = _failed_try(BulkAction.objects.get(pk=action_id), _unexpected(exc))
    else:
        if outcome.failed:
            outcome = _failed_try(
                BulkAction.objects.get(pk=action_id), outcome.note, again_in=outcome.again_in
            )
        elif outcome.again_in is None:  # done (a forum's "wait" neither counts nor resets)
            _made_progress(action_id)
    wait_until = timezone.now() + timedelta(seconds=outcome.again_in) if outcome.again_in else None
    _release_lease(action_id, token, not_before=wait_until)
    return outcome


def refuse_stale_or_expired(action: BulkAction) -> str:
    """Why this approved action may not start, or ""."""
    if not action.approved_by_id or not action.approved_hash:
        return "It has no approval."
    if action.approval_expires_at and timezone.now() > action.approval_expires_at:
        return "Its approval expired before the run started; it needs a new approval."
    if compute_hash(action) != action.approved_hash:
        return "It changed after it was approved (the plan no longer matches the approval)."
    return ""


def _run(action_id: int, token: str) -> Outcome:
    action = BulkAction.objects.select_related("approved_by", "proposed_by").get(pk=action_id)
    if action.state == State.QUEUED:
        problem = refuse_stale_or_expired(action)
        if problem:
            with transaction.atomic():
                action.state = State.PENDING_APPROVAL
                action.approved_by = None
                action.approved_hash = ""
                action.approved_at = action.approval_expires_at = None
                action.last_error = f"Refused to run: {problem}"
                action.plan_hash = compute_hash(action)
                action.save()
                audit_record(
                    actor=None,
                    action="bulk.refused",
                    target=f"bulk action #{action.pk}",
                    outcome=AuditEntry.Outcome.FAILURE,
                    message=problem,
                    bulk_action=action,
                )
            return Outcome(note=problem)
        now = timezone.now()
        if "bindings" not in action.plan:
            # Approved before bindings were stored: the hash just matched, so these are they.
            action.plan = {**action.plan, "bindings": approved_bindings(action)}
        # Only from "queued": a cancel recorded since this run read the row stays.
        moved = BulkAction.objects.filter(
            pk=action.pk, state=State.QUEUED, cancel_requested=False
        ).update(
            state=State.RUNNING, started_at=action.started_at or now, updated_at=now,
            plan=action.plan,
        )  # fmt: skip
        if not moved:
            return Outcome(note="no longer queued")
        action.state = State.RUNNING
    started = time.monotonic()
    kind = get_kind(action.kind)
    try:
        if action.cancel_requested:
            raise BulkCancelled
        for connection in action.connections.all():
            outcome = _run_connection(action, kind, connection, token, started)
            if outcome is not None:
                return outcome
    except BulkCancelled:
        _cancel_rest(action)
        return Outcome(note="cancelled")
    except LeaseLost:
        return Outcome(note="lost the lease to another run")
    except BindingChanged as changed:
        _refuse_rest(action, changed.connection)
        return Outcome(note=BINDING_REFUSAL)
    _finish(action)
    return Outcome()


def _run_connection(
    action: BulkAction, kind: Kind, connection: ForumConnection, token: str, started: float
) -> Outcome | None:
    open_items = action.items.filter(
        connection=connection, planned=True, state__in=[ItemState.PENDING, ItemState.SENDING]
    )
    if not open_items.exists():
        return None
    try:
        client = _client(connection, action.pk, token)
    except ForumError as exc:  # e.g. its key no longer decrypts: nothing can be sent there
        return _handle_error(action, connection, [], exc)
    with client:
        try:
            ctx = kind.prepare(
                client, action.params, frozen=action.plan.get("frozen", {}).get(str(connection.pk))
            )
        except ForumError as exc:
            return _handle_error(action, connection, [], exc)
        while True:
            if _cancel_requested(action.pk):
                raise BulkCancelled
            if time.monotonic() - started > budget_seconds():
                return Outcome(again_in=0.01, note="continuing in a fresh task")
            chunk = list(open_items.order_by("id")[: run_chunk(kind, client)])
            if not chunk:
                return None
            outcome = _run_chunk(action, kind, connection, client, ctx, chunk, token)
            if outcome is not None:
                return outcome
            if not _renew_lease(action.pk, token):
                return Outcome(note="lost the lease to another run")


def run_chunk(kind: Kind, client: ForumClient) -> int:
    """Items rechecked together before sending: at least a batch, and as many as one lookup
    resolves at once. A forum whose lookup reads its whole user list (NodeBB: 1,000 targets a
    read) is then read once per that many items, as the plan counted (``recheck_calls``),
    not once per 100: 2,000 bans cost the list-then-ban script's calls, not 5% more."""
    return max(RUN_CHUNK, kind.batch_size(client), kind.resolve_batch_size(client))


def _targets(items: list[BulkActionItem]) -> list[ItemToSend]:
    targets = []
    for i in items:
        assert i.forum_user_id is not None, "only resolved items are run"
        targets.append(ItemToSend(i.pk, i.forum_user_id, i.forum_username, i.target))
    return targets


def _run_chunk(action, kind, connection, client, ctx, chunk, token) -> Outcome | None:
    by_id = {item.pk: item for item in chunk}
    try:
        with index_seeing(connection):
            reasons = kind.recheck(client, ctx, action.params, _targets(chunk))
    except ForumError as exc:
        return _handle_error(action, connection, [], exc)
    verified_done, skipped = [], []
    for item_id, reason in reasons.items():
        item = by_id.pop(item_id)
        if item.state == ItemState.SENDING and kind.shows_applied(reason):
            # Sent before (a run that died, or an answer that never came back): the forum
            # shows the change, so it was applied, and the audit log says so.
            item.state, item.error = ItemState.DONE, FOUND_APPLIED
            verified_done.append(item)
        else:
            item.state, item.error = ItemState.SKIPPED, reason
            skipped.append(item)
    with transaction.atomic():
        _save(verified_done + skipped, ["state", "error"])
        _audit_items(
            action,
            connection,
            kind,
            verified_done,
            AuditEntry.Outcome.SUCCESS,
            f"{kind.done_on(connection.platform)} by bulk action #{action.pk}: {FOUND_APPLIED}",
            kind.label_on(connection.platform),
        )
    remaining = list(by_id.values())
    size = kind.batch_size(client)
    batches = [remaining[i : i + size] for i in range(0, len(remaining), size)]
    group_size = 1
    while batches:
        # Batches go in groups: marked "sending" in one write, sent one after another, and
        # their outcomes and audit rows written in one go. A group is as many batches as went
        # out in about WRITE_GROUP_SECONDS the last time (1 while a paced run waits for its
        # slots), so the writes cost an unpaced run little and a paced one nothing new.
        group, batches = batches[:group_size], batches[group_size:]
        outcome = _send_group(action, kind, connection, client, ctx, group, token)
        if not isinstance(outcome, _GroupSent):
            return outcome
        group_size = outcome.next_size
    return None


WRITE_GROUP_SECONDS = 0.5  # a group's writes wait at most about this long
WRITE_GROUP_MAX = 50  # batches in one group at most


@dataclass
class _GroupSent:
    """A group went out whole; the next one takes ``next_size`` batches."""

    next_size: int


def _send_group(action, kind, connection, client, ctx, group, token) -> Outcome | _GroupSent | None:
    # Before every group, and again within it once WRITE_GROUP_SECONDS have passed (a wait
    # for slots, say): an edit while the run waited never redirects what was approved
    # elsewhere. The cancel is checked before every call, by the pacer (see _client).
    check_binding(action, connection.pk)
    # Renewed per group, not per chunk: a paced chunk (100 calls at 60/min) outlasts the
    # lease, and beat would start a second run sending the same items.
    if not _renew_lease(action.pk, token):
        return Outcome(note="lost the lease to another run")
    marked = [item for batch in group for item in batch]
    sent_at = timezone.now()
    for item in marked:
        item.state = ItemState.SENDING
        item.attempts += 1
        item.sent_at = sent_at
    # Durable before the calls: if we die now, the next run verifies before resending.
    _save(marked, ["state", "attempts", "sent_at"])
    sent: list[tuple[list[BulkActionItem], Applied]] = []
    started = checked = time.monotonic()
    for batch in group:
        calls_before = client.calls
        try:
            if time.monotonic() - checked > WRITE_GROUP_SECONDS:
                check_binding(action, connection.pk)
                checked = time.monotonic()
            result = kind.apply(client, ctx, action.params, _targets(batch))
        except ForumError as exc:
            _record_sent(action, kind, connection, client, sent)
            _unsend(marked, sent, batch)
            return _handle_error(action, connection, batch, exc)
        except BulkCancelled:
            _record_sent(action, kind, connection, client, sent)
            # A batch stopped before its first call was never sent (nor were the rest); one
            # stopped later stays "sending", for a person to see.
            _unsend(marked, sent, batch if client.calls != calls_before else None)
            raise
        except BindingChanged:
            _record_sent(action, kind, connection, client, sent)
            _unsend(marked, sent, None)
            raise
        except LeaseLost:
            # Another run holds the action now and may be sending these very items: what
            # went out is recorded; the rest stay "sending" for it to check, never set back.
            _record_sent(action, kind, connection, client, sent)
            raise
        except Exception:
            # Anything else: what went out is recorded; this batch may have gone, so it stays
            # "sending" (the next run checks the forum before sending it again).
            _record_sent(action, kind, connection, client, sent)
            _unsend(marked, sent, batch)
            raise
        sent.append(
            (batch, result if isinstance(result, Applied) else Applied(skipped=result or {}))
        )
    _record_sent(action, kind, connection, client, sent)
    _made_progress(action.pk)
    took = (time.monotonic() - started) / max(len(group), 1)
    return _GroupSent(max(1, min(WRITE_GROUP_MAX, int(WRITE_GROUP_SECONDS / max(took, 1e-3)))))


def _unsend(
    marked: list[BulkActionItem],
    sent: list[tuple[list[BulkActionItem], Applied]],
    kept: list[BulkActionItem] | None,
) -> None:
    """Items of a group marked "sending" that never went out (after a failure, a cancel or a
    changed binding) are pending again, as if never marked. ``kept``: a batch whose fate its
    own handler decides."""
    out = {item.pk for batch, _ in sent for item in batch}
    out |= {item.pk for item in kept or ()}
    back = [item for item in marked if item.pk not in out]
    for item in back:
        item.state, item.attempts, item.sent_at = ItemState.PENDING, item.attempts - 1, None
    _save(back, ["state", "attempts", "sent_at"])


def _record_sent(
    action, kind: Kind, connection, client, sent: list[tuple[list[BulkActionItem], Applied]]
) -> None:
    """What the forum did with each batch sent: item states and audit rows, in one write."""
    if not sent:
        return
    size = kind.batch_size(client)
    said = kind.label_on(connection.platform)
    written: list[BulkActionItem] = []
    done_by_call: dict[str, list[BulkActionItem]] = {}
    refused_by_call: dict[str, list[BulkActionItem]] = {}
    answers: dict[int, str] = {}  # what the forum said it did with each item, every batch
    for batch, applied in sent:
        answers.update(applied.answers)
        call = f"{said} ({len(batch)} in one call)" if size > 1 else said
        for item in batch:
            written.append(item)
            if item.pk in applied.failed:
                # The forum refused this one (e.g. a user Discourse will not delete): a
                # failure, with the forum's reason, never a quiet "skipped".
                item.state, item.error = ItemState.FAILED, applied.failed[item.pk]
                item.last_status = None
                refused_by_call.setdefault(call, []).append(item)
                continue
            if item.pk in applied.skipped:
                item.state, item.error = ItemState.SKIPPED, applied.skipped[item.pk]
            else:
                item.state, item.error = ItemState.DONE, applied.answers.get(item.pk, "")
                done_by_call.setdefault(call, []).append(item)
            item.last_status = 200
    # The index shows what the forum said done, without reading the accounts again.
    index_accounts_changed(
        connection=connection,
        forum_ids=[
            i.forum_user_id
            for items in done_by_call.values()
            for i in items
            if i.forum_user_id is not None
        ],
        fields=kind.index_fields(action.params),
    )
    with transaction.atomic():
        _save(written, ["state", "error", "last_status"])
        for call, done in done_by_call.items():
            _audit_items(
                action,
                connection,
                kind,
                done,
                AuditEntry.Outcome.SUCCESS,
                f"{kind.done_on(connection.platform)} by bulk action #{action.pk}",
                call,
                answers,
            )
        for call, refused in refused_by_call.items():
            _audit_refusals(action, connection, kind, refused, call)


def _handle_error(
    action, connection, batch: list[BulkActionItem], exc: ForumError
) -> Outcome | None:
    """Decide what a failure means: wait and retry, or fail these items and go on."""
    pacer = get_pacer()
    if isinstance(exc, ForumRateLimited):
        pacer.hold_until(connection, time.time() + exc.retry_after)
        for item in batch:  # a 429 is nobody's fault: it does not count as an attempt
            item.attempts = max(item.attempts - 1, 0)
            item.state = ItemState.PENDING
        _save(batch, ["attempts", "state"])
        _note(action, wait_words(connection, exc))
        return Outcome(again_in=max(exc.retry_after, 0.5), note=str(exc))
    if isinstance(exc, ForumServerError | ForumUnavailable):
        attempts = max([i.attempts for i in batch], default=0)
        if batch and attempts >= MAX_ATTEMPTS:
            _fail(action, connection, batch, exc)
            return Outcome(again_in=0.01)
        # The call may or may not have reached the forum: the items stay "sending", and the
        # next run checks the forum before sending them again.
        for item in batch:
            item.error, item.last_status = str(exc), exc.status
        _save(batch, ["error", "last_status"])
        wait = backoff(attempts or 1)
        pacer.hold_until(connection, time.time() + wait)
        _note(action, f"{connection.name}: {exc} Retrying in {wait:g} s.")
        # Without a batch, no item counts its attempts: the action counts its failed tries.
        return Outcome(again_in=wait, note=f"{connection.name}: {exc}", failed=not batch)
    if isinstance(exc, CapabilityNotOffered) or not batch:
        # Nothing can go on for this forum (e.g. the group is gone, or the key was revoked).
        rest = list(
            action.items.filter(
                connection=connection,
                planned=True,
                state__in=[ItemState.PENDING, ItemState.SENDING],
            )
        )
        _fail(action, connection, rest, exc)
        return None
    _fail(action, connection, batch, exc)
    return None


def wait_words(connection, exc: ForumRateLimited) -> str:
    """Why a run waits, in words that say whose limit it is: Forumdeck's own pace for the
    forum (the slot book said "not yet": no status) or the forum's answer (a 429)."""
    seconds = max(round(exc.retry_after), 1)
    if exc.status is None:
        window = connection.rate_window_seconds
        pace = (
            f"{connection.requests_per_minute} calls a minute"
            if window == 60
            else f"{connection.requests_per_minute * window // 60} calls per {window} s"
        )
        return f"Waiting for Forumdeck's pace for {connection.name} ({pace}): about {seconds} s."
    return f"{connection.name} asked Forumdeck to wait about {seconds} s (its rate limit)."


def _fail(action, connection, items: list[BulkActionItem], exc: ForumError) -> None:
    kind = get_kind(action.kind)
    message = str(exc)
    gone = isinstance(exc, ForumNotFound)
    for item in items:
        item.state = ItemState.SKIPPED if gone and len(items) == 1 else ItemState.FAILED
        item.error = (
            f"no longer exists on {connection.name}" if gone and len(items) == 1 else message
        )
        item.last_status = exc.status
    with transaction.atomic():
        _save(items, ["state", "error", "last_status"])
        _audit_items(
            action,
            connection,
            kind,
            [i for i in items if i.state == ItemState.FAILED],
            AuditEntry.Outcome.FAILURE,
            message,
            kind.label,
        )


def _note(action: BulkAction, message: str) -> None:
    # A passing note (a wait, a retry) only describes a run still going: never a finished one.
    BulkAction.objects.filter(pk=action.pk, state__in=BulkAction.ACTIVE).update(last_error=message)


def _cancel_rest(action: BulkAction) -> None:
    now = timezone.now()
    with transaction.atomic():
        update_items(
            action.items.filter(state=ItemState.PENDING),
            state=ItemState.SKIPPED,
            error="cancelled before it was sent",
        )
        # "sending" items may have been applied; they stay as they are, for a person to see.
        BulkAction.objects.filter(pk=action.pk).exclude(state=State.CANCELLED).update(
            state=State.CANCELLED, finished_at=now, updated_at=now, last_error=""
        )


def _refuse_rest(action: BulkAction, connection: ForumConnection) -> None:
    """A forum's binding changed after approval: nothing more is sent anywhere, the action
    fails with the reason, and the audit log says so."""
    now = timezone.now()
    reason = (
        f"Refused: the connection changed after approval ({connection.name}: its address, "
        "platform, acting user or key is not what was approved). Nothing more was sent; "
        "propose it again to act on the forum as it is now."
    )
    with transaction.atomic():
        update_items(
            action.items.filter(state=ItemState.PENDING),
            state=ItemState.SKIPPED,
            error=f"not sent: {BINDING_REFUSAL}",
        )
        BulkAction.objects.filter(pk=action.pk, state=State.RUNNING).update(
            state=State.FAILED, finished_at=now, updated_at=now, last_error=reason
        )
        audit_record(
            actor=None,
            action="bulk.refused",
            target=f"bulk action #{action.pk}",
            connection=connection,
            outcome=AuditEntry.Outcome.FAILURE,
            message=reason,
            details={"bulk_action": action.pk, "connection": connection.pk},
            bulk_action=action,
        )


def _finish(action: BulkAction) -> None:
    counts = dict(action.items.values_list("state").annotate(n=Count("id")))
    done = counts.get(ItemState.DONE, 0)
    failed = counts.get(ItemState.FAILED, 0)
    if failed and done:
        state = State.PARTIAL
    elif failed:
        state = State.FAILED
    else:
        state = State.SUCCEEDED
    BulkAction.objects.filter(pk=action.pk, state=State.RUNNING).update(
        state=state, finished_at=timezone.now(), last_error=""
    )
