"""A scheduled backup with a real Celery beat (schedules in the database) and a real worker:
the schedule saved on the page is picked up by the running beat, the worker backs the forum
up and follows the run to its end, and a forum that is down fails on its own row."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from forums.backups import selectors, services
from forums.models import AuditEntry, BackupRun
from tests.factories import ForumConnectionFactory
from tests.processes import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
ZONE = ZoneInfo("Asia/Tokyo")  # not the server's zone: the schedule is kept in its own


def next_minute_in(zone: ZoneInfo):
    now = timezone.now().astimezone(zone)
    at = (now + timedelta(minutes=1)).replace(second=0, microsecond=0)
    if (at - now).total_seconds() < 15:  # leave beat the time to read the new row
        at += timedelta(minutes=1)
    return at


def test_beat_runs_the_schedule_and_a_down_forum_fails_alone(
    celery_stack, discourse_connection, discourse_sandbox, admin_user
):
    down = ForumConnectionFactory(name="Down forum", base_url="http://127.0.0.1:9",
                                  api_key="k" * 20)  # fmt: skip
    celery_stack.start(workers=1, beat=True)
    at = next_minute_in(ZONE)
    for connection in (discourse_connection, down):
        services.backup_schedule_save(
            actor=admin_user, connection=connection, frequency="daily",
            at_time=at.time(), timezone_name="Asia/Tokyo", with_uploads=False,
        )  # fmt: skip
    assert not BackupRun.objects.exists()

    def settled():
        runs = list(BackupRun.objects.filter(trigger=BackupRun.Trigger.SCHEDULE))
        return len(runs) == 2 and all(r.finished for r in runs) and runs

    runs = wait_for(settled, timeout=150, what="beat and the worker to run both schedules",
                    on_fail=celery_stack.output)  # fmt: skip
    ran = {r.connection_id: r for r in runs}
    good, bad = ran[discourse_connection.pk], ran[down.pk]
    assert good.state == BackupRun.State.SUCCEEDED, good.message
    assert good.filename.endswith(".sql.gz") and not good.with_uploads
    assert good.started_at >= at - timedelta(seconds=5)  # not before its time
    assert bad.state == BackupRun.State.FAILED and "could not start a backup" in bad.message
    # The worker sent the backup; the forum got the string "false".
    posts = [c for c in discourse_sandbox.app.calls.records() if c.method == "POST"]
    assert [p.body for p in posts] == [{"with_uploads": "false"}]
    # Each run is audited, by nobody in particular.
    entries = AuditEntry.objects.filter(action__in=["backup.start", "backup.finish"])
    assert {(e.connection_name, e.action, e.outcome, e.actor_id) for e in entries} == {
        ("Sandbox Discourse", "backup.start", "success", None),
        ("Sandbox Discourse", "backup.finish", "success", None),
        ("Down forum", "backup.start", "failure", None),
    }
    # The failure shows on the forum's row (and so on the overview).
    rows = {r.connection.pk: r for r in selectors.backup_fleet()}
    assert rows[down.pk].last_scheduled_failure == bad
    assert rows[discourse_connection.pk].last_scheduled_failure is None
    assert "Sending due task forumdeck: back up forum" in celery_stack.beat_process.output()
