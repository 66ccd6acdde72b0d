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

from collections.abc import Mapping

from ..errors import ForumBadResponse
from ..records import ForumTag, PushedEvent
from ..webhooks import header, json_object, signed_with
from .base import DiscourseBase, to_int
from .groups import DiscourseGroups

SIGNATURE_HEADER = "X-Discourse-Event-Signature"
GONE_EVENTS = frozenset({"user_destroyed"})


class DiscourseWebhooks(DiscourseBase):
    pushes_webhooks = True
    webhook_setup_help = (
        "On the forum: Admin › API › Webhooks › New webhook. Payload URL: the address below; "
        "content type application/json; secret: the secret below; events: users, groups, tags."
    )

    webhook_one_click = True
    # WebHookEventType::TYPES (app/models/web_hook_event_type.rb): user created, approved,
    # updated, destroyed, suspended, unsuspended; group and tag created, updated, destroyed.
    WEBHOOK_EVENT_TYPE_IDS = (304, 305, 306, 307, 308, 309, 401, 402, 403, 601, 602, 603)

    def webhook_create(self, *, url: str, secret: str) -> str:
        # Admin::WebHooksController#index / #create / #update: ``params.require(:web_hook)``;
        # ``active`` defaults to false, content_type 1 is application/json; the forum refuses
        # (422) an address that resolves to an internal one unless allowed_internal_hosts has it.
        listed = self._dict(self._json("GET", "/admin/api/web_hooks.json"), "a list of webhooks")
        hooks = [h for h in listed.get("web_hooks") or [] if isinstance(h, dict)]
        mine = next((h for h in hooks if str(h.get("payload_url") or "").strip() == url), None)
        hook = {
            "payload_url": url, "content_type": 1, "secret": secret, "active": True,
            "wildcard_web_hook": False, "verify_certificate": True,
            "web_hook_event_type_ids": list(self.WEBHOOK_EVENT_TYPE_IDS),
        }  # fmt: skip
        if mine is not None and mine.get("id"):
            path = f"/admin/api/web_hooks/{self._seg(mine['id'])}.json"
            answer = self._json("PUT", path, json_body={"web_hook": hook})
        else:
            answer = self._json("POST", "/admin/api/web_hooks.json", json_body={"web_hook": hook})
        made = self._dict(answer, "a webhook").get("web_hook") or {}
        if not isinstance(made, dict) or not made.get("id"):
            raise ForumBadResponse("Discourse answered something other than a webhook.")
        return str(made["id"])

    @classmethod
    def webhook_verify(cls, *, headers: Mapping[str, str], body: bytes, secret: str) -> bool:
        return signed_with(headers, SIGNATURE_HEADER, body=body, secret=secret, algorithm="sha256")

    def webhook_event(self, *, headers: Mapping[str, str], body: bytes) -> PushedEvent:
        delivery = header(headers, "X-Discourse-Event-Id")
        kind = header(headers, "X-Discourse-Event-Type")
        name = header(headers, "X-Discourse-Event") or kind
        data = json_object(body)
        # The id of a WebHookEvent row: the table's key, growing with each delivery made.
        sequence = int(delivery) if delivery.isdigit() else None
        payload = data.get(kind) if kind else None
        if kind == "group" and isinstance(payload, dict) and payload.get("id"):
            # WebHookGroupSerializer; group_created / group_updated / group_destroyed
            if name == "group_destroyed":
                gone = str(payload["id"])
                return PushedEvent(delivery, name, gone_group_id=gone, sequence=sequence)
            group = DiscourseGroups._group(payload)
            return PushedEvent(delivery, name, group=group, sequence=sequence)
        if kind == "tag" and isinstance(payload, dict) and payload.get("name"):
            # TagSerializer {id, name, topic_count, ...}; tag_updated may be a rename, which
            # one row cannot say (the old name is not sent)
            tag = ForumTag(name=str(payload["name"]), id=payload.get("id") or str(payload["name"]),
                           topic_count=to_int(payload.get("topic_count")) or 0)  # fmt: skip
            if name == "tag_destroyed":
                return PushedEvent(delivery, name, gone_tag=tag, sequence=sequence)
            renamed = name == "tag_updated"
            return PushedEvent(delivery, name, tag=tag, tags_changed=renamed, sequence=sequence)
        if kind != "user" or not isinstance(payload, dict):
            return PushedEvent(delivery, name, sequence=sequence)
        user = self._user(payload)
        if not user.id or not user.username:
            raise ValueError("The user event names no account.")
        if name in GONE_EVENTS:
            return PushedEvent(delivery, name, gone_user_id=user.id, sequence=sequence)
        return PushedEvent(delivery, name, user=user, sequence=sequence)
