"""The index's rows: accounts, groups and tags written as a forum answered them.

Used by the first sync (a page at a time), by webhooks, and by every write and live read that
saw an account (``index_account_seen``), so the index shows what Forumdeck last saw.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from ipaddress import ip_address
from typing import Any

from django.db import transaction
from django.utils import timezone

from forums.clients.records import ForumGroup, ForumTag, ForumUser, Penalty, PenaltyChange
from forums.models import ForumConnection, IndexedAccount, IndexedGroup, IndexedTag, IndexSync

logger = logging.getLogger(__name__)

BATCH = 500  # rows written per statement

ACCOUNT_FIELDS = [
    "username", "name", "email", "active", "suspended", "suspended_until", "silenced",
    "silenced_until", "standing", "admin", "moderator", "staff", "joined_at", "last_seen_at",
    "post_count", "profile_url", "haystack", "seen_at",
]  # fmt: skip


def haystack(*parts: str | None) -> str:
    """What a substring search reads: every part lower-cased, one per line."""
    return "\n".join((p or "").strip().lower() for p in parts if p)


def _ip(value: str) -> str | None:
    try:
        return str(ip_address(value.strip())) if value else None
    except ValueError:
        return None


def _account(connection: ForumConnection, user: ForumUser, generation: int) -> IndexedAccount:
    return IndexedAccount(
        connection=connection,
        forum_id=int(user.id),
        username=user.username[:200],
        name=(user.name or "")[:300],
        email=(user.email or "")[:320],
        active=user.active,
        suspended=user.suspended,
        suspended_until=user.suspended_until,
        silenced=user.silenced,
        silenced_until=user.silenced_until,
        standing=user.trust_level if user.trust_level is not None else user.reputation,
        admin=user.admin,
        moderator=user.moderator,
        staff=user.staff,
        joined_at=user.created_at,
        last_seen_at=user.last_seen_at,
        post_count=user.post_count,
        registration_ip=_ip(user.registration_ip),
        profile_url=user.profile_url[:500],
        haystack=haystack(user.username, user.name, user.email),
        generation=generation,
        seen_at=timezone.now(),
    )


def index_accounts_save(
    *, connection: ForumConnection, users: Iterable[ForumUser], generation: int | None = None
) -> int:
    """Insert or update these accounts (one read and one upsert per ``BATCH``). A row keeps
    the e-mail, name and registration address it had when this answer did not carry them (a
    list without e-mails or names, a search without the address)."""
    if generation is None:
        sync = IndexSync.objects.filter(connection=connection).only("generation").first()
        generation = sync.generation if sync else 0
    # One row per account (an upsert may not touch a row twice in one statement).
    rows = list({int(u.id): _account(connection, u, generation) for u in users if u.id}.values())
    for start in range(0, len(rows), BATCH):
        chunk = rows[start : start + BATCH]
        incomplete = [r.forum_id for r in chunk if not (r.email and r.name and r.registration_ip)]
        kept = {
            forum_id: (email, name, ip)
            for forum_id, email, name, ip in IndexedAccount.objects.filter(
                connection=connection, forum_id__in=incomplete
            ).values_list("forum_id", "email", "name", "registration_ip")
        }
        for row in chunk:
            old = kept.get(row.forum_id)
            if old is None:
                continue
            row.email = row.email or old[0]
            row.name = row.name or old[1]
            row.registration_ip = row.registration_ip or old[2]
            row.haystack = haystack(row.username, row.name, row.email)
        IndexedAccount.objects.bulk_create(
            chunk,
            update_conflicts=True,
            unique_fields=["connection", "forum_id"],
            update_fields=[*ACCOUNT_FIELDS, "registration_ip", "generation"],
        )
    return len(rows)


def index_account_seen(*, connection: ForumConnection, user: ForumUser) -> None:
    """A write or a live read saw this account: the index shows it as read just now. Never
    fails the caller: the index is a picture, the forum's answer is what counts."""
    try:
        with transaction.atomic():  # a failure here leaves the caller's transaction whole
            index_accounts_save(connection=connection, users=[user])
    except Exception:  # noqa: BLE001 - the page or action must not fail for the index
        logger.exception("Could not update the index for %s", connection.name)


def note_account(connection: ForumConnection, user: ForumUser) -> None:
    """A write or a live read saw this account whole (a person page, an action's re-read):
    the index shows it as the forum answered, as of now."""
    index_account_seen(connection=connection, user=user)


def index_account_gone(*, connection: ForumConnection, user_id: int) -> None:
    IndexedAccount.objects.filter(connection=connection, forum_id=int(user_id)).delete()


