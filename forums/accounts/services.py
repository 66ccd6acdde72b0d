"""People & roles: create accounts, change their roles, active flag and password, and confirm
another Admin's change. Each change is recorded (``AccountChange``) and audited.

Rules that hold whichever page, form or script calls these:
- nobody becomes a superuser here (only ``createsuperuser`` on the command line), and a
  superuser's account is managed there too;
- nobody changes their own roles, active flag or password here (their own password has its
  own page, which asks for the old one);
- privilege grants are two-person: creating an account with, or granting, Approver or Admin,
  setting another person's password and letting an account sign in again are recorded as
  pending, and take effect only when a second Admin, independent of the one who asked
  (``independence``), confirms them; never the one who asked, nor the account's holder;
- taking power away (removing a role, deactivating) takes effect at once.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from forums.core.audit import audit_record
from forums.models import AccountChange
from forums.roles import ADMIN, APPROVER, ROLE_PERMISSIONS

from .independence import Hands
from .recording import record_change, recorded_by_service, revoke_feeds

Kind = AccountChange.Kind
ROLES = tuple(ROLE_PERMISSIONS)  # Viewer, Moderator, Approver, Admin
# Roles whose grant waits for a second, independent Admin.
PRIVILEGED = (APPROVER, ADMIN)
WAITS = "waits for a second Admin, independent of you, to confirm it in People & roles"


def _require(actor: User, permission: str) -> None:
    if not actor.is_active or not actor.has_perm(permission):
        raise PermissionDenied("Your role does not allow this.")


def _clean_roles(roles: Sequence[str]) -> list[str]:
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise ValidationError({"roles": f"Not a role: {', '.join(unknown)}."})
    return [r for r in ROLES if r in roles]


def _roles_of(user: User) -> list[str]:
    names = set(user.groups.values_list("name", flat=True))
    return [r for r in ROLES if r in names]


def _listed(roles: Sequence[str]) -> str:
    return ", ".join(roles) or "no role"


def _guard(actor: User, user: User, what: str) -> None:
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
    actor: User,
    username: str,
    password: str,
    roles: Sequence[str] = (),
    email: str = "",
) -> User:
    """A new account (never a superuser). Viewer and Moderator take effect at once; Approver
    and Admin are a pending grant until a second, independent Admin confirms them."""
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
    now_roles = [r for r in roles if r not in PRIVILEGED]
    later = [r for r in roles if r in PRIVILEGED]
    with recorded_by_service():
        user = User.objects.create_user(username=username, email=email, password=password)
        user.groups.set(Group.objects.filter(name__in=now_roles))
    record_change(
        actor=actor,
        user=user,
        kind=Kind.CREATED,
        summary=f"account created with roles: {_listed(now_roles)}",
        details={"roles": now_roles},
    )
    if later:
        _ask(actor, user, Kind.ROLES, f"grant {_listed(later)}", {"add_roles": later})
    return user


def _ask(actor, user, kind: str, summary: str, payload: dict) -> AccountChange:
    """A pending grant: recorded and audited now, in effect when confirmed."""
    return record_change(
        actor=actor,
        user=user,
        kind=kind,
        summary=f"{summary} (waiting for a second Admin)",
        state=AccountChange.State.PENDING,
        payload=payload,
        action="account.request",
    )


def _set_roles(user: User, roles: Sequence[str]) -> None:
    with recorded_by_service():
        user.groups.set(Group.objects.filter(name__in=roles))
        # The admin site is for Admins.
        user.is_staff = ADMIN in roles
        user.save(update_fields=["is_staff"])


@transaction.atomic
def account_update(
    *,
    actor: User,
    user: User,
    roles: Sequence[str] | None = None,
    is_active: bool | None = None,
) -> list[AccountChange]:
    """Change an account's roles and/or whether it may sign in. Removing a role or access
    takes effect at once; granting Approver or Admin, or letting it sign in again, waits for
    a second, independent Admin (a pending change)."""
    _require(actor, "auth.change_user")
    user = get_user_model().objects.select_for_update().get(pk=user.pk)
    _guard(actor, user, "roles or access")
    changes = []
    if roles is not None:
        wanted, old = _clean_roles(roles), _roles_of(user)
        added = [r for r in wanted if r in PRIVILEGED and r not in old]
        now = [r for r in wanted if r not in added]
        if now != old:
            _set_roles(user, now)
            changes.append(
                record_change(
                    actor=actor,
                    user=user,
                    kind=Kind.ROLES,
                    summary=f"roles: {_listed(old)} → {_listed(now)}",
                    details={"old": old, "new": now},
                )
            )
        if added and not _already_asked(user, Kind.ROLES, {"add_roles": added}):
            changes.append(_ask(actor, user, Kind.ROLES, f"grant {_listed(added)}",
                                {"add_roles": added}))  # fmt: skip
    if is_active is not None and is_active != user.is_active:
        if is_active:
            if not _already_asked(user, Kind.ACTIVE, {"is_active": True}):
                changes.append(
                    _ask(actor, user, Kind.ACTIVE, "activate: may sign in", {"is_active": True})
                )
        else:
            with recorded_by_service():
                user.is_active = False
                user.save(update_fields=["is_active"])
            revoke_feeds(user)
            changes.append(
                record_change(
                    actor=actor,
                    user=user,
                    kind=Kind.ACTIVE,
                    summary="deactivated: may not sign in",
                    details={"is_active": False},
                )
            )
    return changes


def _already_asked(user: User, kind: str, payload: dict) -> bool:
    return AccountChange.objects.filter(
        user=user, kind=kind, state=AccountChange.State.PENDING, payload=payload
    ).exists()


@transaction.atomic
def account_set_password(*, actor: User, user: User, password: str) -> AccountChange:
    """An Admin sets someone's password (e.g. they forgot it and no mail is configured). It
    takes effect when a second, independent Admin confirms it: until then the old one works."""
    _require(actor, "auth.change_user")
    user = get_user_model().objects.select_for_update().get(pk=user.pk)
    _guard(actor, user, "password (use Change password)")
    try:
        password_validation.validate_password(password, user=user)
    except ValidationError as exc:
        raise ValidationError({"password1": exc.messages}) from None
    # Only the hash is kept until then (as the account itself would keep it).
    AccountChange.objects.filter(
        user=user, kind=Kind.PASSWORD, state=AccountChange.State.PENDING
    ).update(state=AccountChange.State.DECLINED, payload={})  # the newer one replaces it
    return _ask(actor, user, Kind.PASSWORD, "new password set by an Admin",
                {"password": make_password(password)})  # fmt: skip


def _pending(change: AccountChange) -> AccountChange:
    change = (
        # Lock this change only: PostgreSQL cannot lock the nullable side of an outer join.
        AccountChange.objects.select_for_update(of=("self",))
        .select_related("user", "changed_by", "confirmed_by")
        .get(pk=change.pk)
    )
    if change.state != AccountChange.State.PENDING:
        done = "confirmed" if change.state == AccountChange.State.APPLIED else "declined"
        raise ValidationError(f"This change was {done} already.")
    return change


@transaction.atomic
def account_change_confirm(*, actor: User, change: AccountChange) -> AccountChange:
    """A second Admin, independent of the one who asked, confirms a pending grant: it takes
    effect now."""
    _require(actor, "forums.confirm_accountchange")
    change = _pending(change)
    if change.changed_by_id == actor.pk:
        raise ValidationError("You asked for this change: a second Admin confirms it.")
    if change.user_id == actor.pk:
        raise ValidationError("This change is to your own account: another Admin confirms it.")
    if change.changed_by is not None:
        why = Hands().refusal(actor, change.changed_by)
        if why:
            raise ValidationError(
                f"You are not independent of {change.changed_by.get_username()}, who asked for "
                f"it: {why} An Admin whose account neither of you holds confirms it."
            )
    user = get_user_model().objects.select_for_update().get(pk=change.user_id)
    payload = change.payload or {}
    if "add_roles" in payload:
        _set_roles(user, _clean_roles([*_roles_of(user), *payload["add_roles"]]))
    if payload.get("is_active"):
        with recorded_by_service():
            user.is_active = True
            user.save(update_fields=["is_active"])
    if "password" in payload:
        with recorded_by_service():
            user.password = payload["password"]
            user.save(update_fields=["password"])
    change.state = AccountChange.State.APPLIED
    change.payload = {k: v for k, v in payload.items() if k != "password"}
    change.summary = change.summary.replace(" (waiting for a second Admin)", "")
    change.confirmed_by = actor
    change.confirmed_at = timezone.now()
    change.save()
    by = change.changed_by.get_username() if change.changed_by else "the command line"
    audit_record(
        actor=actor,
        action="account.confirm",
        target=change.user.get_username(),
        message=f"confirmed “{change.summary}” (asked by {by}); it is in effect now",
        details={"user_id": change.user_id, "account_change": change.pk},
    )
    return change


@transaction.atomic
def account_change_decline(*, actor: User, change: AccountChange) -> AccountChange:
    """Any Admin (the one who asked, too: a withdrawal) declines a pending grant."""
    _require(actor, "forums.confirm_accountchange")
    change = _pending(change)
    change.state = AccountChange.State.DECLINED
    change.payload = {}
    change.save(update_fields=["state", "payload"])
    by = change.changed_by.get_username() if change.changed_by else "the command line"
    audit_record(
        actor=actor,
        action="account.decline",
        target=change.user.get_username(),
        message=f"declined “{change.summary}” (asked by {by}); nothing changed",
        details={"user_id": change.user_id, "account_change": change.pk},
    )
    return change


@transaction.atomic
def admin_add_by_operator(*, username: str, email: str = "", password: str = ""):
    """The operator, on the server's command line, makes ``username`` an Admin (creating the
    account if need be). Nobody's account made it, so it is in no one's hands: the way a
    fresh install gets a second, independent person (``manage.py add_admin``)."""
    User = get_user_model()
    username = username.strip()
    if not username:
        raise ValidationError("A username is required.")
    user = User.objects.filter(username__iexact=username).first()
    created = user is None
    if created:
        if password:
            password_validation.validate_password(password, user=User(username=username))
        with recorded_by_service():
            user = User.objects.create_user(
                username=username, email=email, password=password or None
            )
        record_change(actor=None, user=user, kind=Kind.CREATED,
                      summary="account created on the command line (add_admin)")  # fmt: skip
    assert user is not None  # found, or made just now
    old = _roles_of(user)
    if ADMIN not in old:
        new = _clean_roles([*old, ADMIN])
        _set_roles(user, new)
        record_change(actor=None, user=user, kind=Kind.ROLES,
                      summary=f"roles: {_listed(old)} → {_listed(new)} (add_admin)",
                      details={"old": old, "new": new})  # fmt: skip
    if not user.is_active:
        with recorded_by_service():
            user.is_active = True
            user.save(update_fields=["is_active"])
        record_change(actor=None, user=user, kind=Kind.ACTIVE,
                      summary="activated on the command line (add_admin)")  # fmt: skip
    return user, created


def account_unlock(*, actor: User, username: str) -> int:
    """Lift a sign-in lockout (django-axes) early; audited. How many records were cleared."""
    from axes.utils import reset

    _require(actor, "axes.delete_accessattempt")
    cleared = reset(username=username)
    audit_record(
        actor=actor,
        action="account.unlock",
        target=username,
        message=f"lifted the sign-in lockout of {username}",
        details={"cleared": cleared},
    )
    return cleared
