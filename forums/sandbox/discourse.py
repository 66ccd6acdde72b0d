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

import copy
import ipaddress
import logging
import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from . import discourse_data as data
from .core import SandboxApp, SandboxConfig, SlidingWindowLimiter, ceil_seconds, json_response

Stamp = tuple[SlidingWindowLimiter, float]

# The sandbox is for tests and demos: werkzeug's one line per request is noise there.
logging.getLogger("werkzeug").setLevel(logging.WARNING)

VERSION = "2026.1.0-latest"
AVATAR = "/letter_avatar_proxy/v4/letter/{initial}/8c91f0/{{size}}.png"
MEMBERS_LIMIT = 1000  # GroupsController: members `limit` cap and ADD_MEMBERS_LIMIT
TOPICS_PER_PAGE = 30
USERS_PER_PAGE = 100
GROUPS_PER_PAGE = 36
REVIEW_PER_PAGE = 10
TRUST_LEVEL_NAMES = {"newuser": 0, "basic": 1, "member": 2, "regular": 3, "leader": 4}
BULK_OPERATIONS = {
    "change_category", "close", "archive", "unlist", "relist", "delete",
    "change_notification_level", "reset_read", "dismiss_posts", "archive_messages",
    "move_messages_to_inbox", "change_tags", "append_tags",
}  # fmt: skip
MAX_STAFF_DELETE_POST_COUNT = 5  # User::MAX_STAFF_DELETE_POST_COUNT
MAX_FILTER_TERMS = 100  # AdminUserIndexQuery::MAX_FILTER_TERMS
FILTER_SPLIT = re.compile(r"[,\s]+")  # AdminUserIndexQuery::FILTER_SPLIT_REGEX
PENALTY_REASON_MAX = 300  # User::Suspend / User::Silence: reason length maximum
EVENTS_MAX_LIMIT = 200
ICS_MAX_OCCURRENCES = 500
INVALID_ACCESS = (
    "You are not permitted to view the requested resource. The API username or key is invalid."
)
# What a guardian refusal says to a valid key (e.g. suspending or anonymizing staff).
NOT_PERMITTED = "You are not permitted to view the requested resource."
NOT_FOUND = "The requested URL or resource could not be found."
# The wording of these I18n strings is paraphrased (config/locales/server.en.yml is not quoted);
# their keys and where they appear are the source's.
CANNOT_BULK_DELETE = "Some of the selected users cannot be deleted."  # user.cannot_bulk_delete
# Routes behind AdminConstraint in config/routes.rb (the rest of /admin is StaffConstraint).
ADMIN_ONLY_ENDPOINTS = frozenset(
    {"user_log_out", "group_create", "group_delete", "backups_list", "backup_create",
     "backups_status", "backup_send_link", "backup_cancel"}
)  # fmt: skip
BACKUP_ENDPOINTS = frozenset({"backups_list", "backup_create", "backups_status",
                              "backup_send_link", "backup_cancel"})  # fmt: skip


def iso(value: datetime | None) -> str | None:
    """Discourse's timestamp format: ``2024-05-01T10:00:00.000Z``."""
    if value is None:
        return None
    return (
        value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    )


def parse_time(value: Any) -> datetime | None:
    if not value or not isinstance(value, str):
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def error(status: int, message: str, error_type: str = "invalid_parameters", **extra) -> Response:
    return json_response({"errors": [message], "error_type": error_type, **extra}, status)


def json_error(message: str, status: int = 422) -> Response:
    """``render_json_error(message)``: the errors list alone, no ``error_type``."""
    return json_response({"errors": [message]}, status)


def invalid_params(name: str) -> Response:
    """``Discourse::InvalidParameters.new(name)``, as ApplicationController renders it."""
    return error(400, f"You supplied invalid parameters to the request: {name}")


def invalid_access(message: str = NOT_PERMITTED) -> Response:
    # ENDPOINTS.md "Rules" / error shapes: guardian refusals are 403 {errors, error_type}
    return error(403, message, "invalid_access")


def failed(status: int, **fields: Any) -> Response:
    # ENDPOINTS.md "Rules" / error shapes: contract errors are 400 {failed:"FAILED", errors}
    return json_response({"failed": "FAILED", **fields}, status)


def server_error() -> Response:
    """An exception the controller does not rescue: Rails' own 500 for a JSON request."""
    return json_response({"status": 500, "error": "Internal Server Error"}, 500)


def is_present(value: Any) -> bool:
    """Ruby's ``present?``: nil, false, empty and whitespace-only strings are blank."""
    if value is None or value is False:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list | dict):
        return bool(value)
    return True


def ruby_to_s(value: Any) -> str:
    """``value.to_s`` as Ruby prints it (an Array becomes its inspect form)."""
    if isinstance(value, list):
        return "[" + ", ".join(f'"{v}"' if isinstance(v, str) else str(v) for v in value) + "]"
    return "" if value is None else str(value)


def active_record_int(text: str) -> int | None:
    """How ActiveRecord casts a string id in ``where(id: ...)``: a leading integer, else nil."""
    match = re.match(r"\s*([+-]?\d+)", text)
    return int(match.group(1)) if match else None


def _set_nested(target: dict, key: str, value: Any) -> None:
    """Rails-style form keys: ``group[name]``, ``user_ids[]``, ``operation[tags][]``."""
    parts = re.findall(r"[^\[\]]+|\[\]", key)
    node = target
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        following = parts[index + 1] if not last else None
        if last:
            node[part] = value
        elif following == "[]":
            node.setdefault(part, []).extend(value if isinstance(value, list) else [value])
            return
        else:
            node = node.setdefault(part, {})


def params_of(request: Request) -> dict[str, Any]:
    """Query string, form fields and a JSON body merged, as Rails' ``params`` would."""
    merged: dict[str, Any] = {}
    for source in (request.args, request.form):
        for key in source:
            values = source.getlist(key)
            _set_nested(merged, key, values if key.endswith("[]") else values[-1])
    if request.is_json:
        body = request.get_json(silent=True)
        if isinstance(body, dict):
            merged.update(body)
    return merged


def truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() in ("true", "1", "on"))


