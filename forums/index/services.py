"""Writes of the fleet index a person asks for: read a forum again, a webhook secret."""

from __future__ import annotations

import hmac
import secrets

from django.db import transaction
from django.utils import timezone

from forums.models import ForumConnection, IndexSync
from forums.tasks import sync_index

from .sync import index_sync_start


def index_sync_request(*, connection: ForumConnection, force: bool = False) -> IndexSync:
    """Read this forum whole into the index (again), in the background."""
    with transaction.atomic():
        sync = index_sync_start(connection=connection, force=force)
        sync_index.delay_on_commit(connection.pk)
    return sync


@transaction.atomic
def index_webhook_secret_rotate(*, connection: ForumConnection) -> str:
    """A new secret for this forum's webhooks, returned once (to show once); kept sealed."""
    sync, _ = IndexSync.objects.select_for_update().get_or_create(connection=connection)
    secret = secrets.token_urlsafe(32)
    sync.webhook_secret = secret
    sync.webhook_secret_set_at = timezone.now()
    sync.save(update_fields=["webhook_secret", "webhook_secret_set_at", "updated_at"])
    return secret


def signature_matches(*, secret: str, body: bytes, signature: str) -> bool:
    """Discourse's ``X-Discourse-Event-Signature``: "sha256=" + hex HMAC-SHA256 of the raw
    body with the webhook's secret (WebHook#generate_payload / Jobs::EmitWebHookEvent)."""
    expected = "sha256=" + hmac.new(secret.encode(), body, "sha256").hexdigest()
    return hmac.compare_digest(expected, signature or "")
