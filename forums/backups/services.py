"""Backups: start one (by hand or on schedule), follow it to its end, cancel it, ask the forum
to e-mail a download link, and keep each forum's schedule in django-celery-beat's tables.

Every call sent to a forum is audited. A forum problem never raises out of here: it becomes a
failed run (or a ``ValidationError`` with a plain message before anything is sent), so one
forum's trouble never breaks another forum's row.
"""

from __future__ import annotations

import json
import math
import zoneinfo
from datetime import time, timedelta
from typing import Any

from celery import current_app
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from forums.clients import client_class, get_client
from forums.clients.errors import (
    BackupsDisabled,
    ForumBusy,
    ForumError,
    ForumNotFound,
    ForumRateLimited,
)
from forums.clients.records import Capability
from forums.core.audit import audit_change, audit_record
from forums.models import BackupRun, BackupSchedule, ForumConnection
from forums.pacing import MAX_INLINE_WAIT, Priority, pace_for

from .selectors import forget_cached, running_backup

SCHEDULE_TASK = "forums.tasks.run_scheduled_backup"
# Sent by name: the tasks module calls this one, so importing it here would close a loop.
FOLLOW_TASK = "forums.tasks.follow_backup_run"
FOLLOW_SECONDS = 10
CANCEL_TASK = "forums.tasks.cancel_backup"
CANCEL_QUEUED = "Cancel requested"  # how a run's message starts while its cancel waits
# A run the forum has not finished after this long is given up on (the forum's own log says
# what became of it).
GIVE_UP_AFTER = timedelta(hours=12)
FAILED_MIDWAY = (
    "The forum stopped without writing a new backup file: the backup failed part-way or was "
    "cancelled on the forum. The forum's own backup log (Admin → Backups → Logs) says why."
)
JOINED_ENDED = (
    "The backup or restore that was already running on the forum has ended, and no new "
    "backup file appeared (it was a restore, or it failed)."
)


def _require_backups(connection: ForumConnection) -> None:
    cls = client_class(connection.platform)
    if not cls.supports(Capability.BACKUPS):
        hint = cls.words.extra.get("backups_hint", "")
        message = f"Backups are not offered by this forum ({cls.software})."
        raise ValidationError(f"{message} {hint}".strip())
    if not connection.enabled:
        raise ValidationError(f"{connection.name} is disabled in Forumdeck.")


