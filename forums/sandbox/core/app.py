"""The router every sandbox forum is: routes to endpoint methods, faults, the call log and the
control calls (``/__sandbox__/...``) tests and the demo use to read and change it."""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from .calls import CallLog, CallRecord
from .faults import Faults

CONTROL_PREFIX = "/__sandbox__"


@dataclass
class SandboxConfig:
    """How a sandbox forum behaves. Mutable at run time (tests, the control endpoint)."""

    api_key: str = "sandbox-key"
    api_username: str = "system"
    seed: int = 42
    users: int = 300
    # Discourse: one bucket of admin requests per minute per site (60 on a real forum).
    admin_requests_per_minute: int = 60
    # The bucket's window. Real forums: 60 s. Tests may shrink it to see several windows pass
    # quickly (the limit then applies per window, not per minute).
    rate_window_seconds: float = 60.0
    title: str = "Sandbox forum"
    faults: Faults = field(default_factory=Faults)
    # --- Discourse settings that change what a rule answers (real defaults) -------------------
    # GlobalSetting max_reqs_per_ip_per_10_seconds / _per_minute: the per-IP middleware limits.
    max_reqs_per_ip_per_10_seconds: int = 50
    max_reqs_per_ip_per_minute: int = 200
    # GlobalSetting max_reqs_rate_limit_on_private: loopback and private addresses are exempt
    # from the per-IP limits unless this is on (tests switch it on to meet the limit).
    max_reqs_rate_limit_on_private: bool = False
    # SiteSetting delete_user_max_post_age (days): a user with more than 5 posts whose first
    # post is older than this cannot be deleted.
    delete_user_max_post_age: int = 60
    # SiteSetting enable_backups: off, every backup route answers 403.
    enable_backups: bool = True
    # SiteSetting must_approve_users: on, the admin user views say whether each account is
    # approved (AdminUserListSerializer#include_approved?); off (the default), they do not.
    must_approve_users: bool = False
    # Granular API keys: key -> the sandbox endpoints (method names) its scopes allow, acting
    # as the user in Api-Username. Any other route answers like a bad key.
    granular_keys: dict[str, list[str]] = field(default_factory=dict)
    # discourse-calendar before the 2025 API rework: a bare array, no `after`/`order`, no .ics.
    legacy_events_plugin: bool = False
    # The calendar plugin installed with discourse_post_event_enabled on; off, its routes
    # answer 404 not_found (ENDPOINTS.md "Rules" / calendar not enabled).
    events_plugin_enabled: bool = True
    # Older core's TopicsBulkAction has no `remove_tags` operation.
    bulk_remove_tags: bool = True
    # The forum software's release the sandbox plays ("" = the platform's current one); its
    # rules and reported version follow it (Discourse: forums/sandbox/discourse/releases.py).
    release: str = ""


def json_response(payload: Any, status: int = 200, headers: dict | None = None) -> Response:
    return Response(
        json.dumps(payload, default=str),
        status=status,
        headers=headers,
        content_type="application/json; charset=utf-8",
    )


