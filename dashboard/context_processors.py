from __future__ import annotations

from django.http import HttpRequest

from forums.web.navigation import navigation_for


def navigation(request: HttpRequest) -> dict:
    """The main navigation, from the registry: the entries this person may open, the one they
    are on, and the badges (e.g. bulk actions waiting for their approval)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_items": navigation_for(request)}
