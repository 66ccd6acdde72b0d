"""NodeBB's webhooks: the nodebb-plugin-webhooks plugin, as its index.js sends them.

``plugin.onHookFired`` (NodeBB/nodebb-plugin-webhooks index.js) posts, for each hook name the
admin listed with an endpoint, the hook's data as JSON (``axios.post(endpoint, hookData)``:
``{"hook": "action:user.banned", "params": {...}}``), and when the plugin's one secret is set,
the header ``x-webhook-signature: sha1=<hex HMAC-SHA1 of JSON.stringify(hookData)>``, the same
bytes axios sends. The plugin sends no delivery id and no time: a replay is recognised by its
body alone. The plugin has no API to set a hook up (its admin page saves over a socket), so
the set-up is by hand.

The hooks' params, as NodeBB fires them: ``action:user.banned`` {callerUid, ip, uid, until
(ms, absent when permanent), reason} and ``action:user.unbanned`` {callerUid, ip, uid}
(src/api/users.js ban / unban); ``action:user.muted`` / ``action:user.unmuted`` the same for a
mute; ``action:user.create`` {user, data} (src/user/create.js); ``action:user.delete``
{callerUid, uid, ip, user} (src/user/delete.js).
"""

from __future__ import annotations

from collections.abc import Mapping

from ..records import Penalty, PenaltyChange, PushedEvent
from ..webhooks import json_object, signed_with
from .base import NodeBBBase, ms_to_datetime

SIGNATURE_HEADER = "x-webhook-signature"
HOOKS = ("action:user.create", "action:user.delete", "action:user.banned",
         "action:user.unbanned", "action:user.muted", "action:user.unmuted")  # fmt: skip
PENALTIES = {
    "action:user.banned": (Penalty.SUSPEND, True),
    "action:user.unbanned": (Penalty.SUSPEND, False),
    "action:user.muted": (Penalty.SILENCE, True),
    "action:user.unmuted": (Penalty.SILENCE, False),
}


def _uid(value: object) -> int:
    try:
        uid = int(str(value))
    except ValueError:
        raise ValueError("The hook names no account.") from None
    if uid <= 0:
        raise ValueError("The hook names no account.")
    return uid


class NodeBBWebhooks(NodeBBBase):
    pushes_webhooks = True
    webhook_setup_help = (
        "On the forum: install and enable the plugin nodebb-plugin-webhooks; in Admin › Plugins "
        "› Web Hooks put the secret below in “Secret” and add these hooks, each with the address "
        "below as its endpoint: " + ", ".join(HOOKS) + ". The plugin has one secret for all "
        "its hooks, and Forumdeck refuses a delivery without it."
    )

    @classmethod
    def webhook_verify(cls, *, headers: Mapping[str, str], body: bytes, secret: str) -> bool:
        return signed_with(headers, SIGNATURE_HEADER, body=body, secret=secret, algorithm="sha1")

    def webhook_event(self, *, headers: Mapping[str, str], body: bytes) -> PushedEvent:
        data = json_object(body)
        name = str(data.get("hook") or "")
        params = data.get("params")
        if not isinstance(params, dict):
            return PushedEvent("", name)
        if name in PENALTIES:
            kind, on = PENALTIES[name]
            until = ms_to_datetime(params.get("until")) if on else None
            change = PenaltyChange(_uid(params.get("uid")), kind, on, until)
            return PushedEvent("", name, penalty=change)
        if name == "action:user.delete":
            return PushedEvent("", name, gone_user_id=_uid(params.get("uid")))
        if name == "action:user.create" and isinstance(params.get("user"), dict):
            user = self._user(params["user"])
            if user.id <= 0 or not user.username:
                raise ValueError("The hook names no account.")
            return PushedEvent("", name, user=user)
        return PushedEvent("", name)
