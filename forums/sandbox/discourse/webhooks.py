"""The sandbox Discourse's webhooks: ``/admin/api/web_hooks.json`` as Discourse serves it, and
signed deliveries of its state changes, sent from a background thread (Sidekiq's part).

Modelled on Discourse's source:

- ``Admin::WebHooksController`` (app/controllers/admin/web_hooks_controller.rb): index, show,
  create, update, destroy under ``/admin/api/web_hooks``; ``params.require(:web_hook)`` with
  ``payload_url``, ``content_type``, ``secret``, ``wildcard_web_hook``, ``active``,
  ``verify_certificate`` and ``web_hook_event_type_ids``; a record that does not save answers
  ``render_json_error(full_messages)`` (422 ``{"errors": [...]}``); admins only (the
  controller is an ``Admin::AdminController``).
- ``WebHook`` (app/models/web_hook.rb): ``payload_url`` present and an http(s) URI, ``secret``
  at least 12 characters when given, event types present unless wildcard, the payload URL
  refused when it resolves to an internal address (``ensure_payload_url_allowed``, the
  SSRF detector, which lets through the hosts of ``allowed_internal_hosts``); ``active``
  defaults to false; ``content_types`` 1 = application/json, 2 = form.
- ``WebHookEventType::TYPES`` (app/models/web_hook_event_type.rb): the event type ids below.
  There is no type for silencing, so a silence sends nothing.
- ``Jobs::EmitWebHookEvent`` (app/jobs/regular/emit_web_hook_event.rb): the body
  ``{"<type>": <payload>}``, headers ``X-Discourse-Event-Id`` (the WebHookEvent's id, one per
  delivery), ``X-Discourse-Event-Type``, ``X-Discourse-Event``, and with a secret
  ``X-Discourse-Event-Signature: sha256=<hex HMAC-SHA256 of the body>``. Inactive hooks send
  nothing; ``retry_web_hook_events`` is off by default, so a failed delivery is not retried.

The sandbox delivers to loopback addresses only (it is never a way off this machine); any other
address is recorded as a failed delivery (status -1) and nothing is sent.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
from datetime import UTC, datetime
from functools import cached_property, partial
from typing import Any
from urllib.parse import urlsplit

from werkzeug.wrappers import Request, Response

from ..core import json_response
from ..core.outbox import Outbox, post_to_loopback
from .common import error, params_of

# WebHookEventType::TYPES (app/models/web_hook_event_type.rb), the kinds Forumdeck reads and a
# few beside them so a list of types looks as the forum's does.
EVENT_TYPES: dict[str, int] = {
    "topic_created": 101, "topic_revised": 102, "topic_edited": 103, "topic_destroyed": 104,
    "topic_recovered": 105, "post_created": 201, "post_edited": 202, "post_destroyed": 203,
    "post_recovered": 204, "user_logged_in": 301, "user_logged_out": 302,
    "user_confirmed_email": 303, "user_created": 304, "user_approved": 305,
    "user_updated": 306, "user_destroyed": 307, "user_suspended": 308, "user_unsuspended": 309,
    "group_created": 401, "group_updated": 402, "group_destroyed": 403,
    "tag_created": 601, "tag_updated": 602, "tag_destroyed": 603,
    "reviewable_created": 901, "reviewable_updated": 902,
}  # fmt: skip
EVENT_TYPE_NAMES = {v: k for k, v in EVENT_TYPES.items()}
CONTENT_TYPES = {1: "application/json", 2: "application/x-www-form-urlencoded"}
# WebHook.last_delivery_statuses
INACTIVE, FAILED, SUCCESSFUL = 1, 2, 3
BLOCKED_OR_INTERNAL = (
    "Payload URL cannot be used because it resolves to a blocked or internal IP address"
)


def _internal(host: str) -> bool:
    """What Discourse's SSRF detector refuses: private, loopback and link-local addresses
    (a name is resolved first; the sandbox knows only "localhost")."""
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_private or address.is_loopback or address.is_link_local


def _bool(value: Any, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    return str(value).lower() in ("1", "true", "t", "on", "yes")


class DiscourseWebhooks:
    """A part of the app (mixed in): state, lock and config are the app's."""

    # --- the admin API ---------------------------------------------------------------------
    def _web_hook_json(self, hook: dict[str, Any]) -> dict[str, Any]:
        """AdminWebHookSerializer."""
        return {
            "id": hook["id"], "payload_url": hook["payload_url"],
            "content_type": hook["content_type"],
            "last_delivery_status": hook["last_delivery_status"], "secret": hook["secret"],
            "wildcard_web_hook": hook["wildcard_web_hook"],
            "verify_certificate": hook["verify_certificate"], "active": hook["active"],
            "web_hook_event_types": [
                {"id": t, "name": EVENT_TYPE_NAMES[t], "group": EVENT_TYPE_NAMES[t].split("_")[0]}
                for t in sorted(hook["event_type_ids"])
            ],
            "categories": [], "tags": [], "groups": [],
        }  # fmt: skip

    def web_hooks_list(self, request: Request) -> Response:
        # app/controllers/admin/web_hooks_controller.rb #index: web_hooks, extras, total_rows
        with self.lock:
            hooks = [self._web_hook_json(h) for h in self.web_hooks.values()]
        types = [{"id": i, "name": n} for n, i in EVENT_TYPES.items()]
        return json_response({
            "web_hooks": hooks,
            "extras": {
                "event_types": types,
                "content_types": [{"id": i, "name": n} for i, n in CONTENT_TYPES.items()],
                "delivery_statuses": [{"id": 1, "name": "inactive"}, {"id": 2, "name": "failed"},
                                      {"id": 3, "name": "successful"}],
            },
            "total_rows_web_hooks": len(hooks),
            "load_more_web_hooks": "/admin/api/web_hooks.json?limit=50&offset=50",
        })  # fmt: skip

    def _web_hook_or_404(self, request: Request, web_hook_id: int) -> dict[str, Any] | Response:
        hook = self.web_hooks.get(web_hook_id)
        return hook if hook is not None else self.not_found(request)

    def web_hook_show(self, request: Request, web_hook_id: int) -> Response:
        # app/controllers/admin/web_hooks_controller.rb #show: {web_hook: AdminWebHookSerializer}
        with self.lock:
            hook = self._web_hook_or_404(request, web_hook_id)
            if isinstance(hook, Response):
                return hook
            return json_response({"web_hook": self._web_hook_json(hook)})

    def _web_hook_params(self, request: Request) -> dict[str, Any] | Response:
        fields = params_of(request).get("web_hook")
        if not isinstance(fields, dict) or not fields:
            # ActionController::ParameterMissing, as ApplicationController renders it
            return error(400, "param is missing or the value is empty: web_hook")
        return fields

    def _apply_web_hook(self, hook: dict[str, Any], fields: dict[str, Any]) -> Response | None:
        """Assign the permitted params and validate as WebHook does; the hook is changed only
        when every rule passes."""
        changed = dict(hook)
        if "payload_url" in fields:
            changed["payload_url"] = str(fields.get("payload_url") or "").strip()  # strip_url
        if "secret" in fields:
            changed["secret"] = str(fields.get("secret") or "")
        if "content_type" in fields:
            try:
                changed["content_type"] = int(fields["content_type"])
            except (TypeError, ValueError):
                changed["content_type"] = 0
        for key in ("wildcard_web_hook", "active", "verify_certificate"):
            if key in fields:
                changed[key] = _bool(fields[key], hook[key])
        if "web_hook_event_type_ids" in fields:
            raw = fields.get("web_hook_event_type_ids") or []
            raw = raw if isinstance(raw, list) else [raw]
            try:
                ids = {int(v) for v in raw if str(v).strip()}
            except (TypeError, ValueError):
                ids = {-1}
            if ids - set(EVENT_TYPE_NAMES):
                # has_and_belongs_to_many ids= with an unknown id: ActiveRecord::RecordNotFound
                return error(404, "The requested URL or resource could not be found.", "not_found")
            changed["event_type_ids"] = ids
        problems = []
        url = changed["payload_url"]
        parts = urlsplit(url) if url else None
        if not url:
            problems.append("Payload url can't be blank")
        elif parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            problems.append("Payload url is invalid")  # format: URI.regexp(%w[http https])
        if changed["secret"] and len(changed["secret"]) < 12:
            problems.append("Secret is too short (minimum is 12 characters)")
        if changed["content_type"] not in CONTENT_TYPES:
            problems.append("Content type can't be blank")
        if not changed["event_type_ids"] and not changed["wildcard_web_hook"]:
            problems.append("Web hook event types can't be blank")
        if parts is not None and parts.hostname and url != hook["payload_url"]:
            # ensure_payload_url_allowed (only when the URL changed): the SSRF detector refuses
            # internal addresses unless the host is one of allowed_internal_hosts
            allowed = {h.strip() for h in self.config.allowed_internal_hosts.split("|")}
            if _internal(parts.hostname) and parts.hostname not in allowed:
                problems.append(BLOCKED_OR_INTERNAL)
        if problems:
            return json_response({"errors": problems}, 422)  # render_json_error(full_messages)
        hook.update(changed)
        return None

    def web_hook_create(self, request: Request) -> Response:
        # app/controllers/admin/web_hooks_controller.rb #create; app/models/web_hook.rb validates
        fields = self._web_hook_params(request)
        if isinstance(fields, Response):
            return fields
        with self.lock:
            hook: dict[str, Any] = {
                "id": 0,
                "payload_url": "",
                "content_type": 1,
                "secret": "",
                "wildcard_web_hook": False,
                "verify_certificate": True,
                "active": False,
                "last_delivery_status": INACTIVE,
                "event_type_ids": set(),
            }  # fmt: skip (the table's defaults)
            refused = self._apply_web_hook(hook, fields)
            if refused is not None:
                return refused
            hook["id"] = self.next_web_hook_id
            self.next_web_hook_id += 1
            self.web_hooks[hook["id"]] = hook
            return json_response({"web_hook": self._web_hook_json(hook)})

    def web_hook_update(self, request: Request, web_hook_id: int) -> Response:
        # app/controllers/admin/web_hooks_controller.rb #update; app/models/web_hook.rb validates
        fields = self._web_hook_params(request)
        if isinstance(fields, Response):
            return fields
        with self.lock:
            hook = self._web_hook_or_404(request, web_hook_id)
            if isinstance(hook, Response):
                return hook
            refused = self._apply_web_hook(hook, fields)
            if refused is not None:
                return refused
            return json_response({"web_hook": self._web_hook_json(hook)})

    def web_hook_delete(self, request: Request, web_hook_id: int) -> Response:
        # app/controllers/admin/web_hooks_controller.rb #destroy: success_json
        with self.lock:
            hook = self._web_hook_or_404(request, web_hook_id)
            if isinstance(hook, Response):
                return hook
            del self.web_hooks[web_hook_id]
            return json_response({"success": "OK"})

    # --- deliveries --------------------------------------------------------------------------
    def web_hook_emit(self, event_type: str, event_name: str, payload: dict[str, Any]) -> None:
        """``WebHook.enqueue_object_hooks``: one job per active hook that takes this event (or
        every event); the payload is serialised now, as the forum does before it queues."""
        type_id = EVENT_TYPES.get(event_name)
        with self.lock:
            hooks = [
                h for h in self.web_hooks.values()
                if h["active"] and (h["wildcard_web_hook"] or type_id in h["event_type_ids"])
            ]  # fmt: skip
            if not hooks:
                return
            body = json.dumps({event_type: payload}, default=str, separators=(",", ":")).encode()
            for hook in hooks:
                self.next_web_hook_event_id += 1
                self.outbox.put(partial(self._web_hook_send, self.state, hook,
                                        self.next_web_hook_event_id, event_type, event_name,
                                        body))  # fmt: skip

    @cached_property
    def outbox(self) -> Outbox:
        """Sidekiq's part: the deliveries, one after another, on a background thread."""
        return Outbox()

    def web_hooks_idle(self, timeout: float = 10.0) -> bool:
        """Wait until every queued delivery was sent (for tests); False on timeout."""
        return self.outbox.idle(timeout)

    def _web_hook_send(self, state, hook, event_id, event_type, event_name, body) -> None:
        url = hook["payload_url"]
        headers = {
            "Accept": "*/*",
            "Content-Type": CONTENT_TYPES.get(hook["content_type"], "application/json"),
            "User-Agent": "Discourse/3.5.0",
            "X-Discourse-Instance": f"http://sandbox/{self.config.title}".replace(" ", "-"),
            "X-Discourse-Event-Id": str(event_id),
            "X-Discourse-Event-Type": event_type,
            "X-Discourse-Event": event_name,
        }
        if hook["secret"]:
            digest = hmac.new(hook["secret"].encode(), body, hashlib.sha256).hexdigest()
            headers["X-Discourse-Event-Signature"] = f"sha256={digest}"
        record: dict[str, Any] = {
            "id": event_id, "web_hook_id": hook["id"], "event": event_name,
            "headers": headers, "payload": body.decode(), "at": datetime.now(UTC),
        }  # fmt: skip
        status, text = post_to_loopback(url, body, headers)
        record.update(status=status, response_body=text)
        with self.lock:
            status = record["status"]
            hook["last_delivery_status"] = SUCCESSFUL if 200 <= status < 300 else FAILED
            state.web_hook_events.append(record)

    # --- what each kind of event sends -------------------------------------------------------
    def web_hook_user(self, event_name: str, user: dict[str, Any]) -> None:
        """WebHookUserSerializer: the user as UserSerializer shows it to the system user (the
        e-mail included), emitted for DiscourseEvent's user events
        (config/initializers/012-web_hook_events.rb)."""
        if not self.web_hooks:
            return
        payload = self.profile(user)["user"]
        payload.update(email=user["email"], secondary_emails=[], unconfirmed_emails=[],
                       external_ids={})  # fmt: skip
        self.web_hook_emit("user", event_name, payload)

    def web_hook_group(self, event_name: str, group: dict[str, Any]) -> None:
        """WebHookGroupSerializer: the basic group."""
        if self.web_hooks:
            self.web_hook_emit("group", event_name, self.list_group(group))

    def web_hook_tag(self, event_name: str, tag: dict[str, Any]) -> None:
        """TagSerializer (WebHook.generate_payload's serializer for :tag)."""
        if self.web_hooks:
            count = self._tag_count(tag["name"])
            payload = {"id": tag["id"], "name": tag["name"], "topic_count": count,
                       "staff": False, "description": None}  # fmt: skip
            self.web_hook_emit("tag", event_name, payload)
