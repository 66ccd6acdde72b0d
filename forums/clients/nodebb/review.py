"""NodeBB's review queue item by item: flags (on posts and on users) and the post queue.

Routes (shared/specs/nodebb/ENDPOINTS.md "Categories, moderation queues"; NodeBB 4.15.1 source):

- Flags: read ``GET /api/flags`` (``src/controllers/mods.js`` ``flags.list``: newest first, 20 a
  page, ``state``, ``type``, ``targetUid`` filters, one value each: ``helpers.validateParameters``
  drops an array for an enum filter), one flag ``GET /api/v3/flags/{flagId}`` (``Flags.get``:
  the target post or user, the reports with their reasons and reporters), decide with
  ``PUT /api/v3/flags/{flagId}`` ``{state}`` (``Flags.update``).
- Post queue: read ``GET /api/post-queue`` (``modsController.postQueue``: oldest first, 20 a page)
  and ``/api/post-queue/{id}``; accept ``POST /api/v3/posts/queue/{id}``, reject ``DELETE``
  with an optional ``message`` the author is told (``src/api/posts.js`` ``removeQueuedPost``).

Staleness: ``Flags.update`` quietly accepts a state the flag already has (it drops unchanged
fields and answers 200), and moves a flag someone resolved to "rejected" just as readily, so a
decision reads the flag first (``GET``) and refuses one that is closed or gone. A queue entry
someone accepted or rejected is gone: ``canEditQueue`` throws ``[[error:no-post]]`` (400 "Post
does not exist").

Versions (NodeBB's git history): the flag routes are the same from 3.0 to 4.15. The post queue's
write routes arrived in 4.4.3 (commit 4fbcfae8b1 "Post queue write api (#13473)"); before that
NodeBB accepted and rejected queued posts over socket.io only (``SocketPosts.accept`` /
``reject``), which an API token cannot use: such a forum answers 404 "Invalid API call" and the
client says so. The rejection ``message`` told to the author arrived in 4.11.0 (commit
e395fb0919); an older forum rejects without it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..errors import (
    ForumForbidden,
    ForumNotFound,
    ForumRejected,
    ReviewItemStale,
)
from ..plaintext import html_to_text
from ..records import (
    Capability,
    ReviewAction,
    ReviewFlag,
    ReviewItem,
    ReviewKind,
    ReviewPage,
)
from .base import NodeBBBase, ms_to_datetime, text, to_int

FLAGS_PER_PAGE = 20  # Flags.getFlagIdsWithFilters: perPage defaults to 20
QUEUE_PER_PAGE = 20  # modsController.postQueue: postsPerPage = 20
FLAGS_AT_ONCE = 5  # flags read at the same time (a handful of connections to one forum)
EXCERPT_LENGTH = 300
# The flag states that still wait for a decision, listed in this order (one `state` filter per
# listing: the list takes a single value).
WAITING_STATES = ("open", "wip")
CLOSED_STATES = frozenset({"resolved", "rejected"})
_PHASES = (*WAITING_STATES, "queue")

REVIEW_FORBIDDEN = (
    "NodeBB shows flags and queued posts only to administrators, global moderators and "
    "category moderators: the token acts as a user who is none of these. Use an "
    "administrator's token (or a master token acting as an administrator's uid)."
)
QUEUE_API_MISSING = (
    "This NodeBB accepts and rejects queued posts only on its own /post-queue page: its API "
    "has no route for it before NodeBB 4.4.3. Decide it on the forum, or upgrade NodeBB."
)
DESTRUCTIVE_ELSEWHERE = (
    "“{label}” is a destructive decision: Forumdeck runs it as a bulk action with a second "
    "person's approval (banning with the usual ban form), not from here."
)
# canEditQueue: `[[error:no-post]]` when the entry is gone (translated, or raw).
_NO_POST = frozenset({"Post does not exist", "[[error:no-post]]"})
_NO_FLAG = frozenset({"Flag does not exist", "[[error:no-flag]]"})

RESOLVE = ReviewAction(
    "resolve", "Resolve", description="Close the flag as dealt with (state “resolved”)."
)
REJECT_FLAG = ReviewAction(
    "reject", "Reject", description="Close the flag as unfounded (state “rejected”)."
)
DELETE_POST = ReviewAction(
    "delete_post",
    "Delete the post",
    destructive=True,
    description="Purge the post (DELETE /api/v3/posts/{pid}); NodeBB resolves its flag.",
)
BAN_AUTHOR = ReviewAction(
    "ban_author", "Ban the author", destructive=True, description="Ban the account on NodeBB."
)
ACCEPT = ReviewAction("accept", "Accept", description="Publish the queued post.")
REJECT_QUEUED = ReviewAction(
    "reject", "Reject", description="Remove the queued post; NodeBB tells its author."
)
_FLAG_STATE = {"resolve": "resolved", "reject": "rejected"}


@dataclass(frozen=True)
class _Cursor:
    phase: str = WAITING_STATES[0]
    page: int = 1
    uid: int | None = None  # the ``username`` filter, resolved once

    @classmethod
    def parse(cls, cursor: str) -> _Cursor:
        match = re.fullmatch(r"(open|wip|queue):(\d+)(?::u(\d+))?", cursor or "")
        if not cursor or not match:
            return cls()
        uid = int(match.group(3)) if match.group(3) else None
        return cls(match.group(1), max(int(match.group(2)), 1), uid)

    def __str__(self) -> str:
        return f"{self.phase}:{self.page}" + (f":u{self.uid}" if self.uid is not None else "")


class NodeBBReview(NodeBBBase):
    # --- listing ---------------------------------------------------------------------------
    def review_items(
        self, *, cursor: str = "", kind: ReviewKind | None = None, username: str = ""
    ) -> ReviewPage:
        """Open flags, then flags in progress (both newest first, as NodeBB lists them), then
        the post queue (oldest first): one page of one of them per call, as NodeBB pages it."""
        self.require(Capability.REVIEW_ITEMS)
        phases = self._phases(kind)
        at = _Cursor.parse(cursor)
        if not phases:
            return ReviewPage(items=[], total=0)
        if at.phase not in phases:
            at = _Cursor(phases[0], 1, at.uid)
        if username and at.uid is None:
            at = _Cursor(at.phase, at.page, self._uid_of(username))
        if at.uid == 0:  # no such user on this forum: nothing of theirs waits
            return ReviewPage(items=[])
        flag_type = {ReviewKind.FLAGGED_POST: "post", ReviewKind.FLAGGED_USER: "user"}.get(
            kind or ReviewKind.OTHER, ""
        )
        if at.phase == "queue":
            items, page_count = self._queue_page(at.page, uid=at.uid)
        else:
            items, page_count = self._flag_page(at.phase, at.page, flag_type, uid=at.uid)
        return ReviewPage(items=items, next_cursor=self._next(at, page_count, phases))

    @staticmethod
    def _phases(kind: ReviewKind | None) -> tuple[str, ...]:
        if kind is None:
            return _PHASES
        if kind in (ReviewKind.FLAGGED_POST, ReviewKind.FLAGGED_USER):
            return WAITING_STATES
        if kind is ReviewKind.QUEUED_POST:
            return ("queue",)
        return ()  # NodeBB has no accounts waiting for approval through its API, nor others

    @staticmethod
    def _next(at: _Cursor, page_count: int, phases: tuple[str, ...]) -> str:
        if at.page < page_count:
            return str(_Cursor(at.phase, at.page + 1, at.uid))
        following = phases[phases.index(at.phase) + 1 :]
        return str(_Cursor(following[0], 1, at.uid)) if following else ""

    def _uid_of(self, username: str) -> int:
        """The uid of ``username``; 0 when the forum has no such user."""
        try:
            data = self._read(f"/api/user/username/{self._seg(username.strip())}")
        except ForumNotFound:
            return 0
        return to_int(data.get("uid"), 0) or 0

    def _review_read(self, path: str, params: dict[str, Any] | None = None) -> dict:
        try:
            return self._read(path, params=params)
        except ForumForbidden as exc:
            # helpers.notAllowed: 403 to a logged-in user who moderates nothing
            raise ForumForbidden(REVIEW_FORBIDDEN, status=exc.status) from None

    def _flag_page(
        self, state: str, page: int, flag_type: str, *, uid: int | None
    ) -> tuple[list[ReviewItem], int]:
        params: dict[str, Any] = {"state": state, "page": page, "perPage": FLAGS_PER_PAGE}
        if flag_type:
            params["type"] = flag_type
        if uid is not None:
            params["targetUid"] = uid
        listing = self._review_read("/api/flags", params)
        rows = [r for r in listing.get("flags") or [] if isinstance(r, dict) and r.get("flagId")]
        page_count = to_int((listing.get("pagination") or {}).get("pageCount"), 1) or 1
        # The list rows carry no content, reasons or names: each flag is read whole, a few at
        # once. A flag that vanished meanwhile (purged) is left out.
        details: list[Any] = []
        for start in range(0, len(rows), FLAGS_AT_ONCE):
            chunk = rows[start : start + FLAGS_AT_ONCE]
            details += self.together(*(lambda r=r: self._flag(r["flagId"]) for r in chunk))
        items: list[ReviewItem] = []
        for row, detail in zip(rows, details, strict=True):
            if isinstance(detail, ForumNotFound):
                continue
            if isinstance(detail, ForumForbidden):
                raise ForumForbidden(REVIEW_FORBIDDEN, status=detail.status) from None
            items.append(self._flag_item({**row, **self.unwrap(detail)}))
        return items, page_count

    def _flag(self, flag_id: Any) -> dict:
        data = self._write("GET", f"/api/v3/flags/{int(flag_id)}")
        return data if isinstance(data, dict) else {}

    def _queue_page(self, page: int, *, uid: int | None) -> tuple[list[ReviewItem], int]:
        listing = self._review_read("/api/post-queue", {"page": page})
        if not listing.get("isAdmin") and not listing.get("canAccept"):
            # A plain user's /api/post-queue is their own queued posts (the page filters by
            # `req.uid === p.user.uid`), never the forum's queue; `canAccept` is "admin or
            # global moderator", so a category moderator is asked the flag list's rule.
            self._require_moderator()
        posts = [p for p in listing.get("posts") or [] if isinstance(p, dict) and p.get("id")]
        if uid is not None:
            posts = [p for p in posts if to_int(p.get("uid")) == uid]
        page_count = to_int((listing.get("pagination") or {}).get("pageCount"), 1) or 1
        return [self._queue_item(p) for p in posts], page_count

    def _require_moderator(self) -> None:
        """The flag list answers 403 to a user who moderates nothing (the post queue does not:
        it lists their own posts instead)."""
        self._review_read("/api/flags", {"page": 1, "perPage": 1})

    # --- one item ------------------------------------------------------------------------------
    def review_item(self, *, item_id: str) -> ReviewItem:
        self.require(Capability.REVIEW_ITEMS)
        kind, _, key = str(item_id).partition(":")
        if kind == "flag" and key.isdigit():
            try:
                return self._flag_item(self._flag(key))
            except ForumNotFound:
                raise ForumNotFound("NodeBB has no such flag (any more).", status=404) from None
        if kind == "queue" and key:
            listing = self._review_read(f"/api/post-queue/{self._seg(key)}")
            posts = [p for p in listing.get("posts") or [] if isinstance(p, dict)]
            if not posts:
                raise ForumNotFound("The queued post is no longer in NodeBB's post queue.")
            return self._queue_item(posts[0])
        raise ForumNotFound(f"“{item_id}” is not a NodeBB review item (flag:N or queue:id).")

    # --- deciding ------------------------------------------------------------------------------
    def review_decide(self, *, item: ReviewItem, action_id: str) -> str:
        self.require(Capability.REVIEW_ITEMS)
        action = next((a for a in item.actions if a.id == action_id), None)
        if action is None:
            offered = ", ".join(a.id for a in item.actions) or "none"
            raise ForumRejected(
                f"NodeBB offers no “{action_id}” for this item (it offers: {offered})."
            )
        kind, _, key = item.item_id.partition(":")
        if kind == "flag":
            return self._decide_flag(int(key), item, action)
        if kind == "queue":
            return self._decide_queued(key, action)
        raise ForumRejected(f"“{item.item_id}” is not a NodeBB review item.")

    def _decide_flag(self, flag_id: int, item: ReviewItem, action: ReviewAction) -> str:
        try:
            now = self._flag(flag_id)
        except ForumNotFound:
            # middleware.assert.flag: 404 `[[error:no-flag]]` once the flag is purged
            raise ReviewItemStale(
                "The flag is gone from NodeBB (someone deleted it meanwhile).", status=404
            ) from None
        state = str(now.get("state") or "open")
        if state in CLOSED_STATES:
            raise ReviewItemStale(
                f"Someone already closed this flag on NodeBB (it is now “{state}”). Reload the "
                "queue to see it as it is now."
            )
        if action.id == "delete_post" and item.post_id:
            # posts.purge resolves the post's flag itself (src/posts/delete.js resolveFlags)
            self._write("DELETE", f"/api/v3/posts/{int(item.post_id)}")
            return f"NodeBB deleted post {item.post_id} and resolved flag {flag_id}."
        if action.destructive or action.id not in _FLAG_STATE:
            raise ForumRejected(DESTRUCTIVE_ELSEWHERE.format(label=action.label))
        new_state = _FLAG_STATE[action.id]
        self._write("PUT", f"/api/v3/flags/{flag_id}", body={"state": new_state})
        return f"NodeBB marked flag {flag_id} as {new_state}."

    def _decide_queued(self, queue_id: str, action: ReviewAction) -> str:
        path = f"/api/v3/posts/queue/{self._seg(queue_id)}"
        try:
            if action.id == "accept":
                answer = self._write("POST", path)
                # src/controllers/write/posts.js wraps api.posts.acceptQueuedPost's
                # {type, pid, tid} as {post} (write.yaml shows them unwrapped).
                post = answer.get("post", answer) if isinstance(answer, dict) else {}
                pid = to_int(post.get("pid")) if isinstance(post, dict) else None
                return "NodeBB published the queued post" + (f" (post {pid})." if pid else ".")
            if action.id == "reject":
                self._write("DELETE", path)
                return "NodeBB removed the queued post and told its author."
        except ForumNotFound as exc:
            if exc.message == "Invalid API call":  # before NodeBB 4.4.3: no such route
                raise ForumRejected(QUEUE_API_MISSING, status=404) from None
            raise
        except ForumRejected as exc:
            if exc.message in _NO_POST:
                raise ReviewItemStale(
                    "Someone already accepted or rejected this post on NodeBB: it is no longer "
                    "in the post queue.",
                    status=exc.status,
                ) from None
            raise
        except ForumForbidden as exc:
            raise ForumForbidden(REVIEW_FORBIDDEN, status=exc.status) from None
        raise ForumRejected(DESTRUCTIVE_ELSEWHERE.format(label=action.label))

    def review_note(self, *, item: ReviewItem, note: str) -> None:
        """NodeBB only: a note on a flag, shared with the forum's other moderators
        (``POST /api/v3/flags/{flagId}/notes``; ``Flags.appendNote``), e.g. why Forumdeck
        decided it. Queued posts have no notes."""
        self.require(Capability.REVIEW_ITEMS)
        kind, _, key = item.item_id.partition(":")
        if kind != "flag" or not key.isdigit():
            raise ForumRejected("NodeBB keeps notes on flags only, not on queued posts.")
        if not note.strip():
            raise ForumRejected("Write the note first.")
        try:
            self._write("POST", f"/api/v3/flags/{int(key)}/notes", body={"note": note.strip()})
        except ForumNotFound:
            raise ReviewItemStale("The flag is gone from NodeBB.", status=404) from None

    # --- records -------------------------------------------------------------------------------
    def _flag_item(self, flag: dict) -> ReviewItem:
        flag_type = str(flag.get("type") or "")
        target = _obj(flag.get("target"))
        reports = [r for r in flag.get("reports") or [] if isinstance(r, dict)]
        flags = tuple(
            ReviewFlag(
                reason=text(r.get("value")) or "Flagged",
                by=str((r.get("reporter") or {}).get("username") or ""),
                at=ms_to_datetime(r.get("timestamp")),
            )
            for r in reports
        )
        heat = to_int(flag.get("heat"), None)
        state = str(flag.get("state") or "open")
        flag_id = to_int(flag.get("flagId"), 0)
        common: dict[str, Any] = {
            "item_id": f"flag:{flag_id}",
            "created_at": ms_to_datetime(flag.get("datetime")),
            "flags": flags,
            "priority": float(heat if heat is not None else len(reports)),
            # "pending" while the flag waits (open or in progress), else NodeBB's closed state
            "status": state if state in CLOSED_STATES else "pending",
        }
        if flag_type == "user":
            uid = to_int(target.get("uid")) or to_int(flag.get("targetId"))
            slug = str(target.get("userslug") or "")
            return ReviewItem(
                kind=ReviewKind.FLAGGED_USER,
                author_id=uid,
                author_username=str(target.get("username") or ""),
                excerpt=html_to_text(str(target.get("aboutme") or ""), limit=EXCERPT_LENGTH),
                url=f"{self.base_url}/user/{slug}" if slug else f"{self.base_url}/flags/{flag_id}",
                actions=(RESOLVE, REJECT_FLAG, BAN_AUTHOR),
                **common,
            )
        user = _obj(target.get("user"))
        pid = to_int(target.get("pid")) or to_int(flag.get("targetId"))
        topic = _obj(target.get("topic"))
        return ReviewItem(
            kind=ReviewKind.FLAGGED_POST if flag_type == "post" else ReviewKind.OTHER,
            author_id=to_int(target.get("uid")) or to_int(flag.get("targetUid")),
            author_username=str(user.get("username") or ""),
            topic_id=to_int(target.get("tid")),
            topic_title=text(topic.get("title")),
            post_id=pid,
            category=text((target.get("category") or {}).get("name"))
            if isinstance(target.get("category"), dict)
            else "",
            excerpt=html_to_text(str(target.get("content") or ""), limit=EXCERPT_LENGTH),
            url=f"{self.base_url}/post/{pid}" if pid else f"{self.base_url}/flags/{flag_id}",
            actions=(RESOLVE, REJECT_FLAG, DELETE_POST, BAN_AUTHOR)
            if flag_type == "post"
            else (RESOLVE, REJECT_FLAG),
            **common,
        )

    def _queue_item(self, entry: dict) -> ReviewItem:
        data = _obj(entry.get("data"))
        user = _obj(entry.get("user"))
        topic = _obj(entry.get("topic"))
        category = _obj(entry.get("category"))
        queue_type = str(entry.get("type") or "")
        # A queued topic carries its own title; a reply names the topic it answers.
        title = text(data.get("title")) or text(topic.get("title"))
        raw = str(data.get("rawContent") or "")
        excerpt = (
            re.sub(r"\s+", " ", raw).strip()[:EXCERPT_LENGTH]
            if raw
            else html_to_text(str(data.get("content") or ""), limit=EXCERPT_LENGTH)
        )
        reason = (
            "New topic waiting for approval"
            if queue_type == "topic"
            else ("Reply waiting for approval")
        )
        return ReviewItem(
            item_id=f"queue:{entry.get('id')}",
            kind=ReviewKind.QUEUED_POST,
            created_at=ms_to_datetime(data.get("timestamp")),
            author_id=to_int(entry.get("uid")) or to_int(user.get("uid")),
            author_username=str(user.get("username") or ""),
            topic_id=to_int(data.get("tid")),
            topic_title=title,
            category=text(category.get("name")),
            excerpt=excerpt,
            url=f"{self.base_url}/post-queue/{entry.get('id')}",
            flags=(ReviewFlag(reason=reason),),
            actions=(ACCEPT, REJECT_QUEUED, BAN_AUTHOR),
            status="pending",
        )


def _obj(value: object) -> dict:
    """A nested object of the forum's answer, or {} when it is missing or not an object."""
    return value if isinstance(value, dict) else {}
