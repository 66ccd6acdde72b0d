"""A forum's part of the fleet index: its progress, reading it again, its webhook."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseStopPolling

from forums.accounts.second_factor import second_factor_required
from forums.clients import client_class
from forums.clients.errors import ForumError
from forums.models import ForumConnection
from forums.web import HtmxHttpRequest, render_page, requires

from . import selectors, services
from .forms import SyncForm


def _context(request: HttpRequest, connection: ForumConnection) -> dict:
    cls = client_class(connection.platform)
    progress = selectors.index_progress(connection=connection)
    return {
        "connection": connection,
        "progress": progress,
        "polling": bool(progress and progress.running),
        "form": SyncForm(),
        "pushes_webhooks": cls.pushes_webhooks,
        "webhook_setup_help": cls.webhook_setup_help,
        "webhook_one_click": cls.webhook_one_click,
        "webhook_missing_note": cls.webhook_missing_note,
        "webhook_url": request.build_absolute_uri(
            reverse("forums:index-webhook", args=[connection.pk])
        ),
    }


@require_GET
@requires("view_forumconnection")
def index_list(request: HtmxHttpRequest) -> HttpResponse:
    """Every forum's part of the index at a glance: read whole, being read, or not yet."""
    connections = list(ForumConnection.objects.defer("api_key").order_by("name"))
    progress = selectors.index_progress_many(connection_ids=[c.pk for c in connections])
    rows = [(c, progress.get(c.pk)) for c in connections]
    return render_page(request, "index/index_list.html", {"rows": rows})


@require_GET
@requires("view_forumconnection")
def index_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The forum's part of the index; while a read is under way its progress polls itself
    ("3,400 of 48,000 accounts"), and the polling stops when the read ends."""
    connection = get_object_or_404(ForumConnection, pk=pk)
    context = _context(request, connection)
    if request.htmx and request.htmx.target == "index-progress" and not context["polling"]:
        html = render_to_string("index/index_detail.html#index-progress", context, request=request)
        return HttpResponseStopPolling(html)
    page = "index/index_detail.html"
    return render_page(request, page, context, partial="index-progress", target="index-progress")


@require_POST
@requires("sync_forum_index")
@second_factor_required
def index_sync(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    connection = get_object_or_404(ForumConnection, pk=pk)
    form = SyncForm(request.POST)
    restart = form.is_valid() and form.cleaned_data["restart"]
    if not connection.enabled:
        messages.error(request, f"{connection.name} is disabled: enable it before reading it.")
    else:
        services.index_sync_request(connection=connection, force=restart)
        messages.success(
            request,
            f"Forumdeck is reading {connection.name} into its index, within its share of the "
            "forum's pace.",
        )
    return redirect("forums:index-detail", pk=connection.pk)


@require_POST
@requires("sync_forum_index")
@second_factor_required
def index_webhook_secret(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """A new webhook secret, shown on this answer only (never stored in the clear)."""
    connection = get_object_or_404(ForumConnection, pk=pk)
    context = _context(request, connection)
    if not context["pushes_webhooks"]:
        messages.error(request, f"{connection.name} cannot send webhooks to Forumdeck.")
        return redirect("forums:index-detail", pk=connection.pk)
    context["new_secret"] = services.index_webhook_secret_rotate(connection=connection)
    context["progress"] = selectors.index_progress(connection=connection)
    response = render_page(request, "index/index_detail.html", context)
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@requires("sync_forum_index")
@second_factor_required
def index_webhook_connect(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """One click: Forumdeck sets the forum's webhook up through its API, with a new secret the
    forum keeps (so nobody needs to see it)."""
    connection = get_object_or_404(ForumConnection, pk=pk)
    if not client_class(connection.platform).webhook_one_click or not connection.enabled:
        messages.error(request, f"Forumdeck cannot set up {connection.name}'s webhook itself.")
        return redirect("forums:index-detail", pk=connection.pk)
    url = _context(request, connection)["webhook_url"]
    try:
        services.index_webhook_connect(connection=connection, url=url, actor=request.user)
    except ForumError as exc:
        messages.error(request, f"{connection.name} did not take the webhook: {exc}")
    else:
        messages.success(
            request,
            f"{connection.name} now tells Forumdeck about changed accounts, groups and tags as "
            "they change.",
        )
    return redirect("forums:index-detail", pk=connection.pk)


@csrf_exempt  # signed by the forum with the shared secret instead
@login_not_required
@require_POST
def index_webhook(request: HttpRequest, pk: int) -> HttpResponse:
    """A forum's webhook delivery: verified, never replayed, rate-limited, and able to change
    nothing but the index (``services.index_webhook_receive``)."""
    try:
        event = services.index_webhook_receive(
            connection_id=pk, headers=dict(request.headers), body=request.body
        )
    except services.WebhookRefused as refused:
        return JsonResponse({"error": str(refused)}, status=refused.status)
    return JsonResponse({"ok": True, "event": event.name})
