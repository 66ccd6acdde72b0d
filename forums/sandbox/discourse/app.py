"""A simulated Discourse: the routes, status codes and JSON the dashboard uses, kept in memory.

Modelled on the real server: every row of shared/specs/discourse/ENDPOINTS.md "Rules the real
server enforces (read in Discourse's source)" is enforced here, and each place that enforces
one names its row in a comment (``# ENDPOINTS.md "Rules" / <area>: <rule>``). In short:

- auth by ``Api-Key`` + ``Api-Username``; a bad key (or a granular key without the scope)
  answers 404 on ``/admin/*`` and 403 ``invalid_access`` elsewhere; admin-only routes answer
  404 to a moderator's key;
- one sliding-window bucket of ``config.admin_requests_per_minute`` for every request made with
  a valid API key, whoever acts (refused requests are not counted); over it, 429 with
  ``Retry-After``, ``Discourse-Rate-Limit-Error-Code: admin_api_key_rate_limit`` and
  ``extras.wait_seconds``. Requests without a valid key count against the per-IP limits, which
  answer a ``text/plain`` 429 (loopback is exempt unless ``max_reqs_rate_limit_on_private``);
- errors as ``{"errors": [...], "error_type": ...}`` (guardian refusals, not found) or
  ``{"failed": "FAILED", "errors"|"message": ...}`` (service contracts and policies); JSON and
  form bodies both accepted;
- every state change holds ``self.lock``.

Settings that change what a rule answers are ``SandboxConfig`` fields (``enable_backups``,
``delete_user_max_post_age``, ``legacy_events_plugin``, ...); per-user state (post counts,
first post dates, staff flags) is seeded and can be changed with
``POST /__sandbox__/users/<id>`` (see ``control_extra``).

Run it alone: ``RunningSandbox(DiscourseSandbox(SandboxConfig(...)), port=4100).start()``.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from ..core import SandboxApp, SandboxConfig, SlidingWindowLimiter, ceil_seconds, json_response
from . import seed as data
from .backups import DiscourseBackups
from .calendar import DiscourseCalendar, seed_time_kind_events
from .common import (
    ADMIN_ONLY_ENDPOINTS,
    BACKUP_ENDPOINTS,
    INVALID_ACCESS,
    NOT_FOUND,
    Stamp,
    error,
    invalid_access,
    iso,
)
from .groups import DiscourseGroups
from .health import DiscourseHealth
from .releases import Release, release_named
from .review import DiscourseReview
from .state import DiscourseState, StateField, user_table
from .tags import DiscourseTags
from .users import DiscourseUsers


class DiscourseSandbox(
    DiscourseBackups,
    DiscourseCalendar,
    DiscourseGroups,
    DiscourseHealth,
    DiscourseReview,
    DiscourseTags,
    DiscourseUsers,
    SandboxApp,
):
    platform = "discourse"

    backup_seconds = 3.0  # how long a started backup keeps "operation running"

    # Fault injection: a started backup stops without writing its file (a full disk, a
    # killed job). Discourse then only reports "not running" again (status.json has no
    # failure flag) and lists no new file.
    backup_fails = False

    # The state (state.py): app.users is app.state.users, and so on.
    now = StateField()
    users = StateField()
    next_user_id = StateField()
    groups = StateField()
    next_group_id = StateField()
    tags = StateField()
    next_tag_id = StateField()
    topics = StateField()
    tag_groups = StateField()
    next_tag_group_id = StateField()
    events = StateField()
    backups = StateField()
    backup_running_until = StateField()
    backup_pending = StateField()
    reviewables = StateField()
    next_reviewable_id = StateField()
    posts = StateField()
    next_post_id = StateField()

    def __init__(self, config: SandboxConfig | None = None) -> None:
        cfg = config or SandboxConfig()
        self.limiter = SlidingWindowLimiter(
            cfg.admin_requests_per_minute, window=cfg.rate_window_seconds
        )
        release = release_named(cfg.release)  # ValueError for a release it cannot play
        # Before 2025-12 /tags.json used the tag name as its `id`; flip to serve that shape.
        self.legacy_tag_ids = not release.tag_ids_integer
        if release.calendar_plugin == "old":
            # the calendar plugin's old event shapes (releases.py: calendar_plugin)
            cfg.legacy_events_plugin = True
        super().__init__(cfg)

    @property
    def release(self) -> Release:
        """The Discourse release this sandbox plays (``config.release``, releases.py)."""
        return release_named(self.config.release)

    def configure(self, **changes: Any) -> None:
        if "release" in changes:
            release = release_named(changes["release"])
            self.legacy_tag_ids = not release.tag_ids_integer
            changes.setdefault("legacy_events_plugin", release.calendar_plugin == "old")
        super().configure(**changes)

    def rules(self) -> list[Rule]:
        uid = "<int(signed=True):user_id>"

        def r(path: str, endpoint: str, *methods: str) -> Rule:
            return Rule(path, endpoint=endpoint, methods=list(methods))

        return [
            r("/srv/status", "srv_status", "GET"),
            r("/site/basic-info.json", "basic_info", "GET"),
            r("/about.json", "about", "GET"),
            r("/review/count.json", "review_count", "GET"),
            # review queue (review.py): ENDPOINTS.md "Review queue and flags"
            r("/review.json", "review_list", "GET"),
            r("/review/<int:reviewable_id>.json", "review_show", "GET"),
            r("/review/<int:reviewable_id>/perform/<action_id>.json", "review_perform", "PUT"),
            # users
            r("/admin/users.json", "admin_users_all", "GET"),
            r("/admin/users/list/<flag>.json", "admin_users_list", "GET"),
            r(f"/admin/users/{uid}.json", "admin_user", "GET"),
            r(f"/admin/users/{uid}.json", "admin_user_delete", "DELETE"),
            r("/admin/users/destroy-bulk.json", "admin_users_destroy_bulk", "DELETE"),
            r(f"/admin/users/{uid}/suspend.json", "user_suspend", "PUT"),
            r(f"/admin/users/{uid}/unsuspend.json", "user_unsuspend", "PUT"),
            r(f"/admin/users/{uid}/silence.json", "user_silence", "PUT"),
            r(f"/admin/users/{uid}/unsilence.json", "user_unsilence", "PUT"),
            r(f"/admin/users/{uid}/log_out.json", "user_log_out", "POST"),
            r(f"/admin/users/{uid}/trust_level.json", "user_trust_level", "PUT"),
            r(f"/admin/users/{uid}/anonymize.json", "user_anonymize", "PUT"),
            r(f"/admin/users/{uid}/approve.json", "user_approve", "PUT"),
            r(f"/admin/users/{uid}/activate.json", "user_activate", "PUT"),
            r(f"/admin/users/{uid}/deactivate.json", "user_deactivate", "PUT"),
            r("/u/<username>.json", "user_profile", "GET"),
            # ENDPOINTS.md Users / "POST / DELETE /admin/users/{id}/groups.json": one user in or
            # out of one group (pydiscourse's add_user_to_group). Rails routes take the format
            # as optional, so the path without ".json" (pydiscourse's) answers the same.
            r(f"/admin/users/{uid}/groups", "user_group_add", "POST"),
            r(f"/admin/users/{uid}/groups.json", "user_group_add", "POST"),
            r(f"/admin/users/{uid}/groups/<int:group_id>", "user_group_remove", "DELETE"),
            r(f"/admin/users/{uid}/groups/<int:group_id>.json", "user_group_remove", "DELETE"),
            # groups
            r("/groups.json", "groups_list", "GET"),
            r("/groups/by-id/<int:group_id>.json", "group_by_id", "GET"),
            r("/groups/<name>.json", "group_show", "GET"),
            r("/groups/<int:group_id>.json", "group_update", "PUT"),
            r("/admin/groups.json", "group_create", "POST"),
            r("/admin/groups/<int:group_id>.json", "group_delete", "DELETE"),
            r("/groups/<name>/members.json", "group_members", "GET"),
            r("/groups/<int:group_id>/members.json", "group_members_add", "PUT"),
            r("/groups/<int:group_id>/members.json", "group_members_remove", "DELETE"),
            # tags
            r("/tags.json", "tags_list", "GET"),
            r("/tag/<name>.json", "tag_topics", "GET"),
            r("/t/<int:topic_id>.json", "topic_show", "GET"),
            r("/tag/<name>.json", "tag_rename", "PUT"),
            r("/tag/<name>.json", "tag_delete", "DELETE"),
            r("/topics/bulk.json", "topics_bulk", "PUT"),
            r("/tags/upload.json", "tags_upload", "POST"),
            r("/tag/<name>/synonyms.json", "tag_synonyms_add", "POST"),
            r("/tags/unused.json", "tags_unused", "DELETE"),
            r("/tag_groups.json", "tag_groups_list", "GET"),
            r("/tag_groups.json", "tag_group_create", "POST"),
            r("/tag_groups/<int:tag_group_id>.json", "tag_group_show", "GET"),
            r("/tag_groups/<int:tag_group_id>.json", "tag_group_update", "PUT"),
            r("/tag_groups/<int:tag_group_id>.json", "tag_group_delete", "DELETE"),
            # backups
            r("/admin/backups.json", "backups_list", "GET"),
            r("/admin/backups.json", "backup_create", "POST"),
            r("/admin/backups/status.json", "backups_status", "GET"),
            r("/admin/backups/cancel.json", "backup_cancel", "DELETE"),
            r("/admin/backups/<filename>", "backup_send_link", "PUT"),
            # calendar
            r("/discourse-post-event/events.json", "events_list", "GET"),
            r("/discourse-post-event/events.ics", "events_ics", "GET"),
        ]

    # Routes a visitor without a key may read (on a forum that does not require login).
    ANONYMOUS_OK = frozenset(
        {"basic_info", "about", "groups_list", "group_show", "group_by_id", "group_members",
         "tags_list", "tag_topics", "tag_groups_list", "events_list", "events_ics",
         "user_profile"}
    )  # fmt: skip

    def reset(self) -> None:
        with self.lock:
            self.state = DiscourseState()
            rng = self._random
            rng.seed(self.config.seed)
            self.now = datetime.now(UTC).replace(microsecond=0)
            now = self.now
            self.users = user_table(data.seed_users(rng, self.config.users, now))
            self.users[-1] = {
                "id": -1, "username": "system", "name": "system", "email": "no_email",
                "trust_level": 4, "active": True, "approved": True, "admin": True,
                "moderator": True, "staged": False, "created_at": now - timedelta(days=1600),
                "last_seen_at": now, "post_count": 0, "topic_count": 0,
                "ip_address": "127.0.0.1", "suspended_till": None, "suspended_at": None,
                "suspend_reason": "", "silenced_till": None, "silenced_at": None,
                "silence_reason": "", "first_post_at": None, "manual_locked_trust_level": None,
                "category_levels": {}, "tag_levels": {},
            }  # fmt: skip
            data.seed_posting([u for u in self.users.values() if u["id"] > 0], self.config.seed,
                              now)  # fmt: skip
            self.next_user_id = max(self.users) + 1
            self.groups = {}
            for name, gid in data.AUTO_GROUPS.items():
                self.groups[gid] = self._new_group(gid, name, automatic=True)
            next_gid = 41
            real = [u for u in self.users.values() if u["id"] > 0]
            for name, full_name, visibility, size in data.CUSTOM_GROUPS:
                group = self._new_group(next_gid, name, full_name=full_name)
                group["visibility_level"] = visibility
                group["bio_raw"] = f"{full_name} of {self.config.title}."
                for user in rng.sample(real, min(size, len(real))):
                    group["members"][user["id"]] = now - timedelta(days=rng.uniform(0, 400))
                if group["members"]:
                    group["owners"].add(min(group["members"]))
                group["member_levels"] = dict.fromkeys(
                    group["members"], group["default_notification_level"]
                )
                self.groups[next_gid] = group
                next_gid += 1
            data.seed_group_notifications(
                [g for g in self.groups.values() if not g["automatic"]], self.users,
                self.config.seed,
            )  # fmt: skip
            self.next_group_id = next_gid
            self.tags = {
                name: {"id": index + 1, "name": name} for index, name in enumerate(data.TAG_NAMES)
            }
            self.next_tag_id = len(self.tags) + 1
            self.topics = {
                t["id"]: t for t in data.seed_topics(rng, [u["id"] for u in real] or [1], now)
            }
            self.tag_groups = {}
            for index, (name, tags, parents, one) in enumerate(data.TAG_GROUPS, start=1):
                self.tag_groups[index] = {
                    "id": index, "name": name, "tag_names": list(tags),
                    "parent_tag_name": list(parents), "one_per_topic": one,
                    "permissions": {"everyone": 1},
                }  # fmt: skip
            self.next_tag_group_id = len(self.tag_groups) + 1
            self.events = data.seed_events(rng, now, first_topic_id=1000)
            self.events += data.seed_recurring_events(
                self.config.seed, now, first_id=20_000, first_topic_id=2000
            )
            # all-day, show_local_time and a local-time series (calendar.py)
            self.events += seed_time_kind_events(now, first_id=30_000, first_topic_id=3000)
            for event in self.events:
                self.topics[event["topic_id"]] = {
                    "id": event["topic_id"], "title": event["name"],
                    "slug": re.sub(r"[^a-z0-9]+", "-", event["name"].lower()).strip("-"),
                    "category_id": event["category_id"], "tags": ["meetup"],
                    "created_at": event["starts_at"] - timedelta(days=14), "posts_count": 1,
                    "views": 10, "like_count": 0, "user_id": 1,
                }  # fmt: skip
            self.backups = [
                {"filename": f"sandbox-forum-{d:%Y-%m-%d-%H%M%S}-v20260101000000.tar.gz",
                 "size": 48_000_000 + i * 1_250_000, "last_modified": d}
                for i, d in enumerate((now - timedelta(days=8, hours=3),
                                       now - timedelta(days=1, hours=3)))
            ]  # fmt: skip
            self.backup_running_until = 0.0
            self.backup_pending = None
            self.seed_reviewables(rng, now)
            self.limiter.reset()
            self.ip_limiters: dict[str, tuple[SlidingWindowLimiter, SlidingWindowLimiter]] = {}

    USER_CONTROL_FIELDS = {
        "post_count": int, "admin": bool, "moderator": bool, "active": bool, "approved": bool,
        "staged": bool, "trust_level": int, "destroy_fails": bool,
    }  # fmt: skip

    def control_extra(self, request: Request, action: str) -> Response | None:
        """``POST /__sandbox__/users/<id>`` with any of ``USER_CONTROL_FIELDS`` plus
        ``first_post_days_ago`` (a number, or null for "never posted"); ``POST
        /__sandbox__/people`` with ``username``, ``email`` and ``name`` adds an account; ``POST
        /__sandbox__/reviewables`` puts an item in the review queue (see ``control_reviewable``)."""
        body = request.get_json(force=True, silent=True) or {}
        if action == "people" and request.method == "POST":
            try:
                uid = self.add_person(username=str(body["username"]), email=str(body["email"]),
                                      name=str(body.get("name") or ""))  # fmt: skip
            except (KeyError, ValueError) as exc:
                return json_response({"error": str(exc)}, 400)
            return json_response({"id": uid})
        if action == "reviewables" and request.method == "POST":
            return self.control_reviewable(body)
        match = re.fullmatch(r"users/(-?\d+)", action)
        if not match or request.method != "POST":
            return None
        with self.lock:
            user = self.users.get(int(match.group(1)))
            if user is None:
                return json_response({"error": "no such user"}, 404)
            unknown = set(body) - set(self.USER_CONTROL_FIELDS) - {"first_post_days_ago"}
            if unknown:
                return json_response({"error": f"unknown user fields {sorted(unknown)}"}, 400)
            for key, kind in self.USER_CONTROL_FIELDS.items():
                if key in body:
                    user[key] = kind(body[key])
            if "first_post_days_ago" in body:
                days = body["first_post_days_ago"]
                user["first_post_at"] = (
                    None if days is None else datetime.now(UTC) - timedelta(days=float(days))
                )
            return json_response({"id": user["id"], "post_count": user["post_count"],
                                  "first_post_at": iso(user["first_post_at"])})  # fmt: skip

    def handle(self, request: Request) -> Response:
        # The per-IP limits are Rack middleware (RequestTracker): they run before routing and
        # authentication, on every path.
        stamps = self._per_ip_limits(request)
        if isinstance(stamps, Response):
            return stamps
        request.environ["sandbox.ip_stamps"] = stamps
        return super().handle(request)

    def _per_ip_limits(self, request: Request) -> list[Stamp] | Response:
        cfg = self.config
        ip = request.remote_addr or "127.0.0.1"
        try:
            address = ipaddress.ip_address(ip)
            private = address.is_private or address.is_loopback
        except ValueError:
            private = False
        if private and not cfg.max_reqs_rate_limit_on_private:
            return []  # max_reqs_rate_limit_on_private=false: private addresses are exempt
        with self.lock:
            limiters = self.ip_limiters.get(ip)
            if limiters is None:
                limiters = self.ip_limiters[ip] = (
                    SlidingWindowLimiter(cfg.max_reqs_per_ip_per_10_seconds, 10.0),
                    SlidingWindowLimiter(cfg.max_reqs_per_ip_per_minute, 60.0),
                )
        limiters[0].limit = int(cfg.max_reqs_per_ip_per_10_seconds)
        limiters[1].limit = int(cfg.max_reqs_per_ip_per_minute)
        stamps: list[Stamp] = []
        for limiter, code in zip(limiters, ("ip_10_secs_limit", "ip_60_secs_limit"), strict=True):
            now = SlidingWindowLimiter.clock()
            wait = limiter.try_acquire(now)
            if wait:
                # ENDPOINTS.md "Rules" / admin rate limit: requests with a bad or missing key
                # meet the per-IP limiter, which answers a text/plain 429
                seconds = ceil_seconds(wait)
                return Response(
                    "Slow down, too many requests from this IP address. Please retry again in "
                    f"{seconds} seconds. Error code: {code}.\n",
                    status=429,
                    content_type="text/plain; charset=utf-8",
                    headers={"Retry-After": str(seconds),
                             "Discourse-Rate-Limit-Error-Code": code},
                )  # fmt: skip
            stamps.append((limiter, now))
        return stamps

    def _key_user(self, request: Request, endpoint: str, key: str) -> dict[str, Any] | None:
        """The acting user for a key, or None when the key does not admit this request."""
        name = request.headers.get("Api-Username")
        if secrets.compare_digest(key, self.config.api_key):
            return self.find_user(name or self.config.api_username)
        allowed = self.config.granular_keys.get(key)
        # ENDPOINTS.md "Rules" / bad key: a granular key that lacks the scope for this call is
        # refused exactly like an invalid key
        if allowed is None or endpoint not in allowed or not name:
            return None
        return self.find_user(name)

    def before_endpoint(self, request: Request, endpoint: str) -> Response | None:
        if endpoint == "srv_status":
            return None  # answered by the middleware, before any auth
        admin_route = request.path.startswith("/admin/")
        key = request.headers.get("Api-Key")
        request.environ["sandbox.user"] = None
        if key is None:
            if admin_route:
                return self.not_found(request)
            if endpoint in self.ANONYMOUS_OK:
                return None
            return error(403, INVALID_ACCESS, "not_logged_in")
        user = self._key_user(request, endpoint, key)
        if user is None or not user["active"] or self.suspended(user):
            # ENDPOINTS.md "Rules" / bad key: 403 on ordinary routes, 404 on /admin/*
            return self.not_found(request) if admin_route else invalid_access(INVALID_ACCESS)
        # A request with a valid key has its per-IP counts rolled back (DISCOURSE_RATE_LIMITERS).
        for limiter, stamp in request.environ.get("sandbox.ip_stamps") or []:
            limiter.rollback(stamp)
        # ENDPOINTS.md "Rules" / admin rate limit: the admin_api_min bucket counts every request
        # made with an API key, whoever the acting user is
        self.limiter.limit = int(self.config.admin_requests_per_minute)
        self.limiter.window = float(self.config.rate_window_seconds)
        wait = self.limiter.try_acquire()
        if wait:
            seconds = ceil_seconds(wait)
            return json_response(
                {
                    "errors": [
                        "You’ve performed this action too many times. Please wait "
                        f"{seconds} seconds before trying again."
                    ],
                    "error_type": "rate_limit",
                    "extras": {"wait_seconds": seconds, "time_left": f"{seconds} seconds"},
                },
                429,
                headers={
                    "Retry-After": str(seconds),
                    "Discourse-Rate-Limit-Error-Code": "admin_api_key_rate_limit",
                },
            )
        staff = user["admin"] or user["moderator"]
        if admin_route and not staff:
            return self.not_found(request)  # StaffConstraint on the whole /admin namespace
        if endpoint in ADMIN_ONLY_ENDPOINTS and not user["admin"]:
            # ENDPOINTS.md "Rules" / admin-only routes: AdminConstraint routes answer 404 to a
            # moderator's key
            return self.not_found(request)
        if endpoint in BACKUP_ENDPOINTS and not self.config.enable_backups:
            # ENDPOINTS.md "Rules" / backups: enable_backups off is 403 (ensure_backups_enabled)
            return invalid_access()
        request.environ["sandbox.user"] = user
        return None

    def not_found(self, request: Request) -> Response:
        # ENDPOINTS.md "Rules" / error shapes: not found is 404 {errors, error_type:"not_found"}
        return error(404, NOT_FOUND, "not_found")

    def acting(self, request: Request) -> dict[str, Any]:
        return request.environ.get("sandbox.user") or self.users[-1]

    GROUP_FIELDS = ("full_name", "bio_raw", "visibility_level", "public_admission",
                    "public_exit", "default_notification_level", "title", "flair_bg_color",
                    "primary_group", "grant_trust_level", "members_visibility_level")  # fmt: skip
