"""Reading backups: each forum's list (cached briefly), its freshness against its threshold,
and the runs Forumdeck started. Forums are asked in parallel; one that fails or does not offer
backups gets its own status and never holds up the others' rows: the list waits for each forum
``FORUMDECK_INDEX_LIVE_WAIT_SECONDS`` (as the Groups and Tags pages do), and a forum that fails
or is still silent shows the backups Forumdeck last read of it, marked with when. Its call goes
on in its fan-out thread until the shipped deadline, and a late answer is kept for the next
load."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from operator import attrgetter

from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet
from django.utils import timezone

from forums.clients import client_class, get_client
from forums.clients.errors import BackupsDisabled, ForumError
from forums.clients.records import Backup, Capability
from forums.core.fleet import ForumDidNotAnswer, fan_out
from forums.models import BackupRun, BackupSchedule, ForumConnection


class Freshness:
    FRESH = "fresh"
    STALE = "stale"
    NEVER = "never"
    NOT_OFFERED = "not_offered"
    DISABLED = "disabled"
    ERROR = "error"

    LABELS = {
        FRESH: "Fresh",
        STALE: "Stale",
        NEVER: "Never backed up",
        NOT_OFFERED: "Not offered by this forum",
        DISABLED: "Backups disabled on the forum",
        ERROR: "Could not ask the forum",
    }


@dataclass
class ForumBackups:
    """One forum's backups as the list and the overview show them."""

    connection: ForumConnection
    status: str
    backups: list[Backup] = field(default_factory=list)
    error: str = ""
    hint: str = ""  # what the forum's own documentation suggests where it offers no backups
    threshold_hours: int = 26
    schedule: BackupSchedule | None = None
    last_run: BackupRun | None = None
    last_scheduled_failure: BackupRun | None = None
    checked_at: datetime | None = None
    # Failed or silent now: ``backups`` are the ones last read, then.
    last_known_as_of: datetime | None = None

    @property
    def label(self) -> str:
        return Freshness.LABELS[self.status]

    @property
    def newest(self) -> Backup | None:
        dated = [b for b in self.backups if b.last_modified is not None]
        return max(dated, key=attrgetter("last_modified")) if dated else None

    @property
    def age(self) -> timedelta | None:
        newest = self.newest
        if newest is None or newest.last_modified is None:
            return None
        return timezone.now() - newest.last_modified

    @property
    def age_hours(self) -> float | None:
        age = self.age
        return age.total_seconds() / 3600 if age is not None else None

    @property
    def offered(self) -> bool:
        return self.status != Freshness.NOT_OFFERED

    @property
    def running(self) -> bool:
        return bool(self.last_run and not self.last_run.finished)


def cache_key(connection: ForumConnection) -> str:
    return f"forumdeck:backups:{connection.pk}"


def last_known_key(connection: ForumConnection) -> str:
    return f"forumdeck:backups:last:{connection.pk}"


def forget_cached(connection: ForumConnection) -> None:
    cache.delete(cache_key(connection))


def stale_after_hours(schedule: BackupSchedule | None) -> int:
    if schedule is not None and schedule.stale_after_hours:
        return schedule.stale_after_hours
    return settings.FORUMDECK_BACKUP_STALE_HOURS


def _ask(connection: ForumConnection) -> dict:
    """What the forum says, as a cacheable dict (never the key, never a client)."""
    now = timezone.now()
    try:
        with get_client(connection) as client:
            return {"backups": client.list_backups(), "checked_at": now}
    except BackupsDisabled as exc:
        return {"status": Freshness.DISABLED, "error": str(exc), "checked_at": now}
    except ForumError as exc:
        return {"status": Freshness.ERROR, "error": str(exc), "checked_at": now}


def _answer(connection: ForumConnection, refresh: bool) -> dict:
    key = cache_key(connection)
    if not refresh:
        cached = cache.get(key)
        if cached is not None:
            return cached
    answer = _ask(connection)
    cache.set(key, answer, settings.FORUMDECK_BACKUP_CACHE_SECONDS)
    if "backups" in answer:  # also when the page stopped waiting: the next load shows it
        cache.set(last_known_key(connection), answer, settings.FORUMDECK_BACKUP_LAST_KNOWN_SECONDS)
    return answer


def _row(connection: ForumConnection, answer: dict | None) -> ForumBackups:
    schedule = getattr(connection, "_schedule", None)
    cls = client_class(connection.platform)
    row = ForumBackups(
        connection=connection,
        status=Freshness.NOT_OFFERED,
        threshold_hours=stale_after_hours(schedule),
        schedule=schedule,
        hint=cls.words.extra.get("backups_hint", ""),
    )
    runs = BackupRun.objects.filter(connection=connection)
    row.last_run = runs.first()
    last_scheduled = runs.filter(trigger=BackupRun.Trigger.SCHEDULE).first()
    if last_scheduled is not None and last_scheduled.state == BackupRun.State.FAILED:
        row.last_scheduled_failure = last_scheduled
    if not cls.supports(Capability.BACKUPS):
        return row
    if answer is None:
        row.status = Freshness.ERROR
        row.error = f"{connection.name} did not answer in time."
        return row
    row.checked_at = answer.get("checked_at")
    if answer.get("last_known"):
        row.error = answer["error"]
        row.last_known_as_of = row.checked_at
    if "backups" not in answer:
        row.status, row.error = answer["status"], answer["error"]
        return row
    row.backups = sorted(
        answer["backups"],
        key=lambda b: b.last_modified or datetime.min.replace(tzinfo=UTC),
        reverse=True,
    )
    age = row.age_hours
    if age is None:
        row.status = Freshness.NEVER
    else:
        row.status = Freshness.FRESH if age <= row.threshold_hours else Freshness.STALE
    return row


