"""The sandbox NodeBB with nodebb-plugin-webhooks: each listed hook's data posted as JSON
``{hook, params}`` and signed ``sha1=`` with the plugin's secret (its index.js), to loopback."""

from __future__ import annotations

import hashlib
import hmac
import json

import requests

from .served import SANDBOX_CONFIG, call, in_a_week, plain_uid  # noqa: F401

SECRET = "plugin-secret"
HOOKS = ("action:user.banned", "action:user.unbanned", "action:user.muted",
         "action:user.unmuted", "action:user.create", "action:user.delete")  # fmt: skip


def plugin(sandbox, receiver, hooks=HOOKS, secret=SECRET) -> None:
    r = requests.post(
        f"{sandbox.url}/__sandbox__/plugins/webhooks", timeout=5,
        json={"secret": secret, "hooks": [{"name": h, "endpoint": receiver.url} for h in hooks]},
    )  # fmt: skip
    assert r.ok, r.text


def test_a_ban_is_posted_signed_with_the_plugins_secret(sandbox, receiver):
    plugin(sandbox, receiver)
    uid = plain_uid(sandbox)
    until = in_a_week()
    assert call(sandbox, "PUT", f"/api/v3/users/{uid}/ban",
                json={"until": until, "reason": "spam"}).ok  # fmt: skip
    ((headers, body),) = receiver.wait(1)
    expected = "sha1=" + hmac.new(SECRET.encode(), body, hashlib.sha1).hexdigest()
    assert headers["x-webhook-signature"] == expected
    data = json.loads(body)
    assert data["hook"] == "action:user.banned"
    assert data["params"]["uid"] == uid and data["params"]["until"] == until
    assert data["params"]["reason"] == "spam"
    call(sandbox, "DELETE", f"/api/v3/users/{uid}/ban", json={})
    assert json.loads(receiver.wait(2)[1][1]) == {
        "hook": "action:user.unbanned",
        "params": {"callerUid": 1, "ip": "127.0.0.1", "uid": uid},
    }


def test_only_the_listed_hooks_are_posted_and_unsigned_without_a_secret(sandbox, receiver):
    plugin(sandbox, receiver, hooks=("action:user.create",), secret="")
    uid = plain_uid(sandbox)
    call(sandbox, "PUT", f"/api/v3/users/{uid}/ban", json={"until": in_a_week()})
    new = sandbox.app.add_person(username="fresh_one", email="fresh@example.org")
    ((headers, body),) = receiver.wait(1)
    assert sandbox.app.webhooks_idle()
    assert len(receiver.deliveries) == 1 and "x-webhook-signature" not in headers
    assert json.loads(body)["params"]["user"]["uid"] == new


def test_mute_and_delete(sandbox, receiver):
    plugin(sandbox, receiver)
    uid = plain_uid(sandbox)
    call(sandbox, "PUT", f"/api/v3/users/{uid}/mute", json={"until": in_a_week()})
    call(sandbox, "DELETE", f"/api/v3/users/{uid}/mute", json={})
    call(sandbox, "DELETE", f"/api/v3/users/{uid}/account")
    hooks = [json.loads(b)["hook"] for _, b in receiver.wait(3)]
    assert hooks == ["action:user.muted", "action:user.unmuted", "action:user.delete"]
