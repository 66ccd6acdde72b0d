"""The sandbox Discourse: the behaviour Forumdeck's client relies on."""

from __future__ import annotations

from .in_process import (
    AUTH,
    make,
)


# --- behaviour the client relies on -----------------------------------------------------------
def test_group_member_limits_and_automatic_groups():
    app, c = make(users=1100)
    names = ",".join(u["username"] for u in app.users.values() if u["id"] > 0)
    too_many = c.put("/groups/41/members.json", json={"usernames": names}, headers=AUTH)
    assert too_many.status_code == 422
    # render_json_error(I18n.t("groups.errors.adding_too_many_users")): errors only, no type
    assert too_many.json == {"errors": ["Maximum 1000 users can be added at once"]}
    members = c.get("/groups/beta-testers/members.json?limit=1000", headers=AUTH).json["members"]
    again = c.put(
        "/groups/41/members.json",
        json={"usernames": ",".join(m["username"] for m in members)},
        headers=AUTH,
    )
    assert again.status_code == 422 and "already" in again.json["errors"][0]
    auto = c.put("/groups/10/members.json", json={"usernames": "admin"}, headers=AUTH)
    assert auto.status_code == 403  # can_edit_group? is false for automatic groups
    assert auto.json["error_type"] == "invalid_access"
    assert c.get("/groups/beta-testers/members.json?limit=1001", headers=AUTH).status_code == 400


def test_form_bodies_are_accepted_like_json():
    app, c = make()
    user = next(u for u in app.users.values() if u["id"] > 4 and not app.suspended(u))
    form = c.put(
        f"/admin/users/{user['id']}/suspend.json",
        headers=AUTH,
        data={"suspend_until": "2031-01-01", "reason": "form body"},
    )
    assert form.status_code == 200 and app.users[user["id"]]["suspend_reason"] == "form body"
    created = c.post(
        "/tag_groups.json",
        headers=AUTH,
        data={"name": "Form group", "tag_names[]": ["alpha", "beta"]},
    )
    assert created.json["tag_group"]["tag_names"] == ["alpha", "beta"]
    bulk = c.put(
        "/topics/bulk.json",
        headers=AUTH,
        data={
            "topic_ids[]": ["1", "2"],
            "operation[type]": "change_tags",
            "operation[tags][]": ["x"],
        },
    )
    assert bulk.json == {"topic_ids": [1, 2]} and app.topics[1]["tags"] == ["x"]


def test_rename_only_tag_group_put_empties_it_like_discourse():
    app, c = make()
    assert app.tag_groups[1]["tag_names"]
    c.put("/tag_groups/1.json", json={"name": "Renamed"}, headers=AUTH)
    assert app.tag_groups[1]["tag_names"] == []


def test_backup_with_json_true_is_taken_as_false():
    app, c = make()
    assert c.post("/admin/backups.json", json={"with_uploads": True}, headers=AUTH).json == {
        "success": "OK"
    }
    assert app.backup_pending["filename"].endswith(".sql.gz")
    assert (
        c.post("/admin/backups.json", json={"with_uploads": "true"}, headers=AUTH).json["failed"]
        == "FAILED"
    )
