"""Groups across forums: the table of every group, a group's page with its members, create,
edit, delete, members in bulk and sync across forums."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods

from forums.clients import client_class
from forums.clients.errors import ForumError
from forums.clients.records import Capability
from forums.core.connections import enabled_connection_or_404
from forums.models import ForumConnection
from forums.web import HtmxHttpRequest, render_page, requires
from forums.web.exports import csv_response
from forums.web.outcomes import planning_proposed, proposed_or_done
from forums.web.uploads import upload_refusal

from . import selectors, services
from .forms import (
    GroupCreateForm,
    GroupDeleteForm,
    GroupEditForm,
    GroupSearchForm,
    MembersForm,
    SyncForm,
)

GROUPS_PER_PAGE = 50


def _query_without_page(request: HtmxHttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("refresh", None)
    return query.urlencode()


@require_GET
@requires("view_forumconnection")
def group_list(request: HtmxHttpRequest) -> HttpResponse:
    form = GroupSearchForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    result = selectors.group_list(
        query=filters.get("q") or "",
        connection_ids=[c.pk for c in filters.get("forum") or []],
        refresh=bool(request.GET.get("refresh")),
    )
    rows = result.rows
    if filters.get("kind") == "ordinary":
        rows = [r for r in rows if not r.group.automatic]
    elif filters.get("kind") == "automatic":
        rows = [r for r in rows if r.group.automatic]
    context = {
        "form": form,
        "result": result,
        "page": Paginator(rows, GROUPS_PER_PAGE).get_page(request.GET.get("page")),
        "query": _query_without_page(request),
    }
    return render_page(request, "groups/group_list.html", context, partial="group-table")


@require_http_methods(["GET", "POST"])
@requires("change_forum_groups")
def group_create(request: HtmxHttpRequest) -> HttpResponse:
    form = GroupCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        connections = list(data["connections"])
        fields = {k: data[k] for k in ("name", "full_name", "description", "visible")}
        fields["private"] = bool(data.get("private"))
        try:
            if len(connections) > 1:
                if not request.user.has_perm("forums.propose_bulkaction"):
                    raise PermissionDenied("Creating a group on several forums is a bulk action.")
                action = services.group_create_propose(
                    actor=request.user, connections=connections, **fields
                )
                messages.success(
                    request,
                    f"Proposed bulk action #{action.pk}: create {data['name']} on "
                    f"{len(connections)} forums. Another person approves it first.",
                )
                return redirect("forums:bulk-detail", pk=action.pk)
            outcome = services.group_create(actor=request.user, connection=connections[0], **fields)
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            if outcome.ok and outcome.group is not None:
                messages.success(request, outcome.message)
                return redirect(
                    "forums:group-detail", connection_id=connections[0].pk, key=outcome.group.key
                )
            form.add_error(None, outcome.message)
    return render(request, "groups/group_form.html", {"form": form, "creating": True})


def _group_context(request: HtmxHttpRequest, connection: ForumConnection, key: str) -> dict:
    lookup = selectors.group_lookup(connection=connection, key=key)
    cls = client_class(connection.platform)
    user = request.user
    editable = lookup.group is not None and not lookup.locked_reason
    members_offered = cls.supports(Capability.GROUP_MEMBERS)
    return {
        "connection": connection,
        "key": key,
        "lookup": lookup,
        "group": lookup.group,
        "software": cls.software,
        "members_offered": members_offered,
        "can_change": editable and user.has_perm("forums.change_forum_groups"),
        "can_propose": editable and members_offered and user.has_perm("forums.propose_bulkaction"),
    }


def _members_not_offered(connection: ForumConnection) -> str:
    software = client_class(connection.platform).software
    return f"{software} does not list a group's members through its API."


@require_GET
@requires("view_forumconnection")
def group_detail(request: HtmxHttpRequest, connection_id: int, key: str) -> HttpResponse:
    connection = enabled_connection_or_404(connection_id)
    query = (request.GET.get("q") or "").strip()[:100]
    try:
        number = max(int(request.GET.get("page") or 1), 1)
    except ValueError:
        number = 1
    if client_class(connection.platform).supports(Capability.GROUP_MEMBERS):
        members = selectors.group_members(connection=connection, key=key, query=query, page=number)
    else:
        members = selectors.MembersLookup(None, _members_not_offered(connection))
    if request.htmx and request.htmx.target == "group-members":
        context: dict[str, Any] = {
            "connection": connection,
            "key": key,
            "members": members,
            "q": query,
        }
        return render_page(request, "groups/group_detail.html", context, partial="group-members")
    context = _group_context(request, connection, key)
    context.update(members=members, q=query)
    status = 404 if context["lookup"].gone else 200
    return render(request, "groups/group_detail.html", context, status=status)


@require_GET
@requires("view_forumconnection")
def group_members_csv(request: HtmxHttpRequest, connection_id: int, key: str) -> HttpResponseBase:
    connection = enabled_connection_or_404(connection_id)
    if not client_class(connection.platform).supports(Capability.GROUP_MEMBERS):
        messages.error(request, _members_not_offered(connection))
        return redirect("forums:group-detail", connection_id=connection.pk, key=key)
    members = selectors.group_members_all(connection=connection, key=key)
    try:
        first = next(members, None)  # a forum error shows here, before the download starts
    except ForumError as exc:
        messages.error(request, f"{connection.name} could not list the members: {exc}")
        return redirect("forums:group-detail", connection_id=connection.pk, key=key)

    def rows():
        for member in [first, *members] if first is not None else []:
            seen = member.last_seen_at.isoformat() if member.last_seen_at else ""
            yield (connection.name, key, member.id, member.username, member.name, seen)

    header = ["forum", "group", "user_id", "username", "name", "last_seen_at"]
    return csv_response(slugify(f"{connection.name}-{key}-members"), header, rows())


@require_http_methods(["GET", "POST"])
@requires("change_forum_groups")
def group_edit(request: HtmxHttpRequest, connection_id: int, key: str) -> HttpResponse:
    connection = enabled_connection_or_404(connection_id)
    context = _group_context(request, connection, key)
    group = context["group"]
    initial = (
        {"name": group.name, "full_name": group.full_name, "description": group.description,
         "visible": group.visible, "private": group.private} if group else None
    )  # fmt: skip
    form = GroupEditForm(request.POST or None, initial=initial, connection=connection)
    if request.method == "POST" and form.is_valid():
        try:
            outcome = services.group_update(
                actor=request.user, connection=connection, key=key, **form.cleaned_data
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            if outcome.ok and outcome.group is not None:
                messages.success(request, outcome.message)
                return redirect(
                    "forums:group-detail", connection_id=connection.pk, key=outcome.group.key
                )
            form.add_error(None, outcome.message)
    context["form"] = form
    return render(request, "groups/group_form.html", context)


@require_http_methods(["GET", "POST"])
@requires("change_forum_groups")
def group_delete(request: HtmxHttpRequest, connection_id: int, key: str) -> HttpResponse:
    connection = enabled_connection_or_404(connection_id)
    context = _group_context(request, connection, key)
    group = context["group"]
    form = GroupDeleteForm(request.POST or None, name=group.name if group else key)
    if request.method == "POST" and form.is_valid():
        needs_approval = group is not None and (group.user_count is None or group.user_count)
        if needs_approval and not request.user.has_perm("forums.propose_bulkaction"):
            raise PermissionDenied("Deleting a group with members is a bulk action.")
        try:
            outcome = services.group_delete(
                actor=request.user, connection=connection, key=key,
                confirm=form.cleaned_data["confirm"],
            )  # fmt: skip
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            response = proposed_or_done(request, outcome, form, reverse("forums:group-list"))
            if response is not None:
                return response
    context["form"] = form
    return render(request, "groups/group_delete.html", context)


@require_http_methods(["GET", "POST"])
@requires("propose_bulkaction")
def group_members_change(
    request: HtmxHttpRequest, connection_id: int, key: str, change: str
) -> HttpResponse:
    if change not in ("add", "remove"):
        raise Http404("Members are added or removed.")
    connection = enabled_connection_or_404(connection_id)
    context = _group_context(request, connection, key)
    if not context["members_offered"]:
        messages.error(request, _members_not_offered(connection))
        return redirect("forums:group-detail", connection_id=connection.pk, key=key)
    group = context["group"]
    adding = change == "add"
    choices: list[tuple[int, str]] = []
    if group is not None:
        choices.append((connection.pk, f"{connection.name}: {group.name}"))
        for row in selectors.groups_named(
            name=group.name, exclude=connection.pk, needs=Capability.GROUP_MEMBERS
        ):
            if not row.locked_reason:
                choices.append((row.connection_id, f"{row.connection_name}: {row.group.name}"))
    data = request.POST if request.method == "POST" else None
    # Reading POST is what stops an upload over FORUMDECK_MAX_UPLOAD_BYTES (see web.uploads).
    too_large = upload_refusal(request) if data is not None else ""
    form = MembersForm(data, request.FILES or None, choices=choices, upload_refused=too_large)
    if request.method == "POST" and group is not None and form.is_valid():
        chosen = form.cleaned_data["connections"]
        upload = form.cleaned_data.get("csv_file")
        connections = sorted(
            ForumConnection.objects.filter(pk__in=chosen, enabled=True),
            key=lambda c: (c.pk != connection.pk, c.name),  # this forum first
        )
        try:
            action = services.group_members_propose(
                actor=request.user,
                connections=connections,
                key=group.key,
                adding=adding,
                targets_text=form.cleaned_data.get("targets") or "",
                csv_file=upload,
                csv_encoding=upload.charset if upload else None,
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            return planning_proposed(request, action)
    context.update(form=form, adding=adding, change=change)
    return render(request, "groups/members_form.html", context)


def _sync_form(request: HtmxHttpRequest) -> SyncForm:
    # Only forums that list a group's members can be compared, as source or target.
    forums = [
        c for c in selectors.enabled_connections() if selectors.offers(c, Capability.GROUP_MEMBERS)
    ]
    result = selectors.group_list(connection_ids=[c.pk for c in forums] or [0])
    ordinary = [r for r in result.rows if not r.locked_reason]
    sources = [(f"{r.connection_id}:{r.group.key}", f"{r.connection_name}: {r.group.name}")
               for r in ordinary]  # fmt: skip
    groups_by_forum: dict[int, list[tuple[str, str]]] = {}
    for row in ordinary:
        groups_by_forum.setdefault(row.connection_id, []).append((row.group.key, row.group.name))
    data = request.POST if request.method == "POST" else None
    initial = {"source": request.GET.get("source", "")}
    return SyncForm(
        data,
        initial=initial,
        sources=sources,
        forums=forums,
        groups_by_forum=groups_by_forum,
    )


@require_http_methods(["GET", "POST"])
@requires("view_forumconnection")
def group_sync(request: HtmxHttpRequest) -> HttpResponse:
    """Choose a source group and target forums, see the difference person by person, and
    propose it as one approved action."""
    form = _sync_form(request)
    context: dict = {"form": form}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        pairs = form.target_pairs(data["source_key"])
        if "propose" in request.POST:
            if not request.user.has_perm("forums.propose_bulkaction"):
                raise PermissionDenied("Only people who propose bulk actions can propose a sync.")
            try:
                action = services.group_sync_propose(
                    actor=request.user, source=data["source_connection"],
                    source_key=data["source_key"], targets=pairs, remove=data["remove"],
                    preview_token=request.POST.get("preview_token", ""),
                )  # fmt: skip
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                messages.success(
                    request,
                    f"Proposed bulk action #{action.pk}: the sync runs once another person "
                    "approves it.",
                )
                return redirect("forums:bulk-detail", pk=action.pk)
        if pairs:
            preview = selectors.group_sync_preview(
                source=data["source_connection"], source_key=data["source_key"],
                targets=pairs, remove=data["remove"],
            )  # fmt: skip
            context["preview"] = preview
            if request.user.has_perm("forums.propose_bulkaction"):
                # Proposing it reuses this preview instead of asking every forum again.
                context["preview_token"] = selectors.remember_sync_preview(
                    preview, user_id=request.user.pk, targets=pairs
                )
        else:
            form.add_error("targets", "Tick at least one target forum.")
    return render_page(request, "groups/sync.html", context, partial="sync-preview")
