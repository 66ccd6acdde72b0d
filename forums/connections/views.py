"""Forums (connections): list, add, edit, enable or disable, delete, test, overview cards."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from forums.accounts.second_factor import second_factor_required
from forums.core.fleet_index.reads import index_counts_many, index_progress_many
from forums.models import ForumConnection
from forums.web import HtmxHttpRequest, render_page, requires

from . import selectors, services
from .forms import ConnectionForm


@require_GET
@requires("view_forumconnection")
def connection_list(request: HtmxHttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()
    connections = list(selectors.connection_list(search=search))
    healths = selectors.connection_last_healths(connections=connections)
    indexes = index_progress_many(connection_ids=[c.pk for c in connections])
    for connection in connections:
        connection.last_health = healths.get(connection.pk)  # type: ignore[attr-defined]  # for the list
        connection.index_progress = indexes.get(connection.pk)  # type: ignore[attr-defined]
    return render_page(
        request,
        "connections/connection_list.html",
        {"connections": connections, "search": search},
        partial="connection-table",
    )


def _apply_form_errors(form: ConnectionForm, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _saved(request: HtmxHttpRequest, connection: ForumConnection, report, *, created: bool):
    """After "Save and test": back to the list when it works, else to its edit page with the
    test's explanation, and it stays disabled until a test passes."""
    verb = "Added" if created else "Saved"
    if report.ok:
        state = "enabled" if connection.enabled else "disabled, as asked"
        messages.success(request, f"{verb} {connection.name}: the test passed; it is {state}.")
        return redirect("forums:connection-list")
    if connection.enabled:
        messages.warning(
            request, f"{verb} {connection.name}. It stays enabled, but its test failed now."
        )
    else:
        messages.error(
            request,
            f"{verb} {connection.name}, but not enabled: its test failed. Fix the settings "
            "below and save and test again.",
        )
    return redirect("forums:connection-update", pk=connection.pk)


@require_http_methods(["GET", "POST"])
@requires("add_forumconnection")
@second_factor_required
def connection_create(request: HtmxHttpRequest) -> HttpResponse:
    form = ConnectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        kwargs = form.service_kwargs()
        enabled = kwargs.pop("enabled")
        try:
            connection, report = services.connection_save_and_test(
                actor=request.user, enabled=enabled, **kwargs
            )
        except ValidationError as exc:
            _apply_form_errors(form, exc)
        else:
            return _saved(request, connection, report, created=True)
    return render(request, "connections/connection_form.html", {"form": form, "connection": None})


@require_http_methods(["GET", "POST"])
@requires("change_forumconnection")
@second_factor_required
def connection_update(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    connection = get_object_or_404(ForumConnection.objects.defer("api_key"), pk=pk)
    form = ConnectionForm(request.POST or None, instance=connection)
    if request.method == "POST" and form.is_valid():
        kwargs = form.service_kwargs()
        api_key = kwargs.pop("api_key", "")
        enabled = kwargs.pop("enabled")
        # The form's instance was already changed by validation; start from the stored row.
        stored = ForumConnection.objects.get(pk=pk)
        try:
            stored, report = services.connection_save_and_test(
                actor=request.user, connection=stored, api_key=api_key, enabled=enabled, **kwargs
            )
        except ValidationError as exc:
            _apply_form_errors(form, exc)
        else:
            return _saved(request, stored, report, created=False)
    last_report = selectors.connection_last_health(connection=connection)
    return render(
        request,
        "connections/connection_form.html",
        {"form": form, "connection": connection, "report": last_report},
    )


@require_POST
@requires("change_forumconnection")
@second_factor_required
def connection_toggle(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    connection = get_object_or_404(ForumConnection, pk=pk)
    if connection.enabled:
        services.connection_disable(actor=request.user, connection=connection)
        messages.success(request, f"{connection.name} is disabled.")
    else:
        enabled, report = services.connection_enable(actor=request.user, connection=connection)
        if enabled:
            messages.success(request, f"{connection.name} is enabled: its test passed.")
        else:
            messages.error(
                request,
                f"{connection.name} stays disabled: its test failed. {report.error} "
                "Edit it, then save and test again.",
            )
    if request.htmx:
        return HttpResponseClientRedirect(
            request.META.get("HTTP_REFERER") or reverse("forums:connection-list")
        )
    return redirect("forums:connection-list")


@require_http_methods(["GET", "POST"])
@requires("delete_forumconnection")
@second_factor_required
def connection_delete(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    connection = get_object_or_404(ForumConnection.objects.defer("api_key"), pk=pk)
    if request.method == "POST":
        name = connection.name
        try:
            services.connection_delete(actor=request.user, connection=connection)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("forums:connection-list")
        messages.success(request, f"Deleted {name}. Its audit entries are kept.")
        return redirect("forums:connection-list")
    return render(request, "connections/connection_confirm_delete.html", {"connection": connection})


@require_POST
@requires("test_forumconnection")
def connection_test(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    connection = get_object_or_404(ForumConnection, pk=pk)
    report = services.connection_test(actor=request.user, connection=connection)
    context = {"connection": connection, "report": report}
    if request.htmx and request.htmx.target == f"forum-card-{connection.pk}":
        # "Test" on an overview card: the card itself shows the fresh result.
        context["review_links"] = selectors.connection_review_links(connection=connection)
        context["index_counts"] = index_counts_many(connection_ids=[pk]).get(pk)
        return render(request, "dashboard/overview.html#forum-card", context)
    if request.htmx:
        return render(request, "connections/connection_list.html#test-result", context)
    return render(request, "connections/connection_test.html", context)


@require_GET
@requires("view_forumconnection")
def connection_card(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """One overview card; loaded on its own so a slow forum never delays the others."""
    connection = get_object_or_404(ForumConnection, pk=pk)
    refresh = request.GET.get("refresh") == "1"
    report = selectors.connection_health(connection=connection, refresh=refresh)
    review_links = selectors.connection_review_links(connection=connection)
    return render(
        request,
        "dashboard/overview.html#forum-card",
        {
            "connection": connection,
            "report": report,
            "review_links": review_links,
            "index_counts": index_counts_many(connection_ids=[pk]).get(pk),
        },  # fmt: skip
    )
