"""The sandbox Discourse's webhooks: Admin › API › Webhooks as Discourse's controller and model
answer (app/controllers/admin/web_hooks_controller.rb, app/models/web_hook.rb), and signed
deliveries of its changes (app/jobs/regular/emit_web_hook_event.rb), to loopback only."""

from __future__ import annotations

import hashlib
import hmac
import json

from .served import SANDBOX_CONFIG, as_user, get, moderator, regular, send

SANDBOX_CONFIG = {  # noqa: F811 - this module's sandbox lets webhooks reach loopback
    "discourse": {**SANDBOX_CONFIG["discourse"], "allowed_internal_hosts": "127.0.0.1|localhost"}
}
SECRET = "a-secret-of-some-length"
USERS = [304, 305, 306, 307, 308, 309]


def create(sandbox, **fields):
    return send(sandbox, "POST", "/admin/api/web_hooks.json", json={"web_hook": fields})


def hook(sandbox, receiver, types=USERS, **extra) -> dict:
    r = create(sandbox, payload_url=receiver.url, content_type=1, secret=SECRET,
               web_hook_event_type_ids=types, active=True, **extra)  # fmt: skip
    assert r.status_code == 200, r.text
    return r.json()["web_hook"]


def test_a_new_webhook_is_answered_as_the_controller_serialises_it(sandbox, receiver):
    made = hook(sandbox, receiver)
    assert made["payload_url"] == receiver.url and made["active"] is True
    assert made["content_type"] == 1 and made["last_delivery_status"] == 1
    assert {t["name"] for t in made["web_hook_event_types"]} >= {"user_suspended", "user_created"}
    listed = get(sandbox, "/admin/api/web_hooks.json").json()
    assert [h["id"] for h in listed["web_hooks"]] == [made["id"]]
    assert {"id": 308, "name": "user_suspended"} in listed["extras"]["event_types"]
    changed = send(sandbox, "PUT", f"/admin/api/web_hooks/{made['id']}.json",
                   json={"web_hook": {"active": False, "secret": "x"}})  # fmt: skip
    assert changed.status_code == 422  # the same validations on update: nothing changes
    assert sandbox.app.web_hooks[made["id"]]["active"] is True
    changed = send(sandbox, "PUT", f"/admin/api/web_hooks/{made['id']}.json",
                   json={"web_hook": {"active": False}})  # fmt: skip
    assert changed.json()["web_hook"]["active"] is False
    shown = get(sandbox, f"/admin/api/web_hooks/{made['id']}.json").json()["web_hook"]
    assert shown["active"] is False and shown["secret"] == SECRET
    assert send(sandbox, "DELETE", f"/admin/api/web_hooks/{made['id']}.json").ok
    assert get(sandbox, f"/admin/api/web_hooks/{made['id']}.json").status_code == 404


def test_the_model_refuses_what_web_hook_rb_validates(sandbox, receiver):
    short = create(sandbox, payload_url=receiver.url, secret="short", web_hook_event_type_ids=USERS)
    assert short.status_code == 422
    assert short.json()["errors"] == ["Secret is too short (minimum is 12 characters)"]
    none = create(sandbox, payload_url=receiver.url, secret=SECRET)
    assert none.json()["errors"] == ["Web hook event types can't be blank"]
    bad = create(sandbox, payload_url="ftp://x", web_hook_event_type_ids=USERS)
    assert bad.json()["errors"] == ["Payload url is invalid"]
    unknown = create(sandbox, payload_url=receiver.url, web_hook_event_type_ids=[99999])
    assert unknown.status_code == 404
    missing = send(sandbox, "POST", "/admin/api/web_hooks.json", json={"payload_url": "x"})
    assert missing.status_code == 400
    # The SSRF detector: an internal address not in allowed_internal_hosts.
    internal = create(sandbox, payload_url="http://10.1.2.3/hook", web_hook_event_type_ids=USERS)
    assert internal.status_code == 422 and "internal IP address" in internal.json()["errors"][0]
    # Inactive unless asked (the column's default).
    quiet = create(sandbox, payload_url=receiver.url, web_hook_event_type_ids=USERS)
    assert quiet.json()["web_hook"]["active"] is False


