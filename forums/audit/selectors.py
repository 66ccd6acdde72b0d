"""Reading the audit log."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from forums.models import AuditEntry


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
