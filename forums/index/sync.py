"""The first sync: a forum read whole into the index, resumable, within its budget share.

It reads the forum's whole user list a page at a time (``user_list_page``), then its groups and
tags, writing rows in batches. Each page is committed with the cursor that asks for the next
one, so a sync whose worker was killed resumes where it stopped; one lease per forum keeps two
workers from reading the same page. A step sends at most the forum's burst times
``FORUMDECK_INDEX_BUDGET_SHARE`` calls, then asks to be called again once those calls are that
share of the forum's rate: over any stretch of time the sync takes no more than its share of the
forum's budget, and it never sleeps in a worker to keep it (``forums.tasks.sync_index`` retries
with the countdown).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from forums.clients import get_client
from forums.clients.errors import CapabilityNotOffered, ForumError, ForumRateLimited
from forums.clients.records import Capability
from forums.core.fleet_index.rows import index_accounts_save, index_groups_save, index_tags_save
from forums.models import ForumConnection, IndexedAccount, IndexSync, IndexWebhookDelivery
from forums.pacing import MAX_INLINE_WAIT, Priority, pace_for

# A step's hold on its sync: longer than any step takes (a step is a burst of calls).
LEASE_SECONDS = 300
# After a forum failed (down, refused the key): try the sync again this much later.
FAILURE_RETRY_SECONDS = 60.0


def budget_share() -> float:
    return min(max(float(settings.FORUMDECK_INDEX_BUDGET_SHARE), 0.01), 1.0)


def step_calls(connection: ForumConnection) -> int:
    """Calls one step may send: the forum's burst times the index's share (at least one)."""
    return max(1, math.floor(connection.rate_allowance * budget_share()))


def seconds_for(connection: ForumConnection, calls: int) -> float:
    """How long ``calls`` calls must be spread over to stay within the index's share."""
    per_second = connection.requests_per_minute / 60.0 * budget_share()
    return calls / per_second if per_second > 0 else FAILURE_RETRY_SECONDS


@transaction.atomic
def index_sync_start(*, connection: ForumConnection, force: bool = False) -> IndexSync:
    """Begin reading this forum whole (again). A sync under way is left alone unless
    ``force``. The caller queues the task (``forums.tasks.sync_index``)."""
    sync, _ = IndexSync.objects.select_for_update().get_or_create(connection=connection)
    if sync.state == IndexSync.State.RUNNING and not force:
        return sync
    sync.state = IndexSync.State.RUNNING
    sync.generation += 1
    sync.accounts_cursor = ""
    sync.accounts_seen = 0
    sync.calls = 0
    sync.error = ""
    sync.started_at = timezone.now()
    sync.next_step_at = sync.started_at
    sync.lease_until = None
    sync.save()
    return sync


@dataclass(frozen=True)
class SyncStep:
    """``again_in``: call the step again in this many seconds; None: nothing left to do (the
    sync is complete, stopped, or another worker holds it)."""

    again_in: float | None
    calls: int = 0


class _Counter:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> None:
        self.calls += 1


def _take_lease(sync: IndexSync, state: str = IndexSync.State.RUNNING) -> bool:
    now = timezone.now()
    return bool(
        IndexSync.objects.filter(pk=sync.pk, state=state)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=now + timedelta(seconds=LEASE_SECONDS))
    )


def _done_since_start(moment, sync: IndexSync) -> bool:
    return moment is not None and sync.started_at is not None and moment >= sync.started_at


def index_sync_step(*, connection_id: int, max_calls: int | None = None) -> SyncStep:
    """One burst of the first sync (see the module's doc). ``max_calls`` lowers the burst
    (tests, the bench)."""
    sync = (
        IndexSync.objects.filter(connection_id=connection_id).select_related("connection").first()
    )
    if sync is None or sync.state != IndexSync.State.RUNNING:
        return SyncStep(None)
    connection = sync.connection
    if not connection.enabled:
        return SyncStep(None)
    if not _take_lease(sync):
        return SyncStep(None)  # another worker is on it and will schedule the next step
    budget = step_calls(connection)
    if max_calls is not None:
        budget = max(1, min(budget, max_calls))
    counter = _Counter()
    again_in: float | None = None
    try:
        client = get_client(
            connection,
            pacer=pace_for(
                connection, max_wait=MAX_INLINE_WAIT, then=counter, priority=Priority.SYNC
            ),
        )
        with client:
            while counter.calls < budget:
                if not _done_since_start(sync.accounts_complete_at, sync):
                    _accounts_page(sync, client)
                elif not _done_since_start(sync.groups_complete_at, sync):
                    _groups(sync, client)
                elif not _done_since_start(sync.tags_complete_at, sync):
                    _tags(sync, client)
                else:
                    break
    except ForumRateLimited as exc:
        again_in = max(float(exc.retry_after or 0), seconds_for(connection, counter.calls), 1.0)
    except CapabilityNotOffered as exc:
        # The forum cannot list its accounts through its API: nothing to read, ever; its
        # pages keep asking it live.
        sync.state = IndexSync.State.FAILED
        sync.error = str(exc)[:2000]
    except ForumError as exc:
        sync.error = str(exc)[:2000]
        again_in = FAILURE_RETRY_SECONDS
    finished = (
        _done_since_start(sync.accounts_complete_at, sync)
        and _done_since_start(sync.groups_complete_at, sync)
        and _done_since_start(sync.tags_complete_at, sync)
    )
    if finished:
        sync.state = IndexSync.State.COMPLETE
        sync.error = ""
        again_in = None
    elif sync.state == IndexSync.State.FAILED:
        again_in = None
    elif again_in is None:
        again_in = seconds_for(connection, counter.calls)
        sync.error = ""
    sync.calls += counter.calls
    sync.next_step_at = (
        timezone.now() + timedelta(seconds=again_in) if again_in is not None else None
    )
    sync.lease_until = None
    sync.save(
        update_fields=["state", "error", "calls", "next_step_at", "lease_until", "updated_at"]
    )
    return SyncStep(again_in, counter.calls)


