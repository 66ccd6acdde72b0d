"""Time zones for forms and pages: the zones to choose from, and the one the viewer's browser
told (base.html's script stores it in a cookie; the middleware shows times in it)."""

from __future__ import annotations

import zoneinfo
from functools import cache

from django.http import HttpRequest

COOKIE = "forumdeck_tz"


@cache
def timezone_choices() -> list[tuple[str, str]]:
    names = sorted(n for n in zoneinfo.available_timezones() if "/" in n or n == "UTC")
    return [(n, n.replace("_", " ")) for n in names]


def browser_timezone_name(request: HttpRequest | None) -> str:
    """The zone the browser said (a valid IANA name), or "" when it said none."""
    name = request.COOKIES.get(COOKIE, "") if request is not None else ""
    if not name:
        return ""
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return ""
    return name
