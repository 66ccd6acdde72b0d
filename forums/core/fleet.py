"""Fleet plumbing every area shares: the enabled forums, asking every forum at once
(``fan_out``, ``fan_out_stream``, ``fan_out_batches``: a slow forum holds back only its own
row) and fleet lists kept a while in the cache (``cached_lists``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import datetime
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import connections as db_connections
from django.db.models import Max, QuerySet
from django.utils import timezone

from forums.clients.errors import ForumError
from forums.core.areas import kinds_changing
from forums.models import BulkAction, ForumConnection

CACHE_SECONDS = 120  # how long cached_lists keeps a forum's list

T = TypeVar("T")


def enabled_connections(connection_ids: Sequence[int] | None = None) -> list[ForumConnection]:
    """The enabled forums by name, optionally only those chosen."""
    connections = list(ForumConnection.objects.filter(enabled=True).order_by("name"))
    if connection_ids:
        wanted = set(connection_ids)
        connections = [c for c in connections if c.pk in wanted]
    return connections


def forum_deadline() -> float:
    """How long a page waits for the slowest forum: one call's whole deadline, and a little."""
    return settings.FORUMDECK_HTTP_DEADLINE + 2


# Forums asked at once by one page: one thread each, up to this many (a fleet larger than
# this waits for free threads, in order).
FAN_OUT_MAX_THREADS = 32


class ForumDidNotAnswer(ForumError):
    """A forum that was still silent when the page stopped waiting for it."""


def _closing_db(job: Callable[[ForumConnection], T]) -> Callable[[ForumConnection], T]:
    """``job`` in a pool thread, closing the database connections that thread opened (a
    pacer or cache may use one): threads outside a request are never cleaned up by Django."""

    def run(connection: ForumConnection) -> T:
        try:
            return job(connection)
        finally:
            db_connections.close_all()

    return run


def _outcome(future: Future[Any]) -> Any:
    """The job's result, or the exception it raised."""
    try:
        return future.result()
    except Exception as exc:  # noqa: BLE001 - each forum's failure is its own line
        return exc


def fan_out_batches(
    connections: Sequence[ForumConnection],
    job: Callable[[ForumConnection], T],
    prefix: str,
    deadline: float | None = None,
    grace: float | None = None,
) -> Iterator[list[tuple[ForumConnection, T | BaseException]]]:
    """``fan_out_stream``, a batch at a time: each batch is every answer that came in while
    the caller handled the one before (at least one; in the connections' order). A page that
    re-renders everything found so far at each answer does it once per batch, not once per
    forum: twenty forums that answer together cost one render, not twenty. With ``grace``,
    the forums still silent ``grace`` seconds after the latest answer are given up on then
    (within ``deadline``): one hanging forum among quick ones adds only ``grace``."""
    if not connections:
        return
    deadline = forum_deadline() if deadline is None else deadline
    ends = time.monotonic() + deadline
    pool = ThreadPoolExecutor(
        max_workers=min(len(connections), FAN_OUT_MAX_THREADS), thread_name_prefix=prefix
    )
    futures = {pool.submit(_closing_db(job), c): c for c in connections}
    order = {future: n for n, future in enumerate(futures)}
    pending = set(futures)
    try:
        while pending:
            done, pending = wait(
                pending, timeout=max(ends - time.monotonic(), 0), return_when=FIRST_COMPLETED
            )
            if not done:
                break
            yield [(futures[f], _outcome(f)) for f in sorted(done, key=order.__getitem__)]
            if grace is not None:
                ends = min(ends, time.monotonic() + grace)
        if pending:
            yield [
                (
                    futures[future],
                    (
                        _outcome(future)
                        if future.done()
                        else ForumDidNotAnswer(
                            f"{futures[future].name} did not answer within {deadline:g} seconds."
                        )
                    ),
                )
                for future in sorted(pending, key=order.__getitem__)
            ]
    finally:
        # Never wait for a slow forum here: its thread ends at its own request deadline.
        pool.shutdown(wait=False, cancel_futures=True)


