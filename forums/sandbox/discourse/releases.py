"""The Discourse releases the sandbox can play, and the rules that differ between them.

A fleet runs several Discourse releases at once, so the sandbox plays one chosen release
(``SandboxConfig.release``; ``manage.py sandbox discourse --release 3.4``; in tests
``SANDBOX_CONFIG = {"discourse": {"release": "3.4"}}`` or the ``discourse_release`` fixture).
``/about.json`` reports the release's ``version`` and each rule below follows its switch.

The switches and where the change is read (``discourse/discourse``, newest and older versions
of each file; the dates are the newest controllers' own deprecation notes, see
shared/specs/discourse/ENDPOINTS.md "Rules"):

- ``tag_rename_field``: ``app/controllers/tags_controller.rb`` ``#update``. Before 2025.12 only
  ``tag[id]`` is read (as the new name): a ``tag[name]`` body changes nothing and answers 200.
  Since 2025.12 (``Discourse.deprecate ... since: "2025.12.0-latest"``) a body with ``tag[id]``
  is refused with 422, even when ``tag[name]`` is sent too.
- ``tag_ids_integer``: ``GET /tags.json`` gives integer ``id``s (and the name in
  ``name``/``text``) since 2025.12; before, ``id`` was the tag's name.
- ``tag_group_objects``: ``app/controllers/tag_groups_controller.rb`` ``tag_groups_params``.
  Since 2026.01 the tag fields are ``tags`` / ``parent_tag`` (``{id, name, slug}`` objects,
  of which the ``id`` is used); ``tag_names`` / ``parent_tag_name`` still work, deprecated
  (drop_from 2026.07). Older releases read only ``tag_names`` / ``parent_tag_name``.
- ``merge_tags_array``: ``tags_controller.rb`` ``#create_synonyms``. Since 2026.01 the merge
  takes ``tags[]`` (``{id}`` of an existing tag or ``{name}`` of a new one) and ignores
  ``synonyms`` when ``tags`` is present; ``synonyms[]`` (names) is deprecated (drop_from
  2026.07). Older releases read only ``synonyms``.
- ``synonyms_param``: whether ``synonyms[]`` is still read (every release played here; its
  removal is due from 2026.07 and no released version is known to have dropped it).
- ``calendar_plugin``: the discourse-calendar plugin's event shapes, ``"old"`` (the separate
  ``discourse/discourse-calendar`` repository, ``b1ace0a`` 2025-07: a bare array, no
  ``after``/``order``, ``upcoming_dates`` instead of ``rrule``/``occurrences``, no ``.ics``)
  or ``"new"`` (the plugin in core, ``plugins/discourse-calendar/``). Mapped onto
  ``SandboxConfig.legacy_events_plugin``.

Supported: the releases of the last two years, from 3.4 (stable, early 2025) to the current
monthly release. ``OLDEST_SUPPORTED`` is what the client compares a forum's version with.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Release:
    name: str
    version: str  # what /about.json reports (AboutSerializer#version: Discourse::VERSION::STRING)
    tag_rename_field: Literal["id", "name"]
    tag_ids_integer: bool
    tag_group_objects: bool
    merge_tags_array: bool
    synonyms_param: bool
    calendar_plugin: Literal["old", "new"]


RELEASES: dict[str, Release] = {
    # 3.4 stable (3.4.0 in January 2025; the 3.4.x line), the last release named the old way
    # before Discourse moved to YYYY.M versions.
    "3.4": Release(
        name="3.4",
        version="3.4.6",
        tag_rename_field="id",
        tag_ids_integer=False,
        tag_group_objects=False,
        merge_tags_array=False,
        synonyms_param=True,
        calendar_plugin="old",
    ),
    # The current monthly release (tests-passed builds report "-latest").
    "2026.1": Release(
        name="2026.1",
        version="2026.1.0-latest",
        tag_rename_field="name",
        tag_ids_integer=True,
        tag_group_objects=True,
        merge_tags_array=True,
        synonyms_param=True,
        calendar_plugin="new",
    ),
}

DEFAULT_RELEASE = "2026.1"
OLDEST_RELEASE = "3.4"


def release_named(name: str | None) -> Release:
    """The release called ``name`` (the current one when empty); a ValueError names the
    releases the sandbox can play."""
    if not name:
        return RELEASES[DEFAULT_RELEASE]
    try:
        return RELEASES[str(name)]
    except KeyError:
        raise ValueError(
            f"unknown Discourse release {name!r}; the sandbox plays {', '.join(RELEASES)}"
        ) from None
