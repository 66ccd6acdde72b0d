"""List pages whose cost depends on the page, not on history (issue 15): the bulk actions list
and the audit log, each requested through Django's test client at a small and a large size of
the same database, in the bench's throwaway environment.

The rows are made with ``bulk_create`` (seconds, not the hours a real history takes); the
counts the bulk list reads are then counted from those items exactly as the migration counts
them (``bulk.counts.counted``), so the page sees what the engine would have kept.

What each figure means, and the numbers we got: docs/benchmarks.md ("List pages").
"""

from __future__ import annotations

import gc
import statistics
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tools.bench import busy_now, count_label

if TYPE_CHECKING:
    from tools.bench import Bench

REQUESTS = 25  # per size, PAUSE apart: the best and the median are the figures
PAUSE = 0.02  # s: the requests span a second, not a burst of the machine's other work
WARM_UP = 5
ACTIONS = 1_000
GOAL = 1.5


@contextmanager
def _pages():
    """Pages render with plain static file names: the bench's var folder has no collected
    manifest (``collectstatic`` is a deployment step), and a name's lookup costs the same
    at every size of the database."""
    from django.conf import settings
    from django.test.utils import override_settings

    plain = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    with override_settings(STORAGES={**settings.STORAGES, "staticfiles": plain}):
        yield