def fan_out_stream(
    connections: Sequence[ForumConnection],
    job: Callable[[ForumConnection], T],
    prefix: str,
    deadline: float | None = None,
    grace: float | None = None,
) -> Iterator[tuple[ForumConnection, T | BaseException]]:
    """``job(connection)`` on every forum at once, yielding (connection, result or exception)
    as each forum answers, so a page can show it at once. A forum still silent after
    ``deadline`` seconds (``forum_deadline()`` by default) is yielded last with a
    ``ForumDidNotAnswer``: a slow forum holds back only its own row. Read the database
    before: jobs run in threads."""
    for batch in fan_out_batches(connections, job, prefix, deadline, grace):
        yield from batch


def fan_out(
    connections: Sequence[ForumConnection],
    job: Callable[[ForumConnection], T],
    prefix: str,
    deadline: float | None = None,
    grace: float | None = None,
) -> list[tuple[ForumConnection, T | BaseException]]:
    """``job(connection)`` on every forum at once: (connection, result or exception) pairs, in
    the connections' order. A forum that fails or is slow gets its own error and never holds
    up the others past ``deadline`` (``forum_deadline()`` by default; ``grace``: see
    ``fan_out_batches``). Read the database before: jobs run in threads."""
    answers = fan_out_stream(connections, job, prefix, deadline, grace)
    results = {c.pk: answer for c, answer in answers}
    return [(c, results[c.pk]) for c in connections]


def enabled_forums() -> QuerySet[ForumConnection]:
    """The enabled forums by name, as a queryset (a form's choices), key left sealed."""
    return ForumConnection.objects.filter(enabled=True).defer("api_key").order_by("name")


def changed_since(connection: ForumConnection, when: datetime, kinds: Sequence[str]) -> bool:
    """Has a bulk action of these kinds sent anything to this forum since ``when``? Then a
    cached list is stale: the worker changed the forum behind this page's back."""
    return BulkAction.objects.filter(
        connections=connection, kind__in=kinds, started_at__isnull=False, updated_at__gt=when
    ).exists()


def changed_since_of(
    connections: Sequence[ForumConnection], kinds: Sequence[str]
) -> Callable[[ForumConnection, datetime], bool]:
    """``changed_since`` for many forums with one query (made at the first question): when
    each forum last had a bulk action of these kinds send it anything."""
    last: dict[int, datetime] | None = None

    def changed(connection: ForumConnection, when: datetime) -> bool:
        nonlocal last
        if last is None:
            rows = (
                BulkAction.objects.filter(
                    connections__in=[c.pk for c in connections],
                    kind__in=kinds,
                    started_at__isnull=False,
                )
                .values("connections")
                .annotate(at=Max("updated_at"))
                .values_list("connections", "at")
            )
            last = {cid: at for cid, at in rows if at is not None}
        at = last.get(connection.pk)
        return at is not None and at > when

    return changed


def cached_lists(
    connections: Sequence[ForumConnection],
    *,
    key: Callable[[int], str],
    area: str,
    fetch: Callable[[ForumConnection], Any],
    refresh: bool,
    prefix: str,
    deadline: float | None = None,
) -> list[tuple[ForumConnection, Any]]:
    """``fetch(connection)`` for each forum, kept two minutes unless a bulk action of a kind
    that changes this ``area``'s lists (``Kind.area``) changed the forum since: (connection,
    answer or exception). The database is read here, in the request's thread; the forums are
    asked in parallel."""
    kinds = kinds_changing(area)
    found: dict[int, Any] = {}
    missing = []
    for connection in connections:
        cached = None if refresh else cache.get(key(connection.pk))
        if cached is not None and not changed_since(connection, cached[0], kinds):
            found[connection.pk] = cached[1]
        else:
            missing.append(connection)
    asked_at = timezone.now()  # a change while we ask makes the next look ask again
    for connection, answer in fan_out(missing, fetch, prefix, deadline):
        if not isinstance(answer, BaseException):
            cache.set(key(connection.pk), (asked_at, answer), CACHE_SECONDS)
        found[connection.pk] = answer
    return [(c, found[c.pk]) for c in connections]
