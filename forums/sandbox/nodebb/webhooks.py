"""The sandbox NodeBB with nodebb-plugin-webhooks installed (NodeBB/nodebb-plugin-webhooks).

The plugin listens to ``action:plugins.firehook`` (plugin.json), which NodeBB fires for every
hook with ``{hook, params}`` (src/plugins/hooks.js); ``onHookFired`` (index.js) posts that to
each endpoint listed for the hook's name (``axios.post(endpoint, hookData)``, JSON), with
``x-webhook-signature: sha1=<hex HMAC-SHA1 of JSON.stringify(hookData)>`` when the plugin's one
secret is set. Failures are logged, never retried. The plugin has no REST route: its admin page
saves the hooks over a socket (``admin.plugins.webhooks.save``) and the secret is a setting,
so the sandbox takes both from a control call, ``POST /__sandbox__/plugins/webhooks``
``{"secret": "...", "hooks": [{"name": "action:user.banned", "endpoint": "http://..."}]}``.

The hooks fired here, with NodeBB's params: ``action:user.banned`` {callerUid, ip, uid, until
(absent when permanent), reason} and ``action:user.unbanned`` {callerUid, ip, uid}
(src/api/users.js); ``action:user.muted`` / ``action:user.unmuted`` likewise;
``action:user.create`` {user, data} (src/user/create.js); ``action:user.delete`` {callerUid,
uid, ip, user} (src/user/delete.js). Deliveries reach loopback only (``core/outbox.py``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from functools import cached_property, partial
from typing import Any

from werkzeug.wrappers import Request, Response

from ..core import json_response
from ..core.outbox import Outbox, post_to_loopback


class NodeBBWebhooks:
    """A part of the app (mixed in): state, lock and config are the app's."""

    @cached_property
    def outbox(self) -> Outbox:
        return Outbox()

    def webhooks_configure(self, request: Request) -> Response:
        """The plugin's admin page saved (hooks) and its secret set."""
        body = request.get_json(force=True, silent=True) or {}
        hooks = body.get("hooks") or []
        if not isinstance(hooks, list) or not all(
            isinstance(h, dict) and h.get("name") and h.get("endpoint") for h in hooks
        ):
            return json_response({"error": "hooks: a list of {name, endpoint}"}, 400)
        with self.lock:
            self.state.webhook_hooks = [
                {"name": str(h["name"]), "endpoint": str(h["endpoint"])} for h in hooks
            ]
            self.state.webhook_secret = str(body.get("secret") or "")
        return json_response({"ok": True})

    def fire_hook(self, name: str, params: dict[str, Any]) -> None:
        """``plugins.hooks.fire(name, params)`` as the plugin sees it."""
        with self.lock:
            endpoints = [h["endpoint"] for h in self.state.webhook_hooks if h["name"] == name]
            if not endpoints:
                return
            # JSON.stringify: no spaces; the plugin signs the same text axios sends.
            body = json.dumps({"hook": name, "params": params}, separators=(",", ":")).encode()
            headers = {"Content-Type": "application/json"}
            if self.state.webhook_secret:
                digest = hmac.new(self.state.webhook_secret.encode(), body, hashlib.sha1)
                headers["x-webhook-signature"] = f"sha1={digest.hexdigest()}"
            for endpoint in endpoints:
                self.outbox.put(partial(self._webhook_send, self.state, endpoint, name, body,
                                        headers))  # fmt: skip

    def _webhook_send(self, state, endpoint: str, name: str, body: bytes, headers) -> None:
        status, text = post_to_loopback(endpoint, body, headers)
        with self.lock:
            state.webhook_deliveries.append(
                {"hook": name, "endpoint": endpoint, "status": status, "response_body": text,
                 "headers": headers, "payload": body.decode(), "at": datetime.now(UTC)}
            )  # fmt: skip

    def webhooks_idle(self, timeout: float = 10.0) -> bool:
        return self.outbox.idle(timeout)

    def webhooks_control(self, request: Request, action: str) -> Response | None:
        if action == "plugins/webhooks" and request.method == "POST":
            return self.webhooks_configure(request)
        return None
