"""Second factors before approving, confirming or administering.

An account with a role in ``FORUMDECK_REQUIRE_2FA_ROLES`` (default Approver and Admin) must
have a second factor (an authenticator app; recovery codes are the spare) before it approves a
bulk action, confirms an account change, or administers connections and People & roles. An
approval or confirmation also asks for the second factor again when this session's last one
is older than ``FORUMDECK_2FA_RECENT_SECONDS``; allauth replays the approval once it is given.

One decorator, ``second_factor_required``, applies both rules to a view.
"""

from __future__ import annotations

import time
from functools import wraps
from urllib.parse import urlencode

from allauth.account.internal.flows.login import get_authentication_records
from allauth.account.internal.flows.reauthentication import suspend_request
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET
from django_htmx.http import HttpResponseClientRedirect

# What counts as a second factor: recovery codes alone are only the spare.
FACTORS = [Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
NEXT_SESSION_KEY = "forumdeck_second_factor_next"


def is_required(user: User | AnonymousUser) -> bool:
    """This account's roles call for a second factor."""
    roles = {r.strip() for r in settings.FORUMDECK_REQUIRE_2FA_ROLES if r.strip()}
    if not roles or not user.is_authenticated:
        return False
    if user.is_superuser and "Admin" in roles:
        return True
    return user.groups.filter(name__in=roles).exists()


def has_second_factor(user: User | AnonymousUser) -> bool:
    return user.is_authenticated and is_mfa_enabled(user, FACTORS)


def last_verified_at(request: HttpRequest) -> float | None:
    """When this session last checked the account's second factor (at sign-in, or when asked
    again), as a Unix time; None if it never did."""
    records = get_authentication_records(request, request.user)
    times = [r["at"] for r in records if r.get("method") == "mfa" and "at" in r]
    return max(times) if times else None


def verified_recently(request: HttpRequest) -> bool:
    at = last_verified_at(request)
    return at is not None and time.time() - at < settings.FORUMDECK_2FA_RECENT_SECONDS


def _go(request: HttpRequest, url: str) -> HttpResponse:
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(url)
    return redirect(url)


def _back_to(request: HttpRequest) -> str:
    """Where to return after enrolling: the page the person was on (a form's page), else
    the one asked for."""
    if request.method == "GET":
        return request.get_full_path()
    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    return reverse("overview")


def _ask_again_url(user: User) -> str:
    """The page that asks for a factor this account has (never the password: that is not a
    second factor, and the approval would only ask again)."""
    if is_mfa_enabled(user, [Authenticator.Type.TOTP]):
        return reverse("mfa_reauthenticate")
    return reverse("mfa_reauthenticate_webauthn")


def second_factor_required(view=None, *, recent: bool = False):
    """The view needs a second factor from accounts whose roles call for one.

    Without one, the person is sent to a page that says why and how to set one up (never a
    bare 403). With ``recent=True`` (approvals, confirmations), a second factor older than
    ``FORUMDECK_2FA_RECENT_SECONDS`` in this session is asked for again first; the request
    is replayed once it is given."""

    def decorator(view_func):
        @wraps(view_func)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            user = request.user
            if user.is_authenticated and is_required(user):
                if not has_second_factor(user):
                    url = reverse("second-factor-required")
                    return _go(request, f"{url}?{urlencode({'next': _back_to(request)})}")
                if recent and not verified_recently(request):
                    target = _ask_again_url(user)
                    if getattr(request, "htmx", False):
                        # An htmx post cannot be replayed into a page: ask, then come back
                        # to the page, where the button is pressed again.
                        return _go(request, f"{target}?{urlencode({'next': _back_to(request)})}")
                    return suspend_request(request, target)
            return view_func(request, *args, **kwargs)

        return wrapped

    if view is not None:
        return decorator(view)
    return decorator


@require_GET
def second_factor_required_page(request: HttpRequest) -> HttpResponse:
    """Why the page asked for is closed, and the way to set up a second factor."""
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    if next_url:
        # The recovery codes page, shown right after enrolling, links back here.
        request.session[NEXT_SESSION_KEY] = next_url
    roles = [r for r in settings.FORUMDECK_REQUIRE_2FA_ROLES if r.strip()]
    context = {
        "next": next_url,
        "roles": roles,
        "has_factor": has_second_factor(request.user),
    }
    return render(request, "mfa/required.html", context, status=403)
