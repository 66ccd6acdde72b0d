"""Reading groups: every group on every enabled forum, one group and its members, and the
difference between a group and its namesakes on other forums (the sync preview).

Each forum is asked in parallel; a forum that fails or is slow gets its own line and never holds
the others up past the deadline. A forum's group list is cached for two minutes, so searching,
filtering and paging the table reuse one answer; a change made here forgets it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.utils import timezone

from forums.clients import ForumClient, client_class, get_client
from forums.clients.errors import CapabilityNotOffered, ForumError, ForumNotFound
from forums.clients.records import Capability, ForumGroup, ForumUser, GroupMembersPage
from forums.core.areas import kinds_changing
from forums.core.fleet import cached_lists, changed_since, enabled_connections, fan_out
from forums.core.fleet_index.lists import fleet_lists
from forums.core.fleet_index.rows import index_lists_forget
from forums.core.outcomes import ForumOutcome
from forums.models import ForumConnection

MEMBERS_PER_PAGE = 50


@dataclass(frozen=True)
class GroupRow:
    connection_id: int
    connection_name: str
    group: ForumGroup
    locked_reason: str = ""  # why Forumdeck does not change it (automatic / system group)
    last_known: bool = False  # the forum did not answer: as the index last saw it


@dataclass
class GroupListResult:
    rows: list[GroupRow]
    forums: list[ForumOutcome]


def _cache_key(connection_id: int) -> str:
    return f"forumdeck:groups:{connection_id}"


def forget_groups(*connections: ForumConnection) -> None:
    """After a change: the next list (and members page) asks the forum again."""
    cache.delete_many([_cache_key(c.pk) for c in connections])
    for connection in connections:
        _members_generation_bump(connection.pk)
    index_lists_forget(connection_ids=[c.pk for c in connections], kind="groups")


MEMBERS_CACHE_SECONDS = 60  # a members page, kept while someone pages back and forth


def _members_generation_key(connection_id: int) -> str:
    return f"forumdeck:group-members-gen:{connection_id}"


def _members_generation_bump(connection_id: int) -> None:
    key = _members_generation_key(connection_id)
    cache.add(key, 0, None)
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, None)


def _members_cache_key(connection_id: int, key: str, query: str, page: int) -> str:
    generation = cache.get(_members_generation_key(connection_id), 0)
    raw = f"{key}|{query.strip().lower()}|{page}"
    digest = hashlib.sha256(raw.encode()).hexdigest()
    return f"forumdeck:group-members:{connection_id}:{generation}:{digest}"


def _fetch_groups(connection: ForumConnection) -> list[ForumGroup]:
    with get_client(connection) as client:
        return client.list_groups()


def groups_of(
    connections: Sequence[ForumConnection], *, refresh: bool = False, deadline: float | None = None
) -> list[tuple[ForumConnection, Any]]:
    return cached_lists(connections, key=_cache_key, area="groups", fetch=_fetch_groups,
                        refresh=refresh, prefix="groups", deadline=deadline)  # fmt: skip


def locked_reason(connection: ForumConnection, group: ForumGroup) -> str:
    return client_class(connection.platform).automatic_group_reason if group.automatic else ""


def _problem(connection: ForumConnection, exc: BaseException) -> str:
    if isinstance(exc, CapabilityNotOffered):
        return f"{connection.name}: groups are not offered by this forum."
    if isinstance(exc, ForumError):
        return str(exc)
    raise exc


def group_list(
    *, query: str = "", connection_ids: Sequence[int] | None = None, refresh: bool = False
) -> GroupListResult:
    """Every group on the chosen (enabled) forums whose name or full name contains ``query``,
    sorted by name then forum."""
    connections = enabled_connections(connection_ids)
    wanted = query.strip().lower()
    rows: list[GroupRow] = []
    outcomes: list[ForumOutcome] = []
    answers = fleet_lists(
        connections, kind="groups", live=groups_of, refresh=refresh,
        changed=lambda connection, at: changed_since(connection, at, kinds_changing("groups")),
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
        for group in result:
            if (
                wanted
                and wanted not in group.name.lower()
                and wanted not in group.full_name.lower()
            ):
                continue
            rows.append(
                GroupRow(
                    connection.pk,
                    connection.name,
                    group,
                    locked_reason(connection, group),
                    last_known=stale,
                )  # fmt: skip
            )
            outcome.count += 1
    rows.sort(key=lambda r: (r.group.name.lower(), r.connection_name.lower()))
    return GroupListResult(rows, outcomes)


def offers(connection: ForumConnection, capability: Capability) -> bool:
    return client_class(connection.platform).supports(capability)


def groups_named(
    *, name: str, exclude: int | None = None, needs: Capability | None = None
) -> list[GroupRow]:
    """The groups with this name (or slug) on other enabled forums (those offering ``needs``),
    from the cached lists: the namesakes a picker offers."""
    wanted = name.strip().lower()
    others = [
        c for c in enabled_connections() if c.pk != exclude and (needs is None or offers(c, needs))
    ]
    rows = []
    for connection, result in groups_of(others):
        if isinstance(result, BaseException):
            continue
        for group in result:
            if wanted in {group.name.lower(), group.slug.lower()}:
                rows.append(
                    GroupRow(
                        connection.pk, connection.name, group, locked_reason(connection, group)
                    )
                )
    return rows


@dataclass(frozen=True)
class GroupLookup:
    """One group on one forum, read fresh: the group, or why there is none."""

    group: ForumGroup | None
    error: str = ""
    gone: bool = False
    locked_reason: str = ""


def group_lookup(*, connection: ForumConnection, key: str) -> GroupLookup:
    try:
        with get_client(connection) as client:
            group = client.get_group(key=key)
    except ForumNotFound:
        return GroupLookup(
            None,
            f"There is no group “{key}” on {connection.name} (any more): it was deleted or "
            "renamed.",
            gone=True,
        )
    except ForumError as exc:
        return GroupLookup(None, f"{connection.name} could not be asked: {exc}")
    return GroupLookup(group, locked_reason=locked_reason(connection, group))


@dataclass(frozen=True)
class MembersLookup:
    page: GroupMembersPage | None
    error: str = ""

    @property
    def number(self) -> int:
        return self.page.offset // MEMBERS_PER_PAGE + 1 if self.page else 1

    @property
    def pages(self) -> int:
        if not self.page or not self.page.total:
            return 1
        return (self.page.total - 1) // MEMBERS_PER_PAGE + 1


def group_members(
    *, connection: ForumConnection, key: str, query: str = "", page: int = 1
) -> MembersLookup:
    """One page of the group's members whose username (or name) contains ``query``."""
    page = max(page, 1)
    # One page read is kept a minute (per page, dropped by any change made here, and unused
    # once a bulk action changed this forum's groups since): paging back and forth through a
    # big group does not ask the forum again for each view.
    cache_key = _members_cache_key(connection.pk, key, query, page)
    kept = cache.get(cache_key)
    if kept is not None and not changed_since(connection, kept[0], kinds_changing("groups")):
        return MembersLookup(kept[1])
    try:
        with get_client(connection) as client:
            found = client.group_members_page(
                key=key, query=query, offset=(page - 1) * MEMBERS_PER_PAGE, limit=MEMBERS_PER_PAGE
            )
    except ForumError as exc:
        return MembersLookup(None, str(exc))
    cache.set(cache_key, (timezone.now(), found), MEMBERS_CACHE_SECONDS)
    return MembersLookup(found)


