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

import copy
import hashlib
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from .core import SandboxApp, SandboxConfig, SlidingWindowLimiter, ceil_seconds, json_response
from .userecho_data import (
    EVENTS,
    FORUM_TYPES,
    UserEchoState,
    add_named,
    add_type,
    iso,
    new_forum,
    new_user,
    seed_state,
    slugify,
)

# werkzeug logs every request at INFO through this logger; the sandbox stays quiet.
logging.getLogger("werkzeug").setLevel(logging.WARNING)

API = "/api/v2"
# Routes that only the later reference page lists (ENDPOINTS.md trap 10 [D vs D]): served only
# when named in ``UserEchoSandboxConfig.later_routes``.
LATER_ROUTES = frozenset(
    {
        "user_update",
        "user_delete",
        "user_subscriptions",
        "user_group",
        "forum_update",
        "type_statuses",
    }
)
# 1.5 [I]: the HTTP codes of errors are undocumented; these are the plausible 4xx ones, used
# unless ``error_http_status="200"`` answers every error with 200 and `status:"error"`.
ERROR_CODES = {"invalid": 400, "auth": 401, "scope": 403, "not_found": 404, "method": 405}
DEFAULT_LIMIT = 50  # 1.4 [D] "The default is 50 records"
FILTER_CONDITIONS = ("in", "gt", "gte", "lt", "lte", "contains", "icontains")  # 1.4 [D]
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ANONYMOUS_ID = 0  # 1.2 [D] SEED:117 "For an Anonymous user set user_id to 0"


@dataclass
class UserEchoSandboxConfig(SandboxConfig):
    """``api_key`` is the project's API token; ``api_username`` the id of its own user."""

    api_key: str = "sandbox-key"
    api_username: str = "1"
    users: int = 80  # more than one page of 50
    title: str = "Sandbox UserEcho"
    alias: str = "sandbox"  # the project alias in https://{alias}.userecho.com (1.1 [D])
    # 1.2 [D]/[C]: scopes are a subset of read, write and all ("manage" is the same as "all").
    token_scopes: tuple[str, ...] = ("read", "write", "all")
    # More tokens: token -> {"user_id": int, "scopes": [...]}, e.g. a read-only token.
    extra_tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    # 1.2 [D] `?access_token=`; [C] CS:25 `Authorization: Bearer`; [I] accept both.
    accept_query_token: bool = True
    accept_bearer: bool = True
    # 1.5 [I]: "4xx" answers errors with a plausible 4xx, "200" with 200 and status "error".
    error_http_status: str = "4xx"
    # 1.3 [D] INTRO says "error"; [C] PHP:93 checks "fail" (trap 12).
    failure_word: str = "error"
    # trap 10: which later-reference routes exist (names from LATER_ROUTES).
    later_routes: Iterable[str] = frozenset()
    # trap 7 [D] for the user_id parameter; [I] whether an unknown user id *in the path*
    # (users/{id}, users/{id}/logout, ...) also answers / acts on the token's own user.
    path_user_fallback: bool = True
    # trap 14: "both" names, "reference" (name, comment_count, vote, text: the names of the
    # docs' object examples and DA's comment body) or "alternate" (display_name,
    # comments_count, votes, comment: INTRO's list sample, DA, the export files).
    field_names: str = "both"
    # trap 15 [C] DA:205-242: topic status/type as "object", "id", or "per_forum" (legacy
    # forums answer ids, newer ones objects).
    status_shape: str = "per_forum"
    details: bool = True  # 1.3 [D] details "may be available"; trap 17: may be missing
    max_limit: int = 100  # 1.4 [D] max undocumented; [C] DA uses 100; larger limits are capped
    # trap 16 [C] DA:393: server filters may be unreliable; these filter fields are ignored.
    ignored_filters: Iterable[str] = frozenset()
    # trap 2 [I]: whether a topic carries its `forum_id` ([C] export JCO:118-167).
    topic_forum_field: bool = True
    # 3.2 [I] "Review queue (approve) not documented": whether PUT topics honours needs_review.
    put_needs_review: bool = False
    trial_plan: bool = False  # 1.5 / X1 [D] uploads are not available on a trial plan
    # trap 22 [I] "Does deleting a user remove or anonymise their content?": anonymise|remove
    deleted_user_content: str = "anonymise"
    requests_per_minute: int = 0  # 1.5 [I] no documented limit: 0 = none; else 429
    demo_people: bool = True  # the demo's people shared across forums have accounts here


def _now() -> datetime:
    return datetime.now(UTC)


