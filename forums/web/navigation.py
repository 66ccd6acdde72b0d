"""The main navigation: one entry per area, in the order shown. ``base.html`` reads it.

An entry is current when the page's URL belongs to its area (its ``urls`` module), so a new
area adds one line here and nothing in the templates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import import_module
from typing import Any

from django.http import HttpRequest
from django.urls import reverse


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str  # where the entry leads
    permission: str  # who sees it ("": everyone signed in)
    area_urls: str = ""  # the area's urls module: its pages make the entry current
    badge: Callable[[object], int] | None = None  # e.g. items waiting for this person
    badge_title: str = ""


@dataclass(frozen=True)
class NavLink:
    label: str
    url: str
    current: bool
    badge: int = 0
    badge_title: str = ""


def _bulk_waiting(user: Any) -> int:
    from forums.bulk.selectors import bulk_waiting_for

    return bulk_waiting_for(user)


NAVIGATION: tuple[NavItem, ...] = (
    NavItem("Overview", "overview", ""),
    NavItem("Forums", "forums:connection-list", "forums.view_forumconnection",
            "forums.connections.urls"),
    NavItem("People", "forums:people-search", "forums.view_forumconnection",
            "forums.people.urls"),
    NavItem("Groups", "forums:group-list", "forums.view_forumconnection",
            "forums.groups.urls"),
    NavItem("Tags", "forums:tag-list", "forums.view_forumconnection", "forums.tags.urls"),
    NavItem("Bulk actions", "forums:bulk-list", "forums.view_bulkaction", "forums.bulk.urls",
            badge=_bulk_waiting, badge_title="waiting for your approval"),
    NavItem("Audit log", "forums:audit-list", "forums.view_auditentry", "forums.audit.urls"),
    NavItem("Backups", "forums:backup-list", "forums.view_backups", "forums.backups.urls"),
    NavItem("Calendar", "forums:calendar-month", "forums.view_calendar", "forums.calendar.urls"),
    NavItem("People & roles", "forums:account-list", "auth.view_user", "forums.accounts.urls"),
)  # fmt: skip


@cache
def _url_names(module: str) -> frozenset[str]:
    return frozenset(p.name for p in import_module(module).urlpatterns if p.name)


def navigation_for(request: HttpRequest) -> list[NavLink]:
    user = request.user
    match = getattr(request, "resolver_match", None)
    current_name = match.url_name if match else None
    links = []
    for item in NAVIGATION:
        if item.permission and not user.has_perm(item.permission):
            continue
        if item.area_urls:
            current = (
                match is not None
                and "forums" in match.namespaces
                and (current_name in _url_names(item.area_urls))
            )
        else:
            current = match is not None and match.view_name == item.url_name
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
