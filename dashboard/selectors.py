"""The overview's fleet panel: the totals a community manager scans first, read from each
area's own selectors. Each part is shown only to people who may see that area."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any

from django.conf import settings
from django.utils import timezone

from forums.backups.selectors import FleetSummary, backup_age_chart, backup_fleet_summary
from forums.bulk.selectors import STATE_GROUPS, bulk_waiting_for
from forums.calendar.selectors import Occurrence, calendar_events, local_midnight
from forums.clients import client_class
from forums.clients.errors import ForumError
from forums.clients.records import Capability
from forums.connections.selectors import (
    connection_health,
    connection_last_healths,
    connection_review_links,
)
from forums.core.fleet import ForumDidNotAnswer, fan_out
from forums.models import AuditEntry, BulkAction, ForumConnection
from forums.web.charts import Bar, Chart, bar_chart


@dataclass
class ReviewQueue:
    connection: ForumConnection
    count: int | None
    links: list[tuple[str, str]]
    error: str = ""
    as_of: datetime | None = None  # failed now: ``count`` is the last check's, read then


@dataclass
class Fleet:
    reviews: list[ReviewQueue] | None = None
    review_total: int = 0
    review_chart: Chart | None = None
    bulk_waiting: int | None = None
    bulk_waiting_mine: int = 0
    bulk_active: int = 0
    backups: FleetSummary | None = None
    backup_chart: Chart | None = None
    events_today: list[Occurrence] | None = None
    events_week: int = 0
    calendar_errors: list[str] = field(default_factory=list)
    audit: list[AuditEntry] | None = None


def _reviews(connections: list[ForumConnection]) -> list[ReviewQueue]:
    """Each forum's review queue, from its (cached) health check, asked in parallel. A forum
    that fails or does not answer within ``FORUMDECK_INDEX_LIVE_WAIT_SECONDS`` shows the count
    its last check read, marked with when (``as_of``)."""
    found: dict[int, ReviewQueue] = {}

    def one(connection: ForumConnection) -> ReviewQueue:
        report = connection_health(connection=connection)
        links = connection_review_links(connection=connection)
        return ReviewQueue(connection, report.review_count, links, report.error)

    wait = settings.FORUMDECK_INDEX_LIVE_WAIT_SECONDS
    failed = []
    for connection, answer in fan_out(connections, one, "fleet", wait):
        if isinstance(answer, BaseException):
            if not isinstance(answer, ForumError):
                raise answer
            late = isinstance(answer, ForumDidNotAnswer)
            error = f"{connection.name} did not answer in time." if late else str(answer)
            answer = ReviewQueue(connection, None, [], error)
            failed.append(connection)
        found[connection.pk] = answer
    last = connection_last_healths(connections=failed) if failed else {}
    for connection in failed:
        report = last.get(connection.pk)
        if report is not None and report.review_count is not None:
            queue = found[connection.pk]
            queue.count, queue.as_of = report.review_count, report.checked_at
            queue.links = connection_review_links(connection=connection)
    return [
        found.get(c.pk) or ReviewQueue(c, None, [], f"{c.name} did not answer in time.")
        for c in connections
    ]


def _no_count(review: ReviewQueue) -> str:
    """Why a forum's queue has no number: it has none, or reading it failed this time."""
    offered = client_class(review.connection.platform).supports(Capability.REVIEW_QUEUE)
    return "could not be read" if offered else "not offered"


def fleet_overview(*, user: Any, zone: tzinfo) -> Fleet:
    fleet = Fleet()
    connections = list(ForumConnection.objects.filter(enabled=True).order_by("name"))
    if user.has_perm("forums.view_forumconnection"):
        fleet.reviews = _reviews(connections)
        fleet.review_total = sum(r.count or 0 for r in fleet.reviews)
        bars = [
            Bar(label=r.connection.name, value=float(r.count) if r.count is not None else None,
                text=str(r.count) if r.count is not None else _no_count(r),
                detail=f"{r.count} waiting" if r.count is not None else _no_count(r),
                css="warn" if r.count else "ok")
            for r in fleet.reviews
        ]  # fmt: skip
        fleet.review_chart = bar_chart(title="Items waiting in each forum's review queue",
                                       bars=bars)  # fmt: skip
    if user.has_perm("forums.view_bulkaction"):
        fleet.bulk_waiting = BulkAction.objects.filter(state__in=STATE_GROUPS["waiting"]).count()
        fleet.bulk_waiting_mine = bulk_waiting_for(user)
        fleet.bulk_active = BulkAction.objects.filter(state__in=STATE_GROUPS["active"]).count()
    if user.has_perm("forums.view_backups"):
        fleet.backups = backup_fleet_summary()
        fleet.backup_chart = backup_age_chart(fleet.backups.rows)
    if user.has_perm("forums.view_calendar"):
        today = timezone.now().astimezone(zone).date()
        week_end = today + timedelta(days=7 - today.weekday())  # through Sunday
        result = calendar_events(
            start=local_midnight(today, zone), end=local_midnight(week_end, zone)
        )
        fleet.events_today = [o for o in result.occurrences if today in o.days(zone)]
        fleet.events_week = len(result.occurrences)
        fleet.calendar_errors = [f"{f.connection_name}: {f.error}" for f in result.forums
                                 if f.error]  # fmt: skip
    if user.has_perm("forums.view_auditentry"):
        fleet.audit = list(AuditEntry.objects.select_related("actor", "connection")[:5])
    return fleet
