"""Writes of the fleet index: read a forum again, a webhook secret or the forum's webhook set up,
a webhook delivery."""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from forums.clients import client_class, get_client
from forums.clients.errors import ForumError
from forums.clients.records import PushedEvent
from forums.core.audit import audit_change
from forums.core.fleet_index.rows import (
    index_account_gone,
    index_account_penalty,
    index_accounts_save,
    index_group_gone,
    index_group_pushed,
    index_tag_gone,
    index_tag_pushed,
)
from forums.crypto import DecryptionError, reveal
from forums.models import ForumConnection, IndexSync, IndexWebhookDelivery

from .sync import index_sync_start

# The tasks (forums/tasks.py) call this area's sync; this module queues them by name, so the two
# never import each other (the tasks sit above the areas).
SYNC_TASK = "forums.tasks.sync_index"


def index_sync_request(*, connection: ForumConnection, force: bool = False) -> IndexSync:
    """Read this forum whole into the index (again), in the background."""
    with transaction.atomic():
        sync = index_sync_start(connection=connection, force=force)
        transaction.on_commit(lambda: current_app.send_task(SYNC_TASK, (connection.pk,)))
    return sync


@transaction.atomic
def index_webhook_secret_rotate(*, connection: ForumConnection) -> str:
    """A new secret for this forum's webhooks, returned once (to show once); kept sealed. The
    old secret stops working at once."""
    sync, _ = IndexSync.objects.select_for_update().get_or_create(connection=connection)
    secret = secrets.token_urlsafe(32)
    sync.webhook_secret = secret
    sync.webhook_secret_set_at = timezone.now()
    sync.save(update_fields=["webhook_secret", "webhook_secret_set_at", "updated_at"])
    return secret


def index_webhook_connect(*, connection: ForumConnection, url: str, actor: Any) -> str:
    """Set this forum's webhook up through its API (one click): a new secret goes to the forum
    with ``url``, and is kept (sealed) once the forum took it, so a refusal leaves a webhook
    that works as it was. Audited either way; raises the forum's ``ForumError``."""
    secret = secrets.token_urlsafe(32)
    try:
        with get_client(connection) as client:
            hook_id = client.webhook_create(url=url, secret=secret)
    except ForumError as exc:
        audit_change(actor=actor, action="webhook.connect", connection=connection, ok=False,
                     message=str(exc), details={"url": url})  # fmt: skip
        raise
    with transaction.atomic():
        sync, _ = IndexSync.objects.select_for_update().get_or_create(connection=connection)
        sync.webhook_secret = secret
        sync.webhook_secret_set_at = timezone.now()
        sync.save(update_fields=["webhook_secret", "webhook_secret_set_at", "updated_at"])
        audit_change(
            actor=actor, action="webhook.connect", connection=connection, ok=True,
            message="The forum now tells Forumdeck about changed accounts, groups and tags.",
            details={"url": url, "webhook": hook_id},
        )  # fmt: skip
    return hook_id


class WebhookRefused(Exception):
    """A delivery the receiver will not take: ``status`` is the HTTP answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _within_rate(connection_id: int) -> bool:
    """At most FORUMDECK_INDEX_WEBHOOK_PER_MINUTE deliveries a minute per forum, counted in
    the shared cache (every web process sees the same count)."""
    minute = int(time.time() // 60)
    key = f"forumdeck:index-webhook:{connection_id}:{minute}"
    cache.add(key, 0, timeout=120)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=120)
        count = 1
    return count <= settings.FORUMDECK_INDEX_WEBHOOK_PER_MINUTE


# How late a forum may send a delivery it made earlier than others (its workers run at once, and
# Discourse retries a failed one after 1, 5, 25 and 125 minutes when retry_web_hook_events is on).
LATE_DELIVERY = timedelta(days=1)


def _oldest_remembered(connection: ForumConnection) -> int:
    """The first numbered delivery Forumdeck still remembers that came over a day ago (0: none).
    Deliveries are forgotten after FORUMDECK_INDEX_WEBHOOK_REMEMBER_DAYS, each forum's newest
    always kept, so a delivery numbered before this one was made long ago: sent again."""
    oldest = (
        IndexWebhookDelivery.objects.filter(
            connection=connection,
            delivery_id__startswith="seq:",
            received_at__lt=timezone.now() - LATE_DELIVERY,
        )
        .order_by("received_at", "pk")
        .values_list("delivery_id", flat=True)
        .first()
    )
    return int(oldest[4:]) if oldest else 0


def index_webhook_receive(
    *, connection_id: int, headers: Mapping[str, str], body: bytes
) -> PushedEvent:
    """Take one webhook delivery into the index, or refuse it (``WebhookRefused``).

    In this order: the forum's rate (429), the signature with this forum's secret (403), the
    body (400), a delivery already taken (409: the same delivery id, or the same body again,
    which is how a captured delivery is replayed). What it may change is the index's row for
    the account, group or tag the event names, and nothing else: no forum is called, nothing
    is audited."""
    if not _within_rate(connection_id):
        raise WebhookRefused(429, "Too many deliveries; slow down.")
    connection = ForumConnection.objects.filter(pk=connection_id, enabled=True).first()
    sync = IndexSync.objects.filter(connection_id=connection_id).first()
    try:
        secret = reveal(sync.webhook_secret) if sync and sync.webhook_secret else ""
    except DecryptionError:
        secret = ""
    cls = client_class(connection.platform) if connection else None
    if (
        connection is None
        or cls is None
        or not secret
        or not cls.webhook_verify(headers=headers, body=body, secret=secret)
    ):
        # One answer for an unknown forum, no secret and a bad signature: nothing to learn.
        raise WebhookRefused(403, "The delivery's signature does not match.")
    try:
        with get_client(connection) as client:  # reads the body only: no call is made
            event = client.webhook_event(headers=headers, body=body)
    except ValueError as exc:
        raise WebhookRefused(400, str(exc)) from None
    except ForumError as exc:
        raise WebhookRefused(403, str(exc)) from None
    if event.sequence is not None and event.sequence < _oldest_remembered(connection):
        raise WebhookRefused(409, "This delivery is older than any Forumdeck remembers.")
    keys = {"body:" + hashlib.sha256(body).hexdigest()}
    if event.delivery_id:
        keys.add("id:" + event.delivery_id[:150])
    if event.sequence is not None:
        keys.add(f"seq:{event.sequence}")
    try:
        with transaction.atomic():
            for key in sorted(keys):
                IndexWebhookDelivery.objects.create(
                    connection=connection, delivery_id=key, event=event.name[:100]
                )
            if event.user is not None:
                index_accounts_save(connection=connection, users=[event.user])
            elif event.gone_user_id is not None:
                index_account_gone(connection=connection, user_id=event.gone_user_id)
            elif event.penalty is not None:
                index_account_penalty(connection=connection, change=event.penalty)
            if event.group is not None:
                index_group_pushed(connection=connection, group=event.group)
            elif event.gone_group_id is not None:
                index_group_gone(connection=connection, group_id=event.gone_group_id)
            if event.tag is not None:
                index_tag_pushed(connection=connection, tag=event.tag,
                                 list_changed=event.tags_changed)  # fmt: skip
            elif event.gone_tag is not None:
                index_tag_gone(connection=connection, tag=event.gone_tag)
    except IntegrityError:
        raise WebhookRefused(409, "This delivery was already received.") from None
    return event
