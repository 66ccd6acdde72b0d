"""People across forums: search everywhere, look closer, act on one forum or on many."""

from __future__ import annotations

from collections.abc import Iterator

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from forums.audit.selectors import audit_rows
from forums.bulk.forms import bind_kind_params
from forums.bulk.kinds import KINDS
from forums.bulk.services import bulk_action_propose
from forums.clients import client_class
from forums.clients.records import Penalty
from forums.core.connections import enabled_connection_or_404
from forums.models import ForumConnection
from forums.web import HtmxHttpRequest, redirect_back, render_page, requires
from forums.web.streaming import fill, stream_page

from . import selectors
from .actions import actions_fitting, find_action
from .forms import NewAccountsForm, SearchForm, SharedForm
from .services import ModerationOutcome, user_moderate

BULK_FROM_SELECTION = {
    "suspend": "Suspend / ban selected",
    "unsuspend": "Unsuspend / unban selected",
    "delete_users": "Delete selected",
}


@require_GET
@requires("view_forumconnection")
def people_search(request: HtmxHttpRequest) -> HttpResponseBase:
    """The search page. A new search in the browser is one streamed page: every forum's line
    says "still waiting…" at once, and each forum's answer fills in its line and the table of
    everyone found so far as it arrives. Paging, htmx and ``?stream=0`` (no JavaScript) wait
    for every forum, and paging reuses the answers the search cached."""
    form = SearchForm(request.GET or None)
    context: dict = {"form": form}
    if request.GET.get("q") is not None and form.is_valid():
        query = request.GET.copy()
        query.pop("page", None)
        query.pop("stream", None)
        context["query"] = query.urlencode()
        query.pop("live", None)
        query["live"] = "1"
        context["live_query"] = query.urlencode()
        search = {
            "query": form.cleaned_data["q"],
            "status": form.cleaned_data["status"] or "",
            "connection_ids": [c.pk for c in form.cleaned_data["forum"]],
            # "Ask the forums now": every forum live, the index left aside.
            "live": request.GET.get("live") == "1",
        }
        streamed = (
            not request.htmx and not request.GET.get("page") and request.GET.get("stream") != "0"
        )
        try:
            if streamed:
                result, answers = selectors.people_search_stream(**search)
            else:
                # A new search asks the forums; paging through it reuses the answers.
                result = selectors.people_search(**search, refresh=not request.GET.get("page"))
        except ValidationError as exc:
            context["search_error"] = " ".join(exc.messages)
        else:
            context.update(
                result=result,
                page=_page(result, request.GET.get("page")),
                bulk_kinds=_bulk_kinds(result),
            )
            if streamed:
                context["streaming"] = True
                fills = _search_fills(request, context, answers)
                return stream_page(request, "people/search.html", context, fills)
    return render_page(request, "people/search.html", context, partial="people-results")


def _bulk_kinds(result: selectors.SearchResult) -> dict[str, str]:
    """The bulk actions at least one forum of the accounts found can take (UserEcho, with no
    penalty and no bulk delete, offers none of them)."""
    platforms = {a.platform for person in result.people for a in person.accounts}
    classes = [client_class(p) for p in platforms]
    return {
        key: label
        for key, label in BULK_FROM_SELECTION.items()
        if any(KINDS[key].offered_by(cls) for cls in classes)
    }


def _page(result: selectors.SearchResult, number: str | int | None) -> Page:
    return Paginator(result.people, 25).get_page(number)


def _search_fills(
    request: HtmxHttpRequest, context: dict, answers: Iterator[selectors.SearchProgress]
) -> Iterator[str]:
    """For the forums that answered: their lines, and the table of everyone found so far."""
    for progress in answers:
        lines = [
            fill(
                f"people-forum-{forum.connection_id}",
                render_to_string("people/search.html#people-forum", {"f": forum}),
                swap="outer",
            )
            for forum in progress.forums
        ]
        table = render_to_string(
            "people/search.html#people-table",
            {
                **context,
                "result": progress.result,
                "page": _page(progress.result, 1),
                "bulk_kinds": _bulk_kinds(progress.result),
            },
            request=request,
        )
        yield "".join(lines) + fill("people-table", table, swap="outer")


def _person_context(request: HtmxHttpRequest, connection: ForumConnection, user_id: int) -> dict:
    lookup = selectors.person_lookup(connection=connection, user_id=user_id)
    cls = client_class(connection.platform)
    context: dict = {
        "connection": connection,
        "user_id": user_id,
        "error": lookup.error,
        "gone": lookup.gone,
        "details": lookup.details,
        "words": cls.words,
        "offers_penalties": any(cls.supports(kind.capability) for kind in Penalty),
    }
    if lookup.details is not None:
        can_act = request.user.has_perm("forums.moderate_forum_users")
        context["actions"] = (
            actions_fitting(cls, lookup.details.user, lookup.capabilities) if can_act else []
        )
        context["audit"] = audit_rows(
            selectors.person_audit(connection=connection, user=lookup.details.user)
        )
    elif lookup.gone:
        context["audit"] = audit_rows(
            selectors.gone_person_audit(connection=connection, user_id=user_id)
        )
    return context


