"""Reads of the fleet index: searching accounts, a forum's progress and freshness."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection as database
from django.db.models import Count, Max, Q, QuerySet
from django.db.models.expressions import RawSQL
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


def account_user(row: IndexedAccount) -> ForumUser:
    """An index row in the clients' words, so the pages draw it as a live answer."""
    return ForumUser(
        id=row.forum_id,
        username=row.username,
        name=row.name,
        email=row.email or None,
        trust_level=row.standing,
        active=row.active,
        admin=row.admin,
        moderator=row.moderator,
        suspended=row.suspended,
        suspended_until=row.suspended_until,
        silenced=row.silenced,
        silenced_until=row.silenced_until,
        created_at=row.joined_at,
        last_seen_at=row.last_seen_at,
        post_count=row.post_count,
        profile_url=row.profile_url,
        registration_ip=row.registration_ip or "",
    )


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
    """Each forum's matches (at most ``limit`` each; one query per forum, by username)."""
    base = accounts_matching(query=query, status=status)
    return {
        cid: [account_user(r) for r in base.filter(connection_id=cid).order_by("username")[:limit]]
        for cid in connection_ids
    }


def indexed_groups(*, connection_ids: Sequence[int]) -> QuerySet[IndexedGroup]:
    return IndexedGroup.objects.filter(connection_id__in=list(connection_ids)).order_by("name")


def indexed_tags(*, connection_ids: Sequence[int]) -> QuerySet[IndexedTag]:
    return IndexedTag.objects.filter(connection_id__in=list(connection_ids)).order_by("name")


# --- groups and tags ----------------------------------------------------------------------------
@dataclass(frozen=True)
class KnownList:
    """A forum's groups or tags as the index holds them, and as of when."""

    as_of: datetime
    items: list


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
    found: dict[int, KnownList] = {cid: KnownList(at, []) for cid, at in stamps.items() if at}
    for row in model.objects.filter(connection_id__in=list(found)).order_by("name"):
        found[row.connection_id].items.append(convert(row))
    return found


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
