"""Tags across forums: every tag by name, one tag on every forum, rename / merge / delete /
create, delete unused tags, retag topics, and Discourse's tag groups."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.timezone import localtime
from django.views.decorators.http import require_GET, require_http_methods

from forums.clients import client_class
from forums.clients.records import Capability
from forums.core.connections import enabled_connection_or_404
from forums.models import ForumConnection
from forums.web import HtmxHttpRequest, render_page, requires
from forums.web.outcomes import planning_proposed, proposed_or_done

from . import selectors, services
from .forms import (
    ConfirmDeleteForm,
    ConfirmNameForm,
    CreateForm,
    DeleteForm,
    MergeForm,
    RenameForm,
    RetagForm,
    TagGroupForm,
    TagSearchForm,
)

TAGS_PER_PAGE = 50
CHANGE_FORMS = {"rename": RenameForm, "merge": MergeForm, "delete": DeleteForm}
CHANGE_TITLES = {"rename": "Rename", "merge": "Merge", "delete": "Delete"}


@require_GET
@requires("view_forumconnection")
def tag_list(request: HtmxHttpRequest) -> HttpResponse:
    form = TagSearchForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    result = selectors.tag_list(
        query=filters.get("q") or "",
        connection_ids=[c.pk for c in filters.get("forum") or []],
        unused=filters.get("show") == "unused",
        one_forum_only=filters.get("show") == "one",
        refresh=bool(request.GET.get("refresh")),
    )
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("refresh", None)
    context = {
        "form": form,
        "result": result,
        "page": Paginator(result.rows, TAGS_PER_PAGE).get_page(request.GET.get("page")),
        "query": query.urlencode(),
        "unused_forums": selectors.connections_offering(Capability.TAG_DELETE_UNUSED),
        "tag_group_forums": selectors.connections_offering(Capability.TAG_GROUPS),
    }
    return render_page(request, "tags/tag_list.html", context, partial="tag-table")


@require_GET
@requires("view_forumconnection")
def tag_detail(request: HtmxHttpRequest, name: str) -> HttpResponse:
    detail = selectors.tag_detail(name=name)
    status = 200 if detail.present or any(f.error for f in detail.forums) else 404
    context = {"detail": detail, "name": name}
    return render(request, "tags/tag_detail.html", context, status=status)


def _choice_label(found: selectors.TagOnForum, change: str) -> str:
    """A forum in a change's list; one that is busy now is there by what the index last saw."""
    label = f"{found.connection.name} ({found.ways[change].words})"
    if found.last_known_as_of is not None:
        seen = localtime(found.last_known_as_of)
        label += (
            f", busy now: Forumdeck last saw the tag there at {seen:%Y-%m-%d %H:%M %Z}, and the "
            "run waits for the forum"
        )
    return label


