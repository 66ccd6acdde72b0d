"""Reading the audit log: filters, and each entry as a person reads it (a label for the
action, a link to what it touched, who proposed and who approved, times in the viewer's
zone)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from forums.models import AuditEntry, BulkAction, ForumConnection
from forums.web.durations import describe_until

from .labels import action_choices, action_label, known_actions


def audit_list(
    *,
    actor_id: int | None = None,
    connection_id: int | None = None,
    action: str = "",
    query: str = "",
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[AuditEntry]:
    """Entries, newest first. ``query`` finds a target or a person (who acted or was acted
    on) in any part of their name; ``since`` / ``until`` are days in the viewer's zone, both
    included."""
    qs = AuditEntry.objects.all()
    if actor_id:
        qs = qs.filter(actor_id=actor_id)
    if connection_id:
        qs = qs.filter(connection_id=connection_id)
    if action:
        qs = qs.filter(action=action)
    if query:
        words = Q(target__icontains=query) | Q(actor_name__icontains=query)
        words |= Q(connection_name__icontains=query)
        number = query.lstrip("#").removeprefix("bulk action").strip().lstrip("#")
        if number.isdigit():
            words |= Q(bulk_action_id=int(number)) | Q(details__bulk_action=int(number))
        qs = qs.filter(words)
    if since:
        qs = qs.filter(created_at__gte=_start_of(since))
    if until:
        qs = qs.filter(created_at__lt=_start_of(until + timedelta(days=1)))
    return qs


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def audit_filter_choices(*, forum_id: int | None = None, action: str = "") -> dict[str, list]:
    """The filters' choices from the people and forums Forumdeck knows and the action ids it
    writes, never from reading the log: the same few rows however long the log is. Someone
    or some forum with no entry yet is listed too (choosing them shows no entries). A forum
    deleted since keeps its entries, and a link to them keeps its filter: the chosen forum or
    action is listed even when no table names it any more."""
    User = get_user_model()
    forums = list(ForumConnection.objects.order_by("name").values_list("pk", "name"))
    if forum_id and forum_id not in {pk for pk, _ in forums}:
        name = (
            AuditEntry.objects.filter(connection_id=forum_id)
            .order_by("-created_at")
            .values_list("connection_name", flat=True)
            .first()
        )
        forums.append((forum_id, f"{name or f'forum #{forum_id}'} (deleted)"))
    actions = known_actions()
    if action and action not in actions:
        actions.append(action)
    return {
        "actors": list(User.objects.order_by(User.USERNAME_FIELD)),
        "forums": forums,
        "actions": action_choices(actions),
    }


@dataclass
class AuditRow:
    """One entry as the log shows it."""

    entry: AuditEntry
    label: str
    message: str
    target_url: str = ""
    proposed_by: str = ""
    approved_by: str = ""


# "until 2031-01-15 00:00 CET" as describe_until wrote it when the entry was recorded.
_UNTIL = re.compile(r"until \d{4}-\d{2}-\d{2} \d{2}:\d{2}(?: [A-Za-z][\w+\-/]*)?")


def _bulk_id(entry: AuditEntry) -> int | None:
    if entry.bulk_action_id:
        return entry.bulk_action_id
    value = (entry.details or {}).get("bulk_action")
    return value if isinstance(value, int) else None


def _until_of(iso: object) -> datetime | None:
    if not isinstance(iso, str) or not iso or iso == "permanent":
        return None
    try:
        when = datetime.fromisoformat(iso)
    except ValueError:
        return None
    return when if when.tzinfo else None


def _localised(message: str, until: datetime | None) -> str:
    """A recorded end time, worded again in the viewer's zone (the entry keeps the recorded
    words; only the display changes)."""
    if until is None or not _UNTIL.search(message):
        return message
    return _UNTIL.sub(describe_until(until), message)


def _target_url(entry: AuditEntry, bulk_id: int | None) -> str:
    details = entry.details or {}
    user_id = details.get("user_id") or details.get("forum_user_id")
    if entry.action.startswith(("user.", "bulk.")) and entry.connection_id and user_id:
        return reverse("forums:person-detail", args=[entry.connection_id, int(user_id)])
    if bulk_id:
        return reverse("forums:bulk-detail", args=[bulk_id])
    if entry.action.startswith("connection.") and entry.action != "connection.delete":
        return reverse("forums:connection-list") + "?" + urlencode({"q": entry.connection_name})
    return ""


def audit_rows(entries: Iterable[AuditEntry]) -> list[AuditRow]:
    """The entries of one page (or export) ready to show, with three queries in all."""
    entries = list(entries)
    bulk_ids = {i for i in (_bulk_id(e) for e in entries) if i}
    actions = {
        a.pk: a
        for a in BulkAction.objects.filter(pk__in=bulk_ids).select_related(
            "proposed_by", "approved_by"
        )
    }
    # Each forum's software, for the kind's label in its own words ("Unban", "Unsuspend").
    platforms = dict(
        ForumConnection.objects.filter(
            pk__in={e.connection_id for e in entries if e.connection_id}
        ).values_list("pk", "platform")
    )
    rows = []
    for entry in entries:
        bulk_id = _bulk_id(entry)
        bulk = actions.get(bulk_id) if bulk_id else None
        until = _until_of((entry.details or {}).get("until"))
        if until is None and bulk is not None:
            until = _until_of(bulk.params.get("until"))
        rows.append(
            AuditRow(
                entry=entry,
                label=action_label(entry.action, platforms.get(entry.connection_id or 0, "")),
                message=_localised(entry.message, until),
                target_url=_target_url(entry, bulk_id),
                proposed_by=bulk.proposed_by.get_username() if bulk else "",
                approved_by=bulk.approved_by.get_username() if bulk and bulk.approved_by else "",
            )
        )
    return rows