@require_GET
@requires("view_forumconnection")
def person_detail(request: HtmxHttpRequest, connection_id: int, user_id: int) -> HttpResponse:
    connection = enabled_connection_or_404(connection_id)
    context = _person_context(request, connection, user_id)
    return render(
        request, "people/person.html", context, status=404 if context.get("gone") else 200
    )


@require_http_methods(["GET", "POST"])
@requires("moderate_forum_users")
def person_action(
    request: HtmxHttpRequest, connection_id: int, user_id: int, action: str
) -> HttpResponse:
    """One moderation action on one forum: its small form, then its result, in place."""
    connection = enabled_connection_or_404(connection_id)
    cls = client_class(connection.platform)
    # An optional capability may be offered: the service asks the forum before acting.
    user_action = find_action(cls, action, cls.optional_capabilities)
    if user_action is None:
        raise Http404(f"{connection.name} does not offer that action.")
    context: dict = {
        "connection": connection,
        "user_id": user_id,
        "action": user_action,
        "words": cls.words,
    }
    if request.method == "POST":
        context["username"] = request.POST.get("username", "")
        try:
            outcome = user_moderate(
                actor=request.user,
                connection=connection,
                user_id=user_id,
                action=action,
                data=request.POST.dict(),
            )
        except ValidationError as exc:
            form = user_action.form(request.POST, client_cls=cls)
            form.is_valid()
            context["form"] = form
            context["errors"] = [] if form.errors else exc.messages
            return _render_action(request, context, status=422)
        context["outcome"] = outcome
        if not request.htmx:
            (messages.success if outcome.ok else messages.error)(request, outcome.message)
            if outcome.gone:
                return redirect("forums:people-search")
            return redirect("forums:person-detail", connection_id=connection.pk, user_id=user_id)
        context.update(_refreshed(connection, outcome))
        return _render_action(request, context)
    lookup = selectors.person_lookup(connection=connection, user_id=user_id)
    if lookup.details is None:
        context["outcome"] = ModerationOutcome(ok=False, message=lookup.error)
        return _render_action(request, context)
    context["username"] = lookup.details.user.username
    context["form"] = user_action.form(client_cls=cls, user=lookup.details.user)
    return _render_action(request, context)


def _refreshed(connection: ForumConnection, outcome: ModerationOutcome) -> dict:
    """What the person page shows again beside the action's result (htmx out-of-band swaps):
    its status, groups and penalties as read after the action, and what Forumdeck did."""
    person = outcome.user or outcome.before
    if person is None:
        return {}
    cls = client_class(connection.platform)
    refreshed: dict = {}
    if outcome.details is not None and not cls.optional_capabilities:
        # The buttons that fit the account now (Unsuspend once suspended). Where some actions
        # hang on what the forum showed it has (UserEcho), the page's reload says.
        refreshed["actions"] = actions_fitting(cls, outcome.details.user)
    return refreshed | {
        "refresh": True,
        "details": outcome.details,
        "deleted": outcome.gone,
        "offers_penalties": any(cls.supports(kind.capability) for kind in Penalty),
        "audit": audit_rows(selectors.person_audit(connection=connection, user=person)),
    }


def _render_action(request: HtmxHttpRequest, context: dict, status: int = 200) -> HttpResponse:
    # htmx swaps only successful answers: the form with its messages comes back as 200 there.
    return render_page(
        request,
        "people/action.html",
        context,
        partial="moderation-panel",
        status=200 if request.htmx else status,
    )


def _selected_accounts(values: list[str]) -> dict[ForumConnection, list[str]]:
    chosen: dict[int, list[str]] = {}
    for value in values:
        connection_id, _, username = value.partition(":")
        if connection_id.isdigit() and username:
            chosen.setdefault(int(connection_id), []).append(username)
    connections = ForumConnection.objects.filter(pk__in=chosen, enabled=True)
    return {c: chosen[c.pk] for c in connections}


@require_POST
@requires("propose_bulkaction")
def people_bulk(request: HtmxHttpRequest) -> HttpResponse:
    """Selected search results become a bulk action: plan, approval, paced run."""
    kind_key = request.POST.get("kind", "")
    if kind_key not in BULK_FROM_SELECTION:
        messages.error(request, "Choose what to do with the selected people.")
        return redirect_back(request, reverse("forums:people-search"))
    targets = _selected_accounts(request.POST.getlist("account"))
    if not targets:
        messages.error(request, "Select at least one account first.")
        return redirect_back(request, reverse("forums:people-search"))
    return _propose_page(request, kind_key, targets, title=BULK_FROM_SELECTION[kind_key])


