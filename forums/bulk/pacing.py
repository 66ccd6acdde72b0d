"""One request pace per forum, shared by every worker on every host.

A pacer hands out request slots ``60 / requests_per_minute`` seconds apart per connection, so two
actions on the same forum never together exceed its limit, while different forums run side by
side. The slot book lives in Redis when Celery's broker is Redis, else in the database.
Waiting for the next slot is pacing (a fraction of a second per call); waiting out a 429's
Retry-After is never done here: the task is rescheduled instead.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import lru_cache

from django.conf import settings
from django.db import transaction

from forums.clients.errors import ForumRateLimited

# A hair slower than the limit, so clock jitter never pushes a call into a 61st slot.
SAFETY = 1.01
# A worker waits inline for a slot at most this long; a later slot is not booked, and the
# task is rescheduled for it instead (a long sleep would hold the worker and outlive the
# action's lease).
MAX_INLINE_WAIT = 10.0


class DatabasePacer:
    def reserve(self, connection, max_wait: float = float("inf")) -> tuple[float, bool]:
        """Book the forum's next slot if it is at most ``max_wait`` away; return (seconds to
        wait, booked)."""
        from forums.models import ForumPace

        interval = 60.0 / max(connection.requests_per_minute, 1) * SAFETY
        ForumPace.objects.get_or_create(connection_id=connection.pk)
        with transaction.atomic():
            row = ForumPace.objects.select_for_update().get(connection_id=connection.pk)
            now = time.time()
            slot = max(now, row.next_slot)
            if slot - now > max_wait:
                return slot - now, False
            ForumPace.objects.filter(pk=row.pk).update(next_slot=slot + interval)
        return max(slot - now, 0.0), True

    def hold_until(self, connection, until: float) -> None:
        """Nobody calls this forum before ``until`` (after a 429 or an outage)."""
        from django.db.models import Case, F, Value, When

        from forums.models import ForumPace

        ForumPace.objects.get_or_create(connection_id=connection.pk)
        ForumPace.objects.filter(connection_id=connection.pk).update(
            next_slot=Case(When(next_slot__lt=until, then=Value(until)), default=F("next_slot"))
        )


_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local nxt = tonumber(redis.call('GET', KEYS[1]) or '0')
local slot = math.max(now, nxt)
if slot - now > tonumber(ARGV[2]) then
  return {tostring(slot - now), 0}
end
redis.call('SET', KEYS[1], tostring(slot + tonumber(ARGV[1])), 'EX', 86400)
return {tostring(slot - now), 1}
"""
_HOLD = """
local nxt = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > nxt then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', 86400)
end
return 1
"""


class RedisPacer:
    """The same slot book in Redis: atomic scripts, timed by the Redis server's clock."""

    def __init__(self, url: str) -> None:
        import redis

        self.redis = redis.Redis.from_url(url)
        self._reserve = self.redis.register_script(_RESERVE)
        self._hold = self.redis.register_script(_HOLD)

    @staticmethod
    def key(connection) -> str:
        # Redis outlives databases: a connection id reused by a new database (or a fresh
        # install on the same Redis) must not inherit an old forum's slots.
        return f"forumdeck:pace:{connection.pk}:{connection.created_at.timestamp():.0f}"

    def reserve(self, connection, max_wait: float = float("inf")) -> tuple[float, bool]:
        interval = 60.0 / max(connection.requests_per_minute, 1) * SAFETY
        limit = max_wait if max_wait != float("inf") else 1e12
        delay, booked = self._reserve(keys=[self.key(connection)], args=[interval, limit])
        return max(float(delay), 0.0), bool(int(booked))

    def hold_until(self, connection, until: float) -> None:
        # Redis time and ours may differ a little; the hold is in our clock, good enough
        # for a wait measured in seconds.
        offset = time.time() - float(self.redis.time()[0])
        self._hold(keys=[self.key(connection)], args=[until - offset])


@lru_cache(maxsize=1)
def _pacer_for(broker_url: str):
    if broker_url.startswith(("redis://", "rediss://")):
        return RedisPacer(broker_url)
    return DatabasePacer()


def get_pacer():
    return _pacer_for(settings.CELERY_BROKER_URL)


def pace_for(connection) -> Callable[[], None]:
    """A callable for ``BaseClient.pacer``: waits for this forum's next slot."""
    pacer = get_pacer()

    def wait() -> None:
        delay, booked = pacer.reserve(connection, max_wait=MAX_INLINE_WAIT)
        if not booked:
            # Another action (or a forum's Retry-After) holds this forum's next slots: come
            # back then, never sleep for it here.
            raise ForumRateLimited(
                f"{connection.name} is busy with other Forumdeck work or asked to wait; "
                f"its next free slot is in {delay:.0f} s.",
                status=None,
                retry_after=delay,
            )
        if delay > 0:
            time.sleep(delay)

    return wait
