"""Reads of the fleet index: searching accounts, a forum's progress and freshness."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar, overload

from django.db import connection as database
from django.db.models import (
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    Q,
    QuerySet,
    Sum,
    Window,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower, RowNumber
from django.utils import timezone

from forums.clients.records import ForumGroup, ForumTag, ForumUser
from forums.models import ForumConnection, IndexedAccount, IndexedGroup, IndexedTag, IndexSync

# "New" in the index: joined in the last this many days (the same on every forum).
NEW_DAYS = 30


@dataclass(frozen=True)
class IndexProgress:
    """What a connection's page says about its part of the index."""

    state: str
    state_label: str
    seen: int
    total: int | None
    complete_at: datetime | None  # the last whole read of its accounts
    error: str
    running: bool
    webhook_secret_set_at: datetime | None

    @property
    def seen_shown(self) -> str:
        return f"{self.seen:,}"

    @property
    def total_shown(self) -> str:
        return f"{self.total:,}" if self.total is not None else ""

    @property
    def percent(self) -> int | None:
        if not self.total:
            return None
        return min(100, round(100 * self.seen / self.total))


def index_progress(*, connection: ForumConnection) -> IndexProgress | None:
    sync = IndexSync.objects.filter(connection=connection).first()
    return _progress(sync) if sync is not None else None


def index_progress_many(*, connection_ids: Sequence[int]) -> dict[int, IndexProgress]:
    """Each forum's index progress (one query), for the forum list."""
    return {
        sync.connection_id: _progress(sync)
        for sync in IndexSync.objects.filter(connection_id__in=list(connection_ids))
    }


def _progress(sync: IndexSync) -> IndexProgress:
    return IndexProgress(
        state=sync.state,
        state_label=sync.get_state_display(),
        seen=sync.accounts_seen,
        total=sync.accounts_total,
        complete_at=sync.accounts_complete_at,
        error=sync.error,
        running=sync.state == IndexSync.State.RUNNING,
        webhook_secret_set_at=sync.webhook_secret_set_at,
    )


def indexed_as_of(connection_ids: Sequence[int]) -> dict[int, datetime]:
    """The forums whose accounts were read whole at least once, with when it last was: those
    the pages answer from the index."""
    rows = IndexSync.objects.filter(
        connection_id__in=list(connection_ids), accounts_complete_at__isnull=False
    ).values_list("connection_id", "accounts_complete_at")
    return {connection_id: at for connection_id, at in rows if at is not None}


# The columns a ForumUser is made of (``_user``): a search reads only these, as plain values.
_USER_COLUMNS = (
    "forum_id", "username", "name", "email", "standing", "active", "admin", "moderator",
    "suspended", "suspended_until", "silenced", "silenced_until", "joined_at", "last_seen_at",
    "post_count", "profile_url", "registration_ip",
)  # fmt: skip


def _user(row: Mapping[str, Any]) -> ForumUser:
    return ForumUser(
        id=row["forum_id"],
        username=row["username"],
        name=row["name"],
        email=row["email"] or None,
        trust_level=row["standing"],
        active=row["active"],
        admin=row["admin"],
        moderator=row["moderator"],
        suspended=row["suspended"],
        suspended_until=row["suspended_until"],
        silenced=row["silenced"],
        silenced_until=row["silenced_until"],
        created_at=row["joined_at"],
        last_seen_at=row["last_seen_at"],
        post_count=row["post_count"],
        profile_url=row["profile_url"],
        registration_ip=row["registration_ip"] or "",
    )


def account_user(row: IndexedAccount) -> ForumUser:
    """An index row in the clients' words, so the pages draw it as a live answer."""
    return _user({column: getattr(row, column) for column in _USER_COLUMNS})


def _status_filter(status: str) -> Q:
    now = timezone.now()
    if status == "suspended":
        return Q(suspended=True) & (Q(suspended_until__isnull=True) | Q(suspended_until__gt=now))
    if status == "silenced":
        return Q(silenced=True) & (Q(silenced_until__isnull=True) | Q(silenced_until__gt=now))
    if status == "staff":
        return Q(staff=True)
    if status == "new":
        return Q(joined_at__gte=now - timedelta(days=NEW_DAYS))
    if status:
        raise ValueError(f"unknown status {status!r}")
    return Q()


# SQLite's trigram table (migration 0014) finds substrings of three characters or more.
FTS_MIN_LENGTH = 3


