from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseBase

from forums.roles import ADMIN, ROLE_PERMISSIONS

_View = TypeVar("_View", bound=Callable[..., HttpResponseBase])

NAMED_ADMINS = 5  # at most this many Admins are named on a refusal


def requires(codename: str) -> Callable[[_View], _View]:
    """The view needs this ``forums`` permission; without it, 403 (never a login loop), with
    the roles that would allow it and the Admins to ask (templates/403.html)."""
    perm = codename if "." in codename else f"forums.{codename}"

    def decorator(view: _View) -> _View:
        @wraps(view)
        def wrapped(request: Any, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.has_perm(perm):
                raise PermissionDenied(refusal_words(request.user, perm))
            return view(request, *args, **kwargs)

        return cast(_View, wrapped)

    return decorator


def roles_allowing(perm: str) -> list[str]:
    return [role for role, perms in ROLE_PERMISSIONS.items() if perm in perms]


def admins_to_ask(limit: int = NAMED_ADMINS) -> list[str]:
    """The active Admins, by name, who can give a role (People & roles)."""
    admins = (
        get_user_model()
        .objects.filter(is_active=True, groups__name=ADMIN)
        .order_by("username")
        .distinct()[:limit]
    )
    return [
        f"{u.get_full_name()} ({u.get_username()})" if u.get_full_name() else u.get_username()
        for u in admins
    ]


def refusal_words(user: Any, perm: str) -> str:
    """'This needs the Moderator or Admin role; you are a Viewer. Ask an Admin for it: ada.'"""
    roles = roles_allowing(perm)
    needs = f"This needs the {_either(roles)} role" if roles else "No Forumdeck role allows this"
    mine = [g.name for g in user.groups.all()] if getattr(user, "is_authenticated", False) else []
    have = f"you are {_a(' and '.join(mine))}" if mine else "you have no role yet"
    if not roles:
        return f"{needs}; {have}."
    names = admins_to_ask()
    ask = (
        f"Ask an Admin for it: {', '.join(names)}."
        if names
        else "Ask an Admin of this Forumdeck for it."
    )
    return f"{needs}; {have}. {ask}"


def _either(roles: list[str]) -> str:
    return roles[0] if len(roles) == 1 else f"{', '.join(roles[:-1])} or {roles[-1]}"


def _a(role: str) -> str:
    return ("an " if role[:1] in "AEIOU" else "a ") + role
