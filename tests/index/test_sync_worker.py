"""A first sync run by a real Celery worker: it reads every account in several steps, each
rescheduled (never a sleep in the worker) so that it takes no more than its share of the
forum's budget."""

from __future__ import annotations

import pytest

from forums.index.services import index_sync_request
from forums.models import IndexedAccount, IndexSync
from tests.index.test_sync import big_connection, big_discourse  # noqa: F401 - fixtures
from tests.processes import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_worker_reads_the_forum_within_its_share(celery_stack, big_discourse, big_connection):  # noqa: F811
    # 120 a minute in windows of 5 s: 10 calls a window, of which the index may take 2.
    big_connection.requests_per_minute = 120
    big_connection.rate_window_seconds = 5
    big_connection.save()
    celery_stack.start(workers=1, beat=False)
    index_sync_request(connection=big_connection)

    def complete():
        sync = IndexSync.objects.get(connection=big_connection)
        return sync.state == IndexSync.State.COMPLETE and sync

    sync = wait_for(complete, timeout=120, what="the worker to finish the first sync",
                    on_fail=celery_stack.output)  # fmt: skip
    users = [u for u in big_discourse.app.users if u > 0]
    assert IndexedAccount.objects.filter(connection=big_connection).count() == len(users)
    assert sync.accounts_seen == len(users) == sync.accounts_total
    # Never more than 20 % of the forum's allowance in any of its windows.
    assert big_discourse.app.calls.max_in_any_window(5.0) <= 2
    assert sync.calls == len(big_discourse.app.calls.records())
