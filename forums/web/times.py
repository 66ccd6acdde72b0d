"""How long ago, in words a person reads at a glance."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.timesince import timesince


def ago(value: datetime | None) -> str:
    """ "just now", "3 minutes ago", "2 days ago": never "0 minutes ago"."""
    if not value:
        return ""
    if (timezone.now() - value).total_seconds() < 60:
        return "just now"
    return f"{timesince(value, depth=1)} ago"


def running_for(value: datetime | None) -> str:
    """How long something has been going on: "less than a minute", never "0 minutes"."""
    if not value:
        return ""
    if (timezone.now() - value).total_seconds() < 60:
        return "less than a minute"
    return timesince(value, depth=2)
