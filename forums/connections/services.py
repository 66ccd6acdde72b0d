"""Connections: add, change, delete and check forums. One function per verb."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from forums.clients import SettingsProblem, client_class, get_client, validate_base_url
from forums.clients.errors import CapabilityNotOffered, ForumError
from forums.clients.records import HealthReport
from forums.clients.settings_schema import changed_settings
from forums.core.audit import audit_record
from forums.core.fleet_index.rows import index_forget_forum
from forums.models import AuditEntry, BulkAction, BulkActionItem, ForumConnection

Outcome = AuditEntry.Outcome

# Fields a person edits; the key is handled on its own and never recorded.
_EDITABLE = (
    "name",
    "platform",
    "base_url",
    "api_username",
    "settings",
    "requests_per_minute",
    "rate_window_seconds",
    "enabled",
)


# A stored key belongs to the forum it was entered for: change any of these and the key must
# be typed again, so an edit can never send the old key to another host or account.
# ``settings`` is the platform's own settings (``ForumClient.settings_schema``), as one.
KEY_BINDING = ("platform", "base_url", "api_username", "settings")
_LABELS = {
    "platform": "software",
    "base_url": "address",
    "api_username": "acting user",
    "settings": "forum's own settings",
}


def key_needed_message(changed: list[str]) -> str:
    what = " and ".join(_LABELS[c] for c in changed)
    return (
        f"The {what} changed, so enter the API key again: a stored key is only ever sent to "
        "the forum it was entered for."
    )


def key_rebound(*, stored: ForumConnection, new: dict[str, Any]) -> list[str]:
    """Which of the key's bindings the ``new`` values really change. The stored values are
    first normalised the way the form and the services normalise what is typed (UserEcho's
    token acts as its own user, so an old stored acting uid such as "1" reads as ""): saving a
    form unchanged never asks for the key again."""
    before = {f: getattr(stored, f) for f in KEY_BINDING}
    try:
        checked = _platform_settings(
            platform=stored.platform, base_url=stored.base_url,
            api_username=stored.api_username, settings=dict(stored.settings or {}),
            stored=stored.settings,
        )  # fmt: skip
    except ValidationError:
        pass  # stored settings today's rules refuse: compare them as they are
    else:
        before["api_username"] = checked["api_username"]

    def differs(field: str) -> bool:
        if field == "settings":
            return bool(changed_settings(before[field], new[field]))
        return new[field] != before[field]

    return [f for f in KEY_BINDING if f in new and differs(f)]


def _clean_base_url(url: str) -> str:
    try:
        return validate_base_url(url)
    except ForumError as exc:
        raise ValidationError({"base_url": str(exc)}) from None


def _platform_settings(
    *,
    platform: str,
    base_url: str,
    api_username: str,
    settings: dict[str, Any],
    stored: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The platform's own check of its settings (its ``settings_schema``, and its checks
    across fields), done here and not only in the form, so no caller can skip it."""
    try:
        cls = client_class(platform)
    except CapabilityNotOffered as exc:
        raise ValidationError({"platform": str(exc)}) from None
    try:
        return cls.validate_settings(
            base_url=base_url, api_username=api_username, settings=settings, stored=stored
        )
    except SettingsProblem as exc:
        raise ValidationError(exc.errors) from None


