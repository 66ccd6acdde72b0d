"""The main navigation: the overview, then one entry per area, in the order the areas ask
for (each area registers its entry in its ``area.py``; see ``forums.core.areas``).
``base.html`` reads it.

An entry is current when the page's URL belongs to its area (its ``urls`` module), so a new
area adds nothing here and nothing in the templates.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import import_module

from django.http import HttpRequest
from django.urls import reverse

from forums.core.areas import NavEntry, areas


@dataclass(frozen=True)
class NavLink:
    label: str
    url: str
    current: bool
    badge: int = 0
    badge_title: str = ""


OVERVIEW = NavEntry("Overview", "overview", "", order=0)  # the site's own page, not an area


@cache
def _url_names(module: str) -> frozenset[str]:
    return frozenset(p.name for p in import_module(module).urlpatterns if p.name)


def navigation_for(request: HttpRequest) -> list[NavLink]:
    user = request.user
    match = getattr(request, "resolver_match", None)
    current_name = match.url_name if match else None
    links = [
        NavLink(
            label=OVERVIEW.label,
            url=reverse(OVERVIEW.url_name),
            current=match is not None and match.view_name == OVERVIEW.url_name,
        )
    ]
    for area in areas():
        item = area.nav
        if item.permission and not user.has_perm(item.permission):
            continue
        current = (
            match is not None
            and "forums" in match.namespaces
            and (current_name in _url_names(area.urls))
        )
        links.append(
            NavLink(
                label=item.label,
                url=reverse(item.url_name),
                current=current,
                badge=item.badge(user) if item.badge else 0,
                badge_title=item.badge_title,
            )
        )
    return links