class SandboxApp:
    """A WSGI app: routes come from ``rules()``; endpoint names are method names on self.

    Subclasses implement the forum: ``rules()``, ``authenticate()``, ``rate_limited()`` and
    the endpoint methods, each taking ``(request, **url_values)`` and returning a Response.
    """

    platform = ""
    # Route on the address as sent, as Express does (a path segment's "%2F" stays inside the
    # segment; the values are decoded after the match), not on the WSGI server's decoded
    # PATH_INFO, where a name holding "/" would split into two segments and answer 404.
    routes_raw_path = False

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        self.calls = CallLog()
        self.lock = threading.RLock()  # state changes are atomic, as on a real database
        self._random = random.Random(self.config.seed)
        self.url_map = Map(self.rules(), strict_slashes=False, merge_slashes=False)
        self.reset()

    # --- for subclasses -------------------------------------------------------------------
    def rules(self) -> list[Rule]:
        raise NotImplementedError

    def reset(self) -> None:
        """(Re)build the seeded state."""

    def add_person(self, *, username: str, email: str, name: str = "") -> int:
        """A new account (for tests and the demo); returns its id."""
        raise NotImplementedError

    def before_endpoint(self, request: Request, endpoint: str) -> Response | None:
        """Authentication and rate limiting; return a Response to answer early."""
        return None

    def not_found(self, request: Request) -> Response:
        return json_response({"errors": ["Not found"], "error_type": "not_found"}, 404)

    def server_error(self, status: int) -> Response:
        return json_response({"errors": ["Sandbox injected failure"]}, status)

    # --- WSGI ---------------------------------------------------------------------------------
    def __call__(self, environ, start_response):
        request = Request(environ)
        if request.path.startswith(CONTROL_PREFIX):
            return self.control(request)(environ, start_response)
        response = self.handle(request)
        try:
            body = request.get_json(silent=True) if request.content_length else None
            if body is None and request.form:
                body = request.form.to_dict(flat=False)
        except Exception:
            body = None
        self.calls.add(
            CallRecord(
                method=request.method,
                path=request.path,
                query=request.query_string.decode(),
                status=response.status_code,
                at=time.time(),
                body=body,
            )
        )
        return response(environ, start_response)

    @staticmethod
    def _raw_path(request: Request) -> str | None:
        """The path as the client wrote it (the werkzeug server keeps it in RAW_URI), without
        the script root; None where the server did not keep it."""
        raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
        if not raw:
            return None
        path = urlsplit(raw).path if "://" in raw else raw.split("?", 1)[0]
        root = request.environ.get("SCRIPT_NAME") or ""
        return path[len(root) :] if root and path.startswith(root) else path

    def handle(self, request: Request) -> Response:
        faults = self.config.faults
        if faults.latency_ms:
            time.sleep(faults.latency_ms / 1000)
        if faults.outage_until and time.time() < faults.outage_until:
            return self.server_error(faults.outage_status)
        if faults.error_rate and self._random.random() < faults.error_rate:
            return self.server_error(faults.error_status)
        adapter = self.url_map.bind_to_environ(request.environ)
        raw = self._raw_path(request) if self.routes_raw_path else None
        try:
            endpoint, values = adapter.match(path_info=raw)
            if raw is not None:
                values = {k: unquote(v) if isinstance(v, str) else v for k, v in values.items()}
        except MethodNotAllowed:
            return json_response({"errors": ["Method not allowed"]}, 405)
        except NotFound:
            return self.not_found(request)
        except HTTPException as exc:  # e.g. a redirect for a trailing slash
            return exc.get_response(request.environ)  # type: ignore[return-value]
        early = self.before_endpoint(request, endpoint)
        if early is not None:
            return early
        handler: Callable[..., Response] = getattr(self, endpoint)
        response = handler(request, **values)
        if faults.lost_answers and request.method != "GET" and response.status_code < 400:
            faults.lost_answers -= 1
            return self.server_error(faults.error_status)
        return response

    def control(self, request: Request) -> Response:
        """Out-of-process control: read the call log, change faults, rate and state."""
        action = request.path[len(CONTROL_PREFIX) :].strip("/")
        if action == "calls" and request.method == "GET":
            return json_response([asdict(r) for r in self.calls.records()])
        if action == "calls" and request.method == "DELETE":
            self.calls.clear()
            return json_response({"ok": True})
        if action == "faults" and request.method == "POST":
            data = request.get_json(force=True, silent=True) or {}
            faults = self.config.faults
            for key in ("latency_ms", "error_rate", "error_status", "outage_status"):
                if key in data:
                    setattr(faults, key, type(getattr(faults, key))(data[key]))
            if "outage_seconds" in data:
                faults.outage_for(float(data["outage_seconds"]))
            return json_response(asdict(faults))
        if action == "config" and request.method == "POST":
            data = request.get_json(force=True, silent=True) or {}
            try:
                self.configure(**data)
            except ValueError as exc:
                return json_response({"error": str(exc)}, 400)
            return json_response({"ok": True})
        if action == "reset" and request.method == "POST":
            self.calls.clear()
            self.reset()
            return json_response({"ok": True})
        extra = self.control_extra(request, action)
        if extra is not None:
            return extra
        return json_response({"error": "unknown control call"}, 404)

    def control_extra(self, request: Request, action: str) -> Response | None:
        """Platform control calls (e.g. changing one seeded user); None if unknown."""
        return None

    def configure(self, **changes: Any) -> None:
        for key in changes:
            if key != "faults" and not hasattr(self.config, key):
                raise ValueError(f"unknown sandbox setting {key}")
        for key, value in changes.items():
            if key != "faults":
                setattr(self.config, key, value)
