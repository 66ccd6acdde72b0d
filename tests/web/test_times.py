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


def test_time_ago_writes_what_the_three_filters_wrote_in_the_viewers_zone():
    from django.template import engines

    from forums.templatetags.forumdeck import time_ago

    three = engines["django"].from_string(
        "{% load forumdeck %}<time datetime=\"{{ v|date:'c' }}\" "
        "title=\"{{ v|date:'Y-m-d H:i T' }}\">{{ v|ago }}</time>"
    )
    value = timezone.now() - timedelta(days=2, hours=3)
    for zone in ("UTC", "America/St_Johns", "Asia/Kathmandu"):
        with timezone.override(zone):
            assert time_ago(value) == three.render({"v": value})
    assert "Y-m-d" not in time_ago(value) and time_ago(None) == ""
