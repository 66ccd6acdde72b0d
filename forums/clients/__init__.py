"""Forum clients. ``get_client(connection)`` is the one way to obtain one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings

from .base import BaseClient, check_base_url
from .errors import *  # noqa: F403 - the exception family is part of this package's API
from .errors import CapabilityNotOffered
from .records import *  # noqa: F403

if TYPE_CHECKING:
    from forums.models import ForumConnection


def client_class(platform: str) -> type[BaseClient]:
    from .discourse import DiscourseClient
    from .nodebb import NodeBBClient

    classes: dict[str, type[BaseClient]] = {
        DiscourseClient.platform: DiscourseClient,
        NodeBBClient.platform: NodeBBClient,
    }
    try:
        return classes[platform]
    except KeyError:
        raise CapabilityNotOffered(f"Forumdeck cannot talk to {platform} forums yet.") from None


def supported_platforms() -> list[str]:
    return ["discourse", "nodebb"]


def get_client(connection: ForumConnection, **options) -> BaseClient:
    """A client for this connection, configured from settings; the key never leaves it."""
    cls = client_class(connection.platform)
    timeout = options.pop("timeout", settings.FORUMDECK_HTTP_TIMEOUT)
    # A longer timeout asked for one call stretches the deadline with it.
    deadline = options.pop("deadline", max(settings.FORUMDECK_HTTP_DEADLINE, timeout))
    return cls(
        base_url=connection.base_url,
        api_key=connection.api_key,
        api_username=connection.api_username,
        name=connection.name,
        timeout=timeout,
        deadline=deadline,
        max_response_bytes=settings.FORUMDECK_MAX_RESPONSE_BYTES,
        max_json_depth=settings.FORUMDECK_MAX_JSON_DEPTH,
        allow_http_hosts=settings.FORUMDECK_ALLOW_HTTP_HOSTS,
        allow_private_hosts=settings.FORUMDECK_ALLOW_PRIVATE_HOSTS,
        master_token=connection.nodebb_master_token,
        **options,
    )


def validate_base_url(url: str) -> str:
    """The form's check: the address as written and, resolved now, where it leads."""
    return check_base_url(
        url,
        allow_http_hosts=settings.FORUMDECK_ALLOW_HTTP_HOSTS,
        allow_private_hosts=settings.FORUMDECK_ALLOW_PRIVATE_HOSTS,
        resolve=True,
    )