def _viewer_client():
    """A signed-in Viewer (forums.roles: sees bulk actions and the audit log, changes
    nothing), as the pages are requested in the browser."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client

    from forums.roles import VIEWER

    user, _ = get_user_model().objects.get_or_create(username="bench-viewer")
    user.groups.add(Group.objects.get(name=VIEWER))
    client = Client(HTTP_HOST="localhost")  # an allowed host of the bench's settings
    client.force_login(user)
    return client


def _error(bench: Bench, message: str) -> Exception:
    """The bench's own BenchError (exit status 2), from the module that made ``bench``:
    ``python -m tools.bench`` runs that module as __main__, not as tools.bench."""
    return sys.modules[type(bench).__module__].BenchError(message)


@dataclass
class Timing:
    """One page's requests at one size, in ms: the best (the least disturbed by whatever
    else the machine runs: what the page itself costs, as ``timeit`` reports) and the
    median."""

    best_ms: float
    median_ms: float


def _timed(bench: Bench, client, url: str, check: Callable[[str], bool], params=None) -> Timing:
    """REQUESTS timed requests, after WARM_UP untimed ones (the first checks the page)."""
    times = []
    gc.collect()  # not the garbage of the seeding, collected inside a timed request
    for n in range(WARM_UP + REQUESTS):
        started = time.perf_counter()
        response = client.get(url, params or {})
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise _error(bench, f"{url} answered {response.status_code}")
        if n == 0 and not check(response.content.decode()):
            raise _error(bench, f"{url} did not show what was seeded")
        if n >= WARM_UP:
            times.append(elapsed * 1000)
            time.sleep(PAUSE)
    return Timing(min(times), statistics.median(times))


def _record(bench: Bench, prefix: str, small: Timing, big: Timing, labels: tuple[str, str],
            rows: str, quick: bool) -> None:  # fmt: skip
    """The two sizes' figures ("bulk_list_1k_items_ms"), and their ratio (of the best
    times) against the goal ("bulk_list_110k_over_1k")."""
    for label, timing in zip(labels, (small, big), strict=True):
        bench.record(f"{prefix}_{label}_{rows}_ms", round(timing.best_ms, 1))
        bench.record(f"{prefix}_{label}_{rows}_median_ms", round(timing.median_ms, 1))
    ratio = big.best_ms / small.best_ms
    name = f"{prefix}_{labels[1]}_over_{labels[0]}"
    bench.record(f"{name}_of_medians", round(big.median_ms / small.median_ms, 3))
    bench.judge(
        name,
        round(ratio, 3),
        f"<= {GOAL}",
        baseline=f"the same page at {labels[0]} {rows}, {small.best_ms:.1f} ms",
        checked=not quick,
        busy=busy_now(),
    )


# --- the bulk actions list ----------------------------------------------------------------------
def _seed_actions(connection, proposer) -> list:
    from django.utils import timezone

    from forums.models import BulkAction

    states = [
        BulkAction.State.SUCCEEDED,
        BulkAction.State.PARTIAL,
        BulkAction.State.FAILED,
        BulkAction.State.CANCELLED,
        BulkAction.State.PENDING_APPROVAL,
    ]
    now = timezone.now()
    actions = BulkAction.objects.bulk_create(
        [
            BulkAction(
                kind="group_add",
                params={"group": f"bench-{n % 7}"},
                plan={"description": f"Add members to bench-{n % 7}"},
                state=states[n % len(states)],
                proposed_by=proposer,
                finished_at=now,
            )
            for n in range(ACTIONS)
        ],
        batch_size=500,
    )
    through = BulkAction.connections.through
    through.objects.bulk_create(
        [through(bulkaction_id=a.pk, forumconnection_id=connection.pk) for a in actions],
        batch_size=500,
    )
    return actions


def _seed_items(actions, connection, per_action: int, start: int) -> None:
    """``per_action`` more items for each action, most done, some skipped or failed."""
    from forums.models import BulkActionItem

    batch: list = []
    for action in actions:
        for n in range(start, start + per_action):
            state = ("done", "done", "done", "skipped", "failed")[n % 5]
            batch.append(
                BulkActionItem(
                    action_id=action.pk,
                    connection_id=connection.pk,
                    target=f"user_{n}",
                    forum_user_id=n + 1,
                    forum_username=f"user_{n}",
                    resolved=True,
                    planned=True,
                    state=state,
                    attempts=1,
                    last_status=200,
                )
            )
            if len(batch) >= 5000:
                BulkActionItem.objects.bulk_create(batch, batch_size=1000)
                batch.clear()
    BulkActionItem.objects.bulk_create(batch, batch_size=1000)


def _store_counts(actions) -> None:
    """The counts the engine keeps, counted once from the items (as the migration does)."""
    from forums.bulk.counts import counted
    from forums.models import BulkActionItem, BulkItemCounts

    ids = [a.pk for a in actions]
    BulkItemCounts.objects.filter(action_id__in=ids).delete()
    found = counted(BulkActionItem.objects.filter(action_id__in=ids))
    BulkItemCounts.objects.bulk_create(
        [BulkItemCounts(action_id=a, connection_id=c, **n) for (a, c), n in found.items()],
        batch_size=500,
    )


def _former_bulk_list_ms(state_group: str = "") -> float:
    """The list's database work as it was before issue 15: two item counts annotated over a
    join with every item (the count of the paginator, then the page of 25)."""
    from django.core.paginator import Paginator
    from django.db.models import Count, Q

    from forums.models import BulkAction

    counted = Q(items__planned=True) | Q(items__resolved=True, items__state="skipped")
    actions = BulkAction.objects.select_related("proposed_by", "approved_by").annotate(
        n_items=Count("items", filter=counted),
        n_finished=Count("items", filter=counted & ~Q(items__state__in=["pending", "sending"])),
        n_sent=Count("items", filter=Q(items__planned=True, items__attempts__gt=0)),
        n_not_sent=Count("items", filter=Q(items__planned=True, items__attempts=0)),
    )
    started = time.perf_counter()
    page = Paginator(actions.order_by("-created_at", "-id"), 25).get_page(1)
    list(page.object_list)
    return (time.perf_counter() - started) * 1000


def measure_bulk_list(bench: Bench, quick: bool) -> None:
    with _pages():
        _measure_bulk_list(bench, quick)


def _measure_bulk_list(bench: Bench, quick: bool) -> None:
    """One request of the bulk actions list: 1,000 actions with 110,000 items in the database
    against the same 1,000 actions with 1,000 items (quick: 20,000 against 1,000)."""
    from django.urls import reverse

    from forums.models import BulkAction, BulkActionItem, ForumConnection

    big = 20_000 if quick else 110_000
    proposer = bench.people()[0]
    connection = ForumConnection.objects.create(
        name="Bench lists", platform="discourse", base_url="https://bench-lists.invalid",
        api_username="system", api_key="bench-lists-key-0000", enabled=False,
    )  # fmt: skip
    actions = _seed_actions(connection, proposer)
    try:
        client = _viewer_client()
        url = reverse("forums:bulk-list")
        _seed_items(actions, connection, 1, 0)
        _store_counts(actions)
        small = _timed(bench, client, url, lambda html: " 1/1</td>" in html)
        former_small = _former_bulk_list_ms()
        per_action = big // ACTIONS
        _seed_items(actions, connection, per_action - 1, 1)
        _store_counts(actions)
        total = BulkActionItem.objects.filter(action__in=actions).count()
        if total != big:
            raise _error(bench, f"bulk list: seeded {total} items, {big} meant")
        shown = f" {per_action}/{per_action}</td>"
        large = _timed(bench, client, url, lambda html: shown in html)
        labels = (count_label(ACTIONS), count_label(big))
        _record(bench, "bulk_list", small, large, labels, "items", quick)
        # What it was: the former annotations on the same data (database time only).
        former_big = _former_bulk_list_ms()
        bench.record(f"bulk_list_{labels[0]}_items_former_query_ms", round(former_small, 1))
        bench.record(f"bulk_list_{labels[1]}_items_former_query_ms", round(former_big, 1))
    finally:
        BulkActionItem.objects.filter(action__in=actions).delete()
        BulkAction.objects.filter(pk__in=[a.pk for a in actions]).delete()
        connection.delete()


# --- the audit log ------------------------------------------------------------------------------
def _seed_entries(count: int, people, forums) -> None:
    from forums.models import AuditEntry

    actions = ["user.suspend", "user.silence", "bulk.group_add", "connection.test",
               "group.create", "tag.rename", "bulk.propose", "bulk.approve"]  # fmt: skip
    batch = []
    for n in range(count):
        person, forum = people[n % len(people)], forums[n % len(forums)]
        batch.append(
            AuditEntry(
                actor=person,
                actor_name=person.username,
                connection=forum,
                connection_name=forum.name,
                action=actions[n % len(actions)],
                target=f"user_{n}",
                outcome="success" if n % 11 else "failure",
                message=f"bench entry {n}",
                details={"forum_user_id": n + 1},
            )
        )
        if len(batch) >= 5000:
            AuditEntry.objects.bulk_create(batch, batch_size=1000)
            batch.clear()
    AuditEntry.objects.bulk_create(batch, batch_size=1000)


def _former_audit_ms() -> float:
    """The log's database work as it was before issue 15: three DISTINCT scans for the
    filters' choices and a count of the whole log (the page itself left out)."""
    from django.contrib.auth import get_user_model

    from forums.models import AuditEntry

    started = time.perf_counter()
    User = get_user_model()
    list(User.objects.filter(audit_entries__isnull=False).distinct().order_by("username"))
    list(
        AuditEntry.objects.exclude(connection_id=None)
        .values_list("connection_id", "connection_name")
        .order_by("connection_name")
        .distinct()
    )
    list(AuditEntry.objects.values_list("action", flat=True).order_by("action").distinct())
    AuditEntry.objects.count()
    return (time.perf_counter() - started) * 1000


