"""Every change to an account is recorded, whichever way it was made.

The services in ``services.py`` record their own changes (with who made them, and why). A
change made any other way (``createsuperuser``, ``changepassword``, a shell, the sign-in pages'
own password forms) is caught here from the model signals and recorded too: made by the
account's holder when a page says so (``as_account_holder``), else "outside Forumdeck's pages".
So no route changes an account without an audit entry and an ``AccountChange`` row.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.models import Group, Permission, User

from forums.core.audit import audit_record
from forums.models import AccountChange

Kind = AccountChange.Kind
OUTSIDE = "outside Forumdeck's pages (the command line or code)"

_IN_SERVICE: ContextVar[bool] = ContextVar("forumdeck_account_service", default=False)
_HOLDER_ACTS: ContextVar[bool] = ContextVar("forumdeck_account_holder_acts", default=False)

_ACTIONS: dict[str, str] = {
    Kind.CREATED: "account.create",
    Kind.ROLES: "account.roles",
    Kind.PASSWORD: "account.password",
    Kind.ACTIVE: "account.active",
    Kind.SUPERUSER: "account.superuser",
    Kind.PERMISSIONS: "account.permissions",
}
_WATCHED = ("is_active", "is_superuser", "is_staff")


@contextlib.contextmanager
def recorded_by_service() -> Iterator[None]:
    """The caller records its changes itself: the signals stay quiet meanwhile."""
    token = _IN_SERVICE.set(True)
    try:
        yield
    finally:
        _IN_SERVICE.reset(token)


@contextlib.contextmanager
def as_account_holder() -> Iterator[None]:
    """Changes made meanwhile are the account holder's own (their password form)."""
    token = _HOLDER_ACTS.set(True)
    try:
        yield
    finally:
        _HOLDER_ACTS.reset(token)


def record_change(
    *,
    actor: User | None,
    user: User,
    kind: str,
    summary: str,
    details: dict[str, Any] | None = None,
    state: str = AccountChange.State.APPLIED,
    payload: dict[str, Any] | None = None,
    action: str = "",
) -> AccountChange:
    """One ``AccountChange`` and its audit entry (never a password, only that one was set;
    a pending change's ``payload`` is never audited)."""
    change = AccountChange.objects.create(
        user=user,
        changed_by=actor,
        kind=kind,
        summary=summary[:255],
        state=state,
        payload=payload or {},
    )
    audit_record(
        actor=actor,
        action=action or _ACTIONS[kind],
        target=user.get_username(),
        message=summary if actor is not None else f"{summary}, {OUTSIDE}",
        details={"user_id": user.pk, "account_change": change.pk, **(details or {})},
    )
    return change


def revoke_feeds(user: User) -> int:
    """A deactivated person's calendar feed addresses stop working for good: reactivating
    the account does not revive them (they make new ones)."""
    from django.utils import timezone

    from forums.models import CalendarFeed

    return CalendarFeed.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def _caught(user: User, kind: str, summary: str, **details: Any) -> None:
    record_change(
        actor=user if _HOLDER_ACTS.get() else None,
        user=user,
        kind=kind,
        summary=summary,
        details=details,
    )


def before_user_save(sender, instance, raw=False, update_fields=None, **kwargs) -> None:
    if raw or _IN_SERVICE.get() or instance._state.adding or instance.pk is None:
        return
    if update_fields is not None and not set(update_fields) & set(_WATCHED):
        return
    instance._forumdeck_before = (
        sender.objects.filter(pk=instance.pk).values(*_WATCHED, "password").first()
    )


def after_user_save(sender, instance, created=False, raw=False, **kwargs) -> None:
    if raw or _IN_SERVICE.get():
        return
    if created:
        extra = " as a superuser" if instance.is_superuser else ""
        _caught(instance, Kind.CREATED, f"account created{extra}")
        return
    # set_password() leaves the new password here until save() is over; a hash merely
    # upgraded at sign-in does not (and is no change of password).
    if getattr(instance, "_password", None) is not None:
        _caught(instance, Kind.PASSWORD, "password changed")
    before = instance.__dict__.pop("_forumdeck_before", None)
    if not before:
        return
    if before["password"] != instance.password and instance.password.startswith(
        UNUSABLE_PASSWORD_PREFIX
    ):
        _caught(instance, Kind.PASSWORD, "password removed (no sign-in with a password)")
    if before["is_active"] != instance.is_active:
        _caught(instance, Kind.ACTIVE, "activated" if instance.is_active else "deactivated")
        if not instance.is_active:
            revoke_feeds(instance)
    if before["is_superuser"] != instance.is_superuser:
        granted = "granted" if instance.is_superuser else "removed"
        _caught(instance, Kind.SUPERUSER, f"superuser status {granted}")
    if before["is_staff"] != instance.is_staff:
        granted = "granted" if instance.is_staff else "removed"
        _caught(instance, Kind.PERMISSIONS, f"staff status (admin site) {granted}")


_CLEARED: ContextVar[dict | None] = ContextVar("forumdeck_cleared", default=None)


def _names(model, pks) -> str:
    if model is Group:
        return ", ".join(sorted(Group.objects.filter(pk__in=pks).values_list("name", flat=True)))
    perms = Permission.objects.filter(pk__in=pks).select_related("content_type")
    return ", ".join(sorted(f"{p.content_type.app_label}.{p.codename}" for p in perms))


def after_membership_change(sender, instance, action, reverse, model, pk_set, **kwargs) -> None:
    """A user's groups (roles) or own permissions changed, from either side of the relation."""
    if _IN_SERVICE.get() or action not in ("pre_clear", "post_add", "post_remove", "post_clear"):
        return
    User = get_user_model()
    groups = sender is User.groups.through
    related = getattr(
        instance, "user_set" if reverse else ("groups" if groups else "user_permissions")
    )
    if action == "pre_clear":
        _CLEARED.set({"pks": set(related.values_list("pk", flat=True))})
        return
    if action == "post_clear":
        pk_set = (_CLEARED.get() or {}).get("pks", set())
        _CLEARED.set(None)
    if not pk_set:
        return
    verb = "added" if action == "post_add" else "removed"
    kind = Kind.ROLES if groups else Kind.PERMISSIONS
    what = "roles" if groups else "own permissions"
    if reverse:  # group.user_set.add(...) or permission.user_set.add(...)
        label = (
            instance.name if groups else f"{instance.content_type.app_label}.{instance.codename}"
        )
        for user in User.objects.filter(pk__in=pk_set):
            _caught(user, kind, f"{what} {verb}: {label}")
    else:
        _caught(instance, kind, f"{what} {verb}: {_names(model, pk_set)}")


def connect() -> None:
    from django.db.models.signals import m2m_changed, post_save, pre_save

    User = get_user_model()
    pre_save.connect(before_user_save, sender=User, dispatch_uid="forumdeck-account-before")
    post_save.connect(after_user_save, sender=User, dispatch_uid="forumdeck-account-after")
    for through in (User.groups.through, User.user_permissions.through):
        m2m_changed.connect(
            after_membership_change, sender=through, dispatch_uid=f"forumdeck-{through.__name__}"
        )
