"""Discourse webhooks: what a delivery says, and whether it is signed with the secret.

Jobs::EmitWebHookEvent (app/jobs/regular/emit_web_hook_event.rb) posts the body
``{"<event type>": <payload>}`` with the headers ``X-Discourse-Event-Id`` (the WebHookEvent's
id, one per delivery), ``X-Discourse-Event-Type`` ("user", "topic", "ping"...),
``X-Discourse-Event`` (the event's name: "user_created", "user_updated", "user_destroyed"...)
and, when the webhook has a secret, ``X-Discourse-Event-Signature``: "sha256=" and the hex
HMAC-SHA256 of the raw body with the secret. A user event's payload is WebHookUserSerializer
(UserSerializer without staff attributes; the e-mail for an admin scope).
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping

from ..records import PushedEvent
from .base import DiscourseBase

SIGNATURE_HEADER = "X-Discourse-Event-Signature"
GONE_EVENTS = frozenset({"user_destroyed"})


def _header(headers: Mapping[str, str], name: str) -> str:
    wanted = name.lower()
    return next((str(v) for k, v in headers.items() if k.lower() == wanted), "")


class DiscourseWebhooks(DiscourseBase):
    pushes_webhooks = True
    webhook_setup_help = (
        "On the forum: Admin › API › Webhooks › New webhook. Payload URL: the address below; "
        "content type application/json; secret: the secret below; events: users."
    )

    @classmethod
    def webhook_verify(cls, *, headers: Mapping[str, str], body: bytes, secret: str) -> bool:
        if not secret:
            return False
        expected = "sha256=" + hmac.new(secret.encode(), body, "sha256").hexdigest()
        return hmac.compare_digest(expected, _header(headers, SIGNATURE_HEADER))

    def webhook_event(self, *, headers: Mapping[str, str], body: bytes) -> PushedEvent:
        delivery = _header(headers, "X-Discourse-Event-Id")
        kind = _header(headers, "X-Discourse-Event-Type")
        name = _header(headers, "X-Discourse-Event") or kind
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            raise ValueError("The delivery's body is not JSON.") from None
        if not isinstance(data, dict):
            raise ValueError("The delivery's body is not a JSON object.")
        payload = data.get(kind) if kind else None
        if kind != "user" or not isinstance(payload, dict):
            return PushedEvent(delivery, name)
        user = self._user(payload)
        if not user.id or not user.username:
            raise ValueError("The user event names no account.")
        if name in GONE_EVENTS:
            return PushedEvent(delivery, name, gone_user_id=user.id)
        return PushedEvent(delivery, name, user=user)