def backup_start(
    *,
    actor: Any,
    connection: ForumConnection,
    with_uploads: bool,
    trigger: str = BackupRun.Trigger.MANUAL,
) -> BackupRun:
    """Ask the forum to back up now, and return the run that follows it.

    A backup already running there (started by anyone) is followed rather than reported as an
    error. A forum that refuses or cannot be reached gives a failed run with its reason. A
    scheduled run that is rate limited raises ``ForumRateLimited`` (the task retries when the
    forum says); a person's gets a failed run saying when to try again.
    """
    _require_backups(connection)
    ours = running_backup(connection=connection)
    if ours is not None:
        ours = backup_run_refresh(run=ours)
        if not ours.finished:
            return ours
    scheduled = trigger == BackupRun.Trigger.SCHEDULE
    run = BackupRun(
        connection=connection,
        trigger=trigger,
        with_uploads=with_uploads,
        requested_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    what = "Scheduled backup" if scheduled else "Backup"
    what += " with uploads" if with_uploads else " without uploads"
    try:
        with get_client(connection) as client:
            run.files_before = [b.filename for b in client.list_backups()]
            try:
                client.create_backup(with_uploads=with_uploads)
            except ForumBusy:
                run.joined_running = True
                run.message = (
                    "A backup or restore was already running on the forum, so it did not start "
                    "another: Forumdeck follows the one that is running."
                )
            else:
                run.message = f"{what} started."
    except ForumRateLimited as exc:
        if scheduled:
            raise
        run.state, run.message = BackupRun.State.FAILED, str(exc)
    except BackupsDisabled as exc:
        run.state, run.message = BackupRun.State.FAILED, str(exc)
    except ForumError as exc:
        run.state = BackupRun.State.FAILED
        run.message = f"{connection.name} could not start a backup: {exc}"
    if run.state == BackupRun.State.FAILED:
        run.finished_at = timezone.now()
    with transaction.atomic():
        run.save()
        if run.state == BackupRun.State.RUNNING:
            # A worker follows it to its end, whether or not anyone keeps the page open.
            transaction.on_commit(
                lambda: current_app.send_task(FOLLOW_TASK, (run.pk,), countdown=FOLLOW_SECONDS)
            )
        audit_change(
            actor=actor,
            connection=connection,
            action="backup.start",
            ok=run.state == BackupRun.State.RUNNING and not run.joined_running,
            message=run.message,
            details={
                "run_id": run.pk,
                "trigger": trigger,
                "with_uploads": with_uploads,
                "already_running": run.joined_running,
            },
        )
    forget_cached(connection)
    return run


def backup_run_refresh(*, run: BackupRun) -> BackupRun:
    """Ask the forum how a running backup is doing; when it has stopped, settle the run:
    done (a new file is listed) or failed. Safe to call from a page and a task at once."""
    if run.finished:
        return run
    connection = run.connection
    now = timezone.now()
    try:
        with get_client(connection) as client:
            running = client.backup_status().is_running
            backups = [] if running else client.list_backups()
    except ForumError as exc:
        # The forum may be restarting mid-backup: keep following it, unless for far too long.
        if now - run.started_at < GIVE_UP_AFTER:
            BackupRun.objects.filter(pk=run.pk, state=BackupRun.State.RUNNING).update(
                checked_at=now, message=f"Could not ask {connection.name} how it is going: {exc}"
            )
            run.refresh_from_db()
            return run
        return _settle(run, BackupRun.State.FAILED, f"Gave up: {exc}")
    if running:
        if now - run.started_at >= GIVE_UP_AFTER:
            return _settle(run, BackupRun.State.FAILED, "Gave up waiting: still running.")
        BackupRun.objects.filter(pk=run.pk, state=BackupRun.State.RUNNING).update(checked_at=now)
        run.refresh_from_db()
        return run
    before = set(run.files_before)
    new = [b for b in backups if b.filename not in before]
    if new:
        newest = max(new, key=lambda b: (b.last_modified or now, b.filename))
        return _settle(
            run,
            BackupRun.State.SUCCEEDED,
            f"Backup {newest.filename} is ready.",
            filename=newest.filename,
            size=newest.size,
        )
    why = JOINED_ENDED if run.joined_running else FAILED_MIDWAY
    return _settle(run, BackupRun.State.FAILED, why)


def _settle(run: BackupRun, state: str, message: str, **fields: Any) -> BackupRun:
    with transaction.atomic():
        fresh = BackupRun.objects.select_for_update().get(pk=run.pk)
        if fresh.finished:
            return fresh  # another caller settled it first
        now = timezone.now()
        if (fresh.message or "").startswith(CANCEL_QUEUED):
            message += (
                " It ended before the cancel could be sent: every call to the forum was taken."
            )
        fresh.state, fresh.message, fresh.finished_at, fresh.checked_at = state, message, now, now
        for key, value in fields.items():
            setattr(fresh, key, value)
        fresh.save()
        audit_change(
            actor=fresh.requested_by,
            connection=fresh.connection,
            action="backup.finish",
            ok=state == BackupRun.State.SUCCEEDED,
            message=message,
            target=fresh.filename,
            details={"run_id": fresh.pk, "trigger": fresh.trigger},
        )
    forget_cached(fresh.connection)
    return fresh


def backup_cancel(*, actor: Any, connection: ForumConnection, queued: bool = False) -> str:
    """Cancel the backup running on the forum. Returns what happened, in words; raises
    ``ValidationError`` when the forum refused or could not be reached.

    A cancel is a change that must not be lost: when the forum's calls are all taken for now
    (Forumdeck's pace, or the forum asked to wait), it is queued as a task that sends it as
    soon as a call is free and retries until then (``queued``: that task's own try, which
    waits longer for its call and lets ``ForumRateLimited`` reach the task to retry)."""
    _require_backups(connection)
    if queued and running_backup(connection=connection) is None:
        return "Nothing to cancel: the backup ended before a call to the forum was free."
    options: dict = {"priority": Priority.CHANGE}
    if queued:
        options["pacer"] = pace_for(connection, max_wait=MAX_INLINE_WAIT, priority=Priority.CHANGE)
    try:
        with get_client(connection, **options) as client:
            client.cancel_backup()
    except ForumRateLimited as exc:
        if queued:
            raise
        return _cancel_later(actor=actor, connection=connection, wait=exc.retry_after)
    except ForumError as exc:
        audit_change(
            actor=actor, connection=connection, action="backup.cancel", ok=False, message=str(exc)
        )
        raise ValidationError(f"{connection.name} could not cancel the backup: {exc}") from None
    now = timezone.now()
    with transaction.atomic():
        cancelled = BackupRun.objects.filter(
            connection=connection, state=BackupRun.State.RUNNING
        ).update(
            state=BackupRun.State.CANCELLED,
            finished_at=now,
            checked_at=now,
            message=f"Cancelled by {actor.get_username() if actor else 'Forumdeck'}.",
        )
        message = "The forum was asked to cancel its running backup."
        audit_change(
            actor=actor,
            connection=connection,
            action="backup.cancel",
            ok=True,
            message=message,
            details={"runs_cancelled": cancelled},
        )
    forget_cached(connection)
    return message


def _cancel_later(*, actor: Any, connection: ForumConnection, wait: float) -> str:
    seconds = max(math.ceil(wait), 1)
    who = actor.get_username() if getattr(actor, "is_authenticated", False) else "Forumdeck"
    note = (
        f"{CANCEL_QUEUED} by {who}: every call to {connection.name} is taken for about "
        f"{seconds} s, so Forumdeck sends the cancel as soon as one is free."
    )
    actor_id = actor.pk if getattr(actor, "is_authenticated", False) else None
    with transaction.atomic():
        BackupRun.objects.filter(connection=connection, state=BackupRun.State.RUNNING).update(
            message=note
        )
        transaction.on_commit(
            lambda: current_app.send_task(CANCEL_TASK, (connection.pk, actor_id), countdown=seconds)
        )
    return note


def acting_account_words(connection: ForumConnection) -> str:
    """Who receives a backup's download link. The forum e-mails it to the account the API key
    acts as, never to the person who asked (Discourse's Admin::BackupsController#email
    enqueues the mail for current_user), and only that account can use the link (its token
    is tied to it)."""
    who = connection.api_username or "the API key's own user"
    return (
        f"{client_class(connection.platform).software} e-mails the link to the forum account "
        f"Forumdeck acts as: {who}"
    )


def backup_send_download_link(*, actor: Any, connection: ForumConnection, filename: str) -> str:
    """The forum e-mails the account the key acts as (not the person asking) a link to
    download this backup: the forum's API offers nothing else."""
    _require_backups(connection)
    filename = (filename or "").strip()
    if not filename or "/" in filename or len(filename) > 255:
        raise ValidationError("Choose one of the forum's backup files.")
    try:
        with get_client(connection, priority=Priority.CHANGE) as client:
            client.send_backup_download_link(filename=filename)
    except ForumNotFound:
        message = f"{connection.name} has no backup named {filename} (any more)."
        audit_change(
            actor=actor,
            connection=connection,
            action="backup.download_link",
            ok=False,
            message=message,
            target=filename,
        )
        raise ValidationError(message) from None
    except ForumError as exc:
        audit_change(
            actor=actor,
            connection=connection,
            action="backup.download_link",
            ok=False,
            message=str(exc),
            target=filename,
        )
        raise ValidationError(f"{connection.name} could not send the link: {exc}") from None
    message = (
        f"{connection.name} was asked for a download link for {filename}. "
        f"{acting_account_words(connection)}, not to you; the link works only for that account."
    )
    audit_change(
        actor=actor,
        connection=connection,
        action="backup.download_link",
        ok=True,
        message=message,
        target=filename,
    )
    return message


# --- schedules -------------------------------------------------------------------------------
def schedule_task_name(connection: ForumConnection) -> str:
    return f"forumdeck: back up forum #{connection.pk}"


def _crontab(schedule: BackupSchedule):
    from django_celery_beat.models import CrontabSchedule

    # cron counts weekdays from Sunday = 0; Forumdeck from Monday = 0 (like Python).
    day_of_week = "*"
    if schedule.frequency == BackupSchedule.Frequency.WEEKLY:
        day_of_week = str((schedule.weekday + 1) % 7)
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute=str(schedule.at_time.minute),
        hour=str(schedule.at_time.hour),
        day_of_week=day_of_week,
        day_of_month="*",
        month_of_year="*",
        timezone=zoneinfo.ZoneInfo(schedule.timezone),
    )
    return crontab


