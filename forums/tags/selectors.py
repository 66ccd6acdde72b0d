"""Reading tags: every tag on every enabled forum grouped by name (``billing`` on three forums
is one row with three counts), one tag's topics on each forum, and Discourse's tag groups.

Each forum is asked in parallel and a forum that fails gets its own line. A forum's tag list is
cached for two minutes, so filters and pages reuse one answer; a change made here forgets it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.cache import cache

from forums.clients import client_class, get_client
from forums.clients.errors import CapabilityNotOffered, ForumError, ForumNotFound
from forums.clients.records import Capability, ForumTag, ForumTagGroup, ForumTopic
from forums.core.areas import kinds_changing
from forums.core.fleet import cached_lists, changed_since, enabled_connections, fan_out
from forums.core.fleet_index.lists import fleet_lists
from forums.core.fleet_index.reads import indexed_tag
from forums.core.fleet_index.rows import index_lists_forget
from forums.core.outcomes import ForumOutcome
from forums.models import ForumConnection

TOPICS_SHOWN = 50  # per forum on a tag's page


def _cache_key(connection_id: int) -> str:
    return f"forumdeck:tags:{connection_id}"


def forget_tags(*connections: ForumConnection) -> None:
    cache.delete_many([_cache_key(c.pk) for c in connections])
    index_lists_forget(connection_ids=[c.pk for c in connections], kind="tags")


def _fetch_tags(connection: ForumConnection) -> list[ForumTag]:
    with get_client(connection) as client:
        return client.list_tags()


def tags_of(
    connections: Sequence[ForumConnection], *, refresh: bool = False, deadline: float | None = None
) -> list[tuple[ForumConnection, Any]]:
    """Each forum's tags (cached two minutes unless a bulk action changed that forum)."""
    return cached_lists(connections, key=_cache_key, area="tags", fetch=_fetch_tags,
                        refresh=refresh, prefix="tags", deadline=deadline)  # fmt: skip


@dataclass(frozen=True)
class TagCount:
    connection_id: int
    connection_name: str
    count: int
    scope: str = ""  # where the tag lives on a forum with several tag spaces
    last_known: bool = False  # the forum did not answer: as the index last saw it


@dataclass
class TagRow:
    name: str
    counts: list[TagCount] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(c.count for c in self.counts)

    @property
    def forum_ids(self) -> set[int]:
        return {c.connection_id for c in self.counts}


@dataclass
class TagListResult:
    rows: list[TagRow]
    forums: list[ForumOutcome]


def _problem(connection: ForumConnection, exc: BaseException) -> str:
    if isinstance(exc, CapabilityNotOffered):
        return "tags are not offered by this forum."
    if isinstance(exc, ForumError):
        return str(exc)
    raise exc


def tag_list(
    *,
    query: str = "",
    connection_ids: Sequence[int] | None = None,
    unused: bool = False,
    one_forum_only: bool = False,
    refresh: bool = False,
) -> TagListResult:
    """Tags by name across the chosen forums. ``unused``: no topic carries the tag on any of
    them; ``one_forum_only``: only one of them has it."""
    connections = enabled_connections(connection_ids)
    wanted = query.strip().lower()
    rows: dict[str, TagRow] = {}
    outcomes = []
    answers = fleet_lists(
        connections, kind="tags", live=tags_of, refresh=refresh,
        changed=lambda connection, at: changed_since(connection, at, kinds_changing("tags")),
    )  # fmt: skip
    for answer in answers:
        connection, result = answer.connection, answer.result
        outcome = ForumOutcome(connection.pk, connection.name, as_of=answer.as_of)
        outcomes.append(outcome)
        stale = False
        if isinstance(result, BaseException):
            outcome.error = _problem(connection, result)
            if answer.last_known is None:
                continue
            # A dead or hanging forum: what the index last saw, marked as such.
            result, stale = answer.last_known.items, True
            outcome.last_known_as_of = answer.last_known.as_of
        outcome.count = len(result)
        for tag in result:
            if wanted and wanted not in tag.name.lower():
                continue
            row = rows.setdefault(tag.name.lower(), TagRow(tag.name))
            row.counts.append(
                TagCount(connection.pk, connection.name, tag.topic_count, tag.scope, stale)
            )
    chosen = list(rows.values())
    if unused:
        chosen = [r for r in chosen if r.total == 0]
    if one_forum_only:
        chosen = [r for r in chosen if len(r.forum_ids) == 1]
    chosen.sort(key=lambda r: r.name.lower())
    return TagListResult(chosen, outcomes)


@dataclass(frozen=True)
class Way:
    """How one kind of change happens on one forum, in words for the page."""

    offered: bool
    direct: bool = False
    words: str = ""