def accounts_matching(*, query: str, status: str = "") -> QuerySet[IndexedAccount]:
    """Accounts whose username, name or e-mail contains ``query`` (any case), on any forum.
    PostgreSQL answers ``haystack LIKE`` from its trigram index; SQLite asks its FTS5 trigram
    table (the LIKE stays, so both say exactly the same)."""
    part = query.strip().lower()
    found = IndexedAccount.objects.filter(_status_filter(status), haystack__contains=part)
    if database.vendor == "sqlite" and len(part) >= FTS_MIN_LENGTH and "\n" not in part:
        phrase = '"' + part.replace('"', '""') + '"'
        found = found.filter(
            pk__in=RawSQL(
                "SELECT rowid FROM forums_indexedaccount_fts WHERE forums_indexedaccount_fts "
                "MATCH %s",
                [phrase],
            )
        )
    return found


def index_search(
    *, query: str, status: str, connection_ids: Sequence[int], limit: int
) -> dict[int, list[ForumUser]]:
    """Each forum's matches, at most ``limit`` each by username: one query for every forum
    (each forum's first ``limit`` numbered in SQL), so a search costs what it finds, not one
    query per forum."""
    ids = list(connection_ids)
    found: dict[int, list[ForumUser]] = {cid: [] for cid in ids}
    if not ids:
        return found
    numbered = (
        accounts_matching(query=query, status=status)
        .filter(connection_id__in=ids)
        .annotate(
            place=Window(
                RowNumber(), partition_by=[F("connection_id")], order_by=[F("username"), F("id")]
            )
        )
        .filter(place__lte=limit)
        .order_by("connection_id", "username", "id")
        .values("connection_id", *_USER_COLUMNS)  # plain values: no model a row
    )
    for row in numbered:
        found[row["connection_id"]].append(_user(row))
    return found


def indexed_groups(*, connection_ids: Sequence[int]) -> QuerySet[IndexedGroup]:
    return IndexedGroup.objects.filter(connection_id__in=list(connection_ids)).order_by("name")


def indexed_tags(*, connection_ids: Sequence[int]) -> QuerySet[IndexedTag]:
    return IndexedTag.objects.filter(connection_id__in=list(connection_ids)).order_by("name")


# --- groups and tags ----------------------------------------------------------------------------
class IndexedItems:
    """A forum's groups or tags as the index holds them, read from the database only when
    iterated: the Groups and Tags pages read just the rows of the page they show instead
    (``indexed_group_rows``, ``indexed_tag_rows``)."""

    def __init__(self, model, convert: Callable, connection_id: int) -> None:
        self.model = model
        self.convert = convert
        self.connection_id = connection_id

    def __iter__(self) -> Iterator:
        rows = self.model.objects.filter(connection_id=self.connection_id).order_by("name")
        return (self.convert(row) for row in rows)

    def __len__(self) -> int:
        return self.model.objects.filter(connection_id=self.connection_id).count()


@dataclass(frozen=True)
class KnownList:
    """A forum's groups or tags as the index holds them, and as of when."""

    as_of: datetime
    items: IndexedItems


def _group(row: IndexedGroup) -> ForumGroup:
    return ForumGroup(
        id=int(row.forum_id) if row.forum_id.isdigit() else row.forum_id,
        name=row.name,
        full_name=row.full_name,
        slug=row.key if row.key != row.name else "",
        description=row.description,
        user_count=row.user_count,
        automatic=row.automatic,
        visible=row.visible,
    )


def _tag(row: IndexedTag) -> ForumTag:
    return ForumTag(name=row.name, topic_count=row.topic_count, scope=row.scope)


def _lists(model, field: str, convert, connection_ids: Sequence[int], *, complete: bool):
    """Each forum's list, as of when: one query for every forum's stamp, and no row read."""
    ids = list(connection_ids)
    if complete:
        stamps = dict(
            IndexSync.objects.filter(
                connection_id__in=ids, **{f"{field}__isnull": False}
            ).values_list("connection_id", field)
        )
    else:  # whatever was last seen, however old (a forum that does not answer now)
        stamps = dict(
            model.objects.filter(connection_id__in=ids)
            .values("connection_id")
            .annotate(at=Max("seen_at"))
            .values_list("connection_id", "at")
        )
    return {
        cid: KnownList(at, IndexedItems(model, convert, cid)) for cid, at in stamps.items() if at
    }


def indexed_groups_of(
    *, connection_ids: Sequence[int], complete: bool = True
) -> dict[int, KnownList]:
    """Each forum's groups from the index: those whose list was read whole and not forgotten
    since (``complete``), or whatever the index last saw (``complete=False``)."""
    return _lists(IndexedGroup, "groups_complete_at", _group, connection_ids, complete=complete)


