"""The counts kept with each bulk action (forums.bulk.counts): what the list and the action's
page show through plan, run, failure and cancel, and a list that never counts items.

(tests/bulk/conftest.py also checks, after every bulk test, that the kept counts match the
items counted again.)"""

from __future__ import annotations

import importlib
import re
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from forums.bulk import engine
from forums.bulk.counts import BUCKETS, recount
from forums.bulk.services import bulk_action_cancel, bulk_action_propose
from forums.models import BulkAction, BulkActionItem, BulkItemCounts
from tests.bulk.helpers import approve, planned_group_add, propose_and_plan, usernames

pytestmark = pytest.mark.django_db

State = BulkAction.State


def list_row(client, action) -> str:
    """The list's row of this action, as text."""
    html = client.get(reverse("forums:bulk-list")).content.decode()
    link = reverse("forums:bulk-detail", args=[action.pk])
    row = re.search(rf'<tr>\s*<td data-label="#"><a href="{link}">.*?</tr>', html, re.S)
    assert row, f"action #{action.pk} is not listed"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row.group(0)))


def page_counts(client, action) -> str:
    html = client.get(reverse("forums:bulk-detail", args=[action.pk])).content.decode()
    found = re.search(r'<p class="counts[^"]*">(.*?)</p>', html, re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1))).strip() if found else ""


def kept(action) -> dict[str, int]:
    rows = BulkItemCounts.objects.filter(action=action)
    return {name: sum(getattr(r, name) for r in rows) for name in BUCKETS}


def all_kept() -> dict:
    return {
        (r.action_id, r.connection_id): {name: getattr(r, name) for name in BUCKETS}
        for r in BulkItemCounts.objects.all()
    }


def deletable(sandbox, count: int) -> list[str]:
    app = sandbox.app
    system = app.users[-1]
    names = [n for n in usernames(sandbox, 40) if app.can_delete_user(system, app.find_user(n))]
    return names[:count]


def test_the_list_and_the_page_follow_plan_run_and_a_refused_item(
    moderator, approver, viewer_client, discourse_connection, discourse_sandbox
):
    # A long-time poster: more than 5 posts, the first older than delete_user_max_post_age.
    app = discourse_sandbox.app
    names = deletable(discourse_sandbox, 4)
    poster = app.find_user(names[0])
    poster["post_count"], poster["first_post_at"] = 240, timezone.now() - timedelta(days=500)
    targets = [*names, "nobody_here"]
    action = bulk_action_propose(
        actor=moderator, kind="delete_users", connections=[discourse_connection], params={},
        targets_text="\n".join(targets),
    )  # fmt: skip
    # Proposed, not looked up yet: nothing to count.
    assert "—" in list_row(viewer_client, action)
    engine.plan_action(action.pk)
    # Planned: 4 to send, 1 not found; nothing has run, so no progress is shown yet.
    assert "Planned: 4 to change, 1 skipped" in list_row(viewer_client, action)
    action.refresh_from_db()
    approve(action, approver)
    engine.run_action(action.pk)
    action.refresh_from_db()
    assert action.state == State.PARTIAL  # the forum keeps a long-time poster
    row = list_row(viewer_client, action)
    assert " 5/5 " in row and "Partially failed" in row
    assert page_counts(viewer_client, action) == (
        "100% · 3 done · 1 skipped (1 while planning) · 1 failed · 0 to go"
    )
    assert kept(action) == {"planned": 4, "sent": 4, "done": 3, "skipped": 0, "failed": 1,
                            "skipped_in_plan": 1}  # fmt: skip


def test_a_run_that_stops_failing_counts_its_items_failed(
    moderator, approver, viewer_client, discourse_connection, discourse_sandbox
):
    action = approve(
        planned_group_add(
            proposer=moderator, connection=discourse_connection, sandbox=discourse_sandbox, count=3
        ),
        approver,
    )
    discourse_sandbox.app.config.faults.outage_for(3600)  # every call: 503
    for _ in range(8):  # what beat would do, until the run gives up
        BulkAction.objects.filter(pk=action.pk).update(not_before=None)
        engine.run_action(action.pk)
    action.refresh_from_db()
    assert action.state == State.FAILED
    assert " 3/3 " in list_row(viewer_client, action)
    assert "0 done · 0 skipped · 3 failed · 0 to go" in page_counts(viewer_client, action)


