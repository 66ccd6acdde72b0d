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

from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from ..core import SandboxApp, SandboxConfig, json_response
from .common import (
    CODES,
    GUEST_ANSWERED,
    MASTER_NO_UID,
    MSG,
    PUBLIC_READ,
    PUBLIC_WRITE,
    SPIDER_AGENTS,
    NodeBBSandboxConfig,
    _now,
)
from .groups import NodeBBGroups
from .health import NodeBBHealth
from .review import NodeBBReview
from .seed import (
    seed_state,
)
from .state import NodeBBState
from .tags import NodeBBTags
from .users import NodeBBUsers


class NodeBBSandbox(NodeBBGroups, NodeBBHealth, NodeBBReview, NodeBBTags, NodeBBUsers, SandboxApp):
    platform = "nodebb"
    # Express matches routes before it decodes a parameter: `/api/tags/x%2Fy` is the tag
    # "x/y", not the path /api/tags/x/y.
    routes_raw_path = True

    def __init__(self, config: SandboxConfig | None = None) -> None:
        super().__init__(config or NodeBBSandboxConfig())
        self.state: NodeBBState

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
            Rule(f"{v3}/flags/<int:flag_id>", methods=["GET"], endpoint="flag_get"),
            Rule(f"{v3}/flags/<int:flag_id>", methods=["PUT"], endpoint="flag_update"),
            Rule(f"{v3}/flags/<int:flag_id>/notes", methods=["POST"], endpoint="flag_note"),
            Rule(f"{v3}/posts/<int:pid>", methods=["DELETE"], endpoint="post_purge"),
            Rule(f"{v3}/posts/queue/<queue_id>", methods=["POST"], endpoint="queue_accept"),
            Rule(f"{v3}/posts/queue/<queue_id>", methods=["DELETE"], endpoint="queue_reject"),
            Rule(f"{v3}/posts/queue/<queue_id>/notify", methods=["POST"],
                 endpoint="queue_notify"),
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
            Rule("/api/post-queue/<queue_id>", methods=["GET"], endpoint="read_post_queue_one"),
            # socket.io (the only way to create, rename or delete a tag site-wide)
            Rule("/socket.io/", methods=["GET", "POST"], endpoint="socket_io"),
        ]  # fmt: skip
        return r

    def control_extra(self, request: Request, action: str) -> Response | None:
        """``POST /__sandbox__/flags`` and ``/__sandbox__/queue`` (review.py)."""
        return self.review_control(request, action)

    def reset(self) -> None:
        with self.lock:
            self.state = seed_state(seed=self.config.seed, users=self.config.users, now=_now())

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
        if endpoint in GUEST_ANSWERED:
            return None  # the handler answers a guest as NodeBB does (review.py)
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

    def _admin_only(self, request: Request) -> Response | None:
        if not self.is_admin(self.caller(request)):
            return self.page_error(request, 403)
        return None
