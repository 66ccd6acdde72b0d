"""UserEcho's review queue item by item: topics waiting for review in every forum of the project.

What the documented API allows (shared/specs/userecho/ENDPOINTS.md, section 3, rows "Review
queue (list)" and "Review queue (approve)"):

- listing: `GET forums/{fid}/topics?filter__needs_review=1` (SEED:105 names the filter field),
  newest first (`order_by=-created`), paged with `page` / `limit` (1.4);
- approving: **not documented**. `needs_review` is a parameter of creating a topic only
  (P-TOPIC-C); the update (P3) lists no `needs_review` and no "publish". Forumdeck does not send
  an undocumented field that might be ignored or do something else: approving stays on
  UserEcho's own moderation page, and the item says so (it offers no "approve");
- removing: `DELETE topics/{id}` (P9, write permission; irreversible, trap 9), a destructive
  decision that the Review area routes through four eyes.

Trap 16: a filter the server ignored would list every topic, so a topic that says
`needs_review: false` is left out (one that does not say is taken at its word, as the count in
``topics.py`` does). A decision re-reads the topic first: a topic gone, or no longer waiting,
was decided on UserEcho meanwhile (``ReviewItemStale``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import ForumNotFound, ForumRejected, ReviewItemStale
from ..plaintext import html_to_text
from ..records import Capability, ReviewAction, ReviewFlag, ReviewItem, ReviewKind, ReviewPage
from .base import UserEchoBase, UserEchoForum, dt, first, ref_id, ref_name, to_int

REVIEW_PAGE_SIZE = 50  # 1.4 [D]: UserEcho's default page size
EXCERPT_LENGTH = 300
DELETE_TOPIC = ReviewAction(
    "delete_topic",
    "Delete the topic",
    destructive=True,
    description="Delete the topic on UserEcho (DELETE topics/{id}); it cannot be undone.",
)
WAITING = ReviewFlag(reason="Waiting for a moderator's review")


@dataclass(frozen=True)
class _Cursor:
    forum_index: int = 0
    page: int = 1

    @classmethod
    def parse(cls, cursor: str) -> _Cursor:
        match = re.fullmatch(r"f(\d+):(\d+)", cursor or "")
        return cls(int(match.group(1)), max(int(match.group(2)), 1)) if match else cls()

    def __str__(self) -> str:
        return f"f{self.forum_index}:{self.page}"


class UserEchoReview(UserEchoBase):
    def review_items(
        self, *, cursor: str = "", kind: ReviewKind | None = None, username: str = ""
    ) -> ReviewPage:
        """One page of one forum's waiting topics (newest first), forum after forum. Only
        topics wait on UserEcho: any other ``kind`` is an empty list. ``username`` (the
        author's name) is matched here: the API documents no author filter."""
        self.require(Capability.REVIEW_ITEMS)
        if kind not in (None, ReviewKind.QUEUED_POST):
            return ReviewPage(items=[], total=0)
        forums = self.list_forums()
        at = _Cursor.parse(cursor)
        if at.forum_index >= len(forums):
            return ReviewPage(items=[])
        forum = forums[at.forum_index]
        query = {"filter__needs_review": 1, "order_by": "-created", "page": at.page,
                 "limit": REVIEW_PAGE_SIZE}  # fmt: skip
        data, details = self.call("GET", f"forums/{forum.id}/topics", params=query)
        rows = [d for d in data or [] if isinstance(d, dict)] if isinstance(data, list) else []
        count = to_int(details.get("count"))
        more = (
            at.page * REVIEW_PAGE_SIZE < count
            if count is not None
            else (len(rows) >= REVIEW_PAGE_SIZE)
        )
        if more and rows:
            following = str(_Cursor(at.forum_index, at.page + 1))
        elif at.forum_index + 1 < len(forums):
            following = str(_Cursor(at.forum_index + 1, 1))
        else:
            following = ""
        items = [self._review_item(r, forum) for r in rows if first(r, "needs_review") is not False]
        if username:
            wanted = username.strip().lower()
            items = [i for i in items if i.author_username.lower() == wanted]
        return ReviewPage(items=items, next_cursor=following)

    def review_item(self, *, item_id: str) -> ReviewItem:
        self.require(Capability.REVIEW_ITEMS)
        kind, _, key = str(item_id).partition(":")
        if kind != "topic" or not key.isdigit():
            raise ForumNotFound(f"“{item_id}” is not a UserEcho review item (topic:N).")
        data = self._object(self.get(f"topics/{int(key)}"), "a topic")
        return self._review_item(data, None)

    def review_decide(self, *, item: ReviewItem, action_id: str) -> str:
        self.require(Capability.REVIEW_ITEMS)
        if action_id not in {a.id for a in item.actions}:
            raise ForumRejected(
                f"UserEcho offers no “{action_id}” for a topic waiting for review through its "
                "API (approving is done on UserEcho's own moderation page)."
            )
        topic_id = int(item.item_id.partition(":")[2])
        try:
            now = self.review_item(item_id=item.item_id)
        except ForumNotFound:
            raise ReviewItemStale(
                "The topic is gone from UserEcho (someone deleted it meanwhile)."
            ) from None
        if now.status != "pending":
            raise ReviewItemStale(
                "Someone already reviewed this topic on UserEcho: it no longer waits."
            )
        self.require(Capability.TOPIC_DELETE)
        self.call("DELETE", f"topics/{topic_id}")
        return f"UserEcho deleted topic {topic_id}."

    def _review_item(self, data: dict, forum: UserEchoForum | None) -> ReviewItem:
        if forum is None:
            forum_id = ref_id(first(data, "forum_id", "forum"))
            forum = next((f for f in self.list_forums() if f.id == forum_id), None)
        author = _obj(data.get("author"))
        topic_id = to_int(data.get("id"))
        waiting = first(data, "needs_review") is not False
        return ReviewItem(
            item_id=f"topic:{topic_id}",
            kind=ReviewKind.QUEUED_POST,
            created_at=dt(data.get("created")),
            author_id=to_int(author.get("id")),
            author_username=str(author.get("name") or ""),
            topic_id=topic_id,
            topic_title=str(data.get("header") or ""),
            category=forum.name if forum else ref_name(first(data, "category")),
            excerpt=html_to_text(str(data.get("description") or ""), limit=EXCERPT_LENGTH),
            url=str(data.get("url") or ""),
            flags=(WAITING,),
            actions=(DELETE_TOPIC,),
            status="pending" if waiting else "reviewed",
        )


def _obj(value: object) -> dict:
    """A nested object of the forum's answer, or {} when it is missing or not an object."""
    return value if isinstance(value, dict) else {}