def test_a_cancel_before_the_run_counts_nothing_sent(
    moderator, viewer_client, discourse_connection, discourse_sandbox
):
    action = planned_group_add(
        proposer=moderator, connection=discourse_connection, sandbox=discourse_sandbox, count=4
    )
    bulk_action_cancel(actor=moderator, action=action)
    assert "Cancelled: 0 sent, 4 not sent" in list_row(viewer_client, action)
    assert page_counts(viewer_client, action).startswith("Cancelled: 0 sent, 4 not sent")


def test_the_kept_counts_match_a_recount_after_a_run(
    moderator, approver, discourse_connection, discourse_sandbox
):
    names = usernames(discourse_sandbox, 6, not_in_group="translators")
    action = propose_and_plan(
        proposer=moderator, connection=discourse_connection, kind="group_add",
        targets=[*names, "nobody_1", "nobody_2"], params={"group": "translators"},
    )  # fmt: skip
    approve(action, approver)
    engine.run_action(action.pk)
    during = kept(action)
    recount(action.pk)
    assert kept(action) == during
    assert during == {"planned": 6, "sent": 6, "done": 6, "skipped": 0, "failed": 0,
                      "skipped_in_plan": 2}  # fmt: skip


def test_the_list_sends_the_same_queries_however_many_items_its_actions_have(
    moderator, approver, viewer_client, discourse_connection, discourse_sandbox
):
    def list_queries() -> list[str]:
        with CaptureQueriesContext(db) as queries:
            assert viewer_client.get(reverse("forums:bulk-list")).status_code == 200
        return [q["sql"] for q in queries.captured_queries]

    for count in (1, 2):
        action = planned_group_add(
            proposer=moderator, connection=discourse_connection, sandbox=discourse_sandbox,
            count=count,
        )  # fmt: skip
        approve(action, approver)
        engine.run_action(action.pk)
    few = list_queries()
    names = usernames(discourse_sandbox, 23, not_in_group="translators")[3:]
    unknown = [f"nobody_{n}" for n in range(100)]
    for part in ([*names[:10], *unknown[:50]], [*names[10:], *unknown[50:]]):
        action = propose_and_plan(
            proposer=moderator, connection=discourse_connection, kind="group_add",
            targets=part, params={"group": "translators"},
        )  # fmt: skip
        approve(action, approver)
        engine.run_action(action.pk)
    assert BulkActionItem.objects.count() > 100
    many = list_queries()
    assert len(many) == len(few)
    assert not [sql for sql in many if "bulkactionitem" in sql.lower()]  # items never read
    assert " 60/60 " in list_row(viewer_client, action)


def test_an_action_without_kept_counts_is_counted_at_its_next_change(
    moderator, approver, discourse_connection, discourse_sandbox
):
    action = planned_group_add(
        proposer=moderator, connection=discourse_connection, sandbox=discourse_sandbox, count=3
    )
    BulkItemCounts.objects.filter(action=action).delete()  # as if made before counts were kept
    approve(action, approver)
    engine.run_action(action.pk)
    assert kept(action)["done"] == 3 and kept(action)["planned"] == 3


def test_the_migration_counts_the_actions_that_exist(
    moderator, approver, discourse_connection, discourse_sandbox
):
    action = planned_group_add(
        proposer=moderator, connection=discourse_connection, sandbox=discourse_sandbox, count=3
    )
    approve(action, approver)
    engine.run_action(action.pk)
    empty = bulk_action_propose(
        actor=moderator, kind="group_add", connections=[discourse_connection],
        params={"group": "translators"}, targets_text="someone",
    )  # fmt: skip
    before = all_kept()
    BulkItemCounts.objects.all().delete()
    migration = importlib.import_module("forums.migrations.0012_bulk_counts")
    migration.fill_counts(apps, None)
    assert all_kept() == before
    assert kept(action)["done"] == 3
    assert BulkItemCounts.objects.filter(action=empty).exists()  # every forum of every action
