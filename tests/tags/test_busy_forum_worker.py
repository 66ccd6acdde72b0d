"""A busy forum never drops out of a change "everywhere", with real Celery processes: a rename
proposed while one forum's budget is taken includes that forum (by what the index last saw of
it), and the run waits for its budget and then renames there."""

from __future__ import annotations

import pytest
from django.urls import reverse

from forums.bulk.services import bulk_action_approve
from forums.clients.records import ForumTag
from forums.core.fleet_index.rows import index_tags_save
from forums.models import BulkAction, IndexSync
from tests.bulk.helpers import exhaust_budget
from tests.bulk.test_engine_worker import connect, discourse, wait_state

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

State = BulkAction.State


def test_a_rename_everywhere_includes_a_busy_forum_and_the_run_waits_for_it(
    celery_stack, moderator_client, approver
):
    with discourse() as quiet_forum, discourse() as busy_forum:
        quiet = connect(quiet_forum, "Quiet forum")
        # Six calls in any 30 seconds: once they are taken, the forum is busy for half a minute.
        busy = connect(busy_forum, "Busy forum", requests_per_minute=12, rate_window_seconds=30)
        assert "howto" in busy_forum.app.tags
        # The index saw the busy forum's tags earlier.
        IndexSync.objects.create(connection=busy)
        index_tags_save(connection=busy, tags=[ForumTag(name="howto", topic_count=3)],
                        generation=0)  # fmt: skip
        exhaust_budget(busy)
        calls_before = len(busy_forum.app.calls.records())

        url = reverse("forums:tag-change", args=["howto", "rename"])
        page = moderator_client.get(url).content.decode()
        assert "Quiet forum (one call)" in page
        assert "Busy forum (one call), busy now: Forumdeck last saw the tag there at" in page
        response = moderator_client.post(
            url, {"connections": [quiet.pk, busy.pk], "new_name": "how-to"}
        )
        action = BulkAction.objects.get()
        assert response["Location"] == reverse("forums:bulk-detail", args=[action.pk])
        assert set(action.connections.values_list("pk", flat=True)) == {quiet.pk, busy.pk}
        # Nothing reached the busy forum while its budget was taken.
        assert len(busy_forum.app.calls.records()) == calls_before

        celery_stack.start(workers=1, beat=True)
        wait_state(action, [State.PENDING_APPROVAL], celery_stack, timeout=120)
        assert action.plan["planned"] == 2, action.plan
        bulk_action_approve(actor=approver, action=action, plan_hash=action.plan_hash)
        wait_state(action, [State.SUCCEEDED], celery_stack, timeout=120)
        assert "how-to" in busy_forum.app.tags and "howto" not in busy_forum.app.tags
        assert "how-to" in quiet_forum.app.tags and "howto" not in quiet_forum.app.tags
