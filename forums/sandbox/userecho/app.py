"""A simulated UserEcho project: REST API v2 under /api/v2, every command ending in `.json`.

It models shared/specs/userecho/ENDPOINTS.md: the envelope {status, data, message, details},
`page`/`limit` paging with `details.count`, `filter__*` and `order_by`, the token in the
`access_token` query parameter (and the official C# client's Bearer header), read/write/all
token scopes, acting as another user through `sso_token` / `user_sso_guid` / `user_id` with the
silent fall-back to the token's own user, collection-level PUT/DELETE with the id in the body,
`status`/`type` as an object or a bare id, drifting field names, users created by
`get_or_create` and `sso_token`, and the logout GET that clears sessions. Rules marked [I] in
ENDPOINTS.md are what the sources leave open; each has a switch in ``UserEchoSandboxConfig``
so a client can be tested against every answer a real project might give. Faults and the call
log come from SandboxApp; UserEcho documents no rate limit, so there is none unless configured.

    RunningSandbox(UserEchoSandbox(UserEchoSandboxConfig(later_routes=LATER_ROUTES)), port=4300)

Each rule cites ENDPOINTS.md: a section (1.5), a row (U5) or a trap (trap 7), and its evidence
mark: [D] documented, [C] seen in a client, [I] inferred.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from ..core import SandboxApp, SandboxConfig, SlidingWindowLimiter, ceil_seconds, json_response
from .common import (
    ANONYMOUS_ID,
    API,
    DEFAULT_LIMIT,
    ERROR_CODES,
    FILTER_CONDITIONS,
    UserEchoSandboxConfig,
    _allowed,
    _matches,
    _now,
    _scopes,
    _sort_key,
)
from .forums import UserEchoForums
from .groups import UserEchoGroups
from .hooks import UserEchoHooks
from .review import UserEchoReview
from .seed import (
    new_user,
    seed_state,
)
from .state import UserEchoState
from .tags import UserEchoTags
from .topics import UserEchoTopics
from .users import UserEchoUsers


class UserEchoSandbox(
    UserEchoForums,
    UserEchoGroups,
    UserEchoHooks,
    UserEchoReview,
    UserEchoTags,
    UserEchoTopics,
    UserEchoUsers,
    SandboxApp,
):
    platform = "userecho"

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.access: dict[str, str] = {}
        self.later: dict[str, str] = {}
        super().__init__(config or UserEchoSandboxConfig())
        self.state: UserEchoState
        self.limiter = SlidingWindowLimiter(max(self.config.requests_per_minute, 1))

    def rules(self) -> list[Rule]:
        """One row per operation: path, method, endpoint, scope needed (SEED column), and the
        later-reference name when only REF-NEW lists it."""
        table = [
            # 2.1 users (project-wide)
            ("users", "GET", "users_list", "read", None),  # U1 [D] SEED:6
            ("users/current", "GET", "user_current", "read", None),  # U2 [D] SEED:7
            ("users/<int:user_id>", "GET", "user_get", "read", None),  # U3 [D] SEED:8
            ("users/<int:user_id>", "PUT", "user_update", "all", "user_update"),  # U7 REF-NEW
            ("users/<int:user_id>", "DELETE", "user_delete", "all", "user_delete"),  # U8 REF-NEW
            ("users/sso/<sso_guid>", "GET", "user_by_sso", "read", None),  # U4 [D] SEED:9
            ("users/<int:user_id>/logout", "GET", "user_logout", "all", None),  # U5 [D] SEED:10
            ("users/get_or_create", "POST", "user_get_or_create", "all", None),  # U6 [D] SEED:11
            ("users/<int:user_id>/subscriptions", "GET", "user_subscriptions", "read",
             "user_subscriptions"),  # U9 REF-NEW
            ("users/<int:user_id>/subscriptions", "PUT", "user_subscriptions_update", "all",
             "user_subscriptions"),  # U10 REF-NEW
            ("users/<int:user_id>/group", "POST", "user_group_add", "all", "user_group"),  # U11
            ("users/<int:user_id>/group", "DELETE", "user_group_remove", "all",
             "user_group"),  # U12 REF-NEW
            ("users/<int:user_id>/topics", "GET", "user_topics", "read", None),  # U13 [D]
            ("users/<int:user_id>/comments", "GET", "user_comments", "read", None),  # U14
            # 2.2 user groups [D] SEED:16-19: every operation needs "all"
            ("users/groups", "GET", "groups_list", "all", None),
            ("users/groups", "POST", "group_create", "all", None),
            ("users/groups", "PUT", "group_update", "all", None),
            ("users/groups", "DELETE", "group_delete", "all", None),
            # 2.3 forums
            ("forums", "GET", "forums_list", "read", None),  # F1 [D] SEED:24
            ("forums", "POST", "forum_create", "all", None),  # F2 [D] SEED:25
            ("forums", "PUT", "forum_update", "all", "forum_update"),  # F3 REF-NEW
            ("forums", "DELETE", "forum_delete", "all", None),  # F4 [D] SEED:26
            # 2.4 per forum; writes are "write, all" in the seed
            ("forums/<int:forum_id>/types", "GET", "types_list", "read", None),  # T1 SEED:31
            ("forums/<int:forum_id>/types/<int:type_id>/statuses", "GET", "statuses_list",
             "read", "type_statuses"),  # T2 REF-NEW
            ("forums/<int:forum_id>/categories", "GET", "categories_list", "read", None),  # C1
            ("forums/<int:forum_id>/categories", "POST", "category_create", "write", None),  # C2
            ("forums/<int:forum_id>/categories", "PUT", "category_update", "write", None),  # C3
            ("forums/<int:forum_id>/categories", "DELETE", "category_delete", "write", None),
            ("forums/<int:forum_id>/tags", "GET", "tags_list", "read", None),  # TG1 SEED:33
            ("forums/<int:forum_id>/tags", "POST", "tag_create", "write", None),  # TG2 SEED:36
            ("forums/<int:forum_id>/tags", "PUT", "tag_update", "write", None),  # TG3 SEED:40
            ("forums/<int:forum_id>/tags", "DELETE", "tag_delete", "write", None),  # TG4 SEED:42
            ("forums/<int:forum_id>/access_list", "GET", "access_list", "read", None),  # A1
            ("forums/<int:forum_id>/access_list", "POST", "access_add", "write", None),  # A2
            ("forums/<int:forum_id>/access_list", "DELETE", "access_remove", "write", None),
            # 2.5 topics
            ("forums/<int:forum_id>/topics", "GET", "forum_topics", "read", None),  # P1 SEED:47
            ("forums/<int:forum_id>/topics", "POST", "topic_create", "write", None),  # P2
            ("forums/<int:forum_id>/topics", "PUT", "topic_update", "write", None),  # P3 SEED:49
            ("forums/<int:forum_id>/users/<int:user_id>/topics", "GET", "forum_user_topics",
             "read", None),  # P4 [D] SEED:50
            ("forums/<int:forum_id>/topics/search", "GET", "topics_search", "read", None),  # P5
            ("categories/<int:category_id>/topics", "GET", "category_topics", "read", None),
            ("tags/<int:tag_id>/topics", "GET", "tag_topics", "read", None),  # P7 SEED:55
            ("topics/<int:topic_id>", "GET", "topic_get", "read", None),  # P8 SEED:56
            ("topics/<int:topic_id>", "DELETE", "topic_delete", "write", None),  # P9 SEED:57
            ("topics/<int:topic_id>/voters", "GET", "topic_voters", "read", None),  # V1 SEED:62
            # 2.6 comments
            ("topics/<int:topic_id>/comments", "GET", "comments_list", "read", None),  # K1
            ("topics/<int:topic_id>/comments", "POST", "comment_create", "write", None),  # K2
            # 2.7 files [D] SEED:75, P-UPLOAD
            ("forums/<int:forum_id>/upload/<any(file, image):kind>", "POST", "upload", "all",
             None),
            # 2.8 webhooks [D] SEED:80-83: all need "all"
            ("hooks", "GET", "hooks_list", "all", None),
            ("hooks", "POST", "hook_create", "all", None),
            ("hooks/<int:hook_id>", "DELETE", "hook_delete", "all", None),
            ("hooks/events", "GET", "hook_events", "all", None),
        ]  # fmt: skip
        rules = []
        for path, method, endpoint, access, later in table:
            # 1.1 [D] every command is `[command].[format]`; only json is served (trap 1).
            rules.append(Rule(f"{API}/{path}.json", methods=[method], endpoint=endpoint))
            self.access[endpoint] = access
            if later:
                self.later[endpoint] = later
        return rules

    def reset(self) -> None:
        from ..demo_people import DEMO_PEOPLE

        people = (
            [
                {"name": p["name"], "email": p["email"], "slug": p["usernames"]["userecho"]}
                for p in DEMO_PEOPLE
            ]
            if getattr(self.config, "demo_people", False)
            else []
        )
        with self.lock:
            self.state = seed_state(
                seed=self.config.seed, users=self.config.users, now=_now(), people=people
            )
        if hasattr(self, "limiter"):
            self.limiter.reset()

    def control_extra(self, request: Request, action: str) -> Response | None:
        """``POST /__sandbox__/review-topics[/<id>]`` (review.py)."""
        return self.review_control(request, action)

    def configure(self, **changes: Any) -> None:
        super().configure(**changes)
        if "requests_per_minute" in changes:
            self.limiter = SlidingWindowLimiter(max(self.config.requests_per_minute, 1))

    def ok(self, data: Any, *, details: dict[str, Any] | None = None) -> Response:
        """1.3 [D]: {"status": "success", "data": ...}; `details` [C] IMP/ELBA on lists."""
        body: dict[str, Any] = {"status": "success", "data": data}
        if details is not None and self.config.details:
            body["details"] = details
        return json_response(body)

    def fail(self, kind: str, message: str, details: dict[str, Any] | None = None) -> Response:
        """1.3 [D] {"status": "error", "message": ...}; its HTTP code is 1.5 [I] (configurable)."""
        body: dict[str, Any] = {"status": self.config.failure_word, "message": message}
        if details:
            body["details"] = details
        status = 200 if str(self.config.error_http_status) == "200" else ERROR_CODES[kind]
        return json_response(body, status)

    def not_found(self, request: Request) -> Response:
        # trap 1 [I]: a path without `.json` (or any unknown command) is a 404.
        return self.fail("not_found", f"Unknown API method: {request.path}")

    def server_error(self, status: int) -> Response:
        # Injected faults are transport trouble: their HTTP code stands whatever the error mode.
        return json_response(
            {"status": self.config.failure_word, "message": "Sandbox injected failure"}, status
        )

    def handle(self, request: Request) -> Response:
        response = super().handle(request)
        if response.status_code == 405:  # werkzeug's answer for a known path, other method
            return self.fail("method", f"Method {request.method} is not allowed here")
        return response

    def token_of(self, request: Request) -> str | None:
        cfg = self.config
        if cfg.accept_query_token and request.args.get("access_token"):
            return request.args["access_token"]  # 1.2 [D] INTRO
        if cfg.accept_bearer:
            scheme, _, token = request.headers.get("Authorization", "").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()  # 1.2 [C] CS:25
        return None

    def token_grant(self, token: str | None) -> tuple[int, frozenset[str]] | None:
        cfg = self.config
        if token is None:
            return None
        if token == cfg.api_key:
            return int(cfg.api_username), _scopes(cfg.token_scopes)
        extra = cfg.extra_tokens.get(token)
        if extra is None:
            return None
        return int(extra["user_id"]), _scopes(extra.get("scopes", ("read",)))

    def before_endpoint(self, request: Request, endpoint: str) -> Response | None:
        cfg = self.config
        if endpoint in self.later and self.later[endpoint] not in set(cfg.later_routes):
            # trap 10: a route only REF-NEW lists answers like any unknown command when off.
            return self.not_found(request)
        if cfg.requests_per_minute > 0:
            wait = self.limiter.try_acquire()
            if wait:  # 1.5 [I] "honour 429/Retry-After if they ever appear"
                response = self.fail("invalid", "Too many requests")
                response.status_code = 429
                response.headers["Retry-After"] = str(ceil_seconds(wait))
                return response
        grant = self.token_grant(self.token_of(request))
        if grant is None or grant[0] not in self.state.users:
            return self.fail("auth", "Invalid access token")  # 1.5 [I] 401 bad token
        token_user, scopes = grant
        request.environ["ue.token_user"] = token_user
        request.environ["ue.scopes"] = scopes
        with self.lock:  # an sso_token may create a user
            acting = self.resolve_acting_user(request, token_user, scopes)
        request.environ["ue.user"] = acting
        needed = self.access[endpoint]
        if not _allowed(needed, scopes):
            # trap 11 [D vs D] / 1.5 [I]: a write with a read token is refused (403-ish).
            return self.fail("scope", f"Access denied: this token has no '{needed}' permission")
        return None

    def resolve_acting_user(self, request: Request, token_user: int, scopes: frozenset[str]) -> int:
        """1.2 [D] SEED:112-117: an "all" token acts as another user named by `sso_token`,
        `user_sso_guid` or `user_id` (query for GET, body or query for POST and PUT)."""
        if "all" not in scopes:
            return token_user  # [I] other tokens cannot act for anyone else
        sso_token = self.param(request, "sso_token")
        if sso_token:
            # SEED:114 [D] (trap 6): an unknown SSO user is *created*, then acted as.
            user = self.user_by_guid(str(sso_token))
            if user is None:
                user = new_user(
                    self.state,
                    name=f"SSO user {str(sso_token)[:12]}",
                    email="",
                    joined=_now(),
                    sso_guid=str(sso_token),
                )
            return user["id"]
        guid = self.param(request, "user_sso_guid")
        if guid:
            user = self.user_by_guid(str(guid))
            return user["id"] if user else token_user  # SEED:116 [D] trap 7: silent fallback
        raw = self.param(request, "user_id")
        if raw is not None and str(raw) != "":
            try:
                wanted = int(raw)
            except (TypeError, ValueError):
                return token_user  # [I] an unusable id falls back like an unknown one
            if wanted == ANONYMOUS_ID:
                return ANONYMOUS_ID  # SEED:117 [D] user_id=0 is the anonymous user
            return wanted if wanted in self.state.users else token_user  # SEED:117 [D] trap 7
        return token_user

    @staticmethod
    def acting(request: Request) -> int:
        return int(request.environ["ue.user"])

    @staticmethod
    def token_user(request: Request) -> int:
        return int(request.environ["ue.token_user"])

    @staticmethod
    def body(request: Request) -> dict[str, Any] | None:
        """1.6: JSON object bodies [D]; form fields as the v1 PHP client sent them [I]."""
        if not request.content_length and not request.data:
            return {}
        data = request.get_json(force=True, silent=True)
        if isinstance(data, dict):
            return data
        if data is None and request.form:
            return request.form.to_dict()
        return None

    def param(self, request: Request, name: str) -> Any:
        """SEED:115-117 [D]: a parameter from the query, or from the body of POST and PUT."""
        if name in request.args:
            return request.args[name]
        if request.method in ("POST", "PUT", "DELETE"):
            data = self.body(request)
            if data and name in data:
                return data[name]
        return None

    def json_body(self, request: Request) -> dict[str, Any] | Response:
        data = self.body(request)
        if data is None:
            return self.fail("invalid", "The request body must be a JSON object")
        return data

    def body_id(self, request: Request, data: dict[str, Any], *, query: bool) -> int | Response:
        """trap 3: collection-level PUT/DELETE name their target by `id` in the body ([D] for
        PUT, [I] for DELETE); a DELETE may also give `?id=` (1.6 [I])."""
        raw = data.get("id")
        if raw is None and query:
            raw = request.args.get("id")
        if raw is None or isinstance(raw, bool):
            return self.fail("invalid", "Parameter 'id' is required", {"id": "required"})
        try:
            return int(raw)
        except (TypeError, ValueError):
            return self.fail("invalid", "Parameter 'id' must be an integer", {"id": "invalid"})

    def listing(
        self,
        request: Request,
        rows: Iterable[dict[str, Any]],
        *,
        fields: Callable[[dict[str, Any]], dict[str, Any]],
        shape: Callable[[dict[str, Any]], Any],
        order: str = "id",
    ) -> Response:
        """1.4 [D]: every list takes `page` (1-based [I]), `limit` (default 50) and
        `filter__<field>[__<cond>]`; [C] `order_by` with `-` for descending; `details` carries
        count (the total, [I]), page and limit ([C] IMP)."""
        with self.lock:  # the rows are often a generator over state another call may change
            return self._listing(request, list(rows), fields=fields, shape=shape, order=order)

    def _listing(
        self,
        request: Request,
        rows: list[dict[str, Any]],
        *,
        fields: Callable[[dict[str, Any]], dict[str, Any]],
        shape: Callable[[dict[str, Any]], Any],
        order: str,
    ) -> Response:
        for key, value in request.args.items():
            if not key.startswith("filter__"):
                continue
            kept = self.apply_filter(key, value, rows, fields)
            if isinstance(kept, Response):
                return kept
            rows = kept
        order = request.args.get("order_by") or order
        name = order.lstrip("-")
        if rows and name not in fields(rows[0]):
            return self.fail("invalid", f"Cannot order by '{name}'")
        if rows:
            rows.sort(key=lambda r: _sort_key(fields(r)[name]), reverse=order.startswith("-"))
        try:
            page = int(request.args.get("page", 1))
            limit = int(request.args.get("limit", DEFAULT_LIMIT))
        except ValueError:
            return self.fail("invalid", "page and limit must be integers")
        if page < 1 or limit < 1:
            return self.fail("invalid", "page and limit must be positive")
        limit = min(limit, self.config.max_limit)  # 1.4 [I] the maximum is undocumented: capped
        chunk = rows[(page - 1) * limit : page * limit]
        return self.ok(
            [shape(r) for r in chunk], details={"count": len(rows), "page": page, "limit": limit}
        )

    def apply_filter(
        self,
        key: str,
        value: str,
        rows: list[dict[str, Any]],
        fields: Callable[[dict[str, Any]], dict[str, Any]],
    ) -> list[dict[str, Any]] | Response:
        """SEED:85-110 [D]: filter__<field>[__<cond>], filter__custom_fields__<code>[__<cond>];
        custom fields compare as strings."""
        parts = key[len("filter__") :].split("__")
        custom = parts[0] == "custom_fields"
        if custom:
            parts = parts[1:]
        if not parts or not parts[0]:
            return self.fail("invalid", f"Bad filter {key}")
        cond = parts[-1] if len(parts) > 1 and parts[-1] in FILTER_CONDITIONS else "eq"
        name = parts[0]
        if name in set(self.config.ignored_filters):
            return rows  # trap 16 [C] DA:393 "API filter unreliable": the filter does nothing
        if not custom and rows and name not in fields(rows[0]):
            return self.fail("invalid", f"Unknown filter field '{name}'")  # [I]

        def current(row: dict[str, Any]) -> Any:
            if custom:
                found = row.get("custom_fields", {}).get(name)
                return None if found is None else str(found)
            return fields(row)[name]

        try:
            return [r for r in rows if _matches(current(r), cond, value)]
        except ValueError:
            return self.fail("invalid", f"Bad value for {key}: {value!r}")

    @staticmethod
    def plain_fields(row: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in row.items() if not isinstance(v, dict | list | set)}