class UserEchoSandbox(SandboxApp):
    platform = "userecho"

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.access: dict[str, str] = {}
        self.later: dict[str, str] = {}
        super().__init__(config or UserEchoSandboxConfig())
        self.state: UserEchoState
        self.limiter = SlidingWindowLimiter(max(self.config.requests_per_minute, 1))

    # --- routes -----------------------------------------------------------------------------
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
        from .demo_people import DEMO_PEOPLE

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

    def configure(self, **changes: Any) -> None:
        super().configure(**changes)
        if "requests_per_minute" in changes:
            self.limiter = SlidingWindowLimiter(max(self.config.requests_per_minute, 1))

    def add_person(self, *, username: str, email: str, name: str = "") -> int:
        """A new user (joined now, verified e-mail, no topics) for tests and the demo; UserEcho
        has no username, so ``username`` becomes the profile slug. Returns the id."""
        with self.lock:
            if self.state.user_by_email(email):
                raise ValueError(f"e-mail {email!r} is taken")
            if any(u["slug"] == username for u in self.state.users.values()):
                raise ValueError(f"slug {username!r} is taken")
            user = new_user(
                self.state, name=name or username, email=email, slug=username, joined=_now()
            )
            return user["id"]

    # --- envelope ---------------------------------------------------------------------------
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

    # --- authentication, scopes, acting user ------------------------------------------------
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

    def path_user(self, request: Request, user_id: int) -> dict[str, Any] | Response:
        """The user a path names; an unknown id answers for the token's own user when
        ``path_user_fallback`` is on (trap 7 extended to paths [I]), else 404."""
        user = self.state.users.get(user_id)
        if user is None and self.config.path_user_fallback:
            user = self.state.users.get(self.token_user(request))
        if user is None:
            return self.fail("not_found", f"User {user_id} not found")
        return user

    def user_by_guid(self, guid: str) -> dict[str, Any] | None:
        return next((u for u in self.state.users.values() if u["sso_guid"] == guid), None)

    # --- request helpers --------------------------------------------------------------------
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

    def forum(self, forum_id: int) -> dict[str, Any] | Response:
        forum = self.state.forums.get(forum_id)
        if forum is None:
            return self.fail("not_found", f"Forum {forum_id} not found")
        return forum

    # --- listing: filters, order, pages -----------------------------------------------------
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

    # --- shapes -----------------------------------------------------------------------------
    def names(self, which: str) -> bool:
        """trap 14: whether to emit the reference or the alternate spelling of a field."""
        mode = self.config.field_names
        return mode == "both" or mode == which

    def user_data(self, user: dict[str, Any]) -> dict[str, Any]:
        """2.1 [D] P-GOC fields; `display_name` and `updates_count` from the INTRO sample."""
        name = user["name"]
        data: dict[str, Any] = {
            "id": user["id"],
            "name_and_title": f"{name}, {user['title']}" if user["title"] else name,
            "title": user["title"],
            "slug": user["slug"],
            "email": user["email"],
            "avatar_url": _avatar(user["email"] or user["slug"]),
            "language": user["language"],
            "rating": user["rating"],
            "is_staff": user["is_staff"],
            "is_authenticated": True,
            "last_activity": user["last_activity"],
            "date_joined": user["date_joined"],
            "updates_count": user["updates_count"],
        }
        if self.names("reference"):
            data["name"] = name
        if self.names("alternate"):
            data["display_name"] = name
        return data

    def anonymous_data(self) -> dict[str, Any]:
        data = {
            "id": ANONYMOUS_ID,
            "title": "",
            "slug": "",
            "email": "",
            "avatar_url": "",
            "language": "en",
            "rating": 0.0,
            "is_staff": False,
            "is_authenticated": False,
        }
        if self.names("reference"):
            data["name"] = "Anonymous"
        if self.names("alternate"):
            data["display_name"] = "Anonymous"
        return data

    def author_data(self, user_id: int | None) -> dict[str, Any]:
        """P-TOPIC-C [D] {id, name, title, avatar_url}; [C] DA:658 reads `email` too."""
        user = self.state.users.get(user_id or -1)
        if user is None:
            return {
                "id": ANONYMOUS_ID,
                "name": "Anonymous",
                "title": "",
                "avatar_url": "",
                "email": "",
            }
        return {
            "id": user["id"],
            "name": user["name"],
            "title": user["title"],
            "avatar_url": _avatar(user["email"] or user["slug"]),
            "email": user["email"],
        }

    @staticmethod
    def group_data(group: dict[str, Any]) -> dict[str, Any]:
        # 2.2 [D]: trust the request names (the doc response swaps them, trap 13).
        return {k: group[k] for k in ("id", "name", "vote_weight", "vote_count")}

    def forum_data(self, forum: dict[str, Any]) -> dict[str, Any]:
        topics = [t for t in self.state.topics.values() if t["forum_id"] == forum["id"]]
        topic_ids = {t["id"] for t in topics}
        return {
            "id": forum["id"],
            "name": forum["name"],
            "description": forum["description"],  # [C] DA:284
            "type": {"id": FORUM_TYPES[forum["type"]], "name": forum["type"]},
            "is_default": forum["is_default"],
            "allow_anonymous_topic": forum["allow_anonymous_topic"],
            "created": forum["created"],
            "vote_count": sum(len(t["votes"]) for t in topics),
            "comment_count": sum(
                1 for c in self.state.comments.values() if c["topic_id"] in topic_ids
            ),
            "topic_count": len(topics),
        }

    def status_data(self, status_id: int) -> dict[str, Any]:
        status = self.state.statuses[status_id]
        return {k: status[k] for k in ("id", "name", "color", "updated")}

    def category_data(self, category: dict[str, Any]) -> dict[str, Any]:
        count = sum(1 for t in self.state.topics.values() if t["category_id"] == category["id"])
        return {"id": category["id"], "name": category["name"], "topic_count": count}

    @staticmethod
    def tag_data(tag: dict[str, Any]) -> dict[str, Any]:
        return {"id": tag["id"], "name": tag["name"]}

    def as_ids(self, topic: dict[str, Any]) -> bool:
        mode = self.config.status_shape
        if mode == "per_forum":
            return bool(self.state.forums[topic["forum_id"]]["legacy"])
        return mode == "id"

    def comment_count(self, topic_id: int) -> int:
        return sum(1 for c in self.state.comments.values() if c["topic_id"] == topic_id)

    def topic_data(self, topic: dict[str, Any], viewer: int) -> dict[str, Any]:
        """2.5 [D] P-TOPIC-C/U fields; [C] url, comments_count, votes; [I] needs_review,
        category, forum_id."""
        forum = self.state.forums[topic["forum_id"]]
        votes = topic["votes"]
        positive = sum(1 for v in votes.values() if v > 0)
        negative = sum(1 for v in votes.values() if v < 0)
        comments = self.comment_count(topic["id"])
        category = self.state.categories.get(topic["category_id"] or -1)
        kind = self.state.types[topic["type_id"]]
        if self.as_ids(topic):  # trap 15 [C] DA:205-242: legacy forums answer bare ids
            status: Any = topic["status_id"]
            type_: Any = kind["id"]
        else:
            status = self.status_data(topic["status_id"])
            type_ = {"id": kind["id"], "name": kind["name"]}
        data: dict[str, Any] = {
            "id": topic["id"],
            "header": topic["header"],
            "description": topic["description"],
            "created": topic["created"],
            "updated": topic["updated"],
            "status": status,
            "type": type_,
            "category": {"id": category["id"], "name": category["name"]} if category else None,
            "tags": [self.tag_data(self.state.tags[t]) for t in topic["tag_ids"]],
            "author": self.author_data(topic["author_id"]),
            "custom_fields": [
                {**cf, "value": str(topic["custom_fields"][cf["code_name"]])}
                for cf in forum["custom_fields"]
                if topic["custom_fields"].get(cf["code_name"]) is not None
            ],
            "needs_review": topic["needs_review"],
            "url": f"https://{self.config.alias}.userecho.com/en/communities/{forum['id']}"
            f"/topics/{topic['id']}-{slugify(topic['header'])}",
        }
        if self.config.topic_forum_field:
            data["forum_id"] = topic["forum_id"]
        if self.names("reference"):
            data["comment_count"] = comments
            data["vote"] = {
                "total": positive - negative,
                "positive": positive,
                "negative": negative,
                "diff": positive - negative,
                "current_user": votes.get(viewer, 0),
            }
        if self.names("alternate"):
            data["comments_count"] = comments  # [C] DA:612
            data["votes"] = positive - negative  # [C] DA:659
        return data

    def comment_data(self, comment: dict[str, Any]) -> dict[str, Any]:
        """2.6 [C] DA:713-718 {id, text, is_official, created, author}; `comment` from export."""
        data = {
            "id": comment["id"],
            "is_official": comment["is_official"],
            "created": comment["created"],
            "author": self.author_data(comment["author_id"]),
            "topic_id": comment["topic_id"],
        }
        if self.names("reference"):
            data["text"] = comment["text"]
        if self.names("alternate"):
            data["comment"] = comment["text"]
        return data

    # --- filter views: the scalar fields a list filters and orders on -----------------------
    @staticmethod
    def user_fields(user: dict[str, Any]) -> dict[str, Any]:
        return {
            k: user[k]
            for k in (
                "id",
                "name",
                "slug",
                "email",
                "language",
                "rating",
                "is_staff",
                "date_joined",
                "last_activity",
            )
        } | {"display_name": user["name"], "created": user["date_joined"]}

    def topic_fields(self, topic: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": topic["id"],
            "header": topic["header"],
            "description": topic["description"],
            "created": topic["created"],
            "updated": topic["updated"],
            "status": topic["status_id"],
            "type": topic["type_id"],
            "category": topic["category_id"],
            "tags": topic["tag_ids"],
            "author": topic["author_id"],
            "forum": topic["forum_id"],
            "needs_review": topic["needs_review"],
            "assigned_to": topic["assigned_to"],
            "comment_count": self.comment_count(topic["id"]),
            "votes": sum(topic["votes"].values()),
        }

    @staticmethod
    def plain_fields(row: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in row.items() if not isinstance(v, dict | list | set)}

    def topic_list(self, request: Request, topics: Iterable[dict[str, Any]]) -> Response:
        viewer = self.acting(request)
        return self.listing(
            request,
            topics,
            fields=self.topic_fields,
            shape=lambda t: self.topic_data(t, viewer),
            order="-created",  # [I] the default order is undocumented; newest first
        )

    # === 2.1 users ==========================================================================
    def users_list(self, request: Request) -> Response:
        return self.listing(
            request, self.state.users.values(), fields=self.user_fields, shape=self.user_data
        )

    def user_current(self, request: Request) -> Response:
        acting = self.acting(request)  # U2 [D]: the token's user, or the one acted as
        if acting == ANONYMOUS_ID:
            return self.ok(self.anonymous_data())
        return self.ok(self.user_data(self.state.users[acting]))

    def user_get(self, request: Request, user_id: int) -> Response:
        user = self.path_user(request, user_id)
        return user if isinstance(user, Response) else self.ok(self.user_data(user))

    def user_by_sso(self, request: Request, sso_guid: str) -> Response:
        user = self.user_by_guid(sso_guid)
        if user is None:
            return self.fail("not_found", f"User with SSO guid {sso_guid} not found")
        return self.ok(self.user_data(user))

    def user_logout(self, request: Request, user_id: int) -> Response:
        """U5 [D] "Clear all sessions for selected user": a GET with a side effect (trap 8)."""
        with self.lock:
            user = self.path_user(request, user_id)
            if isinstance(user, Response):
                return user
            user["sessions"] = 0
            self.state.logouts.append(user["id"])
        return self.ok(True)  # [I] the answer is undocumented: an envelope with data true

    def user_get_or_create(self, request: Request) -> Response:
        """U6 [D] P-GOC: e-mail is the only key; an unknown one *creates* the user (trap 6)."""
        data = self.json_body(request)
        if isinstance(data, Response):
            return data
        email = str(data.get("email") or "").strip()
        if not EMAIL.match(email):
            return self.fail("invalid", "A valid email is required", {"email": "invalid"})
        verified = data.get("email_verified", True) not in (False, "false", "0", 0)
        with self.lock:
            user = self.state.user_by_email(email)
            # P-GOC [D]: email_verified=false matches only users whose e-mail is unverified.
            if user is not None and user["email_verified"] == verified:
                return self.ok({**self.user_data(user), "is_created": False})
            if user is not None:
                return self.fail("invalid", "A user with this email already exists")  # [I]
            name = str(data.get("name") or email.split("@")[0])  # [D] default: first part
            user = new_user(
                self.state,
                name=name,
                email=email,
                joined=_now(),
                language=str(data.get("language") or "en"),
                email_verified=verified,
            )
            if isinstance(data.get("custom_fields"), dict):
                user["custom_fields"] = dict(data["custom_fields"])
            if data.get("send_new_user_invitation") in (True, "true", "1", 1):
                self.state.invitations.append(email)  # [D] default false
            return self.ok({**self.user_data(user), "is_created": True})

    def user_update(self, request: Request, user_id: int) -> Response:
        """U7 REF-NEW "Update user profile details" [D listed]; fields [I]."""
        data = self.json_body(request)
        if isinstance(data, Response):
            return data
        with self.lock:
            user = self.path_user(request, user_id)
            if isinstance(user, Response):
                return user
            if "email" in data:
                email = str(data["email"] or "").strip()
                other = self.state.user_by_email(email)
                if not EMAIL.match(email) or (other and other is not user):
                    return self.fail("invalid", "Invalid or taken email", {"email": "invalid"})
                user["email"] = email
            for key in ("name", "language", "title"):
                if key in data and data[key] is not None:
                    user[key] = str(data[key])
            if isinstance(data.get("custom_fields"), dict):
                user["custom_fields"].update(data["custom_fields"])
            return self.ok(self.user_data(user))

    def user_delete(self, request: Request, user_id: int) -> Response:
        """U8 REF-NEW "Delete user profile" [D listed]; what happens to content is trap 22 [I]."""
        with self.lock:
            user = self.path_user(request, user_id)
            if isinstance(user, Response):
                return user
            if user["id"] == self.token_user(request):
                # [I] with the path fallback an unknown id lands here: refuse, loudly.
                return self.fail("invalid", "The API token's own user cannot be deleted")
            uid = user["id"]
            del self.state.users[uid]
            remove = self.config.deleted_user_content == "remove"
            for topic in list(self.state.topics.values()):
                if topic["author_id"] == uid:
                    if remove:
                        self.drop_topic(topic["id"])
                    else:
                        topic["author_id"] = ANONYMOUS_ID
                topic["votes"].pop(uid, None)
            for comment in list(self.state.comments.values()):
                if comment["author_id"] == uid:
                    if remove:
                        del self.state.comments[comment["id"]]
                    else:
                        comment["author_id"] = ANONYMOUS_ID
            self.state.subscriptions.pop(uid, None)
        return self.ok(True)

    def user_subscriptions(self, request: Request, user_id: int) -> Response:
        """U9 REF-NEW [D listed]; shape [I]: the forum and topic ids the user follows."""
        user = self.path_user(request, user_id)
        if isinstance(user, Response):
            return user
        subs = self.state.subscriptions.get(user["id"], {"forums": [], "topics": []})
        return self.ok(copy.deepcopy(subs))

    def user_subscriptions_update(self, request: Request, user_id: int) -> Response:
        """U10 REF-NEW [D listed]; body [I] {forums?: [ids], topics?: [ids]} replaces lists."""
        data = self.json_body(request)
        if isinstance(data, Response):
            return data
        with self.lock:
            user = self.path_user(request, user_id)
            if isinstance(user, Response):
                return user
            subs = self.state.subscriptions.setdefault(user["id"], {"forums": [], "topics": []})
            for key, known in (("forums", self.state.forums), ("topics", self.state.topics)):
                if key in data:
                    ids = data[key] or []
                    if not isinstance(ids, list) or any(i not in known for i in ids):
                        return self.fail("invalid", f"'{key}' must list existing ids")
                    subs[key] = sorted(set(ids))
            return self.ok(copy.deepcopy(subs))

    def _membership(self, request: Request, user_id: int, *, add: bool) -> Response:
        """U11/U12 REF-NEW [D listed]; body [I] {"id": group_id} (or `group_id`, or `?id=`).
        An unknown user id falls back to the token's user like every path id (trap 7 [I])."""
        data = self.json_body(request)
        if isinstance(data, Response):
            return data
        if "id" not in data and "group_id" in data:
            data = {**data, "id": data["group_id"]}
        gid = self.body_id(request, data, query=True)
        if isinstance(gid, Response):
            return gid
        with self.lock:
            user = self.path_user(request, user_id)
            if isinstance(user, Response):
                return user
            if gid not in self.state.groups:
                return self.fail("not_found", f"User group {gid} not found")
            if add:
                user["groups"].add(gid)
            else:
                user["groups"].discard(gid)
            return self.ok(self.user_data(user))

    def user_group_add(self, request: Request, user_id: int) -> Response:
        return self._membership(request, user_id, add=True)

    def user_group_remove(self, request: Request, user_id: int) -> Response:
        return self._membership(request, user_id, add=False)

    def own_or_all(self, request: Request, user_id: int) -> dict[str, Any] | Response:
        """U13/U14 [D] SEED:52-53, 69-70: "read - self, manage/all - all": another user's
        topics and comments need an "all" token."""
        user = self.path_user(request, user_id)
        if isinstance(user, Response):
            return user
        if user["id"] != self.acting(request) and "all" not in request.environ["ue.scopes"]:
            return self.fail("scope", "Access denied: this token has no 'all' permission")
        return user

    def user_topics(self, request: Request, user_id: int) -> Response:
        user = self.own_or_all(request, user_id)
        if isinstance(user, Response):
            return user
        return self.topic_list(
            request, (t for t in self.state.topics.values() if t["author_id"] == user["id"])
        )

    def user_comments(self, request: Request, user_id: int) -> Response:
        user = self.own_or_all(request, user_id)
        if isinstance(user, Response):
            return user
        return self.listing(
            request,
            (c for c in self.state.comments.values() if c["author_id"] == user["id"]),
            fields=self.plain_fields,
            shape=self.comment_data,
            order="-created",
        )

    # === 2.2 user groups ====================================================================
    def groups_list(self, request: Request) -> Response:
        return self.listing(
            request, self.state.groups.values(), fields=self.plain_fields, shape=self.group_data
        )

    def _group_fields(
        self, data: dict[str, Any], group: dict[str, Any] | None
    ) -> dict[str, Any] | Response:
        """G2/G3 [D] P-GRP-C/U: name; vote_weight 1..5; vote_count positive or null."""
        out: dict[str, Any] = {}
        if "name" in data or group is None:
            name = str(data.get("name") or "").strip()
            if not name:
                return self.fail("invalid", "Parameter 'name' is required", {"name": "required"})
            if any(
                g["name"].lower() == name.lower() and g is not group
                for g in self.state.groups.values()
            ):
                return self.fail("invalid", f"User group '{name}' already exists")  # [I]
            out["name"] = name
        if "vote_weight" in data:
            weight = data["vote_weight"]
            if not isinstance(weight, int) or isinstance(weight, bool) or not 1 <= weight <= 5:
                return self.fail("invalid", "vote_weight must be 1..5", {"vote_weight": "range"})
            out["vote_weight"] = weight
        if "vote_count" in data:
            count = data["vote_count"]
            if count is not None and (not isinstance(count, int) or count < 1):
                return self.fail("invalid", "vote_count must be positive or null")
            out["vote_count"] = count
        return out

    def group_create(self, request: Request) -> Response:
        data = self.json_body(request)
        if isinstance(data, Response):
            return data
        with self.lock:
            fields = self._group_fields(data, None)
            if isinstance(fields, Response):
                return fields
            gid = self.state.next_id("group")
            group = {"id": gid, "vote_weight": 1, "vote_count": None, **fields}  # [D] defaults
            self.state.groups[gid] = group
            return self.ok(self.group_data(group))

    def group_update(self, request: Request) -> Response:
        data = self.json_body(request)
        if isinstance(data, Response):
            return data
        gid = self.body_id(request, data, query=False)  # G3 [D] id in the body (trap 3)
        if isinstance(gid, Response):
            return gid
        with self.lock:
            group = self.state.groups.get(gid)
            if group is None:
                return self.fail("not_found", f"User group {gid} not found")
            fields = self._group_fields(data, group)
            if isinstance(fields, Response):
                return fields
            group.update(fields)
            return self.ok(self.group_data(group))

    def group_delete(self, request: Request) -> Response:
        data = self.json_body(request)
        if isinstance(data, Response):
            return data
        gid = self.body_id(request, data, query=True)  # G4 [I] id in the body or `?id=`
        if isinstance(gid, Response):
            return gid
        with self.lock:
            if self.state.groups.pop(gid, None) is None:
                return self.fail("not_found", f"User group {gid} not found")
            for user in self.state.users.values():
                user["groups"].discard(gid)
        return self.ok(True)

    # === 2.3 forums =========================================================================
    def forums_list(self, request: Request) -> Response:
        return self.listing(
            request, self.state.forums.values(), fields=self.plain_fields, shape=self.forum_data
        )

    def forum_create(self, request: Request) -> Response:
        """F2 [D] P-FORUM-C: name required; type one of five; a template forum copies its
        settings and layout and every other parameter except name is ignored."""
        data = self.json_body(request)
        if isinstance(data, Response):
            return data
        name = str(data.get("name") or "").strip()
        if not name:
            return self.fail("invalid", "Parameter 'name' is required", {"name": "required"})
        with self.lock:
            template = None
            if data.get("template_forum_id") is not None:
                template = self.state.forums.get(_int(data["template_forum_id"]) or -1)
                if template is None:
                    return self.fail("not_found", "Template forum not found")
            kind = template["type"] if template else str(data.get("type") or "PUBLIC")
            if kind not in FORUM_TYPES:
                return self.fail("invalid", f"Unknown forum type {kind!r}", {"type": "invalid"})
            forum = new_forum(self.state, name=name, kind=kind, created=_now())
            settings = (
                "allow_anonymous_topic",
                "allow_anonymous_votes",
                "allow_anonymous_comments",
                "allow_private_sso_users",
                "allow_private_view_all",
                "locale",
            )
            source = template or data
            for key in settings:
                if key in source:
                    forum[key] = source[key]
            type_names = (
                [t["name"] for t in self.state.types.values() if t["forum_id"] == template["id"]]
                if template
                else ["Ideas", "Problems", "Questions"]
            )
            for type_name in type_names:
                add_type(self.state, forum_id=forum["id"], name=type_name, now=_now())
            return self.ok(self.forum_data(forum))

    def forum_update(self, request: Request) -> Response:
        """F3 REF-NEW "Update a forum" [D listed]; body [I] id plus the F2 fields."""
        data = self.json_body(request)
        if isinstance(data, Response):
            return data
        fid = self.body_id(request, data, query=False)
        if isinstance(fid, Response):
            return fid
        with self.lock:
            forum = self.forum(fid)
            if isinstance(forum, Response):
                return forum
            if "name" in data:
                if not str(data["name"] or "").strip():
                    return self.fail("invalid", "Parameter 'name' may not be empty")
                forum["name"] = str(data["name"]).strip()
            for key in (
                "description",
                "allow_anonymous_topic",
                "allow_anonymous_votes",
                "allow_anonymous_comments",
                "locale",
            ):
                if key in data:
                    forum[key] = data[key]
            return self.ok(self.forum_data(forum))

    def forum_delete(self, request: Request) -> Response:
        """F4 [D listed]; id in the body or `?id=` [I]; irreversible (trap 9 [I])."""
        data = self.json_body(request)
        if isinstance(data, Response):
            return data
        fid = self.body_id(request, data, query=True)
        if isinstance(fid, Response):
            return fid
        with self.lock:
            forum = self.forum(fid)
            if isinstance(forum, Response):
                return forum
            if forum["is_default"]:
                return self.fail("invalid", "The default forum cannot be deleted")  # [I]
            for topic_id in [t["id"] for t in self.state.topics.values() if t["forum_id"] == fid]:
                self.drop_topic(topic_id)
            for table in (self.state.types, self.state.categories, self.state.tags):
                for key in [k for k, row in table.items() if row["forum_id"] == fid]:
                    del table[key]
            self.state.statuses = {
                k: s for k, s in self.state.statuses.items() if s["type_id"] in self.state.types
            }
            self.state.access_lists.pop(fid, None)
            del self.state.forums[fid]
        return self.ok(True)

    # === 2.4 types, statuses, categories, tags, access list (per forum) =====================
    def types_list(self, request: Request, forum_id: int) -> Response:
        forum = self.forum(forum_id)
        if isinstance(forum, Response):
            return forum
        rows = [t for t in self.state.types.values() if t["forum_id"] == forum_id]
        return self.listing(
            request,
            rows,
            fields=self.plain_fields,
            shape=lambda t: {"id": t["id"], "name": t["name"]},
        )

    def statuses_list(self, request: Request, forum_id: int, type_id: int) -> Response:
        kind = self.state.types.get(type_id)
        if kind is None or kind["forum_id"] != forum_id:  # trap 4 [I]: types are forum-local
            return self.fail("not_found", f"Type {type_id} not found in forum {forum_id}")
        rows = [self.state.statuses[s] for s in kind["statuses"]]
        return self.listing(
            request, rows, fields=self.plain_fields, shape=lambda s: self.status_data(s["id"])
        )

    def _named_list(self, request: Request, forum_id: int, kind: str) -> Response:
        forum = self.forum(forum_id)
        if isinstance(forum, Response):
            return forum
        table = self.state.categories if kind == "category" else self.state.tags
        shape = self.category_data if kind == "category" else self.tag_data
        rows = [r for r in table.values() if r["forum_id"] == forum_id]
        return self.listing(request, rows, fields=self.plain_fields, shape=shape)

    def _named_write(self, request: Request, forum_id: int, kind: str, action: str) -> Response:
        """C2-C4 / TG2-TG4 [D] exist; bodies [I]: POST {name}, PUT {id, name}, DELETE {id}
        (or `?id=`). A category or tag of another forum is not found here (trap 4 [I])."""
        forum = self.forum(forum_id)
        if isinstance(forum, Response):
            return forum
        data = self.json_body(request)
        if isinstance(data, Response):
            return data
        label = "Category" if kind == "category" else "Tag"
        table = self.state.categories if kind == "category" else self.state.tags
        shape = self.category_data if kind == "category" else self.tag_data
        with self.lock:
            row = None
            if action != "create":
                item_id = self.body_id(request, data, query=action == "delete")
                if isinstance(item_id, Response):
                    return item_id
                row = table.get(item_id)
                if row is None or row["forum_id"] != forum_id:
                    return self.fail("not_found", f"{label} {item_id} not found in this forum")
            if action == "delete":
                del table[row["id"]]
                # trap 9 [I]: deleting detaches it from the forum's topics.
                for topic in self.state.topics.values():
                    if kind == "tag" and row["id"] in topic["tag_ids"]:
                        topic["tag_ids"].remove(row["id"])
                    if kind == "category" and topic["category_id"] == row["id"]:
                        topic["category_id"] = None
                return self.ok(True)
            name = str(data.get("name") or "").strip()
            if not name:
                return self.fail("invalid", "Parameter 'name' is required", {"name": "required"})
            if any(
                r["forum_id"] == forum_id and r["name"].lower() == name.lower() and r is not row
                for r in table.values()
            ):
                return self.fail("invalid", f"{label} '{name}' already exists in this forum")
            if row is None:
                row = add_named(self.state, kind, forum_id=forum_id, name=name)
            else:
                row["name"] = name
            return self.ok(shape(row))

    def categories_list(self, request: Request, forum_id: int) -> Response:
        return self._named_list(request, forum_id, "category")

    def category_create(self, request: Request, forum_id: int) -> Response:
        return self._named_write(request, forum_id, "category", "create")

    def category_update(self, request: Request, forum_id: int) -> Response:
        return self._named_write(request, forum_id, "category", "update")

    def category_delete(self, request: Request, forum_id: int) -> Response:
        return self._named_write(request, forum_id, "category", "delete")

    def tags_list(self, request: Request, forum_id: int) -> Response:
        return self._named_list(request, forum_id, "tag")

    def tag_create(self, request: Request, forum_id: int) -> Response:
        return self._named_write(request, forum_id, "tag", "create")

    def tag_update(self, request: Request, forum_id: int) -> Response:
        return self._named_write(request, forum_id, "tag", "update")

    def tag_delete(self, request: Request, forum_id: int) -> Response:
        return self._named_write(request, forum_id, "tag", "delete")

    def _private(self, forum_id: int) -> dict[str, Any] | Response:
        forum = self.forum(forum_id)
        if isinstance(forum, Response):
            return forum
        if forum_id not in self.state.access_lists:  # A1 [D] "For private forums only."
            return self.fail("invalid", "The access list exists for private forums only")
        return forum

    def _emails(self, request: Request, data: dict[str, Any]) -> list[str] | Response:
        """A2/A3 body [I]: {"emails": [...]} (a comma string or `?emails=` also works)."""
        raw = data.get("emails", request.args.get("emails"))
        if isinstance(raw, str):
            raw = [e for e in raw.split(",") if e.strip()]
        if not isinstance(raw, list) or not raw:
            return self.fail("invalid", "Parameter 'emails' is required", {"emails": "required"})
        emails = [str(e).strip().lower() for e in raw]
        bad = [e for e in emails if not EMAIL.match(e)]
        if bad:
            return self.fail("invalid", f"Invalid e-mail: {bad[0]}", {"emails": "invalid"})
        return emails

    def access_list(self, request: Request, forum_id: int) -> Response:
        forum = self._private(forum_id)
        if isinstance(forum, Response):
            return forum
        rows = [{"email": e} for e in self.state.access_lists[forum_id]]
        return self.listing(
            request, rows, fields=self.plain_fields, shape=lambda r: r["email"], order="email"
        )

    def _access_change(self, request: Request, forum_id: int, *, add: bool) -> Response:
        forum = self._private(forum_id)
        if isinstance(forum, Response):
            return forum
        data = self.json_body(request)
        if isinstance(data, Response):
            return data
        emails = self._emails(request, data)
        if isinstance(emails, Response):
            return emails
        with self.lock:
            current = set(self.state.access_lists[forum_id])
            current = current | set(emails) if add else current - set(emails)
            self.state.access_lists[forum_id] = sorted(current)
            return self.ok(list(self.state.access_lists[forum_id]))

    def access_add(self, request: Request, forum_id: int) -> Response:
        return self._access_change(request, forum_id, add=True)

    def access_remove(self, request: Request, forum_id: int) -> Response:
        return self._access_change(request, forum_id, add=False)

    # === 2.5 topics =========================================================================
    def forum_topics(self, request: Request, forum_id: int) -> Response:
        forum = self.forum(forum_id)
        if isinstance(forum, Response):
            return forum
        return self.topic_list(
            request, (t for t in self.state.topics.values() if t["forum_id"] == forum_id)
        )

    def forum_user_topics(self, request: Request, forum_id: int, user_id: int) -> Response:
        forum = self.forum(forum_id)
        if isinstance(forum, Response):
            return forum
        user = self.path_user(request, user_id)
        if isinstance(user, Response):
            return user
        return self.topic_list(
            request,
            (
                t
                for t in self.state.topics.values()
                if t["forum_id"] == forum_id and t["author_id"] == user["id"]
            ),
        )

    def topics_search(self, request: Request, forum_id: int) -> Response:
        """P5 [D] exists; [C] CPBOT `query=`; matching is [I]: case-insensitive substring of
        header or description."""
        forum = self.forum(forum_id)
        if isinstance(forum, Response):
            return forum
        query = (request.args.get("query") or "").strip().lower()
        if not query:
            return self.fail("invalid", "Parameter 'query' is required", {"query": "required"})
        return self.topic_list(
            request,
            (
                t
                for t in self.state.topics.values()
                if t["forum_id"] == forum_id
                and (query in t["header"].lower() or query in t["description"].lower())
            ),
        )

    def category_topics(self, request: Request, category_id: int) -> Response:
        if category_id not in self.state.categories:
            return self.fail("not_found", f"Category {category_id} not found")
        return self.topic_list(
            request, (t for t in self.state.topics.values() if t["category_id"] == category_id)
        )

    def tag_topics(self, request: Request, tag_id: int) -> Response:
        if tag_id not in self.state.tags:
            return self.fail("not_found", f"Tag {tag_id} not found")
        return self.topic_list(
            request, (t for t in self.state.topics.values() if tag_id in t["tag_ids"])
        )

    def topic_get(self, request: Request, topic_id: int) -> Response:
        with self.lock:
            topic = self.state.topics.get(topic_id)
            if topic is None:
                return self.fail("not_found", f"Topic {topic_id} not found")
            return self.ok(self.topic_data(topic, self.acting(request)))

    def _ref(self, value: Any) -> Any:
        """trap 15 [C]/[I]: an id given as a bare int or as an object {"id": ...}."""
        if isinstance(value, dict):
            value = value.get("id")
        if isinstance(value, bool):
            return "invalid"
        if value is None or isinstance(value, int):
            return value
        return "invalid"

    def _topic_fields(
        self, data: dict[str, Any], forum_id: int, topic: dict[str, Any] | None
    ) -> dict[str, Any] | Response:
        """P2/P3 [D]: type, category, tags are integer ids of this forum; omitted means
        unchanged, null / "" / [] clears (P-TOPIC-U, trap 5)."""
        out: dict[str, Any] = {}
        if "header" in data or topic is None:
            header = str(data.get("header") or "").strip()
            if not header:
                return self.fail("invalid", "Parameter 'header' is required", {"header": "req"})
            out["header"] = header
        if "description" in data:
            out["description"] = str(data["description"] or "")
        if "type" in data or topic is None:
            type_id = self._ref(data.get("type"))
            kind = self.state.types.get(type_id) if isinstance(type_id, int) else None
            if kind is None or kind["forum_id"] != forum_id:
                return self.fail(
                    "invalid",
                    "Parameter 'type' must be a topic type of this forum",
                    {"type": "invalid"},
                )
            out["type_id"] = kind["id"]
            current = topic["status_id"] if topic else None
            if current not in kind["statuses"]:
                out["status_id"] = kind["statuses"][0]  # [I] a new type starts at its first status
        if "category" in data:
            cat_id = self._ref(data["category"])
            category = self.state.categories.get(cat_id) if isinstance(cat_id, int) else None
            if cat_id is not None and (category is None or category["forum_id"] != forum_id):
                return self.fail(
                    "invalid",
                    f"Category {data['category']} is not in this forum",
                    {"category": "invalid"},
                )
            out["category_id"] = cat_id
        if "tags" in data:
            tags = data["tags"] or []
            if not isinstance(tags, list) or any(
                not isinstance(t, int) or isinstance(t, bool) for t in tags
            ):  # P-TOPIC-C [D]: a list of integer ids (names are refused)
                return self.fail(
                    "invalid", "Parameter 'tags' must be a list of tag ids", {"tags": "invalid"}
                )
            for tag_id in tags:
                tag = self.state.tags.get(tag_id)
                if tag is None or tag["forum_id"] != forum_id:  # trap 4 [I] forum-local ids
                    return self.fail(
                        "invalid",
                        f"Tag {tag_id} does not belong to this forum",
                        {"tags": "invalid"},
                    )
            out["tag_ids"] = sorted(set(tags))
        if "custom_fields" in data:
            fields = data["custom_fields"]
            if fields is None:
                out["custom_fields"] = {}
            elif isinstance(fields, dict):
                out["custom_fields"] = {**(topic or {}).get("custom_fields", {}), **fields}
            else:
                return self.fail("invalid", "custom_fields must be an object")
        if "show_voter" in data:
            out["show_voter"] = bool(data["show_voter"])
        return out

    def topic_create(self, request: Request, forum_id: int) -> Response:
        """P2 [D] P-TOPIC-C: header and type required; the author is the acting user."""
        forum = self.forum(forum_id)
        if isinstance(forum, Response):
            return forum
        data = self.json_body(request)
        if isinstance(data, Response):
            return data
        author = self.acting(request)
        if author == ANONYMOUS_ID and not forum["allow_anonymous_topic"]:
            return self.fail("scope", "Anonymous topics are not allowed in this forum")  # [I]
        with self.lock:
            fields = self._topic_fields(data, forum_id, None)
            if isinstance(fields, Response):
                return fields
            now = iso(_now())
            topic_id = self.state.next_id("topic")
            topic = {
                "id": topic_id,
                "forum_id": forum_id,
                "description": "",
                "created": now,
                "updated": now,
                "category_id": None,
                "tag_ids": [],
                "author_id": author,
                "assigned_to": None,
                "show_voter": True,
                "custom_fields": {},
                "votes": {},
                # [D] needs_review defaults to "auto": [I] auto means no review here.
                "needs_review": data.get("needs_review") in (True, "true", "1", 1),
                **fields,
            }
            self.state.topics[topic_id] = topic
            return self.ok(self.topic_data(topic, author))

    def topic_update(self, request: Request, forum_id: int) -> Response:
        """P3 [D] P-TOPIC-U: PUT on the collection with `id` in the body (traps 2, 3); tags
        replace the whole list (trap 5); `status` [C] DA:833 only; `assigned_to` an agent."""
        forum = self.forum(forum_id)
        if isinstance(forum, Response):
            return forum
        data = self.json_body(request)
        if isinstance(data, Response):
            return data
        topic_id = self.body_id(request, data, query=False)
        if isinstance(topic_id, Response):
            return topic_id
        with self.lock:
            topic = self.state.topics.get(topic_id)
            if topic is None or topic["forum_id"] != forum_id:  # trap 2: needs its own forum
                return self.fail("not_found", f"Topic {topic_id} not found in forum {forum_id}")
            fields = self._topic_fields(data, forum_id, topic)
            if isinstance(fields, Response):
                return fields
            type_id = fields.get("type_id", topic["type_id"])
            if "status" in data:
                status_id = self._ref(data["status"])
                if status_id not in self.state.types[type_id]["statuses"]:
                    return self.fail(
                        "invalid",
                        f"Status {data['status']} is not a status of this topic's type",
                        {"status": "invalid"},
                    )
                fields["status_id"] = status_id
            if "assigned_to" in data:
                agent = self._ref(data["assigned_to"])
                if agent is not None and not self.state.users.get(agent, {}).get("is_staff"):
                    return self.fail(
                        "invalid", "assigned_to must be an agent", {"assigned_to": "invalid"}
                    )
                fields["assigned_to"] = agent
            if "needs_review" in data and self.config.put_needs_review:
                fields["needs_review"] = data["needs_review"] in (True, "true", "1", 1)
            topic.update(fields)
            topic["updated"] = iso(_now())
            return self.ok(self.topic_data(topic, self.acting(request)))

    def drop_topic(self, topic_id: int) -> None:
        self.state.topics.pop(topic_id, None)
        for cid in [c for c, row in self.state.comments.items() if row["topic_id"] == topic_id]:
            del self.state.comments[cid]

    def topic_delete(self, request: Request, topic_id: int) -> Response:
        """P9 [D]: DELETE topics/{id} (not under its forum, trap 2); irreversible (trap 9)."""
        with self.lock:
            if topic_id not in self.state.topics:
                return self.fail("not_found", f"Topic {topic_id} not found")
            self.drop_topic(topic_id)
        return self.ok(True)

    def topic_voters(self, request: Request, topic_id: int) -> Response:
        """V1 [D] exists; the shape is [I]: users, each with its `vote` (+1 / -1)."""
        topic = self.state.topics.get(topic_id)
        if topic is None:
            return self.fail("not_found", f"Topic {topic_id} not found")
        rows = [
            {**self.state.users[uid], "vote": vote}
            for uid, vote in topic["votes"].items()
            if uid in self.state.users
        ]
        return self.listing(
            request,
            rows,
            fields=self.user_fields,
            shape=lambda u: {**self.user_data(u), "vote": u["vote"]},
        )

    # === 2.6 comments =======================================================================
    def comments_list(self, request: Request, topic_id: int) -> Response:
        if topic_id not in self.state.topics:
            return self.fail("not_found", f"Topic {topic_id} not found")
        rows = [c for c in self.state.comments.values() if c["topic_id"] == topic_id]
        return self.listing(
            request, rows, fields=self.plain_fields, shape=self.comment_data, order="created"
        )

    def comment_create(self, request: Request, topic_id: int) -> Response:
        """K2 [D] exists; [C] DA:744-748 body {text, is_official}; the author is the acting
        user; [I] only an agent's comment can be official."""
        if topic_id not in self.state.topics:
            return self.fail("not_found", f"Topic {topic_id} not found")
        data = self.json_body(request)
        if isinstance(data, Response):
            return data
        text = str(data.get("text") or data.get("comment") or "").strip()
        if not text:
            return self.fail("invalid", "Parameter 'text' is required", {"text": "required"})
        author = self.acting(request)
        staff = bool(self.state.users.get(author, {}).get("is_staff"))
        with self.lock:
            cid = self.state.next_id("comment")
            comment = {
                "id": cid,
                "topic_id": topic_id,
                "text": text,
                "author_id": author,
                "is_official": staff and bool(data.get("is_official")),
                "created": iso(_now()),
            }
            self.state.comments[cid] = comment
            return self.ok(self.comment_data(comment))

    # === 2.7 files ==========================================================================
    def upload(self, request: Request, forum_id: int, kind: str) -> Response:
        """X1/X2 [D] P-UPLOAD: multipart `content`; not on a trial plan."""
        if self.config.trial_plan:
            return self.fail("scope", "By default this method is not available for a trial period!")
        forum = self.forum(forum_id)
        if isinstance(forum, Response):
            return forum
        content = request.files.get("content")
        if content is None:
            return self.fail("invalid", "Parameter 'content' is required", {"content": "req"})
        if kind == "image" and not (content.mimetype or "").startswith("image/"):
            return self.fail("invalid", "The file is not an image", {"content": "invalid"})
        payload = content.read()
        with self.lock:
            upload_id = self.state.next_id("upload")
            digest = hashlib.sha1(payload).hexdigest()  # noqa: S324 - a file name, not security
            filename = content.filename or ""
            suffix = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
            row = {
                "id": upload_id,
                "type": kind,
                "original_filename": content.filename or "",
                "url": f"/s/attachments/1/{forum_id}/{upload_id}/{digest}.{suffix}",
                "created": iso(_now()),
                "forum": {"id": forum["id"], "name": forum["name"]},
                "user": {"id": self.acting(request)},
            }
            self.state.uploads[upload_id] = row
            return self.ok(copy.deepcopy(row))

    # === 2.8 webhooks =======================================================================
    def hooks_list(self, request: Request) -> Response:
        return self.listing(
            request, self.state.hooks.values(), fields=self.plain_fields, shape=copy.deepcopy
        )

    def hook_create(self, request: Request) -> Response:
        """H2 [D] P-HOOK-C: event and target_url required; the hook flags its events (the doc
        example's swapped flags are not copied, trap 13)."""
        data = self.json_body(request)
        if isinstance(data, Response):
            return data
        event = str(data.get("event") or "")
        target = str(data.get("target_url") or "")
        if event not in EVENTS:
            return self.fail("invalid", f"Unknown event {event!r}", {"event": "invalid"})
        if not target.startswith(("http://", "https://")):
            return self.fail("invalid", "target_url must be an http(s) URL")
        with self.lock:
            hook_id = self.state.next_id("hook")
            hook = {
                "id": hook_id,
                "target_url": target,
                "events": {name: name == event for name in EVENTS},
            }
            self.state.hooks[hook_id] = hook
            return self.ok(copy.deepcopy(hook))

    def hook_delete(self, request: Request, hook_id: int) -> Response:
        with self.lock:
            if self.state.hooks.pop(hook_id, None) is None:
                return self.fail("not_found", f"Hook {hook_id} not found")
        return self.ok(True)

    def hook_events(self, request: Request) -> Response:
        return self.ok(list(EVENTS))  # H4 [D] exists; [I] a list of event names


