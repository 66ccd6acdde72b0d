"""Sign-in through the organisation's identity provider (OpenID Connect, via django-allauth).

- A person's first sign-in creates their Forumdeck account. Nobody in Forumdeck made it, so
  it is recorded with no Forumdeck actor (``AccountChange.changed_by`` empty): it is in no
  Forumdeck Admin's hands.
- With ``FORUMDECK_OIDC_GROUPS_CLAIM`` and ``FORUMDECK_OIDC_ROLE_MAP`` set, every sign-in sets
  the account's roles from the groups the provider lists (the organisation decides, so these
  changes have no Forumdeck actor either). Otherwise the account starts with no role and an
  Admin gives it one in People & roles.
- An identity is never attached to an existing local account (no "connect", no matching by
  e-mail): a local account stays in the hands of whoever created it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialLogin
from allauth.socialaccount.providers.base import AuthProcess
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import Group, User
from django.db import transaction
from django.http import HttpRequest
from django.shortcuts import redirect

from forums.core.audit import audit_record
from forums.models import AccountChange
from forums.roles import ADMIN, ROLE_PERMISSIONS

from .recording import recorded_by_service

logger = logging.getLogger(__name__)
Kind = AccountChange.Kind
ROLES = tuple(ROLE_PERMISSIONS)


def provider() -> dict | None:
    """The configured identity provider ({"id", "name"}), or None when there is none."""
    apps = settings.SOCIALACCOUNT_PROVIDERS.get("openid_connect", {}).get("APPS") or []
    if not apps:
        return None
    return {"id": apps[0]["provider_id"], "name": apps[0].get("name") or "your organisation"}


def roles_from_groups(groups: Iterable[str], role_map: Mapping[str, str]) -> list[str]:
    """The roles these groups give, in the roles' own order. Keycloak's full group paths
    ("/forum-admins") match a map written without the leading slash."""
    wanted = set()
    for group in groups:
        for name in (group, group.lstrip("/")):
            role = role_map.get(name)
            if role in ROLES:
                wanted.add(role)
    return [r for r in ROLES if r in wanted]


def _claimed_groups(extra_data: Mapping, claim: str) -> list[str] | None:
    """The groups claim from the userinfo answer, else from the ID token; None when neither
    has it."""
    for part in ("userinfo", "id_token"):
        data = extra_data.get(part) or {}
        if claim in data:
            value = data[claim]
            if isinstance(value, str):
                return [value]
            if isinstance(value, list):
                return [str(v) for v in value]
            return []
    return None


def _record(*, user: User, kind: str, summary: str, details: dict) -> None:
    """An account change the identity provider made: no Forumdeck actor, so nobody in
    Forumdeck holds the account through it."""
    name = (provider() or {}).get("name", "the identity provider")
    change = AccountChange.objects.create(user=user, changed_by=None, kind=kind, summary=summary)
    audit_record(
        actor=None,
        action="account.create" if kind == Kind.CREATED else "account.roles",
        target=user.get_username(),
        message=f"{summary} (signed in through {name})",
        details={"user_id": user.pk, "account_change": change.pk, **details},
    )


def sync_roles(*, user: User, extra_data: Mapping) -> list[str] | None:
    """Set the account's roles from the provider's groups claim, when roles are mapped from
    it. Returns the roles set, or None when roles are not mapped (an Admin assigns them)."""
    claim = settings.FORUMDECK_OIDC_GROUPS_CLAIM
    role_map = settings.FORUMDECK_OIDC_ROLE_MAP
    if not claim or not role_map or user.is_superuser:
        return None
    groups = _claimed_groups(extra_data, claim)
    if groups is None:
        # The provider sent no such claim: it says nothing about groups, so no role.
        logger.warning(
            "The identity provider sent no %r claim for %s: no roles given. Check the claim "
            "name and that the provider adds it (see docs/self-hosting.md).",
            claim,
            user.get_username(),
        )
        groups = []
    new = roles_from_groups(groups, role_map)
    old = [r for r in ROLES if r in set(user.groups.values_list("name", flat=True))]
    if new != old:
        with recorded_by_service():
            user.groups.set(Group.objects.filter(name__in=new))
            user.is_staff = ADMIN in new
            user.save(update_fields=["is_staff"])
        _record(
            user=user,
            kind=Kind.ROLES,
            summary=f"roles from the identity provider's groups: "
            f"{', '.join(old) or 'no role'} → {', '.join(new) or 'no role'}",
            details={"old": old, "new": new, "groups": groups[:50]},
        )
    return new


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        """Everyone the organisation's provider signs in gets an account (with no role unless
        the groups claim gives one)."""
        return True

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        if sociallogin.state.get("process") == AuthProcess.CONNECT:
            # Attaching the identity to a signed-in (perhaps local) account would let the
            # provider's groups re-role an account an Admin holds.
            messages.error(
                request,
                "Signing in through the identity provider makes its own account; it cannot be "
                "attached to this one.",
            )
            raise ImmediateHttpResponse(redirect(settings.LOGIN_REDIRECT_URL))
        if sociallogin.is_existing:
            with transaction.atomic():
                sync_roles(user=sociallogin.user, extra_data=sociallogin.account.extra_data)

    @transaction.atomic
    def save_user(self, request: HttpRequest, sociallogin: SocialLogin, form=None):
        with recorded_by_service():
            user = super().save_user(request, sociallogin, form)
        _record(
            user=user,
            kind=Kind.CREATED,
            summary="account created at its first sign-in through the identity provider",
            details={"uid": sociallogin.account.uid},
        )
        sync_roles(user=user, extra_data=sociallogin.account.extra_data)
        return user
