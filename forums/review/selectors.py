"""Reading the review queues: every waiting item on every enabled forum, as one list.

Each forum's waiting items are kept in Forumdeck's database (``KeptReviewItem``, with the
forum's ``ReviewQueueRead``: when it was read): the worker reads every forum's queue each
minute (beat, paced as the index's sync), and again right after a decision made here, so the
list page reads one sorted, filtered page of rows instead of asking every forum
(tools/bench_review.py: 20 forums read inside the request took 6 to 10 times one forum's page).
A forum never read yet is read live once, within the page's bounded wait; a forum that fails
gets its own line and never breaks the page.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import F, Q, QuerySet, Sum
from django.utils import timezone

from forums.clients import client_class, get_client, supported_platforms
from forums.clients.errors import CapabilityNotOffered, ForumError
from forums.clients.records import Capability, Penalty, ReviewItem, ReviewKind
from forums.core.fleet import enabled_connections, fan_out
from forums.core.outcomes import ForumOutcome
from forums.core.review_kept import item_from_json, item_to_json
from forums.models import ForumConnection, KeptReviewItem, ReviewQueueRead
from forums.pacing import Priority

PAGES_READ = 10  # pages of a forum's queue one look reads (100 items on Discourse)
# Of those, the head (the newest and most urgent items) is read every time; the rest continue
# where the last read stopped, so a longer queue is read whole over several reads (a sweep)
# for the same calls a read.
HEAD_PAGES = 3
# The worker's task that reads forums' queues (forums/tasks.py), queued by name: the tasks sit
# above the areas.
REFRESH_TASK = "forums.tasks.refresh_review_queues"

KIND_WORDS = {
    ReviewKind.FLAGGED_POST: "Flagged post",
    ReviewKind.QUEUED_POST: "Post waiting for approval",
    ReviewKind.NEW_ACCOUNT: "Account waiting for approval",
    ReviewKind.FLAGGED_USER: "Flagged account",
    ReviewKind.OTHER: "Other",
}
# The harmless decisions a person may apply to many items at once, and the forums' action ids
# that mean each (Discourse's and NodeBB's). The first action of an item found here is used.
MANY = {
    "approve": ("approve_post", "approve_user", "accept", "agree_and_keep"),
    "ignore": ("ignore_and_do_nothing", "ignore", "resolve"),
    "reject": ("reject_post", "disagree", "reject"),
}
MANY_WORDS = {"approve": "Approve", "ignore": "Ignore", "reject": "Reject"}


def _kept_row(connection_id: int, item: ReviewItem, seen_at=None) -> KeptReviewItem:
    reasons = sorted({f.reason for f in item.flags if f.reason})
    return KeptReviewItem(
        seen_at=seen_at,
        connection_id=connection_id,
        item_id=item.item_id[:200],
        kind=str(item.kind),
        priority=item.priority,
        created_at=item.created_at,
        author_lower=item.author_username.lower()[:200],
        category=item.category[:300],
        reasons="".join(f"|{r}" for r in reasons) + "|" if reasons else "",
        haystack="\n".join((item.excerpt, item.author_username, item.topic_title)).lower(),
        version=item.version,
        item=item_to_json(item),
    )


# An item decided here is not kept again for this long: a read that began before the decision
# (the minute's read, running beside it) may still list it as waiting.
DECIDED_HOLD_SECONDS = 300


def _decided_key(connection_id: int) -> str:
    return f"forumdeck:review:decided:{connection_id}"


def _recently_decided(connection_id: int) -> set[str]:
    now = timezone.now().timestamp()
    held = cache.get(_decided_key(connection_id)) or {}
    return {item_id for item_id, at in held.items() if now - at < DECIDED_HOLD_SECONDS}


def keep_queue(connection: ForumConnection, answer: list[ReviewItem] | BaseException) -> None:
    """Keep what one read of this forum's queue found. Every item read is waiting: kept, or
    brought up to date. A read that saw the whole queue drops every kept item it did not list
    (decided or withdrawn meanwhile). A longer queue is read whole over several reads (a sweep,
    ``ReadQueue``): when a sweep ends, an item seen neither by it nor by the sweep before is
    dropped (two sweeps: one may miss an item that moved up a page while it was under way).
    A read that failed keeps the items last seen and says why."""
    now = timezone.now()
    with transaction.atomic():
        read, _ = ReviewQueueRead.objects.select_for_update().get_or_create(connection=connection)
        if isinstance(answer, BaseException):
            read.error = _problem(answer)
            read.requested_at = None
            read.save(update_fields=["error", "requested_at"])
            return
        decided = _recently_decided(connection.pk)
        rows = {
            item.item_id: _kept_row(connection.pk, item, seen_at=now)
            for item in answer
            if item.item_id not in decided
        }
        kept = KeptReviewItem.objects.filter(connection=connection)
        kept.filter(item_id__in=list(rows)).delete()
        KeptReviewItem.objects.bulk_create(rows.values(), batch_size=500)
        whole = getattr(answer, "whole", True)
        tail = getattr(answer, "tail_cursor", "")
        unseen_since = None
        if whole:  # the head held the whole queue
            unseen_since = now
            read.cursor, read.sweep_started_at, read.swept_from = "", None, None
        else:
            read.sweep_started_at = read.sweep_started_at or now
            if tail:
                read.cursor = tail
            else:  # this sweep reached the end of the queue
                unseen_since = read.swept_from or read.sweep_started_at
                read.cursor, read.swept_from = "", read.sweep_started_at
                read.sweep_started_at = None
        if unseen_since is not None:
            kept.filter(Q(seen_at__lt=unseen_since) | Q(seen_at__isnull=True)).delete()
        read.count = kept.count()
        total = getattr(answer, "total", None)
        read.unread = 0 if whole else (max(total - read.count, 0) if total is not None else None)
        read.read_at = now
        read.error = ""
        read.requested_at = None
        read.save()


def forget_items(connection: ForumConnection, item_ids: Sequence[str]) -> None:
    """Items decided here are no longer waiting: their kept rows go at once, and a read that
    began before the decision does not bring them back (``DECIDED_HOLD_SECONDS``)."""
    now = timezone.now().timestamp()
    held = {
        item_id: at
        for item_id, at in (cache.get(_decided_key(connection.pk)) or {}).items()
        if now - at < DECIDED_HOLD_SECONDS
    }
    held.update(dict.fromkeys(item_ids, now))
    cache.set(_decided_key(connection.pk), held, DECIDED_HOLD_SECONDS)
    gone, _ = KeptReviewItem.objects.filter(connection=connection, item_id__in=item_ids).delete()
    if gone:
        ReviewQueueRead.objects.filter(connection=connection, count__gte=gone).update(
            count=F("count") - gone
        )


def read_queues(
    connections: Sequence[ForumConnection], *, priority: Priority = Priority.SYNC
) -> int:
    """Read each forum's whole queue (in parallel, each call taking its slot in the forum's
    slot book at ``priority``) and keep what it found. The worker's minute read; a page's
    live read of a forum never read yet. Returns how many forums answered."""
    answered = 0
    resume = dict(
        ReviewQueueRead.objects.filter(connection__in=connections).values_list(
            "connection_id", "cursor"
        )
    )

    def read(connection: ForumConnection) -> ReadQueue:
        return _read_queue(connection, priority=priority, resume=resume.get(connection.pk, ""))

    for connection, answer in fan_out(connections, read, "review"):
        keep_queue(connection, answer)
        answered += not isinstance(answer, BaseException)
    return answered


@dataclass(frozen=True)
class ReviewRow:
    connection_id: int
    connection_name: str
    item: ReviewItem

    @property
    def key(self) -> str:
        """How a ticked box names the item: ``<connection id>:<item id>``."""
        return f"{self.connection_id}:{self.item.item_id}"

    @property
    def kind_words(self) -> str:
        return KIND_WORDS[self.item.kind]

    @property
    def reasons(self) -> list[str]:
        return sorted({f.reason for f in self.item.flags if f.reason})

    @property
    def flagged_by(self) -> list[str]:
        return sorted({f.by for f in self.item.flags if f.by})

    @property
    def category_label(self) -> str:
        return f"{self.connection_name}: {self.item.category}" if self.item.category else ""

    @property
    def harmless_actions(self):
        return [a for a in self.item.actions if not a.destructive]

    @property
    def destructive_actions(self):
        return [a for a in self.item.actions if a.destructive]


@dataclass
class ReviewQueueResult:
    rows: Sequence[ReviewRow]
    forums: list[ForumOutcome]
    reasons: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    asked: bool = False  # "Ask the forums now": the worker reads them; kept rows meanwhile


def reviewing_connections(connection_ids: Sequence[int] | None = None) -> list[ForumConnection]:
    """The enabled forums (of those chosen) whose client lists review items."""
    return [
        c
        for c in enabled_connections(connection_ids)
        if client_class(c.platform).supports(Capability.REVIEW_ITEMS)
    ]


class ReadQueue(list):
    """A forum's waiting items as one read found them: its head (``HEAD_PAGES``) and, when the
    queue is longer, the pages after ``resume`` (where the sweep under way stopped; the head's
    end when none is). ``whole``: the head held the whole queue. ``tail_cursor``: where the
    next read continues ("" when this one reached the end). ``total``: how many the forum
    said wait (None: it did not say)."""

    whole: bool = True
    tail_cursor: str = ""
    total: int | None = None


def _read_queue(
    connection: ForumConnection, priority: Priority = Priority.READ, resume: str = ""
) -> ReadQueue:
    items = ReadQueue()
    with get_client(connection, priority=priority) as client:
        cursor, pages = "", 0

        def read_page(at: str) -> str:
            nonlocal pages
            page = client.review_items(cursor=at)
            pages += 1
            items.extend(page.items)
            if page.total is not None:
                items.total = page.total
            return page.next_cursor

        while True:
            cursor = read_page(cursor)
            if not cursor or pages >= min(HEAD_PAGES, PAGES_READ):
                break
        if cursor:
            items.whole = False
            tail = resume or cursor
            while tail and pages < PAGES_READ:
                tail = read_page(tail)
            items.tail_cursor = tail
    return items


def _unread_note(count: int, unread: int | None) -> str:
    if unread == 0:
        return ""
    more = f"{unread} more wait" if unread else "More wait"
    return (
        f"Showing {count} read so far: {more} on the forum, read here a few pages a minute "
        "(the newest every time)."
    )


def _problem(exc: BaseException) -> str:
    if isinstance(exc, CapabilityNotOffered):
        return "its review queue is not offered to Forumdeck."
    if isinstance(exc, ForumError):
        return str(exc)
    raise exc


def _read_never_read(connections: Sequence[ForumConnection]) -> None:
    """A forum Forumdeck has never read is read live once (the page's bounded wait); after
    that the worker keeps it."""
    known = set(
        ReviewQueueRead.objects.filter(connection__in=connections).values_list(
            "connection_id", flat=True
        )
    )
    never = [c for c in connections if c.pk not in known]
    if never:
        read_queues(never, priority=Priority.READ)


def queues(
    connections: Sequence[ForumConnection], *, refresh: bool = False
) -> list[tuple[ForumConnection, list[ReviewItem] | BaseException]]:
    """Each forum's kept waiting items (a forum never read is read live first; ``refresh``:
    every forum read live now)."""
    if refresh:
        read_queues(connections, priority=Priority.READ)
    else:
        _read_never_read(connections)
    reads = {r.connection_id: r for r in ReviewQueueRead.objects.filter(connection__in=connections)}
    found: dict[int, list[ReviewItem]] = {c.pk: [] for c in connections}
    for row in KeptReviewItem.objects.filter(connection__in=connections).order_by("pk"):
        found[row.connection_id].append(item_from_json(row.item))
    out: list[tuple[ForumConnection, list[ReviewItem] | BaseException]] = []
    for connection in connections:
        read = reads.get(connection.pk)
        if read is not None and read.read_at is None and read.error:
            out.append((connection, ForumError(read.error)))
        else:
            out.append((connection, found[connection.pk]))
    return out


class KeptRows(Sequence[ReviewRow]):
    """The kept rows a list shows, read a page at a time (the paginator's count and slice are
    one COUNT and one LIMIT query), as ``ReviewRow``s."""

    def __init__(self, rows: QuerySet[KeptReviewItem], names: dict[int, str]) -> None:
        self._rows = rows
        self._names = names
        self._count: int | None = None

    def _row(self, kept: KeptReviewItem) -> ReviewRow:
        return ReviewRow(kept.connection_id, self._names[kept.connection_id],
                         item_from_json(kept.item))  # fmt: skip

    def count(self, value: Any = None) -> int:
        if self._count is None:
            self._count = self._rows.count()
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self._row(kept) for kept in self._rows[index]]
        return self._row(self._rows[index])

    def __iter__(self) -> Iterator[ReviewRow]:
        return (self._row(kept) for kept in self._rows)


def ask_forums_now(connections: Sequence[ForumConnection]) -> None:
    """ "Ask the forums now": the worker reads these forums' queues at once (the page shows
    the kept rows meanwhile)."""
    from celery import current_app

    ReviewQueueRead.objects.filter(connection__in=connections).update(requested_at=timezone.now())
    ids = [c.pk for c in connections]
    transaction.on_commit(lambda: current_app.send_task(REFRESH_TASK, (ids,)))


def review_queue(
    *,
    connection_ids: Sequence[int] | None = None,
    kind: str = "",
    category: str = "",
    reason: str = "",
    query: str = "",
    author: str = "",
    refresh: bool = False,
) -> ReviewQueueResult:
    """Every waiting item on the chosen forums as last read, highest priority and then newest
    first: one filtered, sorted query whose pages are read as shown. ``refresh`` queues a read
    of every forum and shows the kept rows meanwhile."""
    connections = reviewing_connections(connection_ids)
    _read_never_read(connections)
    if refresh:
        ask_forums_now(connections)
    reads = {r.connection_id: r for r in ReviewQueueRead.objects.filter(connection__in=connections)}
    outcomes: list[ForumOutcome] = []
    for connection in connections:
        outcome = ForumOutcome(connection.pk, connection.name)
        outcomes.append(outcome)
        read = reads.get(connection.pk)
        if read is None:  # created meanwhile: the next page shows it
            outcome.waiting = True
            continue
        if read.error:
            outcome.error = read.error
            outcome.last_known_as_of = read.read_at
            if read.read_at is None:
                continue
        outcome.count = read.count
        outcome.read_note = _unread_note(read.count, read.unread)
        outcome.as_of = read.read_at
    names = {c.pk: c.name for c in connections}
    every = KeptReviewItem.objects.filter(connection_id__in=list(names))
    labels = {
        f"{names[pk]}: {cat}": (pk, cat)
        for pk, cat in every.exclude(category="").values_list("connection_id", "category")
        .distinct()
    }  # fmt: skip
    reasons = sorted({
        r for text in every.exclude(reasons="").values_list("reasons", flat=True).distinct()
        for r in text.strip("|").split("|") if r
    })  # fmt: skip
    rows = every
    if kind:
        rows = rows.filter(kind=kind)
    if category:
        pk, cat = labels.get(category, (0, ""))
        rows = rows.filter(connection_id=pk, category=cat)
    if reason:
        rows = rows.filter(reasons__contains=f"|{reason}|")
    if author:
        rows = rows.filter(author_lower=author.lower())
    wanted = query.strip().lower()
    if wanted:
        rows = rows.filter(haystack__contains=wanted)
    rows = rows.order_by(
        F("priority").desc(), F("created_at").desc(nulls_last=True), "connection_id", "pk"
    )
    return ReviewQueueResult(
        KeptRows(rows, names), outcomes, reasons, sorted(labels), asked=refresh and bool(names)
    )


def review_waiting_about(*, connection_ids: Sequence[int], username: str) -> list[ReviewRow]:
    """What waits in review about one person (as the author) on these forums."""
    return list(review_queue(connection_ids=connection_ids, author=username).rows)


def review_count_cached() -> int:
    """The menu's badge: items in the queues Forumdeck last read (no forum is asked)."""
    ids = [c.pk for c in reviewing_connections()]
    total = ReviewQueueRead.objects.filter(connection_id__in=ids).aggregate(n=Sum("count"))["n"]
    return total or 0


def destructive_choices(rows: Sequence[ReviewRow]) -> list[tuple[str, str]]:
    """The decisions that delete or penalise offered on these rows: (action id, words)."""
    found: dict[str, str] = {}
    for row in rows:
        for action in row.destructive_actions:
            found.setdefault(action.id, action.label)
    return sorted(found.items(), key=lambda pair: pair[1])


def spam_words() -> str:
    """How each forum names the penalty of "Delete the posts and suspend the authors":
    "Discourse: suspend; NodeBB: ban" (the forums that both review and penalise)."""
    found: dict[str, list[str]] = {}
    for platform in supported_platforms():
        cls = client_class(platform)
        if cls.supports(Capability.REVIEW_ITEMS) and cls.supports(Penalty.SUSPEND.capability):
            verb = cls.penalty_words(Penalty.SUSPEND).verb.lower()
            found.setdefault(verb, []).append(cls.software)
    return "; ".join(f"{', '.join(names)}: {verb}" for verb, names in found.items())
