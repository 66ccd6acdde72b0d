"""Discourse's review queue item by item: ``GET /review.json``, ``GET /review/{id}.json`` and
``PUT /review/{id}/perform/{action_id}.json?version=N``.

The answer's shape is ``ReviewablesController#index`` / ``#show`` (discourse/discourse
``app/controllers/reviewables_controller.rb``) rendered with ``rest_serializer: true``: each
reviewable names its people, topic, scores and action bundles by id and the answer carries them
beside the list (``users``, ``topics``, ``reviewable_scores``, ``bundled_actions``, ``actions``).
Older answers nest them instead; both are read. Ten a page (``PER_PAGE = 10``), ``offset``
paging, ``meta.load_more_reviewables`` while more wait.
"""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import quote

from ..errors import ForumForbidden, ForumNotFound, ForumRejected, ReviewItemStale
from ..records import ReviewAction, ReviewFlag, ReviewItem, ReviewKind, ReviewPage
from .base import DiscourseBase, dt, to_int

REVIEW_PER_PAGE = 10  # ReviewablesController::PER_PAGE

TYPES = {
    "ReviewableFlaggedPost": ReviewKind.FLAGGED_POST,
    "ReviewableQueuedPost": ReviewKind.QUEUED_POST,
    "ReviewableUser": ReviewKind.NEW_ACCOUNT,
}
TYPE_OF_KIND = {kind: name for name, kind in TYPES.items()}

# Actions that delete a post or an account, or suspend / silence the author (the action ids of
# app/models/reviewable_flagged_post.rb build_actions, reviewable_queued_post.rb
# build_combined_actions, reviewable_user.rb and Reviewable#delete_user_actions). The others
# (agree_and_hide, agree_and_keep, disagree, ignore_and_do_nothing, approve_post, reject_post,
# approve_user ...) leave every post and account in place.
DESTRUCTIVE_ACTIONS = frozenset(
    {
        "delete_and_agree",
        "delete_and_agree_replies",
        "delete_and_ignore",
        "delete_and_ignore_replies",
        "agree_and_suspend",
        "agree_and_silence",
        "delete_user",
        "delete_user_block",
        "delete_and_block_user",
        "delete_spammer",
    }
)
# Actions Discourse's own page finishes in a dialog of its own (``client_action: "edit"``) or
# that need a text (revise_and_reject_post's reason): decided on the forum, never sent bare.
# (agree_and_suspend / agree_and_silence are aliases of agree_and_keep in
# ReviewableFlaggedPost.action_aliases: the API records the agreement and the penalty is a
# separate call, so Forumdeck offers them as destructive and runs the penalty itself.)
FORUM_ONLY_ACTIONS = frozenset({"agree_and_edit", "revise_and_reject_post"})

# The words a decision's result ends in (ReviewablePerformResultSerializer ``transition_to``).
TRANSITIONS = {
    "approved": "Discourse approved it",
    "rejected": "Discourse rejected it",
    "ignored": "Discourse ignored it",
    "deleted": "Discourse deleted it from the queue",
}

_TAGS = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")
EXCERPT_LENGTH = 400


def plain(text: Any, limit: int = 0) -> str:
    """The forum's HTML or Markdown as one line of plain text (never markup)."""
    value = _SPACE.sub(" ", html.unescape(_TAGS.sub(" ", str(text or "")))).strip()
    if limit and len(value) > limit:
        value = value[: limit - 1].rstrip() + "…"
    return value


