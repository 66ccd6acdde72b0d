"""A simulated NodeBB 4.15.1: the write API under /api/v3 and the read API under /api.

It answers the routes Forumdeck's NodeBB client uses with the real status codes, envelopes and
messages (shared/specs/nodebb/ENDPOINTS.md): Bearer tokens (a user token bound to one uid, or
a master token that needs ``_uid`` on every call), the re-auth rule that refuses membership
changes of `administrators` to every Bearer token, admins that cannot be banned, muted or
deleted, and `Invalid API call` for unknown /api/v3 paths. Every row of ENDPOINTS.md "What a
real NodeBB 4.15.1 answers, call by call" is modelled, and each place that models one names its
row in a comment (``# ENDPOINTS.md "NodeBB 4.15.1 answers" / <call>``): a bad token is a guest
(public pages and /api/config answer 200, /api/self a bare "not-authorized"), a python-requests
User-Agent without a valid token is a spider (403), an unban/unmute without a body fails with
NodeBB's own TypeError, and history entries carry their `type`.
NodeBB core has no HTTP rate limit, so neither has this sandbox; faults come from SandboxApp.

    RunningSandbox(NodeBBSandbox(NodeBBSandboxConfig(master_token=True)), port=4200)
"""

from __future__ import annotations

import copy
import logging
import math
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from .core import SandboxApp, SandboxConfig, json_response
from .nodebb_data import (
    POST_QUEUE_REASONS,
    NodeBBState,
    clean_tag,
    history_entry,
    new_group,
    new_user,
    seed_state,
    slugify,
)

# werkzeug logs every request at INFO through this logger; the sandbox stays quiet.
logging.getLogger("werkzeug").setLevel(logging.WARNING)

VERSION = "4.15.1"
MASTER_NO_UID = "A master token was received without a corresponding `_uid` in the request body"
MSG = {
    "not-logged-in": "A valid login session was not found. Please log in and try again.",
    "no-privileges": "You do not have enough privileges for this action.",
    "invalid-uid": "Invalid User ID",
    "no-user": "User does not exist",
    "no-group": "Group does not exist",
    "no-topic": "Topic does not exist",
    "not-allowed": "Not allowed",
    "invalid-data": "Invalid Data",
    "group-exists": "Group already exists",
    "invalid-group-name": "Invalid group name",
    "cant-ban-other-admins": "You can't ban other admins!",
    "cant-mute-other-admins": "You can't mute other admins!",
    # NodeBB has no translation for this key, so the raw key is what the API returns.
    "cant-delete-other-admins": "[[error:cant-delete-other-admins]]",
    "ban-expiry-missing": "Please provide an end date for this ban",
    "invalid-api-call": "Invalid API call",
    # [[error:api.403]]: what notAllowed() tells a spider (uid -1) on the write API
    "api-403": "You are not authorised to make this call",
    # body-parser 2 leaves req.body undefined without a body; the controller reads .reason
    "no-body-reason": "Cannot read properties of undefined (reading 'reason')",
    "serialize-user": "Failed to serialize user into session",
}
# The spider detector treats these agents as bots (uid -1) when no valid token is sent.
SPIDER_AGENTS = re.compile(r"python-requests/|bot\b|crawler|spider", re.IGNORECASE)
# Read API pages a guest (or spider) may load: view:users, view:tags and view:groups are
# granted to guests and spiders by default.
PUBLIC_READ = frozenset(
    {"read_config", "read_tags", "read_tag_topics", "read_users", "read_user_by_username",
     "read_user_by_email", "read_group"}
)  # fmt: skip
# Write API routes that run without ensureLoggedIn.
PUBLIC_WRITE = frozenset({"socket_io"})
CODES = {
    400: "bad-request",
    401: "not-authorised",
    403: "forbidden",
    404: "not-found",
    426: "upgrade-required",
    500: "internal-server-error",
    502: "internal-server-error",
    503: "internal-server-error",
}
PRIVILEGE_PREFIX = "cid:"
ACP_HIDDEN_GROUPS = {"registered-users", "verified-users", "unverified-users", "banned-users"}
GROUPS_PER_PAGE = 20  # /api/admin/manage/groups
MEMBERS_PER_PAGE = 20  # /api/v3/groups/{slug}/members
TOPICS_PER_PAGE = 20  # config topicsPerPage
QUEUE_PER_PAGE = 20  # /api/post-queue
USERS_PER_PAGE = 50  # /api/users (userSearchResultsPerPage)
ACP_PAGE_SIZES = (50, 100, 250, 500)
# The ACP user list's sortBy values and the field of each sorted set's score.
ACP_SORTS: dict[str, Any] = {
    "postcount": lambda u: u["postcount"],
    "reputation": lambda u: u["reputation"],
    "joindate": lambda u: u["joindate"],
    "lastonline": lambda u: u["lastonline"],
    "flags": lambda u: 0,
}
MAX_TAGS = 5  # maximumTagsPerTopic
# The user fields of /api/users rows and group member rows (read.yaml / write.yaml).
LIST_USER_FIELDS = (
    "uid", "isLocal", "username", "displayname", "userslug", "picture", "status", "postcount",
    "reputation", "email:confirmed", "lastonline", "flags", "banned", "banned:expire",
    "joindate", "icon:text", "icon:bgColor", "joindateISO", "lastonlineISO", "banned_until",
    "banned_until_readable",
)  # fmt: skip


@dataclass
class NodeBBSandboxConfig(SandboxConfig):
    """``api_key`` is the token; ``api_username`` is the uid it acts as (the admin, 1)."""

    api_username: str = "1"
    users: int = 120
    title: str = "Sandbox NodeBB"
    master_token: bool = False  # True: api_key is a master token, every call needs `_uid`
    # More user tokens (token -> uid), e.g. to act as a non-admin.
    user_tokens: dict[str, int] = field(default_factory=dict)
    version: str = VERSION