def group_members_all(*, connection: ForumConnection, key: str) -> Iterator[ForumUser]:
    """Every member (for the CSV export); a forum error propagates."""
    with get_client(connection) as client:
        yield from client.list_group_members(key=key)


# --- sync: a group and its namesakes on other forums ----------------------------------------
@dataclass(frozen=True)
class Person:
    """One member of the source group."""

    username: str
    email: str = ""


@dataclass(frozen=True)
class Match:
    person: Person
    username: str  # the account on the target forum
    by: str = ""  # "e-mail" or "username"


@dataclass
class SyncForum:
    connection: ForumConnection
    key: str
    group: ForumGroup | None = None
    add: list[Match] = field(default_factory=list)
    remove: list[Person] = field(default_factory=list)
    no_account: list[Person] = field(default_factory=list)
    in_step: int = 0
    error: str = ""

    @property
    def targets(self) -> list[str]:
        return [f"add:{m.username}" for m in self.add] + [
            f"remove:{p.username}" for p in self.remove
        ]


@dataclass
class SyncPreview:
    source: ForumConnection
    source_group: ForumGroup | None
    members: int = 0
    forums: list[SyncForum] = field(default_factory=list)
    remove: bool = False
    error: str = ""

    @property
    def changes(self) -> int:
        return sum(len(f.targets) for f in self.forums if not f.error)

    @property
    def label(self) -> str:
        name = self.source_group.name if self.source_group else "?"
        return f"{self.source.name}: {name}"

    def targets_by_connection(self) -> dict[ForumConnection, list[str]]:
        return {f.connection: f.targets for f in self.forums if not f.error and f.targets}


# A preview shown on the sync page is kept this long for the "Propose this sync" that follows
# it: proposing reuses it instead of asking every forum again (the plan re-checks each line
# against the forum anyway: who exists, who is a member).
PREVIEW_KEPT_SECONDS = 15 * 60


def _preview_key(token: str) -> str:
    return f"groups:sync-preview:{token}"


def _preview_question(
    user_id: int,
    source: ForumConnection,
    source_key: str,
    targets: Sequence[tuple[ForumConnection, str]],
    remove: bool,
) -> list:
    return [user_id, source.pk, source_key, sorted([c.pk, k] for c, k in targets), bool(remove)]