@transaction.atomic
def backup_schedule_save(
    *,
    actor: Any,
    connection: ForumConnection,
    frequency: str,
    at_time: time,
    timezone_name: str,
    weekday: int = BackupSchedule.Weekday.SUNDAY,
    with_uploads: bool = True,
    stale_after_hours: int | None = None,
) -> BackupSchedule:
    """Keep the forum's schedule and threshold; beat reads the schedule from its table within
    seconds (django-celery-beat notices the change)."""
    from django_celery_beat.models import PeriodicTask

    if frequency not in BackupSchedule.Frequency.values:
        raise ValidationError("Choose daily, weekly or not scheduled.")
    if frequency != BackupSchedule.Frequency.OFF:
        _require_backups(connection)
    try:
        zoneinfo.ZoneInfo(timezone_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f'"{timezone_name}" is not a time zone Forumdeck knows.') from None
    if weekday not in BackupSchedule.Weekday.values:
        raise ValidationError("Choose a day of the week.")
    if stale_after_hours is not None and not 1 <= stale_after_hours <= 24 * 366:
        raise ValidationError("The threshold is a number of hours between 1 and 8784.")
    schedule, _ = BackupSchedule.objects.select_for_update().get_or_create(connection=connection)
    schedule.frequency, schedule.at_time, schedule.timezone = frequency, at_time, timezone_name
    schedule.weekday, schedule.with_uploads = weekday, with_uploads
    schedule.stale_after_hours = stale_after_hours
    schedule.updated_by = actor if getattr(actor, "is_authenticated", False) else None
    task = schedule.periodic_task
    if frequency == BackupSchedule.Frequency.OFF:
        schedule.periodic_task = None
        schedule.save()
        if task is not None:
            task.delete()
    else:
        fields = {
            "task": SCHEDULE_TASK,
            "crontab": _crontab(schedule),
            "interval": None,
            "kwargs": json.dumps({"connection_id": connection.pk}),
            "enabled": True,
            "description": f"Back up {connection.name} ({describe_schedule(schedule)})",
        }
        if task is None:
            task = PeriodicTask.objects.filter(name=schedule_task_name(connection)).first()
        if task is None:
            task = PeriodicTask(name=schedule_task_name(connection))
        for key, value in fields.items():
            setattr(task, key, value)
        task.save()
        schedule.periodic_task = task
        schedule.save()
    audit_record(
        actor=actor,
        action="backup.schedule",
        connection=connection,
        target=connection.name,
        message=f"Backup schedule: {describe_schedule(schedule)}; stale after "
        f"{stale_after_hours or settings.FORUMDECK_BACKUP_STALE_HOURS} hours.",
        details={
            "frequency": frequency,
            "at_time": at_time.strftime("%H:%M"),
            "timezone": timezone_name,
            "weekday": weekday,
            "with_uploads": with_uploads,
            "stale_after_hours": stale_after_hours,
        },
    )
    return schedule


