"""Helpers for the backup tests."""

from __future__ import annotations


def lift_hold(connection) -> None:
    """Other Forumdeck work stops holding every call to this forum, whichever slot book is in
    use (the database's on the embedded defaults, Redis's with a Redis broker)."""
    from forums import pacing
    from forums.models import ForumPace

    pacer = pacing.get_pacer()
    if isinstance(pacer, pacing.RedisPacer):
        pacer.redis.delete(pacer.key(connection))
    else:
        ForumPace.objects.filter(connection_id=connection.pk).update(next_slot=0)