def indexed_tags_of(
    *, connection_ids: Sequence[int], complete: bool = True
) -> dict[int, KnownList]:
    return _lists(IndexedTag, "tags_complete_at", _tag, connection_ids, complete=complete)


T = TypeVar("T")


class PagedRows(Generic[T]):
    """Rows a page lists, counted and sliced in the database: ``Paginator`` asks ``count()``
    and then one slice, so a page reads only the rows it shows."""

    def __init__(self, count: Callable[[], int], fetch: Callable[[int, int], list[T]]) -> None:
        self._count = count
        self._fetch = fetch
        self._total: int | None = None

    def count(self) -> int:
        if self._total is None:
            self._total = self._count()
        return self._total

    def __len__(self) -> int:
        return self.count()

    def __bool__(self) -> bool:
        return self.count() > 0

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> list[T]: ...
    def __getitem__(self, index: int | slice) -> T | list[T]:
        if isinstance(index, slice):
            start, stop, step = index.indices(self.count())
            if step != 1:
                raise ValueError("pages are read in steps of one")
            return self._fetch(start, stop) if stop > start else []
        if index < 0:
            index += self.count()
        found = self._fetch(index, index + 1)
        if not found:
            raise IndexError(index)
        return found[0]

    def __iter__(self) -> Iterator[T]:
        return iter(self._fetch(0, self.count()))


def indexed_counts(model, connection_ids: Sequence[int], where: Q | None = None) -> dict[int, int]:
    """How many rows each forum has in the index (matching ``where``): one query."""
    found = model.objects.filter(connection_id__in=list(connection_ids))
    if where is not None:
        found = found.filter(where)
    rows = found.values("connection_id").annotate(n=Count("id")).values_list("connection_id", "n")
    return dict(rows)


def group_filter(query: str, kind: str = "") -> Q:
    """Groups whose name or full name contains ``query`` (any case); ``kind`` "ordinary" or
    "automatic" keeps only those."""
    where = Q()
    if query:
        where &= Q(name__icontains=query) | Q(full_name__icontains=query)
    if kind == "ordinary":
        where &= Q(automatic=False)
    elif kind == "automatic":
        where &= Q(automatic=True)
    return where


def _forum_id() -> F | ExpressionWrapper:
    """The row's forum, to filter by. On SQLite "connection_id + 0": its planner (without
    statistics) would read every row of these forums by the forum's index and sort them all;
    this way it reads the name index in order and stops after the page's rows. PostgreSQL
    weighs both ways itself."""
    if database.vendor != "sqlite":
        return F("connection_id")
    return ExpressionWrapper(F("connection_id") + 0, IntegerField())


def indexed_group_rows(
    *,
    connection_ids: Sequence[int],
    query: str,
    kind: str,
    make_row: Callable[[int, ForumGroup], T],
) -> PagedRows[T]:
    """Groups on these forums by name then forum name, counted and paged in the database;
    ``make_row(connection_id, group)`` draws each row of the page read."""
    found = (
        IndexedGroup.objects.alias(forum=_forum_id())
        .filter(forum__in=list(connection_ids))
        .filter(group_filter(query, kind))
        .order_by(Lower("name"), Lower("connection__name"), "connection_id", "id")
    )

    def fetch(start: int, stop: int) -> list[T]:
        return [make_row(row.connection_id, _group(row)) for row in found[start:stop]]

    return PagedRows(found.count, fetch)


def indexed_tag_rows(
    *,
    connection_ids: Sequence[int],
    query: str,
    unused: bool,
    one_forum_only: bool,
    make_row: Callable[[list[IndexedTag]], T],
) -> PagedRows[T]:
    """Tags on these forums grouped by name (any case), sorted by it, filtered, counted and
    paged in the database: ``make_row(rows)`` draws one name from its rows on every forum
    (only the page's names are read whole)."""
    ids = list(connection_ids)
    tags = IndexedTag.objects.alias(forum=_forum_id()).filter(forum__in=ids)
    tags = tags.annotate(key=Lower("name"))
    if query:
        tags = tags.filter(name__icontains=query)
    names = tags.values("key").annotate(
        total=Sum("topic_count"), forums=Count("connection_id", distinct=True)
    )
    if unused:
        names = names.filter(total=0)
    if one_forum_only:
        names = names.filter(forums=1)
    names = names.order_by("key")

    def fetch(start: int, stop: int) -> list[T]:
        keys = [row["key"] for row in names[start:stop]]
        by_key: dict[str, list[IndexedTag]] = {key: [] for key in keys}
        for row in tags.filter(key__in=keys).order_by("connection_id", "scope", "id"):
            by_key[row.key].append(row)
        return [make_row(by_key[key]) for key in keys]

    def count() -> int:
        if unused or one_forum_only:
            return names.count()
        return tags.aggregate(n=Count(Lower("name"), distinct=True))["n"]

    return PagedRows(count, fetch)