def _propose_page(
    request: HtmxHttpRequest, kind_key: str, targets: dict, *, title: str, post_url: str = ""
) -> HttpResponse:
    kind = KINDS[kind_key]
    # Forums whose software cannot do this kind (UserEcho has no ban) are left out, by name.
    left_out = [c for c in targets if not kind.offered_by(client_class(c.platform))]
    targets = {c: names for c, names in targets.items() if c not in left_out}
    if not targets:
        messages.error(
            request,
            f"{', '.join(c.name for c in left_out)}: "
            f"{', '.join(dict.fromkeys(client_class(c.platform).software for c in left_out))} "
            f"does not offer “{kind.label}”, so there is nothing to propose.",
        )
        return redirect_back(request, reverse("forums:people-search"))
    confirming = "confirm_step" in request.POST
    form, params = bind_kind_params(kind, request.POST if confirming else None)
    errors: list[str] = []
    if confirming and params is not None:
        try:
            action = bulk_action_propose(
                actor=request.user, kind=kind_key, params=params, targets_by_connection=targets
            )
        except ValidationError as exc:
            errors = exc.messages
        else:
            messages.success(
                request,
                f"Proposed bulk action #{action.pk}: another person "
                "approves it before anything is sent.",
            )
            return redirect("forums:bulk-detail", pk=action.pk)
    return render(
        request,
        "people/propose.html",
        {
            "title": title,
            "kind": kind,
            "form": form,
            "targets": targets,
            "left_out": [(c, client_class(c.platform).software) for c in left_out],
            "errors": errors,
            "accounts": [f"{c.pk}:{u}" for c, names in targets.items() for u in names],
            "total": sum(len(v) for v in targets.values()),
            "post_url": post_url or request.path,
            "email": request.POST.get("email") or request.GET.get("email", ""),
        },
    )


@require_http_methods(["GET", "POST"])
@requires("propose_bulkaction")
def ban_everywhere(request: HtmxHttpRequest) -> HttpResponse:
    """One approval, one bulk action: suspend (Discourse) or ban (NodeBB) on every forum
    where this e-mail address has an account."""
    email = (request.POST.get("email") or request.GET.get("email") or "").strip().lower()
    if "@" not in email:
        messages.error(request, "Banning everywhere needs the person's e-mail address.")
        return redirect("forums:people-search")
    if request.method == "POST" and request.POST.getlist("account"):
        targets = _selected_accounts(request.POST.getlist("account"))
    else:
        try:
            accounts = selectors.person_accounts(email=email)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("forums:people-search")
        connections = {
            c.pk: c
            for c in ForumConnection.objects.filter(pk__in={a.connection_id for a in accounts})
        }
        targets = {}
        for account in accounts:
            targets.setdefault(connections[account.connection_id], []).append(account.user.username)
    if not targets:
        messages.error(request, f"No forum has an account with {email} now.")
        return redirect("forums:people-search")
    return _propose_page(request, "suspend", targets, title=f"Ban {email} on every forum")


# --- beyond search: new accounts and shared traits, from the index ------------------------------
# One bulk action from a wave holds at most this many accounts (the plan page lists them all).
WAVE_MAX_ACCOUNTS = 2000
WAVE_PAGE = 50
TRAIT_WORDS = {"domain": "an e-mail domain", "ip": "a registration address"}


def _wave_kinds(connections: list[ForumConnection]) -> dict[str, str]:
    classes = {client_class(c.platform) for c in connections}
    return {
        key: label.replace(" selected", " these")
        for key, label in BULK_FROM_SELECTION.items()
        if any(KINDS[key].offered_by(cls) for cls in classes)
    }


def _wave_targets(rows) -> dict[ForumConnection, list[str]] | None:
    """The accounts as a bulk action's targets, or None when there are too many for one."""
    targets: dict[ForumConnection, list[str]] = {}
    for count, row in enumerate(rows[: WAVE_MAX_ACCOUNTS + 1], start=1):
        if count > WAVE_MAX_ACCOUNTS:
            return None
        targets.setdefault(row.connection, []).append(row.username)
    return targets


def _hours(data) -> int:
    form = NewAccountsForm(data or None)
    return (form.cleaned_data["hours"] if form.is_valid() else None) or 24