def comma_list(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    if isinstance(value, str | int):
        return [v.strip() for v in str(value).split(",") if v.strip()]
    return []


class DiscourseSandbox(SandboxApp):
    platform = "discourse"
    backup_seconds = 3.0  # how long a started backup keeps "operation running"
    # Fault injection: a started backup stops without writing its file (a full disk, a
    # killed job). Discourse then only reports "not running" again (status.json has no
    # failure flag) and lists no new file.
    backup_fails = False

    def __init__(self, config: SandboxConfig | None = None) -> None:
        cfg = config or SandboxConfig()
        self.limiter = SlidingWindowLimiter(
            cfg.admin_requests_per_minute, window=cfg.rate_window_seconds
        )
        # Before 2025-12 /tags.json used the tag name as its `id`; flip to serve that shape.
        self.legacy_tag_ids = False
        super().__init__(config)

    # --- routes --------------------------------------------------------------------------
    def rules(self) -> list[Rule]:
        uid = "<int(signed=True):user_id>"

        def r(path: str, endpoint: str, *methods: str) -> Rule:
            return Rule(path, endpoint=endpoint, methods=list(methods))

        return [
            r("/srv/status", "srv_status", "GET"),
            r("/site/basic-info.json", "basic_info", "GET"),
            r("/about.json", "about", "GET"),
            r("/review/count.json", "review_count", "GET"),
            r("/review.json", "review_list", "GET"),
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

    # --- state ---------------------------------------------------------------------------
    def reset(self) -> None:
        with self.lock:
            rng = self._random
            rng.seed(self.config.seed)
            self.now = datetime.now(UTC).replace(microsecond=0)
            now = self.now
            self.users: dict[int, dict[str, Any]] = {
                u["id"]: u for u in data.seed_users(rng, self.config.users, now)
            }
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
            self.groups: dict[int, dict[str, Any]] = {}
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
            self.tags: dict[str, dict[str, Any]] = {
                name: {"id": index + 1, "name": name} for index, name in enumerate(data.TAG_NAMES)
            }
            self.next_tag_id = len(self.tags) + 1
            self.topics = {
                t["id"]: t for t in data.seed_topics(rng, [u["id"] for u in real] or [1], now)
            }
            self.tag_groups: dict[int, dict[str, Any]] = {}
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
            self.backup_running_until: float = 0.0
            self.backup_pending: dict[str, Any] | None = None
            self.reviewables = [
                {"id": 100 + i, "type": rng.choice(("ReviewableFlaggedPost", "ReviewableQueuedPost",
                                                    "ReviewableUser")),
                 "status": 0, "created_at": now - timedelta(hours=rng.randint(1, 96)),
                 "topic_id": rng.choice(list(self.topics)), "score": rng.choice((1.0, 6.0, 9.5))}
                for i in range(7)
            ]  # fmt: skip
            self.limiter.reset()
            self.ip_limiters: dict[str, tuple[SlidingWindowLimiter, SlidingWindowLimiter]] = {}

    def _new_group(self, gid: int, name: str, *, automatic: bool = False, full_name: str = ""):
        return {
            "id": gid, "name": name, "full_name": full_name, "automatic": automatic,
            "bio_raw": "", "visibility_level": 0 if not automatic else 1,
            "public_admission": False, "public_exit": False, "default_notification_level": 3,
            "members_visibility_level": 0, "primary_group": False, "title": None,
            "grant_trust_level": None, "flair_bg_color": None, "members": {}, "owners": set(),
            "created_at": self.now, "category_defaults": {}, "tag_defaults": {},
            "member_levels": {},
        }  # fmt: skip

    def member_ids(self, group: dict[str, Any]) -> list[int]:
        """Automatic groups are computed from the users, as Discourse keeps them in sync:
        Group.refresh_automatic_group! (app/models/group.rb) puts users of id > 0 that are not
        staged in them, by role or trust level (trust_level_0: every such user). They are
        found by id, since a forum's locale may rename them (groups.default_names.*)."""
        if not group["automatic"]:
            return list(group["members"])
        name = data.AUTO_GROUP_NAMES.get(group["id"], group["name"])
        users = [u for u in self.users.values() if u["id"] > 0 and not u["staged"]]
        if name == "admins":
            return [u["id"] for u in users if u["admin"]]
        if name == "moderators":
            return [u["id"] for u in users if u["moderator"]]
        if name == "staff":
            return [u["id"] for u in users if u["admin"] or u["moderator"]]
        level = int(name.rsplit("_", 1)[-1])
        return [u["id"] for u in users if u["trust_level"] >= level]

    def add_person(self, *, username: str, email: str, name: str = "") -> int:
        """A new account (trust level 0, no posts) for tests and the demo; returns its id."""
        with self.lock:
            if self.find_user(username) is not None:
                raise ValueError(f"username {username!r} is taken")
            if any(u["email"].lower() == email.lower() for u in self.users.values()):
                raise ValueError(f"e-mail {email!r} is taken")
            uid = self.next_user_id
            self.next_user_id += 1
            now = datetime.now(UTC).replace(microsecond=0)
            self.users[uid] = {
                "id": uid, "username": username, "name": name, "email": email,
                "trust_level": 0, "active": True, "approved": True, "admin": False,
                "moderator": False, "staged": False, "created_at": now, "last_seen_at": now,
                "post_count": 0, "topic_count": 0, "ip_address": "198.51.100.77",
                "suspended_till": None, "suspended_at": None, "suspend_reason": "",
                "silenced_till": None, "silenced_at": None, "silence_reason": "",
                "first_post_at": None, "manual_locked_trust_level": None,
                "category_levels": {}, "tag_levels": {},
            }  # fmt: skip
            return uid

    def suspended(self, user: dict[str, Any]) -> bool:
        return bool(user["suspended_till"] and user["suspended_till"] > datetime.now(UTC))

    def silenced(self, user: dict[str, Any]) -> bool:
        return bool(user["silenced_till"] and user["silenced_till"] > datetime.now(UTC))

    def find_user(self, username: str) -> dict[str, Any] | None:
        lower = username.lower()
        return next((u for u in self.users.values() if u["username"].lower() == lower), None)

    # --- control (tests and the demo set the state a rule reads) ---------------------------
    USER_CONTROL_FIELDS = {
        "post_count": int, "admin": bool, "moderator": bool, "active": bool, "approved": bool,
        "staged": bool, "trust_level": int, "destroy_fails": bool,
    }  # fmt: skip

    def control_extra(self, request: Request, action: str) -> Response | None:
        """``POST /__sandbox__/users/<id>`` with any of ``USER_CONTROL_FIELDS`` plus
        ``first_post_days_ago`` (a number, or null for "never posted"); ``POST
        /__sandbox__/people`` with ``username``, ``email`` and ``name`` adds an account."""
        body = request.get_json(force=True, silent=True) or {}
        if action == "people" and request.method == "POST":
            try:
                uid = self.add_person(username=str(body["username"]), email=str(body["email"]),
                                      name=str(body.get("name") or ""))  # fmt: skip
            except (KeyError, ValueError) as exc:
                return json_response({"error": str(exc)}, 400)
            return json_response({"id": uid})
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

    # --- auth and rate limit -------------------------------------------------------------
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

    # --- serializers ---------------------------------------------------------------------
    def avatar(self, user: dict[str, Any]) -> str:
        return AVATAR.format(initial=(user["username"][:1] or "x").lower())

    def basic_user(self, user: dict[str, Any]) -> dict[str, Any]:
        return {"id": user["id"], "username": user["username"], "name": user["name"] or "",
                "avatar_template": self.avatar(user)}  # fmt: skip

    def _penalties(self, user: dict[str, Any]) -> dict[str, Any]:
        """Fields Discourse adds only while a penalty is in force."""
        extra: dict[str, Any] = {}
        if self.suspended(user):
            extra.update(suspended_at=iso(user["suspended_at"]),
                         suspended_till=iso(user["suspended_till"]),
                         suspend_reason=user["suspend_reason"])  # fmt: skip
        if self.silenced(user):
            extra.update(silenced_till=iso(user["silenced_till"]))
        return extra

    def admin_list_user(self, user: dict[str, Any], *, show_emails: bool) -> dict[str, Any]:
        now = datetime.now(UTC)
        out = copy.deepcopy(data.ADMIN_USER_LIST_ITEM)
        out.update(self._admin_common(user, now))
        if show_emails:
            out["email"] = user["email"]
            out["secondary_emails"] = []
        if self.silenced(user):
            out["silence_reason"] = user["silence_reason"]
        out.update(self._penalties(user))
        return out

    def _admin_common(self, user: dict[str, Any], now: datetime) -> dict[str, Any]:
        seen = user["last_seen_at"]
        if self.config.must_approve_users:
            return self._admin_fields(user, now, seen) | {"approved": user["approved"]}
        return self._admin_fields(user, now, seen)

    def _admin_fields(self, user: dict[str, Any], now: datetime, seen) -> dict[str, Any]:
        return {
            **self.basic_user(user),
            "name": user["name"] or None,
            "active": user["active"],
            "admin": user["admin"],
            "moderator": user["moderator"],
            "last_seen_at": iso(seen),
            "last_emailed_at": iso(seen),
            "created_at": iso(user["created_at"]),
            "last_seen_age": round((now - seen).total_seconds(), 1) if seen else None,
            "last_emailed_age": round((now - seen).total_seconds(), 1) if seen else None,
            "created_at_age": round((now - user["created_at"]).total_seconds(), 1),
            "trust_level": user["trust_level"],
            "staged": user["staged"],
            "post_count": user["post_count"],
            "days_visited": max(1, (seen - user["created_at"]).days // 3) if seen else 0,
            "posts_read_count": user["post_count"] * 7,
            "topics_entered": user["topic_count"] * 3,
            "time_read": user["post_count"] * 60,
        }

    def admin_user_detail(self, user: dict[str, Any]) -> dict[str, Any]:
        now = datetime.now(UTC)
        out = copy.deepcopy(data.ADMIN_USER)
        out.update(self._admin_common(user, now))
        staff = user["admin"] or user["moderator"]
        out.update(
            can_activate=not user["active"], can_deactivate=user["active"],
            can_send_activation_email=not user["active"], ip_address=user["ip_address"],
            registration_ip_address=user["ip_address"], topic_count=user["topic_count"],
            can_be_deleted=not staff, can_be_anonymized=not staff, can_delete_all_posts=not staff,
            approved_by=self.basic_user(self.users[-1]),
            full_suspend_reason=user["suspend_reason"] if self.suspended(user) else None,
            groups=[self.user_group(g) for g in self.groups.values()
                    if user["id"] in self.member_ids(g)],
            external_ids={}, include_ip=True,
        )  # fmt: skip
        if self.silenced(user):
            out.update(silence_reason=user["silence_reason"],
                       full_silence_reason=user["silence_reason"])  # fmt: skip
            by = self.users.get(user.get("silenced_by"))
            out["silenced_by"] = self.basic_user(by) if by else None
        if self.suspended(user):
            by = self.users.get(user.get("suspended_by"))
            out["suspended_by"] = self.basic_user(by) if by else None
        out.update(self._penalties(user))
        return out

    def profile(self, user: dict[str, Any]) -> dict[str, Any]:
        out = copy.deepcopy(data.USER_PROFILE)
        out.update(
            {k: v for k, v in self._admin_common(user, datetime.now(UTC)).items() if k in out}
        )
        out.update(
            name=user["name"] or "", topic_count=user["topic_count"],
            last_posted_at=iso(user["last_seen_at"]),
            groups=[self.user_group(g) for g in self.groups.values()
                    if user["id"] in self.member_ids(g) and g["visibility_level"] == 0],
            can_be_deleted=not (user["admin"] or user["moderator"]),
        )  # fmt: skip
        out["user_option"]["user_id"] = user["id"]
        # The user's own CategoryUser / TagUser rows (what group defaults create and a group
        # update with update_existing_users=true deletes).
        levels = data.NOTIFICATION_LEVELS
        categories, tags = user["category_levels"], user["tag_levels"]
        for key, level in (("muted_category_ids", "muted"), ("regular_category_ids", "regular"),
                           ("tracked_category_ids", "tracking"),
                           ("watched_category_ids", "watching"),
                           ("watched_first_post_category_ids", "watching_first_post")):  # fmt: skip
            out[key] = sorted(c for c, v in categories.items() if v == levels[level])
        for key, level in (("muted_tags", "muted"), ("tracked_tags", "tracking"),
                           ("watched_tags", "watching"),
                           ("watching_first_post_tags", "watching_first_post")):  # fmt: skip
            out[key] = sorted(t for t, v in tags.items() if v == levels[level])
        out.update(self._penalties(user))
        return {"user_badges": [], "user": out}

    def _group_fields(
        self, group: dict[str, Any], skeleton: dict[str, Any], optional: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        """The skeleton's fields (the spec's required ones) plus the ``optional`` ones."""
        values = {
            "id": group["id"], "automatic": group["automatic"], "name": group["name"],
            "display_name": group["name"], "user_count": len(self.member_ids(group)),
            "mentionable_level": 0, "messageable_level": 0,
            "visibility_level": group["visibility_level"], "primary_group": group["primary_group"],
            "title": group["title"], "grant_trust_level": group["grant_trust_level"],
            "flair_bg_color": group["flair_bg_color"], "bio_raw": group["bio_raw"] or None,
            "bio_cooked": f"<p>{group['bio_raw']}</p>" if group["bio_raw"] else None,
            "bio_excerpt": group["bio_raw"] or None, "public_admission": group["public_admission"],
            "public_exit": group["public_exit"], "full_name": group["full_name"] or None,
            "default_notification_level": group["default_notification_level"],
            "members_visibility_level": group["members_visibility_level"],
            "can_see_members": True, "can_admin_group": True, "can_edit_group": True,
            "is_group_user": False, "is_group_owner": False,
        }  # fmt: skip
        out = copy.deepcopy(skeleton)
        out.update({k: v for k, v in values.items() if k in skeleton or k in optional})
        return out

    def list_group(self, group: dict[str, Any]) -> dict[str, Any]:
        return self._group_fields(
            group, data.GROUP_LIST_ITEM, ("user_count", "can_edit_group", "is_group_user",
                                          "is_group_owner")
        )  # fmt: skip

    def user_group(self, group: dict[str, Any]) -> dict[str, Any]:
        return self._group_fields(group, data.USER_GROUP)

    def detail_group(self, group: dict[str, Any]) -> dict[str, Any]:
        out = self._group_fields(group, data.GROUP_DETAIL, ("user_count", "can_edit_group"))
        out.update(
            mentionable=True, messageable=True, message_count=0,
            automatic_membership_email_domains=None,
            is_group_owner_display=False,
        )  # fmt: skip
        # The group's notification defaults (GroupShowSerializer, tagging on).
        for level, value in data.NOTIFICATION_LEVELS.items():
            out[f"{level}_category_ids"] = sorted(
                c for c, v in group["category_defaults"].items() if v == value
            )
            out[f"{level}_tags"] = sorted(t for t, v in group["tag_defaults"].items() if v == value)
        return out

    # --- health and site -----------------------------------------------------------------
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
                    "version": VERSION, "https": False, "admins": staff, "moderators": mods,
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

    # --- users ---------------------------------------------------------------------------
    def admin_users_all(self, request: Request) -> Response:
        return self.admin_users_list(request, flag="active")

    @staticmethod
    def _filter_users(users: list[dict[str, Any]], raw: str) -> list[dict[str, Any]] | Response:
        """``AdminUserIndexQuery#filter_by_search`` (an IP filter is not modelled)."""
        terms = [t for t in FILTER_SPLIT.split(raw) if t]
        if not terms:
            return users
        if len(terms) > MAX_FILTER_TERMS:
            # ENDPOINTS.md "Rules" / user list filter: more than 100 terms is 400
            return invalid_params("filter")
        terms = [t.lower() for t in terms]
        if len(terms) == 1:
            term = terms[0]
            if re.fullmatch(r".+@.+", term):
                exact = [u for u in users if u["email"].lower() == term]
                if exact:
                    return exact  # filter_by_username_or_email: an exact address wins
            return [u for u in users if term in u["username"].lower() or term in u["email"].lower()]
        # ENDPOINTS.md "Rules" / user list filter: several terms are a substring match on
        # username and e-mail, plus exact e-mail matches, not an exact match
        exact_emails = {t for t in terms if re.fullmatch(r".+@.+", t)}
        return [
            u
            for u in users
            if any(t in u["username"].lower() or t in u["email"].lower() for t in terms)
            or u["email"].lower() in exact_emails
        ]

    def admin_users_list(self, request: Request, flag: str) -> Response:
        """``AdminUserIndexQuery``: ``active``/``new`` only order; the others filter."""
        p = params_of(request)
        try:
            page = max(int(p.get("page") or 1), 1)
        except ValueError:
            return error(400, "page must be a number")
        with self.lock:
            users = [u for u in self.users.values() if u["id"] > 0]
            if flag == "staff":
                users = [u for u in users if u["admin"] or u["moderator"]]
            elif flag == "admins":
                users = [u for u in users if u["admin"]]
            elif flag == "moderators":
                users = [u for u in users if u["moderator"]]
            elif flag == "suspended":
                users = [u for u in users if self.suspended(u)]
            elif flag == "silenced":
                users = [u for u in users if self.silenced(u)]
            elif flag == "pending":
                users = [
                    u for u in users if not u["approved"] and u["active"] and not self.suspended(u)
                ]
            elif flag == "staged":
                users = [u for u in users if u["staged"]]
            elif flag in TRUST_LEVEL_NAMES:
                users = [u for u in users if u["trust_level"] == TRUST_LEVEL_NAMES[flag]]
            if p.get("email"):
                wanted_email = str(p["email"]).strip().lower()
                users = [u for u in users if u["email"].lower() == wanted_email]
            elif str(p.get("filter") or "").strip():
                filtered = self._filter_users(users, str(p["filter"]).strip())
                if isinstance(filtered, Response):
                    return filtered
                users = filtered
            order = str(p.get("order") or "")
            keys = {
                "created": lambda u: u["created_at"],
                "seen": lambda u: u["last_seen_at"] or self.now,
                "username": lambda u: u["username"].lower(),
                "email": lambda u: u["email"].lower(),
                "trust_level": lambda u: u["trust_level"],
                "posts": lambda u: u["post_count"],
            }
            key = keys.get(order) or (keys["seen"] if flag == "active" else keys["created"])
            users.sort(key=lambda u: (key(u), u["id"]), reverse=not truthy(p.get("asc")))
            chunk = users[(page - 1) * USERS_PER_PAGE : page * USERS_PER_PAGE]
            show = truthy(p.get("show_emails"))
            return json_response([self.admin_list_user(u, show_emails=show) for u in chunk])

    def _user_or_404(self, request: Request, user_id: int) -> dict[str, Any] | Response:
        user = self.users.get(user_id)
        return user if user is not None else self.not_found(request)

    def admin_user(self, request: Request, user_id: int) -> Response:
        with self.lock:
            user = self._user_or_404(request, user_id)
            if isinstance(user, Response):
                return user
            return json_response(self.admin_user_detail(user))

    def user_profile(self, request: Request, username: str) -> Response:
        with self.lock:
            user = self.find_user(username)
            if user is None:
                return self.not_found(request)
            return json_response(self.profile(user))

    @staticmethod
    def _penalty_contract(p: dict[str, Any], till_key: str) -> tuple[datetime, str] | Response:
        """The params block of User::Suspend / User::Silence; full messages as Rails words them."""
        problems = []
        reason = str(p.get("reason") or "")
        if not reason.strip():
            problems.append("Reason can't be blank")
        elif len(reason) > PENALTY_REASON_MAX:
            # ENDPOINTS.md "Rules" / suspend / silence: reason at most 300 characters, else 400
            problems.append(f"Reason is too long (maximum is {PENALTY_REASON_MAX} characters)")
        label = till_key.replace("_", " ").capitalize()
        until = parse_time(p.get(till_key))
        if until is None:
            problems.append(f"{label} can't be blank")  # a value that is no date casts to nil
        post_action = str(p.get("post_action") or "")
        if post_action and post_action not in ("delete", "delete_replies", "edit"):
            problems.append("Post action is not included in the list")
        if problems:
            # ENDPOINTS.md "Rules" / suspend / silence: reason required, else 400
            # {failed:"FAILED", errors:[…]}
            return failed(400, errors=problems)
        return until, reason  # type: ignore[return-value]

    def _penalise(self, request: Request, user_id: int, kind: str) -> Response:
        """User::Suspend / User::Silence: contract, then the user, then the two policies."""
        till_key = "suspend_until" if kind == "suspend" else "silenced_till"
        parsed = self._penalty_contract(params_of(request), till_key)
        if isinstance(parsed, Response):
            return parsed
        until, reason = parsed
        with self.lock:
            user = self._user_or_404(request, user_id)
            if isinstance(user, Response):
                return user
            actor = self.acting(request)
            already = self.suspended(user) if kind == "suspend" else self.silenced(user)
            if already:
                done = "suspended" if kind == "suspend" else "silenced"
                by = self.users.get(user.get(f"{done}_by")) or self.users[-1]
                # ENDPOINTS.md "Rules" / suspend / silence: already penalised is 409
                # {failed, message}
                return failed(409, message=f"This user was already {done} by {by['username']}.")
            if user["admin"] or user["moderator"] or not self._is_staff(actor):
                # ENDPOINTS.md "Rules" / suspend / silence: staff targets are 403
                return invalid_access()
            now = datetime.now(UTC)
            if kind == "suspend":
                user.update(suspended_till=until, suspended_at=now, suspend_reason=reason,
                            suspended_by=actor["id"])  # fmt: skip
                # ENDPOINTS.md "Rules" / suspend / silence: success is {suspension:{…}}
                return json_response(
                    {"suspension": {"suspend_reason": reason, "full_suspend_reason": reason,
                                    "suspended_till": iso(until), "suspended_at": iso(now),
                                    "suspended_by": self.basic_user(actor)}}
                )  # fmt: skip
            user.update(silenced_till=until, silenced_at=now, silence_reason=reason,
                        silenced_by=actor["id"])  # fmt: skip
            return json_response(
                {"silence": {"silenced": True, "silence_reason": reason,
                             "full_silence_reason": reason, "silenced_till": iso(until),
                             "silenced_at": iso(now), "silenced_by": self.basic_user(actor)}}
            )  # fmt: skip

    def user_suspend(self, request: Request, user_id: int) -> Response:
        return self._penalise(request, user_id, "suspend")

    def user_silence(self, request: Request, user_id: int) -> Response:
        return self._penalise(request, user_id, "silence")

    def user_unsuspend(self, request: Request, user_id: int) -> Response:
        with self.lock:
            user = self._user_or_404(request, user_id)
            if isinstance(user, Response):
                return user
            if user["admin"] or user["moderator"]:
                return invalid_access()  # guardian.ensure_can_suspend!
            user.update(suspended_till=None, suspended_at=None, suspend_reason="")
            # ENDPOINTS.md "Rules" / unsuspend / unsilence: {suspension:{suspended_till:null,
            # suspended_at:null}}
            return json_response({"suspension": {"suspended_till": None, "suspended_at": None}})

    def user_unsilence(self, request: Request, user_id: int) -> Response:
        with self.lock:
            user = self._user_or_404(request, user_id)
            if isinstance(user, Response):
                return user
            user.update(silenced_till=None, silenced_at=None, silence_reason="")
            # ENDPOINTS.md "Rules" / unsuspend / unsilence: {unsilence:{silenced:false,…}}
            return json_response(
                {"unsilence": {"silenced": False, "silence_reason": None, "silenced_till": None,
                               "silenced_at": None}}
            )  # fmt: skip

    def user_log_out(self, request: Request, user_id: int) -> Response:
        with self.lock:
            user = self._user_or_404(request, user_id)
            if isinstance(user, Response):
                return user
            return json_response({"success": "OK"})

    @staticmethod
    def _is_staff(user: dict[str, Any]) -> bool:
        return bool(user["admin"] or user["moderator"])

    def _guarded(self, request: Request, user_id: int, allowed, changes: dict[str, Any],
                 answer: Response | None = None) -> Response:  # fmt: skip
        with self.lock:
            user = self._user_or_404(request, user_id)
            if isinstance(user, Response):
                return user
            if not (self._is_staff(self.acting(request)) and allowed(user)):
                return invalid_access()
            user.update(changes)
            return answer if answer is not None else json_response({"success": "OK"})

    def user_approve(self, request: Request, user_id: int) -> Response:
        # ENDPOINTS.md "Rules" / approve / activate / deactivate: approve needs an active, not
        # yet approved user (else 403 invalid_access) and answers 200 with an empty body
        return self._guarded(
            request, user_id, lambda u: u["active"] and not u["approved"], {"approved": True},
            Response(b"", status=200, content_type="text/html; charset=utf-8"),
        )  # fmt: skip

    def user_activate(self, request: Request, user_id: int) -> Response:
        # ENDPOINTS.md "Rules" / approve / activate / deactivate: activate needs an inactive user
        return self._guarded(request, user_id, lambda u: not u["active"], {"active": True})

    def user_deactivate(self, request: Request, user_id: int) -> Response:
        # ENDPOINTS.md "Rules" / approve / activate / deactivate: deactivate needs a non-staff
        # user (can_deactivate? is can_suspend?)
        return self._guarded(request, user_id, lambda u: not self._is_staff(u), {"active": False})

    def user_trust_level(self, request: Request, user_id: int) -> Response:
        raw = params_of(request).get("level")
        level = active_record_int(str(raw)) if raw is not None else None
        level = level or 0  # params[:level].to_i: a missing or odd level is 0
        with self.lock:
            user = self._user_or_404(request, user_id)
            if isinstance(user, Response):
                return user
            if level not in range(5):
                return invalid_params("level")  # User#change_trust_level!: TrustLevel.valid?
            # ENDPOINTS.md "Rules" / trust level: levels 0-2 may set manual_locked_trust_level
            # (when the user already meets the next level, i.e. is being held back)
            if user["manual_locked_trust_level"] is None and user["trust_level"] > level <= 2:
                user["manual_locked_trust_level"] = level
            user["trust_level"] = level
            serialized = self.admin_list_user(user, show_emails=False)
            serialized["manual_locked_trust_level"] = user["manual_locked_trust_level"]
            # ENDPOINTS.md "Rules" / trust level: answers {admin_user:{…}}
            return json_response({"admin_user": serialized})

    def user_anonymize(self, request: Request, user_id: int) -> Response:
        with self.lock:
            user = self._user_or_404(request, user_id)
            if isinstance(user, Response):
                return user
            if user["admin"] or user["moderator"]:
                return invalid_access()
            name = f"anon{self._random.getrandbits(32):08x}"
            user.update(username=name, name="", email=f"{name}@anonymized.invalid")
            return json_response({"success": "OK", "username": name})

    def _remove_user(self, user_id: int) -> None:
        self.users.pop(user_id, None)
        for group in self.groups.values():
            group["members"].pop(user_id, None)
            group["member_levels"].pop(user_id, None)
            group["owners"].discard(user_id)

    def can_delete_user(self, actor: dict[str, Any], user: dict[str, Any] | None) -> bool:
        """``UserGuardian#can_delete_user?`` for a staff member deleting someone else."""
        # ENDPOINTS.md "Rules" / delete one user: every admin is refused; moderators can be
        # deleted
        if user is None or user["admin"]:
            return False
        if not self._is_staff(actor):
            return False
        first = user["first_post_at"]
        max_age = timedelta(days=int(self.config.delete_user_max_post_age))
        # ENDPOINTS.md "Rules" / delete one user: more than 5 posts with a first post older
        # than delete_user_max_post_age is refused, even with delete_posts
        return (
            first is None
            or user["post_count"] <= MAX_STAFF_DELETE_POST_COUNT
            or first > datetime.now(UTC) - max_age
        )

    def admin_user_delete(self, request: Request, user_id: int) -> Response:
        p = params_of(request)
        with self.lock:
            user = self.users.get(user_id)
            if not self.can_delete_user(self.acting(request), user):
                # ENDPOINTS.md "Rules" / delete one user: a missing user is 403, not 404
                # (can_delete_user?(nil) is false), like an admin or a long-time poster
                return invalid_access()
            assert user is not None
            if user["post_count"] and not truthy(p.get("delete_posts")):
                # ENDPOINTS.md "Rules" / delete one user: with posts and no delete_posts, 403
                # {deleted:false, message} with no `errors` key
                return json_response(
                    {"deleted": False,
                     "message": f"User {user['username']} has {user['post_count']} posts, so "
                                "they can't be deleted."},
                    403,
                )  # fmt: skip
            if user.get("destroy_fails"):
                # ENDPOINTS.md "Rules" / delete one user: 200 {deleted:false, user} is a failure
                return json_response({"deleted": False, "user": self.admin_user_detail(user)})
            self._remove_user(user_id)
            return json_response({"deleted": True})

    def admin_users_destroy_bulk(self, request: Request) -> Response:
        p = params_of(request)
        raw = p.get("user_ids")
        values = raw if isinstance(raw, list) else comma_list(raw)
        # ENDPOINTS.md "Rules" / bulk delete: 1..100 user_ids per call (over 100: the contract
        # fails, 400 {failed, errors})
        if len(values) > 100:
            return failed(400, errors=["User ids is too long (maximum is 100 characters)"])
        ids = [i for i in (active_record_int(str(v)) for v in values) if i is not None]
        with self.lock:
            found = [self.users[i] for i in dict.fromkeys(ids) if i in self.users and i > 0]
            if not found:
                # ENDPOINTS.md "Rules" / bulk delete: no ids (no users found) gives 404
                return failed(404)
            actor = self.acting(request)
            if not all(self.can_delete_user(actor, u) for u in found):
                # ENDPOINTS.md "Rules" / bulk delete: all or nothing, one user who cannot be
                # deleted refuses the whole batch with 403
                return failed(403, errors=[CANNOT_BULK_DELETE])
            for user in found:
                if not user.get("destroy_fails"):  # a failure is reported on MessageBus only
                    self._remove_user(user["id"])
        # ENDPOINTS.md "Rules" / bulk delete: success is {deleted:true}; block_ip_and_email is
        # ignored (older versions) and posts are always deleted
        return json_response({"deleted": True})

    # --- groups --------------------------------------------------------------------------
    def groups_list(self, request: Request) -> Response:
        p = params_of(request)
        try:
            page = max(int(p.get("page") or 0), 0)
        except ValueError:
            return error(400, "page must be a number")
        with self.lock:
            groups = sorted(self.groups.values(), key=lambda g: g["name"].lower())
            term = str(p.get("filter") or "").lower()
            if term:
                groups = [
                    g for g in groups if term in g["name"].lower() or term in g["full_name"].lower()
                ]
            kind = p.get("type")
            if kind == "automatic":
                groups = [g for g in groups if g["automatic"]]
            elif kind == "non_automatic":
                groups = [g for g in groups if not g["automatic"]]
            chunk = groups[page * GROUPS_PER_PAGE : (page + 1) * GROUPS_PER_PAGE]
            return json_response(
                {
                    "groups": [self.list_group(g) for g in chunk],
                    "extras": {"type_filters": ["my", "owner", "public", "close", "automatic",
                                                "non_automatic"]},
                    "total_rows_groups": len(groups),
                    "load_more_groups": f"/groups?page={page + 1}",
                }
            )  # fmt: skip

    def _group_named(self, name: str) -> dict[str, Any] | None:
        lower = name.lower()
        return next((g for g in self.groups.values() if g["name"].lower() == lower), None)

    def _group_response(self, request: Request, group: dict[str, Any] | None) -> Response:
        if group is None:
            return self.not_found(request)
        visible = [g["name"] for g in self.groups.values() if g["visibility_level"] == 0]
        return json_response(
            {"group": self.detail_group(group), "extras": {"visible_group_names": visible}}
        )

    def group_show(self, request: Request, name: str) -> Response:
        with self.lock:
            return self._group_response(request, self._group_named(name))

    def group_by_id(self, request: Request, group_id: int) -> Response:
        with self.lock:
            return self._group_response(request, self.groups.get(group_id))

    def _validate_group_name(self, name: str, *, exclude: int | None = None) -> Response | None:
        if not re.fullmatch(r"[\w.\-]{2,60}", name):
            return json_error("Name must be 2-60 letters, numbers, dashes, dots or underscores.")
        lower = name.lower()
        if any(g["name"].lower() == lower and g["id"] != exclude for g in self.groups.values()):
            return json_error("Name has already been taken")
        if self.find_user(name):
            return json_error("Name has already been taken")
        return None

    GROUP_FIELDS = ("full_name", "bio_raw", "visibility_level", "public_admission",
                    "public_exit", "default_notification_level", "title", "flair_bg_color",
                    "primary_group", "grant_trust_level", "members_visibility_level")  # fmt: skip

    def _apply_group_fields(self, group: dict[str, Any], fields: dict[str, Any]) -> None:
        for key in self.GROUP_FIELDS:
            if key not in fields:
                continue
            value = fields[key]
            if key in ("visibility_level", "default_notification_level",
                       "members_visibility_level"):  # fmt: skip
                value = int(value)
            elif key in ("public_admission", "public_exit", "primary_group"):
                value = truthy(value)
            group[key] = value

    def _add_member(self, group: dict[str, Any], user: dict[str, Any], *, owner: bool = False,
                    when: datetime | None = None) -> None:  # fmt: skip
        """Group#add: the membership, its notification level, and the CategoryUser/TagUser rows
        the group's defaults give a new member (GroupUser#set_category_notifications)."""
        uid = user["id"]
        group["members"].setdefault(uid, when or datetime.now(UTC))
        group["member_levels"].setdefault(uid, group["default_notification_level"])
        if owner:
            group["owners"].add(uid)
        for category_id, level in group["category_defaults"].items():
            user["category_levels"].setdefault(category_id, level)
        for tag, level in group["tag_defaults"].items():
            user["tag_levels"].setdefault(tag, level)

    def group_create(self, request: Request) -> Response:
        fields = params_of(request).get("group")
        if not isinstance(fields, dict) or not str(fields.get("name") or "").strip():
            return error(400, "param is missing or the value is empty: group")
        name = str(fields["name"]).strip()
        with self.lock:
            invalid = self._validate_group_name(name)
            if invalid:
                return invalid
            group = self._new_group(self.next_group_id, name)
            self.next_group_id += 1
            try:
                self._apply_group_fields(group, fields)
            except (TypeError, ValueError):
                return error(400, "Invalid group field")
            self._set_notification_defaults(group, fields)
            for username in comma_list(fields.get("usernames")):
                user = self.find_user(username)
                if user:
                    self._add_member(group, user)
            for username in comma_list(fields.get("owner_usernames")):
                user = self.find_user(username)
                if user:
                    self._add_member(group, user, owner=True)
            self.groups[group["id"]] = group
            basic = self._group_fields(group, data.BASIC_GROUP, ("can_edit_group",))
            return json_response({"basic_group": basic})

    @staticmethod
    def _level_lists(fields: dict[str, Any], suffix: str) -> dict[str, list[str]]:
        """The ``<level>_category_ids`` / ``<level>_tags`` lists a request sent ("-1" = none)."""
        sent = {}
        for level in data.NOTIFICATION_LEVELS:
            key = f"{level}_{suffix}"
            if key in fields:
                values = fields[key] if isinstance(fields[key], list) else comma_list(fields[key])
                sent[level] = [str(v) for v in values if str(v) != "-1"]
        return sent

    def _set_notification_defaults(self, group: dict[str, Any], fields: dict[str, Any]) -> None:
        """Group#<level>_category_ids= / <level>_tags=: a level that was sent replaces its own
        defaults; levels not sent keep theirs (the model only changes what is assigned)."""
        for level, ids in self._level_lists(fields, "category_ids").items():
            value = data.NOTIFICATION_LEVELS[level]
            kept = {c: v for c, v in group["category_defaults"].items() if v != value}
            kept.update({int(c): value for c in ids if c.lstrip("-").isdigit()})
            group["category_defaults"] = kept
        for level, names in self._level_lists(fields, "tags").items():
            value = data.NOTIFICATION_LEVELS[level]
            kept = {t: v for t, v in group["tag_defaults"].items() if v != value}
            kept.update({t.lower(): value for t in names if t.lower() in self.tags})
            group["tag_defaults"] = kept

    def _default_changes(self, group: dict[str, Any], fields: dict[str, Any]):
        """GroupsController#user_default_notifications: what the request changes, where every
        default it does not send again counts as deleted."""
        old_categories = dict(group["category_defaults"])
        old_tags = dict(group["tag_defaults"])
        categories: dict[Any, dict[str, Any]] = {}
        tags: dict[Any, dict[str, Any]] = {}
        sent_categories = self._level_lists(fields, "category_ids")
        sent_tags = self._level_lists(fields, "tags")
        for level, value in data.NOTIFICATION_LEVELS.items():
            for raw in sent_categories.get(level, []):
                category_id = active_record_int(raw) or 0
                old = old_categories.get(category_id)
                if old is None:
                    categories[category_id] = {"action": "create", "old": None, "new": value}
                elif old == value:
                    old_categories.pop(category_id)
                else:
                    categories[category_id] = {"action": "update", "old": old, "new": value}
            for name in sent_tags.get(level, []):
                name = name.lower()
                if name not in self.tags:
                    continue  # Tag.where(name: ...): unknown tags are dropped
                old = old_tags.get(name)
                if old is None:
                    tags[name] = {"action": "create", "old": None, "new": value}
                elif old == value:
                    old_tags.pop(name)
                else:
                    tags[name] = {"action": "update", "old": old, "new": value}
        # ENDPOINTS.md "Rules" / update a group: category/tag notification defaults not sent
        # are treated as deleted
        for category_id in old_categories.keys() - categories.keys():
            categories[category_id] = {"action": "delete", "old": old_categories[category_id],
                                       "new": None}  # fmt: skip
        for name in old_tags.keys() - tags.keys():
            tags[name] = {"action": "delete", "old": old_tags[name], "new": None}
        level = None
        raw_level = fields.get("default_notification_level")
        if is_present(raw_level):
            wanted = active_record_int(str(raw_level)) or 0
            if wanted != group["default_notification_level"]:
                level = {"old": group["default_notification_level"], "new": wanted}
        return level, categories, tags

    def _existing_users(self, group: dict[str, Any], level, categories, tags, *,
                        update: bool) -> int:  # fmt: skip
        """GroupsController#count_existing_users / #update_existing_users, one body for both."""
        if not (level or categories or tags):
            return 0
        members = [self.users[u] for u in group["members"] if u in self.users]
        ids: set[int] = set()
        if level:
            matching = [u for u in members if group["member_levels"].get(u["id"]) == level["old"]]
            if update:
                for user in matching:
                    group["member_levels"][user["id"]] = level["new"]
            ids |= {u["id"] for u in matching}
        for field, changes in (("category_levels", categories), ("tag_levels", tags)):
            for key, change in list(changes.items()):
                if change["action"] in ("update", "delete"):
                    rows = [u for u in members if u[field].get(key) == change["old"]]
                    if update:
                        # ENDPOINTS.md "Rules" / update a group: update_existing_users=true
                        # deletes the members' matching CategoryUser/TagUser rows
                        for user in rows:
                            del user[field][key]
                        if change["action"] == "delete":
                            del changes[key]
                    else:
                        ids |= {u["id"] for u in rows}
            for key, change in changes.items():
                without = [u for u in members if u[field].get(key) is None]
                if update:
                    for user in without:
                        user[field][key] = change["new"]
                else:
                    ids |= {u["id"] for u in without}
        return len(ids)

    def group_update(self, request: Request, group_id: int) -> Response:
        p = params_of(request)
        fields = p.get("group")
        if not isinstance(fields, dict):
            return error(400, "param is missing or the value is empty: group")
        with self.lock:
            group = self.groups.get(group_id)
            if group is None:
                return self.not_found(request)
            actor = self.acting(request)
            if not (actor["admin"] or (actor["id"] in group["owners"] and not group["automatic"])):
                return invalid_access()  # guardian.ensure_can_edit! (can_admin_group? first)
            new_name = group["name"]
            if not group["automatic"] and self._is_staff(actor) and is_present(fields.get("name")):
                new_name = str(fields["name"]).strip()  # group_params permits :name for staff
            if new_name != group["name"]:
                invalid = self._validate_group_name(new_name, exclude=group_id)
                if invalid:
                    return invalid
            level = categories = tags = None
            if not group["automatic"] or actor["admin"]:
                level, categories, tags = self._default_changes(group, fields)
                if not is_present(p.get("update_existing_users")):
                    count = self._existing_users(group, level, categories, tags, update=False)
                    if count > 0:
                        # ENDPOINTS.md "Rules" / update a group: a change that reaches members'
                        # settings (a plain rename of a group with defaults included) gets the 422
                        # "choose whether existing members follow" question
                        return json_response(
                            {"user_count": count,
                             "errors": ["You supplied invalid parameters to the request: "
                                        "update_existing_users"]},
                            422,
                        )  # fmt: skip
            try:
                self._apply_group_fields(group, fields)
            except (TypeError, ValueError):
                return error(400, "Invalid group field")
            self._set_notification_defaults(group, fields)
            group["name"] = new_name
            if str(p.get("update_existing_users")) == "true" and categories is not None:
                self._existing_users(group, level, categories, tags, update=True)
            return json_response({"success": "OK"})

    def group_delete(self, request: Request, group_id: int) -> Response:
        with self.lock:
            group = self.groups.get(group_id)
            if group is None:
                return self.not_found(request)
            if group["automatic"]:
                return json_error("You cannot delete an automatic group")
            del self.groups[group_id]
            return json_response({"success": "OK"})

    def group_members(self, request: Request, name: str) -> Response:
        p = params_of(request)
        try:
            limit = int(p.get("limit") or 50)
            offset = int(p.get("offset") or 0)
        except ValueError:
            return error(400, "limit and offset must be numbers")
        if limit < 0 or limit > MEMBERS_LIMIT:
            return invalid_params("limit")
        if offset < 0:
            return invalid_params("offset")
        with self.lock:
            group = self._group_named(name)
            if group is None:
                return self.not_found(request)
            ids = self.member_ids(group)
            added = group["members"]
            # GroupsController#members: owners first, then `order` (added_at, last_posted_at,
            # last_seen_at) if given, then username_lower; descending unless `asc`.
            descending = not is_present(p.get("asc"))
            order = str(p.get("order") or "")
            column = {
                "added_at": lambda i: (added.get(i) or group["created_at"]).timestamp(),
                "last_posted_at": lambda i: self._last_seen(i).timestamp(),
                "last_seen_at": lambda i: self._last_seen(i).timestamp(),
            }.get(order)
            ids.sort(key=lambda i: self.users[i]["username"].lower(), reverse=descending)
            if column is not None:
                ids.sort(key=column, reverse=descending)  # stable: ties keep the username order
            ids.sort(key=lambda i: i not in group["owners"])
            term = str(p.get("filter") or "").lower()
            if term:
                ids = [i for i in ids if term in self.users[i]["username"].lower()]

            def member(uid: int) -> dict[str, Any]:
                user = self.users[uid]
                return {
                    **self.basic_user(user), "name": user["name"] or None, "title": None,
                    "last_posted_at": iso(user["last_seen_at"] or user["created_at"]),
                    "last_seen_at": iso(user["last_seen_at"] or user["created_at"]),
                    "added_at": iso(added.get(uid) or group["created_at"]), "timezone": "UTC",
                }  # fmt: skip

            return json_response(
                {
                    "members": [member(i) for i in ids[offset : offset + limit]],
                    "owners": [member(i) for i in ids if i in group["owners"]],
                    "meta": {"total": len(ids), "limit": limit, "offset": offset},
                }
            )

    def _last_seen(self, uid: int) -> datetime:
        user = self.users[uid]
        return user["last_seen_at"] or user["created_at"]

    def _users_from_params(self, p: dict[str, Any]) -> list[dict[str, Any]] | Response:
        """GroupsController#users_from_params.

        ENDPOINTS.md "Rules" / add group members: usernames / user_ids / user_emails are comma
        strings and only the first field present is used, in that order; a JSON array makes the
        server call .split on it and fail with 500.
        """
        real = [u for u in self.users.values()]
        if is_present(p.get("usernames")):
            if not isinstance(p["usernames"], str):
                return server_error()  # Array#split: NoMethodError
            wanted = {n.strip().lower() for n in p["usernames"].split(",")}
            users = [u for u in real if u["username"].lower() in wanted]
            # ENDPOINTS.md "Rules" / add group members: a batch where none of the users exists
            # is 400 "You supplied invalid parameters to the request: usernames"
            return users or invalid_params("usernames")
        if is_present(p.get("user_id")):
            found = self.users.get(active_record_int(ruby_to_s(p["user_id"])) or 0)
            return [found] if found else invalid_params("user_id")
        if is_present(p.get("user_ids")):
            wanted_ids = {active_record_int(t) for t in ruby_to_s(p["user_ids"]).split(",")}
            users = [u for u in real if u["id"] in wanted_ids]
            return users or invalid_params("user_ids")
        if is_present(p.get("user_emails")):
            if not isinstance(p["user_emails"], str):
                return server_error()
            wanted = {e.strip().lower() for e in p["user_emails"].split(",")}
            users = [u for u in real if u["email"].lower() in wanted]
            return users or invalid_params("user_emails")
        return []

    def _can_edit_group(self, actor: dict[str, Any], group: dict[str, Any]) -> bool:
        """GroupGuardian#can_edit_group?: never an automatic group; admins or the owners."""
        return not group["automatic"] and (actor["admin"] or actor["id"] in group["owners"])

    def group_members_add(self, request: Request, group_id: int) -> Response:
        p = params_of(request)
        with self.lock:
            group = self.groups.get(group_id)
            if group is None:
                return self.not_found(request)
            if not self._can_edit_group(self.acting(request), group):
                # ENDPOINTS.md "Rules" / add group members: automatic groups are 403
                return invalid_access()
            users = self._users_from_params(p)
            if isinstance(users, Response):
                return users
            emails: list[str] = []
            if p.get("emails") is not None:
                if not isinstance(p["emails"], str):
                    return server_error()
                by_email = {u["email"].lower(): u for u in self.users.values()}
                for address in p["emails"].split(","):
                    known = by_email.get(address.strip().lower())
                    if known:
                        users.append(known)
                    elif address.strip():
                        emails.append(address.strip())  # invited to join the forum
            if not users and not emails:
                return invalid_params("Usernames or emails must be present")
            if len(users) > MEMBERS_LIMIT:
                # ENDPOINTS.md "Rules" / add group members: over 1,000 users is 422
                # adding_too_many_users (render_json_error: no error_type)
                return json_error(f"Maximum {MEMBERS_LIMIT} users can be added at once")
            already = sorted(u["username"] for u in users if u["id"] in group["members"])
            if already and len(already) == len(users) and not emails:
                # ENDPOINTS.md "Rules" / add group members: all already members is 422
                verb = "is already a member" if len(already) == 1 else "are already members"
                return json_error(f"{', '.join(already)} {verb} of this group.")
            unique = list({u["id"]: u for u in users}.values())
            for user in unique:
                self._add_member(group, user)
            # ENDPOINTS.md "Rules" / add group members: in a mixed batch unknown users are
            # dropped silently (only the users found are named)
            return json_response(
                {"success": "OK", "usernames": [u["username"] for u in unique], "emails": emails}
            )

    def group_members_remove(self, request: Request, group_id: int) -> Response:
        p = dict(params_of(request))
        with self.lock:
            group = self.groups.get(group_id)
            if group is None:
                return self.not_found(request)
            if not self._can_edit_group(self.acting(request), group):
                return invalid_access()
            # Backwards compatibility: the singular names override the plural ones.
            if is_present(p.get("username")):
                p["usernames"] = p["username"]
            if is_present(p.get("user_email")):
                p["user_emails"] = p["user_email"]
            users = self._users_from_params(p)
            if isinstance(users, Response):
                return users
            if not users:
                return invalid_params("user_ids or usernames or user_emails must be present")
            removed, skipped = [], []
            for user in users:
                if user["id"] in group["members"]:
                    del group["members"][user["id"]]
                    group["member_levels"].pop(user["id"], None)
                    group["owners"].discard(user["id"])
                    removed.append(user["username"])
                else:
                    skipped.append(user["username"])
            # ENDPOINTS.md "Rules" / remove group members: {usernames, skipped_usernames};
            # skipped_usernames holds non-members only and unknown names are dropped
            return json_response(
                {"success": "OK", "usernames": removed, "skipped_usernames": skipped}
            )

    def _one_user_group(
        self, request: Request, user_id: int, group_id: int | None
    ) -> tuple[dict[str, Any], dict[str, Any]] | Response:
        """Admin::UsersController#add_group / #remove_group, up to the change itself."""
        user = self.users.get(user_id)
        if user is None:
            return self.not_found(request)
        group = self.groups.get(group_id) if group_id is not None else None
        if group is None:
            return self.not_found(request)  # Group.find: RecordNotFound
        if group["automatic"]:
            return json_error("You cannot modify an automatic group")
        if not self._can_edit_group(self.acting(request), group):
            return invalid_access()
        return user, group

    def user_group_add(self, request: Request, user_id: int) -> Response:
        p = params_of(request)
        with self.lock:
            found = self._one_user_group(request, user_id, active_record_int(ruby_to_s(
                p.get("group_id")
            )))  # fmt: skip
            if isinstance(found, Response):
                return found
            user, group = found
            self._add_member(group, user)  # Group#add: already a member changes nothing
            return Response(b"", status=200)  # render body: nil

    def user_group_remove(self, request: Request, user_id: int, group_id: int) -> Response:
        with self.lock:
            found = self._one_user_group(request, user_id, group_id)
            if isinstance(found, Response):
                return found
            user, group = found
            group["members"].pop(user["id"], None)
            group["member_levels"].pop(user["id"], None)
            group["owners"].discard(user["id"])
            return Response(b"", status=200)

    # --- tags ----------------------------------------------------------------------------
    def _tag_count(self, name: str) -> int:
        return sum(1 for t in self.topics.values() if name in t["tags"])

    def _ensure_tag(self, name: str) -> dict[str, Any]:
        tag = self.tags.get(name)
        if tag is None:
            tag = self.tags[name] = {"id": self.next_tag_id, "name": name}
            self.next_tag_id += 1
        return tag

    def tags_list(self, request: Request) -> Response:
        with self.lock:
            rows = []
            for tag in sorted(self.tags.values(), key=lambda t: t["name"]):
                count = self._tag_count(tag["name"])
                if self.legacy_tag_ids:
                    rows.append({"id": tag["name"], "text": tag["name"], "count": count,
                                 "pm_count": 0, "target_tag": None})  # fmt: skip
                else:
                    rows.append({"id": tag["id"], "text": tag["name"], "name": tag["name"],
                                 "count": count, "pm_count": 0, "target_tag": None})  # fmt: skip
            return json_response({"tags": rows, "extras": {"categories": []}})

    def _topic_row(self, topic: dict[str, Any]) -> dict[str, Any]:
        created = iso(topic["created_at"])
        return {
            "id": topic["id"], "title": topic["title"], "fancy_title": topic["title"],
            "slug": topic["slug"], "posts_count": topic["posts_count"],
            "reply_count": max(topic["posts_count"] - 1, 0),
            "highest_post_number": topic["posts_count"], "image_url": None,
            "created_at": created, "last_posted_at": created, "bumped": True,
            "bumped_at": created, "archetype": "regular", "unseen": False, "pinned": False,
            "unpinned": None, "visible": True, "closed": False, "archived": False,
            "bookmarked": False, "liked": False, "tags": list(topic["tags"]),
            "views": topic["views"], "like_count": topic["like_count"], "has_summary": False,
            "last_poster_username": self.users.get(topic["user_id"], self.users[-1])["username"],
            "category_id": topic["category_id"], "pinned_globally": False,
            "featured_link": None, "posters": [],
        }  # fmt: skip

    def tag_topics(self, request: Request, name: str) -> Response:
        p = params_of(request)
        try:
            page = max(int(p.get("page") or 0), 0)
        except ValueError:
            return error(400, "page must be a number")
        with self.lock:
            tag = self.tags.get(name)
            if tag is None:
                return self.not_found(request)
            topics = sorted(
                (t for t in self.topics.values() if name in t["tags"]),
                key=lambda t: (t["created_at"], t["id"]),
                reverse=True,
            )
            chunk = topics[page * TOPICS_PER_PAGE : (page + 1) * TOPICS_PER_PAGE]
            topic_list: dict[str, Any] = {
                "can_create_topic": True, "per_page": TOPICS_PER_PAGE,
                "tags": [{"id": tag["id"], "name": name, "topic_count": len(topics),
                          "staff": False}],
                "topics": [self._topic_row(t) for t in chunk],
            }  # fmt: skip
            if (page + 1) * TOPICS_PER_PAGE < len(topics):
                topic_list["more_topics_url"] = f"/tag/{name}?match_all_tags=true&page={page + 1}"
            return json_response({"users": [], "primary_groups": [], "topic_list": topic_list})

    def topic_show(self, request: Request, topic_id: int) -> Response:
        """ENDPOINTS.md Tags / retag: one topic with its tags (``GET /t/{id}.json``, S), which
        a retag of pasted topic ids reads before it removes a tag."""
        with self.lock:
            topic = self.topics.get(topic_id)
            if topic is None:
                return self.not_found(request)
            out = copy.deepcopy(data.TOPIC)
            author = self.users.get(topic["user_id"], self.users[-1])
            created = iso(topic["created_at"])
            out.update(
                id=topic["id"], title=topic["title"], fancy_title=topic["title"],
                slug=topic["slug"], category_id=topic["category_id"] or 0,
                posts_count=topic["posts_count"], views=topic["views"],
                like_count=topic["like_count"], reply_count=max(topic["posts_count"] - 1, 0),
                created_at=created, last_posted_at=created, visible=True,
                archetype="regular", user_id=author["id"],
                highest_post_number=topic["posts_count"], chunk_size=20,
                tags=[{"id": self._ensure_tag(t)["id"], "name": t, "slug": t}
                      for t in topic["tags"]],
            )  # fmt: skip
            person = {**self.basic_user(author), "name": author["name"] or ""}
            out["details"].update(created_by=person, last_poster=person)
            return json_response(out)

    def tag_rename(self, request: Request, name: str) -> Response:
        p = params_of(request)
        new_name = str((p.get("tag") or {}).get("id") or "").strip().lower()
        if not new_name:
            return error(400, "param is missing or the value is empty: tag")
        if not re.fullmatch(r"[^\s,/?#&]{1,50}", new_name):
            return error(422, "Name is invalid")
        with self.lock:
            tag = self.tags.get(name)
            if tag is None:
                return self.not_found(request)
            if new_name != name and new_name in self.tags:
                return error(422, "Name has already been taken")
            del self.tags[name]
            tag["name"] = new_name
            self.tags[new_name] = tag
            for topic in self.topics.values():
                topic["tags"] = [new_name if t == name else t for t in topic["tags"]]
            for group in self.tag_groups.values():
                for key in ("tag_names", "parent_tag_name"):
                    group[key] = [new_name if t == name else t for t in group[key]]
            return json_response(
                {"tag": {"id": tag["id"], "name": new_name, "slug": new_name, "description": None}}
            )

    def tag_delete(self, request: Request, name: str) -> Response:
        with self.lock:
            if name not in self.tags:
                return self.not_found(request)
            del self.tags[name]
            for topic in self.topics.values():
                topic["tags"] = [t for t in topic["tags"] if t != name]
            for group in self.tag_groups.values():
                for key in ("tag_names", "parent_tag_name"):
                    group[key] = [t for t in group[key] if t != name]
            return json_response({"success": "OK"})

    def tags_upload(self, request: Request) -> Response:
        """ENDPOINTS.md Tags: `POST /tags/upload.json`, a CSV of `tag_name[,tag_group_name]`,
        the only direct "create tags" call."""
        upload = request.files.get("file")
        if upload is None:
            return error(400, "param is missing or the value is empty: file")
        names = []
        for line in upload.read().decode("utf-8", "replace").splitlines():
            name = line.split(",", 1)[0].strip().lower()
            if name:
                names.append(name)
        with self.lock:
            for name in names:
                self._ensure_tag(name)
        return json_response({"success": "OK"})

    def tag_synonyms_add(self, request: Request, name: str) -> Response:
        """ENDPOINTS.md Tags: `POST /tag/{name}/synonyms.json` `synonyms[]`: each synonym's
        topics move to the target tag and the synonym stops being a tag of its own."""
        p = params_of(request)
        synonyms = [t.lower() for t in comma_list(p.get("synonyms"))]
        with self.lock:
            if name not in self.tags:
                return self.not_found(request)
            for synonym in synonyms:
                if synonym == name:
                    return error(422, "A tag cannot be a synonym of itself")
                self.tags.pop(synonym, None)
                for topic in self.topics.values():
                    if synonym in topic["tags"]:
                        topic["tags"] = sorted({*(t for t in topic["tags"] if t != synonym), name})
            return json_response({"success": "OK"})

    def tags_unused(self, request: Request) -> Response:
        """ENDPOINTS.md Tags: `DELETE /tags/unused.json` deletes the tags no topic carries."""
        with self.lock:
            for name in [n for n in self.tags if not self._tag_count(n)]:
                del self.tags[name]
            return json_response({"success": "OK"})

    def topics_bulk(self, request: Request) -> Response:
        p = params_of(request)
        operation = p.get("operation") or {}
        operations = BULK_OPERATIONS | ({"remove_tags"} if self.config.bulk_remove_tags else set())
        if not isinstance(operation, dict) or operation.get("type") not in operations:
            # ENDPOINTS.md "Rules" / retag: remove_tags is missing from older versions (an
            # unknown operation is InvalidParameters)
            return invalid_params("operation")
        try:
            ids = [int(i) for i in comma_list(p.get("topic_ids"))]
        except ValueError:
            return error(400, "topic_ids must be ids")
        if not ids:
            return error(400, "param is missing or the value is empty: topic_ids")
        kind = operation["type"]
        tags = [t.lower() for t in comma_list(operation.get("tags"))]
        actor = self.acting(request)
        changed = []
        with self.lock:
            for topic_id in ids:
                topic = self.topics.get(topic_id)
                if topic is None:
                    continue
                if not (self._is_staff(actor) or topic["user_id"] == actor["id"]):
                    continue  # guardian.can_edit?(topic) is false: left out of the answer
                if kind == "change_tags":
                    new = sorted(set(tags))
                elif kind == "append_tags":
                    new = sorted(set(topic["tags"]) | set(tags))
                elif kind == "remove_tags":
                    new = sorted(set(topic["tags"]) - set(tags))
                else:
                    new = topic["tags"]  # other operations are not modelled; they change nothing
                for tag in new:
                    self._ensure_tag(tag)
                topic["tags"] = new
                # ENDPOINTS.md "Rules" / retag: topic_ids lists every topic the key may edit,
                # not only the ones whose tags changed
                changed.append(topic_id)
        return json_response({"topic_ids": sorted(changed)})

    # --- tag groups ----------------------------------------------------------------------
    def _tag_refs(self, names: list[str]) -> list[dict[str, Any]]:
        return [{"id": self._ensure_tag(n)["id"], "name": n, "slug": n} for n in names]

    def _tag_group_full(self, group: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": group["id"], "name": group["name"], "tag_names": list(group["tag_names"]),
            "parent_tag_name": list(group["parent_tag_name"]),
            "one_per_topic": group["one_per_topic"], "permissions": dict(group["permissions"]),
        }  # fmt: skip

    def tag_groups_list(self, request: Request) -> Response:
        with self.lock:
            rows = [
                {"id": g["id"], "name": g["name"], "tags": self._tag_refs(g["tag_names"]),
                 "parent_tag": self._tag_refs(g["parent_tag_name"]),
                 "one_per_topic": g["one_per_topic"], "permissions": dict(g["permissions"])}
                for g in sorted(self.tag_groups.values(), key=lambda g: g["name"].lower())
            ]  # fmt: skip
            return json_response({"tag_groups": rows})

    def tag_group_show(self, request: Request, tag_group_id: int) -> Response:
        with self.lock:
            group = self.tag_groups.get(tag_group_id)
            if group is None:
                return self.not_found(request)
            return json_response({"tag_group": self._tag_group_full(group)})

    def _tag_group_fields(self, group: dict[str, Any], p: dict[str, Any]) -> None:
        # ENDPOINTS.md "Rules" / tag groups: a PUT that omits tag_names / parent_tag_name resets
        # them to [] (TagGroupsController#tag_groups_params) ...
        group["tag_names"] = sorted({t.lower() for t in comma_list(p.get("tag_names"))})
        group["parent_tag_name"] = [t.lower() for t in comma_list(p.get("parent_tag_name"))][:1]
        # ... and one that omits one_per_topic resets it to false
        group["one_per_topic"] = truthy(p.get("one_per_topic"))
        if isinstance(p.get("permissions"), dict):
            group["permissions"] = {str(k): int(v) for k, v in p["permissions"].items()}
        for name in group["tag_names"] + group["parent_tag_name"]:
            self._ensure_tag(name)

    def tag_group_create(self, request: Request) -> Response:
        p = params_of(request)
        name = str(p.get("name") or "").strip()
        if not name:
            return error(400, "param is missing or the value is empty: name")
        with self.lock:
            if any(g["name"].lower() == name.lower() for g in self.tag_groups.values()):
                return error(422, "Name has already been taken")
            group = {"id": self.next_tag_group_id, "name": name, "tag_names": [],
                     "parent_tag_name": [], "one_per_topic": False,
                     "permissions": {"everyone": 1}}  # fmt: skip
            self.next_tag_group_id += 1
            self._tag_group_fields(group, p)
            self.tag_groups[group["id"]] = group
            full = self._tag_group_full(group)
            full.update(tags=self._tag_refs(group["tag_names"]),
                        parent_tag=self._tag_refs(group["parent_tag_name"]))  # fmt: skip
            return json_response({"tag_group": full})

    def tag_group_update(self, request: Request, tag_group_id: int) -> Response:
        p = params_of(request)
        with self.lock:
            group = self.tag_groups.get(tag_group_id)
            if group is None:
                return self.not_found(request)
            name = str(p.get("name") or group["name"]).strip()
            if any(g["name"].lower() == name.lower() and g["id"] != tag_group_id
                   for g in self.tag_groups.values()):  # fmt: skip
                return error(422, "Name has already been taken")
            group["name"] = name
            self._tag_group_fields(group, p)
            return json_response({"success": "OK", "tag_group": self._tag_group_full(group)})

    def tag_group_delete(self, request: Request, tag_group_id: int) -> Response:
        with self.lock:
            if self.tag_groups.pop(tag_group_id, None) is None:
                return self.not_found(request)
            return json_response({"success": "OK"})

    # --- backups -------------------------------------------------------------------------
    def _settle_backup(self) -> None:
        if self.backup_pending and datetime.now(UTC).timestamp() >= self.backup_running_until:
            if not self.backup_fails:
                self.backups.append(self.backup_pending)
            self.backup_pending = None

    def backups_list(self, request: Request) -> Response:
        with self.lock:
            self._settle_backup()
            rows = sorted(self.backups, key=lambda b: b["last_modified"], reverse=True)
            return json_response(
                [{"filename": b["filename"], "size": b["size"],
                  "last_modified": iso(b["last_modified"])} for b in rows]
            )  # fmt: skip

    def backup_create(self, request: Request) -> Response:
        p = params_of(request)
        if "with_uploads" not in p:
            return error(400, "param is missing or the value is empty: with_uploads")
        # BackupsController#create: params.fetch(:with_uploads) == "true" (a JSON true is not).
        with_uploads = p["with_uploads"] == "true"
        with self.lock:
            self._settle_backup()
            now = datetime.now(UTC)
            if self.backup_pending:
                # ENDPOINTS.md "Rules" / backups: already running is 200 {failed, message}
                return json_response(
                    {"failed": "FAILED",
                     "message": "A backup or restore operation is already running."}
                )  # fmt: skip
            ext = "tar.gz" if with_uploads else "sql.gz"
            self.backup_pending = {
                "filename": f"sandbox-forum-{now:%Y-%m-%d-%H%M%S}-v20260101000000.{ext}",
                "size": 52_000_000 if with_uploads else 9_500_000,
                "last_modified": now,
            }
            self.backup_running_until = now.timestamp() + self.backup_seconds
            return json_response({"success": "OK"})

    def backups_status(self, request: Request) -> Response:
        with self.lock:
            self._settle_backup()
            running = self.backup_pending is not None
            return json_response(
                {"is_operation_running": running, "can_rollback": False, "allow_restore": False}
            )

    def backup_cancel(self, request: Request) -> Response:
        """ENDPOINTS.md Backups: `DELETE /admin/backups/cancel.json` cancels a running backup."""
        with self.lock:
            self.backup_pending = None
            self.backup_running_until = 0.0
            return json_response({"success": "OK"})

    def backup_send_link(self, request: Request, filename: str) -> Response:
        with self.lock:
            self._settle_backup()
            found = any(b["filename"] == filename for b in self.backups)
        # ENDPOINTS.md "Rules" / backups: PUT /admin/backups/{filename} answers 200 or 404 with
        # an empty body (render body: nil)
        return Response(b"", status=200 if found else 404, content_type="text/html; charset=utf-8")

    # --- calendar ------------------------------------------------------------------------
    def occurrences(
        self,
        event: dict[str, Any],
        *,
        after: datetime | None = None,
        before: datetime | None = None,
        cap: int = EVENTS_MAX_LIMIT,
    ) -> list[tuple[datetime, datetime]]:
        """(start, end) of each occurrence of ``event`` starting in [after, before), at most
        ``cap``; a one-off event has one. ``before`` is exclusive, as in EventFinder."""
        duration = event["ends_at"] - event["starts_at"]
        recurrence = event.get("recurrence")
        start = event["starts_at"]
        if not recurrence:
            inside = (after is None or start >= after) and (before is None or start < before)
            return [(start, start + duration)] if inside and cap > 0 else []
        step = data.RECURRENCES[recurrence][1]
        if after is not None and start < after:
            skipped = -(-(after - start) // step)  # ceil: the first occurrence at or after it
            start += step * skipped
        until = event.get("recurrence_until")
        found = []
        while len(found) < cap:
            if (before is not None and start >= before) or (until is not None and start > until):
                break
            found.append((start, start + duration))
            start += step
        return found

    def occurrences_between(self, after: datetime, before: datetime) -> list[tuple[int, datetime]]:
        """(event id, start) of every occurrence in [after, before), soonest first: what the
        .ics feed for that window holds (for tests)."""
        with self.lock:
            found = [
                (event["id"], start)
                for event in self.events
                for start, _ in self.occurrences(event, after=after, before=before, cap=10_000)
            ]
        return sorted(found, key=lambda pair: (pair[1], pair[0]))

    def _events_query(
        self, request: Request, *, ics: bool = False
    ) -> list[tuple[dict[str, Any], list[tuple[datetime, datetime]]]] | Response:
        p = params_of(request)
        legacy = self.config.legacy_events_plugin
        # ENDPOINTS.md "Rules" / events: older plugin versions have no `after` / `order`
        after = None if legacy else parse_time(p.get("after")) if p.get("after") else None
        before = parse_time(p.get("before")) if p.get("before") else None
        if (p.get("after") and not legacy and after is None) or (
            p.get("before") and before is None
        ):
            return error(400, "after and before must be ISO 8601 dates")
        try:
            raw_limit = int(p["limit"]) if p.get("limit") else None
            category = int(p["category_id"]) if p.get("category_id") else None
        except ValueError:
            return error(400, "limit and category_id must be numbers")
        if legacy:
            limit = raw_limit if raw_limit is not None else 10_000  # events.limit(params[:limit])
        else:
            limit = min(max(raw_limit or EVENTS_MAX_LIMIT, 1), EVENTS_MAX_LIMIT)
        if ics and after is None:
            # ENDPOINTS.md "Rules" / events: the .ics route defaults to the last 3 months
            after = datetime.now(UTC) - timedelta(days=91)
        categories = None
        if category is not None:
            categories = {category}
            if truthy(p.get("include_subcategories")):
                categories |= {c["id"] for c in data.CATEGORIES
                               if c["parent_category_id"] == category}  # fmt: skip
        now = datetime.now(UTC)
        rows = []
        with self.lock:
            for event in self.events:
                if categories is not None and event["category_id"] not in categories:
                    continue
                window_start = after
                if legacy and not truthy(p.get("include_expired")):
                    if not event.get("recurrence") and event["ends_at"] < now:
                        continue  # include_expired=false: only dates not finished yet
                    if event.get("recurrence"):
                        window_start = now  # a series shows its next date
                # ENDPOINTS.md "Rules" / events: `limit` also caps the occurrences expanded per
                # recurring event; `before` is exclusive (starts_at < before)
                found = self.occurrences(event, after=window_start, before=before, cap=limit)
                if found:
                    rows.append((event, found))
        desc = not legacy and p.get("order") == "desc"
        rows.sort(key=lambda row: (row[1][0][0], row[0]["id"]), reverse=desc)
        return rows[:limit]

    def _event_json(self, event: dict[str, Any], found: list[tuple[datetime, datetime]]) -> dict:
        out = copy.deepcopy(data.EVENT)
        topic = self.topics.get(event["topic_id"], {})
        slug = topic.get("slug") or "event"
        category = next(c for c in data.CATEGORIES if c["id"] == event["category_id"])
        starts, ends = found[0]
        duration = ends - starts
        hours, rest = divmod(int(duration.total_seconds()), 3600)
        now = datetime.now(UTC)
        url = f"/t/{slug}/{event['topic_id']}/1"
        out.update(
            id=event["id"], category_id=event["category_id"], name=event["name"],
            starts_at=iso(starts), ends_at=iso(ends),
            timezone=event["timezone"], all_day=event["all_day"], show_local_time=False,
            duration=f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}",
            post={"id": event["id"], "post_number": 1, "url": url,
                  "category_slug": category["slug"],
                  "topic": {"id": event["topic_id"], "title": event["name"],
                            "tags": list(topic.get("tags", [])), "tags_descriptions": {},
                            "slug": slug}},
            occurrences=[{"starts_at": iso(s), "ends_at": iso(e)} for s, e in found],
            recurrence=event.get("recurrence"),
            recurrence_until=iso(event.get("recurrence_until")),
            is_expired=ends < now,
            is_ongoing=starts <= now <= ends,
            is_public=True, status=event["status"], url=url, location=event["location"],
            description=event["description"], at_capacity=False,
            can_act_on_discourse_post_event=True, can_update_attendance=True,
        )  # fmt: skip
        if event.get("recurrence"):
            rule = data.RECURRENCES[event["recurrence"]][0]
            out["rrule"] = f"DTSTART:{event['starts_at']:%Y%m%dT%H%M%SZ}\nRRULE:{rule}"
        return out

    def events_list(self, request: Request) -> Response:
        rows = self._events_query(request)
        if isinstance(rows, Response):
            return rows
        events = [self._event_json(event, found) for event, found in rows]
        if self.config.legacy_events_plugin:
            # ENDPOINTS.md "Rules" / events: older plugin versions answer a bare array
            for event in events:
                event.pop("occurrences", None)
            return json_response(events)
        return json_response({"events": events})

    def events_ics(self, request: Request) -> Response:
        if self.config.legacy_events_plugin:
            return self.not_found(request)  # the older plugin has no .ics route
        rows = self._events_query(request, ics=True)
        if isinstance(rows, Response):
            return rows
        host = request.host.split(":")[0]

        def stamp(value: datetime) -> str:
            return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")

        entries = sorted(
            ((start, end, event) for event, found in rows for start, end in found),
            key=lambda entry: (entry[0], entry[2]["id"]),
        )
        lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Discourse//post-event//EN"]
        # ENDPOINTS.md "Rules" / events: the .ics route holds at most 500 occurrences
        for start, end, event in entries[:ICS_MAX_OCCURRENCES]:
            summary = event["name"].replace(",", "\\,").replace(";", "\\;")
            uid = f"discourse-post-event-{event['id']}"
            if event.get("recurrence"):
                uid += f"-{stamp(start)}"
            lines += [
                "BEGIN:VEVENT",
                f"UID:{uid}@{host}",
                f"DTSTAMP:{stamp(self.now)}",
                f"DTSTART:{stamp(start)}",
                f"DTEND:{stamp(end)}",
                f"SUMMARY:{summary}",
                f"LOCATION:{event['location']}",
                f"URL:{request.host_url.rstrip('/')}/t/{event['topic_id']}",
                "END:VEVENT",
            ]
        lines.append("END:VCALENDAR")
        return Response("\r\n".join(lines) + "\r\n", content_type="text/calendar; charset=utf-8")
