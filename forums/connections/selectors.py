"""Selectors read things."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import QuerySet

from .clients.records import HealthReport
from .models import AuditEntry, ForumConnection
from .services import connection_check, health_cache_key


def connection_list(*, enabled_only: bool = False, search: str = "") -> QuerySet[ForumConnection]:
    # Lists never need the key: deferring it keeps them working while a keyring is repaired.
    qs = ForumConnection.objects.defer("api_key")
    if enabled_only:
        qs = qs.filter(enabled=True)
    if search:
        from django.db.models import Q

        qs = qs.filter(Q(name__icontains=search) | Q(base_url__icontains=search))
    return qs


def connection_health(*, connection: ForumConnection, refresh: bool = False) -> HealthReport:
    """The cached health of a connection, checked now if missing or ``refresh`` is asked."""
    if not refresh:
        cached = cache.get(health_cache_key(connection))
        if cached is not None:
            return HealthReport.from_dict(cached)
    return connection_check(connection=connection)


def audit_list(
    *, actor_id: int | None = None, connection_id: int | None = None, action: str = ""
) -> QuerySet[AuditEntry]:
    qs = AuditEntry.objects.all()
    if actor_id:
        qs = qs.filter(actor_id=actor_id)
    if connection_id:
        qs = qs.filter(connection_id=connection_id)
    if action:
        qs = qs.filter(action=action)
    return qs


def audit_filter_choices() -> dict[str, list]:
    User = get_user_model()
    actors = User.objects.filter(audit_entries__isnull=False).distinct().order_by("username")
    forums = (
        AuditEntry.objects.exclude(connection_id=None)
        .values_list("connection_id", "connection_name")
        .order_by("connection_name")
        .distinct()
    )
    actions = AuditEntry.objects.values_list("action", flat=True).order_by("action").distinct()
    return {"actors": list(actors), "forums": list(dict(forums).items()), "actions": list(actions)}
