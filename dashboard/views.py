from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import wraps

from allauth.account.views import LoginView
from axes.helpers import get_client_username, get_cool_off
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET

from forums.accounts import oidc
from forums.accounts.signin import SignInForm
from forums.clients.records import HealthReport
from forums.connections import selectors
from forums.core.fleet import enabled_connections
from forums.core.fleet_index.reads import IndexCounts, index_counts_many
from forums.models import ForumConnection
from forums.web import HtmxHttpRequest
from forums.web.streaming import fill, stream_page

from .selectors import Fleet, fleet_overview
from .services import password_reset_available, worker_is_stale, worker_last_heartbeat


@dataclass
class Card:
    connection: ForumConnection
    report: HealthReport | None  # None: still being checked
    review_links: list[tuple[str, str]]
    counts: IndexCounts | None = None  # from the index, where it holds the forum's accounts


@require_GET
@permission_required("forums.view_forumconnection", raise_exception=True)
def overview(request: HtmxHttpRequest) -> HttpResponseBase:
    """The forum cards, and beside them the fleet's totals.

    One streamed response: the page at once, with each card whose cached health is fresh and a
    placeholder for every other, then each of those cards as its forum answers (every forum
    asked at once, so the page takes as long as the slowest forum, however many there are).
    ``?refresh=1`` asks every forum again; ``?wait=1`` (the link for browsers without
    JavaScript) answers once every forum has. The totals ask every forum, so the page loads
    them on its own (htmx, or ?fleet=1 without JavaScript)."""
    if request.htmx and request.htmx.target == "fleet-panel":
        return render(request, "dashboard/overview.html#fleet-panel", {"fleet": _fleet(request)})
    heartbeat = worker_last_heartbeat()
    connections = enabled_connections()
    refresh = request.GET.get("refresh") == "1"
    cached = {} if refresh else selectors.connection_cached_healths(connections=connections)
    counts = index_counts_many(connection_ids=[c.pk for c in connections])
    cards = [
        Card(c, cached.get(c.pk), selectors.connection_review_links(connection=c), counts.get(c.pk))
        for c in connections
    ]
    asking = [card.connection for card in cards if card.report is None]
    # Without JavaScript the fills would never reach their places: the links for such
    # browsers (?wait=1, and the totals' ?fleet=1) get the whole page once every forum answered.
    wait = bool(request.GET.get("wait") or request.GET.get("fleet"))
    context = {
        "cards": cards,
        "checking": bool(asking) and not wait,
        "disabled_count": selectors.connection_list().filter(enabled=False).count(),
        "heartbeat": heartbeat,
        "worker_stale": worker_is_stale(heartbeat=heartbeat),
        "fleet": None,
    }
    if not asking or wait:
        answers = {c.pk: r for c, r in selectors.connection_health_stream(connections=asking)}
        for card in cards:
            card.report = card.report or answers[card.connection.pk]
        if request.GET.get("fleet"):
            context["fleet"] = _fleet(request)
        return render(request, "dashboard/overview.html", context)
    return stream_page(request, "dashboard/overview.html", context, _card_fills(request, cards))


def _fleet(request: HtmxHttpRequest) -> Fleet:
    return fleet_overview(user=request.user, zone=timezone.get_current_timezone())


def _card_fills(request: HtmxHttpRequest, cards: list[Card]) -> Iterator[str]:
    """Each card still being checked, as its forum answers (``fill`` replaces its
    placeholder)."""
    # The fleet panel first, as it is: the browser starts loading the totals while the cards
    # come in (htmx otherwise looks at the page only once all of it has arrived). Its review
    # counts wait for the checks this page runs instead of asking the forums again.
    yield fill(
        "fleet-panel",
        render_to_string("dashboard/overview.html#fleet-panel", {"fleet": None}, request),
        swap="outer",
    )
    links = {card.connection.pk: card.review_links for card in cards}
    counts = {card.connection.pk: card.counts for card in cards}
    asking = [card.connection for card in cards if card.report is None]
    for connection, report in selectors.connection_health_stream(connections=asking):
        html = render_to_string(
            "dashboard/overview.html#forum-card",
            {
                "connection": connection,
                "report": report,
                "review_links": links[connection.pk],
                "index_counts": counts[connection.pk],
            },  # fmt: skip
            request,
        )
        yield fill(f"forum-card-{connection.pk}", html, swap="outer")
    yield fill("cards-status", '<a href="?refresh=1">Check every forum again</a>')


def _sign_in_context() -> dict:
    return {
        "password_reset_available": password_reset_available(),
        "identity_provider": oidc.provider(),
    }


class SignInView(LoginView):
    """The one sign-in page (django-allauth's, so a second factor follows the password):
    "Sign in with <the organisation>" when an identity provider is configured, and "Forgot
    your password?" only where a reset e-mail can be sent."""

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        context.update(_sign_in_context())
        return context


def signin_locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials=None
) -> HttpResponse:
    """django-axes' lockout answer: the sign-in page again, saying plainly what happened."""
    username = get_client_username(request, credentials) or ""
    cool_off = get_cool_off(request)
    minutes = max(round(cool_off.total_seconds() / 60), 1) if cool_off else None
    context = {
        "form": SignInForm(initial={"login": username}, request=request),
        "redirect_field_value": request.POST.get("next", request.GET.get("next", "")),
        "locked_out": True,
        "locked_username": username,
        "lockout_minutes": minutes,
        **_sign_in_context(),
    }
    return render(request, "account/login.html", context, status=429)


def mail_required(view):
    """Password reset pages exist only when a reset e-mail can actually be sent."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not password_reset_available():
            raise Http404("Password reset needs a mail server, and none is configured.")
        return view(request, *args, **kwargs)

    return wrapped
