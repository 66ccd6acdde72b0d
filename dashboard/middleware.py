from __future__ import annotations

import zoneinfo

from django.utils import timezone


class TimezoneMiddleware:
    """Show times in the browser's zone: base.html's script stores it in a cookie."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        name = request.COOKIES.get("forumdeck_tz", "")
        try:
            timezone.activate(zoneinfo.ZoneInfo(name)) if name else timezone.deactivate()
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.deactivate()
        return self.get_response(request)


class ForumdeckHeaderMiddleware:
    """Mark every answer as Forumdeck's, so a forum connection mistakenly pointed at
    Forumdeck's own address says so (forums.clients.base.FORUMDECK_HEADER) instead of
    "not a forum" on one page and "a redirect" on the next."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from forums.clients.base import FORUMDECK_HEADER

        response = self.get_response(request)
        response.headers.setdefault(FORUMDECK_HEADER, "1")
        return response
