"""The area registry: each area says, in its own ``forums/<area>/area.py``, what the shared
parts need to know about it, so none of them imports an area.

- its **navigation entry** (``forums.web.navigation`` draws the menu from it; a badge, such as
  the bulk actions waiting for this person, is the area's own callable);
- its **audit labels**: the words for the action ids it writes (``group.create`` -> "Group
  created"), and ``label_source`` for ids worded at run time (``user.<key>``, ``bulk.<kind>``);
- its **permissions**, each with the least role that holds it (``forums.roles`` builds the
  roles from them);
- the **template filters** its templates use (the ``forumdeck`` library registers them).

An ``area.py`` imports nothing but this module and ``forums.roles``: what it registers that
needs the area's code (a badge, a label source, a filter) imports it when called. So the
registry can be read at any time, even while Django is still loading its apps.
"""

from __future__ import annotations

import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import import_module
from pathlib import Path
from typing import Any

PACKAGE = "forums"


@dataclass(frozen=True)
class NavEntry:
    """One entry of the main menu; an area's pages (its ``urls`` module) make it current."""

    label: str
    url_name: str  # where the entry leads
    permission: str  # who sees it ("": everyone signed in)
    order: int  # place in the menu, smallest first
    badge: Callable[[Any], int] | None = None  # e.g. items waiting for this person
    badge_title: str = ""


@dataclass(frozen=True)
class Area:
    name: str  # the package: forums.<name>
    nav: NavEntry
    labels: Mapping[str, str] = field(default_factory=dict)  # audit action id -> words
    # Action ids worded at run time (every kind, every single action): id -> words, asked
    # with a platform (a registry key: the words of that forum software) or "" (the fleet's).
    label_source: Callable[..., Mapping[str, str]] | None = None
    # Permission ("forums.view_backups") -> the least role that holds it.
    permissions: Mapping[str, str] = field(default_factory=dict)
    filters: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    # The bulk area: each kind's key -> the area whose lists its runs change (``Kind.area``).
    bulk_kinds: Callable[[], Mapping[str, str]] | None = None

    @property
    def urls(self) -> str:
        return f"{PACKAGE}.{self.name}.urls"


_AREAS: dict[str, Area] = {}


def register(area: Area) -> Area:
    """Called once by each ``forums/<area>/area.py``."""
    if area.name in _AREAS and _AREAS[area.name] != area:
        raise ValueError(f"area {area.name!r} is registered twice")
    _AREAS[area.name] = area
    return area


def area_packages() -> list[str]:
    """Every sub-package of forums/ that has an ``area.py``: the areas, found, not listed."""
    module_file = import_module(PACKAGE).__file__
    assert module_file is not None  # a package on disk, not a namespace
    root = Path(module_file).parent
    return sorted(
        info.name
        for info in pkgutil.iter_modules([str(root)])
        if info.ispkg and (root / info.name / "area.py").exists()
    )


@cache
def _discover() -> None:
    for name in area_packages():
        import_module(f"{PACKAGE}.{name}.area")


def areas() -> list[Area]:
    """Every registered area, in menu order."""
    _discover()
    return sorted(_AREAS.values(), key=lambda a: (a.nav.order, a.name))


def area(name: str) -> Area | None:
    _discover()
    return _AREAS.get(name)


# --- audit labels ------------------------------------------------------------------------------
def _labels() -> dict[str, str]:
    labels: dict[str, str] = {}
    for each in areas():
        labels.update(each.labels)
    return labels


def _worded_at_run_time(platform: str = "") -> dict[str, str]:
    labels: dict[str, str] = {}
    for each in areas():
        if each.label_source is not None:
            for action, words in each.label_source(platform).items():
                labels.setdefault(action, words)
    return labels


def action_label(action: str, platform: str = "") -> str:
    """ "user.suspend" -> "Suspend (one person)"; "bulk.group_add" -> "Bulk: Add members to
    a group"; "bulk.unsuspend" on a forum whose software bans (``platform``) -> "Bulk: Unban";
    an id nobody registered -> itself, never hidden."""
    fixed = _labels()
    if action in fixed:
        return fixed[action]
    return _worded_at_run_time(platform).get(action, action)


def action_choices(actions: list[str]) -> list[tuple[str, str]]:
    """(id, label) for a filter, sorted by label."""
    return sorted(((a, action_label(a)) for a in actions), key=lambda pair: pair[1].lower())


def known_actions() -> list[str]:
    """Every action id Forumdeck writes: the audit filter's choices, without reading the log."""
    fixed = _labels()
    return [*fixed, *(a for a in _worded_at_run_time() if a not in fixed)]


# --- bulk kinds ---------------------------------------------------------------------------------
def kinds_changing(name: str) -> tuple[str, ...]:
    """The bulk kinds whose runs change this area's lists (each kind says so itself)."""
    return tuple(
        kind
        for each in areas()
        if each.bulk_kinds is not None
        for kind, changes in each.bulk_kinds().items()
        if changes == name
    )


# --- template filters --------------------------------------------------------------------------
def template_filters() -> dict[str, Callable[..., Any]]:
    filters: dict[str, Callable[..., Any]] = {}
    for each in areas():
        filters.update(each.filters)
    return filters
