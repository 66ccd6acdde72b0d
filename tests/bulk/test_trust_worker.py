"""Finding 4 with real Celery processes: a forum's connection edited while the run waits for
its pace sends none of the later calls to the new address."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from forums.connections.services import connection_update
from forums.models import AuditEntry, BulkAction, BulkActionItem, ForumConnection
from tests.bulk.helpers import usernames
from tests.bulk.test_engine_worker import (
    approve,
    connect,
    discourse,
    done_count,
    propose_and_plan,
    suspend_puts,
    wait_state,
)
from tests.processes import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

State = BulkAction.State


def test_an_edit_while_the_run_waits_for_its_pace_redirects_nothing(
    celery_stack, moderator, approver, admin_user
):
    with discourse() as forum, discourse() as other:
        # One call in any ten seconds: the run waits about ten seconds before each one.
        connection = connect(forum, "Slow forum", requests_per_minute=6, rate_window_seconds=10)
        names = usernames(forum, 4)
        celery_stack.start(workers=1, beat=True)
        action = propose_and_plan(celery_stack, moderator, connection, names)
        approve(action, approver)
        wait_for(lambda: done_count(action) >= 1, timeout=90, interval=0.1,
                 what="the first suspension", on_fail=celery_stack.output)  # fmt: skip
        # The connection page refuses to move it while the approved run is going...
        stored = ForumConnection.objects.get(pk=connection.pk)
        with pytest.raises(ValidationError, match="queued or running"):
            connection_update(actor=admin_user, connection=stored, base_url=other.url,
                              api_key="sandbox-reliability-key-0123456789abcdef")  # fmt: skip
        # ...and a move made past it (a shell, the admin site) is caught before the next batch.
        stored.base_url = other.url
        stored.save()
        wait_state(action, [State.FAILED], celery_stack, timeout=90)
        action.refresh_from_db()
        assert "Refused: the connection changed after approval" in action.last_error
        assert suspend_puts(other) == []  # nothing reached the other forum
        sent = suspend_puts(forum)
        done = done_count(action)
        # At most the one call already waiting for its slot (to the approved address) went out.
        assert 1 <= done == len(sent) <= 2
        skipped = BulkActionItem.objects.filter(action=action, state="skipped")
        assert skipped.count() == len(names) - done
        assert AuditEntry.objects.filter(action="bulk.refused", bulk_action=action).exists()
