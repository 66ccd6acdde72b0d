"""The one audit writer: every change sent to a forum (and every account change) goes through
``audit_record`` (one entry) or ``audit_record_many`` (a batch of a bulk action)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AnonymousUser, User

from forums.models import AuditEntry, ForumConnection

Outcome = AuditEntry.Outcome


def _actor_fields(actor: User | AnonymousUser | None) -> dict[str, Any]:
    if actor is None or not actor.is_authenticated:
        return {"actor": None, "actor_name": ""}
    return {"actor": actor, "actor_name": actor.get_username()}


def audit_entry(
    *,
    actor: User | AnonymousUser | None,
    action: str,
    connection: ForumConnection | None = None,
    target: str = "",
    outcome: str = Outcome.SUCCESS,
    message: str = "",
    details: dict[str, Any] | None = None,
    bulk_action: Any = None,
    bulk_item: Any = None,
) -> AuditEntry:
    """An unsaved entry, for ``audit_record_many``."""
    return AuditEntry(
        **_actor_fields(actor),
        connection=connection,
        connection_name=connection.name if connection else "",
        action=action,
        target=target[:255],
        outcome=outcome,
        message=message,
        details=details or {},
        bulk_action=bulk_action,
        bulk_item=bulk_item,
    )


def audit_record(**fields: Any) -> AuditEntry:
    """Write one entry (see ``audit_entry`` for the fields)."""
    entry = audit_entry(**fields)
    entry.save()
    return entry


def audit_record_many(entries: Iterable[AuditEntry]) -> int:
    """Write a batch of entries made by ``audit_entry`` in as few statements as possible."""
    created = AuditEntry.objects.bulk_create(list(entries), batch_size=500)
    return len(created)


def audit_change(
    *,
    actor: User | AnonymousUser | None,
    action: str,
    connection: ForumConnection,
    ok: bool,
    message: str = "",
    target: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """One change sent to one forum, done (``ok``) or refused: the entry the area services
    write. ``target`` is what it touched (the forum itself when empty)."""
    return audit_record(
        actor=actor,
        action=action,
        connection=connection,
        target=target or connection.name,
        outcome=Outcome.SUCCESS if ok else Outcome.FAILURE,
        message=message,
        details=details or {},
    )