@require_GET
@requires("view_forumconnection")
def people_new(request: HtmxHttpRequest) -> HttpResponse:
    """Accounts new on every forum in the last N hours, newest first, from the index."""
    form = NewAccountsForm(request.GET or None)
    hours = _hours(request.GET)
    indexed, not_indexed = selectors.wave_forums()
    rows = selectors.new_accounts(hours=hours, connection_ids=[c.pk for c in indexed])
    page = Paginator(rows, WAVE_PAGE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "hours": hours,
        "page": page,
        "accounts": selectors.wave_accounts(page.object_list),
        "query": f"hours={hours}",
        "not_indexed": not_indexed,
        "bulk_kinds": _wave_kinds(indexed),
        "too_many": page.paginator.count > WAVE_MAX_ACCOUNTS,
        "wave_max": WAVE_MAX_ACCOUNTS,
    }
    return render_page(
        request, "people/new.html", context, partial="wave-table", target="wave-table"
    )


@require_POST
@requires("propose_bulkaction")
def people_new_propose(request: HtmxHttpRequest) -> HttpResponse:
    """Every account new in the last N hours becomes one bulk action's targets."""
    hours = _hours(request.POST)
    back = f"{reverse('forums:people-new')}?hours={hours}"
    kind_key = request.POST.get("kind", "")
    if kind_key not in BULK_FROM_SELECTION:
        messages.error(request, "Choose what to do with these accounts.")
        return redirect(back)
    indexed, _ = selectors.wave_forums()
    targets = _wave_targets(
        selectors.new_accounts(hours=hours, connection_ids=[c.pk for c in indexed])
    )
    if not targets:
        messages.error(
            request,
            f"More than {WAVE_MAX_ACCOUNTS:,} accounts: choose fewer hours."
            if targets is None
            else f"No account joined in the last {hours} hours.",
        )
        return redirect(back)
    what = BULK_FROM_SELECTION[kind_key].replace(" selected", "")
    title = f"{what}: accounts new in the last {hours} hours"
    return _propose_page(
        request, kind_key, targets, title=title, post_url=reverse("forums:people-bulk")
    )


def _trait(data) -> tuple[str, bool]:
    form = SharedForm(data or None)
    if not form.is_valid():
        return "domain", False
    return form.cleaned_data["trait"] or "domain", form.cleaned_data["common"]


@require_GET
@requires("view_forumconnection")
def people_shared(request: HtmxHttpRequest) -> HttpResponse:
    """E-mail domains or registration addresses that accounts on several forums share, the most
    forums first, each with its accounts and a bulk action for all of them."""
    form = SharedForm(request.GET or None)
    trait, common = _trait(request.GET)
    indexed, not_indexed = selectors.wave_forums()
    ids = [c.pk for c in indexed]
    shared = selectors.shared_traits(trait=trait, connection_ids=ids, common_domains=common)
    page = Paginator(shared, 20).get_page(request.GET.get("page"))
    groups = [
        {**group, "shown": selectors.wave_accounts(selectors.accounts_sharing(
            trait=trait, value=group["trait"], connection_ids=ids)[:WAVE_PAGE])}
        for group in page.object_list
    ]  # fmt: skip
    context = {
        "form": form,
        "trait": trait,
        "trait_words": TRAIT_WORDS[trait],
        "trait_noun": {"domain": "domain,domains", "ip": "address,addresses"}[trait],
        "common": common,
        "page": page,
        "groups": groups,
        "query": f"trait={trait}" + ("&common=on" if common else ""),
        "not_indexed": not_indexed,
        "bulk_kinds": _wave_kinds(indexed),
        "wave_max": WAVE_MAX_ACCOUNTS,
        "shown_max": WAVE_PAGE,
    }
    return render_page(
        request, "people/shared.html", context, partial="shared-groups", target="shared-groups"
    )


@require_POST
@requires("propose_bulkaction")
def people_shared_propose(request: HtmxHttpRequest) -> HttpResponse:
    """Every account sharing this domain or address becomes one bulk action's targets."""
    trait, _ = _trait(request.POST)
    value = (request.POST.get("value") or "").strip()
    back = f"{reverse('forums:people-shared')}?trait={trait}"
    kind_key = request.POST.get("kind", "")
    if kind_key not in BULK_FROM_SELECTION or not value:
        messages.error(request, "Choose what to do with these accounts.")
        return redirect(back)
    indexed, _ = selectors.wave_forums()
    rows = selectors.accounts_sharing(
        trait=trait, value=value, connection_ids=[c.pk for c in indexed]
    )
    targets = _wave_targets(rows)
    if not targets:
        messages.error(
            request,
            f"More than {WAVE_MAX_ACCOUNTS:,} accounts share {value}: act on them in parts."
            if targets is None
            else f"No account shares {value} any more.",
        )
        return redirect(back)
    title = f"{BULK_FROM_SELECTION[kind_key].replace(' selected', '')}: accounts sharing {value}"
    return _propose_page(
        request, kind_key, targets, title=title, post_url=reverse("forums:people-bulk")
    )
