"""Every bulk test also checks that the counts kept with each action (forums.bulk.counts)
match its items counted again: any path that moved an item without its count fails here,
whatever the test itself was about."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _kept_counts_match_the_items(request):
    marker = request.node.get_closest_marker("django_db")
    transactional = "transactional_db" in request.fixturenames or bool(
        marker and (marker.kwargs.get("transaction") or marker.args[:1] == (True,))
    )
    if marker is None and not {"db", "transactional_db"} & set(request.fixturenames):
        yield
        return
    # Asked for here, so the database is torn down after this check, not before it.
    request.getfixturevalue("transactional_db" if transactional else "db")
    yield
    from django.db import connection

    if connection.needs_rollback:
        return  # the test broke its own transaction on purpose (a database constraint)
    from forums.bulk.counts import BUCKETS, counted
    from forums.models import BulkActionItem, BulkItemCounts

    kept = {
        (row.action_id, row.connection_id): {name: getattr(row, name) for name in BUCKETS}
        for row in BulkItemCounts.objects.all()
    }
    recounted = counted(BulkActionItem.objects.all())
    zero = dict.fromkeys(BUCKETS, 0)
    drifted = {key: (kept.get(key, zero), numbers) for key, numbers in recounted.items()
               if kept.get(key, zero) != numbers}  # fmt: skip
    assert not drifted, f"kept counts differ from the items (kept, recounted): {drifted}"
