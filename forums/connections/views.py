from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from . import selectors, services
from .clients import client_class
from .forms import AuditFilterForm, ConnectionForm
from .models import ForumConnection


def _perm(codename: str):
    return permission_required(f"forums.{codename}", raise_exception=True)


@require_GET
@_perm("view_forumconnection")
def connection_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()
    connections = selectors.connection_list(search=search)
    template = "forums/connection_list.html"
    if request.htmx:
        template += "#connection-table"
    return render(request, template, {"connections": connections, "search": search})


def _apply_form_errors(form: ConnectionForm, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@require_http_methods(["GET", "POST"])
@_perm("add_forumconnection")
def connection_create(request: HttpRequest) -> HttpResponse:
    form = ConnectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            connection = services.connection_create(actor=request.user, **form.service_kwargs())
        except ValidationError as exc:
            _apply_form_errors(form, exc)
        else:
            messages.success(request, f"Added {connection.name}. Test it to see it answer.")
            return redirect("forums:connection-list")
    return render(request, "forums/connection_form.html", {"form": form, "connection": None})


@require_http_methods(["GET", "POST"])
@_perm("change_forumconnection")
def connection_update(request: HttpRequest, pk: int) -> HttpResponse:
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
    return render(request, "forums/connection_form.html", {"form": form, "connection": connection})


@require_POST
@_perm("change_forumconnection")
def connection_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    connection = get_object_or_404(ForumConnection, pk=pk)
    services.connection_update(
        actor=request.user, connection=connection, enabled=not connection.enabled
    )
    state = "enabled" if connection.enabled else "disabled"
    messages.success(request, f"{connection.name} is {state}.")
    if request.htmx:
        return HttpResponseClientRedirect(request.META.get("HTTP_REFERER") or "/forums/")
    return redirect("forums:connection-list")


@require_http_methods(["GET", "POST"])
@_perm("delete_forumconnection")
def connection_delete(request: HttpRequest, pk: int) -> HttpResponse:
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
    return render(request, "forums/connection_confirm_delete.html", {"connection": connection})


@require_POST
@_perm("test_forumconnection")
def connection_test(request: HttpRequest, pk: int) -> HttpResponse:
    connection = get_object_or_404(ForumConnection, pk=pk)
    report = services.connection_test(actor=request.user, connection=connection)
    context = {"connection": connection, "report": report}
    if request.htmx:
        return render(request, "forums/connection_list.html#test-result", context)
    return render(request, "forums/connection_test.html", context)


@require_GET
@_perm("view_forumconnection")
def connection_card(request: HttpRequest, pk: int) -> HttpResponse:
    """One overview card; loaded on its own so a slow forum never delays the others."""
    connection = get_object_or_404(ForumConnection, pk=pk)
    refresh = request.GET.get("refresh") == "1"
    report = selectors.connection_health(connection=connection, refresh=refresh)
    review_links = [
        (label, connection.base_url + path)
        for label, path in client_class(connection.platform).review_pages
    ]
    return render(
        request,
        "dashboard/overview.html#forum-card",
        {"connection": connection, "report": report, "review_links": review_links},
    )


@require_GET
@_perm("view_auditentry")
def audit_list(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET)
    filters = form.cleaned_data if form.is_valid() else {}
    entries = selectors.audit_list(
        actor_id=filters.get("actor"),
        connection_id=filters.get("forum"),
        action=filters.get("action") or "",
    ).select_related("actor")
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "filters": filters,
        "choices": selectors.audit_filter_choices(),
        "query": query.urlencode(),
    }
    template = "forums/audit_list.html"
    if request.htmx:
        template += "#audit-table"
    return render(request, template, context)
