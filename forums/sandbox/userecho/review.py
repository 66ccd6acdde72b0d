"""The sandbox UserEcho's review queue: topics waiting for review, as ENDPOINTS.md section 3
describes it. Listing (`filter__needs_review=1`, SEED:105) and deleting (P9) are the topic
routes of ``topics.py``; approving has no documented route (row "Review queue (approve)": "not
documented"), so it happens here only as UserEcho's own moderation page would do it, through
control calls (tests, the demo):

- ``POST /__sandbox__/review-topics`` ``{forum_id?, author_id?, header?, description?}`` adds a
  topic that waits for review (P2's ``needs_review: true``, written by anyone);
- ``POST /__sandbox__/review-topics/<id>`` ``{needs_review: false}`` approves it (or puts it
  back in the queue with ``true``), as a moderator would on UserEcho's site.

Part of ``UserEchoSandbox`` (``app.py``)."""

from __future__ import annotations

import re
from typing import Any

from werkzeug.wrappers import Request, Response

from ..core import json_response
from .common import _now
from .seed import iso


class UserEchoReview:
    """A part of the app (mixed in): state, lock and config are the app's."""

    def add_waiting_topic(
        self, *, forum_id: int = 0, author_id: int = 0, header: str = "", description: str = ""
    ) -> int:
        """A topic waiting for review (under the app's lock)."""
        forum_id = forum_id or min(self.state.forums)
        if forum_id not in self.state.forums:
            raise ValueError(f"no forum {forum_id}")
        kind = next(t for t in self.state.types.values() if t["forum_id"] == forum_id)
        author_id = author_id or max(self.state.users)
        if author_id not in self.state.users:
            raise ValueError(f"no user {author_id}")
        now = iso(_now())
        topic_id = self.state.next_id("topic")
        header = header or "Please add dark mode"
        self.state.topics[topic_id] = {
            "id": topic_id, "forum_id": forum_id, "header": header,
            "description": description or f"<p>{header}</p>",
            "created": now, "updated": now, "type_id": kind["id"],
            "status_id": kind["statuses"][0], "category_id": None, "tag_ids": [],
            "author_id": author_id, "assigned_to": None, "show_voter": True,
            "custom_fields": {}, "votes": {}, "needs_review": True,
        }  # fmt: skip
        return topic_id

    def review_control(self, request: Request, action: str) -> Response | None:
        if request.method != "POST":
            return None
        body: dict[str, Any] = request.get_json(force=True, silent=True) or {}
        match = re.fullmatch(r"review-topics(?:/(\d+))?", action)
        if not match:
            return None
        with self.lock:
            if match.group(1) is None:
                try:
                    topic_id = self.add_waiting_topic(
                        forum_id=int(body.get("forum_id") or 0),
                        author_id=int(body.get("author_id") or 0),
                        header=str(body.get("header") or ""),
                        description=str(body.get("description") or ""),
                    )
                except (TypeError, ValueError) as exc:
                    return json_response({"error": str(exc)}, 400)
                return json_response({"id": topic_id, "item_id": f"topic:{topic_id}"})
            topic = self.state.topics.get(int(match.group(1)))
            if topic is None:
                return json_response({"error": "no such topic"}, 404)
            topic["needs_review"] = bool(body.get("needs_review", False))
            return json_response({"id": topic["id"], "needs_review": topic["needs_review"]})