class DiscourseReview(DiscourseBase):
    review_page_size = REVIEW_PER_PAGE

    def review_items(
        self, *, cursor: str = "", kind: ReviewKind | None = None, username: str = ""
    ) -> ReviewPage:
        offset = max(to_int(cursor) or 0, 0)
        if kind is ReviewKind.FLAGGED_USER:
            return ReviewPage(items=[], total=0)  # Discourse flags posts, not accounts
        params: dict[str, Any] = {"status": "pending", "offset": offset}
        if kind is not None and kind in TYPE_OF_KIND:
            params["type"] = TYPE_OF_KIND[kind]
        if username:
            params["username"] = username
        payload = self._dict(self._json("GET", "/review.json", params=params), "a review list")
        rows = payload.get("reviewables")
        items = [self._review_item(row, payload) for row in rows or () if isinstance(row, dict)]
        if kind is ReviewKind.OTHER:  # plugin types (chat messages ...): Discourse has no filter
            items = [item for item in items if item.kind is ReviewKind.OTHER]
        meta = _obj(payload.get("meta"))
        more = bool(meta.get("load_more_reviewables")) and bool(rows)
        return ReviewPage(
            items=items,
            next_cursor=str(offset + REVIEW_PER_PAGE) if more else "",
            total=to_int(meta.get("total_rows_reviewables")),
        )

    def review_item(self, *, item_id: str) -> ReviewItem:
        reviewable_id = to_int(item_id)
        if reviewable_id is None:
            raise ForumNotFound(f"Discourse has no review item “{item_id}”: its ids are numbers.")
        payload = self._dict(self._json("GET", f"/review/{reviewable_id}.json"), "a review item")
        row = payload.get("reviewable")
        if not isinstance(row, dict):
            row = payload  # an answer without the root: the reviewable itself
        return self._review_item(row, payload)

    def review_decide(self, *, item: ReviewItem, action_id: str) -> str:
        allowed = {action.id for action in item.actions}
        if action_id not in allowed:
            raise ForumRejected(
                f"Discourse does not offer “{action_id}” on this item now. Reload the queue to "
                "see what it allows."
            )
        if item.version is None:
            # ReviewablesController#version_required: 422 without a version. Read it first.
            item = self.review_item(item_id=item.item_id)
        path = f"/review/{self._seg(item.item_id)}/perform/{self._seg(action_id)}.json"
        try:
            answer = self._json("PUT", path, params={"version": item.version})
        except ForumRejected as exc:
            if exc.status == 409:
                # Reviewable#increment_version! raises UpdateConflict on a stale version; the
                # controller answers 409 ("reviewables.conflict").
                raise ReviewItemStale(status=409) from None
            raise
        except ForumForbidden:
            # Reviewable#perform offers nothing on a decided item, so a decision someone made
            # first answers 403 (InvalidAction as InvalidAccess), not 409: ask the item again.
            if self._decided_meanwhile(item, action_id):
                raise ReviewItemStale(status=403) from None
            raise
        result = answer.get("reviewable_perform_result") if isinstance(answer, dict) else None
        if not isinstance(result, dict):
            result = answer if isinstance(answer, dict) else {}
        label = next((a.label for a in item.actions if a.id == action_id), action_id)
        words = TRANSITIONS.get(str(result.get("transition_to") or ""), "Discourse took it")
        text = f"{label}: {words}."
        if result.get("created_post_id"):
            text += f" The post is published (post {int(result['created_post_id'])})."
        return text

    def _decided_meanwhile(self, item: ReviewItem, action_id: str) -> bool:
        try:
            now = self.review_item(item_id=item.item_id)
        except ForumNotFound:
            return True
        return now.status != "pending" or action_id not in {a.id for a in now.actions}

    # --- reading one reviewable --------------------------------------------------------------
    def _review_item(self, row: dict, payload: dict) -> ReviewItem:
        users = _by_id(payload.get("users"))
        topics = _by_id(payload.get("topics"))
        type_name = str(row.get("type") or "")
        kind = TYPES.get(type_name, ReviewKind.OTHER)
        body = _obj(row.get("payload"))
        author_id = to_int(row.get("target_created_by_id"))
        if author_id is None and isinstance(row.get("target_created_by"), dict):
            author_id = to_int(row["target_created_by"].get("id"))
        if kind is ReviewKind.NEW_ACCOUNT:
            author_id = to_int(row.get("user_id")) or to_int(row.get("target_id")) or author_id
        author = users.get(author_id) or _obj(row.get("target_created_by"))
        username = str(author.get("username") or body.get("username") or "")
        topic_id = to_int(row.get("topic_id"))
        topic = topics.get(topic_id) or _obj(row.get("topic"))
        title = plain(topic.get("fancy_title") or topic.get("title") or body.get("title") or "")
        if kind is ReviewKind.NEW_ACCOUNT:
            parts = [body.get("name"), body.get("email"), body.get("bio"), body.get("website")]
            excerpt = plain(" · ".join(str(p) for p in parts if p), EXCERPT_LENGTH)
        else:
            text = row.get("raw") or body.get("raw") or row.get("cooked") or ""
            excerpt = plain(text, EXCERPT_LENGTH)
        url = str(row.get("target_url") or row.get("topic_url") or "")
        if url.startswith("/"):
            url = self.base_url + url
        if not url:
            url = (
                f"{self.base_url}/u/{quote(username)}"
                if kind is ReviewKind.NEW_ACCOUNT and username
                else f"{self.base_url}/review/{to_int(row.get('id')) or ''}"
            )
        category_id = to_int(row.get("category_id"))
        return ReviewItem(
            item_id=str(to_int(row.get("id")) or ""),
            kind=kind,
            created_at=dt(row.get("created_at")),
            author_id=author_id,
            author_username=username,
            topic_id=topic_id,
            topic_title=title,
            post_id=to_int(row.get("post_id")),
            category=str(category_id) if category_id is not None else "",
            excerpt=excerpt,
            url=url,
            flags=tuple(self._review_flags(row, payload, users)),
            actions=tuple(_review_actions(row, payload)),
            priority=float(row.get("score") or 0.0),
            version=to_int(row.get("version")),
            status=_status(row.get("status")),
        )

    def _review_flags(self, row: dict, payload: dict, users: dict[Any, dict]) -> list[ReviewFlag]:
        scores = _by_id(payload.get("reviewable_scores"))
        found: list[dict] = []
        for entry in row.get("reviewable_scores") or row.get("reviewable_score_ids") or ():
            score = entry if isinstance(entry, dict) else scores.get(to_int(entry))
            if isinstance(score, dict):
                found.append(score)
        types = _by_id(payload.get("score_types") or payload.get("reviewable_score_types"))
        flags = []
        for score in found:
            score_type = score.get("score_type")
            if not isinstance(score_type, dict):
                score_type = types.get(to_int(score.get("score_type_id"))) or {}
            reason = plain(score.get("reason") or score_type.get("title") or "") or plain(
                str(score_type.get("type") or "flag").replace("_", " ")
            )
            user_id = to_int(score.get("user_id"))
            user = users.get(user_id) or _obj(score.get("user"))
            by = str(user.get("username") or "")
            flags.append(
                ReviewFlag(
                    reason=reason,
                    by="" if by == "system" else by,
                    at=dt(score.get("created_at")),
                )
            )
        return flags


