"""How long ago, and how long for, in words (forums/web/times.py)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from forums.web.times import ago, running_for


def test_under_a_minute_is_never_zero_minutes():
    now = timezone.now()
    assert ago(now - timedelta(seconds=20)) == "just now"
    assert running_for(now - timedelta(seconds=20)) == "less than a minute"
    assert ago(now - timedelta(minutes=3, seconds=5)) == "3\xa0minutes ago"
    assert running_for(now - timedelta(minutes=61)) == "1\xa0hour, 1\xa0minute"
    assert ago(None) == running_for(None) == ""
