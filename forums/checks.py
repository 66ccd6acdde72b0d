"""System checks: a server with a broken keyring must say so at start, not on first use."""

from __future__ import annotations

from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured


@register()
def encryption_keyring(app_configs=None, **kwargs):
    from .crypto import get_keyring

    try:
        get_keyring()
    except ImproperlyConfigured as exc:
        return [
            Error(
                str(exc),
                id="forums.E001",
                hint="Set FORUMDECK_ENCRYPTION_KEYS to one or more Fernet keys, newest "
                "first (python manage.py generate_encryption_key).",
            )
        ]
    return []