def _obj(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _by_id(rows: Any) -> dict[Any, dict]:
    found: dict[Any, dict] = {}
    for row in rows or ():
        if isinstance(row, dict) and "id" in row:
            key = to_int(row["id"])
            found[key if key is not None else row["id"]] = row
    return found


def _status(value: Any) -> str:
    # Reviewable.statuses: pending 0, approved 1, rejected 2, ignored 3, deleted 4 (an integer
    # in older answers, the name in newer ones)
    names = {0: "pending", 1: "approved", 2: "rejected", 3: "ignored", 4: "deleted"}
    number = to_int(value)
    return names.get(number, "pending") if number is not None else str(value or "pending")


def _review_actions(row: dict, payload: dict) -> list[ReviewAction]:
    """Every action of every bundle, in the forum's order (``bundled_actions`` of
    ReviewableSerializer: bundles of ``actions``, sideloaded by id with ``action_ids``)."""
    bundles = _by_id(payload.get("bundled_actions"))
    actions = _by_id(payload.get("actions"))
    seen: list[ReviewAction] = []
    ids: set[str] = set()
    entries = row.get("bundled_actions") or row.get("bundled_action_ids") or ()
    for entry in entries:
        bundle = entry if isinstance(entry, dict) else bundles.get(to_int(entry) or entry)
        if not isinstance(bundle, dict):
            bundle = next((b for k, b in bundles.items() if str(k) == str(entry)), None)
        if not isinstance(bundle, dict):
            continue
        members = bundle.get("actions") or bundle.get("action_ids") or ()
        for member in members:
            action = member if isinstance(member, dict) else actions.get(member)
            if not isinstance(action, dict):
                action = {"id": member}
            action_id = str(action.get("id") or "")
            if not action_id or action_id in ids or action_id in FORUM_ONLY_ACTIONS:
                continue
            ids.add(action_id)
            seen.append(
                ReviewAction(
                    id=action_id,
                    label=plain(action.get("label")) or action_id.replace("_", " ").capitalize(),
                    destructive=action_id in DESTRUCTIVE_ACTIONS,
                    description=plain(action.get("description")),
                )
            )
    return seen