def test_webhooks_are_for_admins_only(sandbox, receiver):
    fields = {"payload_url": receiver.url, "web_hook_event_type_ids": USERS}
    headers = as_user(moderator(sandbox)["username"])
    r = send(sandbox, "POST", "/admin/api/web_hooks.json", headers=headers,
             json={"web_hook": fields})  # fmt: skip
    assert r.status_code == 404
    assert sandbox.app.web_hooks == {}


def test_a_suspension_is_delivered_signed(sandbox, receiver):
    hook(sandbox, receiver)
    user = regular(sandbox)
    r = send(sandbox, "PUT", f"/admin/users/{user['id']}/suspend.json",
             json={"suspend_until": "2099-01-01", "reason": "spam wave"})  # fmt: skip
    assert r.ok, r.text
    ((headers, body),) = receiver.wait(1)
    assert headers["X-Discourse-Event"] == "user_suspended"
    assert headers["X-Discourse-Event-Type"] == "user"
    assert headers["X-Discourse-Event-Id"].isdigit()
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Discourse-Event-Signature"] == expected
    payload = json.loads(body)["user"]
    assert payload["id"] == user["id"] and payload["email"] == user["email"]
    assert payload["suspended_till"].startswith("2099-01-01")
    send(sandbox, "PUT", f"/admin/users/{user['id']}/unsuspend.json")
    second = receiver.wait(2)[1]
    assert second[0]["X-Discourse-Event"] == "user_unsuspended"
    assert second[0]["X-Discourse-Event-Id"] != headers["X-Discourse-Event-Id"]
    assert "suspended_till" not in json.loads(second[1])["user"]


def test_each_hook_gets_only_its_events_and_an_inactive_one_nothing(sandbox, receiver):
    hook(sandbox, receiver, types=[401, 402, 403, 601, 602, 603])
    create(sandbox, payload_url=receiver.url, web_hook_event_type_ids=USERS, active=False)
    uid = sandbox.app.add_person(username="nobody_hears", email="nh@example.org")
    send(sandbox, "POST", "/admin/groups.json", json={"group": {"name": "wave_watch"}})
    send(sandbox, "PUT", "/tag/" + next(iter(sandbox.app.tags)) + ".json",
         json={"tag": {"name": "renamed-tag"}})  # fmt: skip
    receiver.wait(2)
    assert sandbox.app.web_hooks_idle()
    assert receiver.events() == ["group_created", "tag_updated"]
    assert uid in sandbox.app.users


def test_created_and_destroyed_accounts(sandbox, receiver):
    hook(sandbox, receiver)
    uid = sandbox.app.add_person(username="wave_1", email="w1@spam.example")
    assert send(sandbox, "DELETE", f"/admin/users/{uid}.json").json() == {"deleted": True}
    receiver.wait(2)
    assert receiver.events() == ["user_created", "user_destroyed"]
    assert json.loads(receiver.deliveries[1][1])["user"]["username"] == "wave_1"


def test_the_sandbox_delivers_to_loopback_only(sandbox):
    r = create(sandbox, payload_url="http://93.184.216.34/hook", web_hook_event_type_ids=USERS,
               active=True)  # fmt: skip
    assert r.ok
    sandbox.app.add_person(username="far_away", email="fa@example.org")
    assert sandbox.app.web_hooks_idle()
    (event,) = sandbox.app.web_hook_events
    assert event["status"] == -1 and "loopback" in event["response_body"]
    listed = get(sandbox, "/admin/api/web_hooks.json").json()["web_hooks"]
    assert listed[0]["last_delivery_status"] == 2  # failed
