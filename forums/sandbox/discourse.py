"""A simulated Discourse: the routes, status codes and JSON the dashboard uses, kept in memory.

Modelled on the real server (see shared/specs/discourse/ENDPOINTS.md):

- auth by ``Api-Key`` + ``Api-Username``; a bad key answers 404 on ``/admin/*`` and 403
  ``invalid_access`` elsewhere; without a key, admin routes are 404 and private ones 403;
- one sliding-window bucket of ``config.admin_requests_per_minute`` for every request made with
  the valid admin key (refused requests are not counted); over it, 429 with ``Retry-After``,
  ``Discourse-Rate-Limit-Error-Code: admin_api_key_rate_limit`` and ``extras.wait_seconds``;
- errors as ``{"errors": [...], "error_type": ...}``; JSON and form bodies both accepted;
- every state change holds ``self.lock``.

Run it alone: ``RunningSandbox(DiscourseSandbox(SandboxConfig(...)), port=4100).start()``.
"""

from __future__ import annotations

import copy
import logging
import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from . import discourse_data as data
from .core import SandboxApp, SandboxConfig, SlidingWindowLimiter, ceil_seconds, json_response

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
INVALID_ACCESS = (
    "You are not permitted to view the requested resource. The API username or key is invalid."
)
# What a guardian refusal says to a valid key (e.g. suspending or anonymizing staff).
NOT_PERMITTED = "You are not permitted to view the requested resource."


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
                "silence_reason": "",
            }  # fmt: skip
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
                self.groups[next_gid] = group
                next_gid += 1
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

    def _new_group(self, gid: int, name: str, *, automatic: bool = False, full_name: str = ""):
        return {
            "id": gid, "name": name, "full_name": full_name, "automatic": automatic,
            "bio_raw": "", "visibility_level": 0 if not automatic else 1,
            "public_admission": False, "public_exit": False, "default_notification_level": 3,
            "members_visibility_level": 0, "primary_group": False, "title": None,
            "grant_trust_level": None, "flair_bg_color": None, "members": {}, "owners": set(),
            "created_at": self.now,
        }  # fmt: skip

    def member_ids(self, group: dict[str, Any]) -> list[int]:
        """Automatic groups are computed from the users, as Discourse keeps them in sync."""
        if not group["automatic"]:
            return list(group["members"])
        name = group["name"]
        users = [u for u in self.users.values() if u["id"] > 0]
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
            }  # fmt: skip
            return uid

    def suspended(self, user: dict[str, Any]) -> bool:
        return bool(user["suspended_till"] and user["suspended_till"] > datetime.now(UTC))

    def silenced(self, user: dict[str, Any]) -> bool:
        return bool(user["silenced_till"] and user["silenced_till"] > datetime.now(UTC))

    def find_user(self, username: str) -> dict[str, Any] | None:
        lower = username.lower()
        return next((u for u in self.users.values() if u["username"].lower() == lower), None)

    # --- auth and rate limit -------------------------------------------------------------
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
        user = None
        if secrets.compare_digest(key, self.config.api_key):
            name = request.headers.get("Api-Username") or self.config.api_username
            user = self.find_user(name)
        if user is None or not user["active"] or self.suspended(user):
            return (
                self.not_found(request)
                if admin_route
                else error(403, INVALID_ACCESS, "invalid_access")
            )
        if user["admin"]:
            # One bucket per site for the admin key, whatever the route (admin_api_min).
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
        if admin_route and not (user["admin"] or user["moderator"]):
            return self.not_found(request)
        request.environ["sandbox.user"] = user
        return None

    def not_found(self, request: Request) -> Response:
        return error(404, "The requested URL or resource could not be found.", "not_found")

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
            term = str(p.get("filter") or "").strip().lower()
            if term:
                terms = [t for t in re.split(r"[,\s]+", term) if t]
                if len(terms) > 1:
                    wanted = set(terms[:100])
                    users = [
                        u
                        for u in users
                        if u["username"].lower() in wanted or u["email"].lower() in wanted
                    ]
                else:
                    users = [
                        u
                        for u in users
                        if term in u["username"].lower() or term in u["email"].lower()
                    ]
            if p.get("email"):
                wanted_email = str(p["email"]).strip().lower()
                users = [u for u in users if u["email"].lower() == wanted_email]
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

    def _penalty_body(self, request: Request, till_key: str) -> tuple[datetime, str] | Response:
        p = params_of(request)
        if not p.get(till_key):
            return error(400, f"param is missing or the value is empty: {till_key}")
        if not str(p.get("reason") or "").strip():
            return error(400, "param is missing or the value is empty: reason")
        until = parse_time(str(p[till_key]))
        if until is None:
            return error(400, f"{till_key} is not a valid date")
        return until, str(p["reason"]).strip()

    def user_suspend(self, request: Request, user_id: int) -> Response:
        with self.lock:
            user = self._user_or_404(request, user_id)
            if isinstance(user, Response):
                return user
            if user["admin"] or user["moderator"]:
                return error(403, NOT_PERMITTED, "invalid_access")
            parsed = self._penalty_body(request, "suspend_until")
            if isinstance(parsed, Response):
                return parsed
            if self.suspended(user):
                return json_response(
                    {"failed": "FAILED", "message": f"{user['username']} is already suspended."},
                    409,
                )
            until, reason = parsed
            user.update(suspended_till=until, suspended_at=datetime.now(UTC), suspend_reason=reason,
                        suspended_by=self.acting(request)["id"])  # fmt: skip
            by = self.basic_user(self.acting(request))
            return json_response(
                {"suspension": {"suspend_reason": reason, "full_suspend_reason": reason,
                                "suspended_till": iso(until),
                                "suspended_at": iso(user["suspended_at"]), "suspended_by": by}}
            )  # fmt: skip

    def user_unsuspend(self, request: Request, user_id: int) -> Response:
        with self.lock:
            user = self._user_or_404(request, user_id)
            if isinstance(user, Response):
                return user
            user.update(suspended_till=None, suspended_at=None, suspend_reason="")
            return json_response({"suspension": {"suspended": False}})

    def user_silence(self, request: Request, user_id: int) -> Response:
        with self.lock:
            user = self._user_or_404(request, user_id)
            if isinstance(user, Response):
                return user
            if user["admin"] or user["moderator"]:
                return error(403, NOT_PERMITTED, "invalid_access")
            parsed = self._penalty_body(request, "silenced_till")
            if isinstance(parsed, Response):
                return parsed
            if self.silenced(user):
                return json_response(
                    {"failed": "FAILED", "message": f"{user['username']} is already silenced."},
                    409,
                )
            until, reason = parsed
            user.update(silenced_till=until, silenced_at=datetime.now(UTC), silence_reason=reason,
                        silenced_by=self.acting(request)["id"])  # fmt: skip
            by = self.basic_user(self.acting(request))
            return json_response(
                {"silence": {"silenced": True, "silence_reason": reason,
                             "full_silence_reason": reason, "silenced_till": iso(until),
                             "silenced_at": iso(user["silenced_at"]), "silenced_by": by}}
            )  # fmt: skip

    def user_unsilence(self, request: Request, user_id: int) -> Response:
        with self.lock:
            user = self._user_or_404(request, user_id)
            if isinstance(user, Response):
                return user
            user.update(silenced_till=None, silenced_at=None, silence_reason="")
            return json_response({"unsilence": {"silenced": False}})

    def _simple(self, request: Request, user_id: int, **changes: Any) -> Response:
        with self.lock:
            user = self._user_or_404(request, user_id)
            if isinstance(user, Response):
                return user
            user.update(changes)
            return json_response({"success": "OK"})

    def user_log_out(self, request: Request, user_id: int) -> Response:
        return self._simple(request, user_id)

    def user_approve(self, request: Request, user_id: int) -> Response:
        return self._simple(request, user_id, approved=True)

    def user_activate(self, request: Request, user_id: int) -> Response:
        return self._simple(request, user_id, active=True)

    def user_deactivate(self, request: Request, user_id: int) -> Response:
        return self._simple(request, user_id, active=False)

    def user_trust_level(self, request: Request, user_id: int) -> Response:
        level = params_of(request).get("level")
        try:
            level = int(level)
        except (TypeError, ValueError):
            return error(400, "param is missing or the value is empty: level")
        if level not in range(5):
            return error(400, "Invalid trust level")
        return self._simple(request, user_id, trust_level=level)

    def user_anonymize(self, request: Request, user_id: int) -> Response:
        with self.lock:
            user = self._user_or_404(request, user_id)
            if isinstance(user, Response):
                return user
            if user["admin"] or user["moderator"]:
                return error(403, NOT_PERMITTED, "invalid_access")
            name = f"anon{self._random.getrandbits(32):08x}"
            user.update(username=name, name="", email=f"{name}@anonymized.invalid")
            return json_response({"success": "OK", "username": name})

    def _remove_user(self, user_id: int) -> None:
        self.users.pop(user_id, None)
        for group in self.groups.values():
            group["members"].pop(user_id, None)
            group["owners"].discard(user_id)

    def admin_user_delete(self, request: Request, user_id: int) -> Response:
        with self.lock:
            user = self._user_or_404(request, user_id)
            if isinstance(user, Response):
                return user
            if user["admin"] or user["moderator"]:
                return error(403, "Staff accounts can't be deleted.", "invalid_access")
            p = params_of(request)
            if user["post_count"] and not truthy(p.get("delete_posts")):
                return error(
                    403,
                    f"User {user['username']} has {user['post_count']} posts, so they can't "
                    "be deleted.",
                    "invalid_access",
                )
            self._remove_user(user_id)
            return json_response({"deleted": True})

    def admin_users_destroy_bulk(self, request: Request) -> Response:
        p = params_of(request)
        try:
            ids = [int(i) for i in p.get("user_ids") or []]
        except (TypeError, ValueError):
            return error(400, "user_ids must be a list of ids")
        if not 1 <= len(ids) <= 100:
            return error(400, "Between 1 and 100 user_ids are allowed per call.")
        with self.lock:
            found = [self.users[i] for i in ids if i in self.users]
            if any(u["admin"] or u["moderator"] for u in found):
                return error(403, "Staff accounts can't be deleted.", "invalid_access")
            for user in found:
                self._remove_user(user["id"])
        return json_response({"success": "OK"})

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
            return error(422, "Name must be 2-60 letters, numbers, dashes, dots or underscores.")
        lower = name.lower()
        if any(g["name"].lower() == lower and g["id"] != exclude for g in self.groups.values()):
            return error(422, "Name has already been taken")
        if self.find_user(name):
            return error(422, "Name has already been taken")
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
            for username in comma_list(fields.get("usernames")):
                user = self.find_user(username)
                if user:
                    group["members"][user["id"]] = datetime.now(UTC)
            for username in comma_list(fields.get("owner_usernames")):
                user = self.find_user(username)
                if user:
                    group["members"][user["id"]] = datetime.now(UTC)
                    group["owners"].add(user["id"])
            self.groups[group["id"]] = group
            basic = self._group_fields(group, data.BASIC_GROUP, ("can_edit_group",))
            return json_response({"basic_group": basic})

    NOTIFICATION_DEFAULTS = ("default_notification_level", "muted_category_ids",
                             "regular_category_ids", "tracking_category_ids",
                             "watching_category_ids", "watching_first_post_category_ids",
                             "muted_tags", "regular_tags", "tracking_tags", "watching_tags",
                             "watching_first_post_tags")  # fmt: skip

    def group_update(self, request: Request, group_id: int) -> Response:
        p = params_of(request)
        fields = p.get("group")
        if not isinstance(fields, dict):
            return error(400, "param is missing or the value is empty: group")
        with self.lock:
            group = self.groups.get(group_id)
            if group is None:
                return self.not_found(request)
            new_name = str(fields.get("name") or group["name"]).strip()
            if new_name != group["name"]:
                if group["automatic"]:
                    return error(422, "You cannot rename an automatic group")
                invalid = self._validate_group_name(new_name, exclude=group_id)
                if invalid:
                    return invalid
            touches_defaults = any(
                key in fields
                and (key != "default_notification_level"
                     or str(fields[key]) != str(group["default_notification_level"]))
                for key in self.NOTIFICATION_DEFAULTS
            )  # fmt: skip
            members = len(self.member_ids(group))
            if touches_defaults and members and p.get("update_existing_users") in (None, ""):
                # GroupsController#update: the caller must say whether members follow.
                return json_response(
                    {"user_count": members,
                     "errors": ["update_existing_users must be given: this change affects "
                                f"{members} existing members"]},
                    422,
                )  # fmt: skip
            try:
                self._apply_group_fields(group, fields)
            except (TypeError, ValueError):
                return error(400, "Invalid group field")
            group["name"] = new_name
            return json_response({"success": "OK"})

    def group_delete(self, request: Request, group_id: int) -> Response:
        with self.lock:
            group = self.groups.get(group_id)
            if group is None:
                return self.not_found(request)
            if group["automatic"]:
                return error(422, "You cannot delete an automatic group")
            del self.groups[group_id]
            return json_response({"success": "OK"})

    def group_members(self, request: Request, name: str) -> Response:
        p = params_of(request)
        try:
            limit = int(p.get("limit") or 50)
            offset = int(p.get("offset") or 0)
        except ValueError:
            return error(400, "limit and offset must be numbers")
        if limit < 0 or limit > MEMBERS_LIMIT or offset < 0:
            return error(400, "Invalid limit or offset")
        with self.lock:
            group = self._group_named(name)
            if group is None:
                return self.not_found(request)
            ids = self.member_ids(group)
            added = group["members"]
            ids.sort(key=lambda i: (-(added.get(i) or group["created_at"]).timestamp(), i))
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

    def _targets(
        self, p: dict[str, Any], *, limited: bool = True
    ) -> tuple[list[dict[str, Any]], list[str]] | Response:
        """Users named by ``usernames``/``user_ids``/``user_emails`` (comma strings)."""
        names = comma_list(p.get("usernames")) + comma_list(p.get("username"))
        ids = comma_list(p.get("user_ids"))
        emails = comma_list(p.get("user_emails")) + comma_list(p.get("user_email"))
        if not (names or ids or emails):
            return error(400, "usernames or user_ids or user_emails must be present")
        if limited and len(names) + len(ids) + len(emails) > MEMBERS_LIMIT:
            return error(
                422, f"You cannot add more than {MEMBERS_LIMIT} users at once.",
                "adding_too_many_users",
            )  # fmt: skip
        users: dict[int, dict[str, Any]] = {}
        for name in names:
            if user := self.find_user(name):
                users[user["id"]] = user
        for raw in ids:
            if raw.lstrip("-").isdigit() and int(raw) in self.users:
                users[int(raw)] = self.users[int(raw)]
        by_email = {u["email"].lower(): u for u in self.users.values()}
        for email in emails:
            if user := by_email.get(email.lower()):
                users[user["id"]] = user
        return [u for u in users.values() if u["id"] > 0], names

    def group_members_add(self, request: Request, group_id: int) -> Response:
        p = params_of(request)
        with self.lock:
            group = self.groups.get(group_id)
            if group is None:
                return self.not_found(request)
            if group["automatic"]:
                return error(422, "You cannot add or remove members of an automatic group.")
            targets = self._targets(p)
            if isinstance(targets, Response):
                return targets
            users, _ = targets
            if not users:
                return error(400, "Could not find any of the users given.")
            already = sorted(u["username"] for u in users if u["id"] in group["members"])
            if len(already) == len(users):
                verb = "is already a member" if len(already) == 1 else "are already members"
                return error(422, f"{', '.join(already)} {verb} of this group.")
            now = datetime.now(UTC)
            for user in users:
                group["members"].setdefault(user["id"], now)
            return json_response(
                {"success": "OK", "usernames": [u["username"] for u in users], "emails": []}
            )

    def group_members_remove(self, request: Request, group_id: int) -> Response:
        p = params_of(request)
        with self.lock:
            group = self.groups.get(group_id)
            if group is None:
                return self.not_found(request)
            if group["automatic"]:
                return error(422, "You cannot add or remove members of an automatic group.")
            targets = self._targets(p, limited=False)  # removal has no size limit
            if isinstance(targets, Response):
                return targets
            users, names = targets
            removed, skipped = [], []
            for user in users:
                if user["id"] in group["members"]:
                    del group["members"][user["id"]]
                    group["owners"].discard(user["id"])
                    removed.append(user["username"])
                else:
                    skipped.append(user["username"])
            known = {u["username"].lower() for u in users}
            skipped.extend(n for n in names if n.lower() not in known)
            return json_response(
                {"success": "OK", "usernames": removed, "skipped_usernames": skipped}
            )

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
        if not isinstance(operation, dict) or operation.get("type") not in BULK_OPERATIONS:
            return error(400, "operation type is missing or unknown")
        try:
            ids = [int(i) for i in comma_list(p.get("topic_ids"))]
        except ValueError:
            return error(400, "topic_ids must be ids")
        if not ids:
            return error(400, "param is missing or the value is empty: topic_ids")
        kind = operation["type"]
        tags = [t.lower() for t in comma_list(operation.get("tags"))]
        changed = []
        with self.lock:
            for topic_id in ids:
                topic = self.topics.get(topic_id)
                if topic is None:
                    continue
                if kind == "change_tags":
                    new = sorted(set(tags))
                elif kind == "append_tags":
                    new = sorted(set(topic["tags"]) | set(tags))
                else:
                    continue  # other operations are not modelled; they change nothing here
                for tag in new:
                    self._ensure_tag(tag)
                if new != topic["tags"]:
                    topic["tags"] = new
                changed.append(topic_id)
        return json_response({"topic_ids": changed})

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
        # TagGroupsController#tag_groups_params: a list left out becomes [] (the rename trap).
        group["tag_names"] = sorted({t.lower() for t in comma_list(p.get("tag_names"))})
        group["parent_tag_name"] = [t.lower() for t in comma_list(p.get("parent_tag_name"))][:1]
        if "one_per_topic" in p:
            group["one_per_topic"] = truthy(p["one_per_topic"])
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
            if not any(b["filename"] == filename for b in self.backups):
                return self.not_found(request)
            return json_response({"success": "OK"})

    # --- calendar ------------------------------------------------------------------------
    def _events_query(self, request: Request) -> list[dict[str, Any]] | Response:
        p = params_of(request)
        after = parse_time(p.get("after")) if p.get("after") else None
        before = parse_time(p.get("before")) if p.get("before") else None
        if (p.get("after") and after is None) or (p.get("before") and before is None):
            return error(400, "after and before must be ISO 8601 dates")
        try:
            limit = int(p.get("limit") or 200)
            category = int(p["category_id"]) if p.get("category_id") else None
        except ValueError:
            return error(400, "limit and category_id must be numbers")
        limit = min(max(limit, 1), 200)
        categories = None
        if category is not None:
            categories = {category}
            if truthy(p.get("include_subcategories")):
                categories |= {c["id"] for c in data.CATEGORIES
                               if c["parent_category_id"] == category}  # fmt: skip
        with self.lock:
            rows = [
                e for e in self.events
                if (after is None or e["starts_at"] >= after)
                and (before is None or e["starts_at"] <= before)
                and (categories is None or e["category_id"] in categories)
            ]  # fmt: skip
        rows.sort(key=lambda e: (e["starts_at"], e["id"]), reverse=p.get("order") == "desc")
        return rows[:limit]

    def _event_json(self, event: dict[str, Any]) -> dict[str, Any]:
        out = copy.deepcopy(data.EVENT)
        topic = self.topics.get(event["topic_id"], {})
        slug = topic.get("slug") or "event"
        category = next(c for c in data.CATEGORIES if c["id"] == event["category_id"])
        duration = event["ends_at"] - event["starts_at"]
        hours, rest = divmod(int(duration.total_seconds()), 3600)
        now = datetime.now(UTC)
        url = f"/t/{slug}/{event['topic_id']}/1"
        out.update(
            id=event["id"], category_id=event["category_id"], name=event["name"],
            starts_at=iso(event["starts_at"]), ends_at=iso(event["ends_at"]),
            timezone=event["timezone"], all_day=event["all_day"], show_local_time=False,
            duration=f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}",
            post={"id": event["id"], "post_number": 1, "url": url,
                  "category_slug": category["slug"],
                  "topic": {"id": event["topic_id"], "title": event["name"],
                            "tags": list(topic.get("tags", [])), "tags_descriptions": {},
                            "slug": slug}},
            occurrences=[{"starts_at": iso(event["starts_at"]), "ends_at": iso(event["ends_at"])}],
            is_expired=event["ends_at"] < now,
            is_ongoing=event["starts_at"] <= now <= event["ends_at"],
            is_public=True, status=event["status"], url=url, location=event["location"],
            description=event["description"], at_capacity=False,
            can_act_on_discourse_post_event=True, can_update_attendance=True,
        )  # fmt: skip
        return out

    def events_list(self, request: Request) -> Response:
        rows = self._events_query(request)
        if isinstance(rows, Response):
            return rows
        return json_response({"events": [self._event_json(e) for e in rows]})

    def events_ics(self, request: Request) -> Response:
        rows = self._events_query(request)
        if isinstance(rows, Response):
            return rows
        host = request.host.split(":")[0]

        def stamp(value: datetime) -> str:
            return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")

        lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Discourse//post-event//EN"]
        for event in rows:
            summary = event["name"].replace(",", "\\,").replace(";", "\\;")
            lines += [
                "BEGIN:VEVENT",
                f"UID:discourse-post-event-{event['id']}@{host}",
                f"DTSTAMP:{stamp(self.now)}",
                f"DTSTART:{stamp(event['starts_at'])}",
                f"DTEND:{stamp(event['ends_at'])}",
                f"SUMMARY:{summary}",
                f"LOCATION:{event['location']}",
                f"URL:{request.host_url.rstrip('/')}/t/{event['topic_id']}",
                "END:VEVENT",
            ]
        lines.append("END:VCALENDAR")
        return Response("\r\n".join(lines) + "\r\n", content_type="text/calendar; charset=utf-8")