def remember_sync_preview(
    preview: SyncPreview, *, user_id: int, targets: Sequence[tuple[ForumConnection, str]]
) -> str:
    """Keep a preview that can be proposed for the proposal that follows; its token (for the
    page's form), or "" when there is nothing to propose."""
    if preview.error or not preview.changes or any(f.error for f in preview.forums):
        return ""
    import secrets

    token = secrets.token_urlsafe(16)
    question = _preview_question(
        user_id, preview.source, preview.source_group.key if preview.source_group else "",
        targets, preview.remove,
    )  # fmt: skip
    kept = {
        "question": question,
        "label": preview.label,
        "groups": {f.connection.pk: f.group.key for f in preview.forums if f.group is not None},
        "targets": {c.pk: t for c, t in preview.targets_by_connection().items()},
    }
    cache.set(_preview_key(token), kept, PREVIEW_KEPT_SECONDS)
    return token


@dataclass(frozen=True)
class KeptPreview:
    label: str
    groups: dict[int, str]  # connection id -> the target group's key there
    targets: dict[int, list[str]]  # connection id -> "add:<name>" / "remove:<name>"


def recalled_sync_preview(
    token: str,
    *,
    user_id: int,
    source: ForumConnection,
    source_key: str,
    targets: Sequence[tuple[ForumConnection, str]],
    remove: bool,
) -> KeptPreview | None:
    """The preview this person was shown for exactly this question, if it is still kept."""
    if not token:
        return None
    kept = cache.get(_preview_key(token))
    if not kept or kept["question"] != _preview_question(
        user_id, source, source_key, targets, remove
    ):
        return None
    return KeptPreview(kept["label"], kept["groups"], kept["targets"])


def _people(client: ForumClient, key: str) -> tuple[ForumGroup, list[ForumUser], dict[int, str]]:
    group = client.get_group(key=key)
    members = client.list_group_members(key=group.key)
    return group, members, client.member_emails(users=members)


def group_sync_preview(
    *,
    source: ForumConnection,
    source_key: str,
    targets: Sequence[tuple[ForumConnection, str]],
    remove: bool = False,
) -> SyncPreview:
    """Who each target group would gain (and, with ``remove``, lose) to match the source group:
    people are matched by e-mail address, then by username. Reads only."""
    preview = SyncPreview(source, None, remove=remove)
    if not offers(source, Capability.GROUP_MEMBERS):
        preview.error = f"{source.name} does not list a group's members: it cannot be a source."
        return preview
    try:
        with get_client(source) as client:
            group, members, emails = _people(client, source_key)
    except ForumNotFound:
        preview.error = f"There is no group “{source_key}” on {source.name} (any more)."
        return preview
    except ForumError as exc:
        preview.error = f"{source.name}: {exc}"
        return preview
    preview.source_group, preview.members = group, len(members)
    people = [Person(m.username, emails.get(m.id, "")) for m in members]
    for connection, result in fan_out(
        [c for c, _ in targets],
        lambda c: _sync_forum(c, dict((t.pk, k) for t, k in targets)[c.pk], people, remove),
        "groups-sync",
    ):
        if isinstance(result, BaseException):
            key = dict((t.pk, k) for t, k in targets)[connection.pk]
            result = SyncForum(connection, key, error=_problem(connection, result))
        preview.forums.append(result)
    return preview


def _sync_forum(
    connection: ForumConnection, key: str, people: list[Person], remove: bool
) -> SyncForum:
    forum = SyncForum(connection, key)
    with get_client(connection) as client:
        if not client.supports(Capability.GROUP_MEMBERS):
            forum.error = (
                f"{client.software} does not list a group's members through its API, so a group "
                "there cannot be synced."
            )
            return forum
        try:
            group, members, emails = _people(client, key)
        except ForumNotFound:
            forum.error = f"There is no group “{key}” on {connection.name}."
            return forum
        forum.group = group
        if group.automatic:
            forum.error = client.automatic_group_reason
            return forum
        by_email = {emails[m.id]: m for m in members if m.id in emails}
        by_name = {m.username.lower(): m for m in members}
        matched: set[int] = set()
        outside: list[Person] = []
        for person in people:
            member = by_email.get(person.email) if person.email else None
            if member is None:
                member = by_name.get(person.username.lower())
            if member is not None:
                matched.add(member.id)
                forum.in_step += 1
            else:
                outside.append(person)
        # The people not in the target group: their account there, by e-mail, then username.
        found = client.resolve_users(targets=[p.email for p in outside if p.email])
        left = [p for p in outside if not (p.email and p.email in found)]
        found_names = client.resolve_users(targets=[p.username for p in left]) if left else {}
        adding: dict[str, Match] = {}  # one account is added once, whoever it matched
        for person in outside:
            if person.email and person.email in found:
                match = Match(person, found[person.email].username, "e-mail")
            elif person.username.lower() in found_names:
                match = Match(person, found_names[person.username.lower()].username, "username")
            else:
                forum.no_account.append(person)
                continue
            if found_member := by_name.get(match.username.lower()):
                matched.add(found_member.id)  # a member after all (another e-mail)
                forum.in_step += 1
                continue
            adding.setdefault(match.username.lower(), match)
        forum.add = list(adding.values())
        if remove:
            forum.remove = [
                Person(m.username, emails.get(m.id, "")) for m in members if m.id not in matched
            ]
    return forum