def _iso(ms: int) -> str:
    if not ms:
        return ""
    return (
        datetime.fromtimestamp(ms / 1000, tz=UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


def _now() -> int:
    return int(time.time() * 1000)


def _pagination(page: int, page_count: int) -> dict[str, Any]:
    page_count = max(page_count, 1)
    return {
        "currentPage": page,
        "pageCount": page_count,
        "qs": "",
        "prev": {"page": max(page - 1, 1), "active": page > 1, "qs": ""},
        "next": {"page": min(page + 1, page_count), "active": page < page_count, "qs": ""},
        "first": {"page": 1, "active": page == 1},
        "last": {"page": page_count, "active": page == page_count},
        "rel": [],
        "pages": [{"page": p, "active": p == page, "qs": ""} for p in range(1, page_count + 1)],
    }


def _page_number(request: Request) -> int:
    try:
        return max(int(request.args.get("page", 1)), 1)
    except ValueError:
        return 1


class NodeBBSandbox(SandboxApp):
    platform = "nodebb"

    def __init__(self, config: SandboxConfig | None = None) -> None:
        super().__init__(config or NodeBBSandboxConfig())
        self.state: NodeBBState

    # --- routes -----------------------------------------------------------------------------
    def rules(self) -> list[Rule]:
        v3 = "/api/v3"
        r = [
            # write API
            Rule(f"{v3}/users/", methods=["DELETE"], endpoint="users_bulk_delete"),
            Rule(f"{v3}/users/<int:uid>", methods=["GET", "HEAD"], endpoint="user_get"),
            Rule(f"{v3}/users/<int:uid>", methods=["DELETE"], endpoint="user_delete"),
            Rule(f"{v3}/users/<int:uid>/account", methods=["DELETE"],
                 endpoint="user_delete_account"),
            Rule(f"{v3}/users/<int:uid>/content", methods=["DELETE"],
                 endpoint="user_delete_content"),
            Rule(f"{v3}/users/<int:uid>/ban", methods=["PUT"], endpoint="user_ban"),
            Rule(f"{v3}/users/<int:uid>/ban", methods=["DELETE"], endpoint="user_unban"),
            Rule(f"{v3}/users/<int:uid>/mute", methods=["PUT"], endpoint="user_mute"),
            Rule(f"{v3}/users/<int:uid>/mute", methods=["DELETE"], endpoint="user_unmute"),
            Rule(f"{v3}/groups/", methods=["GET"], endpoint="groups_list"),
            Rule(f"{v3}/groups/", methods=["POST"], endpoint="group_create"),
            Rule(f"{v3}/groups/<slug>", methods=["HEAD"], endpoint="group_exists"),
            Rule(f"{v3}/groups/<slug>", methods=["PUT"], endpoint="group_update"),
            Rule(f"{v3}/groups/<slug>", methods=["DELETE"], endpoint="group_delete"),
            Rule(f"{v3}/groups/<slug>/members", methods=["GET"], endpoint="group_members"),
            Rule(f"{v3}/groups/<slug>/membership/<int:uid>", methods=["PUT"],
                 endpoint="group_join"),
            Rule(f"{v3}/groups/<slug>/membership/<int:uid>", methods=["DELETE"],
                 endpoint="group_leave"),
            Rule(f"{v3}/groups/<slug>/ownership/<int:uid>", methods=["PUT", "DELETE"],
                 endpoint="group_ownership"),
            Rule(f"{v3}/topics/<int:tid>", methods=["GET"], endpoint="topic_get"),
            Rule(f"{v3}/topics/<int:tid>/tags", methods=["PUT"], endpoint="topic_tags_set"),
            Rule(f"{v3}/topics/<int:tid>/tags", methods=["PATCH"], endpoint="topic_tags_add"),
            Rule(f"{v3}/topics/<int:tid>/tags", methods=["DELETE"], endpoint="topic_tags_clear"),
            # read API
            Rule("/api/config", methods=["GET"], endpoint="read_config"),
            Rule("/api/self", methods=["GET"], endpoint="read_self"),
            Rule("/api/admin/dashboard", methods=["GET"], endpoint="read_admin_dashboard"),
            Rule("/api/admin/manage/users", methods=["GET"], endpoint="read_admin_users"),
            Rule("/api/admin/manage/groups", methods=["GET"], endpoint="read_admin_groups"),
            Rule("/api/admin/manage/tags", methods=["GET"], endpoint="read_admin_tags"),
            Rule("/api/users", methods=["GET"], endpoint="read_users"),
            Rule("/api/user/username/<username>", methods=["GET"],
                 endpoint="read_user_by_username"),
            Rule("/api/user/email/<email>", methods=["GET"], endpoint="read_user_by_email"),
            Rule("/api/user/<userslug>/info", methods=["GET"], endpoint="read_user_info"),
            Rule("/api/groups/<slug>", methods=["GET"], endpoint="read_group"),
            Rule("/api/tags", methods=["GET"], endpoint="read_tags"),
            Rule("/api/tags/<tag>", methods=["GET"], endpoint="read_tag_topics"),
            Rule("/api/flags", methods=["GET"], endpoint="read_flags"),
            Rule("/api/post-queue", methods=["GET"], endpoint="read_post_queue"),
            # socket.io (the only way to create, rename or delete a tag site-wide)
            Rule("/socket.io/", methods=["GET", "POST"], endpoint="socket_io"),
        ]  # fmt: skip
        return r

    def reset(self) -> None:
        with self.lock:
            self.state = seed_state(seed=self.config.seed, users=self.config.users, now=_now())

    def add_person(self, *, username: str, email: str, name: str = "") -> int:
        """A new registered user (joined now, confirmed e-mail, no posts) for tests and the
        demo; returns the uid."""
        with self.lock:
            taken = self.find_user("username", username)
            if taken or self.find_user("userslug", slugify(username)):
                raise ValueError(f"username {username!r} is taken")
            if self.find_user("email", email):
                raise ValueError(f"e-mail {email!r} is taken")
            uid = self.state.next_uid
            self.state.next_uid += 1
            now = _now()
            user = new_user(uid, username, now, self._random)
            user.update(fullname=name, email=email, email_confirmed=True, joindate=now,
                        lastonline=now, postcount=0, topiccount=0, reputation=0)  # fmt: skip
            self.state.users[uid] = user
            self.state.groups["registered-users"]["members"].append(uid)
            return uid

    # --- envelopes --------------------------------------------------------------------------
    @staticmethod
    def ok(response: Any = None, status: int = 200) -> Response:
        return json_response(
            {
                "status": {"code": "ok", "message": "OK"},
                "response": {} if response is None else response,
            },
            status,
        )

    @staticmethod
    def fail(status: int, message: str, response: dict | None = None) -> Response:
        return json_response(
            {"status": {"code": CODES.get(status, "bad-request"), "message": message},
             "response": response or {}},
            status,
        )  # fmt: skip

    def page(self, request: Request, template: str, data: dict[str, Any]) -> Response:
        """A read API page: the data plus the fields every NodeBB page carries."""
        uid = self.caller(request)
        user = self.state.users.get(uid)
        base = {
            "loggedIn": uid > 0,
            "loggedInUser": {
                "uid": uid,
                "username": user["username"] if user else "[[global:guest]]",
                "picture": "",
                "icon:text": (user["username"][:1].upper() if user else "?"),
                "icon:bgColor": user["color"] if user else "#aaa",
            },
            "relative_path": "",
            "template": {"name": template, template: True},
            "url": request.path[len("/api") :],
            "bodyClass": f"page-{template.replace('/', '-')}",
            "_header": {"tags": {"meta": [], "link": []}},
            "widgets": {},
        }
        return json_response({**data, **base})

    def page_error(self, request: Request, status: int) -> Response:
        return json_response(
            {
                "path": request.path[len("/api") :],
                "loggedIn": self.caller(request) > 0,
                "title": f"[[global:{status}.title]]",
                "bodyClass": f"page-status-{status}",
            },
            status,
        )

    def not_found(self, request: Request) -> Response:
        if request.path.startswith("/api/v3/") or request.path == "/api/v3":
            return self.fail(404, MSG["invalid-api-call"])
        return self.page_error(request, 404)

    def server_error(self, status: int) -> Response:
        return self.fail(status, "Sandbox injected failure")

    def handle(self, request: Request) -> Response:
        response = super().handle(request)
        if response.status_code == 405:  # NodeBB's router answers unknown methods as unknown calls
            return self.not_found(request)
        return response

    # --- authentication ----------------------------------------------------------------------
    @staticmethod
    def is_write_api(request: Request) -> bool:
        return request.path == "/api/v3" or request.path.startswith("/api/v3/")

    def read_error(self, request: Request, status: int, error_key: str) -> Response:
        """The error handler's page JSON for a read API call (src/controllers/errors.js)."""
        return json_response(
            {"path": request.path[len("/api") :], "loggedIn": False, "error": error_key,
             "title": f"[[global:{status}.title]]", "bodyClass": f"page-status-{status}"},
            status,
        )  # fmt: skip

    def auth_failure(self, request: Request, status: int, message: str, key: str) -> Response:
        """An error thrown while authenticating: the write API wraps it in its envelope, the
        read API answers the error page JSON."""
        if self.is_write_api(request):
            return self.fail(status, message)
        return self.read_error(request, 500, key)

    def not_allowed(self, request: Request) -> Response:
        """helpers.notAllowed: 401 for a guest; 403 for a spider or a logged-in user."""
        if self.caller(request) > 0 or request.environ.get("nodebb.spider"):
            if self.is_write_api(request):
                # ENDPOINTS.md "NodeBB 4.15.1 answers" / `User-Agent: python-requests/*`: a bad
                # or missing token from that agent is a spider: 403 instead of 401
                return self.fail(403, MSG["api-403"])
            return self.page_error(request, 403)
        return self.fail(401, MSG["not-logged-in"])

    def before_endpoint(self, request: Request, endpoint: str) -> Response | None:
        request.environ["nodebb.uid"] = 0
        request.environ["nodebb.spider"] = False
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        token = token.strip() if scheme.lower() == "bearer" else ""
        cfg = self.config
        uid: int | None = None
        if token and token == cfg.api_key and getattr(cfg, "master_token", False):
            raw = request.args.get("_uid")
            if raw is None:
                body = request.get_json(silent=True)
                raw = body.get("_uid") if isinstance(body, dict) else None
            if raw is None:
                # ENDPOINTS.md "NodeBB 4.15.1 answers" / read API with a master token and no
                # `_uid`: 500 page JSON (the write API answers 400 with the envelope)
                if self.is_write_api(request):
                    return self.fail(400, MASTER_NO_UID)
                return self.read_error(request, 500, "[[error:api.master-token-no-uid]]")
            if str(raw) == "":
                # ENDPOINTS.md "NodeBB 4.15.1 answers" / any call with `_uid=` (empty): 500
                # "Failed to serialize user into session"
                return self.auth_failure(request, 500, MSG["serialize-user"],
                                         MSG["serialize-user"])  # fmt: skip
            try:
                uid = int(raw)
            except (TypeError, ValueError):
                uid = None
        elif token and token == cfg.api_key:
            uid = int(cfg.api_username or 1)
        elif token and token in getattr(cfg, "user_tokens", {}):
            uid = int(cfg.user_tokens[token])
        if uid is not None and uid in self.state.users:
            request.environ["nodebb.uid"] = uid
        else:
            # ENDPOINTS.md "NodeBB 4.15.1 answers" / no `Authorization` header (or a bad token):
            # the request goes on as a guest; public read pages answer 200
            agent = request.headers.get("User-Agent", "")
            request.environ["nodebb.spider"] = bool(SPIDER_AGENTS.search(agent))
        if request.environ["nodebb.uid"] > 0:
            return None
        if endpoint == "read_self":
            return None  # answers its own bare "not-authorized"
        if endpoint in PUBLIC_READ or endpoint in PUBLIC_WRITE:
            return None
        if request.method == "HEAD" and endpoint in ("user_get", "group_exists"):
            return None  # HEAD routes run without ensureLoggedIn
        # ENDPOINTS.md "NodeBB 4.15.1 answers" / no `Authorization` header: the write API (and
        # every page that needs a login) answers 401
        return self.not_allowed(request)

    @staticmethod
    def caller(request: Request) -> int:
        return int(request.environ.get("nodebb.uid", 0))

    def is_admin(self, uid: int) -> bool:
        return uid in self.state.groups["administrators"]["members"]

    def is_gmod(self, uid: int) -> bool:
        return uid in self.state.groups["Global Moderators"]["members"]

    def is_staff(self, uid: int) -> bool:
        return self.is_admin(uid) or self.is_gmod(uid)

    @staticmethod
    def body(request: Request) -> dict[str, Any]:
        data = request.get_json(silent=True)
        return data if isinstance(data, dict) else {}

    # --- shapes -------------------------------------------------------------------------------
    def ban_state(self, user: dict[str, Any]) -> tuple[bool, int]:
        """(banned, expire ms); an expired ban lifts itself when the user is read, recording an
        unban as User.bans.unban(uids, '[[user:info.ban-expired]]') does."""
        if user["banned"] and user["banned_expire"] and user["banned_expire"] <= _now():
            user["banned"], user["banned_expire"] = False, 0
            user["bans"].insert(
                0, history_entry("unban", 0, _now(), None, "[[user:info.ban-expired]]")
            )
            banned = self.state.groups["banned-users"]["members"]
            if user["uid"] in banned:
                banned.remove(user["uid"])
        return user["banned"], user["banned_expire"]

    def user_core(self, user: dict[str, Any], viewer: int) -> dict[str, Any]:
        banned, expire = self.ban_state(user)
        muted = bool(user["mutedUntil"] and user["mutedUntil"] > _now())
        show_email = self.is_admin(viewer) or viewer == user["uid"]
        return {
            "uid": user["uid"],
            "isLocal": True,
            "username": user["username"],
            "userslug": user["userslug"],
            "displayname": user["fullname"] or user["username"],
            "fullname": user["fullname"],
            "email": user["email"] if show_email and user["email_confirmed"] else "",
            "email:confirmed": 1 if user["email_confirmed"] else 0,
            "joindate": user["joindate"],
            "lastonline": user["lastonline"],
            "joindateISO": _iso(user["joindate"]),
            "lastonlineISO": _iso(user["lastonline"]),
            "picture": "",
            "uploadedpicture": "",
            "status": "offline",
            "reputation": user["reputation"],
            "postcount": user["postcount"],
            "topiccount": user["topiccount"],
            "lastposttime": user["lastonline"],
            "profileviews": 0,
            "flags": 0,
            "birthday": "",
            "aboutme": "",
            "signature": "",
            "followerCount": 0,
            "followingCount": 0,
            "cover:url": "",
            "cover:position": "50% 50%",
            "groupTitle": "",
            "groupTitleArray": [],
            "icon:text": user["username"][:1].upper(),
            "icon:bgColor": user["color"],
            "banned": banned,
            "banned:expire": expire,
            "banned_until": expire,
            # ENDPOINTS.md "NodeBB 4.15.1 answers" / user record after a mute: a user who is not
            # banned reads "[[user:info.banned-permanently]]" here (user/data.js)
            "banned_until_readable": _iso(expire) if expire else "[[user:info.banned-permanently]]",
            "muted": muted,
            "mutedUntil": user["mutedUntil"] if muted else 0,
            "mutedReason": user["mutedReason"] if muted else None,
            # ENDPOINTS.md "NodeBB 4.15.1 answers" / user record after a mute: it has
            # muted_until_readable (and no location or website)
            **({"muted_until_readable": _iso(user["mutedUntil"])} if muted else {}),
        }

    def acp_user(self, user: dict[str, Any]) -> dict[str, Any]:
        core = self.user_core(user, viewer=1)
        keys = [
            "uid",
            "isLocal",
            "username",
            "displayname",
            "userslug",
            "email",
            "postcount",
            "joindate",
            "banned",
            "muted",
            "mutedUntil",
            "reputation",
            "picture",
            "flags",
            "lastonline",
            "email:confirmed",
            "icon:text",
            "icon:bgColor",
            "joindateISO",
            "lastonlineISO",
            "banned_until",
            "banned_until_readable",
        ]
        out = {k: core[k] for k in keys}
        out["email"] = user["email"] if user["email_confirmed"] else ""
        out["emailToConfirm"] = "" if user["email_confirmed"] else user["email"]
        out["email:pending"] = not user["email_confirmed"]
        out["email:expired"] = False
        out["administrator"] = self.is_admin(user["uid"])
        out["ip"] = "127.0.0.1"
        out["ips"] = []
        return out

    def group_data(self, group: dict[str, Any]) -> dict[str, Any]:
        return {
            "name": group["name"],
            "slug": group["slug"],
            "createtime": group["createtime"],
            "createtimeISO": _iso(group["createtime"]),
            "userTitle": group["userTitle"],
            "userTitleEscaped": group["userTitle"],
            "userTitleEnabled": group["userTitleEnabled"],
            "description": group["description"],
            "memberCount": len(group["members"]),
            "hidden": group["hidden"],
            "system": group["system"],
            "private": group["private"],
            "deleted": 0,
            "disableJoinRequests": group["disableJoinRequests"],
            "disableLeave": group["disableLeave"],
            "nameEncoded": group["name"].replace(" ", "%20"),
            "displayName": group["name"],
            "labelColor": "#000000",
            "textColor": "#ffffff",
            "icon": "",
            "cover:url": "",
            "cover:thumb:url": "",
            "cover:position": "50% 50%",
            "memberPostCids": "",
            "memberPostCidsArray": [],
        }

    def member_row(self, user: dict[str, Any], group: dict[str, Any], viewer: int) -> dict:
        core = self.user_core(user, viewer)
        keys = LIST_USER_FIELDS
        row = {k: core[k] for k in keys}
        row["isOwner"] = user["uid"] in group["owners"]
        return row

    def topic_data(self, topic: dict[str, Any], viewer: int) -> dict[str, Any]:
        author = self.state.users.get(topic["uid"])
        name = author["username"] if author else "[[global:former-user]]"
        slug = author["userslug"] if author else ""
        return {
            "tid": topic["tid"],
            "uid": topic["uid"],
            "cid": topic["cid"],
            "mainPid": topic["tid"] * 10,
            "title": topic["title"],
            "titleRaw": topic["title"],
            "slug": topic["slug"],
            "timestamp": topic["timestamp"],
            "timestampISO": _iso(topic["timestamp"]),
            "lastposttime": topic["timestamp"],
            "lastposttimeISO": _iso(topic["timestamp"]),
            "postcount": topic["postcount"],
            "viewcount": topic["viewcount"],
            "deleted": 0,
            "locked": 0,
            "pinned": 0,
            "upvotes": 0,
            "downvotes": 0,
            "votes": 0,
            "tags": [self.tag_row(t) for t in topic["tags"]],
            "category": {"cid": topic["cid"], "name": f"Category {topic['cid']}",
                         "slug": f"{topic['cid']}/category-{topic['cid']}", "icon": "fa-comments",
                         "bgColor": "#59b3d0", "color": "#ffffff", "disabled": 0},
            "user": {"uid": topic["uid"], "username": name, "userslug": slug,
                     "displayname": name, "picture": "", "icon:text": "?",
                     "icon:bgColor": "#aaa", "reputation": 0, "postcount": 0},
            "teaser": None,
            "isOwner": topic["uid"] == viewer,
            "ignored": False,
            "unread": False,
            "unreplied": topic["postcount"] <= 1,
            "icons": [],
            "index": 0,
            "thumb": "",
            "isSolved": 0,
        }  # fmt: skip

    def tag_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for topic in self.state.topics.values():
            for tag in topic["tags"]:
                counts[tag] = counts.get(tag, 0) + 1
        return counts

    @staticmethod
    def tag_row(tag: str, score: int | None = None) -> dict[str, Any]:
        row = {"value": tag, "valueEscaped": tag, "valueEncoded": tag, "class": tag}
        if score is not None:
            row["score"] = score
        return row

    def group_by_slug(self, slug: str) -> dict[str, Any] | None:
        for group in self.state.groups.values():
            if group["slug"] == slug or group["name"] == slug:
                return group
        return None

    def find_user(self, field_name: str, value: str) -> dict[str, Any] | None:
        value = value.lower()
        for user in self.state.users.values():
            if str(user[field_name]).lower() == value:
                return user
        return None

    # --- write API: users ----------------------------------------------------------------------
    def user_get(self, request: Request, uid: int) -> Response:
        user = self.state.users.get(uid)
        if user is None:
            return self.fail(404, MSG["no-user"])
        if request.method == "HEAD":
            return Response(status=200)
        return self.ok(self.user_core(user, self.caller(request)))

    def _moderation_target(self, request: Request, uid: int, admin_message: str) -> Response | dict:
        caller = self.caller(request)
        user = self.state.users.get(uid)
        if user is None:
            return self.fail(404, MSG["no-user"])
        if not self.is_staff(caller):
            return self.fail(403, MSG["no-privileges"])
        if self.is_admin(uid):
            # ENDPOINTS.md "NodeBB 4.15.1 answers" / ban or mute an admin: 400 "You can't ban
            # other admins!" / "You can't mute other admins!"
            return self.fail(400, MSG[admin_message])
        return user

    def user_ban(self, request: Request, uid: int) -> Response:
        body = self.body(request)
        try:
            until = int(body.get("until") or 0)
        except (TypeError, ValueError):
            return self.fail(400, MSG["invalid-data"])
        with self.lock:
            user = self._moderation_target(request, uid, "cant-ban-other-admins")
            if isinstance(user, Response):
                return user
            now = _now()
            if until and until <= now:
                return self.fail(400, MSG["ban-expiry-missing"])
            reason = str(body.get("reason") or "")
            user["banned"], user["banned_expire"] = True, until
            user["bans"].insert(0, history_entry("ban", self.caller(request), now,
                                                 until if until > now else 0, reason))  # fmt: skip
            banned = self.state.groups["banned-users"]["members"]
            if uid not in banned:
                banned.append(uid)
        return self.ok()

    @staticmethod
    def lift_reason(request: Request) -> str | Response:
        """``req.query.reason || req.body.reason``, as the unban/unmute controllers read it."""
        if request.args.get("reason"):
            return str(request.args["reason"])
        parsed = request.mimetype in ("application/json", "application/x-www-form-urlencoded")
        if not (request.content_length and parsed):
            # ENDPOINTS.md "NodeBB 4.15.1 answers" / DELETE ban or mute with no body and no
            # non-empty ?reason=: 400 "Cannot read properties of undefined (reading 'reason')"
            return NodeBBSandbox.fail(400, MSG["no-body-reason"])
        if request.mimetype == "application/json":
            body = request.get_json(silent=True)
            if not isinstance(body, dict):
                return NodeBBSandbox.fail(400, MSG["invalid-data"])
        else:
            body = request.form
        return str(body.get("reason") or "")

    def user_unban(self, request: Request, uid: int) -> Response:
        reason = self.lift_reason(request)
        if isinstance(reason, Response):
            return reason  # nothing changes: the user stays banned
        with self.lock:
            user = self._moderation_target(request, uid, "cant-ban-other-admins")
            if isinstance(user, Response):
                return user
            user["banned"], user["banned_expire"] = False, 0
            # ENDPOINTS.md "NodeBB 4.15.1 answers" / moderation history: an unban is its own
            # entry, {"type":"unban","expire":null,...}
            user["bans"].insert(0, history_entry("unban", self.caller(request), _now(), None,
                                                 reason))  # fmt: skip
            banned = self.state.groups["banned-users"]["members"]
            if uid in banned:
                banned.remove(uid)
        return self.ok()

    def user_mute(self, request: Request, uid: int) -> Response:
        body = self.body(request)
        try:
            until = int(body.get("until") or 0)
        except (TypeError, ValueError):
            return self.fail(400, MSG["invalid-data"])
        with self.lock:
            user = self._moderation_target(request, uid, "cant-mute-other-admins")
            if isinstance(user, Response):
                return user
            reason = str(body.get("reason") or "[[user:info.mute-reason-default]]")
            user["mutedUntil"], user["mutedReason"] = until, reason
            user["mutes"].insert(0, history_entry("mute", self.caller(request), _now(), until,
                                                  str(body.get("reason") or "")))  # fmt: skip
        return self.ok()

    def user_unmute(self, request: Request, uid: int) -> Response:
        reason = self.lift_reason(request)
        if isinstance(reason, Response):
            return reason  # nothing changes: the user stays muted
        with self.lock:
            user = self._moderation_target(request, uid, "cant-mute-other-admins")
            if isinstance(user, Response):
                return user
            user["mutedUntil"], user["mutedReason"] = 0, ""
            user["mutes"].insert(0, history_entry("unmute", self.caller(request), _now(), None,
                                                  reason))  # fmt: skip
        return self.ok()

    def _delete(self, request: Request, uid: int, *, account: bool, content: bool) -> Response:
        caller = self.caller(request)
        with self.lock:
            user = self.state.users.get(uid)
            if user is None:
                return self.fail(404, MSG["no-user"])
            if not self.is_admin(caller):
                return self.fail(403, MSG["no-privileges"])
            if self.is_admin(uid):
                return self.fail(400, MSG["cant-delete-other-admins"])
            self._remove(uid, account=account, content=content)
        return self.ok()

    def _remove(self, uid: int, *, account: bool, content: bool) -> None:
        if content:
            for tid in [t for t, topic in self.state.topics.items() if topic["uid"] == uid]:
                del self.state.topics[tid]
            self.state.queue = [q for q in self.state.queue if q["uid"] != uid]
            user = self.state.users[uid]
            user["postcount"] = user["topiccount"] = 0
        if account:
            del self.state.users[uid]
            for group in self.state.groups.values():
                if uid in group["members"]:
                    group["members"].remove(uid)
                if uid in group["owners"]:
                    group["owners"].remove(uid)

    def user_delete(self, request: Request, uid: int) -> Response:
        return self._delete(request, uid, account=True, content=True)

    def user_delete_account(self, request: Request, uid: int) -> Response:
        return self._delete(request, uid, account=True, content=False)

    def user_delete_content(self, request: Request, uid: int) -> Response:
        return self._delete(request, uid, account=False, content=True)

    def users_bulk_delete(self, request: Request) -> Response:
        uids = self.body(request).get("uids")
        if uids is None:
            return self.fail(
                400,
                "Required parameters were missing from this API call: uids",
                {"params": ["uids"]},
            )
        if not isinstance(uids, list):
            return self.fail(400, MSG["invalid-data"])
        with self.lock:
            if not self.is_admin(self.caller(request)):
                return self.fail(403, MSG["no-privileges"])
            try:
                ids = [int(u) for u in uids]
            except (TypeError, ValueError):
                return self.fail(400, MSG["invalid-data"])
            # ENDPOINTS.md "NodeBB 4.15.1 answers" / bulk `DELETE /api/v3/users` with an admin
            # uid: 400 [[error:cant-delete-other-admins]] (untranslated) for the whole call
            if any(self.is_admin(u) for u in ids):
                return self.fail(400, MSG["cant-delete-other-admins"])
            if any(u not in self.state.users for u in ids):
                return self.fail(404, MSG["no-user"])
            for uid in dict.fromkeys(ids):
                self._remove(uid, account=True, content=True)
        return self.ok()

    # --- write API: groups ---------------------------------------------------------------------
    def groups_list(self, request: Request) -> Response:
        """GET /api/v3/groups: 10 groups from ``after`` (the spec also documents ``page``)."""
        caller = self.caller(request)
        try:
            start = int(request.args.get("after") or (_page_number(request) - 1) * 10)
        except ValueError:
            start = 0
        sort = request.args.get("sort", "alpha")
        groups = self.visible_groups(caller)
        if sort == "count":
            groups.sort(key=lambda g: -len(g["members"]))
        elif sort == "date":
            groups.sort(key=lambda g: -g["createtime"])
        chosen = groups[start : start + 10]
        rows = []
        for g in chosen:
            members = [self.state.users[u] for u in g["members"][:4] if u in self.state.users]
            rows.append({**self.group_data(g), "truncated": len(g["members"]) > 4, "members": [
                {"uid": m["uid"], "username": m["username"], "userslug": m["userslug"],
                 "displayname": m["username"], "icon:text": m["username"][:1].upper(),
                 "icon:bgColor": m["color"]} for m in members]})  # fmt: skip
        return self.ok({"groups": rows, "nextStart": start + 10})

    def visible_groups(self, caller: int) -> list[dict[str, Any]]:
        admin = self.is_admin(caller)
        return sorted(
            (
                g
                for g in self.state.groups.values()
                if not g["name"].startswith(PRIVILEGE_PREFIX)
                and g["name"] not in ACP_HIDDEN_GROUPS
                and (admin or not g["hidden"])
            ),
            key=lambda g: g["name"].lower(),
        )

    def group_create(self, request: Request) -> Response:
        body = self.body(request)
        caller = self.caller(request)
        name = body.get("name")
        if name is None:
            return self.fail(
                400, "Required parameters were missing from this API call: name",
                {"params": ["name"]},
            )  # fmt: skip
        if not isinstance(name, str) or not name.strip() or name.startswith(PRIVILEGE_PREFIX):
            return self.fail(400, MSG["invalid-group-name"])
        with self.lock:
            if not self.is_admin(caller):
                return self.fail(403, MSG["no-privileges"])
            if name in self.state.groups or self.group_by_slug(slugify(name)):
                # ENDPOINTS.md "NodeBB 4.15.1 answers" / unknown group: a duplicate name on
                # create is 400 "Group already exists"
                return self.fail(400, MSG["group-exists"])
            group = new_group(name, _now(), createtime=_now())
            for key in ("description",):
                if isinstance(body.get(key), str):
                    group[key] = body[key]
            for key in ("hidden", "private", "disableJoinRequests", "disableLeave",
                        "userTitleEnabled"):  # fmt: skip
                if key in body:
                    group[key] = 1 if body[key] in (1, "1", True, "true") else 0
            group["owners"] = [caller]
            group["members"] = [caller]
            self.state.groups[name] = group
            return self.ok(self.group_data(group))

    def group_exists(self, request: Request, slug: str) -> Response:
        return Response(status=200 if self.group_by_slug(slug) else 404)

    def _group_owner_check(self, request: Request, group: dict[str, Any]) -> Response | None:
        caller = self.caller(request)
        if caller in group["owners"] or self.is_admin(caller):
            return None
        if self.is_gmod(caller) and not group["system"]:
            return None
        return self.fail(403, MSG["no-privileges"])

    def group_update(self, request: Request, slug: str) -> Response:
        body = self.body(request)
        with self.lock:
            group = self.group_by_slug(slug)
            if group is None:
                return self.fail(404, MSG["no-group"])
            denied = self._group_owner_check(request, group)
            if denied:
                return denied
            new_name = body.get("name")
            if isinstance(new_name, str) and new_name != group["name"]:
                if group["system"]:
                    return self.fail(400, MSG["not-allowed"])
                if new_name in self.state.groups or new_name.startswith(PRIVILEGE_PREFIX):
                    return self.fail(400, MSG["group-exists"])
                del self.state.groups[group["name"]]
                group["name"], group["slug"] = new_name, slugify(new_name)
                self.state.groups[new_name] = group
            if isinstance(body.get("description"), str):
                group["description"] = body["description"]
            for key in ("hidden", "private", "disableJoinRequests", "disableLeave",
                        "userTitleEnabled"):  # fmt: skip
                if key in body:
                    group[key] = 1 if body[key] in (1, "1", True, "true") else 0
            if isinstance(body.get("userTitle"), str):
                group["userTitle"] = body["userTitle"]
            return self.ok(self.group_data(group))

    def group_delete(self, request: Request, slug: str) -> Response:
        with self.lock:
            group = self.group_by_slug(slug)
            if group is None:
                return self.fail(404, MSG["no-group"])
            denied = self._group_owner_check(request, group)
            if denied:
                return denied
            if group["system"]:
                return self.fail(400, MSG["not-allowed"])
            del self.state.groups[group["name"]]
        return self.ok()

    def group_members(self, request: Request, slug: str) -> Response:
        group = self.group_by_slug(slug)
        caller = self.caller(request)
        if group is None:
            return self.fail(404, MSG["no-group"])
        if group["hidden"] and not self.is_admin(caller) and caller not in group["members"]:
            return self.fail(403, MSG["no-privileges"])
        query = (request.args.get("query") or "").lower()
        owners = [u for u in group["owners"] if u in self.state.users]
        ordered = owners + [u for u in group["members"] if u not in owners]
        users = [self.state.users[u] for u in ordered if u in self.state.users]
        if query:
            matches = [u for u in users if u["username"].lower().startswith(query)]
            rows = [self.member_row(u, group, caller) for u in matches]
            return self.ok({"users": rows, "matchCount": len(rows), "timing": "0.00",
                            "nextStart": None})  # fmt: skip
        try:
            after = max(int(request.args.get("after") or 0), 0)
        except ValueError:
            after = 0
        chunk = users[after : after + MEMBERS_PER_PAGE]
        rows = [self.member_row(u, group, caller) for u in chunk]
        if after:
            # ENDPOINTS.md "NodeBB 4.15.1 answers" / group members: rows after the first page
            # carry no isOwner
            for row in rows:
                row.pop("isOwner", None)
        next_start = after + MEMBERS_PER_PAGE if len(chunk) == MEMBERS_PER_PAGE else None
        # ENDPOINTS.md "NodeBB 4.15.1 answers" / group members: 20 per page with after /
        # nextStart; the response adds matchCount and timing
        return self.ok({"users": rows, "matchCount": len(users), "timing": "0.00",
                        "nextStart": next_start})  # fmt: skip

    def _membership(self, request: Request, slug: str, uid: int) -> Response | dict:
        group = self.group_by_slug(slug)
        if group is None:
            # ENDPOINTS.md "NodeBB 4.15.1 answers" / unknown group: 404 "Group does not exist"
            return self.fail(404, MSG["no-group"])
        if group["name"] == "administrators":
            # ENDPOINTS.md "NodeBB 4.15.1 answers" / membership or ownership of
            # `administrators` with a token: 401 not-authorised (requireAPIReAuth)
            return self.fail(401, MSG["not-logged-in"])
        if uid not in self.state.users:
            # ENDPOINTS.md "NodeBB 4.15.1 answers" / unknown uid in a membership call: 401
            # "Invalid User ID"
            return self.fail(401, MSG["invalid-uid"])
        caller = self.caller(request)
        admin = self.is_admin(caller)
        if not admin and (group["system"] or group["name"].startswith(PRIVILEGE_PREFIX)):
            return self.fail(400, MSG["not-allowed"])
        if not (admin or caller in group["owners"] or caller == uid):
            return self.fail(403, MSG["no-privileges"])
        return group

    def group_join(self, request: Request, slug: str, uid: int) -> Response:
        with self.lock:
            group = self._membership(request, slug, uid)
            if isinstance(group, Response):
                return group
            if uid not in group["members"]:
                group["members"].append(uid)
        return self.ok()

    def group_leave(self, request: Request, slug: str, uid: int) -> Response:
        with self.lock:
            group = self._membership(request, slug, uid)
            if isinstance(group, Response):
                return group
            if uid in group["members"]:
                group["members"].remove(uid)
            if uid in group["owners"]:
                group["owners"].remove(uid)
        return self.ok()

    def group_ownership(self, request: Request, slug: str, uid: int) -> Response:
        if self.group_by_slug(slug) is None:
            return self.fail(404, MSG["no-group"])
        # ENDPOINTS.md "NodeBB 4.15.1 answers" / membership or ownership of `administrators`
        # with a token: 401 (ownership needs re-auth for every group)
        return self.fail(401, MSG["not-logged-in"])

    # --- write API: topic tags -----------------------------------------------------------------
    def topic_get(self, request: Request, tid: int) -> Response:
        """ENDPOINTS.md Tags: a topic with its tags as tag objects (``GET /api/v3/topics/{tid}``,
        write.yaml; topics.getTopicData), read before a retag removes one of them."""
        topic = self.state.topics.get(tid)
        if topic is None:
            # ENDPOINTS.md "Response / error shape": `[[error:no-topic]]` gives 404
            return self.fail(404, MSG["no-topic"])
        data = self.topic_data(topic, self.caller(request))
        for key in ("category", "user", "teaser", "isOwner", "ignored", "unread", "unreplied",
                    "icons", "index"):  # fmt: skip
            data.pop(key, None)  # the page's extras, not getTopicData's fields
        return self.ok(data)

    def _topic_for_tagging(self, request: Request, tid: int) -> Response | dict:
        topic = self.state.topics.get(tid)
        if topic is None:
            return self.fail(404, MSG["no-topic"])
        caller = self.caller(request)
        if not (self.is_staff(caller) or topic["uid"] == caller):
            return self.fail(403, MSG["no-privileges"])
        return topic

    def _tags_from(self, request: Request) -> list[str] | Response:
        tags = self.body(request).get("tags")
        if tags is None:
            return self.fail(
                400, "Required parameters were missing from this API call: tags",
                {"params": ["tags"]},
            )  # fmt: skip
        if not isinstance(tags, list):
            return self.fail(400, MSG["invalid-data"])
        return [t for t in dict.fromkeys(clean_tag(t) for t in tags) if t]

    def _set_tags(self, request: Request, tid: int, *, append: bool) -> Response:
        with self.lock:
            topic = self._topic_for_tagging(request, tid)
            if isinstance(topic, Response):
                return topic
            tags = self._tags_from(request)
            if isinstance(tags, Response):
                return tags
            new = list(dict.fromkeys((topic["tags"] if append else []) + tags))
            if len(new) > MAX_TAGS:
                return self.fail(
                    400, f"Too many tags. Topics can't have more than {MAX_TAGS} tag(s)"
                )
            topic["tags"] = new
            # ENDPOINTS.md "NodeBB 4.15.1 answers" / PUT/PATCH topic tags: tag objects
            # {value, valueEncoded, class}
            return self.ok([{"value": t, "valueEncoded": t, "class": t} for t in new])

    def topic_tags_set(self, request: Request, tid: int) -> Response:
        return self._set_tags(request, tid, append=False)

    def topic_tags_add(self, request: Request, tid: int) -> Response:
        return self._set_tags(request, tid, append=True)

    def topic_tags_clear(self, request: Request, tid: int) -> Response:
        with self.lock:
            topic = self._topic_for_tagging(request, tid)
            if isinstance(topic, Response):
                return topic
            topic["tags"] = []
        return self.ok()

    # --- socket.io --------------------------------------------------------------------------------
    def socket_io(self, request: Request) -> Response:
        """Only the handshake's refusal of a Bearer token is modelled: the sandbox speaks no
        socket.io and keeps no cookie sessions, which real NodeBB needs for admin.tags.*."""
        if request.headers.get("Authorization", "").lower().startswith("bearer "):
            # ENDPOINTS.md "NodeBB 4.15.1 answers" / site-wide tag rename / delete / create:
            # socket.io takes the user only from the session cookie; a Bearer token alone is
            # refused (403 on connect)
            return json_response({"code": 4, "message": "Forbidden"}, 403)
        return json_response({"code": 3, "message": "Bad request"}, 400)

    # --- read API ------------------------------------------------------------------------------
    def read_config(self, request: Request) -> Response:
        # ENDPOINTS.md "NodeBB 4.15.1 answers" / `GET /api/config` with a bad token: 200, the
        # guest config (the bad token was taken for a guest in before_endpoint)
        uid = self.caller(request)
        return json_response(
            {
                "relative_path": "",
                "upload_url": "/assets/uploads",
                "asset_base_url": "/assets",
                "assetBaseUrl": "/assets",
                "url": request.host_url.rstrip("/"),
                "siteTitle": self.config.title,
                "browserTitle": self.config.title,
                "titleLayout": "{pageTitle} | {browserTitle}",
                "showSiteTitle": True,
                "maintenanceMode": False,
                "postQueue": 1,
                "minimumTagsPerTopic": 0,
                "maximumTagsPerTopic": MAX_TAGS,
                "topicsPerPage": TOPICS_PER_PAGE,
                "postsPerPage": 20,
                "loggedIn": uid > 0,
                "uid": uid,
                "csrf_token": "sandbox-csrf-token",
                "defaultLang": "en-GB",
                "userLang": "en-GB",
                "searchEnabled": True,
                "disableChat": False,
                "usePagination": False,
            }
        )

    def read_self(self, request: Request) -> Response:
        uid = self.caller(request)
        if uid <= 0:
            # ENDPOINTS.md "NodeBB 4.15.1 answers" / `GET /api/self` with a bad token: 401 with
            # the bare JSON string "not-authorized" (no envelope)
            return json_response("not-authorized", 401)
        data = self.user_core(self.state.users[uid], uid)
        data.update(
            {
                "email:confirmed": bool(data["email:confirmed"]),
                "isAdmin": self.is_admin(uid),
                "isGlobalModerator": self.is_gmod(uid),
                "isModerator": self.is_staff(uid),
                "isAdminOrGlobalModerator": self.is_staff(uid),
                "isSelf": True,
                "yourid": uid,
                "theirid": uid,
                "isTargetAdmin": self.is_admin(uid),
            }
        )
        return json_response(data)

    def _admin_only(self, request: Request) -> Response | None:
        if not self.is_admin(self.caller(request)):
            return self.page_error(request, 403)
        return None

    def read_admin_dashboard(self, request: Request) -> Response:
        denied = self._admin_only(request)
        if denied:
            return denied
        version = getattr(self.config, "version", VERSION)
        return self.page(request, "admin/dashboard", {
            "graphTitle": "Page views",
            "version": version,
            "lookupFailed": False,
            "latestVersion": version,
            "upgradeAvailable": False,
            "currentPrerelease": False,
            "hideAllTime": False,
            "notices": [],
            "canRestart": False,
            "lastrestart": None,
            "showSystemControls": True,
            "popularSearches": [],
            "stats": [],
        })  # fmt: skip

    def read_admin_users(self, request: Request) -> Response:
        denied = self._admin_only(request)
        if denied:
            return denied
        # ENDPOINTS.md "NodeBB 4.15.1 answers" / `GET /api/admin/manage/users`: resultsPerPage
        # snaps to 50/100/250/500 (src/controllers/admin/users.js: any other value is 50)
        try:
            per_page = int(request.args.get("resultsPerPage") or 50)
        except ValueError:
            per_page = 50
        if per_page not in ACP_PAGE_SIZES:
            per_page = 50
        page = _page_number(request)
        query = (request.args.get("query") or "").strip().lower()
        search_by = request.args.get("searchBy") or "username"
        filters = set(request.args.getlist("filters"))
        sort_by = request.args.get("sortBy") or ""
        if sort_by not in ACP_SORTS:
            sort_by = ""
        # ENDPOINTS.md, Users / list/search users (ACP): sortBy, sortDirection (desc unless
        # "asc"); the list is read from the sort's sorted set, newest/highest first by default
        descending = request.args.get("sortDirection", "desc") != "asc"
        users = list(self.state.users.values())
        if query:
            users = [u for u in users if self._matches(u, search_by, query)]
        now = _now()
        for name in filters:
            if name == "banned":
                users = [u for u in users if self.ban_state(u)[0]]
            elif name == "muted":
                users = [u for u in users if u["mutedUntil"] > now]
            elif name == "verified":
                users = [u for u in users if u["email_confirmed"]]
            elif name == "unverified":
                users = [u for u in users if not u["email_confirmed"]]
        if not query and not sort_by and not filters:
            # With neither a sort nor a filter NodeBB lists `users:online`: by last seen
            # (read.yaml's schema for this route names `sort_lastonline`).
            sort_by = "lastonline"
        key = ACP_SORTS.get(sort_by) or self._filter_order
        # Redis orders equal scores by member (the uid as text), reversed with the scores.
        users.sort(key=lambda u: (key(u), str(u["uid"])), reverse=descending)
        page_count = max(math.ceil(len(users) / per_page), 1)
        chunk = users[(page - 1) * per_page : page * per_page]
        data: dict[str, Any] = {
            "users": [self.acp_user(u) for u in chunk],
            "customUserFields": [],
            "page": page,
            "pageCount": page_count,
            "resultsPerPage": per_page,
            "reverse": descending,
            # ENDPOINTS.md "NodeBB 4.15.1 answers" / `GET /api/admin/manage/users`: userCount is
            # always the total number of users, whatever query or filters
            "userCount": len(self.state.users),
            "showInviteButton": True,
            "inviteOnly": False,
            "adminInviteOnly": False,
            "pagination": _pagination(page, page_count),
        }
        if query:
            # ENDPOINTS.md "NodeBB 4.15.1 answers" / `GET /api/admin/manage/users`: a search
            # also answers matchCount and timing
            data.update(matchCount=len(users), timing="0.00", query=request.args["query"])
        # The page says which sort it used (`sort_<sortBy>`); a search echoes the sortBy it was
        # given, so one without a sortBy says `sort_undefined` (src/controllers/admin/users.js).
        if sort_by or not query:
            data.update({"sortBy": sort_by, f"sort_{sort_by}": True})
        else:
            data["sort_undefined"] = True
        if request.args.get("searchBy"):
            data[f"searchBy_{request.args['searchBy']}"] = True
        for name in sorted(filters):
            data[f"filterBy_{name}"] = True
        return self.page(request, "admin/manage/users", data)

    @staticmethod
    def _filter_order(user: dict[str, Any]) -> int:
        """A filtered list without a sort is read from the filter's own set (`users:banned`
        is scored by the time of the ban); a search without one keeps the join order."""
        bans = [b for b in user["bans"] if b.get("type") == "ban"]
        if user["banned"] and bans:
            return int(bans[0].get("timestamp") or 0)
        return int(user["joindate"])

    @staticmethod
    def _matches(user: dict[str, Any], search_by: str, query: str) -> bool:
        if search_by == "uid":
            return str(user["uid"]) == query
        if search_by == "email":
            return str(user["email"]).lower().startswith(query)
        if search_by == "fullname":
            return query in str(user["fullname"]).lower()
        if search_by == "ip":
            return query == "127.0.0.1"
        return user["username"].lower().startswith(query)

    def read_users(self, request: Request) -> Response:
        caller = self.caller(request)
        staff = self.is_staff(caller)
        section = request.args.get("section") or "joindate"
        page = _page_number(request)
        users = list(self.state.users.values())
        query = (request.args.get("query") or request.args.get("term") or "").strip().lower()
        if query:
            search_by = request.args.get("searchBy") or "username"
            if search_by in ("email", "ip") and not staff:
                search_by = "username"
            users = [u for u in users if self._matches(u, search_by, query)]
        if section == "banned" and staff:
            users = [u for u in users if self.ban_state(u)[0]]
        elif section == "muted" and staff:
            users = [u for u in users if u["mutedUntil"] > _now()]
        keys = {"sort-posts": "postcount", "sort-reputation": "reputation",
                "online": "lastonline"}  # fmt: skip
        users.sort(key=lambda u: -u[keys.get(section, "joindate")])
        page_count = max(math.ceil(len(users) / USERS_PER_PAGE), 1)
        chunk = users[(page - 1) * USERS_PER_PAGE : page * USERS_PER_PAGE]
        rows = []
        for u in chunk:
            core = self.user_core(u, caller)
            rows.append({k: core[k] for k in LIST_USER_FIELDS})
        return self.page(request, "users", {
            "users": rows,
            "userCount": len(users),
            "title": "[[pages:users/latest]]",
            "isAdminOrGlobalMod": staff,
            "isAdmin": self.is_admin(caller),
            "isGlobalMod": self.is_gmod(caller),
            "displayUserSearch": True,
            f"section_{section}": True,
            "maximumInvites": 0,
            "inviteOnly": False,
            "adminInviteOnly": False,
            "invites": 0,
            "showInviteButton": False,
            "reputation:disabled": 0,
            "pagination": _pagination(page, page_count),
            "breadcrumbs": [{"text": "[[global:header.users]]"}],
        })  # fmt: skip

    def _profile(self, request: Request, user: dict[str, Any] | None) -> Response:
        if user is None:
            return self.page_error(request, 404)
        return json_response(self.user_core(user, self.caller(request)))

    def read_user_by_username(self, request: Request, username: str) -> Response:
        return self._profile(request, self.find_user("username", username))

    def read_user_by_email(self, request: Request, email: str) -> Response:
        user = self.find_user("email", email)
        if user is not None and not user["email_confirmed"]:
            user = None  # only confirmed addresses are in NodeBB's email:uid lookup
        return self._profile(request, user)

    def read_user_info(self, request: Request, userslug: str) -> Response:
        caller = self.caller(request)
        user = self.find_user("userslug", userslug)
        if user is None:
            return self.page_error(request, 404)
        if not self.is_staff(caller) and caller != user["uid"]:
            return self.page_error(request, 403)
        data = self.user_core(user, caller)

        def history(entries: list[dict[str, Any]], no_reason: str) -> list[dict[str, Any]]:
            """user/info.js formatBanMuteData over the stored records, newest first, 20 at most.

            ENDPOINTS.md "NodeBB 4.15.1 answers" / moderation history: entries carry `type`
            (ban, unban, mute, unmute); `expire` and `timestamp` are strings (hash fields); an
            unban or unmute is its own entry with "expire": null and "until": null.
            """
            rows = []
            for e in sorted(entries, key=lambda e: -e["timestamp"])[:20]:
                mod = self.state.users.get(e["fromUid"])
                expire = e["expire"]
                rows.append({
                    "type": e["type"], "uid": user["uid"], "fromUid": e["fromUid"],
                    "timestamp": str(e["timestamp"]), "timestampISO": _iso(e["timestamp"]),
                    "expire": None if expire is None else str(expire),
                    "until": expire, "untilISO": _iso(expire) if expire else None,
                    "reason": e["reason"] or no_reason,
                    "user": {"uid": e["fromUid"], "username": mod["username"] if mod else "",
                             "userslug": mod["userslug"] if mod else "", "picture": "",
                             "icon:text": mod["username"][:1].upper() if mod else "?",
                             "icon:bgColor": mod["color"] if mod else "#aaa"},
                })  # fmt: skip
            return rows

        groups = [
            self.group_data(g)
            for g in self.state.groups.values()
            if user["uid"] in g["members"] and not g["name"].startswith(PRIVILEGE_PREFIX)
        ]
        data.update(
            {
                "email:confirmed": bool(data["email:confirmed"]),
                "isAdmin": self.is_admin(caller),
                "isGlobalModerator": self.is_gmod(caller),
                "isTargetAdmin": self.is_admin(user["uid"]),
                "isSelf": caller == user["uid"],
                "yourid": caller,
                "theirid": user["uid"],
                "canBan": self.is_staff(caller),
                "canMute": self.is_staff(caller),
                "groups": groups,
                "history": {
                    "flags": [],
                    "bans": history(user["bans"], "[[user:info.banned-no-reason]]"),
                    "mutes": history(user["mutes"], "[[user:info.muted-no-reason]]"),
                },
                # ENDPOINTS.md "NodeBB 4.15.1 answers" / moderation history: the page also has
                # moderationNotes
                "moderationNotes": [],
                "sessions": [],
                "usernames": [],
                "emails": [],
                "moderationNote": "",
                "title": f"[[pages:account/info]] {user['username']}",
            }
        )
        return self.page(request, "account/info", data)

    def read_admin_groups(self, request: Request) -> Response:
        denied = self._admin_only(request)
        if denied:
            return denied
        page = _page_number(request)
        groups = self.visible_groups(self.caller(request))
        page_count = max(math.ceil(len(groups) / GROUPS_PER_PAGE), 1)
        chunk = groups[(page - 1) * GROUPS_PER_PAGE : page * GROUPS_PER_PAGE]
        rows = [{**self.group_data(g), "ownerUid": (g["owners"] or [0])[0]} for g in chunk]
        return self.page(request, "admin/manage/groups", {
            "groups": rows,
            "yourid": self.caller(request),
            "pagination": _pagination(page, page_count),
        })  # fmt: skip

    def read_group(self, request: Request, slug: str) -> Response:
        caller = self.caller(request)
        group = self.group_by_slug(slug)
        if (
            group is None
            or group["name"].startswith(PRIVILEGE_PREFIX)
            or (group["hidden"] and not self.is_admin(caller) and caller not in group["members"])
        ):
            return self.page_error(request, 404)
        members = [self.state.users[u] for u in group["members"] if u in self.state.users]
        data = {
            **self.group_data(group),
            "descriptionParsed": f"<p>{group['description']}</p>" if group["description"] else "",
            "members": [self.member_row(u, group, caller) for u in members[:MEMBERS_PER_PAGE]],
            "membersNextStart": MEMBERS_PER_PAGE,
            "pending": [],
            "invited": [],
            "isMember": caller in group["members"],
            "isPending": False,
            "isInvited": False,
            "isOwner": caller in group["owners"] or self.is_admin(caller),
        }
        return self.page(request, "groups/details", {
            "title": group["name"],
            "group": data,
            "posts": [],
            "isAdmin": self.is_admin(caller),
            "isGlobalMod": self.is_gmod(caller),
            "allowPrivateGroups": 1,
            "breadcrumbs": [{"text": "[[pages:groups]]", "url": "/groups"},
                            {"text": group["name"]}],
        })  # fmt: skip

    def _sorted_tags(self) -> list[tuple[str, int]]:
        return sorted(self.tag_counts().items(), key=lambda kv: (-kv[1], kv[0]))

    def read_tags(self, request: Request) -> Response:
        tags = self._sorted_tags()[:100]  # the page shows the first 100; more come by socket.io
        return self.page(request, "tags", {
            "tags": [self.tag_row(t, n) for t, n in tags],
            "displayTagSearch": True,
            "nextStart": 100,
            "title": "[[pages:tags]]",
            "breadcrumbs": [{"text": "[[tags:tags]]"}],
        })  # fmt: skip

    def read_admin_tags(self, request: Request) -> Response:
        denied = self._admin_only(request)
        if denied:
            return denied
        return self.page(request, "admin/manage/tags", {
            "tags": [self.tag_row(t, n) for t, n in self._sorted_tags()],
        })  # fmt: skip

    def read_tag_topics(self, request: Request, tag: str) -> Response:
        caller = self.caller(request)
        tag = clean_tag(tag)
        page = _page_number(request)
        topics = sorted(
            (t for t in self.state.topics.values() if tag in t["tags"]),
            key=lambda t: -t["timestamp"],
        )
        page_count = max(math.ceil(len(topics) / TOPICS_PER_PAGE), 1)
        chunk = topics[(page - 1) * TOPICS_PER_PAGE : page * TOPICS_PER_PAGE]
        return self.page(request, "tag", {
            "topics": [self.topic_data(t, caller) for t in chunk],
            "tag": tag,
            "title": f"[[pages:tag, {tag}]]",
            "canPost": True,
            "isFollowing": False,
            "showSelect": self.is_staff(caller),
            "showTopicTools": self.is_staff(caller),
            "allCategoriesUrl": f"tags/{tag}",
            "selectedCategory": None,
            "selectedCids": [],
            "rssFeedUrl": f"/tags/{tag}.rss",
            "feeds:disableRSS": 0,
            "pagination": _pagination(page, page_count),
            "breadcrumbs": [{"text": "[[tags:tags]]", "url": "/tags"}, {"text": tag}],
        })  # fmt: skip

    def read_flags(self, request: Request) -> Response:
        if not self.is_staff(self.caller(request)):
            return self.page_error(request, 403)
        flags = list(self.state.flags)
        state = request.args.get("state")
        if state:
            flags = [f for f in flags if f["state"] == state]
        try:
            per_page = min(max(int(request.args.get("perPage") or 20), 1), 100)
        except ValueError:
            per_page = 20
        page = _page_number(request)
        page_count = max(math.ceil(len(flags) / per_page), 1)
        chunk = flags[(page - 1) * per_page : page * per_page]
        rows = [
            {**copy.deepcopy(f), "datetimeISO": _iso(f["datetime"]),
             "labelClass": {"open": "info", "wip": "warning", "resolved": "success"}.get(
                 f["state"], "danger"),
             "target_readable": f"{f['type'].title()} {f['targetId']}"}
            for f in chunk
        ]  # fmt: skip
        return self.page(request, "flags/list", {
            "flags": rows,
            "count": len(flags),
            "analytics": [],
            "hasFilter": bool(state),
            "filters": {"state": state, "page": page, "perPage": per_page} if state
            else {"page": page, "perPage": per_page},
            "expanded": False,
            "sort": request.args.get("sort") or "newest",
            "title": "[[pages:flags]]",
            "selectedCategory": None,
            "selected": {},
            "pagination": _pagination(page, page_count),
            "breadcrumbs": [{"text": "[[pages:flags]]"}],
        })  # fmt: skip

    def read_post_queue(self, request: Request) -> Response:
        caller = self.caller(request)
        if not self.is_staff(caller):
            return self.page_error(request, 403)
        page = _page_number(request)
        queue = sorted(self.state.queue, key=lambda q: q["timestamp"])
        page_count = max(math.ceil(len(queue) / QUEUE_PER_PAGE), 1)
        chunk = queue[(page - 1) * QUEUE_PER_PAGE : page * QUEUE_PER_PAGE]
        posts = []
        for q in chunk:
            author = self.state.users.get(q["uid"])
            posts.append({
                "id": q["id"], "uid": q["uid"], "type": q["type"], "canEdit": True,
                "cid": q["cid"],
                "data": {"title": q["title"], "content": q["content"], "cid": q["cid"],
                         "tid": q["tid"], "uid": q["uid"], "timestamp": q["timestamp"],
                         "timestampISO": _iso(q["timestamp"])},
                "user": {"uid": q["uid"], "username": author["username"] if author else "",
                         "userslug": author["userslug"] if author else "", "picture": ""},
                "category": {"cid": q["cid"], "name": f"Category {q['cid']}"},
            })  # fmt: skip
        return self.page(request, "post-queue", {
            "title": "[[pages:post-queue]]",
            "allCategoriesUrl": "post-queue",
            "selectedCategory": None,
            "selectedCids": [],
            "posts": posts,
            "isAdmin": self.is_admin(caller),
            "canAccept": True,
            "enabled": 1,
            "singlePost": False,
            "privileges": {},
            # ENDPOINTS.md "NodeBB 4.15.1 answers" / `/api/post-queue`: adds customReasons
            "customReasons": [dict(r) for r in POST_QUEUE_REASONS],
            "pagination": _pagination(page, page_count),
            "breadcrumbs": [{"text": "[[pages:post-queue]]"}],
        })  # fmt: skip


__all__ = ["NodeBBSandbox", "NodeBBSandboxConfig"]
