"""The sandbox Discourse: who may call (API key, Api-Username, anonymous reads)."""

from __future__ import annotations

from .in_process import (
    AUTH,
    make,
)


# --- auth -------------------------------------------------------------------------------------
def test_bad_key_is_404_on_admin_routes_and_403_elsewhere():
    app, c = make()
    bad = {"Api-Key": "nope", "Api-Username": "system"}
    admin = c.get("/admin/users/list/active.json", headers=bad)
    assert admin.status_code == 404
    other = c.get("/u/admin.json", headers=bad)
    assert other.status_code == 403 and other.json["error_type"] == "invalid_access"
    assert c.get("/admin/backups.json").status_code == 404  # no key at all
    assert c.get("/review/count.json").status_code == 403
    unknown_user = c.get("/admin/backups.json", headers={**AUTH, "Api-Username": "ghost"})
    assert unknown_user.status_code == 404
    assert c.get("/admin/backups.json", headers=AUTH).status_code == 200
    assert c.get("/srv/status").data == b"ok"


def test_bad_keys_do_not_use_up_the_admin_bucket():
    app, c = make(limit=2)
    for _ in range(5):
        c.get("/admin/backups.json", headers={"Api-Key": "nope"})
    assert c.get("/admin/backups.json", headers=AUTH).status_code == 200
    assert c.get("/site/basic-info.json", headers=AUTH).status_code == 200
    assert c.get("/admin/backups.json", headers=AUTH).status_code == 429