@require_http_methods(["GET", "POST"])
@requires("change_forum_tags")
def tag_change(request: HtmxHttpRequest, name: str, change: str) -> HttpResponse:
    """Rename, merge or delete a tag on the forums that have it."""
    if change not in CHANGE_FORMS:
        raise Http404("A tag is renamed, merged or deleted.")
    detail = selectors.tag_detail(name=name, with_topics=False)
    present = [f for f in detail.present if f.ways[change].offered]
    choices = [(f.connection.pk, _choice_label(f, change)) for f in present]
    extra: dict[str, Any] = {"tag": name} if change == "delete" else {}
    initial = {k: request.GET[k] for k in ("new_name", "into") if request.GET.get(k)}
    scoped = [f for f in present if f.scope_note and f.tag is not None and f.tag.scope]
    scopes = list(
        dict.fromkeys(s for f in scoped if f.tag is not None for s in f.tag.scope.split(", ") if s)
    )
    if change != "merge" and scopes:
        extra["scopes"] = scopes
        extra["scope_help"] = " ".join(dict.fromkeys(f.scope_note for f in scoped))
    form = CHANGE_FORMS[change](
        request.POST or None, choices=choices, initial=initial or None, **extra
    )
    if request.method == "POST" and form.is_valid():
        params = {"tag": name, **{k: form.cleaned_data[k] for k in ("new_name", "into", "scope")
                                  if form.cleaned_data.get(k)}}  # fmt: skip
        try:
            outcome = services.tag_change(
                actor=request.user, change=change, connections=form.chosen(), params=params
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            response = proposed_or_done(request, outcome, form, reverse("forums:tag-list"))
            if response is not None:
                return response
    context = {
        "detail": detail,
        "name": name,
        "change": change,
        "title": CHANGE_TITLES[change],
        "form": form,
        "not_here": [
            (
                f.connection.name,
                f.error or ("no such tag" if f.tag is None else f.ways[change].words),
            )
            for f in detail.forums
            if f.tag is None or not f.ways[change].offered
        ],
        "suggest_merge": change == "rename" and form.errors and request.POST.get("new_name"),
    }
    return render(request, "tags/tag_change.html", context)


@require_http_methods(["GET", "POST"])
@requires("change_forum_tags")
def tag_create(request: HtmxHttpRequest) -> HttpResponse:
    connections = selectors.enabled_connections()
    offering = [c for c in connections if client_class(c.platform).supports(Capability.TAG_CREATE)]
    # Where tags live per space (a UserEcho project's forums) the label says what is touched.
    choices = [
        (c.pk, f"{c.name} (every forum of the project that lacks it, one call each, or the "
               "one chosen below)"
         if client_class(c.platform).tag_scope_note else c.name)
        for c in offering
    ]  # fmt: skip
    scoped = [c for c in offering if client_class(c.platform).tag_scope_note]
    spaces = list(dict.fromkeys(s for c in scoped for s in selectors.tag_spaces(c)))
    extra: dict[str, Any] = {}
    if spaces:
        extra = {"scopes": spaces, "scope_help": " ".join(
            dict.fromkeys(client_class(c.platform).tag_scope_note for c in scoped))}  # fmt: skip
    form = CreateForm(request.POST or None, choices=choices, **extra)
    if request.method == "POST" and form.is_valid():
        try:
            outcome = services.tag_create(
                actor=request.user, connections=form.chosen(), name=form.cleaned_data["name"],
                scope=form.cleaned_data.get("scope") or "",
            )  # fmt: skip
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            response = proposed_or_done(request, outcome, form, reverse("forums:tag-list"))
            if response is not None:
                return response
    not_offered = [c for c in connections if c not in offering]
    return render(request, "tags/tag_create.html", {"form": form, "not_offered": not_offered})


@require_http_methods(["GET", "POST"])
@requires("change_forum_tags")
def tag_delete_unused(request: HtmxHttpRequest, connection_id: int) -> HttpResponse:
    connection = enabled_connection_or_404(connection_id)
    if not client_class(connection.platform).supports(Capability.TAG_DELETE_UNUSED):
        raise Http404(f"{connection.name} does not delete unused tags in one call.")
    form = ConfirmDeleteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            outcome = services.tags_delete_unused(
                actor=request.user, connection=connection, confirm=form.cleaned_data["confirm"]
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            (messages.success if outcome.ok else messages.error)(request, outcome.message)
            if outcome.ok:
                return redirect("forums:tag-list")
    unused = selectors.tag_list(connection_ids=[connection.pk], unused=True)
    return render(
        request,
        "tags/tag_delete_unused.html",
        {"connection": connection, "form": form, "unused": unused},
    )


def _picked_topics(values: list[str]) -> dict[ForumConnection, list[str]]:
    """ "connection:topic" values ticked on a tag's page -> each forum's topic ids."""
    chosen: dict[int, list[str]] = {}
    for value in values:
        pk, _, topic_id = value.partition(":")
        if pk.isdigit() and topic_id.isdigit():
            chosen.setdefault(int(pk), []).append(topic_id)
    forums = ForumConnection.objects.filter(pk__in=chosen, enabled=True)
    return {c: chosen[c.pk] for c in forums}


def _retag_pace(connections) -> str:
    """How many topics one call changes, per software of the forums offered, in its words:
    "Discourse up to 100 topics per call, NodeBB one topic per call"."""
    said = []
    for cls in dict.fromkeys(client_class(c.platform) for c in connections):
        size = cls.retag_batch_size
        per = "one topic" if size == 1 else f"up to {size} topics"
        said.append(f"{cls.software} {per} per call")
    return ", ".join(said)


@require_http_methods(["GET", "POST"])
@requires("propose_bulkaction")
def tag_retag(request: HtmxHttpRequest) -> HttpResponse:
    """Add, remove or replace tags on many topics, as a bulk action."""
    offering = selectors.connections_offering(Capability.TOPIC_RETAG)
    picked = _picked_topics(request.POST.getlist("topic")) if request.method == "POST" else {}
    data = request.POST if request.method == "POST" and "retag" in request.POST else None
    initial = {"tag": request.GET.get("tag", "")}
    form = RetagForm(
        data, choices=[(c.pk, c.name) for c in offering], initial=initial, picked=bool(picked)
    )
    if data is not None and form.is_valid():
        chosen_topics = picked or None
        try:
            action = services.retag_propose(
                actor=request.user,
                connections=list(chosen_topics) if chosen_topics else form.chosen(),
                params=form.kind_params(),
                topics_text=form.cleaned_data.get("topics") or "",
                topic_ids=chosen_topics,
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            return planning_proposed(request, action)
    context = {
        "form": form,
        "picked": picked,
        "picked_values": request.POST.getlist("topic") if picked else [],
        "picked_count": sum(len(v) for v in picked.values()),
        "retag_pace": _retag_pace(offering),
    }
    return render(request, "tags/retag.html", context)


@require_http_methods(["GET", "POST"])
@requires("view_forumconnection")
def tag_group_list(request: HtmxHttpRequest, connection_id: int) -> HttpResponse:
    """A forum's tag groups, and the form that creates one."""
    connection = enabled_connection_or_404(connection_id)
    lookup = selectors.tag_groups(connection=connection)
    form = TagGroupForm(request.POST or None)
    if request.method == "POST":
        if not request.user.has_perm("forums.change_forum_tags"):
            raise PermissionDenied("Changing tag groups needs the Moderator role.")
        if form.is_valid():
            try:
                outcome = services.tag_group_save(
                    actor=request.user, connection=connection, tag_group_id=None,
                    **form.cleaned_data,
                )  # fmt: skip
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                if outcome.ok:
                    messages.success(request, outcome.message)
                    return redirect("forums:tag-group-list", connection_id=connection.pk)
                form.add_error(None, outcome.message)
    context = {"connection": connection, "lookup": lookup, "form": form}
    return render_page(request, "tags/tag_groups.html", context, partial="tag-groups")


@require_http_methods(["GET", "POST"])
@requires("change_forum_tags")
def tag_group_edit(request: HtmxHttpRequest, connection_id: int, tag_group_id: int) -> HttpResponse:
    connection = enabled_connection_or_404(connection_id)
    group = selectors.tag_group(connection=connection, tag_group_id=tag_group_id)
    if group is None:
        messages.error(request, f"That tag group is no longer on {connection.name}.")
        return redirect("forums:tag-group-list", connection_id=connection.pk)
    initial = {
        "name": group.name,
        "tag_names": ", ".join(group.tag_names),
        "parent_tag_names": ", ".join(group.parent_tag_names),
        "one_per_topic": group.one_per_topic,
    }
    form = TagGroupForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            outcome = services.tag_group_save(
                actor=request.user, connection=connection, tag_group_id=group.id,
                **form.cleaned_data,
            )  # fmt: skip
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            if outcome.ok:
                messages.success(request, outcome.message)
                return redirect("forums:tag-group-list", connection_id=connection.pk)
            form.add_error(None, outcome.message)
    delete_form = ConfirmNameForm(name=group.name)
    context = {"connection": connection, "group": group, "form": form, "delete_form": delete_form}
    return render(request, "tags/tag_group_form.html", context)


@require_http_methods(["POST"])
@requires("change_forum_tags")
def tag_group_delete(
    request: HtmxHttpRequest, connection_id: int, tag_group_id: int
) -> HttpResponse:
    connection = enabled_connection_or_404(connection_id)
    try:
        # The service reads the group and checks the typed name against it (no JavaScript).
        outcome = services.tag_group_delete(
            actor=request.user, connection=connection, tag_group_id=tag_group_id,
            confirm=request.POST.get("confirm", ""),
        )  # fmt: skip
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(reverse("forums:tag-group-edit", args=[connection.pk, tag_group_id]))
    (messages.success if outcome.ok else messages.error)(request, outcome.message)
    return redirect("forums:tag-group-list", connection_id=connection.pk)