def _with_schedules(connections: list[ForumConnection]) -> list[ForumConnection]:
    schedules = BackupSchedule.objects.in_bulk([c.pk for c in connections])
    for connection in connections:
        connection._schedule = schedules.get(connection.pk)  # type: ignore[attr-defined]
    return connections


def _or_last_known(connection: ForumConnection, answer: dict) -> dict:
    """A failing forum's answer with the backups last read of it, if any (``last_known``)."""
    if answer.get("status") != Freshness.ERROR:
        return answer
    known = cache.get(last_known_key(connection))
    if known is None:
        return answer
    return {**known, "error": answer["error"], "last_known": True}


def backup_fleet(*, refresh: bool = False) -> list[ForumBackups]:
    """Every enabled forum's backups, asked in parallel; a forum that fails or does not answer
    within ``FORUMDECK_INDEX_LIVE_WAIT_SECONDS`` gets its own error, with the backups last
    read of it."""
    connections = _with_schedules(list(ForumConnection.objects.filter(enabled=True)))
    offering = [c for c in connections if client_class(c.platform).supports(Capability.BACKUPS)]
    answers: dict[int, dict] = {}
    wait = settings.FORUMDECK_INDEX_LIVE_WAIT_SECONDS
    for connection, answer in fan_out(
        offering, lambda c: _answer(c, refresh), "backup-fleet", wait
    ):
        if isinstance(answer, BaseException):
            if not isinstance(answer, ForumError):
                raise answer
            error = (
                f"{connection.name} did not answer in time."
                if isinstance(answer, ForumDidNotAnswer)
                else str(answer)
            )
            answer = {"status": Freshness.ERROR, "error": error}
        answers[connection.pk] = _or_last_known(connection, answer)
    return [_row(c, answers.get(c.pk)) for c in connections]


def backup_forum(*, connection: ForumConnection, refresh: bool = False) -> ForumBackups:
    [connection] = _with_schedules([connection])
    if not client_class(connection.platform).supports(Capability.BACKUPS):
        return _row(connection, None)
    return _row(connection, _answer(connection, refresh))


def backup_runs(*, connection: ForumConnection, limit: int = 10) -> QuerySet[BackupRun]:
    return BackupRun.objects.filter(connection=connection).select_related("requested_by")[:limit]


def running_backup(*, connection: ForumConnection) -> BackupRun | None:
    return (
        BackupRun.objects.filter(connection=connection, state=BackupRun.State.RUNNING)
        .order_by("-started_at")
        .first()
    )


@dataclass(frozen=True)
class FleetSummary:
    rows: list[ForumBackups]

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)

    @property
    def fresh(self) -> int:
        return self.count(Freshness.FRESH)

    @property
    def stale(self) -> int:
        return self.count(Freshness.STALE) + self.count(Freshness.NEVER)

    @property
    def offered(self) -> int:
        return sum(1 for r in self.rows if r.offered)

    @property
    def failures(self) -> list[ForumBackups]:
        return [r for r in self.rows if r.last_scheduled_failure]

    @property
    def chart_rows(self) -> list[ForumBackups]:
        return [r for r in self.rows if r.offered]


def backup_fleet_summary(*, refresh: bool = False) -> FleetSummary:
    return FleetSummary(backup_fleet(refresh=refresh))


def _hours_text(hours: float) -> str:
    if hours < 1:
        return f"{round(hours * 60)} min"
    if hours < 48:
        return f"{hours:.0f} h"
    return f"{hours / 24:.0f} d"


def backup_age_chart(rows: list[ForumBackups]):
    """Each forum's newest backup age against its threshold (the line on its row)."""
    from forums.web.charts import Bar, bar_chart

    bars = []
    for row in rows:
        if not row.offered:
            continue
        age = row.age_hours
        if age is None:
            text = detail = "never" if row.status == Freshness.NEVER else row.label.lower()
        else:
            text = _hours_text(age)
            detail = f"{text} old, {row.label.lower()} (stale after {row.threshold_hours} h)"
        css = {"fresh": "ok", "stale": "bad", "never": "bad"}.get(row.status, "warn")
        bars.append(Bar(label=row.connection.name, value=age, text=text, detail=detail, css=css,
                        marker=float(row.threshold_hours)))  # fmt: skip
    return bar_chart(title="Age of each forum's newest backup against its threshold", bars=bars)
