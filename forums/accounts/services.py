"""People & roles: create accounts, change their roles, active flag and password, and confirm
another Admin's change. Each change is recorded (``AccountChange``) and audited.

Rules that hold whichever page, form or script calls these:
- nobody becomes a superuser here (only ``createsuperuser`` on the command line), and a
  superuser's account is managed there too;
- nobody changes their own roles, active flag or password here (their own password has its
  own page, which asks for the old one);
- a second Admin confirms a change: never the one who made it, nor the account's holder.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import AbstractBaseUser, Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from forums.core.audit import audit_record
from forums.models import AccountChange
from forums.roles import ADMIN, ROLE_PERMISSIONS

from .recording import record_change, recorded_by_service

Kind = AccountChange.Kind
ROLES = tuple(ROLE_PERMISSIONS)  # Viewer, Moderator, Approver, Admin


def _require(actor: AbstractBaseUser, permission: str) -> None:
    if not actor.is_active or not actor.has_perm(permission):
        raise PermissionDenied("Your role does not allow this.")


def _clean_roles(roles: Sequence[str]) -> list[str]:
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise ValidationError({"roles": f"Not a role: {', '.join(unknown)}."})
    return [r for r in ROLES if r in roles]


def _roles_of(user: AbstractBaseUser) -> list[str]:
    names = set(user.groups.values_list("name", flat=True))
    return [r for r in ROLES if r in names]


def _listed(roles: Sequence[str]) -> str:
    return ", ".join(roles) or "no role"


def _guard(actor: AbstractBaseUser, user: AbstractBaseUser, what: str) -> None:
    if user.is_superuser:
        raise ValidationError(
            f"{user.get_username()} is a superuser: superuser accounts are managed on the "
            "command line (manage.py), not in Forumdeck."
        )
    if user.pk == actor.pk:
        raise ValidationError(
            f"Another Admin changes your {what}: nobody changes their own here, so that no one "
            "account can give itself more power."
        )


@transaction.atomic
def account_create(
    *,
    actor: AbstractBaseUser,
    username: str,
    password: str,
    roles: Sequence[str] = (),
    email: str = "",
) -> AbstractBaseUser:
    """A new account with these roles (never a superuser)."""
    _require(actor, "auth.add_user")
    roles = _clean_roles(roles)
    User = get_user_model()
    username = username.strip()
    if not username:
        raise ValidationError({"username": "A username is required."})
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": f"{username} is taken."})
    candidate = User(username=username, email=email)
    try:
        password_validation.validate_password(password, user=candidate)
    except ValidationError as exc:
        raise ValidationError({"password1": exc.messages}) from None
    with recorded_by_service():
        user = User.objects.create_user(
            username=username, email=email, password=password, is_staff=ADMIN in roles
        )
        user.groups.set(Group.objects.filter(name__in=roles))
    record_change(
        actor=actor,
        user=user,
        kind=Kind.CREATED,
        summary=f"account created with roles: {_listed(roles)}",
        details={"roles": roles},
    )
    return user


@transaction.atomic
def account_update(
    *,
    actor: AbstractBaseUser,
    user: AbstractBaseUser,
    roles: Sequence[str] | None = None,
    is_active: bool | None = None,
) -> list[AccountChange]:
    """Change an account's roles and/or whether it may sign in."""
    _require(actor, "auth.change_user")
    user = get_user_model().objects.select_for_update().get(pk=user.pk)
    _guard(actor, user, "roles or access")
    changes = []
    if roles is not None:
        new, old = _clean_roles(roles), _roles_of(user)
        if new != old:
            with recorded_by_service():
                user.groups.set(Group.objects.filter(name__in=new))
                # The admin site (sign-in lockouts) is for Admins.
                user.is_staff = ADMIN in new
                user.save(update_fields=["is_staff"])
            changes.append(
                record_change(
                    actor=actor,
                    user=user,
                    kind=Kind.ROLES,
                    summary=f"roles: {_listed(old)} → {_listed(new)}",
                    details={"old": old, "new": new},
                )
            )
    if is_active is not None and is_active != user.is_active:
        with recorded_by_service():
            user.is_active = is_active
            user.save(update_fields=["is_active"])
        changes.append(
            record_change(
                actor=actor,
                user=user,
                kind=Kind.ACTIVE,
                summary="activated: may sign in" if is_active else "deactivated: may not sign in",
                details={"is_active": is_active},
            )
        )
    return changes


@transaction.atomic
def account_set_password(
    *, actor: AbstractBaseUser, user: AbstractBaseUser, password: str
) -> AccountChange:
    """An Admin sets someone's password (e.g. they forgot it and no mail is configured)."""
    _require(actor, "auth.change_user")
    user = get_user_model().objects.select_for_update().get(pk=user.pk)
    _guard(actor, user, "password (use Change password)")
    try:
        password_validation.validate_password(password, user=user)
    except ValidationError as exc:
        raise ValidationError({"password1": exc.messages}) from None
    with recorded_by_service():
        user.set_password(password)
        user.save(update_fields=["password"])
    return record_change(
        actor=actor, user=user, kind=Kind.PASSWORD, summary="password set by an Admin"
    )


@transaction.atomic
def account_change_confirm(*, actor: AbstractBaseUser, change: AccountChange) -> AccountChange:
    """A second Admin confirms a change, so the account need not wait out the cooling-off
    period before it approves anything."""
    _require(actor, "forums.confirm_accountchange")
    change = (
        # Lock this change only: PostgreSQL cannot lock the nullable side of an outer join.
        AccountChange.objects.select_for_update(of=("self",))
        .select_related("user", "changed_by", "confirmed_by")
        .get(pk=change.pk)
    )
    if change.confirmed_by_id:
        raise ValidationError(f"{change.confirmed_by} confirmed this change already.")
    if change.changed_by_id == actor.pk:
        raise ValidationError("You made this change: a second Admin confirms it.")
    if change.user_id == actor.pk:
        raise ValidationError("This change is to your own account: another Admin confirms it.")
    change.confirmed_by = actor
    change.confirmed_at = timezone.now()
    change.save(update_fields=["confirmed_by", "confirmed_at"])
    by = change.changed_by.get_username() if change.changed_by else "the command line"
    audit_record(
        actor=actor,
        action="account.confirm",
        target=change.user.get_username(),
        message=f"confirmed “{change.summary}” (made by {by})",
        details={"user_id": change.user_id, "account_change": change.pk},
    )
    return change
