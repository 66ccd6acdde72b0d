from __future__ import annotations

from django.contrib.auth.decorators import permission_required


def requires(codename: str):
    """The view needs this ``forums`` permission; without it, 403 (never a login loop)."""
    perm = codename if "." in codename else f"forums.{codename}"
    return permission_required(perm, raise_exception=True)