def index_account_penalty(*, connection: ForumConnection, change: PenaltyChange) -> int:
    """A forum said only that this account's penalty was put on or lifted (NodeBB's hooks):
    the row, if the index has it, says so now. The number of rows changed (0 or 1)."""
    on, until = change.on, change.until if change.on else None
    fields = (
        {"suspended": on, "suspended_until": until}
        if change.kind == Penalty.SUSPEND
        else {"silenced": on, "silenced_until": until}
    )
    return IndexedAccount.objects.filter(
        connection=connection, forum_id=int(change.user_id)
    ).update(**fields, seen_at=timezone.now())


def _generation(connection: ForumConnection) -> int:
    return (
        IndexSync.objects.filter(connection=connection).values_list("generation", flat=True).first()
        or 0
    )


def index_group_pushed(*, connection: ForumConnection, group: ForumGroup) -> None:
    """The forum pushed one group as it now has it: its row, as of now."""
    IndexedGroup.objects.update_or_create(
        connection=connection, forum_id=str(group.id)[:200],
        defaults={"name": group.name[:300], "full_name": (group.full_name or "")[:300],
                  "key": group.key[:300], "description": group.description or "",
                  "user_count": group.user_count, "automatic": group.automatic,
                  "visible": group.visible, "generation": _generation(connection),
                  "seen_at": timezone.now()},
    )  # fmt: skip


def index_group_gone(*, connection: ForumConnection, group_id: str) -> None:
    IndexedGroup.objects.filter(connection=connection, forum_id=str(group_id)[:200]).delete()


def index_tag_pushed(*, connection: ForumConnection, tag: ForumTag, list_changed: bool) -> None:
    """The forum pushed one tag as it now has it. ``list_changed`` (a rename: the old name is
    not said): the pages ask the forum for its tags until the next whole read."""
    key = _tag_key(tag)
    IndexedTag.objects.update_or_create(
        connection=connection, forum_id=key[:400],
        defaults={"name": tag.name[:300], "scope": tag.scope[:200],
                  "topic_count": tag.topic_count or 0, "generation": _generation(connection),
                  "seen_at": timezone.now()},
    )  # fmt: skip
    if list_changed:
        index_lists_forget(connection_ids=[connection.pk], kind="tags")


def index_tag_gone(*, connection: ForumConnection, tag: ForumTag) -> None:
    IndexedTag.objects.filter(connection=connection, forum_id=_tag_key(tag)[:400]).delete()


# What a live read shows of an account however it was asked (a plan's lookup, a run's re-check:
# answers that may lack e-mails, dates or counts): only these are copied onto the index's row.
STATUS_FIELDS = [
    "username", "active", "suspended", "suspended_until", "silenced", "silenced_until",
    "admin", "moderator", "staff",
]  # fmt: skip

_SEEING: ContextVar[ForumConnection | None] = ContextVar("index_seeing", default=None)


@contextmanager
def index_seeing(connection: ForumConnection) -> Iterator[None]:
    """Live reads of this forum's accounts inside the block (``note_seen``) update the index:
    the bulk engine wraps a plan's lookups and a run's re-checks in it, so the kinds, which see
    only a client, need not know which forum it is."""
    token = _SEEING.set(connection)
    try:
        yield
    finally:
        _SEEING.reset(token)


def seeing_connection() -> ForumConnection | None:
    """The forum whose live reads ``index_seeing`` marks now (None outside one)."""
    return _SEEING.get()


def note_seen(users: Iterable[ForumUser]) -> None:
    """Accounts a live read inside ``index_seeing`` found: the index's rows of them take their
    status, standing and username as of now (rows the index does not hold yet are left to the
    sync, which reads them whole). Never fails the caller."""
    connection = _SEEING.get()
    if connection is None:
        return
    by_id = {int(u.id): u for u in users if u.id}
    if not by_id:
        return
    try:
        with transaction.atomic():
            rows = list(
                IndexedAccount.objects.filter(connection=connection, forum_id__in=list(by_id))
            )
            now = timezone.now()
            for row in rows:
                user = by_id[row.forum_id]
                for name in STATUS_FIELDS:
                    setattr(row, name, getattr(user, name))
                row.username = user.username[:200]
                row.haystack = haystack(row.username, row.name, row.email)
                row.seen_at = now
            IndexedAccount.objects.bulk_update(
                rows, [*STATUS_FIELDS, "haystack", "seen_at"], batch_size=BATCH
            )
    except Exception:  # noqa: BLE001 - the plan or run must not fail for the index
        logger.exception("Could not update the index for %s", connection.name)


