"""Services change things: connections and the audit log. One function per verb."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction

from .clients import get_client, validate_base_url
from .clients.errors import ForumError
from .clients.records import HealthReport
from .crypto import DecryptionError
from .models import AuditEntry, ForumConnection, Platform

Outcome = AuditEntry.Outcome

# Fields a person edits; the key is handled on its own and never recorded.
_EDITABLE = (
    "name",
    "platform",
    "base_url",
    "api_username",
    "nodebb_master_token",
    "requests_per_minute",
    "enabled",
)


def audit_record(
    *,
    actor: AbstractBaseUser | None,
    action: str,
    connection: ForumConnection | None = None,
    target: str = "",
    outcome: str = Outcome.SUCCESS,
    message: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_name=actor.get_username() if actor is not None and actor.is_authenticated else "",
        connection=connection,
        connection_name=connection.name if connection else "",
        action=action,
        target=target[:255],
        outcome=outcome,
        message=message,
        details=details or {},
    )


def _clean_base_url(url: str) -> str:
    try:
        return validate_base_url(url)
    except ForumError as exc:
        raise ValidationError({"base_url": str(exc)}) from None


@transaction.atomic
def connection_create(
    *,
    actor: AbstractBaseUser,
    name: str,
    platform: str,
    base_url: str,
    api_key: str,
    api_username: str = "",
    nodebb_master_token: bool = False,
    requests_per_minute: int = 60,
    enabled: bool = True,
) -> ForumConnection:
    if not api_key:
        raise ValidationError({"api_key": "An API key is required."})
    connection = ForumConnection(
        name=name,
        platform=platform,
        base_url=_clean_base_url(base_url),
        api_username=api_username,
        api_key=api_key,
        api_key_last4=api_key[-4:],
        nodebb_master_token=nodebb_master_token and platform == Platform.NODEBB,
        requests_per_minute=requests_per_minute,
        enabled=enabled,
    )
    connection.full_clean()
    connection.save()
    audit_record(
        actor=actor,
        action="connection.create",
        connection=connection,
        target=connection.name,
        details={"platform": platform, "base_url": connection.base_url},
    )
    return connection


@transaction.atomic
def connection_update(
    *,
    actor: AbstractBaseUser,
    connection: ForumConnection,
    api_key: str = "",
    **fields: Any,
) -> ForumConnection:
    """Change the given fields; an empty ``api_key`` keeps the stored key."""
    unknown = set(fields) - set(_EDITABLE)
    if unknown:
        raise TypeError(f"Not editable: {', '.join(sorted(unknown))}")
    if "base_url" in fields:
        fields["base_url"] = _clean_base_url(fields["base_url"])
    changed = [k for k, v in fields.items() if getattr(connection, k) != v]
    for key in changed:
        setattr(connection, key, fields[key])
    if connection.platform != Platform.NODEBB:
        connection.nodebb_master_token = False
    if api_key:
        connection.api_key = api_key
        connection.api_key_last4 = api_key[-4:]
        changed.append("api_key")
    if not changed:
        return connection
    connection.full_clean()
    connection.save()
    audit_record(
        actor=actor,
        action="connection.update",
        connection=connection,
        target=connection.name,
        message="Changed: " + ", ".join("API key" if c == "api_key" else c for c in changed),
        details={"changed": changed},
    )
    return connection


@transaction.atomic
def connection_delete(*, actor: AbstractBaseUser, connection: ForumConnection) -> None:
    from .models import BulkActionItem

    if BulkActionItem.objects.filter(connection=connection).exists():
        # Bulk actions keep their per-target results for the record.
        raise ValidationError(
            f"{connection.name} has bulk actions in its history, which keep their results. "
            "Disable it instead: it disappears from the overview and can't be chosen again."
        )
    audit_record(
        actor=actor,
        action="connection.delete",
        connection=connection,
        target=connection.name,
        details={"platform": connection.platform, "base_url": connection.base_url},
    )
    connection.delete()


def health_cache_key(connection: ForumConnection) -> str:
    # Editing a connection changes updated_at, so an old result never describes a new setup.
    return f"forumdeck:health:{connection.pk}:{connection.updated_at.timestamp():.0f}"


def connection_check(*, connection: ForumConnection) -> HealthReport:
    """Run a health check (network) and cache the result briefly."""
    try:
        with get_client(connection) as client:
            report = client.health_check()
    except DecryptionError as exc:
        report = HealthReport(
            error=f"The API key cannot be decrypted: {exc}", error_kind="decryption"
        )
    except ForumError as exc:
        report = HealthReport(error=str(exc), error_kind=exc.kind)
    cache.set(
        health_cache_key(connection),
        report.as_dict(),
        timeout=settings.FORUMDECK_HEALTH_CACHE_SECONDS,
    )
    return report


def connection_test(*, actor: AbstractBaseUser, connection: ForumConnection) -> HealthReport:
    """A person's "Test connection": a fresh check, recorded in the audit log."""
    report = connection_check(connection=connection)
    audit_record(
        actor=actor,
        action="connection.test",
        connection=connection,
        target=connection.name,
        outcome=Outcome.SUCCESS if report.ok else Outcome.FAILURE,
        message=report.error or "Reachable, credentials accepted.",
        details={
            "reachable": report.reachable,
            "credentials_ok": report.credentials_ok,
            "is_admin": report.is_admin,
            "version": report.version,
            "response_ms": report.response_ms,
            "error_kind": report.error_kind,
        },
    )
    return report
