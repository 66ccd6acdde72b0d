"""The sandbox UserEcho finds users by e-mail, profile slug and SSO guid through its indexes,
and they follow every change."""

from __future__ import annotations

from forums.sandbox.userecho import UserEchoSandbox, UserEchoSandboxConfig


def test_lookups_follow_new_changed_and_deleted_users():
    app = UserEchoSandbox(UserEchoSandboxConfig(api_key="state-token", users=200))
    state = app.state
    guid_user = next(u for u in state.users.values() if u["sso_guid"])
    assert app.user_by_guid(guid_user["sso_guid"]) is guid_user
    uid = app.add_person(username="ana-lima", email="Ana@Example.org", name="Ana Lima")
    assert state.user_by_email(" ana@example.ORG ")["id"] == uid
    assert state.users.find("slug", "ana-lima")["id"] == uid
    try:
        app.add_person(username="ana-lima", email="other@example.org")
    except ValueError as exc:
        assert "slug" in str(exc)
    else:
        raise AssertionError("a taken slug was accepted")
    state.users[uid]["email"] = "ana.new@example.org"
    assert state.user_by_email("ana@example.org") is None
    assert state.user_by_email("ana.new@example.org")["id"] == uid
    state.users[uid]["sso_guid"] = "crm-ana"
    assert app.user_by_guid("crm-ana")["id"] == uid
    del state.users[uid]
    assert state.user_by_email("ana.new@example.org") is None
    assert app.user_by_guid("crm-ana") is None
    for user in list(state.users.values())[:50]:
        scan = next(u for u in state.users.values() if u["email"].lower() == user["email"].lower())
        assert state.user_by_email(user["email"].upper()) is scan
