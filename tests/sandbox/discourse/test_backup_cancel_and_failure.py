"""The sandbox Discourse's backup routes over raw HTTP: cancel is guarded like the other backup
routes (ENDPOINTS.md "Rules" / admin-only routes and / backups), and a backup can be made to
fail part-way (a fault, like an outage: the forum then lists no new file)."""

from __future__ import annotations

import requests

KEY = "backups-sandbox-key"
SYSTEM = {"Api-Key": KEY, "Api-Username": "system"}


SANDBOX_CONFIG = {"discourse": {"api_key": KEY, "users": 30, "admin_requests_per_minute": 10**5}}


def send(sb, method, path, headers=SYSTEM, **kwargs):
    return requests.request(method, sb.url + path, headers=headers, timeout=5, **kwargs)


def test_cancel_answers_404_to_a_moderators_key(sandbox):
    mod = next(u for u in sandbox.app.users.values() if u["moderator"] and not u["admin"])
    send(sandbox, "POST", "/admin/backups.json", json={"with_uploads": "false"})
    refused = send(sandbox, "DELETE", "/admin/backups/cancel.json",
                   headers={"Api-Key": KEY, "Api-Username": mod["username"]})  # fmt: skip
    assert refused.status_code == 404
    assert send(sandbox, "GET", "/admin/backups/status.json").json()["is_operation_running"]


def test_cancel_answers_403_with_backups_disabled(sandbox):
    sandbox.app.config.enable_backups = False
    assert send(sandbox, "DELETE", "/admin/backups/cancel.json").status_code == 403


def test_a_backup_that_fails_part_way_lists_no_new_file(sandbox):
    sandbox.app.backup_fails = True
    before = send(sandbox, "GET", "/admin/backups.json").json()
    assert send(sandbox, "POST", "/admin/backups.json",
                json={"with_uploads": "true"}).json() == {"success": "OK"}  # fmt: skip
    sandbox.app.backup_running_until = 0
    assert not send(sandbox, "GET", "/admin/backups/status.json").json()["is_operation_running"]
    assert send(sandbox, "GET", "/admin/backups.json").json() == before
