"""Bulk actions in the browser: propose, see the plan, approve or reject, watch it run."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseStopPolling

from forums.accounts.independence import (
    ADVICE,
    Hands,
    approval_refusal,
    independent_approvers,
    may_stop,
    nobody_can_approve,
)
from forums.accounts.second_factor import second_factor_required
from forums.models import BulkAction, BulkActionItem
from forums.web import HtmxHttpRequest, render_page, requires
from forums.web.exports import csv_response
from forums.web.outcomes import planning_proposed
from forums.web.uploads import upload_refusal

from . import selectors
from .forms import BulkFilterForm, BulkProposeForm, RejectForm, bind_kind_params, kind_param_forms
from .kinds import KINDS
from .services import (
    BulkActionError,
    bulk_action_approve,
    bulk_action_cancel,
    bulk_action_propose,
    bulk_action_reject,
)


@require_GET
@requires("view_bulkaction")
def bulk_list(request: HtmxHttpRequest) -> HttpResponse:
    form = BulkFilterForm(request.GET)
    filters = form.cleaned_data if form.is_valid() else {}
    actions = selectors.bulk_action_list(
        state_group=filters.get("state") or "",
        proposed_by=request.user if filters.get("mine") else None,
    )
    page = Paginator(actions, 25).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "actions": selectors.with_tallies(page.object_list),
        "filters": filters,
        "query": query.urlencode(),
        "kinds": KINDS,
        "stuck": _nobody_can_approve(),
        "stuck_advice": ADVICE.format(who="them"),
    }
    return render_page(
        request,
        "bulk/bulk_list.html",
        context,
        partial="bulk-table",
    )


def _nobody_can_approve() -> list[BulkAction]:
    """Actions waiting for an approval that no account could give (see independence)."""
    waiting = list(
        BulkAction.objects.filter(
            state__in=[BulkAction.State.PLANNING, BulkAction.State.PENDING_APPROVAL]
        )
        .select_related("proposed_by")
        .order_by("id")
    )
    hands, verdict = Hands(), {}
    for action in waiting:
        if action.proposed_by_id not in verdict:
            verdict[action.proposed_by_id] = bool(
                independent_approvers(action.proposed_by, hands=hands)
            )
    return [a for a in waiting if not verdict[a.proposed_by_id]]


@require_http_methods(["GET", "POST"])
@requires("propose_bulkaction")
def bulk_create(request: HtmxHttpRequest) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    # Reading POST is what stops an upload over FORUMDECK_MAX_UPLOAD_BYTES (see web.uploads).
    too_large = upload_refusal(request) if data is not None else ""
    form = BulkProposeForm(data, request.FILES or None, upload_refused=too_large)
    kind = KINDS.get(data.get("kind", "")) if data else None
    if kind is not None and not kind.from_bulk_form:
        kind = None  # proposed from its own page (Groups, Tags), never from this form
    params_form, params = bind_kind_params(kind, data) if kind else (None, None)
    param_forms = kind_param_forms(kind, params_form)
    if request.method == "POST" and form.is_valid() and kind is not None and params is not None:
        upload = form.cleaned_data.get("csv_file")
        try:
            action = bulk_action_propose(
                actor=request.user,
                kind=kind.key,
                connections=list(form.cleaned_data["connections"]),
                params=params,
                targets_text=form.cleaned_data.get("targets") or "",
                csv_file=upload,
                csv_encoding=upload.charset if upload else None,
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            return planning_proposed(request, action)
    return render(
        request,
        "bulk/bulk_form.html",
        {"form": form, "param_forms": param_forms, "params_form": params_form, "kinds": KINDS,
         "nobody_can_approve": nobody_can_approve(request.user, viewer=request.user)},
    )  # fmt: skip


def _detail_context(request: HtmxHttpRequest, action: BulkAction) -> dict:
    user = request.user
    counts = selectors.count_rows(action)  # the bar and the plan table: one read
    progress = selectors.progress(action, counts)
    pending = action.state == BulkAction.State.PENDING_APPROVAL
    own = action.proposed_by_id == user.pk
    may_approve = user.has_perm("forums.approve_bulkaction") and not own and pending
    # Four eyes on accounts too: say why this approver may not approve this proposer's action.
    approval_refused = (
        approval_refusal(approver=user, proposer=action.proposed_by) if may_approve else ""
    )
    # A plan that changes nothing has nothing to approve: it can only be closed.
    changes_nothing = pending and "per_connection" in action.plan and not action.plan.get("planned")
    can_approve = may_approve and not approval_refused and not changes_nothing
    can_cancel = (
        action.state in BulkAction.ACTIVE | {BulkAction.State.PENDING_APPROVAL}
        and not action.cancel_requested
        # Its proposer, every Admin, and anyone who may approve it (independence.may_stop).
        and not may_stop(user, action)
        # While it waits, an approver answers with Reject (saying why); Cancel is the
        # proposer's "withdraw", so the two are never offered side by side.
        and not can_approve
    )
    # Said before it bites: nobody independent of the proposer could approve it.
    nobody = (
        nobody_can_approve(action.proposed_by, viewer=user)
        if action.state in (BulkAction.State.PLANNING, BulkAction.State.PENDING_APPROVAL)
        else ""
    )
    per_forum = selectors.progress_by_connection(action, counts)
    plan_rows = [
        {**row, **{f"n_{k}": v for k, v in per_forum.get(row["connection"], {}).items()}}
        for row in action.plan.get("per_connection", [])
    ]
    return {
        "action": action,
        "title": selectors.bulk_action_title(action),
        "parameters": selectors.bulk_action_parameters(action),
        "plan_rows": plan_rows,
        "kind": KINDS.get(action.kind),
        "destructive_note": _destructive_note(action),
        "progress": progress,
        "can_approve": can_approve,
        "approval_refused": approval_refused,
        "changes_nothing": changes_nothing,
        "own_proposal": own,
        "can_cancel": can_cancel,
        "nobody_can_approve": nobody,
        "polling": action.state in BulkAction.ACTIVE,
        "reject_form": RejectForm(),
        "waiting_until": selectors.waiting_until(action),
    }


def _destructive_note(action: BulkAction) -> str:
    kind = KINDS.get(action.kind)
    return kind.destructive_note.format(n=action.plan.get("planned", 0)) if kind else ""


@require_GET
@requires("view_bulkaction")
def bulk_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    action = get_object_or_404(
        BulkAction.objects.select_related("proposed_by", "approved_by", "rejected_by"), pk=pk
    )
    context = _detail_context(request, action)
    target = request.htmx.target if request.htmx else None
    if target == "bulk-progress":
        # The plan table's per-forum counts travel with the bar (out of band), so the two
        # never disagree.
        context["plan_oob"] = True
    if target == "bulk-progress" and not context["polling"]:
        # The end: stop polling (286), show the final counts, and let the fragment re-render
        # the whole page content once, so nothing on it is left from before.
        context["just_finished"] = True
        html = render_to_string("bulk/bulk_detail.html#bulk-progress", context, request=request)
        return HttpResponseStopPolling(html)
    if target != "bulk-progress":
        context.update(_items_context(request, action))
    partial = target if target in ("bulk-items", "bulk-progress") else None
    return render_page(request, "bulk/bulk_detail.html", context, partial=partial)


def _items_context(request: HtmxHttpRequest, action: BulkAction) -> dict:
    state = request.GET.get("item_state", "")
    items = action.items.select_related("connection").order_by("id")
    if state in BulkActionItem.State.values:
        items = items.filter(state=state)
    page = Paginator(items, 50).get_page(request.GET.get("page"))
    return {"items_page": page, "item_state": state, "item_states": BulkActionItem.State.choices}


def _refused(request: HtmxHttpRequest, action: BulkAction, exc: BulkActionError) -> HttpResponse:
    messages.error(request, str(exc))
    return redirect("forums:bulk-detail", pk=action.pk)


@require_POST
@requires("approve_bulkaction")
@second_factor_required(recent=True)
def bulk_approve(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    action = get_object_or_404(BulkAction, pk=pk)
    if action.proposed_by_id == request.user.pk:
        raise PermissionDenied("You proposed this action; someone else must approve it.")
    kind = KINDS.get(action.kind)
    if kind and kind.destructive and request.POST.get("confirm", "").strip() != "DELETE":
        messages.error(request, f"Type DELETE to confirm {_destructive_note(action)}.")
        return redirect("forums:bulk-detail", pk=action.pk)
    try:
        bulk_action_approve(
            actor=request.user, action=action, plan_hash=request.POST.get("plan_hash", "")
        )
    except BulkActionError as exc:
        return _refused(request, action, exc)
    messages.success(request, f"Approved bulk action #{action.pk}; it is queued to run.")
    return redirect("forums:bulk-detail", pk=action.pk)


@require_POST
@requires("approve_bulkaction")
def bulk_reject(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    action = get_object_or_404(BulkAction, pk=pk)
    form = RejectForm(request.POST)
    try:
        bulk_action_reject(actor=request.user, action=action, reason=form.data.get("reason", ""))
    except BulkActionError as exc:
        return _refused(request, action, exc)
    messages.success(request, f"Rejected bulk action #{action.pk}.")
    return redirect("forums:bulk-detail", pk=action.pk)


@require_POST
@requires("view_bulkaction")
def bulk_cancel(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    action = get_object_or_404(BulkAction.objects.select_related("proposed_by"), pk=pk)
    user = request.user
    refusal = may_stop(user, action)
    if refusal:
        raise PermissionDenied(refusal)
    try:
        action = bulk_action_cancel(actor=user, action=action)
    except BulkActionError as exc:
        return _refused(request, action, exc)
    if action.state == BulkAction.State.RUNNING:
        done = "Cancel recorded: nothing more is sent, and the run stops before its next call."
    elif not action.plan.get("planned") and action.plan.get("per_connection") is not None:
        done = "Closed: its plan changed nothing, so nothing was sent."
    else:
        done = "Cancelled."
    messages.success(request, done)
    return redirect("forums:bulk-detail", pk=action.pk)


@require_GET
@requires("view_bulkaction")
def bulk_items_csv(request: HtmxHttpRequest, pk: int) -> StreamingHttpResponse:
    """Every item: what was sent when, and what the forum answered. Times are ISO 8601 in
    the viewer's time zone, with its offset."""
    action = get_object_or_404(BulkAction, pk=pk)
    header = [
        "forum",
        "target",
        "forum_user_id",
        "forum_username",
        "state",
        "attempts",
        "last_http_status",
        "error",
        "sent_at",
        "forum_answer",
    ]
    items = (
        action.items.order_by("id")
        .values_list(
            "connection__name",
            "target",
            "forum_user_id",
            "forum_username",
            "state",
            "attempts",
            "last_status",
            "error",
            "sent_at",
        )
        .iterator(chunk_size=2000)
    )
    rows = (
        [forum, target, uid, username, state, attempts, status, error, _local_iso(sent_at),
         _forum_answer(state, status, error)]
        for forum, target, uid, username, state, attempts, status, error, sent_at in items
    )  # fmt: skip
    return csv_response(slugify(f"bulk-action-{action.pk}-{action.kind}"), header, rows)


def _local_iso(value) -> str:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else ""


def _forum_answer(state: str, status: int | None, error: str) -> str:
    """What the forum said about this item, in a few words."""
    http = f" (HTTP {status})" if status else ""
    if state == BulkActionItem.State.DONE:
        return f"accepted{http}" + (f": {error}" if error else "")
    if state == BulkActionItem.State.FAILED:
        return f"refused{http}: {error}" if status else f"failed: {error}"
    if state == BulkActionItem.State.SKIPPED:
        return f"not sent: {error}" if error else "not sent"
    if state == BulkActionItem.State.SENDING:
        return f"sent, no answer yet{http}" + (f": {error}" if error else "")
    return "not sent yet"