@transaction.atomic
def connection_create(
    *,
    actor: User,
    name: str,
    platform: str,
    base_url: str,
    api_key: str,
    api_username: str = "",
    settings: dict[str, Any] | None = None,
    requests_per_minute: int | None = None,
    rate_window_seconds: int | None = None,
    enabled: bool = True,
) -> ForumConnection:
    """A new connection. Its pace, when not given, is its platform's ``default_pace``."""
    if not api_key:
        raise ValidationError({"api_key": "An API key is required."})
    base_url = _clean_base_url(base_url)
    checked = _platform_settings(
        platform=platform, base_url=base_url, api_username=api_username, settings=settings or {},
    )  # fmt: skip
    pace = client_class(platform).default_pace
    connection = ForumConnection(
        name=name,
        platform=platform,
        base_url=base_url,
        api_username=checked["api_username"],
        api_key=api_key,
        api_key_last4=api_key[-4:],
        settings=checked["settings"],
        requests_per_minute=requests_per_minute or pace.per_minute,
        rate_window_seconds=rate_window_seconds or pace.window_seconds,
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
    actor: User,
    connection: ForumConnection,
    api_key: str = "",
    **fields: Any,
) -> ForumConnection:
    """Change the given fields; an empty ``api_key`` keeps the stored key, unless the forum it
    is sent to changes (platform, address, acting user, the platform's own settings): then the
    key must be given again, and the stored one is never sent to the new place."""
    unknown = set(fields) - set(_EDITABLE)
    if unknown:
        raise TypeError(f"Not editable: {', '.join(sorted(unknown))}")
    original = {k: getattr(connection, k) for k in _EDITABLE}
    if "base_url" in fields:
        fields["base_url"] = _clean_base_url(fields["base_url"])
    for key, value in fields.items():
        setattr(connection, key, value)
    checked = _platform_settings(
        platform=connection.platform, base_url=connection.base_url,
        api_username=connection.api_username, settings=connection.settings or {},
        stored=original["settings"],
    )  # fmt: skip
    connection.api_username = checked["api_username"]
    connection.settings = checked["settings"]
    changed = [
        k
        for k in _EDITABLE
        if (
            changed_settings(original[k], connection.settings)
            if k == "settings"
            else getattr(connection, k) != original[k]
        )
    ]
    stored = ForumConnection(**{k: original[k] for k in KEY_BINDING})
    rebound = key_rebound(stored=stored, new={k: getattr(connection, k) for k in changed})
    if rebound and not api_key:
        connection.refresh_from_db()  # the caller's object goes back to what is stored
        raise ValidationError({"api_key": key_needed_message(rebound)})
    if (rebound or api_key) and (busy := _approved_actions_on(connection)):
        connection.refresh_from_db()
        numbers = ", ".join(f"#{pk}" for pk in busy)
        raise ValidationError(
            f"Not saved: approved bulk action{'s' if len(busy) > 1 else ''} {numbers} "
            f"{'are' if len(busy) > 1 else 'is'} queued or running on {connection.name}, and "
            "its approval is bound to this address, acting user and key. Wait until "
            f"{'they finish' if len(busy) > 1 else 'it finishes'} or stop "
            f"{'them' if len(busy) > 1 else 'it'} on its page, then change the connection. "
            "(The name and other settings can be changed now.)"
        )
    if api_key:
        connection.api_key = api_key
        connection.api_key_last4 = api_key[-4:]
        changed.append("api_key")
    if not changed:
        return connection
    connection.full_clean()
    connection.save()
    if {"platform", "base_url"} & set(changed):
        # Another forum now: what the index held of the old one is not this one's.
        index_forget_forum(connection=connection)
    details: dict[str, Any] = {"changed": changed}
    said = {"api_key": "API key"}
    if "settings" in changed:
        # Which settings, never their values (a secret among them).
        names = changed_settings(original["settings"], connection.settings)
        said["settings"] = f"settings ({', '.join(names)})"
        details["settings"] = names
    message = "Changed: " + ", ".join(said.get(c, c) for c in changed)
    if "base_url" in changed:
        message += f"; address {original['base_url']} → {connection.base_url}"
        details["base_url"] = {"old": original["base_url"], "new": connection.base_url}
    if "platform" in changed:
        details["platform"] = {"old": original["platform"], "new": connection.platform}

    audit_record(
        actor=actor,
        action="connection.update",
        connection=connection,
        target=connection.name,
        message=message,
        details=details,
    )
    return connection