def ways(connection: ForumConnection, count: int, spaces: Sequence[str] = ()) -> dict[str, Way]:
    """rename / merge / delete / create on this forum: one call, by retagging its topics, or
    not offered. Asked of the client class, never the platform's name. ``spaces``: where a
    tag lives per space of the forum (a UserEcho project's forums), the spaces that have it:
    a change by name is one call in each."""
    cls = client_class(connection.platform)
    one_call = "one call"
    if cls.tag_scope_note and len(spaces) > 1:
        one_call = (
            f"{len(spaces)} calls, one in each forum of the project that has it "
            f"({', '.join(spaces)}), unless you choose one"
        )
    retag = cls.supports(Capability.TOPIC_RETAG)
    by_topics = f"by retagging its {count} topic{'s' if count != 1 else ''}, one by one"
    result = {}
    for action, capability in (
        ("rename", Capability.TAG_RENAME),
        ("merge", Capability.TAG_MERGE),
        ("delete", Capability.TAG_DELETE),
    ):
        if cls.supports(capability):
            result[action] = Way(True, True, one_call)
        elif retag:
            result[action] = Way(True, False, by_topics)
        else:
            result[action] = Way(False, words="not offered by this forum")
    create = cls.supports(Capability.TAG_CREATE)
    result["create"] = Way(create, create, "one call" if create else "not offered by this forum")
    return result


@dataclass
class TagOnForum:
    connection: ForumConnection
    tag: ForumTag | None = None
    topics: list[ForumTopic] = field(default_factory=list)
    ways: dict[str, Way] = field(default_factory=dict)
    error: str = ""
    software: str = ""
    # The forum did not answer now: ``tag`` is what the index last saw of it, as of then.
    last_known_as_of: datetime | None = None
    left_empty_note: str = ""  # what the forum keeps of a tag with no topics
    scope_note: str = ""  # what a change by name touches where tags live per space


@dataclass
class TagDetail:
    name: str
    forums: list[TagOnForum]

    @property
    def present(self) -> list[TagOnForum]:
        return [f for f in self.forums if f.tag is not None]


def _tag_on(connection: ForumConnection, name: str, with_topics: bool) -> TagOnForum:
    cls = client_class(connection.platform)
    found = TagOnForum(
        connection,
        software=cls.software,
        left_empty_note=cls.tag_left_empty_note,
        scope_note=cls.tag_scope_note,
    )
    with get_client(connection) as client:
        # A forum with several tag spaces (UserEcho's forums) has the name once per scope:
        # one line here, its counts summed and its scopes named.
        same = [t for t in client.list_tags() if t.name.lower() == name.lower()]
        if same:
            found.tag = ForumTag(
                name=same[0].name,
                topic_count=sum(t.topic_count for t in same),
                id=same[0].id,
                scope=", ".join(dict.fromkeys(t.scope for t in same if t.scope)),
            )
        if found.tag is not None and with_topics:
            try:
                found.topics = client.list_tag_topics(tag=found.tag.name, limit=TOPICS_SHOWN)
            except ForumNotFound:
                found.topics = []
    spaces = found.tag.scope.split(", ") if found.tag and found.tag.scope else []
    found.ways = ways(connection, found.tag.topic_count if found.tag else 0, spaces)
    return found


def _last_known(connection: ForumConnection, name: str, error: str) -> TagOnForum:
    """A forum that did not answer (busy, down, hanging): the tag as the index last saw it
    there, marked with when, so the forum stays on the page and in a change "everywhere"; a
    forum the index knows no such tag of shows only why it did not answer."""
    software = client_class(connection.platform).software
    known = indexed_tag(connection_id=connection.pk, name=name)
    if known is None:
        return TagOnForum(connection, error=error, ways=ways(connection, 0), software=software)
    tag, as_of = known
    return TagOnForum(connection, tag=tag, ways=ways(connection, tag.topic_count), error=error,
                      software=software, last_known_as_of=as_of)  # fmt: skip


def tag_detail(*, name: str, with_topics: bool = True) -> TagDetail:
    """The tag on every enabled forum: its count, its first topics, and how each change
    would happen there."""
    connections = enabled_connections()
    forums = []
    for connection, result in fan_out(
        connections, lambda c: _tag_on(c, name, with_topics), "tags-detail"
    ):
        if isinstance(result, BaseException):
            result = _last_known(connection, name, _problem(connection, result))
        forums.append(result)
    return TagDetail(name, forums)


@dataclass(frozen=True)
class TagGroupsLookup:
    groups: list[ForumTagGroup]
    offered: bool = True
    error: str = ""


def tag_groups(*, connection: ForumConnection) -> TagGroupsLookup:
    if not client_class(connection.platform).supports(Capability.TAG_GROUPS):
        return TagGroupsLookup([], offered=False)
    try:
        with get_client(connection) as client:
            groups = client.list_tag_groups()
    except ForumError as exc:
        return TagGroupsLookup([], error=str(exc))
    return TagGroupsLookup(sorted(groups, key=lambda g: g.name.lower()))


def tag_group(*, connection: ForumConnection, tag_group_id: int) -> ForumTagGroup | None:
    lookup = tag_groups(connection=connection)
    return next((g for g in lookup.groups if g.id == tag_group_id), None)


def connections_offering(capability: Capability) -> list[ForumConnection]:
    return [c for c in enabled_connections() if client_class(c.platform).supports(capability)]


def tag_spaces(connection: ForumConnection) -> list[str]:
    """The spaces this forum's tags live in (a UserEcho project's forums); [] for one, or
    when the forum cannot be asked now (the page then offers every space at once)."""
    if not client_class(connection.platform).tag_scope_note:
        return []
    try:
        with get_client(connection) as client:
            return client.tag_spaces()
    except ForumError:
        return []
