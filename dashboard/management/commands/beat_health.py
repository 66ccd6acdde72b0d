"""Exit 0 when Celery beat is ticking: the image's HEALTHCHECK for the beat container.

Beat keeps its schedules in the database (django-celery-beat) and writes there when it last
sent each task (every 10 s while it sends any: ``dashboard.beat.Scheduler``). The
heartbeat task goes out every ``FORUMDECK_HEARTBEAT_SECONDS``, so a beat that has written
nothing for much longer than that is stuck or gone.
"""

from __future__ import annotations

import sys
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db.models import Max
from django.utils import timezone

SYNC_SECONDS = 10  # dashboard.beat.Scheduler.sync_every


class Command(BaseCommand):
    help = "Exit 0 when Celery beat has sent tasks recently (its database schedule says so)."

    def handle(self, *args, **options) -> None:
        from django_celery_beat.models import PeriodicTask

        limit = timedelta(
            seconds=max(600.0, 2 * settings.FORUMDECK_HEARTBEAT_SECONDS + SYNC_SECONDS)
        )
        last = PeriodicTask.objects.filter(enabled=True).aggregate(last=Max("last_run_at"))["last"]
        if last is None:
            sys.exit("beat: no task has been sent yet (is beat running?)")
        age = timezone.now() - last
        if age > limit:
            sys.exit(f"beat: no task sent for {int(age.total_seconds())} s")
        self.stdout.write(f"beat: last task sent {int(age.total_seconds())} s ago")
