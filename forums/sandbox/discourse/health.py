"""The sandbox Discourse: the site, its version and the review queue's count (what a
connection test and the overview read; the queue itself is review.py).

Part of ``DiscourseSandbox`` (``app.py``), whose routes name these methods."""

from __future__ import annotations

from datetime import timedelta

from werkzeug.wrappers import Request, Response

from ..core import json_response


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