# --- one thing on a busy forum: what the index knows of it ----------------------------------------
def indexed_tag_names(*, connection_ids: Sequence[int]) -> dict[int, set[str]]:
    """Each forum's tag names (lower-cased) as the index last saw them, for the forums it holds
    any tag of: what a change "everywhere" goes by when a forum cannot be asked now."""
    found: dict[int, set[str]] = {}
    rows = IndexedTag.objects.filter(connection_id__in=list(connection_ids))
    for connection_id, name in rows.values_list("connection_id", "name"):
        found.setdefault(connection_id, set()).add(name.lower())
    return found


def indexed_tag(*, connection_id: int, name: str) -> tuple[ForumTag, datetime] | None:
    """The tag ``name`` (any case) on this forum as the index last saw it, and when: one line
    for all its scopes (their counts summed), as a forum's answer would be shown."""
    rows = list(
        IndexedTag.objects.filter(connection_id=connection_id, name__iexact=name).order_by("scope")
    )
    if not rows:
        return None
    tag = ForumTag(
        name=rows[0].name,
        topic_count=sum(r.topic_count for r in rows),
        scope=", ".join(dict.fromkeys(r.scope for r in rows if r.scope)),
    )
    return tag, max(r.seen_at for r in rows)


def indexed_group(*, connection_id: int, name: str) -> tuple[ForumGroup, datetime] | None:
    """The group ``name`` on this forum as the index last saw it, and when."""
    row = IndexedGroup.objects.filter(connection_id=connection_id, name=name).first()
    return (_group(row), row.seen_at) if row is not None else None


# --- the overview's counts ------------------------------------------------------------------------
@dataclass(frozen=True)
class IndexCounts:
    """What the overview counts of one forum, from the index: accounts (and how many are
    suspended, silenced, new) as of the last whole read of its accounts; groups and tags where
    their lists are held whole (else None)."""

    accounts: int
    suspended: int
    silenced: int
    new: int
    groups: int | None
    tags: int | None
    as_of: datetime


def index_counts_many(*, connection_ids: Sequence[int]) -> dict[int, IndexCounts]:
    """Each forum's counts, for the forums whose accounts the index holds whole (one query for
    the accounts, one each for groups and tags)."""
    syncs = {
        s.connection_id: s
        for s in IndexSync.objects.filter(
            connection_id__in=list(connection_ids), accounts_complete_at__isnull=False
        )
    }
    if not syncs:
        return {}
    now = timezone.now()
    accounts = {
        row["connection_id"]: row
        for row in IndexedAccount.objects.filter(connection_id__in=list(syncs))
        .values("connection_id")
        .annotate(
            total=Count("pk"),
            suspended=Count("pk", filter=_status_filter("suspended")),
            silenced=Count("pk", filter=_status_filter("silenced")),
            new=Count("pk", filter=Q(joined_at__gte=now - timedelta(days=NEW_DAYS))),
        )
    }

    def counted(model, field: str) -> dict[int, int]:
        held = [cid for cid, s in syncs.items() if getattr(s, field) is not None]
        rows = (
            model.objects.filter(connection_id__in=held)
            .values("connection_id")
            .annotate(n=Count("pk"))
            .values_list("connection_id", "n")
        )
        return {cid: 0 for cid in held} | dict(rows)

    groups = counted(IndexedGroup, "groups_complete_at")
    tags = counted(IndexedTag, "tags_complete_at")
    found = {}
    for cid, sync in syncs.items():
        row: dict[str, Any] = dict(accounts.get(cid) or {})
        found[cid] = IndexCounts(
            accounts=row.get("total", 0),
            suspended=row.get("suspended", 0),
            silenced=row.get("silenced", 0),
            new=row.get("new", 0),
            groups=groups.get(cid),
            tags=tags.get(cid),
            as_of=sync.accounts_complete_at,  # type: ignore[arg-type]
        )
    return found


def indexed_accounts_seen_at(*, connection_ids: Sequence[int]) -> dict[int, datetime]:
    """When the index last saw any account of each forum it holds accounts of: how old the
    rows a forum that does not answer now is shown by are, at most."""
    rows = (
        IndexedAccount.objects.filter(connection_id__in=list(connection_ids))
        .values("connection_id")
        .annotate(at=Max("seen_at"))
        .values_list("connection_id", "at")
    )
    return {cid: at for cid, at in rows if at is not None}
