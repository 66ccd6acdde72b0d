"""Backups across forums: the fleet's freshness, one forum's backups, backing up now with
live progress, cancel, a download link by e-mail, and the forum's schedule."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from forums.core.connections import enabled_connection_or_404
from forums.models import BackupRun, ForumConnection
from forums.web import HtmxHttpRequest, render_page, requires
from forums.web.timezones import browser_timezone_name

from . import selectors, services
from .forms import BackupScheduleForm, BackupStartForm, DownloadLinkForm


@require_GET
@requires("view_backups")
def backup_list(request: HtmxHttpRequest) -> HttpResponse:
    rows = selectors.backup_fleet(refresh=bool(request.GET.get("refresh")))
    return render_page(
        request,
        "backups/backup_list.html",
        {"rows": rows, "summary": selectors.FleetSummary(rows)},
        partial="backup-fleet",
    )


def _detail_context(
    request: HtmxHttpRequest, connection: ForumConnection, *, refresh: bool = False
) -> dict:
    forum = selectors.backup_forum(connection=connection, refresh=refresh)
    browser_tz = browser_timezone_name(request)
    return {
        "connection": connection,
        "forum": forum,
        "runs": selectors.backup_runs(connection=connection),
        "run": selectors.running_backup(connection=connection),
        "start_form": BackupStartForm(),
        "schedule_form": BackupScheduleForm.for_schedule(
            forum.schedule, default_timezone=browser_tz
        ),
        "schedule_text": services.describe_schedule(forum.schedule),
        "browser_tz": browser_tz,
        "link_recipient": services.acting_account_words(connection),
    }


@require_GET
@requires("view_backups")
def backup_detail(request: HtmxHttpRequest, connection_id: int) -> HttpResponse:
    connection = enabled_connection_or_404(connection_id, defer_key=True)
    context = _detail_context(request, connection, refresh=bool(request.GET.get("refresh")))
    return render_page(request, "backups/backup_detail.html", context, partial="backup-files",
                       target="backup-files")  # fmt: skip


@require_POST
@requires("run_backups")
def backup_start(request: HtmxHttpRequest, connection_id: int) -> HttpResponse:
    connection = enabled_connection_or_404(connection_id, defer_key=True)
    form = BackupStartForm(request.POST)
    form.is_valid()  # one optional checkbox: always valid
    try:
        run = services.backup_start(
            actor=request.user,
            connection=connection,
            with_uploads=form.cleaned_data.get("with_uploads", False),
        )
    except ValidationError as exc:
        if request.htmx:
            return render_page(request, "backups/backup_detail.html",
                               {"connection": connection, "run": None,
                                "run_error": " ".join(exc.messages)},
                               partial="backup-run")  # fmt: skip
        messages.error(request, " ".join(exc.messages))
        return redirect("forums:backup-detail", connection_id=connection.pk)
    if request.htmx:
        context = {"connection": connection, "run": run}
        return render_page(request, "backups/backup_detail.html", context, partial="backup-run")
    (messages.error if run.state == BackupRun.State.FAILED else messages.success)(
        request, run.message
    )
    return redirect("forums:backup-detail", connection_id=connection.pk)


@require_GET
@requires("view_backups")
def backup_run(request: HtmxHttpRequest, connection_id: int, run_id: int) -> HttpResponse:
    """One run's progress, read from the forum's status: the page polls it until it ends."""
    connection = enabled_connection_or_404(connection_id, defer_key=True)
    run = get_object_or_404(BackupRun, pk=run_id, connection=connection)
    run = services.backup_run_refresh(run=run)
    if not request.htmx:
        return redirect("forums:backup-detail", connection_id=connection.pk)
    return render_page(request, "backups/backup_detail.html",
                       {"connection": connection, "run": run, "just_finished": run.finished},
                       partial="backup-run")  # fmt: skip


@require_POST
@requires("run_backups")
def backup_cancel(request: HtmxHttpRequest, connection_id: int) -> HttpResponse:
    connection = enabled_connection_or_404(connection_id, defer_key=True)
    try:
        messages.success(request, services.backup_cancel(actor=request.user, connection=connection))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("forums:backup-detail", connection_id=connection.pk)


@require_POST
@requires("run_backups")
def backup_link(request: HtmxHttpRequest, connection_id: int) -> HttpResponse:
    connection = enabled_connection_or_404(connection_id, defer_key=True)
    form = DownloadLinkForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Choose one of the forum's backup files.")
        message = services.backup_send_download_link(
            actor=request.user, connection=connection, filename=form.cleaned_data["filename"]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, message)
    return redirect("forums:backup-detail", connection_id=connection.pk)


@require_http_methods(["GET", "POST"])
@requires("schedule_backups")
def backup_schedule(request: HtmxHttpRequest, connection_id: int) -> HttpResponse:
    connection = enabled_connection_or_404(connection_id, defer_key=True)
    if request.method == "GET":
        return redirect("forums:backup-detail", connection_id=connection.pk)
    form = BackupScheduleForm(request.POST, default_timezone=browser_timezone_name(request))
    if form.is_valid():
        data = form.cleaned_data
        try:
            schedule = services.backup_schedule_save(
                actor=request.user,
                connection=connection,
                frequency=data["frequency"],
                weekday=data["weekday"],
                at_time=data["at_time"],
                timezone_name=data["timezone_name"],
                with_uploads=data["with_uploads"],
                stale_after_hours=data["stale_after_hours"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                f"{connection.name}: {services.describe_schedule(schedule)}.",
            )
            return redirect("forums:backup-detail", connection_id=connection.pk)
    context = _detail_context(request, connection)
    context["schedule_form"] = form
    return render_page(request, "backups/backup_detail.html", context, status=422)