def index_accounts_changed(
    *, connection: ForumConnection, forum_ids: Iterable[int], fields: dict[str, Any] | None
) -> None:
    """Forumdeck changed these accounts and the forum said done (a bulk run's items): their
    rows show the change now, without reading them again. ``fields`` None: the accounts are
    gone (deleted). Never fails the caller."""
    ids = [int(i) for i in forum_ids]
    if not ids:
        return
    try:
        rows = IndexedAccount.objects.filter(connection=connection, forum_id__in=ids)
        if fields is None:
            rows.delete()
        elif fields:
            rows.update(**fields, seen_at=timezone.now())
    except Exception:  # noqa: BLE001 - the run must not fail for the index
        logger.exception("Could not update the index for %s", connection.name)


def _tag_key(tag: ForumTag) -> str:
    return f"{tag.scope}\n{tag.name}" if tag.scope else tag.name


def index_groups_save(
    *, connection: ForumConnection, groups: Iterable[ForumGroup], generation: int
) -> None:
    now = timezone.now()
    rows = [
        IndexedGroup(
            connection=connection, forum_id=str(g.id)[:200], name=g.name[:300],
            full_name=(g.full_name or "")[:300], key=g.key[:300], description=g.description or "",
            user_count=g.user_count, automatic=g.automatic, visible=g.visible,
            generation=generation, seen_at=now,
        )
        for g in groups
    ]  # fmt: skip
    IndexedGroup.objects.bulk_create(
        rows,
        batch_size=BATCH,
        update_conflicts=True,
        unique_fields=["connection", "forum_id"],
        update_fields=[
            "name",
            "full_name",
            "key",
            "description",
            "user_count",
            "automatic",
            "visible",
            "generation",
            "seen_at",
        ],  # fmt: skip
    )
    IndexedGroup.objects.filter(connection=connection, generation__lt=generation).delete()


def index_tags_save(
    *, connection: ForumConnection, tags: Iterable[ForumTag], generation: int
) -> None:
    now = timezone.now()
    rows = {
        _tag_key(t): IndexedTag(
            connection=connection, forum_id=_tag_key(t)[:400], name=t.name[:300],
            scope=t.scope[:200], topic_count=t.topic_count or 0, generation=generation,
            seen_at=now,
        )
        for t in tags
    }  # fmt: skip
    IndexedTag.objects.bulk_create(
        list(rows.values()),
        batch_size=BATCH,
        update_conflicts=True,
        unique_fields=["connection", "forum_id"],
        update_fields=["name", "scope", "topic_count", "generation", "seen_at"],
    )
    IndexedTag.objects.filter(connection=connection, generation__lt=generation).delete()


def index_lists_forget(*, connection_ids: Iterable[int], kind: str) -> None:
    """Forumdeck changed these forums' groups or tags ("groups" / "tags"): the pages ask them
    live until their next whole read. The rows stay, as what was last seen."""
    field = {"groups": "groups_complete_at", "tags": "tags_complete_at"}[kind]
    IndexSync.objects.filter(connection_id__in=list(connection_ids)).update(**{field: None})


def index_list_seen(
    *, connection: ForumConnection, kind: str, items: Iterable[ForumGroup] | Iterable[ForumTag]
) -> None:
    """A page read this forum's whole group or tag list live: the index holds it now, as of
    now (only for a forum in the index). Never fails the caller."""
    field = {"groups": "groups_complete_at", "tags": "tags_complete_at"}[kind]
    try:
        with transaction.atomic():
            sync = IndexSync.objects.select_for_update().filter(connection=connection).first()
            if sync is None:
                return
            if kind == "groups":
                index_groups_save(connection=connection, groups=items, generation=sync.generation)  # type: ignore[arg-type]
            else:
                index_tags_save(connection=connection, tags=items, generation=sync.generation)  # type: ignore[arg-type]
            IndexSync.objects.filter(pk=sync.pk).update(**{field: timezone.now()})
    except Exception:  # noqa: BLE001 - the page must not fail for the index
        logger.exception("Could not update the index's %s for %s", kind, connection.name)


def index_forget_forum(*, connection: ForumConnection) -> None:
    """The connection now points at another forum (software or address changed): everything
    the index held of the old one goes, and the next read starts from nothing."""
    IndexedAccount.objects.filter(connection=connection).delete()
    IndexedGroup.objects.filter(connection=connection).delete()
    IndexedTag.objects.filter(connection=connection).delete()
    IndexSync.objects.filter(connection=connection).delete()
