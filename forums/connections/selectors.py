"""Reading connections and their health."""

from __future__ import annotations

from django.core.cache import cache
from django.db.models import Q, QuerySet

from forums.clients import client_class
from forums.clients.records import HealthReport
from forums.models import ForumConnection

from .services import connection_check, health_cache_key, last_health_cache_key


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
    return connection_check(connection=connection)


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
