"""The shared pacer: slots a forum's rate apart, and never a long sleep in a worker."""

from __future__ import annotations

import time

import pytest

from forums.bulk.pacing import MAX_INLINE_WAIT, SAFETY, get_pacer, pace_for
from forums.clients.errors import ForumRateLimited
from tests.factories import ForumConnectionFactory

pytestmark = pytest.mark.django_db


def test_slots_are_handed_out_the_forums_rate_apart():
    # Database pacer on the embedded stack, Redis pacer when the broker is Redis.
    connection = ForumConnectionFactory(requests_per_minute=600)
    pacer = get_pacer()
    delays = [pacer.reserve(connection)[0] for _ in range(5)]
    interval = 60 / 600 * SAFETY
    assert delays[0] < interval
    for earlier, later in zip(delays, delays[1:], strict=False):
        assert later - earlier == pytest.approx(interval, abs=0.05)


def test_forums_are_paced_separately():
    a = ForumConnectionFactory(requests_per_minute=60)
    b = ForumConnectionFactory(requests_per_minute=60)
    pacer = get_pacer()
    for _ in range(3):
        pacer.reserve(a)
    assert pacer.reserve(b)[0] < 0.5  # b is free while a is busy


def test_a_held_forum_reschedules_instead_of_sleeping():
    connection = ForumConnectionFactory(name="Held forum", requests_per_minute=600)
    get_pacer().hold_until(connection, time.time() + 45)
    wait = pace_for(connection)
    started = time.monotonic()
    with pytest.raises(ForumRateLimited) as exc:
        wait()
    assert time.monotonic() - started < 1  # no sleep
    assert exc.value.retry_after == pytest.approx(45, abs=2)
    assert "Held forum" in str(exc.value)
    # Nothing was booked: the slot is still free for whoever comes when the hold ends.
    delay, booked = get_pacer().reserve(connection, max_wait=MAX_INLINE_WAIT)
    assert not booked and delay == pytest.approx(45, abs=2)
