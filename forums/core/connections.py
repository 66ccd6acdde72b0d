"""The connection lookups every area's pages and services share."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404

from forums.clients import ForumClient, get_client
from forums.clients.errors import ForumError
from forums.models import ForumConnection
from forums.pacing import Priority


def enabled_connection_or_404(connection_id: int, *, defer_key: bool = False) -> ForumConnection:
    """The enabled forum a URL names, or 404 (a disabled forum's pages do not exist).
    ``defer_key``: a page that never calls the forum leaves the sealed key unread."""
    rows = ForumConnection.objects.defer("api_key") if defer_key else ForumConnection.objects
    return get_object_or_404(rows, pk=connection_id, enabled=True)


def client_or_invalid(connection: ForumConnection) -> ForumClient:
    """A client for a change a person asked for; a forum that cannot be reached (a key that
    cannot be opened, ...) is a ValidationError the form shows: "<forum>: <why>"."""
    try:
        return get_client(connection, priority=Priority.CHANGE)
    except ForumError as exc:
        raise ValidationError(f"{connection.name}: {exc}") from None
