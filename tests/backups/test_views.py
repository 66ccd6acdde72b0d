"""Backup pages: who may see and do what, the live progress partial, bad input."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from forums.models import BackupRun
from tests.backups.helpers import lift_hold

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true"}


def test_the_fleet_list_shows_each_forum_and_what_nodebb_suggests(
    viewer_client, discourse_connection, nodebb_connection
):
    response = viewer_client.get(reverse("forums:backup-list"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Sandbox Discourse" in html and "Sandbox NodeBB" in html
    assert "Not offered by this forum" in html and "pg_dump" in html
    assert "Stale" in html  # 27 h old against 26 h
    assert "sandbox-forum-" not in html  # the list shows the newest backup's age, not files
    assert 'href="/forums/backups/' in html
    assert "Backups" in html and 'aria-current="page"' in html


def test_the_fleet_partial_for_htmx(viewer_client, discourse_connection):
    response = viewer_client.get(reverse("forums:backup-list") + "?refresh=1", headers=HX)
    html = response.content.decode()
    assert 'id="backup-fleet"' in html and "<html" not in html


def test_a_viewer_sees_files_but_cannot_start_or_schedule(viewer_client, discourse_connection,
                                                           discourse_sandbox):  # fmt: skip
    url = reverse("forums:backup-detail", args=[discourse_connection.pk])
    html = viewer_client.get(url).content.decode()
    assert discourse_sandbox.app.backups[0]["filename"] in html
    assert "Back up now</button>" not in html and "Save the schedule" not in html
    assert "E-mail a download link" not in html
    for name in ("backup-start", "backup-cancel", "backup-link", "backup-schedule"):
        assert viewer_client.post(reverse(f"forums:{name}", args=[discourse_connection.pk])
                                  ).status_code == 403  # fmt: skip
    assert not BackupRun.objects.exists()


def test_a_moderator_backs_up_and_watches_the_progress(moderator_client, discourse_connection,
                                                        discourse_sandbox):  # fmt: skip
    url = reverse("forums:backup-start", args=[discourse_connection.pk])
    response = moderator_client.post(url, {"with_uploads": "on"}, headers=HX)
    html = response.content.decode()
    run = BackupRun.objects.get()
    assert 'id="backup-run"' in html and "<html" not in html
    assert 'hx-trigger="every 2s"' in html and "Running" in html
    poll = reverse("forums:backup-run", args=[discourse_connection.pk, run.pk])
    assert poll in html
    discourse_sandbox.app.backup_running_until = 0
    html = moderator_client.get(poll, headers=HX).content.decode()
    assert "Done" in html and run.__class__.objects.get().filename in html
    assert "every 2s" not in html  # polling stops with the run
    # A moderator may not schedule.
    schedule = reverse("forums:backup-schedule", args=[discourse_connection.pk])
    assert moderator_client.post(schedule, {"frequency": "daily"}).status_code == 403


def test_without_javascript_the_start_redirects_with_a_message(moderator_client,
                                                                discourse_connection):  # fmt: skip
    url = reverse("forums:backup-start", args=[discourse_connection.pk])
    response = moderator_client.post(url, follow=True)
    assert response.redirect_chain[-1][0].endswith(f"/forums/backups/{discourse_connection.pk}/")
    assert "Backup without uploads started." in response.content.decode()


def test_nodebb_start_says_not_offered(moderator_client, nodebb_connection):
    url = reverse("forums:backup-start", args=[nodebb_connection.pk])
    response = moderator_client.post(url, follow=True)
    assert "not offered by this forum" in response.content.decode()


def test_an_admin_schedules_in_their_time_zone(admin_client_, discourse_connection):
    admin_client_.cookies["forumdeck_tz"] = "America/Toronto"
    detail = reverse("forums:backup-detail", args=[discourse_connection.pk])
    html = admin_client_.get(detail).content.decode()
    # A text field with the list of zones to search (issue 26, item 16): the viewer's first.
    assert 'name="timezone_name" value="America/Toronto"' in html
    zones = html[html.index('<datalist id="id_timezone_name-zones">') :].split("</datalist>")[0]
    assert zones.index('"America/Toronto"') < zones.index('"UTC"') < zones.index("Africa/Abidjan")
    assert 'label="America/Toronto · your zone"' in zones
    url = reverse("forums:backup-schedule", args=[discourse_connection.pk])
    response = admin_client_.post(url, {"frequency": "weekly", "weekday": "2", "at_time": "01:15",
                                        "timezone_name": "America/Toronto", "with_uploads": "on",
                                        "stale_after_hours": "200"}, follow=True)  # fmt: skip
    assert "every Wednesday at 01:15 America/Toronto, with uploads" in response.content.decode()
    task = PeriodicTask.objects.get(task="forums.tasks.run_scheduled_backup")
    assert str(task.crontab.timezone) == "America/Toronto"


def test_schedule_bad_input_is_refused_plainly(admin_client_, discourse_connection):
    url = reverse("forums:backup-schedule", args=[discourse_connection.pk])
    response = admin_client_.post(url, {"frequency": "hourly", "at_time": "25:99",
                                        "timezone_name": "Nowhere/Land",
                                        "stale_after_hours": "0"})  # fmt: skip
    html = response.content.decode()
    assert response.status_code == 422
    assert "Select a valid choice" in html and "Enter a valid time" in html
    assert "“Nowhere/Land” is not a time zone" in html
    assert not PeriodicTask.objects.filter(task="forums.tasks.run_scheduled_backup").exists()


def test_the_browser_that_sends_no_time_zone_is_asked(admin_client_, discourse_connection):
    detail = reverse("forums:backup-detail", args=[discourse_connection.pk])
    html = admin_client_.get(detail).content.decode()
    assert "Your browser did not say which time zone" in html


def test_download_link_for_a_missing_file(moderator_client, discourse_connection):
    url = reverse("forums:backup-link", args=[discourse_connection.pk])
    response = moderator_client.post(url, {"filename": "gone.tar.gz"}, follow=True)
    assert "has no backup named gone.tar.gz" in response.content.decode()


def test_a_backup_just_started_runs_for_less_than_a_minute(moderator_client, discourse_connection):
    """Issue 26, item 22: never "Running for 0 minutes"."""
    url = reverse("forums:backup-start", args=[discourse_connection.pk])
    html = moderator_client.post(url, {"with_uploads": "on"}, headers=HX).content.decode()
    assert "Running for less than a minute;" in html
    assert "0 minutes" not in html


def test_the_download_link_says_truthfully_who_receives_it(moderator_client, discourse_connection,
                                                            discourse_sandbox):  # fmt: skip
    detail = reverse("forums:backup-detail", args=[discourse_connection.pk])
    html = moderator_client.get(detail).content.decode()
    # Discourse mails the key's own account (Admin::BackupsController#email: current_user).
    assert "E-mail me a download link" not in html
    assert "E-mail a download link to system" in html
    assert (
        "Discourse e-mails the link to the forum account Forumdeck acts as: system, not to you"
        in html
    )
    name = discourse_sandbox.app.backups[0]["filename"]
    response = moderator_client.post(
        reverse("forums:backup-link", args=[discourse_connection.pk]),
        {"filename": name},
        follow=True,
    )
    page = response.content.decode()
    assert "the forum account Forumdeck acts as: system, not to you" in page
    assert "works only for that account" in page


def test_a_cancel_that_finds_every_call_taken_is_queued_and_sent_when_one_is_free(
    moderator_client, moderator, discourse_connection, discourse_sandbox,
    django_capture_on_commit_callbacks, monkeypatch,
):  # fmt: skip
    import time

    from celery.exceptions import Retry

    from forums import tasks
    from forums.pacing import get_pacer

    moderator_client.post(reverse("forums:backup-start", args=[discourse_connection.pk]), {})
    run = BackupRun.objects.get()
    assert discourse_sandbox.app.backup_pending is not None
    # Other Forumdeck work holds every call to the forum for a while.
    get_pacer().hold_until(discourse_connection, time.time() + 45)
    queued: list = []
    monkeypatch.setattr(
        "forums.backups.services.current_app.send_task",
        lambda name, args, countdown: queued.append((name, args, countdown)),
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = moderator_client.post(
            reverse("forums:backup-cancel", args=[discourse_connection.pk]), follow=True
        )
    page = response.content.decode()
    assert "could not cancel" not in page
    assert "Cancel requested by moe: every call to Sandbox Discourse is taken for about" in page
    assert "Forumdeck sends the cancel as soon as one is free" in page
    assert "Cancel the backup</button>" not in page  # asked once is enough
    assert queued == [("forums.tasks.cancel_backup", (discourse_connection.pk, moderator.pk),
                       queued[0][2])] and 40 <= queued[0][2] <= 46  # fmt: skip
    assert discourse_sandbox.app.backup_pending is not None  # not sent yet

    # The task's try while the calls are still taken: it asks to be retried, sends nothing.
    with pytest.raises(Retry):
        tasks.cancel_backup.run(discourse_connection.pk, moderator.pk)
    assert discourse_sandbox.app.backup_pending is not None
    # A call is free again: the queued cancel goes out and the run says so.
    lift_hold(discourse_connection)
    tasks.cancel_backup.run(discourse_connection.pk, moderator.pk)
    assert discourse_sandbox.app.backup_pending is None
    run.refresh_from_db()
    assert run.state == BackupRun.State.CANCELLED and run.message == "Cancelled by moe."
