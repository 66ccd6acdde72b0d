"""The sandbox UserEcho: webhooks.

Part of ``UserEchoSandbox`` (``app.py``), whose routes name these methods."""

from __future__ import annotations

import copy

from werkzeug.wrappers import Request, Response

from .seed import (
    EVENTS,
)


class UserEchoHooks:
    """A part of the app (mixed in): state, lock and config are the app's."""

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
