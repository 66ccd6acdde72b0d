"""The sandbox Discourse: the site, its version and the review queue (what a connection test
and the overview read).

Part of ``DiscourseSandbox`` (``app.py``), whose routes name these methods."""

from __future__ import annotations

from datetime import timedelta

from werkzeug.wrappers import Request, Response

from ..core import json_response
from .common import (
    REVIEW_PER_PAGE,
    iso,
)


class DiscourseHealth:
    """A part of the app (mixed in): state, lock and config are the app's."""

    def srv_status(self, request: Request) -> Response:
        return Response("ok", content_type="text/plain; charset=utf-8")

    def basic_info(self, request: Request) -> Response:
        return json_response(
            {
                "logo_url": "/images/discourse-logo-sketch.png",
                "logo_small_url": "/images/discourse-logo-sketch-small.png",
                "apple_touch_icon_url": "/images/default-apple-touch-icon.png",
                "favicon_url": "/images/default-favicon.ico",
                "title": self.config.title,
                "description": "A simulated Discourse forum for Forumdeck's tests and demo.",
                "header_primary_color": "333333",
                "header_background_color": "ffffff",
                "login_required": False,
                "locale": "en",
                "include_in_discourse_discover": False,
                "mobile_logo_url": "",
            }
        )

    def about(self, request: Request) -> Response:
        with self.lock:
            real = [u for u in self.users.values() if u["id"] > 0]
            staff = [self.basic_user(u) for u in real if u["admin"]]
            mods = [self.basic_user(u) for u in real if u["moderator"]]
            stats = {
                "users_count": len(real),
                "topics_count": len(self.topics),
                "posts_count": sum(t["posts_count"] for t in self.topics.values()),
                "active_users_7_days": sum(
                    1 for u in real
                    if u["last_seen_at"] and u["last_seen_at"] > self.now - timedelta(days=7)
                ),
            }  # fmt: skip
        return json_response(
            {
                "about": {
                    "stats": stats, "title": self.config.title,
                    "description": "A simulated Discourse forum.", "locale": "en",
                    "version": self.release.version, "https": False, "admins": staff,
                    "moderators": mods,
                }
            }
        )  # fmt: skip

    def review_count(self, request: Request) -> Response:
        with self.lock:
            return json_response({"count": sum(1 for r in self.reviewables if r["status"] == 0)})

    def review_list(self, request: Request) -> Response:
        args = request.args
        offset = max(int(args.get("offset", 0) or 0), 0)
        with self.lock:
            pending = [r for r in self.reviewables if r["status"] == 0]
            page = pending[offset : offset + REVIEW_PER_PAGE]
            rows = [{"id": r["id"], "type": r["type"], "status": r["status"],
                     "created_at": iso(r["created_at"]), "topic_id": r["topic_id"],
                     "score": r["score"], "version": 1} for r in page]  # fmt: skip
            meta = {
                "total_rows_reviewables": len(pending),
                "reviewable_count": len(pending),
                "unseen_reviewable_count": len(pending),
            }
            if offset + REVIEW_PER_PAGE < len(pending):
                meta["load_more_reviewables"] = f"/review.json?offset={offset + REVIEW_PER_PAGE}"
        return json_response({"reviewables": rows, "meta": meta})
