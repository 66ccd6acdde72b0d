"""Thin Celery tasks: take an id, call the engine. No secret ever travels in a task argument."""

from __future__ import annotations

import logging

from celery import shared_task

from .bulk import engine
from .bulk.selectors import stalled_actions
from .models import BulkAction

logger = logging.getLogger("forums.tasks")


@shared_task(bind=True, ignore_result=True, max_retries=None)
def plan_bulk_action(self, action_id: int) -> None:
    outcome = engine.plan_action(action_id)
    if outcome.again_in is not None:
        # A rate limit or an outage: come back when the forum said, never sleep here.
        raise self.retry(countdown=outcome.again_in)


@shared_task(bind=True, ignore_result=True, max_retries=None)
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
