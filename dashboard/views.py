from __future__ import annotations

from functools import wraps

from axes.helpers import get_client_username, get_cool_off
from django.contrib.auth.decorators import permission_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from forums.connections import selectors
from forums.web import HtmxHttpRequest, render_page

from .selectors import fleet_overview
from .services import password_reset_available, worker_is_stale, worker_last_heartbeat


@require_GET
@permission_required("forums.view_forumconnection", raise_exception=True)
def overview(request: HtmxHttpRequest) -> HttpResponse:
    """The forum cards, and beside them the fleet's totals. The totals ask every forum, so
    the page loads them on its own (htmx, or ?fleet=1 without JavaScript)."""
    heartbeat = worker_last_heartbeat()
    wants_fleet = bool(request.GET.get("fleet")) or (
        request.htmx and request.htmx.target == "fleet-panel"
    )
    context = {
        "connections": selectors.connection_list(enabled_only=True),
        "disabled_count": selectors.connection_list().filter(enabled=False).count(),
        "heartbeat": heartbeat,
        "worker_stale": worker_is_stale(heartbeat=heartbeat),
        "fleet": (
            fleet_overview(user=request.user, zone=timezone.get_current_timezone())
            if wants_fleet
            else None
        ),
    }
    return render_page(
        request, "dashboard/overview.html", context, partial="fleet-panel", target="fleet-panel"
    )


class SignInView(LoginView):
    """Django's login, offering "Forgot your password?" only where a reset e-mail can be sent."""

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        context["password_reset_available"] = password_reset_available()
        return context


def signin_locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials=None
) -> HttpResponse:
    """django-axes' lockout answer: the sign-in page again, saying plainly what happened."""
    username = get_client_username(request, credentials) or ""
    cool_off = get_cool_off(request)
    minutes = max(round(cool_off.total_seconds() / 60), 1) if cool_off else None
    context = {
        "form": AuthenticationForm(request, initial={"username": username}),
        "next": request.POST.get("next", request.GET.get("next", "")),
        "locked_out": True,
        "locked_username": username,
        "lockout_minutes": minutes,
        "password_reset_available": password_reset_available(),
    }
    return render(request, "registration/login.html", context, status=429)


def mail_required(view):
    """Password reset pages exist only when a reset e-mail can actually be sent."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not password_reset_available():
            raise Http404("Password reset needs a mail server, and none is configured.")
        return view(request, *args, **kwargs)

    return wrapped
