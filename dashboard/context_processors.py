from __future__ import annotations

from django.http import HttpRequest

from forums.web.navigation import navigation_for

# The navigation worked out once per request: a streamed page renders its parts one by one
# with the request (a People search re-renders its table at each batch of answers), and the
# badges cost a query each.
_NAV_ITEMS = "_forumdeck_nav_items"


def navigation(request: HttpRequest) -> dict:
    """The main navigation, from the registry: the entries this person may open, the one they
    are on, and the badges (e.g. bulk actions waiting for their approval)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items = getattr(request, _NAV_ITEMS, None)
    if items is None:
        items = navigation_for(request)
        setattr(request, _NAV_ITEMS, items)
    return {"nav_items": items}
