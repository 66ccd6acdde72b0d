"""Reading accounts, their changes, pending grants and sign-in lockouts."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db.models import Q, QuerySet
from django.utils import timezone

from forums.models import AccountChange

# The one model of independence lives in .independence; approvals read it from here too.
from .independence import approval_refusal

__all__ = ["account_changes", "account_list", "approval_refusal", "locked_out", "may_answer",
           "pending_changes"]  # fmt: skip


def account_list(*, search: str = "") -> QuerySet:
    qs = get_user_model().objects.prefetch_related("groups").order_by("username")
    if search:
        qs = qs.filter(
            Q(username__icontains=search)
            | Q(email__icontains=search)
            | Q(first_name__icontains=search)
            | Q(last_name__icontains=search)
        )
    return qs


def account_changes(*, user: User) -> QuerySet[AccountChange]:
    return AccountChange.objects.filter(user=user).select_related("changed_by", "confirmed_by")


def pending_changes() -> QuerySet[AccountChange]:
    """Privilege grants waiting for a second, independent Admin (they do nothing until then)."""
    return (
        AccountChange.objects.filter(state=AccountChange.State.PENDING)
        .select_related("user", "changed_by")
        .order_by("created_at", "id")
    )


def may_answer(change: AccountChange, viewer: User) -> str:
    """Why ``viewer`` may not confirm ``change``, or "" (the rule the service enforces)."""
    from .independence import Hands

    if not viewer.has_perm("forums.confirm_accountchange"):
        return "Only an Admin confirms."
    if change.changed_by_id == viewer.pk:
        return "You asked for it: a second Admin confirms it."
    if change.user_id == viewer.pk:
        return "It is your own account: another Admin confirms it."
    if change.changed_by is not None:
        why = Hands().refusal(viewer, change.changed_by)
        if why:
            return f"You are not independent of {change.changed_by.get_username()}: {why}"
    return ""


def locked_out(now: datetime | None = None) -> list[dict]:
    """Accounts whose sign-in django-axes pauses now, with when the pause ends."""
    from axes.models import AccessAttempt

    now = now or timezone.now()
    cooloff = settings.AXES_COOLOFF_TIME
    rows = AccessAttempt.objects.filter(
        failures_since_start__gte=settings.AXES_FAILURE_LIMIT
    ).order_by("-attempt_time")
    seen: dict[str, dict] = {}
    for row in rows:
        until = row.attempt_time + cooloff if cooloff else None
        if until is not None and until <= now:
            continue
        entry = seen.setdefault(
            row.username,
            {"username": row.username, "failures": 0, "last_attempt": row.attempt_time,
             "until": until, "addresses": set()},
        )  # fmt: skip
        entry["failures"] += row.failures_since_start
        if row.ip_address:
            entry["addresses"].add(row.ip_address)
    return sorted(seen.values(), key=lambda e: e["username"] or "")
