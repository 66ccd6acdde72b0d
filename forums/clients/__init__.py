"""Forum clients. ``get_client(connection)`` is the one way to obtain one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings

from .base import BaseClient, check_base_url
from .errors import *  # noqa: F403 - the exception family is part of this package's API
from .errors import CapabilityNotOffered, ForumKeyUndecryptable
from .platform import ForumClient, PenaltyRules, PenaltyWords, PlatformWords, Rate
from .records import *  # noqa: F403
from .settings_schema import Setting, SettingsProblem, reveal_settings

if TYPE_CHECKING:
    from forums.models import ForumConnection

__all__ = [
    "BaseClient",
    "ForumClient",
    "PenaltyRules",
    "PenaltyWords",
    "PlatformWords",
    "Rate",
    "Setting",
    "SettingsProblem",
    "client_class",
    "get_client",
    "platform_choices",
    "supported_platforms",
    "validate_base_url",
]


def client_class(platform: str) -> type[ForumClient]:
    from .registry import PLATFORMS

    try:
        return PLATFORMS[platform]
    except KeyError:
        raise CapabilityNotOffered(f"Forumdeck cannot talk to {platform} forums yet.") from None


def supported_platforms() -> list[str]:
    from .registry import PLATFORMS

    return list(PLATFORMS)


def platform_choices() -> list[tuple[str, str]]:
    from .registry import PLATFORMS

    return [(key, cls.software) for key, cls in PLATFORMS.items()]


def get_client(connection: ForumConnection, **options: Any) -> ForumClient:
    """A client for this connection, configured from settings; the key never leaves it.

    The key is decrypted here and nowhere else: a key the keyring cannot open becomes
    ``ForumKeyUndecryptable`` (a ``ForumError``), so that forum's card, test and search row say
    so while every other forum keeps working.

    Every call the client sends takes its slot from the forum's one slot book
    (``forums.pacing``), shared with every other page, task and bulk run, so together they
    never exceed the forum's limit. ``pacer=`` replaces the default (the bulk engine adds its
    cancel check to it); a connection that is not saved yet has no book and is not paced.
    ``priority=`` (``forums.pacing.Priority``) says whose call it is for the default pacer: a
    read a person waits for unless the caller says it sends a change.
    """
    from forums.crypto import DecryptionError, reveal

    cls = client_class(connection.platform)
    try:
        api_key = reveal(connection.api_key)
    except DecryptionError as exc:
        raise ForumKeyUndecryptable(
            "The API key cannot be decrypted with the configured keys: enter it again "
            f"(Edit this forum). {exc}"
        ) from None
    try:
        platform_settings = reveal_settings(connection.settings or {})
    except DecryptionError as exc:
        raise ForumKeyUndecryptable(
            "A secret setting of this forum cannot be decrypted with the configured keys: "
            f"enter it again (Edit this forum). {exc}"
        ) from None
    timeout = options.pop("timeout", settings.FORUMDECK_HTTP_TIMEOUT)
    # A longer timeout asked for one call stretches the deadline with it.
    deadline = options.pop("deadline", max(settings.FORUMDECK_HTTP_DEADLINE, timeout))
    priority = options.pop("priority", None)
    if "pacer" not in options and connection.pk is not None:
        from forums.pacing import Priority, pace_for

        options["pacer"] = pace_for(connection, priority=priority or Priority.READ)
    client = cls(
        base_url=connection.base_url,
        api_key=api_key,
        api_username=connection.api_username,
        name=connection.name,
        timeout=timeout,
        deadline=deadline,
        max_response_bytes=settings.FORUMDECK_MAX_RESPONSE_BYTES,
        max_json_depth=settings.FORUMDECK_MAX_JSON_DEPTH,
        allow_http_hosts=settings.FORUMDECK_ALLOW_HTTP_HOSTS,
        allow_private_hosts=settings.FORUMDECK_ALLOW_PRIVATE_HOSTS,
        settings=platform_settings,
        **options,
    )
    # Calls sent at once (``together``) run in threads of their own, which may open database
    # connections (the pacer's book): each thread closes its own when its calls are done.
    client.thread_done = _close_thread_db
    return client


def _close_thread_db() -> None:
    from django.db import connections

    connections.close_all()


def validate_base_url(url: str) -> str:
    """The form's check: the address as written and, resolved now, where it leads."""
    return check_base_url(
        url,
        allow_http_hosts=settings.FORUMDECK_ALLOW_HTTP_HOSTS,
        allow_private_hosts=settings.FORUMDECK_ALLOW_PRIVATE_HOSTS,
        resolve=True,
    )
