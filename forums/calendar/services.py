"""Calendar feeds: make one (its token is shown once and stored only as a hash), rotate its
token, revoke it. A token opens its own feed and nothing else."""

from __future__ import annotations

import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from forums.core.audit import audit_record
from forums.models import CalendarFeed, ForumConnection

from .selectors import hash_token

MAX_FEEDS_PER_PERSON = 20


def _new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)  # 256 bits: not guessable, safe in a URL path
    return token, hash_token(token)


@transaction.atomic
def calendar_feed_create(
    *, user: Any, name: str, connections: list[ForumConnection]
) -> tuple[CalendarFeed, str]:
    """A new feed of these forums. Returns it and its token: show the token now, it is not
    kept."""
    name = (name or "").strip() or "Forum events"
    if len(name) > 100:
        raise ValidationError("Give the feed a shorter name (100 characters at most).")
    if not connections:
        raise ValidationError("Choose at least one forum for the feed.")
    active = CalendarFeed.objects.filter(user=user, revoked_at__isnull=True).count()
    if active >= MAX_FEEDS_PER_PERSON:
        raise ValidationError(
            f"You have {active} feeds already: revoke one you no longer use first."
        )
    token, digest = _new_token()
    feed = CalendarFeed.objects.create(user=user, name=name, token_hash=digest)
    feed.connections.set(connections)
    audit_record(
        actor=user,
        action="calendar_feed.create",
        target=f"feed #{feed.pk}",
        message=f"Calendar feed “{name}” made for {len(connections)} forum(s).",
        details={"feed_id": feed.pk, "connections": [c.pk for c in connections]},
    )
    return feed, token


def _own_active(user: Any, feed_id: int) -> CalendarFeed:
    feed = (
        CalendarFeed.objects.select_for_update()
        .filter(pk=feed_id, user=user, revoked_at__isnull=True)
        .first()
    )
    if feed is None:
        raise ValidationError("That feed does not exist or is revoked.")
    return feed


@transaction.atomic
def calendar_feed_rotate(*, user: Any, feed_id: int) -> tuple[CalendarFeed, str]:
    """A new token for the same feed; the old URL answers 404 from now on."""
    feed = _own_active(user, feed_id)
    token, digest = _new_token()
    feed.token_hash, feed.rotated_at = digest, timezone.now()
    feed.save(update_fields=["token_hash", "rotated_at"])
    audit_record(actor=user, action="calendar_feed.rotate", target=f"feed #{feed.pk}",
                 message=f"New address for calendar feed “{feed.name}”; the old one stops.",
                 details={"feed_id": feed.pk})  # fmt: skip
    return feed, token


@transaction.atomic
def calendar_feed_revoke(*, user: Any, feed_id: int) -> CalendarFeed:
    feed = _own_active(user, feed_id)
    feed.revoked_at = timezone.now()
    feed.save(update_fields=["revoked_at"])
    audit_record(actor=user, action="calendar_feed.revoke", target=f"feed #{feed.pk}",
                 message=f"Calendar feed “{feed.name}” revoked.",
                 details={"feed_id": feed.pk})  # fmt: skip
    return feed


def calendar_feed_touch(*, feed: CalendarFeed) -> None:
    """Remember when a calendar app last fetched it (shown on the feeds page)."""
    CalendarFeed.objects.filter(pk=feed.pk).update(last_fetched_at=timezone.now())
