"""Reading connections and their health, and asking every forum at once."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Sequence

from django.core.cache import cache
from django.db.models import Q, QuerySet
from django.utils import timezone

from forums.clients import client_class
from forums.clients.errors import ForumError
from forums.clients.records import HealthReport
from forums.core.fleet import fan_out_stream, forum_deadline
from forums.models import ForumConnection

from .services import connection_check, health_cache_key, last_health_cache_key

logger = logging.getLogger("forums.connections")


def connection_list(*, enabled_only: bool = False, search: str = "") -> QuerySet[ForumConnection]:
    # Lists never need the key: deferring it keeps them working while a keyring is repaired.
    qs = ForumConnection.objects.defer("api_key")
    if enabled_only:
        qs = qs.filter(enabled=True)
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(base_url__icontains=search))
    return qs


def connection_health(*, connection: ForumConnection, refresh: bool = False) -> HealthReport:
    """The cached health of a connection, checked now if missing or ``refresh`` is asked."""
    if not refresh:
        cached = cache.get(health_cache_key(connection))
        if cached is not None:
            return HealthReport.from_dict(cached)
    return _checked_once(connection)


def connection_cached_healths(*, connections: Sequence[ForumConnection]) -> dict[int, HealthReport]:
    """connection id -> its cached health, for those whose cache is still fresh (no call)."""
    keys = {health_cache_key(c): c.pk for c in connections}
    found = cache.get_many(list(keys))
    return {keys[key]: HealthReport.from_dict(data) for key, data in found.items()}


# While one request checks a forum, another that wants the same check waits for its answer
# instead of asking the forum again (the overview's cards and its fleet panel, two people).
_SHARED_WAIT_STEP = 0.05


def _checking_key(connection: ForumConnection) -> str:
    return f"forumdeck:health-checking:{connection.pk}"


_local_checks: dict[int, threading.Lock] = {}
_local_checks_guard = threading.Lock()


def _local_check_lock(connection: ForumConnection) -> threading.Lock:
    with _local_checks_guard:
        return _local_checks.setdefault(connection.pk, threading.Lock())


def _checked_since(connection: ForumConnection, asked) -> HealthReport | None:
    cached = cache.get(health_cache_key(connection))
    if cached is not None and cached.get("checked_at") and cached["checked_at"] >= asked:
        return HealthReport.from_dict(cached)
    return None


def _checked_once(connection: ForumConnection) -> HealthReport:
    """A check of ``connection``, or the answer of the one already running elsewhere."""
    asked = timezone.now()
    # Threads of this process take turns, and a later one takes the answer its predecessor
    # got meanwhile: a file cache's ``add`` (the embedded default) is not atomic, so the flag
    # below alone let three threads check one forum at once.
    with _local_check_lock(connection):
        shared = _checked_since(connection, asked)
        if shared is not None:
            return shared
        # Other processes: the first to set the flag checks, the others wait for its answer.
        flag = _checking_key(connection)
        if cache.add(flag, True, timeout=forum_deadline()):
            try:
                return connection_check(connection=connection)
            finally:
                cache.delete(flag)
        ends = time.monotonic() + forum_deadline()
        while time.monotonic() < ends and cache.get(flag) is not None:
            time.sleep(_SHARED_WAIT_STEP)
            shared = _checked_since(connection, asked)
            if shared is not None:
                return shared
        return _checked_since(connection, asked) or connection_check(connection=connection)


def connection_health_stream(
    *, connections: Sequence[ForumConnection]
) -> Iterator[tuple[ForumConnection, HealthReport]]:
    """Check every one of ``connections`` at once (each forum's calls at once too), yielding
    each forum's report as it answers; a forum still silent at the deadline comes last with a
    report that says so. Pass connections read with their key (not ``connection_list``)."""
    for connection, answer in fan_out_stream(connections, _checked_once, "health"):
        if isinstance(answer, BaseException):
            if not isinstance(answer, ForumError):
                logger.error("Checking %s failed", connection.name, exc_info=answer)
                answer = ForumError(
                    "Forumdeck could not check this forum (an error on Forumdeck's side)."
                )
            answer = HealthReport(
                error=str(answer), error_kind=answer.kind, checked_at=timezone.now()
            )
        yield connection, answer


def connection_last_health(*, connection: ForumConnection) -> HealthReport | None:
    """The last check's result if there was one this week; never asks the forum."""
    cached = cache.get(last_health_cache_key(connection))
    return HealthReport.from_dict(cached) if cached is not None else None


def connection_last_healths(
    *, connections: list[ForumConnection] | QuerySet[ForumConnection]
) -> dict[int, HealthReport]:
    """connection id -> its last check's result, for the connections checked this week."""
    keys = {last_health_cache_key(c): c.pk for c in connections}
    found = cache.get_many(list(keys))
    return {keys[key]: HealthReport.from_dict(data) for key, data in found.items()}


def connection_review_links(*, connection: ForumConnection) -> list[tuple[str, str]]:
    """The forum's own pages where moderators work through waiting items."""
    return [
        (label, connection.base_url + path)
        for label, path in client_class(connection.platform).review_pages
    ]