def describe_schedule(schedule: BackupSchedule | None) -> str:
    if schedule is None or schedule.frequency == BackupSchedule.Frequency.OFF:
        return "not scheduled"
    when = f"at {schedule.at_time:%H:%M} {schedule.timezone}"
    uploads = "with uploads" if schedule.with_uploads else "without uploads"
    if schedule.frequency == BackupSchedule.Frequency.WEEKLY:
        return f"every {schedule.get_weekday_display()} {when}, {uploads}"
    return f"daily {when}, {uploads}"


def backup_scheduled_run(*, connection_id: int) -> BackupRun | None:
    """What beat's task does: back the forum up as its schedule says. A forum that is gone
    takes its schedule with it; a disabled one gets a failed run saying so."""
    from django_celery_beat.models import PeriodicTask

    connection = ForumConnection.objects.filter(pk=connection_id).first()
    if connection is None:
        PeriodicTask.objects.filter(name=f"forumdeck: back up forum #{connection_id}").delete()
        return None
    schedule = BackupSchedule.objects.filter(connection=connection).first()
    if schedule is None or schedule.frequency == BackupSchedule.Frequency.OFF:
        return None
    if not connection.enabled:
        run = BackupRun.objects.create(
            connection=connection,
            trigger=BackupRun.Trigger.SCHEDULE,
            with_uploads=schedule.with_uploads,
            state=BackupRun.State.FAILED,
            finished_at=timezone.now(),
            message=f"{connection.name} is disabled in Forumdeck, so no backup was started.",
        )
        return run
    try:
        return backup_start(
            actor=None,
            connection=connection,
            with_uploads=schedule.with_uploads,
            trigger=BackupRun.Trigger.SCHEDULE,
        )
    except ValidationError as exc:
        return BackupRun.objects.create(
            connection=connection,
            trigger=BackupRun.Trigger.SCHEDULE,
            with_uploads=schedule.with_uploads,
            state=BackupRun.State.FAILED,
            finished_at=timezone.now(),
            message=" ".join(exc.messages),
        )
