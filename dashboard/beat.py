"""The scheduler Celery beat runs with: django-celery-beat's database scheduler.

Beat writes when each entry last ran every ``sync_every`` seconds after it sent something
(Celery's default is every 3 minutes). Ten seconds keeps "last sent" fresh for the beat
healthcheck and the pages, without a write for every task: a beat that writes after each of
many quick tasks contends with the workers for SQLite's one write lock.
"""

from __future__ import annotations

from django_celery_beat.schedulers import DatabaseScheduler


class Scheduler(DatabaseScheduler):
    sync_every = 10