# The forum is asked outside any transaction, and only its answer is written in one (with the
# cursor that asks for the next page): a call waits for its slot in the book (up to
# MAX_INLINE_WAIT) and then for the forum, and on SQLite a transaction holds the database's one
# write lock from its start (IMMEDIATE), so every other writer (a bulk run booking its slots)
# would wait for the sync's forum call; measured (tools/bench_fleet.py): a suspend run of 100
# beside a first sync took 2.6 times as long as alone.
def _accounts_page(sync: IndexSync, client) -> None:
    _accounts_page_save(sync, client.user_list_page(cursor=sync.accounts_cursor))


@transaction.atomic
def _accounts_page_save(sync: IndexSync, page) -> None:
    connection = sync.connection
    index_accounts_save(connection=connection, users=page.users, generation=sync.generation)
    if page.users:
        sync.accounts_tail_cursor = sync.accounts_cursor
    sync.accounts_seen += len(page.users)
    if page.total is not None:
        sync.accounts_total = page.total
    sync.accounts_cursor = page.cursor
    if not page.cursor:
        # The whole list was read: what an earlier read saw and this one did not is gone.
        IndexedAccount.objects.filter(
            connection=connection, generation__lt=sync.generation
        ).delete()
        sync.accounts_complete_at = timezone.now()
        sync.accounts_total = max(sync.accounts_seen, sync.accounts_total or 0)
    sync.save(
        update_fields=[
            "accounts_seen",
            "accounts_total",
            "accounts_cursor",
            "accounts_tail_cursor",
            "accounts_complete_at",
            "updated_at",
        ]
    )


def _groups(sync: IndexSync, client) -> None:
    groups = None
    if client.supports(Capability.GROUPS):
        try:
            groups = client.list_groups()  # outside the transaction, as _accounts_page
        except CapabilityNotOffered:
            groups = []
    with transaction.atomic():
        if groups is not None:
            index_groups_save(connection=sync.connection, groups=groups, generation=sync.generation)
        sync.groups_complete_at = timezone.now()
        sync.save(update_fields=["groups_complete_at", "updated_at"])


def _tags(sync: IndexSync, client) -> None:
    tags = None
    if client.supports(Capability.TAGS):
        try:
            tags = client.list_tags()  # outside the transaction, as _accounts_page
        except CapabilityNotOffered:
            tags = []
    with transaction.atomic():
        if tags is not None:
            index_tags_save(connection=sync.connection, tags=tags, generation=sync.generation)
        sync.tags_complete_at = timezone.now()
        sync.save(update_fields=["tags_complete_at", "updated_at"])


def index_syncs_due() -> list[int]:
    """Beat: the connections whose sync should take a step now: a first sync where none
    began (when FORUMDECK_INDEX_AUTO_START), a sync whose worker died (its next step long
    overdue and no lease), and a complete index older than FORUMDECK_INDEX_RESYNC_HOURS."""
    now = timezone.now()
    due: list[int] = []
    enabled = ForumConnection.objects.filter(enabled=True)
    if settings.FORUMDECK_INDEX_AUTO_START:
        for connection in enabled.filter(index_sync__isnull=True):
            index_sync_start(connection=connection)
            due.append(connection.pk)
    overdue = now - timedelta(seconds=max(settings.FORUMDECK_INDEX_POLL_SECONDS, 30.0))
    due += list(
        IndexSync.objects.filter(
            connection__enabled=True, state=IndexSync.State.RUNNING, next_step_at__lt=overdue
        )
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .values_list("connection_id", flat=True)
    )
    stale = now - timedelta(hours=settings.FORUMDECK_INDEX_RESYNC_HOURS)
    for sync in IndexSync.objects.filter(
        connection__enabled=True, state=IndexSync.State.COMPLETE, accounts_complete_at__lt=stale
    ).select_related("connection"):
        index_sync_start(connection=sync.connection)
        due.append(sync.connection_id)
    return due