# --- helpers --------------------------------------------------------------------------------
def _scopes(values: Iterable[str]) -> frozenset[str]:
    # 1.2 [I]: "all" in the reference is the "manage" permission of AMEMBER and CS.
    return frozenset("all" if v == "manage" else v for v in values)


def _allowed(needed: str, scopes: frozenset[str]) -> bool:
    """[I] scopes nest: all > write > read; "write, all" rows accept either (2.4)."""
    if needed == "read":
        return bool(scopes & {"read", "write", "all"})
    if needed == "write":
        return bool(scopes & {"write", "all"})
    return "all" in scopes


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _avatar(seed: str) -> str:
    digest = hashlib.md5(seed.lower().encode()).hexdigest()  # noqa: S324 - Gravatar's scheme
    return f"https://www.gravatar.com/avatar/{digest}?d=identicon"


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, 0)
    if isinstance(value, list):
        return (1, len(value))
    return (1, value)


def _coerce(current: Any, raw: str) -> Any:
    """A query-string value read as the type of the field it is compared with."""
    if isinstance(current, bool):
        if raw.lower() in ("1", "true"):
            return True
        if raw.lower() in ("0", "false"):
            return False
        raise ValueError(raw)
    if isinstance(current, int | float | list):
        return float(raw) if "." in raw else int(raw)
    return raw


def _matches(current: Any, cond: str, raw: str) -> bool:
    """SEED:89-104 [D]: equality, in, gt/gte/lt/lte, contains (case-sensitive), icontains.
    Dates compare as ISO strings, so a plain date works against full timestamps."""
    if cond == "in":
        wanted = [_coerce(current, part.strip()) for part in raw.split(",") if part.strip()]
        if isinstance(current, list):
            return any(w in current for w in wanted)
        return current in wanted
    if cond in ("contains", "icontains"):
        text = "" if current is None else str(current)
        return raw.lower() in text.lower() if cond == "icontains" else raw in text
    if current is None:
        return raw.lower() in ("", "null", "none") and cond == "eq"
    value = _coerce(current, raw)
    if isinstance(current, list):
        return value in current if cond == "eq" else False
    if cond == "eq":
        return current == value
    return {
        "gt": current > value,
        "gte": current >= value,
        "lt": current < value,
        "lte": current <= value,
    }[cond]


__all__ = ["LATER_ROUTES", "UserEchoSandbox", "UserEchoSandboxConfig"]
