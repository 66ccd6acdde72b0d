"""Backup services against the sandbox Discourse (and NodeBB, which offers none)."""

from __future__ import annotations

import json
from datetime import time
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django_celery_beat.models import PeriodicTask

from forums.backups import selectors, services
from forums.backups.selectors import Freshness
from forums.models import AuditEntry, BackupRun, BackupSchedule
from tests.backups.helpers import lift_hold

pytestmark = pytest.mark.django_db


@pytest.fixture
def app(discourse_sandbox):
    return discourse_sandbox.app


def save_schedule(actor, connection, frequency: str):
    return services.backup_schedule_save(
        actor=actor, connection=connection, frequency=frequency, at_time=time(4),
        timezone_name="UTC",
    )  # fmt: skip


def finish(app) -> None:
    app.backup_running_until = 0  # the forum's backup job ends now


def test_back_up_now_runs_to_done_with_the_new_file(discourse_connection, app, moderator):
    run = services.backup_start(actor=moderator, connection=discourse_connection, with_uploads=True)
    assert run.state == BackupRun.State.RUNNING and not run.joined_running
    assert len(run.files_before) == 2
    assert services.backup_run_refresh(run=run).state == BackupRun.State.RUNNING
    finish(app)
    run = services.backup_run_refresh(run=run)
    assert run.state == BackupRun.State.SUCCEEDED
    assert run.filename.endswith(".tar.gz") and run.size == 52_000_000
    assert run.filename in run.message
    actions = list(
        AuditEntry.objects.exclude(action__startswith="account.")
        .order_by("id")
        .values_list("action", "outcome", "actor")
    )
    assert actions == [("backup.start", "success", moderator.pk),
                       ("backup.finish", "success", moderator.pk)]  # fmt: skip
    # The forum got the string "true" (Discourse compares params[:with_uploads] == "true").
    posts = [c for c in app.calls.records() if c.method == "POST"]
    assert posts[-1].body == {"with_uploads": "true"}
    forum = selectors.backup_forum(connection=discourse_connection, refresh=True)
    assert forum.newest.filename == run.filename and forum.status == Freshness.FRESH


def test_a_backup_already_running_is_followed_not_an_error(discourse_connection, app, moderator):
    app.backup_pending = {"filename": "other-2026.sql.gz", "size": 10, "last_modified": app.now}
    app.backup_running_until = 10**12
    run = services.backup_start(
        actor=moderator, connection=discourse_connection, with_uploads=False
    )
    assert run.state == BackupRun.State.RUNNING and run.joined_running
    assert "already running" in run.message
    # Asking again while it runs gives the same run, not a second one.
    assert services.backup_start(actor=moderator, connection=discourse_connection,
                                 with_uploads=False).pk == run.pk  # fmt: skip
    finish(app)
    run = services.backup_run_refresh(run=run)
    assert run.state == BackupRun.State.SUCCEEDED and run.filename == "other-2026.sql.gz"


def test_a_backup_that_fails_midway_is_failed_with_a_plain_reason(
    discourse_connection, app, moderator
):
    app.backup_fails = True
    run = services.backup_start(
        actor=moderator, connection=discourse_connection, with_uploads=False
    )
    finish(app)
    run = services.backup_run_refresh(run=run)
    assert run.state == BackupRun.State.FAILED
    assert "without writing a new backup file" in run.message
    entry = AuditEntry.objects.get(action="backup.finish")
    assert entry.outcome == "failure" and entry.message == run.message
    # Settling twice (the page and the worker at once) audits once.
    assert services.backup_run_refresh(run=run).state == BackupRun.State.FAILED
    assert AuditEntry.objects.filter(action="backup.finish").count() == 1


def test_backups_disabled_on_the_forum(discourse_connection, app, moderator):
    app.config.enable_backups = False
    run = services.backup_start(actor=moderator, connection=discourse_connection, with_uploads=True)
    assert run.state == BackupRun.State.FAILED and "enable_backups" in run.message
    assert AuditEntry.objects.get(action="backup.start").outcome == "failure"
    row = selectors.backup_forum(connection=discourse_connection, refresh=True)
    assert row.status == Freshness.DISABLED and row.label == "Backups disabled on the forum"


def test_a_forum_that_is_down_fails_alone(discourse_connection, app, moderator):
    from tests.factories import ForumConnectionFactory

    down = ForumConnectionFactory(name="Down forum", base_url="http://127.0.0.1:9",
                                  api_key="k" * 20)  # fmt: skip
    run = services.backup_start(actor=moderator, connection=down, with_uploads=False)
    assert run.state == BackupRun.State.FAILED and "could not start a backup" in run.message
    rows = {r.connection.name: r for r in selectors.backup_fleet(refresh=True)}
    assert rows["Down forum"].status == Freshness.ERROR and rows["Down forum"].error
    assert rows["Sandbox Discourse"].status in (Freshness.FRESH, Freshness.STALE)
    assert len(rows["Sandbox Discourse"].backups) == 2


def test_nodebb_does_not_offer_backups_and_says_what_to_do(nodebb_connection, moderator):
    with pytest.raises(ValidationError) as caught:
        services.backup_start(actor=moderator, connection=nodebb_connection, with_uploads=True)
    assert "not offered by this forum" in caught.value.messages[0]
    assert "dump.rdb" in caught.value.messages[0]
    [row] = selectors.backup_fleet()
    assert row.status == Freshness.NOT_OFFERED and "public/uploads" in row.hint
    assert not BackupRun.objects.exists()