def measure_audit(bench: Bench, quick: bool) -> None:
    with _pages():
        _measure_audit(bench, quick)


def _measure_audit(bench: Bench, quick: bool) -> None:
    """One request of the audit log's first page: 100,000 entries against 1,000 (quick:
    20,000 against 1,000)."""
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    from forums.models import AuditEntry, ForumConnection

    small_n, big = 1_000, 20_000 if quick else 100_000
    people = [
        get_user_model().objects.get_or_create(username=f"bench-auditor-{n}")[0] for n in range(5)
    ]
    forums = [
        ForumConnection.objects.create(
            name=f"Bench audit {n}",
            platform="discourse",
            base_url=f"https://bench-audit-{n}.invalid",
            api_username="system",
            api_key=f"bench-audit-key-{n:04d}",
            enabled=False,
        )  # fmt: skip
        for n in range(5)
    ]
    client = _viewer_client()
    url = reverse("forums:audit-list")
    before = AuditEntry.objects.count()
    _seed_entries(max(small_n - before, 0), people, forums)
    small = _timed(bench, client, url, lambda html: "bench entry" in html)
    former_small = _former_audit_ms()
    _seed_entries(big - AuditEntry.objects.count(), people, forums)
    if AuditEntry.objects.count() != big:
        raise _error(bench, "audit: the log does not hold the entries meant")
    large = _timed(bench, client, url, lambda html: "more than 10,000 entries" in html)
    labels = (count_label(small_n), count_label(big))
    _record(bench, "audit", small, large, labels, "entries", quick)
    # A filtered page (one forum), to show the indexes serve the filters too.
    one_forum = _timed(bench, client, url, lambda html: "entries" in html, {"forum": forums[0].pk})
    bench.record(f"audit_{labels[1]}_entries_one_forum_ms", round(one_forum.best_ms, 1))
    # What it was: the former choices and count on the same log (database time only).
    bench.record(f"audit_{labels[0]}_entries_former_queries_ms", round(former_small, 1))
    bench.record(f"audit_{labels[1]}_entries_former_queries_ms", round(_former_audit_ms(), 1))
    # The entries are append-only and stay (nothing else in the bench reads the log's size);
    # the forums go, so that no later measurement finds them.
    ForumConnection.objects.filter(pk__in=[f.pk for f in forums]).delete()