# --- the cheap poll -----------------------------------------------------------------------------
# Accounts per status list the poll reads; a shorter answer is the whole list, so a row still
# flagged but not in it has had its penalty lifted on the forum.
POLL_STATUS_LIMIT = 100
POLL_STATUSES = ("suspended", "silenced")


def poll_calls(connection: ForumConnection) -> int:
    """Calls one poll may send: the index's share of the forum's rate over the poll's interval
    (at least one), and never more than a sync step's burst."""
    interval = max(float(settings.FORUMDECK_INDEX_POLL_SECONDS), 1.0)
    share = math.floor(connection.requests_per_minute / 60.0 * interval * budget_share())
    return max(1, min(step_calls(connection), share))


def index_poll(*, connection_id: int, max_calls: int | None = None) -> int:
    """What a complete index misses between whole reads, for a few calls: accounts created
    since (the user list from its last page on) and the forum's suspended and silenced lists
    (a penalty put on or lifted on the forum itself). Returns the calls it made."""
    sync = (
        IndexSync.objects.filter(connection_id=connection_id).select_related("connection").first()
    )
    if sync is None or sync.state != IndexSync.State.COMPLETE or not sync.connection.enabled:
        return 0
    if not _take_lease(sync, IndexSync.State.COMPLETE):
        return 0
    connection = sync.connection
    budget = poll_calls(connection) if max_calls is None else max(1, max_calls)
    counter = _Counter()
    try:
        client = get_client(
            connection,
            pacer=pace_for(
                connection, max_wait=MAX_INLINE_WAIT, then=counter, priority=Priority.SYNC
            ),
        )
        with client:
            cursor = sync.accounts_tail_cursor
            while counter.calls < budget:
                page = client.user_list_page(cursor=cursor)
                index_accounts_save(
                    connection=connection, users=page.users, generation=sync.generation
                )
                if page.total is not None:
                    sync.accounts_total = page.total
                if page.users:
                    sync.accounts_tail_cursor = cursor
                if not page.cursor:
                    break
                cursor = page.cursor
            for status in POLL_STATUSES:
                if counter.calls >= budget:
                    break
                try:
                    users = client.find_users(status=status, limit=POLL_STATUS_LIMIT)
                except (ValueError, CapabilityNotOffered):
                    continue  # this forum cannot list it
                _status_seen(connection, status, users, sync.generation)
        sync.error = ""
    except ForumError as exc:
        sync.error = str(exc)[:2000]
    sync.accounts_seen = IndexedAccount.objects.filter(connection=connection).count()
    sync.calls += counter.calls
    sync.polled_at = timezone.now()
    sync.lease_until = None
    sync.save(
        update_fields=[
            "accounts_total",
            "accounts_tail_cursor",
            "accounts_seen",
            "calls",
            "polled_at",
            "lease_until",
            "error",
            "updated_at",
        ]  # fmt: skip
    )
    return counter.calls


@transaction.atomic
def _status_seen(connection: ForumConnection, status: str, users, generation: int) -> None:
    index_accounts_save(connection=connection, users=users, generation=generation)
    if len(users) >= POLL_STATUS_LIMIT:
        return  # not the whole list: nothing can be said of the others
    others = IndexedAccount.objects.filter(connection=connection, **{status: True}).exclude(
        forum_id__in=[u.id for u in users]
    )
    others.update(**{status: False, f"{status}_until": None})


def index_polls_due() -> list[int]:
    """Beat: the complete indexes not polled for FORUMDECK_INDEX_POLL_SECONDS."""
    since = timezone.now() - timedelta(seconds=settings.FORUMDECK_INDEX_POLL_SECONDS * 0.9)
    return list(
        IndexSync.objects.filter(connection__enabled=True, state=IndexSync.State.COMPLETE)
        .filter(Q(polled_at__isnull=True) | Q(polled_at__lt=since))
        .values_list("connection_id", flat=True)
    )


def index_deliveries_forget() -> int:
    """Beat: forget webhook deliveries older than FORUMDECK_INDEX_WEBHOOK_REMEMBER_DAYS (until
    then the same delivery again is refused as a replay)."""
    before = timezone.now() - timedelta(days=settings.FORUMDECK_INDEX_WEBHOOK_REMEMBER_DAYS)
    # Each forum's newest numbered delivery stays: the receiver refuses anything older.
    newest = (
        IndexWebhookDelivery.objects.filter(delivery_id__startswith="seq:")
        .values("connection")
        .annotate(last=Max("pk"))
        .values("last")
    )
    old = IndexWebhookDelivery.objects.filter(received_at__lt=before).exclude(pk__in=newest)
    deleted, _ = old.delete()
    return deleted
