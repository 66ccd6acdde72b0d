"""The sandbox NodeBB finds users by username, slug and e-mail through its indexes, as NodeBB's
``username:uid`` / ``userslug:uid`` / ``email:uid`` sets do, and they follow every change."""

from __future__ import annotations

from werkzeug.test import Client

from forums.sandbox.nodebb import NodeBBSandbox, NodeBBSandboxConfig

TOKEN = "state-token"


def test_lookups_follow_new_changed_and_deleted_users():
    app = NodeBBSandbox(NodeBBSandboxConfig(api_key=TOKEN, users=200))
    auth = {"Authorization": f"Bearer {TOKEN}"}
    uid = app.add_person(username="Ana_Lima", email="Ana@Example.org", name="Ana")
    assert app.find_user("username", "ana_lima")["uid"] == uid
    assert app.find_user("userslug", "ana-lima")["uid"] == uid
    assert app.find_user("email", "ANA@example.org")["uid"] == uid
    answer = Client(app).get("/api/user/email/ana@example.org", headers=auth)
    assert answer.status_code == 200 and answer.get_json()["uid"] == uid
    app.state.users[uid]["email"] = "ana.new@example.org"  # changed in place
    assert app.find_user("email", "ana@example.org") is None
    assert app.find_user("email", "ana.new@example.org")["uid"] == uid
    del app.state.users[uid]
    assert app.find_user("username", "Ana_Lima") is None
    assert Client(app).get("/api/user/username/Ana_Lima", headers=auth).status_code == 404
    for user in list(app.state.users.values())[:50]:  # the seeded ones, by every key
        for field in ("username", "userslug", "email"):
            if user[field]:
                found = app.find_user(field, str(user[field]).upper())
                scan = next(u for u in app.state.users.values()
                            if str(u[field]).lower() == str(user[field]).lower())  # fmt: skip
                assert found is scan
