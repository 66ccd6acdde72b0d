"""Thin Celery tasks: take an id, call the engine. No secret ever travels in a task argument."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.contrib.django.task import DjangoTask
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from .backups.services import (
    FOLLOW_SECONDS,
    backup_cancel,
    backup_run_refresh,
    backup_scheduled_run,
)
from .bulk import engine
from .bulk.selectors import stalled_actions
from .clients.errors import ForumRateLimited
from .index import sync as index_sync
from .models import BackupRun, BulkAction, ForumConnection
from .review import selectors as review_selectors

logger = logging.getLogger("forums.tasks")


# DjangoTask is what Celery gives every task in a Django project (delay_on_commit); naming it
# tells the type checker too.
@shared_task(bind=True, base=DjangoTask, ignore_result=True, max_retries=None)
def plan_bulk_action(self, action_id: int) -> None:
    outcome = engine.plan_action(action_id)
    if outcome.again_in is not None:
        # A rate limit or an outage: come back when the forum said, never sleep here.
        raise self.retry(countdown=outcome.again_in)


@shared_task(bind=True, base=DjangoTask, ignore_result=True, max_retries=None)
def run_bulk_action(self, action_id: int) -> None:
    outcome = engine.run_action(action_id)
    if outcome.again_in is not None:
        raise self.retry(countdown=outcome.again_in)


@shared_task(ignore_result=True)
def resume_stalled_bulk_actions() -> int:
    """Beat: pick up actions whose worker died or whose message was lost."""
    count = 0
    for action_id, state in stalled_actions().values_list("pk", "state"):
        task = plan_bulk_action if state == BulkAction.State.PLANNING else run_bulk_action
        task.delay(action_id)
        count += 1
    if count:
        logger.info("Resumed %d stalled bulk action(s)", count)
    return count


# --- backups ---------------------------------------------------------------------------------
@shared_task(bind=True, ignore_result=True, max_retries=5)
def run_scheduled_backup(self, connection_id: int) -> None:
    """Beat (django-celery-beat, one database row per forum's schedule): back the forum up.
    The service queues ``follow_backup_run`` for the run it starts."""
    try:
        backup_scheduled_run(connection_id=connection_id)
    except ForumRateLimited as exc:
        raise self.retry(countdown=exc.retry_after) from None


@shared_task(bind=True, ignore_result=True, max_retries=None)
def cancel_backup(self, connection_id: int, actor_id: int | None = None) -> None:
    """A person's cancel that found the forum's calls all taken: sent once one is free, and
    tried again until then (a cancel is never dropped while the backup still runs)."""
    connection = ForumConnection.objects.filter(pk=connection_id).first()
    if connection is None:
        return
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    try:
        backup_cancel(actor=actor, connection=connection, queued=True)
    except ForumRateLimited as exc:
        raise self.retry(countdown=max(exc.retry_after, 1)) from None
    except ValidationError as exc:
        logger.warning("Cancelling the backup on %s failed: %s", connection.name, exc.messages)


@shared_task(bind=True, ignore_result=True, max_retries=None)
def follow_backup_run(self, run_id: int) -> None:
    """Ask the forum until its backup has finished or failed, so every run is settled (and a
    failure shown) even when nobody has the page open."""
    run = BackupRun.objects.filter(pk=run_id).select_related("connection").first()
    if run is None:
        return
    run = backup_run_refresh(run=run)
    if not run.finished:
        raise self.retry(countdown=FOLLOW_SECONDS)


# --- the fleet index -------------------------------------------------------------------------
@shared_task(bind=True, base=DjangoTask, ignore_result=True, max_retries=None)
def sync_index(self, connection_id: int) -> None:
    """One burst of a forum's first sync; the next comes when the forum's budget share allows
    (a retry with a countdown: never a sleep in the worker)."""
    step = index_sync.index_sync_step(connection_id=connection_id)
    if step.again_in is not None:
        raise self.retry(countdown=step.again_in)


@shared_task(ignore_result=True)
def poll_fleet_index() -> int:
    """Beat: start, resume or renew each forum's part of the index (``index_syncs_due``), and
    poll the complete ones cheaply (``index_polls_due``)."""
    due = index_sync.index_syncs_due()
    for connection_id in due:
        sync_index.delay(connection_id)
    polls = index_sync.index_polls_due()
    for connection_id in polls:
        poll_index.delay(connection_id)
    index_sync.index_deliveries_forget()
    return len(due) + len(polls)


@shared_task(ignore_result=True)
def poll_index(connection_id: int) -> None:
    """Beat's cheap poll of one complete index (``index_poll``): new accounts, penalties."""
    index_sync.index_poll(connection_id=connection_id)


@shared_task(ignore_result=True)
def refresh_review_queues(connection_ids: list[int] | None = None) -> int:
    """Beat, every minute, and right after a decision or "Ask the forums now": read each
    reviewing forum's queue (each call paced in the forum's slot book as the index's sync) and
    keep it where the Review page reads it. Returns how many forums answered."""
    return review_selectors.read_queues(review_selectors.reviewing_connections(connection_ids))
