"""Forums (connections): list, add, edit, enable or disable, delete, test, overview cards."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from forums.models import ForumConnection
from forums.web import HtmxHttpRequest, render_page, requires

from . import selectors, services
from .forms import ConnectionForm


@require_GET
@requires("view_forumconnection")
def connection_list(request: HtmxHttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()
    connections = selectors.connection_list(search=search)
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


@require_http_methods(["GET", "POST"])
@requires("add_forumconnection")
def connection_create(request: HtmxHttpRequest) -> HttpResponse:
    form = ConnectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            connection = services.connection_create(actor=request.user, **form.service_kwargs())
        except ValidationError as exc:
            _apply_form_errors(form, exc)
        else:
            messages.success(request, f"Added {connection.name}. Test it to see it answer.")
            return redirect("forums:connection-list")
    return render(request, "connections/connection_form.html", {"form": form, "connection": None})


@require_http_methods(["GET", "POST"])
@requires("change_forumconnection")
def connection_update(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    connection = get_object_or_404(ForumConnection.objects.defer("api_key"), pk=pk)
    form = ConnectionForm(request.POST or None, instance=connection)
    if request.method == "POST" and form.is_valid():
        kwargs = form.service_kwargs()
        api_key = kwargs.pop("api_key", "")
        # The form's instance was already changed by validation; start from the stored row.
        stored = ForumConnection.objects.get(pk=pk)
        try:
            services.connection_update(
                actor=request.user, connection=stored, api_key=api_key, **kwargs
            )
        except ValidationError as exc:
            _apply_form_errors(form, exc)
        else:
            messages.success(request, f"Saved {stored.name}.")
            return redirect("forums:connection-list")
    return render(
        request, "connections/connection_form.html", {"form": form, "connection": connection}
    )


@require_POST
@requires("change_forumconnection")
def connection_toggle(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    connection = get_object_or_404(ForumConnection, pk=pk)
    services.connection_update(
        actor=request.user, connection=connection, enabled=not connection.enabled
    )
    state = "enabled" if connection.enabled else "disabled"
    messages.success(request, f"{connection.name} is {state}.")
    if request.htmx:
        return HttpResponseClientRedirect(
            request.META.get("HTTP_REFERER") or reverse("forums:connection-list")
        )
    return redirect("forums:connection-list")


@require_http_methods(["GET", "POST"])
@requires("delete_forumconnection")
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
        {"connection": connection, "report": report, "review_links": review_links},
    )
