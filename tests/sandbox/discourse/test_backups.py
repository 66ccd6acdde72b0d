"""The sandbox Discourse's backups as the real routes answer them."""

from __future__ import annotations

from .served import (
    SANDBOX_CONFIG,  # noqa: F401 - the config of this module's sandbox
    configure,
    get,
    send,
)


# --- backups ------------------------------------------------------------------------------------
def test_backups_off_is_403(sandbox):
    """Row "backups": enable_backups off gives 403."""
    configure(sandbox, enable_backups=False)
    for method, path in (("GET", "/admin/backups.json"), ("GET", "/admin/backups/status.json")):
        r = send(sandbox, method, path)
        assert r.status_code == 403 and r.json()["error_type"] == "invalid_access"


def test_backup_download_link_answers_an_empty_body(sandbox):
    """Row "backups": PUT /admin/backups/{filename} answers 200 or 404 with an empty body."""
    name = get(sandbox, "/admin/backups.json").json()[0]["filename"]
    r = send(sandbox, "PUT", f"/admin/backups/{name}")
    assert r.status_code == 200 and r.content == b""
    r = send(sandbox, "PUT", "/admin/backups/no-such-backup.tar.gz")
    assert r.status_code == 404 and r.content == b""


def test_a_running_backup_answers_200_failed(sandbox):
    """Row "backups": already running: 200 {failed, message}."""
    assert send(sandbox, "POST", "/admin/backups.json", json={"with_uploads": "false"}).json() == {
        "success": "OK"
    }
    r = send(sandbox, "POST", "/admin/backups.json", json={"with_uploads": "false"})
    assert r.status_code == 200
    assert r.json()["failed"] == "FAILED" and r.json()["message"]
