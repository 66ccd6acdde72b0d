"""Discourse versions: parse what ``/about.json`` reports, and the version ranges where the API
that Forumdeck uses changed.

Discourse named its releases ``3.4.2`` (stable), ``3.5.0.beta3`` (beta) until 2025, then moved to
monthly ``YYYY.M`` releases: ``2025.12.0``, and ``2026.1.0-latest`` for a tests-passed build.
Each range below names where the change is read (``discourse/discourse``); the dates are the
newest controllers' own ``Discourse.deprecate(..., since:)`` notes. A forum that does not
report a version is taken to run a current release (what a new forum runs).

Supported: the releases of the last two years, from 3.4 (stable, January 2025) on. Older forums
still get the older request shapes, and their connection card says they are unsupported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_VERSION = re.compile(r"^\s*v?(\d+)\.(\d+)(?:\.(\d+))?(?:[.\-+]?(.*))?$")


@dataclass(frozen=True, order=True, slots=True)
class DiscourseVersion:
    """A release number, compared by (major, minor, patch); the suffix (``beta3``,
    ``latest``) is kept for display only: a beta or tests-passed build of a release already
    carries that release's API changes (the deprecation notes name ``2025.12.0-latest``)."""

    major: int
    minor: int
    patch: int = 0
    suffix: str = ""

    @property
    def release(self) -> tuple[int, int, int]:
        return (self.major, self.minor, self.patch)

    def at_least(self, major: int, minor: int, patch: int = 0) -> bool:
        return self.release >= (major, minor, patch)

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        return f"{text}-{self.suffix}" if self.suffix else text


def parse_version(text: object) -> DiscourseVersion | None:
    """``"3.4.2"``, ``"2026.1.0-latest"``, ``"3.5.0.beta3"``, ``"3.4"``; None if it is not a
    version (an empty or hidden ``version`` field)."""
    if not isinstance(text, str):
        return None
    match = _VERSION.match(text)
    if match is None:
        return None
    major, minor, patch, suffix = match.groups()
    return DiscourseVersion(int(major), int(minor), int(patch or 0), (suffix or "").strip())


# The oldest release Forumdeck supports: 3.4 stable (January 2025), the oldest Discourse
# release of the last two years.
OLDEST_SUPPORTED = DiscourseVersion(3, 4, 0)
SUPPORTED_TEXT = "Discourse 3.4 and later (3.4.x stable and the monthly 2025.x / 2026.x releases)"


def unsupported_note(version: DiscourseVersion | None) -> str:
    """What a connection card says about a forum too old for Forumdeck ("" when supported or
    unknown)."""
    if version is None or version.release >= OLDEST_SUPPORTED.release:
        return ""
    return (
        f"This forum runs Discourse {version}, which is older than the oldest release Forumdeck "
        f"supports ({OLDEST_SUPPORTED.major}.{OLDEST_SUPPORTED.minor}). Pages still work, but "
        "some changes may be refused or do nothing on it: ask its administrator to upgrade."
    )


# --- the ranges ---------------------------------------------------------------------------------
def renames_tag_by_name(version: DiscourseVersion | None) -> bool:
    """``PUT /tag/{name}.json``: since 2025.12 the new name is ``tag[name]`` and a body with
    ``tag[id]`` is refused with 422; before, only ``tag[id]`` is read (a ``tag[name]`` body
    changes nothing and answers 200). ``app/controllers/tags_controller.rb`` ``#update``
    (``Discourse.deprecate(..., since: "2025.12.0-latest")``; older versions read
    ``params[:tag][:id]``)."""
    return version is None or version.at_least(2025, 12)


def merges_tags_by_array(version: DiscourseVersion | None) -> bool:
    """``POST /tag/{name}/synonyms.json``: since 2026.01 the tags to merge are ``tags[]``
    (``{id}`` of an existing tag, ``{name}`` of a new one) and ``synonyms[]`` is deprecated
    (drop_from 2026.07); before, only ``synonyms[]`` (names) is read.
    ``app/controllers/tags_controller.rb`` ``#create_synonyms``."""
    return version is None or version.at_least(2026, 1)


def tag_groups_by_objects(version: DiscourseVersion | None) -> bool:
    """``POST/PUT /tag_groups(/{id}).json``: since 2026.01 the tag fields are ``tags[]`` and
    ``parent_tag[]`` (``{id, name}`` objects); ``tag_names`` / ``parent_tag_name`` are
    deprecated (drop_from 2026.07). Before, only ``tag_names`` / ``parent_tag_name`` are read,
    so sending the new fields there would empty the group.
    ``app/controllers/tag_groups_controller.rb`` ``tag_groups_params``."""
    return version is None or version.at_least(2026, 1)
