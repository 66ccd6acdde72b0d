from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    """A request as the middleware leaves it for a view (typed once, for every view): with
    django-htmx's details, and signed in (LoginRequiredMiddleware; a view marked
    ``login_not_required`` takes a plain HttpRequest instead)."""

    htmx: HtmxDetails
    user: User


def render_page(
    request: HtmxHttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    partial: str | None = None,
    target: str | None = None,
    status: int = 200,
) -> HttpResponse:
    """One URL, two renders: the whole page, or for an htmx request the named ``partial`` of
    the same template (only when the request targets ``target``, if one is given)."""
    if partial and request.htmx and (target is None or request.htmx.target == target):
        template = f"{template}#{partial}"
    return render(request, template, context, status=status)


def redirect_back(request: HttpRequest, fallback: str) -> HttpResponse:
    """Back to the page the person came from (this site only), else ``fallback``."""
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(referer)
    return redirect(fallback)
