"""Reading the review queues: every waiting item on every enabled forum, as one list.

Each forum is asked in parallel (``forums.core.fleet``); a forum that fails gets its own line
and never breaks the page. A forum's queue is kept a minute, so filters and pages reuse one
answer; a decision made here forgets that forum's copy. The menu's badge reads only each kept
queue's length, and a process reuses its own copy of a queue while the shared cache still
names it (tools/bench_review.py: unpickling every queue at each page cost more than the page).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.cache import cache

from forums.clients import client_class, get_client, supported_platforms
from forums.clients.errors import CapabilityNotOffered, ForumError
from forums.clients.records import Capability, Penalty, ReviewItem, ReviewKind
from forums.core.fleet import enabled_connections, fan_out
from forums.core.outcomes import ForumOutcome
from forums.models import ForumConnection

CACHE_SECONDS = 60
PAGES_READ = 10  # pages of a forum's queue one look reads (100 items on Discourse)

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


def _key(connection_id: int) -> str:
    return f"forumdeck:review:{connection_id}"


def _count_key(connection_id: int) -> str:
    """The kept queue's length on its own: the menu's badge reads a number per forum, not
    every forum's whole queue (unpickling 20 queues of 100 items took longer than the page)."""
    return f"forumdeck:review-count:{connection_id}"


# This process's own copy of each kept queue, with the token its cache entry had: while the
# shared cache still holds that token (a small entry), the copy is the same answer and is used
# as it is, instead of unpickling every forum's whole queue again at each page load.
_MEMORY: dict[int, tuple[str, list[ReviewItem]]] = {}


def forget_queue(*connection_ids: int) -> None:
    cache.delete_many(
        [_key(pk) for pk in connection_ids] + [_count_key(pk) for pk in connection_ids]
    )
    for pk in connection_ids:
        _MEMORY.pop(pk, None)


def _keep(connection_id: int, items: list[ReviewItem]) -> None:
    token = uuid.uuid4().hex
    cache.set_many(
        {_key(connection_id): items, _count_key(connection_id): (len(items), token)},
        CACHE_SECONDS,
    )
    _MEMORY[connection_id] = (token, items)


def _kept(connections: Sequence[ForumConnection]) -> dict[int, list[ReviewItem]]:
    """The queues kept (in this process, else in the shared cache) and not yet forgotten."""
    marks = cache.get_many([_count_key(c.pk) for c in connections])
    found: dict[int, list[ReviewItem]] = {}
    unpickle = []
    for connection in connections:
        mark = marks.get(_count_key(connection.pk))
        token = mark[1] if isinstance(mark, tuple) and len(mark) == 2 else None
        mine = _MEMORY.get(connection.pk)
        if token is not None and mine is not None and mine[0] == token:
            found[connection.pk] = mine[1]
        elif token is not None:
            unpickle.append((connection.pk, token))
    if unpickle:
        shared = cache.get_many([_key(pk) for pk, _ in unpickle])
        for pk, token in unpickle:
            items = shared.get(_key(pk))
            if isinstance(items, list):
                _MEMORY[pk] = (token, items)
                found[pk] = items
    return found


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
    rows: list[ReviewRow]
    forums: list[ForumOutcome]
    reasons: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)


def reviewing_connections(connection_ids: Sequence[int] | None = None) -> list[ForumConnection]:
    """The enabled forums (of those chosen) whose client lists review items."""
    return [
        c
        for c in enabled_connections(connection_ids)
        if client_class(c.platform).supports(Capability.REVIEW_ITEMS)
    ]


class ReadQueue(list):
    """A forum's waiting items as one look read them; ``unread`` is how many more the forum
    said wait past the pages read (None: it did not say; 0: all were read)."""

    unread: int | None = 0


def _read_queue(connection: ForumConnection) -> list[ReviewItem]:
    items = ReadQueue()
    with get_client(connection) as client:
        cursor = ""
        total = None
        for _ in range(PAGES_READ):
            page = client.review_items(cursor=cursor)
            items += page.items
            cursor = page.next_cursor
            total = page.total if page.total is not None else total
            if not cursor:
                break
    if cursor:
        items.unread = max(total - len(items), 0) if total is not None else None
    return items


def _unread_note(answer: list[ReviewItem]) -> str:
    unread = getattr(answer, "unread", 0)
    if unread == 0:
        return ""
    more = f"{unread} more wait" if unread else "More wait"
    return (
        f"Showing the first {len(answer)}: {more} on the forum, listed here as these are decided."
    )


def _problem(exc: BaseException) -> str:
    if isinstance(exc, CapabilityNotOffered):
        return "its review queue is not offered to Forumdeck."
    if isinstance(exc, ForumError):
        return str(exc)
    raise exc


def queues(
    connections: Sequence[ForumConnection], *, refresh: bool = False
) -> list[tuple[ForumConnection, list[ReviewItem] | BaseException]]:
    """Each forum's waiting items (kept a minute), asked in parallel."""
    found: dict[int, list[ReviewItem] | BaseException] = {}
    found.update({} if refresh else _kept(connections))
    missing = [c for c in connections if c.pk not in found]
    for connection, answer in fan_out(missing, _read_queue, "review"):
        if not isinstance(answer, BaseException):
            _keep(connection.pk, answer)
        found[connection.pk] = answer
    return [(c, found[c.pk]) for c in connections]


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
    """Every waiting item on the chosen forums, highest priority and then newest first."""
    connections = reviewing_connections(connection_ids)
    rows: list[ReviewRow] = []
    outcomes: list[ForumOutcome] = []
    reasons: set[str] = set()
    categories: set[str] = set()
    wanted = query.strip().lower()
    for connection, answer in queues(connections, refresh=refresh):
        outcome = ForumOutcome(connection.pk, connection.name)
        outcomes.append(outcome)
        if isinstance(answer, BaseException):
            outcome.error = _problem(answer)
            continue
        outcome.count = len(answer)
        outcome.read_note = _unread_note(answer)
        for item in answer:
            row = ReviewRow(connection.pk, connection.name, item)
            reasons.update(row.reasons)
            if row.category_label:
                categories.add(row.category_label)
            if kind and item.kind != kind:
                continue
            if category and row.category_label != category:
                continue
            if reason and reason not in row.reasons:
                continue
            if author and item.author_username.lower() != author.lower():
                continue
            if wanted and not any(
                wanted in text.lower()
                for text in (item.excerpt, item.author_username, item.topic_title)
            ):
                continue
            rows.append(row)
    rows.sort(key=lambda r: (r.item.priority, r.item.created_at.timestamp()
                             if r.item.created_at else 0.0), reverse=True)  # fmt: skip
    return ReviewQueueResult(rows, outcomes, sorted(reasons), sorted(categories))


def review_waiting_about(*, connection_ids: Sequence[int], username: str) -> list[ReviewRow]:
    """What waits in review about one person (as the author) on these forums."""
    return review_queue(connection_ids=connection_ids, author=username).rows


def review_count_cached() -> int:
    """The menu's badge: items in the queues Forumdeck last read (no forum is asked)."""
    marks = cache.get_many([_count_key(c.pk) for c in reviewing_connections()])
    return sum(m[0] for m in marks.values() if isinstance(m, tuple) and isinstance(m[0], int))


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