def test_cancel(discourse_connection, app, moderator):
    run = services.backup_start(
        actor=moderator, connection=discourse_connection, with_uploads=False
    )
    message = services.backup_cancel(actor=moderator, connection=discourse_connection)
    assert "cancel" in message
    run.refresh_from_db()
    assert run.state == BackupRun.State.CANCELLED
    assert app.backup_pending is None
    assert AuditEntry.objects.filter(action="backup.cancel", outcome="success").exists()


def test_download_link(discourse_connection, app, moderator):
    name = app.backups[0]["filename"]
    message = services.backup_send_download_link(actor=moderator, connection=discourse_connection,
                                                  filename=name)  # fmt: skip
    assert "Discourse e-mails the link to the forum account Forumdeck acts as: system" in message
    assert app.calls.count("PUT", f"/admin/backups/{name}", status=200) == 1
    with pytest.raises(ValidationError, match="no backup named nope.tar.gz"):
        services.backup_send_download_link(actor=moderator, connection=discourse_connection,
                                           filename="nope.tar.gz")  # fmt: skip
    outcomes = list(AuditEntry.objects.filter(action="backup.download_link")
                    .order_by("id").values_list("outcome", flat=True))  # fmt: skip
    assert outcomes == ["success", "failure"]


def test_freshness_against_the_forum_or_global_threshold(
    discourse_connection, admin_user, settings
):
    # The sandbox's newest backup is 27 hours old.
    settings.FORUMDECK_BACKUP_STALE_HOURS = 26
    row = selectors.backup_forum(connection=discourse_connection, refresh=True)
    assert row.status == Freshness.STALE and 26.9 < row.age_hours < 27.1
    services.backup_schedule_save(actor=admin_user, connection=discourse_connection,
                                  frequency="off", at_time=time(3), timezone_name="UTC",
                                  stale_after_hours=30)  # fmt: skip
    row = selectors.backup_forum(connection=discourse_connection)
    assert row.status == Freshness.FRESH and row.threshold_hours == 30
    assert selectors.FleetSummary(selectors.backup_fleet()).stale == 0


def test_a_schedule_is_a_database_row_beat_reads(discourse_connection, admin_user):
    schedule = services.backup_schedule_save(
        actor=admin_user, connection=discourse_connection, frequency="weekly",
        weekday=BackupSchedule.Weekday.MONDAY, at_time=time(2, 30),
        timezone_name="Europe/Berlin", with_uploads=False,
    )  # fmt: skip
    task = PeriodicTask.objects.get(pk=schedule.periodic_task_id)
    assert task.task == "forums.tasks.run_scheduled_backup" and task.enabled
    assert json.loads(task.kwargs) == {"connection_id": discourse_connection.pk}
    cron = task.crontab
    assert (cron.minute, cron.hour, cron.day_of_week) == ("30", "2", "1")  # cron: Monday = 1
    assert cron.timezone == ZoneInfo("Europe/Berlin")
    assert services.describe_schedule(schedule) == (
        "every Monday at 02:30 Europe/Berlin, without uploads"
    )
    save_schedule(admin_user, discourse_connection, "daily")
    task.refresh_from_db()
    assert (task.crontab.hour, task.crontab.day_of_week) == ("4", "*")
    assert PeriodicTask.objects.filter(task="forums.tasks.run_scheduled_backup").count() == 1
    save_schedule(admin_user, discourse_connection, "off")
    assert not PeriodicTask.objects.filter(task="forums.tasks.run_scheduled_backup").exists()
    assert AuditEntry.objects.filter(action="backup.schedule").count() == 3
    with pytest.raises(ValidationError, match="not a time zone"):
        services.backup_schedule_save(actor=admin_user, connection=discourse_connection,
                                      frequency="daily", at_time=time(4),
                                      timezone_name="Mars/Olympus")  # fmt: skip


def test_a_scheduled_run_of_a_disabled_or_deleted_forum(discourse_connection, admin_user, app):
    save_schedule(admin_user, discourse_connection, "daily")
    run = services.backup_scheduled_run(connection_id=discourse_connection.pk)
    assert run.trigger == BackupRun.Trigger.SCHEDULE and run.state == BackupRun.State.RUNNING
    assert run.with_uploads is True and run.requested_by is None
    finish(app)
    services.backup_run_refresh(run=run)
    discourse_connection.enabled = False
    discourse_connection.save()
    run = services.backup_scheduled_run(connection_id=discourse_connection.pk)
    assert run.state == BackupRun.State.FAILED and "disabled in Forumdeck" in run.message
    row = selectors.backup_forum(connection=discourse_connection)
    assert row.last_scheduled_failure == run
    pk = discourse_connection.pk
    discourse_connection.delete()
    assert services.backup_scheduled_run(connection_id=pk) is None
    assert not PeriodicTask.objects.filter(name=f"forumdeck: back up forum #{pk}").exists()


def test_a_backup_that_ends_while_its_cancel_waits_says_so(
    discourse_connection, app, moderator, monkeypatch
):
    import time

    from forums import tasks
    from forums.pacing import get_pacer

    run = services.backup_start(
        actor=moderator, connection=discourse_connection, with_uploads=False
    )
    get_pacer().hold_until(discourse_connection, time.time() + 45)
    monkeypatch.setattr("forums.backups.services.current_app.send_task", lambda *a, **k: None)
    message = services.backup_cancel(actor=moderator, connection=discourse_connection)
    assert message.startswith("Cancel requested by moe")
    lift_hold(discourse_connection)
    finish(app)
    run = services.backup_run_refresh(run=run)
    assert run.state == BackupRun.State.SUCCEEDED
    assert "It ended before the cancel could be sent" in run.message
    app.calls.clear()
    tasks.cancel_backup.run(discourse_connection.pk, moderator.pk)  # nothing left to cancel
    assert app.calls.count(method="DELETE") == 0
