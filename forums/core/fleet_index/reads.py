"""Reads of the fleet index: searching accounts, a forum's progress and freshness."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection as database
from django.db.models import F, Max, Q, QuerySet, Window
from django.db.models.expressions import RawSQL
from django.db.models.functions import RowNumber
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
    )
    for row in numbered:
        found[row.connection_id].append(account_user(row))
    return found


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