def _approved_actions_on(connection: ForumConnection) -> list[int]:
    """Approved bulk actions bound to this connection that still send (queued or running)."""
    return list(
        BulkAction.objects.filter(
            connections=connection, state__in=[BulkAction.State.QUEUED, BulkAction.State.RUNNING]
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


@transaction.atomic
def connection_disable(*, actor: User, connection: ForumConnection) -> ForumConnection:
    """Stop offering a forum. Only ``enabled`` changes, so it never needs the key, whatever
    else about the stored settings today's rules would question."""
    if not connection.enabled:
        return connection
    connection.enabled = False
    connection.save(update_fields=["enabled", "updated_at"])
    audit_record(
        actor=actor,
        action="connection.update",
        connection=connection,
        target=connection.name,
        message="Changed: enabled",
        details={"changed": ["enabled"]},
    )
    return connection


@transaction.atomic
def connection_delete(*, actor: User, connection: ForumConnection) -> None:
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


def last_health_cache_key(connection: ForumConnection) -> str:
    """The last check's result, kept for a week for hints ("last check failed 2 min ago")
    on pages that must not ask the forum themselves (forum list, bulk form, edit page)."""
    return f"forumdeck:health-last:{connection.pk}:{connection.updated_at.timestamp():.0f}"


LAST_HEALTH_SECONDS = 7 * 24 * 3600


def health_details_cache_key(connection: ForumConnection) -> str:
    """The slow-changing parts of the last whole check (``HealthReport.lasting``): kept longer
    than the card, and dropped by any edit of the connection (its updated_at, to the
    microsecond: an edit in the same second as the check still counts)."""
    return f"forumdeck:health-details:{connection.pk}:{connection.updated_at.timestamp():.6f}"


def connection_check(*, connection: ForumConnection, full: bool = False) -> HealthReport:
    """Run a health check (network) and cache the result briefly. The parts that change
    rarely (version, title, user count) are kept longer and not asked again meanwhile: the
    check then asks only the live parts. ``full``: ask everything (a person's Test)."""
    known = None if full else cache.get(health_details_cache_key(connection))
    try:
        with get_client(connection) as client:
            report = client.health_check(known=known)
    except ForumError as exc:
        report = HealthReport(error=str(exc), error_kind=exc.kind)
    if report.lasting:
        cache.set(
            health_details_cache_key(connection),
            report.lasting,
            timeout=settings.FORUMDECK_HEALTH_DETAILS_CACHE_SECONDS,
        )
    report.checked_at = timezone.now()
    cache.set(
        health_cache_key(connection),
        report.as_dict(),
        timeout=settings.FORUMDECK_HEALTH_CACHE_SECONDS,
    )
    cache.set(last_health_cache_key(connection), report.as_dict(), timeout=LAST_HEALTH_SECONDS)
    return report


def connection_test(*, actor: User, connection: ForumConnection) -> HealthReport:
    """A person's "Test connection": a fresh, whole check, recorded in the audit log."""
    report = connection_check(connection=connection, full=True)
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


def connection_save_and_test(
    *,
    actor: User,
    connection: ForumConnection | None = None,
    api_key: str = "",
    enabled: bool = True,
    **fields: Any,
) -> tuple[ForumConnection, HealthReport]:
    """Save a connection's settings, test them, and enable it only once the test passes.

    A new connection, a disabled one, or one whose address, platform, username or key
    changed stays disabled while its test fails, so no page offers a forum that cannot
    answer. An enabled forum whose reaching settings did not change (a new name, a new pace)
    stays enabled whatever the test says: it may only be down for a while.
    """
    if connection is None:
        connection = connection_create(actor=actor, api_key=api_key, enabled=False, **fields)
        reaching_changed = True
    else:
        reaching_changed = bool(api_key) or bool(key_rebound(stored=connection, new=fields))
        # Everything is saved as asked, except that enabling waits for the test.
        connection = connection_update(
            actor=actor,
            connection=connection,
            api_key=api_key,
            enabled=connection.enabled and enabled,
            **fields,
        )
    report = connection_test(actor=actor, connection=connection)
    if report.ok and enabled and not connection.enabled:
        connection = connection_update(actor=actor, connection=connection, enabled=True)
        _remember(connection, report)  # enabling changed updated_at; the result still holds
    elif not report.ok and connection.enabled and reaching_changed:
        connection = connection_update(actor=actor, connection=connection, enabled=False)
        _remember(connection, report)
    return connection, report


def connection_enable(*, actor: User, connection: ForumConnection) -> tuple[bool, HealthReport]:
    """Enable a disabled forum if its test passes now; (enabled, the test's report)."""
    report = connection_test(actor=actor, connection=connection)
    if not report.ok:
        return False, report
    connection = connection_update(actor=actor, connection=connection, enabled=True)
    _remember(connection, report)
    return True, report


def _remember(connection: ForumConnection, report: HealthReport) -> None:
    if report.lasting:
        cache.set(
            health_details_cache_key(connection),
            report.lasting,
            timeout=settings.FORUMDECK_HEALTH_DETAILS_CACHE_SECONDS,
        )
    cache.set(
        health_cache_key(connection),
        report.as_dict(),
        timeout=settings.FORUMDECK_HEALTH_CACHE_SECONDS,
    )
    cache.set(last_health_cache_key(connection), report.as_dict(), timeout=LAST_HEALTH_SECONDS)
