from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.contrib.auth.decorators import permission_required
from django.http import HttpResponseBase

_View = TypeVar("_View", bound=Callable[..., HttpResponseBase])


def requires(codename: str) -> Callable[[_View], _View]:
    """The view needs this ``forums`` permission; without it, 403 (never a login loop)."""
    perm = codename if "." in codename else f"forums.{codename}"
    return permission_required(perm, raise_exception=True)
