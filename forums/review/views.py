"""Review: every item waiting on every forum in one list, filtered, searched and paged;
one item decided in place, or many at once with one harmless decision."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from forums.core.connections import enabled_connection_or_404
from forums.web import HtmxHttpRequest, render_page, requires

from . import selectors, services
from .forms import DecideForm, DecideManyForm, ReviewSearchForm, spam_form

ITEMS_PER_PAGE = 25


@require_GET
@requires("view_forumconnection")
def review_list(request: HtmxHttpRequest) -> HttpResponse:
    form = ReviewSearchForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    result = selectors.review_queue(
        connection_ids=[c.pk for c in filters.get("forum") or []],
        kind=filters.get("kind") or "",
        category=filters.get("category") or "",
        reason=filters.get("reason") or "",
        query=filters.get("q") or "",
        author=filters.get("author") or "",
        refresh=bool(request.GET.get("refresh")),
    )
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("refresh", None)
    page = Paginator(result.rows, ITEMS_PER_PAGE).get_page(request.GET.get("page"))
    page_rows = list(page.object_list)
    context = {
        "form": form,
        "result": result,
        "page": page,
        "query": query.urlencode(),
        "filtered": any(
            filters.get(k) for k in ("q", "kind", "category", "reason", "forum", "author")
        ),
        "decisions": selectors.MANY_WORDS,
        "proposable": selectors.destructive_choices(page_rows),
        "spam_form": spam_form(),
        "spam_words": selectors.spam_words(),
    }
    return render_page(request, "review/review_list.html", context, partial="review-table")


@require_POST
@requires("decide_review_items")
def review_decide(request: HtmxHttpRequest) -> HttpResponse:
    """One decision on one item; for htmx the item's row comes back with the forum's answer."""
    form = DecideForm(request.POST)
    if not form.is_valid():
        decided = services.Decided(False, "That decision could not be read. Reload the page.")
    else:
        connection = enabled_connection_or_404(form.cleaned_data["connection"])
        decided = services.review_decide(
            actor=request.user,
            connection=connection,
            item_id=form.cleaned_data["item"],
            action_id=form.cleaned_data["action"],
            version=form.cleaned_data["version"],
        )
    if request.htmx:
        return render_page(
            request, "review/review_list.html", {"decided": decided}, partial="review-decided"
        )
    (messages.success if decided.ok else messages.error)(request, decided.message)
    return redirect(reverse("forums:review-list"))


@require_POST
@requires("propose_bulkaction")
def review_propose(request: HtmxHttpRequest) -> HttpResponse:
    """A decision that deletes or penalises, on one item or every ticked one: proposed as a
    bulk action; its page shows the plan, and a second person approves it."""
    keys = request.POST.getlist("picked")
    decision = request.POST.get("decision", "")
    action_id = request.POST.get("action") or decision.removeprefix("propose:")
    return _proposed(
        request,
        lambda: services.review_propose(
            actor=request.user, keys=keys, action_id=action_id,
            label=request.POST.get("label", ""),
        ),
    )  # fmt: skip


@require_POST
@requires("propose_bulkaction")
def review_propose_spam(request: HtmxHttpRequest) -> HttpResponse:
    """ "Delete the posts and suspend the authors" on every ticked item, across forums: one bulk
    action, with the usual penalty form's until and reason; a second person approves it."""
    form = spam_form(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else str(error))
        return redirect(reverse("forums:review-list"))
    penalty = {name: request.POST.get(f"spam-{name}", "") for name in form.fields}
    return _proposed(
        request,
        lambda: services.review_propose_spam(
            actor=request.user, keys=request.POST.getlist("picked"), penalty=penalty
        ),
    )


def _proposed(request: HtmxHttpRequest, propose: Callable[[], Any]) -> HttpResponse:
    """Propose a bulk action; its page when proposed, else back to the list with why not."""
    try:
        action = propose()
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(reverse("forums:review-list"))
    messages.success(
        request, f"Proposed bulk action #{action.pk}: another person approves it before it runs."
    )
    return redirect(reverse("forums:bulk-detail", args=[action.pk]))


@require_POST
@requires("decide_review_items")
def review_decide_many(request: HtmxHttpRequest) -> HttpResponse:
    """Approve, ignore or reject every ticked item at once."""
    keys = request.POST.getlist("picked")
    if request.POST.get("decision", "").startswith("propose:"):
        return review_propose(request)
    form = DecideManyForm(request.POST, keys=keys)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(reverse("forums:review-list"))
    results = services.review_decide_many(
        actor=request.user, keys=form.cleaned_data["picked"], decision=form.cleaned_data["decision"]
    )
    done = sum(1 for r in results if r.ok)
    if done:
        messages.success(request, f"{done} of {len(results)} decided.")
    for result in results:
        if not result.ok:
            messages.warning(request, f"Not decided: {result.message}")
    return redirect(reverse("forums:review-list"))
